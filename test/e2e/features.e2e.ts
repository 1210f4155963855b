/**
 * Feature engineering across tables in Chromium (issue 20, the browser UI), on the generated shop of
 * test/fixtures/features/shop (customers with a cutoff and `churned`, purchases with dates, items; the
 * planted signal lives only in purchases of the 30 days before each cutoff):
 * - three CSVs dropped at once → listed with their row and column counts, customers the target table;
 * - the engine's relationships drawn and confirmed (one by keyboard), a hand-made cycle refused in words;
 * - suggested features previewed (the windowed count scores highest), used → the feature table is the
 *   dataset, trained on with GBDT (metrics shown);
 * - after a reload the tables, the confirmed links and the recipe are still there; no sideways scroll
 *   at 390 px;
 * - a bad CSV among several: its error names the file, row and column, and the others are kept.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths.ts';
import {
  injectScript,
  launchBrowser,
  openStudio,
  waitForDataset,
  type Browser,
  type StudioPage,
} from './helpers.ts';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Serious and critical axe violations inside the features panel (as test/e2e/a11y.e2e.ts counts them). */
async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await injectScript(page, AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: unknown[] }> };
      }
    ).axe;
    const res = await axe.run('[data-testid="features-panel"]', { resultTypes: ['violations'] });
    return res.violations as { id: string; impact: string; nodes: { target: string[] }[] }[];
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
}

const SHOP = resolve(REPO_ROOT, 'test', 'fixtures', 'features', 'shop');
const FILES = ['customers.csv', 'purchases.csv', 'items.csv'].map((f) => resolve(SHOP, f));

let browser: Browser;
let studio: StudioPage | undefined;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  studio?.assertNoErrors();
  await studio?.page.close();
  studio = undefined;
});

const link = (page: Page, name: string) => page.locator(`[data-testid="link"][data-link="${name}"]`);
const CUSTOMER_LINK = 'purchases.customer_id → customers.customer_id';
const ITEM_LINK = 'purchases.item_id → items.item_id';

async function tableCounts(page: Page): Promise<Record<string, [string, string]>> {
  const out: Record<string, [string, string]> = {};
  for (const row of await page.getByTestId('feature-table').all()) {
    out[(await row.getAttribute('data-name'))!] = [
      (await row.getByTestId('feature-table-rows').textContent())!,
      (await row.getByTestId('feature-table-columns').textContent())!,
    ];
  }
  return out;
}

