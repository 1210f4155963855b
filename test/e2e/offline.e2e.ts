/** PWA: after one visit the service worker serves the whole studio, samples included, with no network. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openStudio, waitForDataset, type Browser } from './helpers.ts';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe('offline', () => {
  it('reloads with the network off and still loads and profiles a bundled sample', async () => {
    const studio = await openStudio(browser.context);
    const { page } = studio;
    // Wait for the service worker to install (precache) and take control of the page.
    // (It claims the page on its first visit: no second load needed.)
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      if (!navigator.serviceWorker.controller) {
        await new Promise<void>((resolve, reject) => {
          navigator.serviceWorker.addEventListener('controllerchange', () => resolve(), { once: true });
          setTimeout(() => reject(new Error('the service worker did not take control of the page')), 20_000);
        });
      }
    });
    // Claiming happens while activating: wait until it has finished (the precache is then complete).
    await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller?.state)).toBe('activated');

    await browser.context.setOffline(true);
    const served: string[] = [];
    page.on('response', (r) =>
      served.push(`${r.status()} ${r.fromServiceWorker() ? 'sw' : 'net'} ${r.url()}`),
    );
    await page.reload();
    await page.getByRole('heading', { name: 'AutoML Studio' }).waitFor();
    expect(await page.evaluate(() => navigator.onLine)).toBe(false);

    await page.locator('[data-testid="sample"][data-sample="diabetes"]').click();
    await waitForDataset(page, 'diabetes.csv');
    expect(await page.getByTestId('schema-row').count()).toBe(11);
    expect(await page.getByTestId('task-select').inputValue()).toBe('regression');
    // The chart library is a lazily loaded chunk: it is precached too.
    await page.locator('[data-testid="schema-row"][data-column="bmi"] [data-testid="column-open"]').click();
    await page.getByTestId('column-detail').locator('[data-testid="echart"] canvas').waitFor();
    // Everything came from the service worker.
    expect(served.filter((s) => !s.includes(' sw '))).toEqual([]);
    studio.assertNoErrors();
    await browser.context.setOffline(false);
  });
});
