/**
 * Binary decisions in Chromium (issue 13): on an imbalanced churn sample (5% "Yes", see
 * test/fixtures/decision/README.md) the positive class defaults to the minority class, the threshold
 * is chosen for F1 on the validation holdout so that both classes are predicted, the threshold
 * slider moves the live confusion matrix, and the downloaded bundle's predict.mjs (plain node in a
 * temp folder) gives the same labels as the Score screen, following the bundle's threshold.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBundleZip } from '../../src/core/export/zip.ts';
import { REPO_ROOT } from '../helpers/paths.ts';
import { launchBrowser, openStudio, pickFile, waitForDataset, type Browser } from './helpers.ts';

const DATA = join(REPO_ROOT, 'test/fixtures/decision/churn_imbalanced.csv');
let browser: Browser;
let work = '';

beforeAll(async () => {
  browser = await launchBrowser();
  work = mkdtempSync(join(tmpdir(), 'decision-e2e-'));
});
afterAll(async () => {
  await browser?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const count = async (page: Page, id: string) =>
  Number((await page.getByTestId(id).textContent())!.replace(/,/g, ''));

async function downloadZip(page: Page, name: string): Promise<Record<string, string>> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('train-download-zip').getByTestId('download-zip').click(),
  ]);
  const bytes = new Uint8Array(readFileSync((await download.path())!));
  writeFileSync(join(work, name), bytes);
  return readBundleZip(bytes);
}

/** Runs the bundle's predict.mjs with plain node in a folder of its own. */
function runPredictMjs(files: Record<string, string>, dir: string): string {
  const folder = join(work, dir);
  execFileSync('mkdir', ['-p', folder]);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(folder, name), text);
  return execFileSync(process.execPath, [join(folder, 'predict.mjs'), DATA], {
    encoding: 'utf8',
    cwd: folder,
  });
}

function labelsFollow(csv: string, threshold: number): { yes: number; no: number } {
  const [header, ...rows] = csv.trim().split('\n');
  expect(header).toBe('No,Yes,prediction');
  let yes = 0;
  let no = 0;
  for (const r of rows) {
    const [, pYes, label] = r.split(',');
    expect(label).toBe(Number(pYes) >= threshold ? 'Yes' : 'No');
    if (label === 'Yes') yes++;
    else no++;
  }
  return { yes, no };
}

