/**
 * Experiments, Compare and Models screens in Chromium over the real IndexedDB store. Runs are
 * written into the page's origin by the real Dexie store (bench/compare/seed-entry.ts, injected with
 * Playwright, so nothing test-only ships in the app), the way the search worker writes them.
 */
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildSeedScript } from '../../bench/compare/build-seed.ts';
import type { SeedRun, SeedSpec, TrackingSeedApi } from '../../bench/compare/seed-entry.ts';
import { injectScript, launchBrowser, openStudio, type Browser, type StudioPage } from './helpers.ts';

declare global {
  interface Window {
    trackingSeed: TrackingSeedApi;
  }
}

let browser: Browser;
let seedScript = '';
let studio: StudioPage | undefined;

beforeAll(async () => {
  [browser, seedScript] = await Promise.all([launchBrowser(), buildSeedScript()]);
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  studio?.assertNoErrors();
  await studio?.page.close();
  studio = undefined;
});

async function seed(page: Page, spec: SeedSpec) {
  if (!(await page.evaluate(() => 'trackingSeed' in window))) await injectScript(page, seedScript);
  return page.evaluate((s) => window.trackingSeed.seed(s), spec);
}

const trial = (i: number, lr: number, depth: number, auc: number, extra: Partial<SeedRun> = {}): SeedRun => ({
  name: `trial ${i}`,
  params: { family: 'gbdt', learning_rate: lr, max_depth: depth, subsample: 0.8, seed: 42 },
  metrics: { roc_auc: auc },
  history: { valid_loss: Array.from({ length: 30 }, (_, s) => 0.7 * Math.exp(-s * lr) + 0.1) },
  tags: { family: 'gbdt', metric: 'roc_auc' },
  ...extra,
});

const SEARCH: SeedSpec = {
  experiment: 'penguins search',
  dataset: { fingerprint: 'sha256:penguins000000000000000000', name: 'penguins.csv' },
  target: 'species',
  metric: 'roc_auc',
  parent: {
    name: 'automl search',
    params: { sampler: 'tpe', budget: 60 },
    metrics: { roc_auc: 0.97 },
    tags: { metric: 'roc_auc' },
  },
  children: [
    trial(0, 0.1, 3, 0.91, {
      artifacts: [
        { name: 'model.json', kind: 'model', json: { family: 'gbdt' } },
        {
          name: 'charts/confusion-matrix.json',
          kind: 'chart-data',
          json: { labels: ['a', 'b'], counts: [40, 3, 5, 52] },
        },
        {
          name: 'charts/feature-importance.json',
          kind: 'chart-data',
          json: { features: ['bill_length', 'flipper'], importance: [0.7, 0.3], method: 'gain' },
        },
      ],
    }),
    // Only runs with a stored model can be registered (issue 13): trial 1 is registered below.
    trial(1, 0.05, 3, 0.95, { artifacts: [{ name: 'model.json', kind: 'model', json: { family: 'gbdt' } }] }),
    trial(2, 0.2, 5, 0.88),
    trial(3, 0.3, 6, 0.7, { state: 'PRUNED' }),
    trial(4, 0.01, 8, 0.5, { state: 'FAILED' }),
  ],
};

async function openExperiment(page: Page, name: string): Promise<void> {
  await page.getByTestId('nav-experiments').click();
  const row = page.locator(`[data-testid="experiment-row"][data-experiment-name="${name}"]`);
  await row.waitFor();
  await row.getByTestId('experiment-open').click();
  await expect.poll(() => page.getByTestId('experiment-title').textContent()).toBe(name);
}

const runRow = (page: Page, name: string) => page.locator(`[data-testid="run-row"][data-run-name="${name}"]`);

