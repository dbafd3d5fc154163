/**
 * The lab in a Chromium without WebGPU (the `lab-no-webgpu` project of playwright.config.ts): the page says why,
 * trains on WebAssembly in the production build, and stays free of errors.
 */
import { expect, test } from '@playwright/test';
import { open, TINY, waitForStatus } from './labPage';

test('the lab says why, trains on WebAssembly (production build) and keeps the page clean', async ({ page, baseURL }) => {
  const problems = await open(page, baseURL, TINY.replace('epochs=2', 'epochs=1'));
  await waitForStatus(page, /^Ready/, 120_000);
  await expect(page.locator('#backend-notice')).toHaveText(/wasm/i);
  await expect(page.locator('.backend-reason')).toHaveText(/WebGPU not available/);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await waitForStatus(page, /^Done: 1 epochs?/, 300_000);
  expect(problems).toEqual([]);
});
