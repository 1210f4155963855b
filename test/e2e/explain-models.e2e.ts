/**
 * Explanations from the Models screen and per class (issue 18): a small search on penguins (three
 * species) → register its run → Models → a version's "Explain" opens the run's page on its Explain
 * tab, where global importance renders; "Explain class" switches importance, PDP and the waterfall to
 * one species (the waterfall still adds up to that class's shown output), and back to the default
 * (each row's predicted class).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetPath, launchBrowser, openStudio, pickFile, waitForDataset, type Browser } from './helpers.ts';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** The waterfall's table: base + steps = output; returns the output. */
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

const importanceColumns = (page: Page) =>
  page.locator('[data-testid="explain-importance"] tbody th').allTextContents();

describe('Explain from the Models screen, per class', () => {
  it('register → Models → Explain → importance; Explain class switches every view', async () => {
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

    // register the search run
    await page.getByTestId('nav-experiments').click();
    const exp = page.getByTestId('experiment-row').first();
    await exp.waitFor();
    await exp.getByTestId('experiment-open').click();
    await page.getByTestId('experiment-title').waitFor();
    const row = page.locator('[data-testid="run-row"][data-run-name="automl search"]');
    await row.waitFor();
    await row.getByTestId('run-select').check();
    await page.getByTestId('register-button').click();
    await page.getByTestId('register-dialog').waitFor();
    await expect.poll(() => page.getByTestId('register-submit').isEnabled(), { timeout: 30_000 }).toBe(true);
    await page.getByTestId('register-submit').click();
    await expect.poll(() => page.getByTestId('register-done').textContent()).toContain('version 1');

    // Models → the version's Explain → the run's page, on its Explain tab
    await page.getByTestId('nav-models').click();
    const version = page.locator('[data-testid="version-row"][data-version="1"]');
    await version.waitFor();
    expect(await version.getByTestId('version-explain-why').count()).toBe(0);
    await version.getByTestId('version-explain').click();
    await page.getByTestId('run-page').waitFor();
    expect(await page.getByTestId('run-tab-explain').getAttribute('aria-selected')).toBe('true');
    await page.getByTestId('explain-computed-at').waitFor({ timeout: 180_000 });
    const imp = page.locator('[data-testid="explain-importance"] tbody tr');
    expect(await imp.count()).toBeGreaterThanOrEqual(5);
    await page.getByTestId('explain-beeswarm').locator('canvas').first().waitFor();

    // Explain class: the default is the most often predicted class for the overall views
    const choice = page.getByTestId('explain-class');
    const labels = await choice.locator('option').allTextContents();
    expect(labels.slice(1)).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
    expect(labels[0]).toMatch(/\(most often predicted\)/);
    const defaultLabel = labels[0]!.split(' (')[0]!;
    const pdpText = () => page.locator('[data-testid="explain-pdp"]').locator('xpath=..').textContent();
    expect(await pdpText()).toContain(`probability of ${defaultLabel}`);
    const defaultCols = await importanceColumns(page);
    // default waterfall: each row's predicted class
    const predicted = (await page.getByTestId('explain-row').locator('option').first().textContent())!
      .split('prediction ')[1]!
      .trim();
    expect(await page.getByTestId('explain-waterfall-table').locator('caption').textContent()).toContain(
      `of ${predicted}`,
    );
    const defaultOutput = await checkWaterfall(page);

    const shown: Record<string, string[]> = {};
    for (const cls of ['Adelie', 'Chinstrap', 'Gentoo']) {
      await choice.selectOption({ label: cls });
      await expect
        .poll(() => page.getByTestId('explain-waterfall-table').locator('caption').textContent())
        .toContain(`of ${cls}`);
      expect(await pdpText()).toContain(`probability of ${cls}`);
      const out = await checkWaterfall(page);
      if (cls === predicted) expect(Math.abs(out - defaultOutput)).toBeLessThan(1e-9);
      else expect(out).not.toBe(defaultOutput);
      shown[cls] = await importanceColumns(page);
      expect([...shown[cls]!].sort()).toEqual([...defaultCols].sort());
      for (const id of ['explain-beeswarm', 'explain-dependence', 'explain-pdp', 'explain-waterfall'])
        await page.getByTestId(id).locator('canvas').first().waitFor();
    }
    // the overall views of the default class are that class's
    expect(shown[defaultLabel]).toEqual(defaultCols);
    // back to the default
    await choice.selectOption({ index: 0 });
    await expect
      .poll(() => page.getByTestId('explain-waterfall-table').locator('caption').textContent())
      .toContain(`of ${predicted}`);
    expect(await checkWaterfall(page)).toBe(defaultOutput);
    studio.assertNoErrors();
    await page.close();
  }, 600_000);
});
