/**
 * Explain of a model trained on recipe features, in Chromium (issues 18 and 20): the shop's three
 * tables → the suggested features used → a GBDT search → its run's Explain tab computes the view on
 * the recipe's target table with the features computed from the project's kept related table
 * (src/core/explain/explain-data.ts, until now tested only in Node). Importance is by the user's
 * columns, the computed feature columns among them; the note names the recipe and the table it was
 * computed from; the waterfall's steps add up to the shown output, and that output is the one
 * `cli predict --explain` gives for the same row of customers.csv with the same related table — so
 * the page computed the features as Score does.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliOk, launchBrowser, openStudio, type Browser } from './helpers.ts';
import { SHOP_FILES, clearProject, searchGbdt, useShopFeatures } from './features-shop.ts';

let browser: Browser;
const work = mkdtempSync(join(tmpdir(), 'automl-explain-features-'));

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  rmSync(work, { recursive: true, force: true });
});

/** The waterfall's table: base + steps = output (within 1e-9); returns the output. */
async function checkWaterfall(page: Page): Promise<number> {
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
  return output;
}

/** The data row (1-based) of the waterfall's chosen sampled row, from its option "row N — prediction …". */
async function waterfallRow(page: Page): Promise<{ row: number; prediction: string }> {
  const text = await page
    .getByTestId('explain-row')
    .evaluate((s: HTMLSelectElement) => s.selectedOptions[0]?.textContent ?? '');
  const m = /^row ([\d,]+) — prediction (.+)$/.exec(text.trim());
  expect(m, text).not.toBeNull();
  return { row: Number(m![1]!.replace(/,/g, '')), prediction: m![2]! };
}

describe('Explain of a model on recipe features', () => {
  it('features → search → Explain: importance by the user’s columns and features, a waterfall as cli predict --explain', async () => {
    const studio = await openStudio(browser.context);
    const { page } = studio;
    const features = await useShopFeatures(page);
    expect(features.length).toBeGreaterThan(0);
    await searchGbdt(page, 2);

    await page.getByTestId('nav-experiments').click();
    await page.getByTestId('experiment-row').first().getByTestId('experiment-open').click();
    await page.getByTestId('experiment-title').waitFor();
    const run = page.locator('[data-testid="run-row"][data-run-name="automl search"]');
    await run.waitFor();
    await run.getByTestId('run-open').click();
    await page.getByTestId('run-page').waitFor();
    await page.getByTestId('run-tab-explain').click();
    const stamp = page.getByTestId('explain-computed-at');
    await stamp.waitFor({ timeout: 180_000 });
    expect(await page.getByTestId('explain-error').count()).toBe(0);
    expect(await stamp.getAttribute('data-origin')).toBe('computed');
    // computed on the recipe's target table, the features from the kept related table
    const panel = (await page.getByTestId('explain-panel').textContent()) ?? '';
    expect(panel).toContain("features of recipe customers-features@1 computed from 'purchases'");
    // a search's model is an ensemble (sampling Shapley values) or a single GBDT (TreeSHAP)
    expect(await page.getByTestId('explain-method').textContent()).toMatch(
      /TreeSHAP|sampling Shapley values \(8 seeded permutations/,
    );

    // importance by column: the target table's own columns and the computed feature columns
    const columns = await page.locator('[data-testid="explain-importance"] tbody th').allTextContents();
    const own = readFileSync(SHOP_FILES[0], 'utf8').split('\n')[0]!.trim().split(',');
    expect(columns.length).toBeGreaterThan(1);
    for (const c of columns) expect([...own, ...features], c).toContain(c);
    expect(columns.filter((c) => features.includes(c)).length).toBeGreaterThan(0);
    expect(columns.filter((c) => own.includes(c)).length).toBeGreaterThan(0);
    expect(columns).not.toContain('churned');
    for (const id of ['explain-beeswarm', 'explain-dependence', 'explain-pdp', 'explain-waterfall'])
      await page.getByTestId(id).locator('canvas').first().waitFor();

    // the model, and cli predict --explain on customers.csv with the same related table
    await page.getByTestId('run-tab-overview').click();
    const [dl] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('run-page-download').click(),
    ]);
    const zip = join(work, 'model.zip');
    await dl.saveAs(zip);
    const predicted = (
      await cliOk(['predict', zip, SHOP_FILES[0], '--table', `purchases=${SHOP_FILES[1]}`, '--explain'])
    ).out
      .trim()
      .split('\n');
    const head = predicted[0]!.split(',');
    const cell = (row: number, name: string) => predicted[row]!.split(',')[head.indexOf(name)]!;

    // two rows' waterfalls: each adds up, and ends where cli predict --explain ends for that row
    await page.getByTestId('run-tab-explain').click();
    await page.getByTestId('explain-waterfall').locator('canvas').first().waitFor();
    for (const index of [0, 5]) {
      await page.getByTestId('explain-row').selectOption({ index });
      const output = await checkWaterfall(page);
      const { row, prediction } = await waterfallRow(page);
      expect(prediction).toBe(cell(row, 'prediction'));
      const byCli = Number(cell(row, 'explained_output'));
      expect(Math.abs(output - byCli), `row ${row}`).toBeLessThan(1e-9 * Math.max(1, Math.abs(byCli)));
    }

    await page.getByTestId('nav-data').click();
    await clearProject(page);
    studio.assertNoErrors();
    await page.close();
  }, 600_000);
});
