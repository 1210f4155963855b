/**
 * Content Security Policy and "nothing leaves the machine": one whole visit in Chromium — load, a
 * bundled sample, an AutoML search, compare, export (download the zip), import and register it, the
 * version's download, batch scoring, an offline reload — with every request the browser makes
 * recorded (page, workers, service worker) and every CSP violation collected (the page's
 * `securitypolicyviolation` events, each worker's, and "Refused to …" console reports). None may go to
 * another origin, and none may be reported.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Worker } from 'playwright-core';
import { readBundleZip } from '../../src/core/export/zip.ts';
import { datasetPath, launchBrowser, openStudio, waitForDataset, type Browser } from './helpers.ts';

let browser: Browser;
const work = mkdtempSync(join(tmpdir(), 'automl-csp-'));

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('content security policy', () => {
  it('a whole visit stays on its own origin and violates nothing', async () => {
    const origin = new URL(inject('baseUrl')).origin;
    const requests: string[] = [];
    const violations: string[] = [];
    const { context } = browser;
    context.on('request', (r) => requests.push(r.url()));
    await context.addInitScript(() => {
      const w = window as unknown as { __csp: string[] };
      w.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        w.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`),
      );
    });
    const workers: Worker[] = [];
    const watchWorker = (w: Worker) => {
      workers.push(w);
      void w
        .evaluate(() => {
          const g = self as unknown as { __csp: string[] };
          g.__csp = [];
          self.addEventListener('securitypolicyviolation', (e) =>
            g.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`),
          );
        })
        .catch(() => undefined);
    };
    const studio = await openStudio(context);
    const { page } = studio;
    page.on('worker', watchWorker);
    for (const w of page.workers()) watchWorker(w);
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(`console: ${m.text()}`);
    });
    const collect = async () => {
      violations.push(...(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp)));
      for (const w of workers)
        violations.push(
          ...((await w
            .evaluate(() => (self as unknown as { __csp?: string[] }).__csp ?? [])
            .catch(() => [])) as string[]),
        );
    };

    // The policy is the one index.html declares.
    const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    expect(csp).toMatch(/script-src 'self' 'wasm-unsafe-eval'/);
    expect(csp).toMatch(/connect-src 'self'/);
    expect(csp).not.toMatch(/'unsafe-inline'|'unsafe-eval'|https?:|\*/);
    // The server sends the same policy as a header (workers take theirs from their own response).
    const header = (await page.request.get(inject('baseUrl'))).headers()['content-security-policy'];
    expect(header).toBe(csp);

    // The detector works: an inline script is refused and reported (then forgotten).
    const ran = await page.evaluate(() => {
      const el = document.createElement('script');
      el.textContent = 'window.__inlineRan = true';
      document.head.append(el);
      el.remove();
      return (window as unknown as { __inlineRan?: boolean }).__inlineRan === true;
    });
    expect(ran).toBe(false);
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp.join('\n')))
      .toMatch(/script-src/);
    await page.evaluate(() => ((window as unknown as { __csp: string[] }).__csp.length = 0));
    await expect.poll(() => studio.errors.join('\n')).toMatch(/Content Security Policy/);
    violations.length = 0;
    studio.errors.length = 0;

    // Ingest a bundled sample.
    await page.locator('[data-testid="sample"][data-sample="penguins"]').click();
    await waitForDataset(page, 'penguins.csv');

    // A short search (GBDT and linear: the WASM backends), then download the model zip.
    await page.getByTestId('nav-train').click();
    await page.getByTestId('search-panel').waitFor();
    for (const f of ['random_forest', 'mlp']) await page.getByTestId(`search-family-${f}`).uncheck();
    await page.getByTestId('max-trials-input').fill('4');
    await page.getByTestId('max-trials-input').dispatchEvent('change');
    await page.getByTestId('search-start').click();
    await page.getByTestId('search-results').waitFor({ timeout: 240_000 });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('search-download-zip').getByTestId('download-zip').click(),
    ]);
    const zipPath = join(work, 'model.zip');
    copyFileSync((await download.path())!, zipPath);
    // Signed by this studio's key (IndexedDB), covering every file's hash.
    const files = readBundleZip(new Uint8Array(readFileSync(zipPath)));
    expect(JSON.parse(files['manifest.sig'])).toMatchObject({ algorithm: 'Ed25519' });

    // Compare two trials of the search.
    await page.getByTestId('nav-experiments').click();
    await page.getByTestId('experiment-open').first().click();
    const trials = page.locator('[data-testid="run-row"][data-run-name^="trial"]');
    await expect.poll(() => trials.count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    for (const i of [0, 1]) await trials.nth(i).getByTestId('run-select').check();
    await page.getByTestId('compare-button').click();
    await page.getByTestId('compare-view').waitFor();
    await page.getByTestId('chart-parallel').first().locator('canvas').first().waitFor();

    // Import the zip as a model version: the studio recognises its own signature.
    await page.getByTestId('nav-models').click();
    const importBox = page.getByTestId('models-import');
    await importBox.locator('summary').click();
    await importBox.getByTestId('bundle-zip-input').setInputFiles(zipPath);
    await expect.poll(() => importBox.textContent()).toMatch(/signed by [0-9a-f]{32} \(this studio\)/);
    const own = JSON.parse(files['manifest.sig']).fingerprint as string;
    expect(await importBox.getByTestId('bundle-imported').getAttribute('data-provenance')).toBe(
      `signed by ${own} (this studio)`,
    );
    await importBox.getByTestId('trusted-keys-toggle').click();
    await expect.poll(() => importBox.getByTestId('own-fingerprint').textContent()).toBe(own);
    await importBox.getByTestId('import-model-name').fill('csp-check');
    await importBox.getByTestId('import-register').click();
    await expect
      .poll(() => importBox.getByTestId('import-registered').textContent())
      .toContain('csp-check version 1');
    const row = page.locator('[data-testid="version-row"][data-version="1"]');
    await row.waitFor();
    const [again] = await Promise.all([
      page.waitForEvent('download'),
      row.getByTestId('version-download').click(),
    ]);
    const againFiles = readBundleZip(new Uint8Array(readFileSync((await again.path())!)));
    expect(againFiles['model.json']).toBe(files['model.json']);
    expect(againFiles['manifest.sig']).toBeDefined();

    // Batch scoring.
    await row.getByTestId('version-score').click();
    await page.getByTestId('score-screen').waitFor();
    await page.getByTestId('score-csv-input').setInputFiles(datasetPath('penguins', 'test.csv'));
    await page.getByTestId('score-button').click();
    await page.getByTestId('score-result').waitFor({ timeout: 60_000 });
    await Promise.all([page.waitForEvent('download'), page.getByTestId('score-download').click()]);
    await collect();

    // Offline reload, served by the service worker under the same policy.
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller?.state)).toBe('activated');
    await context.setOffline(true);
    await page.reload();
    await page.getByRole('heading', { name: 'AutoML Studio' }).waitFor();
    await page.locator('[data-testid="sample"][data-sample="diabetes"]').click();
    await waitForDataset(page, 'diabetes.csv');
    await collect();
    await context.setOffline(false);

    const foreign = requests.filter((u) => {
      if (u.startsWith('blob:') || u.startsWith('data:')) return false;
      return new URL(u).origin !== origin;
    });
    console.log(`CSP visit: ${requests.length} requests, all to ${origin}`);
    expect(requests.length).toBeGreaterThan(10);
    expect(foreign).toEqual([]);
    expect(violations).toEqual([]);
    studio.assertNoErrors();
  });
});
