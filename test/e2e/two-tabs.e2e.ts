/**
 * Two tabs at once (issue 14, ownership of running work): a search running in tab A is owned by A's
 * train worker (a Web Lock per RUNNING run), so opening tab B marks nothing interrupted, B sees A's
 * runs live, A records everything and its final model is registrable from B. A tab closed
 * mid-search still has its runs recovered as interrupted — by a tab opened afterwards, and by a tab
 * that was already open.
 */
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { experimentNameFor } from '../../src/core/tracking/start.ts';
import {
  datasetPath,
  launchBrowser,
  openStudio,
  pickFile,
  waitForDataset,
  type Browser,
  type StudioPage,
} from './helpers.ts';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});
// a test that fails leaves no tab behind: a leftover tab would still be searching, or watching and
// recovering the next test's runs before the tab under test can
afterEach(async () => {
  for (const p of browser?.context.pages() ?? []) await p.close().catch(() => undefined);
});

// The studio's friendly experiment name for penguins' train.csv and its target, made today (UTC).
const EXPERIMENT = experimentNameFor('train.csv', 'species', Date.now());

async function startSearch(budget: string): Promise<StudioPage> {
  const s = await openStudio(browser.context);
  const { page } = s;
  await pickFile(page, datasetPath('penguins'));
  await waitForDataset(page, 'train.csv');
  if ((await page.getByTestId('target-select').inputValue()) !== 'species')
    await page.getByTestId('target-select').selectOption('species');
  await page.getByTestId('nav-train').click();
  await page.getByTestId('search-panel').waitFor();
  for (const f of ['gbdt', 'random_forest', 'linear', 'mlp']) {
    const box = page.getByTestId(`search-family-${f}`);
    if (f === 'gbdt' || f === 'random_forest') await box.check();
    else await box.uncheck();
  }
  await page.getByTestId('budget-select').selectOption(budget);
  await page.getByTestId('search-start').click();
  await expect
    .poll(() => page.locator('[data-testid="leaderboard-row"][data-state="COMPLETE"]').count(), {
      timeout: 180_000,
    })
    .toBeGreaterThan(0);
  return s;
}

async function openExperiment(page: Page, name: string): Promise<void> {
  await page.getByTestId('nav-experiments').click();
  const row = page.locator(`[data-testid="experiment-row"][data-experiment-name="${name}"]`);
  await row.waitFor({ timeout: 60_000 });
  await row.getByTestId('experiment-open').click();
  await expect.poll(() => page.getByTestId('experiment-title').textContent()).toBe(name);
}

const searchState = (page: Page) =>
  page
    .locator('[data-testid="run-row"][data-run-name="automl search"] [data-testid="run-state"]')
    .first()
    .textContent();
const trialStates = (page: Page) =>
  page
    .locator('[data-testid="run-row"][data-run-name^="trial "] [data-testid="run-state"]')
    .allTextContents();
const banner = (page: Page) => page.getByTestId('interrupted-banner');

/**
 * Every run in the open experiment's table as [name, state]: the table renders only the rows in
 * view, so this scrolls it top to bottom and collects each row once (by run id).
 */
async function allRuns(page: Page): Promise<[string, string][]> {
  await expect.poll(() => page.getByTestId('runs-count').textContent()).not.toContain('loading');
  const table = page.getByTestId('runs-table');
  const seen = new Map<string, [string, string]>();
  const height = await table.evaluate((el) => el.scrollHeight);
  for (let top = 0; ; top += 300) {
    await table.evaluate((el, t) => {
      el.scrollTop = t;
      el.dispatchEvent(new Event('scroll'));
    }, top);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const rows = await page
      .locator('[data-testid="run-row"]')
      .evaluateAll((els) =>
        els.map((e) => [
          e.getAttribute('data-run-id') ?? '',
          e.getAttribute('data-run-name') ?? '',
          e.querySelector('[data-testid="run-state"]')?.textContent ?? '',
        ]),
      );
    for (const [id, name, state] of rows) seen.set(id, [name, state]);
    if (top >= height) break;
  }
  await table.evaluate((el) => {
    el.scrollTop = 0;
    el.dispatchEvent(new Event('scroll'));
  });
  // every run the table counts was seen
  const count = Number(
    (await page.getByTestId('runs-count').textContent())?.match(/^[\d,]+/)?.[0].replace(/,/g, ''),
  );
  expect(seen.size).toBe(count);
  return [...seen.values()];
}

