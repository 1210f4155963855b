/**
 * A tour of every screen for the layout and accessibility checks: a sample is loaded, two quick
 * models are trained for real, compared and one registered, so that each screen has its content.
 */
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { waitForDataset } from './helpers.ts';

export const SCREENS = ['data', 'train', 'experiments', 'compare', 'models', 'score', 'monitor'] as const;
export type ScreenName = (typeof SCREENS)[number];
/** The experiment {@link populate} trains into (the browser profile may hold others). */
export const PENGUINS_EXPERIMENT = '[data-testid="experiment-row"][data-experiment-name*="penguins"]';

/** Load the penguins sample (target species), train two small GBDTs, compare them, register one. */
export async function populate(page: Page, opts: { register?: boolean } = {}): Promise<void> {
  await page.locator('[data-testid="sample"][data-sample="penguins"]').click();
  await waitForDataset(page, 'penguins.csv');
  await expect.poll(() => page.getByTestId('target-select').inputValue()).toBe('species');
  await page.getByTestId('nav-train').click();
  await page.getByTestId('train-screen').waitFor();
  await page.getByTestId('mode-single').check();
  await page.getByTestId('family-select').selectOption('gbdt');
  for (const rounds of ['15', '25']) {
    await page.getByTestId('iterations-input').fill(rounds);
    await page.getByTestId('iterations-input').dispatchEvent('change');
    await page.getByTestId('train-button').click();
    await expect
      .poll(() => page.getByTestId('train-progress').getAttribute('data-phase'), { timeout: 120_000 })
      .toBe('idle');
    await page.getByTestId('train-results').waitFor({ timeout: 120_000 });
  }
  if (opts.register === false) return;
  await openCompare(page);
  await page.getByTestId('compare-register').first().click();
  const select = page.getByTestId('register-model-select');
  if ((await select.locator('option[value="__new__"]').count()) > 0) await select.selectOption('__new__');
  await page.getByTestId('register-model-name').fill('penguin-species');
  await page.getByTestId('register-submit').click();
  await expect.poll(() => page.getByTestId('register-done').textContent()).toContain('penguin-species');
}

/** The Experiments screen with the first experiment open and its (first two) runs compared. */
async function openCompare(page: Page): Promise<void> {
  await page.getByTestId('nav-experiments').click();
  const view = page.getByTestId('compare-view');
  if (await view.isVisible()) return;
  const back = page.getByTestId('back-to-runs');
  if (!(await page.getByTestId('run-row').first().isVisible())) {
    if (await back.isVisible()) await back.click();
    else await page.locator(`${PENGUINS_EXPERIMENT} [data-testid="experiment-open"]`).click();
  }
  await expect.poll(() => page.getByTestId('run-row').count()).toBeGreaterThanOrEqual(2);
  for (const i of [0, 1]) {
    const box = page.getByTestId('run-row').nth(i).getByTestId('run-select');
    if (!(await box.isChecked())) await box.check();
  }
  await page.getByTestId('compare-button').click();
  await view.waitFor();
}

/** Show one screen (after {@link populate}) and wait until its content is there. */
export async function visit(page: Page, screen: ScreenName): Promise<void> {
  switch (screen) {
    case 'data':
      await page.getByTestId('nav-data').click();
      await page.getByTestId('schema-table').waitFor();
      break;
    case 'train':
      await page.getByTestId('nav-train').click();
      await page.getByTestId('train-results').waitFor();
      break;
    case 'experiments':
      await page.getByTestId('nav-experiments').click();
      if (await page.getByTestId('back-to-runs').isVisible()) await page.getByTestId('back-to-runs').click();
      await page.getByTestId('run-row').first().waitFor();
      break;
    case 'compare':
      await openCompare(page);
      break;
    case 'models':
      await page.getByTestId('nav-models').click();
      await page.locator('[data-testid="model-item"][data-model="penguin-species"]').waitFor();
      break;
    case 'score':
      await page.getByTestId('nav-score').click();
      await page.getByTestId('score-screen').waitFor();
      break;
    case 'monitor':
      await page.getByTestId('nav-monitor').click();
      await page.getByTestId('monitor-model-select').waitFor();
      break;
  }
  // charts and lazy panels settle
  await page.waitForTimeout(300);
}
