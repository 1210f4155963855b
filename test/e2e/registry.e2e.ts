/**
 * The registry protects the user (issue 13) and two tabs cannot silently merge models (issue 14):
 * Register defaults to a new model named after the dataset and target; a model of another task is
 * refused as a version of an existing one, with the reason; a trial without a stored model explains
 * why it cannot be registered; a "new model" whose name another tab has just taken is not added to
 * silently. Runs are written by the real Dexie store (bench/compare/seed-entry.ts).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSeedScript } from '../../bench/compare/build-seed.ts';
import type { SeedRun, SeedSpec, TrackingSeedApi } from '../../bench/compare/seed-entry.ts';
import { injectScript, launchBrowser, openStudio, type Browser } from './helpers.ts';

declare global {
  interface Window {
    trackingSeed: TrackingSeedApi;
  }
}

let browser: Browser;
let seedScript = '';

beforeAll(async () => {
  [browser, seedScript] = await Promise.all([launchBrowser(), buildSeedScript()]);
});
afterAll(async () => {
  await browser?.close();
});

async function seed(page: Page, spec: SeedSpec) {
  if (!(await page.evaluate(() => 'trackingSeed' in window))) await injectScript(page, seedScript);
  return page.evaluate((s) => window.trackingSeed.seed(s), spec);
}

const withModel = (name: string, manifest: unknown, extra: Partial<SeedRun> = {}): SeedRun => ({
  name,
  metrics: { accuracy: 0.9 },
  artifacts: [
    { name: `${name}.zip`, kind: 'model', json: { stand_in: 'bundle' } },
    { name: 'manifest.json', kind: 'chart-data', json: manifest },
  ],
  ...extra,
});

const PENGUINS: SeedSpec = {
  experiment: 'penguins → species',
  dataset: { fingerprint: 'sha256:penguins-registry', name: 'penguins.csv' },
  target: 'species',
  parent: withModel('automl search', {
    task: 'multiclass',
    target: 'species',
    classes: ['Adelie', 'Chinstrap', 'Gentoo'],
    signature: { inputs: [{ name: 'bill_length_mm', type: 'numeric' }] },
  }),
  children: [{ name: 'trial 0 gbdt', metrics: { accuracy: 0.8 }, params: { family: 'gbdt' } }],
};

const CANCER: SeedSpec = {
  experiment: 'breast cancer → diagnosis',
  dataset: { fingerprint: 'sha256:cancer-registry', name: 'breast_cancer.csv' },
  target: 'diagnosis',
  children: [
    withModel('gbdt fit', {
      task: 'binary',
      target: 'diagnosis',
      classes: ['B', 'M'],
      signature: { inputs: [{ name: 'radius_mean', type: 'numeric' }] },
    }),
  ],
};

async function openExperiment(page: Page, name: string): Promise<void> {
  await page.getByTestId('nav-experiments').click();
  const row = page.locator(`[data-testid="experiment-row"][data-experiment-name="${name}"]`);
  await row.waitFor();
  await row.getByTestId('experiment-open').click();
  await expect.poll(() => page.getByTestId('experiment-title').textContent()).toBe(name);
}

async function openRegister(page: Page, run: string): Promise<void> {
  const row = page.locator(`[data-testid="run-row"][data-run-name="${run}"]`);
  await row.waitFor();
  await row.getByTestId('run-select').check();
  await page.getByTestId('register-button').click();
  await page.getByTestId('register-dialog').waitFor();
}

describe('Registry', () => {
  it('defaults to a new model, refuses an incompatible version with the reason, explains trials, asks on a name taken by another tab', async () => {
    const studio = await openStudio(browser.context);
    const { page } = studio;
    await seed(page, PENGUINS);
    await seed(page, CANCER);

    // 1. The default is a new model named after the dataset and the target.
    await openExperiment(page, PENGUINS.experiment);
    await openRegister(page, 'automl search');
    expect(await page.getByTestId('register-model-select').inputValue()).toBe('__new__');
    await expect.poll(() => page.getByTestId('register-model-name').inputValue()).toBe('penguins-species');
    await page.getByTestId('register-submit').click();
    await expect
      .poll(() => page.getByTestId('register-done').textContent())
      .toContain('penguins-species version 1');

    // 2. A trial has no stored model: it says so and cannot be registered.
    await page
      .locator('[data-testid="run-row"][data-run-name="automl search"]')
      .getByTestId('run-select')
      .uncheck();
    await openRegister(page, 'trial 0 gbdt');
    await expect
      .poll(() => page.getByTestId('register-unavailable').textContent())
      .toMatch(/trial of a search.*Register the search run/);
    expect(await page.getByTestId('register-submit').isDisabled()).toBe(true);

    // 3. A binary model is refused as version 2 of the multiclass model, with the reason; still new by default.
    await openExperiment(page, CANCER.experiment);
    await openRegister(page, 'gbdt fit');
    expect(await page.getByTestId('register-model-select').inputValue()).toBe('__new__');
    await expect
      .poll(() => page.getByTestId('register-model-name').inputValue())
      .toBe('breast_cancer-diagnosis');
    await page.getByTestId('register-model-select').selectOption('penguins-species');
    const refused = page.getByTestId('register-incompatible');
    await refused.waitFor();
    expect(await refused.textContent()).toContain('the model is multiclass and this run is binary');
    expect(await refused.textContent()).toContain('"species"');
    expect(await page.getByTestId('register-submit').isDisabled()).toBe(true);

    // 4. Typing an existing name for a "new" model asks instead of adding a version.
    await page.getByTestId('register-model-select').selectOption('__new__');
    await page.getByTestId('register-model-name').fill('penguins-species');
    await page.getByTestId('register-exists').waitFor();
    expect(await page.getByTestId('register-submit').isDisabled()).toBe(true);

    // 5. Another tab creates "shared-name" while this dialog is open: submitting asks, adds nothing.
    await page.getByTestId('register-model-name').fill('shared-name');
    const other = await openStudio(browser.context);
    await openExperiment(other.page, PENGUINS.experiment);
    await openRegister(other.page, 'automl search');
    await other.page.getByTestId('register-model-name').fill('shared-name');
    await other.page.getByTestId('register-submit').click();
    await expect
      .poll(() => other.page.getByTestId('register-done').textContent())
      .toContain('shared-name version 1');
    other.assertNoErrors();
    await other.page.close();

    await page.getByTestId('register-submit').click();
    await expect
      .poll(() => page.getByTestId('register-exists').textContent())
      .toMatch(/shared-name.*already exists/);
    // Choosing to add it checks compatibility: binary vs the other tab's multiclass model → refused.
    await page.getByTestId('register-add-existing').click();
    await page.getByTestId('register-incompatible').waitFor();
    expect(await page.getByTestId('register-submit').isDisabled()).toBe(true);

    await page.getByTestId('nav-models').click();
    await page.locator('[data-testid="model-item"][data-model="shared-name"]').click();
    await expect.poll(() => page.getByTestId('version-row').count()).toBe(1);
    studio.assertNoErrors();
    await page.close();
  });
});
