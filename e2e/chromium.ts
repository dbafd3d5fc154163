/**
 * How the e2e tests (playwright.config.ts) and the decode bench launch Chromium: Debian's build, WebGPU on
 * (SwiftShader where there is no GPU) or off, no sandbox when running as root (Chromium refuses to start otherwise).
 */
import type { LaunchOptions } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

export function chromiumLaunchOptions({ webgpu = true } = {}): LaunchOptions {
  const args = ['--disable-background-networking', '--disable-component-update', webgpu ? '--enable-unsafe-webgpu' : '--disable-features=WebGPU'];
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  return { executablePath: CHROMIUM, args };
}
