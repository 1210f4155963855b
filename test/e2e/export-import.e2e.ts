/**
 * The whole export path in Chromium: train on a dataset with an AutoML search, download the model
 * as a zip, import it into a fresh browser profile as a model version, batch-score test.csv there,
 * download the predictions — and score.py accepts them. The version's zip also verifies by replay.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBundleZip } from '../../src/core/export/zip.ts';
import { datasetPath, launchBrowser, openStudio, pickFile, waitForDataset, type Browser } from './helpers.ts';

let first: Browser;
let fresh: Browser;
const work = mkdtempSync(join(tmpdir(), 'automl-export-'));

beforeAll(async () => {
  [first, fresh] = await Promise.all([launchBrowser(), launchBrowser()]);
});
afterAll(async () => {
  await Promise.all([first?.close(), fresh?.close()]);
  rmSync(work, { recursive: true, force: true });
});

describe('export, import into a fresh profile, batch scoring', () => {
  it('a search’s best model goes from one profile to another and scores test.csv', async () => {
    // 1. Train in the first profile and download the model as a zip.
    const a = await openStudio(first.context);
    await pickFile(a.page, datasetPath('penguins'));
    await waitForDataset(a.page, 'train.csv');
    await a.page.getByTestId('nav-train').click();
    await a.page.getByTestId('search-panel').waitFor();
    for (const f of ['random_forest', 'mlp']) await a.page.getByTestId(`search-family-${f}`).uncheck();
    await a.page.getByTestId('max-trials-input').fill('4');
    await a.page.getByTestId('max-trials-input').dispatchEvent('change');
    await a.page.getByTestId('search-start').click();
    await a.page.getByTestId('search-results').waitFor({ timeout: 240_000 });
    const [download] = await Promise.all([
      a.page.waitForEvent('download'),
      a.page.getByTestId('search-download-zip').getByTestId('download-zip').click(),
    ]);
    const zipPath = join(work, 'model.zip');
    copyFileSync((await download.path())!, zipPath);
    const files = readBundleZip(new Uint8Array(readFileSync(zipPath)));
    expect(Object.keys(files)).toEqual(
      expect.arrayContaining(['manifest.json', 'MODEL_CARD.md', 'predict.mjs']),
    );
    a.assertNoErrors();

    // 2. Import it into a fresh profile as a model version.
    const b = await openStudio(fresh.context);
    const page = b.page;
    await page.getByTestId('nav-models').click();
    const importBox = page.getByTestId('models-import');
    await importBox.locator('summary').click();
    await importBox.getByTestId('bundle-zip-input').setInputFiles(zipPath);
    await importBox.getByTestId('import-model-name').fill('penguins-species');
    await importBox.getByTestId('import-register').click();
    await expect
      .poll(() => importBox.getByTestId('import-registered').textContent())
      .toContain('penguins-species version 1');
    const row = page.locator('[data-testid="version-row"][data-version="1"]');
    await row.waitFor();
    expect(await row.getByTestId('lineage-dataset').textContent()).toContain('train.csv');

    // 3. Batch-score test.csv with that version and download the predictions.
    await row.getByTestId('version-score').click();
    await page.getByTestId('score-screen').waitFor();
    await expect.poll(() => page.getByTestId('score-model-select').inputValue()).toBe('penguins-species@1');
    await page.getByTestId('score-csv-input').setInputFiles(datasetPath('penguins', 'test.csv'));
    await page.getByTestId('score-button').click();
    await page.getByTestId('score-result').waitFor({ timeout: 60_000 });
    const [preds] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('score-download').click(),
    ]);
    const predsPath = join(work, 'predictions.csv');
    copyFileSync((await preds.path())!, predsPath);
    const datasets = dirname(dirname(datasetPath('penguins')));
    const scored = execFileSync(
      '/usr/bin/python3',
      [join(datasets, 'score.py'), join(datasets, 'penguins'), predsPath],
      { encoding: 'utf8' },
    );
    const result = JSON.parse(scored) as { n: number; metrics: Record<string, number> };
    console.log(`score.py on the imported model's predictions: ${JSON.stringify(result.metrics)}`);
    expect(result.metrics.accuracy).toBeGreaterThan(0.9);
    expect(result.metrics.log_loss).toBeLessThan(0.3);

    // 4. The imported version verifies by replay on its training data.
    await page.getByTestId('nav-models').click();
    await row.getByTestId('version-verify').click();
    await row.getByTestId('verify-bundle').waitFor();
    await row.locator('input[type="file"]').setInputFiles(datasetPath('penguins'));
    await row.getByTestId('verify-button').click();
    await expect
      .poll(() => row.getByTestId('verify-verdict').textContent(), { timeout: 180_000 })
      .toContain('✓ Reproduced');
    expect(await row.getByTestId('verify-verdict').getAttribute('data-verdict')).toBe('reproduced');
    b.assertNoErrors();
  });
});
