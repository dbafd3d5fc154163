/**
 * Faults in the lab page (production build, Chromium without WebGPU so that training runs on WebAssembly):
 * a real crash of the training worker after its first checkpoint (the worker script is served with a few lines in
 * front that throw an uncaught error once epoch 1's checkpoint is posted) shows a message and keeps the run and
 * its checkpoint, which Continue resumes, also after a reload; two tabs on the lab both say so.
 *
 *   npx playwright test --project faults
 */
import { expect, test, type Page } from '@playwright/test';
import { open, TINY, waitForStatus } from './labPage';

/** Put in front of the training worker's module: after posting the checkpoint of epoch 1, an uncaught error. */
const CRASH_AFTER_FIRST_CHECKPOINT = `{
  const post = self.postMessage.bind(self);
  self.postMessage = (message, transfer) => {
    post(message, transfer);
    if (message && message.type === 'checkpoint' && message.epoch === 1) setTimeout(() => { throw new Error('simulated crash of the training worker'); }, 0);
  };
}
`;

async function crashTrainWorker(page: Page): Promise<void> {
  await page.route(/\/assets\/train\.worker-[^/]*\.js$/, async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, body: CRASH_AFTER_FIRST_CHECKPOINT + (await response.text()) });
  });
}

const runs = (page: Page) => page.getByRole('region', { name: 'Runs' }).locator('tbody tr');

test('a crash of the training worker shows a message and keeps the run and its checkpoint; Continue finishes it, after a reload too', async ({ page, baseURL }) => {
  test.setTimeout(600_000);
  await crashTrainWorker(page);
  const problems = await open(page, baseURL, TINY.replace('epochs=2', 'epochs=3'));
  await waitForStatus(page, /^Ready/, 120_000);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const notice = page.locator('.notices li', { hasText: 'Training worker failed' });
  await expect(notice, 'the crash is said').toContainText('simulated crash of the training worker', { timeout: 400_000 });
  await expect(runs(page)).toHaveCount(1);
  await expect(runs(page).first(), 'the run is kept, marked as failed').toContainText('error');
  const cont = runs(page).first().getByRole('button', { name: /^Continue/ });
  await expect(cont, 'its checkpoint of epoch 1 is kept').toHaveAttribute('title', 'Checkpoint after epoch 1', { timeout: 60_000 });

  // After a reload the run and its checkpoint are still there.
  await page.reload();
  await waitForStatus(page, /^Ready/, 120_000);
  await expect(runs(page)).toHaveCount(1);
  await expect(runs(page).first().getByRole('button', { name: /^Continue/ })).toHaveAttribute('title', 'Checkpoint after epoch 1');
  await runs(page).first().getByRole('button', { name: /^Continue/ }).click();
  await waitForStatus(page, /^Done: 3 epochs/, 500_000);
  await expect(runs(page), 'the resumed run is the same row').toHaveCount(1);
  await expect(runs(page).first()).toContainText('done');
  // The page's console error for the uncaught error in the worker is the simulated crash itself.
  expect(problems.filter((p) => !/simulated crash of the training worker/.test(p))).toEqual([]);
});

test('two tabs on the lab: both say that the lab is open in another tab', async ({ context, baseURL }) => {
  const first = await context.newPage();
  await open(first, baseURL, TINY);
  await waitForStatus(first, /^Ready/, 120_000);
  await expect(first.locator('.notices li', { hasText: 'open in another tab' }), 'alone: no notice').toHaveCount(0);
  const second = await context.newPage();
  await open(second, baseURL, TINY);
  for (const p of [first, second]) {
    await expect(p.locator('.notices li', { hasText: 'The lab is open in another tab too' })).toHaveCount(1, { timeout: 30_000 });
  }
});
