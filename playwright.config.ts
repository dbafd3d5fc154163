/**
 * The e2e tests (e2e/*.e2e.ts) in Debian's Chromium, one at a time (WebGPU runs on SwiftShader, which takes the
 * CPUs), against production builds: the lab (`vite build` + `vite preview`) and the decoding harness
 * (e2e/vite.decode.config.ts, served by `vite preview` with that config).
 */
import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from './e2e/chromium';

const LAB = 'http://127.0.0.1:4175';
const HARNESS = 'http://127.0.0.1:4174';
/** Building takes a minute or two on a small machine. */
const BUILD_MS = 300_000;

export default defineConfig({
  testDir: 'e2e',
  testMatch: '*.e2e.ts',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: true,
  /** Training in the software renderer is slow: 5 minutes per test unless a test says otherwise. */
  timeout: 300_000,
  reporter: [['list']],
  use: { browserName: 'chromium', launchOptions: chromiumLaunchOptions(), acceptDownloads: true },
  projects: [
    { name: 'decode', testMatch: 'decode.e2e.ts', use: { baseURL: HARNESS } },
    { name: 'lab', testMatch: ['lab.e2e.ts', 'exports.e2e.ts', 'runs.e2e.ts', 'compare.e2e.ts'], use: { baseURL: LAB } },
    { name: 'lab-no-webgpu', testMatch: 'no-webgpu.e2e.ts', use: { baseURL: LAB, launchOptions: chromiumLaunchOptions({ webgpu: false }) } },
    { name: 'badinput', testMatch: 'badinput.e2e.ts', use: { baseURL: HARNESS } },
    { name: 'faults', testMatch: 'faults.e2e.ts', use: { baseURL: LAB, launchOptions: chromiumLaunchOptions({ webgpu: false }) } },
  ],
  webServer: [
    {
      command: 'npx vite build --logLevel warn && npx vite preview --host 127.0.0.1 --port 4175 --strictPort',
      url: `${LAB}/`,
      timeout: BUILD_MS,
      reuseExistingServer: false,
    },
    {
      command:
        'npx vite build --config e2e/vite.decode.config.ts --logLevel warn && npx vite preview --config e2e/vite.decode.config.ts --host 127.0.0.1 --port 4174 --strictPort',
      url: `${HARNESS}/e2e/decode-harness.html`,
      timeout: BUILD_MS,
      reuseExistingServer: false,
    },
  ],
});
