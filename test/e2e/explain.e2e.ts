/**
 * Explanations in Chromium (issue 18): a small search → its run page → the Explain tab computes (in
 * the bundle worker) and shows global importance, the beeswarm, a dependence plot, PDP/ICE and a
 * waterfall whose steps add up to the shown output; the view is stored with the run (explain.json),
 * so after a reload the tab reads it instead of computing again (same "computed at" stamp); the Score
 * screen adds the top 3 reasons per row, in the preview and in the downloaded CSV, where base value +
 * reasons + the rest = the explained output.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  datasetPath,
  injectScript,
  launchBrowser,
  openStudio,
  pickFile,
  waitForDataset,
  type Browser,
} from './helpers.ts';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Serious and critical axe violations on the page as it is now. */
async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await injectScript(page, AXE_SOURCE);
  const violations = (await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run: (c: unknown, o: unknown) => Promise<{ violations: unknown[] }> } }
    ).axe;
    return (await axe.run(document, { resultTypes: ['violations'] })).violations;
  })) as { id: string; impact: string; nodes: { target: string[] }[] }[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.impact} ${v.id}: ${v.nodes
          .slice(0, 3)
          .map((n) => n.target.join(' '))
          .join(' | ')}`,
    );
}

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

async function openSearchRun(page: Page): Promise<void> {
  await page.getByTestId('nav-experiments').click();
  const exp = page.getByTestId('experiment-row').first();
  await exp.waitFor();
  await exp.getByTestId('experiment-open').click();
  await page.getByTestId('experiment-title').waitFor();
  const row = page.locator('[data-testid="run-row"][data-run-name="automl search"]');
  await row.waitFor();
  await row.getByTestId('run-open').click();
  await page.getByTestId('run-page').waitFor();
}

/** The waterfall's table: base + steps = output. */
async function checkWaterfall(page: Page): Promise<void> {
  const value = async (id: string) => Number(await page.getByTestId(id).getAttribute('data-value'));
  const base = await value('explain-wf-base');
  const steps = (
    await page
      .getByTestId('explain-wf-step')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-value')))
  ).map(Number);
  const output = await value('explain-wf-output');
  expect(Number.isFinite(base) && Number.isFinite(output)).toBe(true);
  expect(steps.length).toBeGreaterThan(0);
  const sum = steps.reduce((a, b) => a + b, base);
  expect(Math.abs(sum - output)).toBeLessThan(1e-9 * Math.max(1, Math.abs(output)));
}

describe('Explain', () => {
  it('run page → Explain shows the charts; a reload reads them from the run; Score adds reasons', async () => {
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
    await page.getByTestId('max-trials-input').fill('2');
    await page.getByTestId('max-trials-input').dispatchEvent('change');
    await page.getByTestId('search-start').click();
    await page.getByTestId('search-results').waitFor({ timeout: 240_000 });

    await openSearchRun(page);
    await page.getByTestId('run-tab-explain').click();
    const stamp = page.getByTestId('explain-computed-at');
    await stamp.waitFor({ timeout: 180_000 });
    expect(await stamp.getAttribute('data-origin')).toBe('computed');
    const computedAt = await stamp.getAttribute('data-computed-at');
    expect(Number(computedAt)).toBeGreaterThan(0);
    // a search's model is an ensemble (sampling Shapley values) or a single GBDT (TreeSHAP)
    expect(await page.getByTestId('explain-method').textContent()).toMatch(
      /TreeSHAP|sampling Shapley values \(8 seeded permutations/,
    );
    // global importance: every input column, with permutation importance (the data has the target)
    const imp = page.locator('[data-testid="explain-importance"] tbody tr');
    expect(await imp.count()).toBeGreaterThanOrEqual(5);
    expect(await page.locator('[data-testid="explain-importance"] thead th').allTextContents()).toContain(
      'Drop in log_loss',
    );
    for (const id of ['explain-beeswarm', 'explain-dependence', 'explain-pdp', 'explain-waterfall'])
      await page.getByTestId(id).locator('canvas').first().waitFor();
    await checkWaterfall(page);
    // another row, another column: still adds up
    await page.getByTestId('explain-row').selectOption({ index: 7 });
    await checkWaterfall(page);
    await page.getByTestId('explain-dependence-column').selectOption({ index: 2 });
    await page.getByTestId('explain-dependence').locator('canvas').first().waitFor();
    // keyboard: arrows move between the tabs
    await page.getByTestId('run-tab-explain').focus();
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => page.getByTestId('run-tab-overview').getAttribute('aria-selected')).toBe('true');
    // stored with the run
    await page.locator('[data-artifact="explain.json"]').waitFor({ timeout: 30_000 });

    // after a reload, the tab reads the stored view: same stamp, nothing computed
    await page.reload();
    await page.getByRole('heading', { name: 'AutoML Studio' }).waitFor();
    await openSearchRun(page);
    await page.getByTestId('run-tab-explain').click();
    await stamp.waitFor({ timeout: 60_000 });
    expect(await stamp.getAttribute('data-origin')).toBe('stored');
    expect(await stamp.getAttribute('data-computed-at')).toBe(computedAt);
    await page.getByTestId('explain-waterfall').locator('canvas').first().waitFor();
    await checkWaterfall(page);
    expect(await axeViolations(page), 'axe on the Explain tab').toEqual([]);
    await page.screenshot({ path: 'test-results/explain/explain-1400.png', fullPage: true });
    // 390 px wide: the page never scrolls sideways
    await page.setViewportSize({ width: 390, height: 844 });
    await expect
      .poll(() => page.evaluate(() => document.documentElement.scrollWidth))
      .toBeLessThanOrEqual(390);
    expect(await axeViolations(page), 'axe on the Explain tab at 390 px').toEqual([]);
    await page.screenshot({ path: 'test-results/explain/explain-390.png', fullPage: true });
    await page.setViewportSize({ width: 1400, height: 900 });

    // "Compute again" replaces it with a new computation
    await page.getByTestId('explain-recompute').click();
    await expect
      .poll(() => stamp.getAttribute('data-computed-at'), { timeout: 120_000 })
      .not.toBe(computedAt);
    expect(await stamp.getAttribute('data-origin')).toBe('computed');

    // Score with reasons: the run's model, penguins test.csv
    await page.getByTestId('run-tab-overview').click();
    const work = mkdtempSync(join(tmpdir(), 'automl-explain-e2e-'));
    const [dl] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('run-page-download').click(),
    ]);
    const zip = join(work, 'model.zip');
    await dl.saveAs(zip);
    await page.getByTestId('nav-score').click();
    await page.getByTestId('score-screen').waitFor();
    await page.getByTestId('score-screen').getByTestId('bundle-zip-input').setInputFiles(zip);
    await page.getByTestId('bundle-imported').waitFor({ timeout: 60_000 });
    await page.getByTestId('score-with-reasons').check();
    await page.getByTestId('score-csv-input').setInputFiles(datasetPath('penguins', 'test.csv'));
    await page.getByTestId('score-result').waitFor({ timeout: 60_000 });
    await page.getByTestId('score-reasons-method').waitFor();
    const rows = Number(await page.getByTestId('score-result').getAttribute('data-rows'));
    const cells = page.getByTestId('score-reasons');
    expect(await cells.count()).toBe(Math.min(100, rows));
    expect(await cells.first().getByTestId('score-reason').count()).toBe(3);
    const [preds] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('score-download').click(),
    ]);
    const csv = readFileSync((await preds.path())!, 'utf8')
      .trim()
      .split('\n');
    const head = csv[0]!.split(',');
    for (const h of [
      'explained_class',
      'base_value',
      'reason_1',
      'reason_3_contribution',
      'explained_output',
    ])
      expect(head).toContain(h);
    const at = (cells: string[], name: string) => Number(cells[head.indexOf(name)]);
    for (const line of csv.slice(1, 20)) {
      const c = line.split(',');
      expect(c[head.indexOf('explained_class')]).toBe(c[head.indexOf('prediction')]);
      const sum =
        at(c, 'base_value') +
        at(c, 'reason_1_contribution') +
        at(c, 'reason_2_contribution') +
        at(c, 'reason_3_contribution') +
        at(c, 'other_contribution');
      expect(Math.abs(sum - at(c, 'explained_output'))).toBeLessThan(1e-9 * Math.max(1, Math.abs(sum)));
    }
    // unticking gives the plain predictions back
    await page.getByTestId('score-with-reasons').uncheck();
    await expect.poll(() => page.getByTestId('score-reasons').count(), { timeout: 60_000 }).toBe(0);
    studio.assertNoErrors();
    await page.close();
  }, 600_000);
});
