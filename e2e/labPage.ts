/** Opening the lab page in a test and waiting on its status line; shared by lab.e2e.ts and no-webgpu.e2e.ts. */
import type { Page } from '@playwright/test';

/** Tiny settings through the URL (the feature under test in its own right), on a page opened for testing. */
export const TINY = 'test=1&preset=tiny&width=0.0625&batch=16&epochs=2&method=bmm&warmup=1&featuresMax=60';

/** Opens the lab at `/?query`; returns the console errors, page errors, failed responses and requests leaving the origin. */
export async function open(page: Page, baseURL: string | undefined, query: string): Promise<string[]> {
  const origin = new URL(baseURL ?? '').origin;
  // Main-thread tasks over 50 ms, as the browser reports them (training and UMAP run in workers).
  await page.addInitScript(() => {
    const tasks: number[] = [];
    window.__longTasks = tasks;
    new PerformanceObserver((list) => list.getEntries().forEach((e) => tasks.push(e.duration))).observe({ type: 'longtask', buffered: true });
  });
  page.setDefaultTimeout(120_000);
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.url()}`);
  });
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:')) problems.push(`request outside the origin: ${url}`);
  });
  await page.goto(`/?${query}`);
  return problems;
}

async function status(page: Page): Promise<string> {
  return (await page.getByRole('status').first().textContent()) ?? '';
}

/** Polls the status line until it matches; fails at once when the lab reports an error. */
export async function waitForStatus(page: Page, pattern: RegExp, ms: number): Promise<string> {
  const t0 = Date.now();
  let last = '';
  while (Date.now() - t0 < ms) {
    last = await status(page);
    if (pattern.test(last)) return last;
    if (/^Error/.test(last)) throw new Error(`the lab reported: ${last}`);
    await page.waitForTimeout(250);
  }
  throw new Error(`status never matched ${pattern}; last: "${last}"`);
}