describe('binary decisions', () => {
  it('minority positive class → F1 threshold → both classes predicted → predict.mjs = Score screen', async () => {
    const studio = await openStudio(browser.context);
    const { page } = studio;
    await pickFile(page, DATA);
    await waitForDataset(page, 'churn_imbalanced.csv');
    if ((await page.getByTestId('target-select').inputValue()) !== 'churn')
      await page.getByTestId('target-select').selectOption('churn');
    await expect.poll(() => page.getByTestId('task-select').inputValue()).toBe('binary');

    // The positive class defaults to the minority class, with the reason in words.
    await expect.poll(() => page.getByTestId('positive-class-select').inputValue()).toBe('Yes');
    expect(await page.getByTestId('positive-class-reason').textContent()).toContain(
      'Yes (the minority class, 5%)',
    );

    // One GBDT on the validation holdout.
    await page.getByTestId('nav-train').click();
    await page.getByTestId('train-screen').waitFor();
    await page.getByTestId('mode-single').check();
    await page.getByTestId('family-select').selectOption('gbdt');
    await page.getByTestId('iterations-input').fill('60');
    await page.getByTestId('iterations-input').dispatchEvent('change');
    await page.getByTestId('train-button').click();
    const results = page.getByTestId('train-results');
    await results.waitFor({ timeout: 180_000 });

    // The threshold was chosen for F1; both classes are predicted on the held-out rows.
    const panel = page.getByTestId('decision-panel');
    await panel.waitFor();
    const chosen = await page.getByTestId('decision-chosen-for').textContent();
    expect(chosen).toContain('chosen for F1');
    expect(chosen).toContain('Positive class: Yes (the minority class, 5%)');
    expect(await page.getByTestId('decision-positive').inputValue()).toBe('Yes');
    const tp = await count(page, 'decision-tp');
    const fp = await count(page, 'decision-fp');
    const tn = await count(page, 'decision-tn');
    const fn = await count(page, 'decision-fn');
    expect(tp).toBeGreaterThan(0);
    expect(tn + fn).toBeGreaterThan(0);
    expect(tp + fp + tn + fn).toBe(Number(await page.getByTestId('valid-rows').textContent()));
    // The results' confusion matrix (at the chosen threshold) predicts both classes too.
    const cells = (await results.getByTestId('confusion-cell').allTextContents()).map((t) =>
      Number(t.replace(/,/g, '')),
    );
    expect(cells).toHaveLength(4);
    expect(cells[0] + cells[2]).toBeGreaterThan(0); // predicted No
    expect(cells[1] + cells[3]).toBeGreaterThan(0); // predicted Yes
    await page.getByTestId('gains-chart').waitFor();
    await page.getByTestId('lift-chart').waitFor();

    // The downloaded bundle carries the decision; predict.mjs applies it.
    const files = await downloadZip(page, 'f1.zip');
    const manifest = JSON.parse(files['manifest.json']);
    expect(manifest.decision).toMatchObject({ positiveClass: 'Yes', chosenFor: 'f1' });
    const t = manifest.decision.threshold as number;
    expect(t).toBeLessThan(0.5);
    expect(Number(await page.getByTestId('decision-threshold-value').textContent())).toBeCloseTo(t, 4);
    const scored = runPredictMjs(files, 'f1');
    const split = labelsFollow(scored, t);
    expect(split.yes).toBeGreaterThan(0);
    expect(split.no).toBeGreaterThan(0);

    // Moving the slider updates the live matrix, and the next download carries that threshold.
    await page.getByTestId('decision-threshold').fill('0.9');
    await expect.poll(() => page.getByTestId('decision-chosen-for').textContent()).toContain('set by you');
    expect((await count(page, 'decision-tp')) + (await count(page, 'decision-fp'))).toBeLessThan(tp + fp);
    const moved = JSON.parse((await downloadZip(page, 'moved.zip'))['manifest.json']);
    expect(moved.decision).toMatchObject({ positiveClass: 'Yes', threshold: 0.9, chosenFor: 'manual' });
    // Re-choosing for F1 gives the trained threshold back.
    await page.getByTestId('decision-objective').selectOption('f1');
    await page.getByTestId('decision-choose').click();
    await expect.poll(() => page.getByTestId('decision-chosen-for').textContent()).toContain('chosen for F1');
    expect(await count(page, 'decision-tp')).toBe(tp);

    // The Score screen, with the same zip, gives the same labels as predict.mjs.
    await page.getByTestId('nav-score').click();
    await page.getByTestId('score-screen').waitFor();
    await page
      .getByTestId('score-screen')
      .getByTestId('bundle-zip-input')
      .setInputFiles(join(work, 'f1.zip'));
    await page.getByTestId('bundle-imported').waitFor({ timeout: 60_000 });
    await page.getByTestId('score-csv-input').setInputFiles(DATA);
    await page.getByTestId('score-button').click();
    await page.getByTestId('score-result').waitFor({ timeout: 60_000 });
    const [preds] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('score-download').click(),
    ]);
    const screen = readFileSync((await preds.path())!, 'utf8');
    expect(screen).toBe(scored);
    studio.assertNoErrors();
    await page.close();
  }, 400_000);

  it('a search chooses the threshold out-of-fold for the positive class picked on the Data screen', async () => {
    const studio = await openStudio(browser.context);
    const { page } = studio;
    await pickFile(page, DATA);
    await waitForDataset(page, 'churn_imbalanced.csv');
    if ((await page.getByTestId('target-select').inputValue()) !== 'churn')
      await page.getByTestId('target-select').selectOption('churn');
    await expect.poll(() => page.getByTestId('positive-class-select').inputValue()).toBe('Yes');
    await page.getByTestId('threshold-for-select').selectOption('balanced_accuracy');

    await page.getByTestId('nav-train').click();
    await page.getByTestId('search-panel').waitFor();
    for (const f of ['random_forest', 'linear', 'mlp'])
      await page.getByTestId(`search-family-${f}`).uncheck();
    await page.getByTestId('max-trials-input').fill('2');
    await page.getByTestId('max-trials-input').dispatchEvent('change');
    await page.getByTestId('search-start').click();
    await page.getByTestId('search-results').waitFor({ timeout: 240_000 });
    await page.getByTestId('decision-panel').waitFor();
    expect(await page.getByTestId('decision-chosen-for').textContent()).toContain('balanced accuracy');
    expect(await count(page, 'decision-tp')).toBeGreaterThan(0);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('search-download-zip').getByTestId('download-zip').click(),
    ]);
    const files = readBundleZip(new Uint8Array(readFileSync((await download.path())!)));
    const decision = JSON.parse(files['manifest.json']).decision;
    expect(decision).toMatchObject({ positiveClass: 'Yes', chosenFor: 'balanced_accuracy' });
    labelsFollow(runPredictMjs(files, 'search'), decision.threshold);
    studio.assertNoErrors();
    await page.close();
  }, 400_000);
});
