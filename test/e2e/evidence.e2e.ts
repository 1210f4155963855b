/**
 * Every run carries its evidence (issue 13): a real AutoML search in Chromium records, per trial,
 * the task's full metric set out-of-fold, its confusion matrix and feature importance; Compare of
 * three trials shows each one's confusion matrix and importance side by side; clicking a run's name
 * opens its run page (parameters, metrics in words with the key on hover, lineage, artifacts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetPath, launchBrowser, openStudio, pickFile, waitForDataset, type Browser } from './helpers.ts';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe('Evidence per trial', () => {
  it('a search records each trial’s evidence; Compare shows it side by side; a run page opens from the name', async () => {
    const studio = await openStudio(browser.context);
    const { page } = studio;
    await pickFile(page, datasetPath('penguins'));
    await waitForDataset(page, 'train.csv');
    if ((await page.getByTestId('target-select').inputValue()) !== 'species')
      await page.getByTestId('target-select').selectOption('species');
    await page.getByTestId('nav-train').click();
    await page.getByTestId('search-panel').waitFor();
    for (const f of ['gbdt', 'random_forest', 'linear', 'mlp']) {
      const box = page.getByTestId(`search-family-${f}`);
      if (f === 'gbdt') await box.check();
      else await box.uncheck();
    }
    await page.getByTestId('max-trials-input').fill('4');
    await page.getByTestId('max-trials-input').dispatchEvent('change');
    await page.getByTestId('search-start').click();
    await page.getByTestId('search-results').waitFor({ timeout: 240_000 });
    await page.getByTestId('search-open-run').click();
    await page.getByTestId('experiment-title').waitFor();

    const trialRows = page.locator('[data-testid="run-row"][data-run-name^="trial "]');
    await expect.poll(() => trialRows.count()).toBe(4);
    const finished = page.locator(
      '[data-testid="run-row"][data-run-name^="trial "]:has([data-testid="run-state"]:text("FINISHED"))',
    );
    expect(await finished.count()).toBeGreaterThanOrEqual(3);
    const names = (
      await finished.evaluateAll((els) => els.map((e) => e.getAttribute('data-run-name')))
    ).slice(0, 3) as string[];
    for (const n of names)
      await page.locator(`[data-testid="run-row"][data-run-name="${n}"]`).getByTestId('run-select').check();
    await page.getByTestId('compare-button').click();
    await page.getByTestId('compare-view').waitFor();

    // The full metric set, in words with the raw key on hover; no "best" for spreads.
    const metricRow = (k: string) => page.locator(`[data-testid="compare-metric-row"][data-metric="${k}"]`);
    for (const k of ['accuracy', 'balanced_accuracy', 'macro_f1', 'log_loss']) await metricRow(k).waitFor();
    expect(await metricRow('balanced_accuracy').locator('th').textContent()).toContain('Balanced accuracy');
    expect(await metricRow('balanced_accuracy').locator('th').getAttribute('title')).toBe(
      'balanced_accuracy',
    );
    expect(await metricRow('log_loss_std').locator('td.best').count()).toBe(0);
    expect(await metricRow('log_loss').locator('td.best').count()).toBeGreaterThan(0);

    // Each trial's confusion matrix and importance, side by side.
    const perRun = page.getByTestId('run-charts');
    await expect.poll(() => perRun.count()).toBe(3);
    for (let i = 0; i < 3; i++) {
      const card = perRun.nth(i);
      await card.getByTestId('chart-confusion').locator('canvas').first().waitFor();
      await card.getByTestId('chart-importance').locator('canvas').first().waitFor();
    }
    // Per-fold values are drawn as folds, not as a learning curve.
    await page.getByTestId('chart-folds').locator('canvas').first().waitFor();

    // The run page opens from a click on a run's name (Compare header), with lineage and evidence.
    await page.getByTestId('compare-run-open').first().click();
    const runPage = page.getByTestId('run-page');
    await runPage.waitFor();
    expect(names).toContain(await runPage.getByTestId('run-page-name').textContent());
    // A friendly default experiment name: file name without .csv, target, date.
    expect(await runPage.getByTestId('run-page-experiment').textContent()).toMatch(
      /^train → species \(\d{4}-\d{2}-\d{2}\)$/,
    );
    expect(await runPage.getByTestId('run-page-dataset').textContent()).toContain('train.csv');
    expect(await runPage.getByTestId('run-page-parent').textContent()).toBe('automl search');
    const m = runPage.locator('[data-testid="run-page-metrics"] tr[data-metric="balanced_accuracy"] th');
    expect(await m.textContent()).toBe('Balanced accuracy');
    expect(await m.getAttribute('title')).toMatch(/^balanced_accuracy: /);
    await runPage.getByTestId('chart-confusion').locator('canvas').first().waitFor();
    expect(await runPage.locator('[data-artifact="charts/feature-importance.json"]').count()).toBe(1);
    // A trial has no stored model: Register says why.
    expect(await runPage.getByTestId('run-page-register').isDisabled()).toBe(true);
    expect(await runPage.getByTestId('run-page-no-model').textContent()).toMatch(/trial of a search/);

    // Its parent search is one click away, and from the runs table a name opens its page too.
    await runPage.getByTestId('run-page-parent').click();
    await expect.poll(() => runPage.getByTestId('run-page-name').textContent()).toBe('automl search');
    expect(await runPage.getByTestId('run-page-register').isDisabled()).toBe(false);
    await runPage.getByTestId('run-page-back').click();
    await page.getByTestId('back-to-runs').click();
    await page
      .locator(`[data-testid="run-row"][data-run-name="${names[0]}"]`)
      .getByTestId('run-open')
      .click();
    await expect.poll(() => page.getByTestId('run-page-name').textContent()).toBe(names[0]);

    studio.assertNoErrors();
    await page.close();
  });
});
