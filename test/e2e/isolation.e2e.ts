/**
 * Cross-origin isolation (issue 21) in Chromium:
 * - served with COOP/COEP the page and its workers are `crossOriginIsolated`, nothing the studio loads
 *   is blocked (scripts, workers, the tfjs wasm, samples), the strict CSP is still there, and the
 *   training worker receives the data worker's columns as SharedArrayBuffers (no copy);
 * - after the service worker took over, an offline reload is still isolated (the precached
 *   responses carry the headers) and the shared hand-over still works;
 * - served without the two headers (a fresh profile whose responses have them removed) the page is
 *   not isolated and the columns are transferred instead: training works the same.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page, type Worker } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  CHROMIUM_ARGS,
  launchBrowser,
  openStudio,
  pickFile,
  waitForDataset,
  type Browser,
  type StudioPage,
} from './helpers.ts';

const ROWS = 2000;
let browser: Browser;
let studio: StudioPage | undefined;
let csv: Buffer;

/** Deterministic mixed-type CSV with a yes/no label that depends on the amount. */
function generate(rows: number): string {
  let x = 7;
  const rnd = (): number => {
    x = (x * 1664525 + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
  const cities = ['Lisbon', 'Oslo', 'Nairobi', 'Lima'];
  const out = ['amount,count,city,label'];
  for (let i = 0; i < rows; i++) {
    const amount = rnd() < 0.05 ? '' : (rnd() * 1000).toFixed(2);
    const count = Math.floor(rnd() * 50);
    const city = cities[Math.floor(rnd() * cities.length)];
    const label = (amount !== '' && Number(amount) > 600) || rnd() < 0.1 ? 'yes' : 'no';
    out.push(`${amount},${count},${city},${label}`);
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

/** Requests that failed (a COEP or CSP block shows up here) and responses with an error status. */
function watchNetwork(page: Page): string[] {
  const bad: string[] = [];
  page.on('requestfailed', (r) => {
    // ERR_ABORTED: a load cut short by the next navigation; a COEP or CSP block is ERR_BLOCKED_BY_…
    const why = r.failure()?.errorText ?? '';
    if (why !== 'net::ERR_ABORTED') bad.push(`failed ${r.url()}: ${why}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) bad.push(`${r.status()} ${r.url()}`);
  });
  return bad;
}

async function trainWorker(page: Page): Promise<Worker> {
  let found: Worker | undefined;
  await expect
    .poll(() => (found = page.workers().find((w) => /train/.test(w.url()))) !== undefined, {
      timeout: 30_000,
    })
    .toBe(true);
  return found!;
}

interface TrainData {
  fileReads: number;
  tableInputs: number;
  sharedTables: number;
  isolated: boolean;
}

async function trainData(worker: Worker): Promise<TrainData> {
  return worker.evaluate(() => {
    const g = globalThis as unknown as {
      __studioTrainData?: { fileReads: number; tableInputs: number; sharedTables: number };
      crossOriginIsolated?: boolean;
    };
    const s = g.__studioTrainData;
    return {
      fileReads: s?.fileReads ?? -1,
      tableInputs: s?.tableInputs ?? -1,
      sharedTables: s?.sharedTables ?? -1,
      isolated: g.crossOriginIsolated === true,
    };
  });
}

/** Train one model on the loaded dataset (target `label`) and return its ROC AUC and backend. */
async function trainOnce(
  page: Page,
  family: 'gbdt' | 'mlp',
  iterations: number,
): Promise<{ auc: number; backend: string }> {
  await page.getByTestId('nav-train').click();
  await page.getByTestId('train-screen').waitFor();
  await expect.poll(() => page.getByTestId('train-what').textContent()).toContain('label');
  await page.getByTestId('mode-single').check();
  await page.getByTestId('family-select').selectOption(family);
  if (family === 'mlp') await page.getByTestId('backend-select').selectOption('wasm');
  await page.getByTestId('iterations-input').fill(String(iterations));
  await page.getByTestId('iterations-input').dispatchEvent('change');
  await page.getByTestId('train-button').click();
  const results = page.getByTestId('train-results');
  await results.waitFor({ timeout: 180_000 });
  const auc = Number(
    await results
      .locator('[data-testid="metric-row"][data-metric="roc_auc"] [data-testid="metric-value"]')
      .textContent(),
  );
  return { auc, backend: (await results.getByTestId('result-backend').textContent()) ?? '' };
}

async function loadCsv(page: Page, name: string): Promise<void> {
  await pickFile(page, { name, buffer: csv });
  await waitForDataset(page, name);
  if ((await page.getByTestId('target-select').inputValue()) !== 'label') {
    await page.getByTestId('target-select').selectOption('label');
    await expect.poll(() => page.getByTestId('target-select').inputValue()).toBe('label');
  }
}

async function deleteStored(page: Page, name: string): Promise<void> {
  await page.getByTestId('nav-data').click();
  const entry = page.locator(`[data-testid="stored-dataset"][data-name="${name}"]`);
  await entry.waitFor({ timeout: 60_000 });
  await page.getByRole('button', { name: `Delete ${name}` }).click();
  await entry.waitFor({ state: 'detached' });
}

describe('cross-origin isolation (issue 21)', () => {
  it('is isolated online and offline, blocks nothing, and shares the columns with the training worker', async () => {
    studio = await openStudio(browser.context);
    const { page } = studio;
    const bad = watchNetwork(page);
    const main = await page.goto(inject('baseUrl'));
    const headers = main!.headers();
    expect(headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(headers['cross-origin-embedder-policy']).toBe('require-corp');
    expect(headers['content-security-policy']).toContain("script-src 'self' 'wasm-unsafe-eval'");
    await page.getByRole('heading', { name: 'AutoML Studio' }).waitFor();
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(await page.evaluate(() => typeof SharedArrayBuffer)).toBe('function');

    await loadCsv(page, 'isolated.csv');
    const dataWorker = page.workers().find((w) => /data\.worker/.test(w.url()));
    expect(dataWorker).toBeDefined();
    expect(await dataWorker!.evaluate(() => crossOriginIsolated)).toBe(true);

    await page.getByTestId('nav-train').click();
    const worker = await trainWorker(page);
    // GBDT, then an MLP on the tfjs wasm backend (its .wasm is fetched under COEP)
    const gbdt = await trainOnce(page, 'gbdt', 15);
    expect(gbdt.auc).toBeGreaterThan(0.7);
    const mlp = await trainOnce(page, 'mlp', 3);
    expect(mlp.backend).toBe('wasm');
    expect(mlp.auc).toBeGreaterThan(0.5);
    expect(await trainData(worker)).toEqual({
      fileReads: 0,
      tableInputs: 1,
      sharedTables: 1,
      isolated: true,
    });
    // the data screen's charts (a lazily loaded chunk) still load
    await page.getByTestId('nav-data').click();
    await page
      .locator('[data-testid="schema-row"][data-column="amount"] [data-testid="column-open"]')
      .click();
    await page.getByTestId('column-detail').locator('[data-testid="echart"] canvas').waitFor();
    expect(bad).toEqual([]);

    // Offline: the service worker serves everything, with the headers it stored.
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      if (!navigator.serviceWorker.controller) {
        await new Promise<void>((resolve) =>
          navigator.serviceWorker.addEventListener('controllerchange', () => resolve(), { once: true }),
        );
      }
    });
    await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller?.state)).toBe('activated');
    await browser.context.setOffline(true);
    const served: string[] = [];
    page.on('response', (r) => served.push(`${r.fromServiceWorker() ? 'sw' : 'net'} ${r.url()}`));
    await page.reload();
    await page.getByRole('heading', { name: 'AutoML Studio' }).waitFor();
    expect(await page.evaluate(() => navigator.onLine)).toBe(false);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    // the dataset reopens from IndexedDB and is shared again with a new training worker
    await waitForDataset(page, 'isolated.csv');
    await page.getByTestId('reopened').waitFor();
    await page.getByTestId('nav-train').click();
    const worker2 = await trainWorker(page);
    expect((await trainOnce(page, 'gbdt', 15)).auc).toBeGreaterThan(0.7);
    expect(await trainData(worker2)).toEqual({
      fileReads: 0,
      tableInputs: 1,
      sharedTables: 1,
      isolated: true,
    });
    expect(served.filter((s) => !s.startsWith('sw '))).toEqual([]);
    await browser.context.setOffline(false);
    await deleteStored(page, 'isolated.csv');
  });

  it('without the headers the page is not isolated and the columns are transferred instead', async () => {
    // A fresh profile whose responses lose COOP/COEP (no service worker, which would bypass routing).
    const dir = mkdtempSync(join(tmpdir(), 'automl-e2e-noniso-'));
    const context: BrowserContext = await chromium.launchPersistentContext(dir, {
      executablePath: inject('chromiumPath'),
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1400, height: 900 },
      serviceWorkers: 'block',
    });
    context.setDefaultTimeout(30_000);
    try {
      let stripped = 0;
      await context.route('**/*', async (route) => {
        const response = await route.fetch();
        const headers = { ...response.headers() };
        if ('cross-origin-embedder-policy' in headers) stripped++;
        delete headers['cross-origin-opener-policy'];
        delete headers['cross-origin-embedder-policy'];
        await route.fulfill({ response, headers });
      });
      studio = await openStudio(context);
      const { page } = studio;
      expect(stripped).toBeGreaterThan(0);
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
      await loadCsv(page, 'fallback.csv');
      await page.getByTestId('nav-train').click();
      const worker = await trainWorker(page);
      expect((await trainOnce(page, 'gbdt', 15)).auc).toBeGreaterThan(0.7);
      expect(await trainData(worker)).toEqual({
        fileReads: 0,
        tableInputs: 1,
        sharedTables: 0,
        isolated: false,
      });
      // the data screen still has its own copy: its charts and a second training run work
      await page.getByTestId('nav-data').click();
      await page
        .locator('[data-testid="schema-row"][data-column="amount"] [data-testid="column-open"]')
        .click();
      await page.getByTestId('column-detail').locator('[data-testid="echart"] canvas').waitFor();
      studio.assertNoErrors();
      await studio.page.close();
      studio = undefined;
    } finally {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
