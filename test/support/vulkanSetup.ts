/**
 * Vitest setup: WebGPU in Node (Dawn) needs a Vulkan driver. Where none is configured, use the software one that
 * Debian's chromium package (a test dependency, README) ships, so the WebGPU kernel tests run on machines without
 * a GPU, CI included; a VK_ICD_FILENAMES already set wins.
 */
import { existsSync } from 'node:fs';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
