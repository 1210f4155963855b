/**
 * The whole export path in Chromium: train on a dataset with an AutoML search, download the model
 * as a zip, import it into a fresh browser profile as a model version, batch-score test.csv there,
 * download the predictions — and score.py accepts them. The version's zip also verifies by replay.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBundleZip } from '../../src/core/export/zip.ts';
import {
  cli,
  datasetPath,
  launchBrowser,
  openStudio,
  pickFile,
  registerBundle,
  waitForDataset,
  type Browser,
} from './helpers.ts';

let first: Browser;
let fresh: Browser;
const work = mkdtempSync(join(tmpdir(), 'automl-export-'));
/** Zips made in the browser, by what made them. */
const browserZips: Record<string, string> = {};

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
    browserZips.ensemble = zipPath;
    const files = readBundleZip(new Uint8Array(readFileSync(zipPath)));
    expect(Object.keys(files)).toEqual(
      expect.arrayContaining(['manifest.json', 'MODEL_CARD.md', 'predict.mjs']),
    );
    a.assertNoErrors();

    // 2. Import it into a fresh profile as a model version.
    const b = await openStudio(fresh.context);
    const page = b.page;
    const row = await registerBundle(page, zipPath, 'penguins-species');
    expect(await row.getByTestId('lineage-dataset').textContent()).toContain('train.csv');

    // The owner is asked for the intended use; the downloaded zip's model card carries it.
    await row.getByTestId('intended-use-prompt').getByRole('button').click();
    await row.getByTestId('intended-use-input').fill('Teaching demo: species from bill and flipper sizes.');
    await row.getByTestId('intended-use-save').click();
    await expect.poll(() => row.getByTestId('intended-use').textContent()).toContain('Teaching demo');
    const [shared] = await Promise.all([
      page.waitForEvent('download'),
      row.getByTestId('version-download').click(),
    ]);
    const sharedFiles = readBundleZip(new Uint8Array(readFileSync((await shared.path())!)));
    expect(sharedFiles['MODEL_CARD.md']).toContain('Teaching demo: species from bill and flipper sizes.');
    expect(sharedFiles['MODEL_CARD.md']).not.toContain('TO BE FILLED IN');
    expect(sharedFiles['model.json']).toBe(files['model.json']);

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

  it('bundles made in the browser reproduce in Node (cli reproduce); a changed cell does not', async () => {
    const a = await openStudio(first.context);
    const { page } = a;
    await pickFile(page, datasetPath('penguins'));
    await waitForDataset(page, 'train.csv');
    await page.getByTestId('nav-train').click();
    await page.getByTestId('mode-single').check();
    for (const family of ['gbdt', 'linear', 'mlp']) {
      await page.getByTestId('family-select').selectOption(family);
      if (family !== 'gbdt') await page.getByTestId('backend-select').selectOption('wasm');
      await page.getByTestId('iterations-input').fill('25');
      await page.getByTestId('iterations-input').dispatchEvent('change');
      const before = await page.getByTestId('train-results').count();
      await page.getByTestId('train-button').click();
      if (before) await page.getByTestId('train-results').waitFor({ state: 'detached' });
      await page.getByTestId('train-results').waitFor({ timeout: 120_000 });
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByTestId('train-download-zip').getByTestId('download-zip').click(),
      ]);
      browserZips[family] = join(work, `${family}.zip`);
      copyFileSync((await download.path())!, browserZips[family]);
    }
    a.assertNoErrors();
    expect(Object.keys(browserZips).sort()).toEqual(['ensemble', 'gbdt', 'linear', 'mlp']);

    const train = datasetPath('penguins');
    for (const [made, zip] of Object.entries(browserZips)) {
      const r = await cli(['reproduce', zip, '--data', train]);
      expect(r.out, made).toMatch(/verdict: reproduced\n$/);
      expect(r.code, made).toBe(0);
    }
    // One changed cell: the fingerprint differs and the refit's predictions differ somewhere.
    const lines = readFileSync(train, 'utf8').split('\n');
    const cells = lines[5].split(',');
    cells[2] = String(Number(cells[2]) + 7.5); // bill_length_mm
    lines[5] = cells.join(',');
    const changed = join(work, 'train.csv');
    writeFileSync(changed, lines.join('\n'));
    const r = await cli(['reproduce', browserZips.gbdt, '--data', changed]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/fingerprint differs/);
    expect(r.out).toMatch(/first differing prediction/i);
    expect(r.out).toMatch(/verdict: not reproduced\n$/);
  });
});
