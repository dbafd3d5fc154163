/**
 * The page side of `npm run bench:kernels -- --browser`: the same step profile as in Node (kernelProfile.ts), run
 * in Chromium's WebGPU. bench/kernels.ts calls `window.profileKernels` through Playwright.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/core/backend';
import { registerWebGpuKernels } from '../src/core/webgpu/register';
import { KERNEL_SETS, profileSets, type StepProfile, type StepShapes } from './kernelProfile';

declare global {
  interface Window {
    profileKernels: (shapes: StepShapes, sets: ('package' | 'lab')[], repeats: number) => Promise<{ adapter: string; profiles: Record<string, StepProfile> }>;
  }
}

window.profileKernels = async (shapes, sets, repeats) => {
  const info = await initBackend('webgpu');
  if (info.name !== 'webgpu') throw new Error(`no WebGPU in this browser: ${info.reason}`);
  tf.env().set('PROD', true);
  const adapter = await navigator.gpu.requestAdapter();
  const text = adapter ? [adapter.info.vendor, adapter.info.architecture, adapter.info.description].filter(Boolean).join(' ') : 'unknown adapter';
  const profiles = await profileSets(shapes, Object.fromEntries(sets.map((set) => [set, () => registerWebGpuKernels(KERNEL_SETS[set])])), repeats);
  registerWebGpuKernels();
  return { adapter: text, profiles };
};