describe('features across tables (issue 20)', () => {
  it('drops three tables, confirms relationships, previews and uses suggested features, trains, keeps them after a reload', async () => {
    studio = await openStudio(browser.context);
    const { page } = studio;
    // dropped together on the drop zone
    const contents = FILES.map((f) => ({ name: basename(f), text: readFileSync(f, 'utf8') }));
    await page.getByTestId('drop-zone').evaluate((el, files) => {
      const dt = new DataTransfer();
      for (const f of files) dt.items.add(new File([f.text], f.name, { type: 'text/csv' }));
      el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, contents);
    await page.getByTestId('features-panel').waitFor();
    await expect.poll(() => page.getByTestId('feature-table').count(), { timeout: 60_000 }).toBe(3);
    expect(await tableCounts(page)).toEqual({
      customers: ['240', '5'],
      purchases: ['1,520', '6'],
      items: ['12', '3'],
    });
    // customers is the target table (parent of purchases, child of none), profiled as a dropped file
    await waitForDataset(page, 'customers.csv');
    expect(
      await page
        .locator('[data-testid="feature-table"][data-name="customers"] input[type=radio]')
        .isChecked(),
    ).toBe(true);

    // the engine's proposals, drawn and listed with their match rates
    await link(page, CUSTOMER_LINK).waitFor();
    expect(await link(page, CUSTOMER_LINK).textContent()).toContain(`${CUSTOMER_LINK} · 100% match`);
    expect(await link(page, ITEM_LINK).getAttribute('data-confirmed')).toBe('false');
    const svg = page.getByTestId('relationship-diagram').locator('svg');
    expect(await svg.getAttribute('aria-label')).toContain(`${CUSTOMER_LINK} · 100% match, proposed`);
    expect(await svg.locator('rect').count()).toBe(3);
    expect(await svg.locator('line').count()).toBe(2);

    // confirm one by keyboard, one by click
    await page.getByRole('button', { name: `Confirm ${CUSTOMER_LINK}` }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => link(page, CUSTOMER_LINK).getAttribute('data-confirmed')).toBe('true');
    await page.getByRole('button', { name: `Confirm ${ITEM_LINK}` }).click();
    await expect.poll(() => link(page, ITEM_LINK).getAttribute('data-confirmed')).toBe('true');

    // a hand-made link that would close a cycle is refused in words, nothing added
    await page.getByTestId('add-child').selectOption('customers');
    await page.getByTestId('add-child-column').selectOption('customer_id');
    await page.getByTestId('add-parent').selectOption('purchases');
    await page.getByTestId('add-parent-column').selectOption('customer_id');
    await page.getByTestId('add-link').click();
    await expect
      .poll(() => page.getByTestId('features-message').textContent())
      .toMatch(/customers\.customer_id → purchases\.customer_id refused: .*one way only/);
    expect(await page.getByTestId('link').count()).toBe(2);

    // time index per table: the proposed date columns
    expect(await page.locator('[data-testid="time-index"][data-table="purchases"]').inputValue()).toBe('ts');

    // column to predict and cutoff
    await page.getByTestId('features-label').selectOption('churned');
    expect(await page.getByTestId('features-cutoff').inputValue()).toBe('col:cutoff');

    await page.getByTestId('suggest-features').click();
    const rows = page.getByTestId('suggestion');
    await rows.first().waitFor({ timeout: 60_000 });
    // ordered by score; the planted windowed count is the strongest
    expect(await rows.first().getAttribute('data-name')).toBe('purchases_count_30d');
    const best = Number((await rows.first().getByTestId('suggestion-score').textContent())!.split(' ')[0]);
    expect(best).toBeGreaterThan(0.5);
    expect(await rows.first().textContent()).toContain(
      'number of rows of purchases in the last 30 days before the cutoff, per customers.customer_id',
    );
    const n = await rows.count();
    expect(n).toBeGreaterThan(5);

    // another time index for purchases (shipped = ts + 12 days): the features are computed with it
    const count30 = page.locator('[data-testid="suggestion"][data-name="purchases_count_30d"]');
    const scoreOf = async (): Promise<number> =>
      Number((await count30.getByTestId('suggestion-score').textContent())!.split(' ')[0]);
    const timeIndex = page.locator('[data-testid="time-index"][data-table="purchases"]');
    await timeIndex.selectOption('shipped');
    await count30.waitFor({ state: 'detached' });
    await page.getByTestId('suggest-features').click();
    await count30.waitFor();
    const shippedScore = await scoreOf();
    expect(shippedScore).not.toBe(best);
    await timeIndex.selectOption('ts');
    await count30.waitFor({ state: 'detached' });
    await page.getByTestId('suggest-features').click();
    await count30.waitFor();
    expect(await scoreOf()).toBe(best);
    // a lookup through items is not a depth-1 feature of customers: none suggested
    await page.getByTestId('features-preview').waitFor();
    expect(await page.getByTestId('preview-row').count()).toBe(10);
    const header = await page.getByTestId('features-preview').locator('thead th').allTextContents();
    expect(header.slice(0, 5)).toEqual(['customer_id', 'region', 'signup', 'cutoff', 'churned']);
    expect(header).toContain('purchases_count_30d');

    expect(await axeViolations(page), 'features panel at 1400 px').toEqual([]);
    await page
      .getByTestId('features-panel')
      .screenshot({ path: resolve(REPO_ROOT, 'test-results', 'features', 'features-1400.png') });

    // drop one feature: the preview is updated without it
    const dropped = await rows.nth(n - 1).getAttribute('data-name');
    await rows
      .nth(n - 1)
      .getByTestId('suggestion-keep')
      .uncheck();
    await page.getByTestId('refresh-preview').click();
    await page.getByTestId('refresh-preview').waitFor({ state: 'detached' });
    expect(await page.getByTestId('features-preview').locator('thead th').allTextContents()).not.toContain(
      dropped,
    );

    await page.getByTestId('use-features').click();
    await waitForDataset(page, 'customers+features.csv');
    await expect.poll(() => page.getByTestId('target-select').inputValue()).toBe('churned');
    expect(await page.getByTestId('summary-rows').textContent()).toBe('240');
    expect(await page.getByTestId('schema-row').count()).toBe(5 + n - 1);
    await page.getByTestId('features-in-use').waitFor();
    const recipe = JSON.parse((await page.getByTestId('recipe-json').textContent())!) as {
      target: string;
      cutoff: { column: string };
      features: { name: string }[];
    };
    expect(recipe.target).toBe('customers');
    expect(recipe.cutoff).toEqual({ column: 'cutoff' });
    expect(recipe.features).toHaveLength(n - 1);
    expect(recipe.features.map((f) => f.name)).not.toContain(dropped);

    // train on it as on any dropped file
    await page.getByTestId('nav-train').click();
    await page.getByTestId('train-screen').waitFor();
    await expect.poll(() => page.getByTestId('train-what').textContent()).toContain('churned');
    await page.getByTestId('mode-single').check();
    await page.getByTestId('family-select').selectOption('gbdt');
    await page.getByTestId('iterations-input').fill('20');
    await page.getByTestId('iterations-input').dispatchEvent('change');
    await page.getByTestId('train-button').click();
    const results = page.getByTestId('train-results');
    await results.waitFor({ timeout: 180_000 });
    const auc = Number(
      await results
        .locator('[data-testid="metric-row"][data-metric="roc_auc"] [data-testid="metric-value"]')
        .textContent(),
    );
    expect(auc).toBeGreaterThan(0.75);

    // reload: the tables, links and recipe come back from IndexedDB, the feature table is the dataset
    await page.reload();
    await page.getByRole('heading', { name: 'AutoML Studio' }).waitFor();
    await waitForDataset(page, 'customers+features.csv');
    await page.getByTestId('features-panel').waitFor();
    await expect.poll(() => page.getByTestId('feature-table').count()).toBe(3);
    expect(await tableCounts(page)).toEqual({
      customers: ['240', '5'],
      purchases: ['1,520', '6'],
      items: ['12', '3'],
    });
    expect(await link(page, CUSTOMER_LINK).getAttribute('data-confirmed')).toBe('true');
    expect(await link(page, ITEM_LINK).getAttribute('data-confirmed')).toBe('true');
    expect((await page.getByTestId('features-in-use').textContent())!.replace(/\s+/g, ' ')).toContain(
      `${n - 1} features on customers, the dataset customers+features.csv`,
    );
    // the related tables are not listed as datasets of their own
    expect(
      await page
        .locator('[data-testid="stored-dataset"]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-name')).sort()),
    ).toEqual(['customers+features.csv', 'customers.csv']);
    // the kept tables still compute: suggest again after the reload
    await page.getByTestId('suggest-features').click();
    await rows.first().waitFor({ timeout: 60_000 });
    expect(await rows.first().getAttribute('data-name')).toBe('purchases_count_30d');

    // a phone: nothing scrolls sideways
    await page.setViewportSize({ width: 390, height: 844 });
    await expect
      .poll(() => page.evaluate(() => document.documentElement.scrollWidth))
      .toBeLessThanOrEqual(390);
    const box = await page.getByTestId('relationship-diagram').boundingBox();
    expect(box!.width).toBeLessThanOrEqual(390);
    expect(await axeViolations(page), 'features panel at 390 px').toEqual([]);
    await page
      .getByTestId('features-panel')
      .screenshot({ path: resolve(REPO_ROOT, 'test-results', 'features', 'features-390.png') });

    await page.getByTestId('features-clear').click();
    await page.getByTestId('features-panel').waitFor({ state: 'detached' });
  });

  it('reports a bad CSV among several (file, row, column) and keeps the others', async () => {
    studio = await openStudio(browser.context);
    const { page } = studio;
    // start from no project (a failed earlier test may have left one in this profile)
    const clear = page.getByTestId('features-clear');
    if (
      await clear.waitFor({ timeout: 5000 }).then(
        () => true,
        () => false,
      )
    ) {
      await clear.click();
      await page.getByTestId('features-panel').waitFor({ state: 'detached' });
    }
    const file = (path: string) => ({
      name: basename(path),
      mimeType: 'text/csv',
      buffer: readFileSync(path),
    });
    await page
      .getByTestId('file-input')
      .setInputFiles([
        file(FILES[0]),
        { name: 'broken.csv', mimeType: 'text/csv', buffer: Buffer.from('a,b\n1,x\n2,"never closed\n3,z\n') },
        file(FILES[1]),
      ]);
    await page.getByTestId('features-panel').waitFor();
    const err = page.locator('[data-testid="features-file-error"][data-file="broken.csv"]');
    await err.waitFor({ timeout: 60_000 });
    expect(await err.textContent()).toMatch(/broken\.csv.*row 3.*column 2/);
    await expect.poll(() => page.getByTestId('feature-table').count()).toBe(2);
    expect(Object.keys(await tableCounts(page))).toEqual(['customers', 'purchases']);
    await link(page, CUSTOMER_LINK).waitFor();
    await page.getByTestId('features-clear').click();
    await page.getByTestId('features-panel').waitFor({ state: 'detached' });
  });

  it('shows the engine refusing a many-to-many pair, in words', async () => {
    studio = await openStudio(browser.context);
    const { page } = studio;
    const clear = page.getByTestId('features-clear');
    if (
      await clear.waitFor({ timeout: 5000 }).then(
        () => true,
        () => false,
      )
    ) {
      await clear.click();
      await page.getByTestId('features-panel').waitFor({ state: 'detached' });
    }
    // customer_id repeats in both tables: neither side is the "one" side
    const visits = [
      'customer_id,day',
      ...Array.from({ length: 40 }, (_, i) => `${i % 10},2024-01-${String(1 + (i % 28)).padStart(2, '0')}`),
    ];
    const calls = ['customer_id,minutes', ...Array.from({ length: 30 }, (_, i) => `${i % 8},${i}`)];
    await page.getByTestId('file-input').setInputFiles([
      { name: 'notes.csv', mimeType: 'text/csv', buffer: Buffer.from('note,score\nhello,1\nbye,2\n') },
      { name: 'visits.csv', mimeType: 'text/csv', buffer: Buffer.from(visits.join('\n') + '\n') },
      { name: 'calls.csv', mimeType: 'text/csv', buffer: Buffer.from(calls.join('\n') + '\n') },
    ]);
    await page.getByTestId('features-panel').waitFor();
    const refused = page.locator('[data-testid="refused-item"][data-reason="many-to-many"]');
    await refused.first().waitFor({ timeout: 60_000 });
    expect(await refused.first().textContent()).toMatch(
      /customer_id .* refused: many-to-many — keys repeat on both sides/,
    );
    expect(await page.getByTestId('link').count()).toBe(0);
    expect(await page.getByTestId('relationship-diagram').locator('svg').getAttribute('aria-label')).toBe(
      '3 tables, no relationship yet',
    );
    await clear.click();
    await page.getByTestId('features-panel').waitFor({ state: 'detached' });
  });
});