describe('two tabs at once', () => {
  it('tab B opened during A’s search marks nothing interrupted, sees A’s runs live; A records everything', async () => {
    const a = await startSearch('60');
    const b = await openStudio(browser.context);
    await openExperiment(b.page, EXPERIMENT); // B's store is open (recovery has run)
    expect(await banner(b.page).count()).toBe(0);
    expect(await searchState(b.page)).toBe('RUNNING');
    // B sees A's trials arrive while the search runs (BroadcastChannel between tabs)
    const first = (await trialStates(b.page)).length;
    await expect
      .poll(() => trialStates(b.page).then((s) => s.length), { timeout: 120_000 })
      .toBeGreaterThan(first);
    expect(await searchState(b.page)).toBe('RUNNING');

    // A finishes and records its final model
    await a.page.getByTestId('search-results').waitFor({ timeout: 300_000 });
    expect(await a.page.getByTestId('search-run-id').textContent()).toContain('Recorded as run');
    expect(await a.page.getByText('could not be recorded').count()).toBe(0);

    // B sees the finished search and every trial ended; registers A's final model
    await expect.poll(() => searchState(b.page), { timeout: 30_000 }).toBe('FINISHED');
    const states = await trialStates(b.page);
    expect(states.length).toBeGreaterThan(0);
    expect(states.some((t) => t.startsWith('RUNNING'))).toBe(false);
    expect(states.some((t) => t.includes('interrupted'))).toBe(false);
    await b.page
      .locator('[data-testid="run-row"][data-run-name="automl search"] [data-testid="run-select"]')
      .check();
    await b.page.getByTestId('register-button').click();
    await b.page.getByTestId('register-model-select').selectOption('__new__');
    await b.page.getByTestId('register-model-name').fill('two-tab-model');
    await b.page.getByTestId('register-submit').click();
    await expect
      .poll(() => b.page.getByTestId('register-done').textContent(), { timeout: 30_000 })
      .toContain('two-tab-model version 1');

    // A sees the same runs; neither tab ever showed the banner
    await openExperiment(a.page, EXPERIMENT);
    await expect.poll(() => searchState(a.page)).toBe('FINISHED');
    expect((await trialStates(a.page)).length).toBe(states.length);
    expect(await banner(a.page).count()).toBe(0);
    expect(await banner(b.page).count()).toBe(0);
    a.assertNoErrors();
    b.assertNoErrors();
    await a.page.close();
    await b.page.close();
  });

  it('a tab closed mid-search has its runs recovered: by a tab already open, and by one opened later', async () => {
    const watcher = await openStudio(browser.context); // open before the search starts
    const a = await startSearch('900');
    await openExperiment(watcher.page, EXPERIMENT);
    await expect.poll(() => searchState(watcher.page), { timeout: 30_000 }).toBe('RUNNING');
    expect(await banner(watcher.page).count()).toBe(0);
    await a.page.close(); // its workers (and their locks) go with it
    // the open tab notices the owner is gone and recovers the runs without a reload
    await expect
      .poll(() => banner(watcher.page).textContent(), { timeout: 60_000 })
      .toMatch(/\d+ interrupted runs? (was|were) marked failed/);
    await expect.poll(() => searchState(watcher.page), { timeout: 30_000 }).toBe('FAILED (interrupted)');
    // Known gap (noted in the session log): the already-open tab can miss a trial run that started
    // just before the close, leaving it RUNNING until the next tab starts; the tab opened later below
    // checks that every trial is recovered.

    // a search closed with no other tab open: the next tab recovers it on start
    await watcher.page.close();
    const c = await startSearch('900');
    await c.page.close();
    const d = await openStudio(browser.context);
    await expect
      .poll(() => banner(d.page).textContent(), { timeout: 60_000 })
      .toMatch(/\d+ interrupted runs? (was|were) marked failed/);
    await openExperiment(d.page, EXPERIMENT);
    // the table shows only the rows in view: the first test's search sits below both later ones and
    // their trials, so every check here reads the whole table
    const searches = async () =>
      (await allRuns(d.page))
        .filter(([name]) => name === 'automl search')
        .map(([, state]) => state)
        .sort();
    // the first test's search FINISHED; the two closed mid-search are FAILED (interrupted)
    await expect
      .poll(searches, { timeout: 30_000 })
      .toEqual(['FAILED (interrupted)', 'FAILED (interrupted)', 'FINISHED']);
    const trials = (await allRuns(d.page)).filter(([name]) => name.startsWith('trial '));
    expect(trials.length).toBeGreaterThan(0);
    expect(trials.filter(([, state]) => state.startsWith('RUNNING'))).toEqual([]);
    d.assertNoErrors();
    watcher.assertNoErrors();
  });
});