describe('Experiments screen', () => {
  it('shows seeded runs live and after a reload; compare, register, aliases', async () => {
    studio = await openStudio(browser.context);
    const { page } = studio;
    await page.getByTestId('nav-experiments').click();
    await page.getByTestId('experiments-empty').waitFor();
    await expect
      .poll(() => page.getByTestId('storage-usage').textContent())
      .toMatch(/Storage: .* used, .* available/);

    // Written by another Dexie instance: appears without a reload (storagemutated via BroadcastChannel).
    await seed(page, SEARCH);
    const expRow = page.locator('[data-testid="experiment-row"][data-experiment-name="penguins search"]');
    await expRow.waitFor();
    await expect.poll(() => expRow.getByTestId('experiment-run-count').textContent()).toBe('6');

    await page.reload();
    await page.getByRole('heading', { name: 'AutoML Studio' }).waitFor();
    await openExperiment(page, 'penguins search');
    await expect.poll(() => expRow.textContent()).toContain('penguins.csv');
    await expect.poll(() => expRow.getByTestId('experiment-best').textContent()).toContain('ROC AUC 0.97');
    await expect.poll(() => page.getByTestId('run-row').count()).toBe(6);
    // Parent first, its trials below it (grouped); states as badges.
    const names = await page
      .getByTestId('run-row')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-run-name')));
    expect(names[0]).toBe('automl search');
    expect(await runRow(page, 'trial 3').getByTestId('run-state').textContent()).toBe('pruned');
    expect(await runRow(page, 'trial 4').getByTestId('run-state').textContent()).toBe('FAILED');
    expect(await runRow(page, 'trial 1').getByTestId('run-state').textContent()).toBe('FINISHED');

    // Sort by the metric (ascending): within the search, the worst trial comes first.
    await page.getByTestId('sort-metric:roc_auc').click(); // desc
    await page.getByTestId('sort-metric:roc_auc').click(); // asc
    const asc = await page
      .getByTestId('run-row')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-run-name')));
    expect(asc).toEqual(['automl search', 'trial 4', 'trial 3', 'trial 2', 'trial 0', 'trial 1']);
    // Text filter on params, numeric filter on a metric.
    await page.getByTestId('runs-filter-text').fill('max_depth=3');
    await expect.poll(() => page.getByTestId('runs-count').textContent()).toMatch(/^\s*2 of 6/);
    await page.getByTestId('runs-filter-text').fill('');
    await page.getByTestId('runs-filter-metric').selectOption('roc_auc');
    await page.getByTestId('runs-filter-op').selectOption('>');
    await page.getByTestId('runs-filter-value').fill('0.9');
    await expect.poll(() => page.getByTestId('runs-count').textContent()).toMatch(/^\s*3 of 6/);
    await page.getByTestId('runs-filter-value').fill('');

    // Compare three trials: only the differing params, then all with "show all".
    for (const n of ['trial 0', 'trial 1', 'trial 2'])
      await runRow(page, n).getByTestId('run-select').check();
    await page.getByTestId('compare-button').click();
    await page.getByTestId('compare-view').waitFor();
    const params = () =>
      page
        .getByTestId('compare-param-row')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-param')));
    await expect.poll(params).toEqual(['learning_rate', 'max_depth']);
    await page.getByTestId('compare-show-all').check();
    await expect.poll(params).toEqual(['family', 'learning_rate', 'max_depth', 'seed', 'subsample']);
    // Best run first; charts drawn (parallel, scatter, learning curves, the run's artifacts).
    const heads = await page
      .getByTestId('compare-run-head')
      .evaluateAll((els) => els.map((e) => e.textContent));
    expect(heads[0]).toContain('trial 1');
    for (const id of [
      'chart-parallel',
      'chart-scatter',
      'chart-curves',
      'chart-confusion',
      'chart-importance',
    ])
      await page.getByTestId(id).first().locator('canvas').first().waitFor();

    // Register the best run as version 1 of a new model.
    await page.getByTestId('compare-register').first().click();
    await page.getByTestId('register-model-select').selectOption('__new__');
    await page.getByTestId('register-model-name').fill('penguin-classifier');
    await page.getByTestId('register-submit').click();
    await expect
      .poll(() => page.getByTestId('register-done').textContent())
      .toContain('penguin-classifier version 1');

    // Models: set champion on v1; survives a reload.
    await page.getByTestId('nav-models').click();
    await page.locator('[data-testid="model-item"][data-model="penguin-classifier"]').waitFor();
    await page.getByTestId('alias-name').fill('champion');
    await page.getByTestId('alias-set').click();
    const aliasesOf = (v: number) =>
      page
        .locator(`[data-testid="version-row"][data-version="${v}"] [data-testid="version-alias"]`)
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-alias')));
    await expect.poll(() => aliasesOf(1)).toEqual(['champion']);

    await page.reload();
    await page.getByRole('heading', { name: 'AutoML Studio' }).waitFor();
    await page.getByTestId('nav-models').click();
    await expect.poll(() => aliasesOf(1)).toEqual(['champion']);
    const lineage = page.locator('[data-testid="version-row"][data-version="1"]');
    expect(await lineage.getByTestId('lineage-run').textContent()).toBe('trial 1');
    expect(await lineage.getByTestId('lineage-experiment').textContent()).toBe('penguins search');
    expect(await lineage.getByTestId('lineage-dataset').textContent()).toContain('penguins.csv');

    // Register another run as version 2 (from the runs table), move the alias there.
    await openExperiment(page, 'penguins search');
    await runRow(page, 'trial 0').getByTestId('run-select').check();
    await page.getByTestId('register-button').click();
    await page.getByTestId('register-model-select').selectOption('penguin-classifier');
    await page.getByTestId('register-submit').click();
    await expect
      .poll(() => page.getByTestId('register-done').textContent())
      .toContain('penguin-classifier version 2');
    await page.getByTestId('nav-models').click();
    await page.locator('[data-testid="version-row"][data-version="2"]').waitFor();
    await page.getByTestId('alias-version').selectOption('2');
    await page.getByTestId('alias-name').fill('champion');
    await expect.poll(() => page.getByTestId('alias-set').textContent()).toContain('Move alias');
    await page.getByTestId('alias-set').click();
    await expect.poll(() => aliasesOf(2)).toEqual(['champion']);
    await expect.poll(() => aliasesOf(1)).toEqual([]);

    // Edit a version's description and tags.
    const v2 = page.locator('[data-testid="version-row"][data-version="2"]');
    await v2.getByTestId('version-edit').click();
    await v2.getByTestId('version-description-input').fill('trained on penguins');
    await v2.getByTestId('version-tags-input').fill('stage=prod, owner=me');
    await v2.getByTestId('version-save').click();
    await expect.poll(() => v2.getByTestId('version-description').textContent()).toBe('trained on penguins');
    await expect.poll(() => v2.getByTestId('version-tags').textContent()).toBe('stage=prod, owner=me');

    // Edit the registered model's own description and tags; a tag removed in a second edit; survives a reload.
    const detail = page.getByTestId('model-detail');
    await detail.getByTestId('model-edit').click();
    await detail.getByTestId('model-description-input').fill('classifies penguin species');
    await detail.getByTestId('model-tags-input').fill('team=ml, stage=beta');
    await detail.getByTestId('model-save').click();
    await expect
      .poll(() => detail.getByTestId('model-description').textContent())
      .toBe('classifies penguin species');
    await expect.poll(() => detail.getByTestId('model-tags').textContent()).toBe('team=ml, stage=beta');
    await detail.getByTestId('model-edit').click();
    expect(await detail.getByTestId('model-tags-input').inputValue()).toBe('team=ml, stage=beta');
    await detail.getByTestId('model-tags-input').fill('team=data');
    await detail.getByTestId('model-save').click();
    await expect.poll(() => detail.getByTestId('model-tags').textContent()).toBe('team=data');
    await page.reload();
    await page.getByRole('heading', { name: 'AutoML Studio' }).waitFor();
    await page.getByTestId('nav-models').click();
    await expect
      .poll(() => detail.getByTestId('model-description').textContent())
      .toBe('classifies penguin species');
    await expect.poll(() => detail.getByTestId('model-tags').textContent()).toBe('team=data');
    await expect.poll(() => v2.getByTestId('version-tags').textContent()).toBe('stage=prod, owner=me');

    // Lineage link → the run in the Experiments screen, highlighted.
    await v2.getByTestId('lineage-run').click();
    await expect
      .poll(() => page.locator('[data-testid="run-row"].focus').getAttribute('data-run-name'))
      .toBe('trial 0');

    // An experiment behind a model version can't be deleted: a clear message, nothing lost.
    const row = page.locator('[data-testid="experiment-row"][data-experiment-name="penguins search"]');
    await row.getByTestId('experiment-delete').click();
    await row.getByTestId('experiment-delete-confirm').click();
    await expect
      .poll(() => page.getByTestId('experiment-delete-error').textContent())
      .toMatch(/delete those versions first/);
  });

  it('marks runs left RUNNING as failed (interrupted) on the next load; finished runs intact; deletes', async () => {
    studio = await openStudio(browser.context);
    const { page } = studio;
    await openExperiment(page, 'penguins search').catch(() => undefined);
    const ids = await seed(page, {
      experiment: 'crashed search',
      metric: 'roc_auc',
      parent: { name: 'search', state: 'RUNNING', tags: { metric: 'roc_auc' } },
      children: [trial(0, 0.1, 3, 0.9), trial(1, 0.2, 4, 0.8), trial(2, 0.3, 5, 0.7, { state: 'RUNNING' })],
    });
    expect(ids.childIds).toHaveLength(3);
    // Live: the running search is visible as RUNNING before the "crash".
    await openExperiment(page, 'crashed search');
    await expect.poll(() => runRow(page, 'trial 2').getByTestId('run-state').textContent()).toBe('RUNNING');

    await page.reload(); // the tab goes away mid-search
    await page.getByRole('heading', { name: 'AutoML Studio' }).waitFor();
    await expect
      .poll(() => page.getByTestId('interrupted-banner').textContent())
      .toContain('2 interrupted runs were marked failed');
    await openExperiment(page, 'crashed search');
    await expect
      .poll(() => runRow(page, 'trial 2').getByTestId('run-state').textContent())
      .toBe('FAILED (interrupted)');
    expect(await runRow(page, 'search').getByTestId('run-state').textContent()).toBe('FAILED (interrupted)');
    expect(await runRow(page, 'trial 0').getByTestId('run-state').textContent()).toBe('FINISHED');
    expect(await runRow(page, 'trial 0').textContent()).toContain('0.9');

    // Next load: nothing more to recover, no banner.
    await page.reload();
    await page.getByRole('heading', { name: 'AutoML Studio' }).waitFor();
    await page.getByTestId('storage-usage').waitFor();
    expect(await page.getByTestId('interrupted-banner').count()).toBe(0);

    // Delete the experiment (with confirmation): gone from the list.
    await openExperiment(page, 'crashed search');
    const row = page.locator('[data-testid="experiment-row"][data-experiment-name="crashed search"]');
    await row.getByTestId('experiment-delete').click();
    await row.getByTestId('experiment-delete-confirm').click();
    await expect.poll(() => row.count()).toBe(0);
  });
});
