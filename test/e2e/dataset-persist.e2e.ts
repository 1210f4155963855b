/**
 * Issue 21 in Chromium, on a small generated file:
 * - the training worker never reads the file: it gets the data worker's parsed table (counted by a
 *   wrapper injected into the training worker around every File read, and by the worker's own counter);
 * - the dataset is kept in the browser's real IndexedDB as columns and reopens after a reload without
 *   the file (profile and target shown, training works), and Delete removes it;
 * - a file whose estimated memory is over the (test-lowered) limit is not loaded: the sampling offer
 *   is shown, and a seeded stratified sample of it loads.
 */
import type { Page, Worker } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  launchBrowser,
  openStudio,
  pickFile,
  waitForDataset,
  type Browser,
  type StudioPage,
} from './helpers.ts';

const ROWS = 3000;
let browser: Browser;
let studio: StudioPage | undefined;
let csv: Buffer;

/** Deterministic mixed-type CSV: numbers, a category, a date, 5% missing, a yes/no label. */
function generate(rows: number): string {
  let x = 21;
  const rnd = (): number => {
    x = (x * 1664525 + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
  const cities = ['Lisbon', 'Oslo', 'Nairobi', 'Lima', 'Hanoi'];
  const out = ['amount,count,city,signup,label'];
  for (let i = 0; i < rows; i++) {
    const amount = rnd() < 0.05 ? '' : (rnd() * 1000).toFixed(2);
    const count = Math.floor(rnd() * 50);
    const city = cities[Math.floor(rnd() * cities.length)];
    const signup = `2023-${String(1 + Math.floor(rnd() * 12)).padStart(2, '0')}-${String(1 + Math.floor(rnd() * 28)).padStart(2, '0')}`;
    const label = (amount !== '' && Number(amount) > 600) || rnd() < 0.1 ? 'yes' : 'no';
    out.push(`${amount},${count},${city},${signup},${label}`);
  }
  return out.join('\n') + '\n';
}

beforeAll(async () => {
  csv = Buffer.from(generate(ROWS));
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  studio?.assertNoErrors();
  await studio?.page.close();
  studio = undefined;
});

async function trainWorker(page: Page): Promise<Worker> {
  let found: Worker | undefined;
  await expect
    .poll(() => (found = page.workers().find((w) => /train/.test(w.url()))) !== undefined, {
      timeout: 30_000,
    })
    .toBe(true);
  return found!;
}

/** Count every read of a File's bytes in the training worker from now on. */
async function countFileReads(worker: Worker): Promise<void> {
  await worker.evaluate(() => {
    const g = globalThis as unknown as { __fileReads: number };
    g.__fileReads = 0;
    for (const m of ['arrayBuffer', 'text', 'stream', 'bytes', 'slice'] as const) {
      const proto = Blob.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
      const orig = proto[m];
      if (!orig) continue;
      proto[m] = function (this: Blob, ...args: unknown[]) {
        if (this instanceof File) g.__fileReads++;
        return orig.apply(this, args);
      };
    }
  });
}

async function workerCounts(
  worker: Worker,
): Promise<{ fileReads: number; injected: number; tableInputs: number }> {
  return worker.evaluate(() => {
    const g = globalThis as unknown as {
      __fileReads: number;
      __studioTrainData?: { fileReads: number; tableInputs: number };
    };
    return {
      injected: g.__fileReads,
      fileReads: g.__studioTrainData?.fileReads ?? -1,
      tableInputs: g.__studioTrainData?.tableInputs ?? -1,
    };
  });
}

async function trainOnce(page: Page): Promise<void> {
  await page.getByTestId('nav-train').click();
  await page.getByTestId('train-screen').waitFor();
  await expect.poll(() => page.getByTestId('train-what').textContent()).toContain('label');
  await page.getByTestId('mode-single').check();
  await page.getByTestId('family-select').selectOption('gbdt');
  await page.getByTestId('iterations-input').fill('15');
  await page.getByTestId('iterations-input').dispatchEvent('change');
  await page.getByTestId('train-button').click();
  const results = page.getByTestId('train-results');
  await results.waitFor({ timeout: 120_000 });
  const auc = Number(
    await results
      .locator('[data-testid="metric-row"][data-metric="roc_auc"] [data-testid="metric-value"]')
      .textContent(),
  );
  expect(auc).toBeGreaterThan(0.7);
}

describe('datasets in the browser (issue 21)', () => {
  it('trains from the data worker table, keeps the dataset, reopens it after a reload without the file', async () => {
    studio = await openStudio(browser.context);
    const { page } = studio;
    await pickFile(page, { name: 'persist.csv', buffer: csv });
    await waitForDataset(page, 'persist.csv');
    // kept in IndexedDB, with its size
    const entry = page.locator('[data-testid="stored-dataset"][data-name="persist.csv"]');
    await entry.waitFor({ timeout: 60_000 });
    expect(await entry.getByTestId('stored-size').textContent()).toMatch(/\d.*(B|KB|MB)/);
    if ((await page.getByTestId('target-select').inputValue()) !== 'label') {
      await page.getByTestId('target-select').selectOption('label');
      await expect.poll(() => page.getByTestId('target-select').inputValue()).toBe('label');
    }
    await page.getByTestId('nav-train').click();
    const worker = await trainWorker(page);
    await countFileReads(worker);
    await trainOnce(page);
    const first = await workerCounts(worker);
    expect(first).toEqual({ injected: 0, fileReads: 0, tableInputs: 1 });

    // Reload: no file is given again.
    await page.reload();
    await page.getByRole('heading', { name: 'AutoML Studio' }).waitFor();
    await waitForDataset(page, 'persist.csv');
    await page.getByTestId('reopened').waitFor();
    expect(await page.getByTestId('summary-rows').textContent()).toBe(ROWS.toLocaleString('en-US'));
    await expect.poll(() => page.getByTestId('target-select').inputValue()).toBe('label');
    expect(await page.getByTestId('schema-row').count()).toBe(5);
    await page.getByTestId('nav-train').click();
    const worker2 = await trainWorker(page);
    await countFileReads(worker2);
    await trainOnce(page);
    expect(await workerCounts(worker2)).toEqual({ injected: 0, fileReads: 0, tableInputs: 1 });
    // Real IndexedDB holds it as chunked columns
    const stored = await page.evaluate(
      () =>
        new Promise<number>((resolve, reject) => {
          const req = indexedDB.open('automl-studio-datasets');
          req.onsuccess = () => {
            const tx = req.result.transaction('chunks', 'readonly');
            const count = tx.objectStore('chunks').count();
            count.onsuccess = () => resolve(count.result);
            count.onerror = () => reject(count.error);
          };
          req.onerror = () => reject(req.error);
        }),
    );
    expect(stored).toBe(5); // 5 columns × 1 chunk of 65,536 rows

    // Delete: gone from the list and from the next reload.
    await page.getByTestId('nav-data').click();
    await page.getByRole('button', { name: 'Delete persist.csv' }).click();
    await entry.waitFor({ state: 'detached' });
    await page.reload();
    await page.getByTestId('empty-state').waitFor();
    expect(await page.getByTestId('stored-dataset').count()).toBe(0);
  });

  it('offers a seeded, stratified sample when the estimated memory is over the (lowered) limit', async () => {
    studio = await openStudio(browser.context);
    const { page } = studio;
    // 3000 rows × 5 columns × 16 bytes ≈ 240 KB estimated; the limit is lowered to 50 KB.
    await page.goto(`${inject('baseUrl')}?memoryLimitMB=0.05`);
    await page.getByRole('heading', { name: 'AutoML Studio' }).waitFor();
    await pickFile(page, { name: 'big-for-test.csv', buffer: csv });
    const offer = page.getByTestId('sample-offer');
    await offer.waitFor();
    expect(await page.getByTestId('dataset-summary').count()).toBe(0);
    const text = await page.getByTestId('offer-estimate').textContent();
    expect(text).toMatch(/KB/);
    expect(Number(await page.getByTestId('offer-rows').inputValue())).toBeLessThan(ROWS);
    await page.getByTestId('offer-rows').fill('500');
    await page.getByTestId('offer-stratify').selectOption('label');
    await page.getByTestId('offer-sample').click();
    await waitForDataset(page, 'big-for-test.csv');
    expect(await page.getByTestId('summary-rows').textContent()).toBe('500');
    expect(await page.getByTestId('sampled').textContent()).toMatch(
      /500 of 3,000 rows \(seed 42, stratified on label\)/,
    );
    // clean up what was kept
    const entry = page.locator('[data-testid="stored-dataset"][data-name="big-for-test.csv"]');
    await entry.waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Delete big-for-test.csv' }).click();
    await entry.waitFor({ state: 'detached' });
  });
});
