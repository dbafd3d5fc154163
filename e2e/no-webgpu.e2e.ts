/**
 * The lab in a Chromium without WebGPU (the `lab-no-webgpu` project of playwright.config.ts): the page says why,
 * trains on WebAssembly (threaded: the page is cross-origin isolated) in the production build, and stays free of
 * errors.
 */
import { expect, test } from '@playwright/test';
import { open, TINY, waitForStatus } from './labPage';

test('the lab says why, trains on WebAssembly (production build) and keeps the page clean', async ({ page, baseURL }) => {
  const wasmFiles: string[] = [];
  page.on('request', (r) => {
    if (r.url().endsWith('.wasm')) wasmFiles.push(r.url());
  });
  const problems = await open(page, baseURL, TINY.replace('epochs=2', 'epochs=1'));
  await waitForStatus(page, /^Ready/, 120_000);
  await expect(page.locator('#backend-notice')).toHaveText(/wasm/i);
  await expect(page.locator('.backend-reason')).toHaveText(/WebGPU not available.*\(\d+ threads?\)/);
  // Served cross-origin isolated, so the backend runs its threaded build (minified, whose thread workers once
  // failed to start: vite.config.ts).
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  expect(wasmFiles.some((u) => /tfjs-backend-wasm-threaded-simd[^/]*\.wasm$/.test(u))).toBe(true);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await waitForStatus(page, /^Done: 1 epochs?/, 300_000);
  expect(problems).toEqual([]);
});
