/**
 * A model trained in the studio on a project's features carries its recipe (issue 20, acceptance), on
 * the generated shop of test/fixtures/features/shop: three related CSVs → relationships confirmed →
 * suggested features used → AutoML (validation in time order of the cutoff) → registered → the Models
 * screen shows the recipe (and its zip reproduces with `cli reproduce … --table`) → the Score screen asks for the related table by name (a missing one is an
 * error naming it) and scores a new target table → Verify with the project's kept tables says
 * "Reproduced" → after a reload the version still shows its recipe. And with no project kept, the
 * features worker started at page load to look for one does not stay open.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readBundleZip } from '../../src/core/export/zip.ts';
import { runCli } from '../../src/cli/run.ts';
import { injectScript, launchBrowser, openStudio, type Browser, type StudioPage } from './helpers.ts';
import { SHOP_FILES, clearProject, searchGbdt, useShopFeatures } from './features-shop.ts';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Serious and critical axe violations inside `selector` (as test/e2e/a11y.e2e.ts counts them). */
async function axeViolations(page: Page, selector: string): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await injectScript(page, AXE_SOURCE);
  const violations = await page.evaluate(async (sel) => {
    const axe = (
      window as unknown as {
        axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: unknown[] }> };
      }
    ).axe;
    const res = await axe.run(sel, { resultTypes: ['violations'] });
    return res.violations as { id: string; impact: string; nodes: { target: string[] }[] }[];
  }, selector);
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
}

let browser: Browser;
let studio: StudioPage | undefined;
const work = mkdtempSync(join(tmpdir(), 'automl-features-model-'));

async function cli(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runCli(argv, { stdout: (t) => void (out += t), stderr: () => undefined });
  return { code, out };
}

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  rmSync(work, { recursive: true, force: true });
});
afterEach(async () => {
  studio?.assertNoErrors();
  await studio?.page.close();
  studio = undefined;
});

/** New customers to score: the first 40 rows of the target table, without the label. */
function newCustomers(): Buffer {
  const lines = readFileSync(SHOP_FILES[0], 'utf8').trim().split('\n').slice(0, 41);
  return Buffer.from(lines.map((l) => l.split(',').slice(0, 4).join(',')).join('\n') + '\n');
}

describe('a studio model on recipe features (issue 20)', () => {
  it('three tables → features → AutoML in time order → register → score with the related table → verify → reload keeps the recipe', async () => {
    studio = await openStudio(browser.context);
    const { page } = studio;
    const names = await useShopFeatures(page);
    // no suggested feature reads the label
    expect(names.filter((n) => n.includes('churned'))).toEqual([]);

    // AutoML on it: trained on customers.csv with the recipe, validated in time order of the cutoff
    await searchGbdt(page, 3);
    expect(await page.getByTestId('search-facts').textContent()).toContain(
      'in time order of cutoff (validation always later)',
    );

    // register the search run
    await page.getByTestId('nav-experiments').click();
    await page.getByTestId('experiment-row').first().getByTestId('experiment-open').click();
    await page.getByTestId('experiment-title').waitFor();
    const run = page.locator('[data-testid="run-row"][data-run-name="automl search"]');
    await run.waitFor();
    await run.getByTestId('run-select').check();
    await page.getByTestId('register-button').click();
    await page.getByTestId('register-dialog').waitFor();
    await page.getByTestId('register-model-name').fill('churn-features');
    await expect.poll(() => page.getByTestId('register-submit').isEnabled(), { timeout: 30_000 }).toBe(true);
    await page.getByTestId('register-submit').click();
    await expect.poll(() => page.getByTestId('register-done').textContent()).toContain('version 1');

    // the Models screen shows the recipe and the dataset it was trained on (the target table)
    await page.getByTestId('nav-models').click();
    const version = page.locator('[data-testid="version-row"][data-version="1"]');
    await version.waitFor();
    expect(await version.getByTestId('lineage-recipe').textContent()).toContain('customers-features@1');
    expect(await version.getByTestId('lineage-dataset').textContent()).toContain('customers.csv');

    // its zip is a CLI bundle with the recipe: `cli reproduce` with the same tables says reproduced
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      version.getByTestId('version-download').click(),
    ]);
    const zip = join(work, 'churn-features.zip');
    copyFileSync((await download.path())!, zip);
    expect(Object.keys(readBundleZip(new Uint8Array(readFileSync(zip))))).toContain('features.json');
    const replay = await cli(['reproduce', zip, SHOP_FILES[0], '--table', `purchases=${SHOP_FILES[1]}`]);
    expect(replay.out).toMatch(/verdict: reproduced\n$/);
    expect(replay.code).toBe(0);

    // Score: the screen asks for the related table by name; without it, an error naming it
    await version.getByTestId('version-score').click();
    await page.getByTestId('score-screen').waitFor();
    const tables = page.getByTestId('score-tables');
    await tables.waitFor({ timeout: 30_000 });
    expect(await tables.getAttribute('data-recipe')).toBe('customers-features@1');
    expect(
      await page
        .getByTestId('score-table-input')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-table'))),
    ).toEqual(['purchases']);
    await page
      .getByTestId('score-csv-input')
      .setInputFiles({ name: 'new_customers.csv', mimeType: 'text/csv', buffer: newCustomers() });
    await expect
      .poll(() => page.getByTestId('score-error').textContent(), { timeout: 30_000 })
      .toContain("from table 'purchases', which was not given");
    await page
      .locator('[data-testid="score-table-input"][data-table="purchases"]')
      .setInputFiles(SHOP_FILES[1]);
    const result = page.getByTestId('score-result');
    await result.waitFor({ timeout: 60_000 });
    expect(await result.getAttribute('data-rows')).toBe('40');
    expect(await page.getByTestId('score-error').count()).toBe(0);
    expect(await axeViolations(page, '[data-testid="score-tables"]')).toEqual([]);
    // the results too: a scrolling region reachable by keyboard, readable column headers
    expect(await axeViolations(page, '[data-testid="score-result"]')).toEqual([]);
    // the same predictions as `cli predict` with the same tables
    const [predicted] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('score-download').click(),
    ]);
    const newPath = join(work, 'new_customers.csv');
    writeFileSync(newPath, newCustomers());
    const byCli = await cli(['predict', zip, newPath, '--table', `purchases=${SHOP_FILES[1]}`]);
    expect(byCli.code).toBe(0);
    expect(readFileSync((await predicted.path())!, 'utf8')).toBe(byCli.out);

    // Monitor the new customers: without the related table an error names it; with it, the
    // computed features are compared with the reference like any input
    await page.getByTestId('nav-monitor').click();
    await page.getByTestId('monitor-tables').waitFor({ timeout: 30_000 });
    await page.getByTestId('monitor-csv-input').setInputFiles(newPath);
    await expect
      .poll(() => page.getByTestId('monitor-error').textContent(), { timeout: 30_000 })
      .toContain("'purchases'");
    await page
      .locator('[data-testid="monitor-table-input"][data-table="purchases"]')
      .setInputFiles(SHOP_FILES[1]);
    await page.getByTestId('monitor-csv-input').setInputFiles(newPath);
    await page.getByTestId('monitor-verdict').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('monitor-error').count()).toBe(0);
    const own = new Set(readFileSync(SHOP_FILES[0], 'utf8').split('\n')[0]!.split(','));
    const compared = await page
      .getByTestId('monitor-column-row')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-column')!));
    expect(compared.filter((c) => !own.has(c)).length).toBeGreaterThan(0);
    expect(await axeViolations(page, '[data-testid="monitor-tables"]')).toEqual([]);

    // Verify by replay with the project's kept tables
    await page.getByTestId('nav-models').click();
    await version.waitFor();
    await version.getByTestId('version-verify').click();
    await version.getByTestId('verify-tables').waitFor();
    await version.getByTestId('verify-use-project').click();
    await expect
      .poll(() => version.getByTestId('verify-target-name').textContent())
      .toContain('customers.csv');
    expect(
      await version.locator('[data-testid="verify-table-name"][data-table="purchases"]').textContent(),
    ).toBe('purchases.csv');
    await version.getByTestId('verify-button').click();
    await expect
      .poll(() => version.getByTestId('verify-verdict').getAttribute('data-verdict'), { timeout: 240_000 })
      .toBe('reproduced');
    expect(await version.getByTestId('verify-verdict').textContent()).toContain('Reproduced');
    expect(await axeViolations(page, '[data-testid="verify-tables"]')).toEqual([]);

    // reload: the version still shows its recipe, the project its recipe in use
    await page.reload();
    await page.getByRole('heading', { name: 'AutoML Studio' }).waitFor();
    await page.getByTestId('features-in-use').waitFor({ timeout: 60_000 });
    await page.getByTestId('nav-models').click();
    await version.waitFor();
    expect(await version.getByTestId('lineage-recipe').textContent()).toContain('customers-features@1');

    await page.getByTestId('nav-data').click();
    await clearProject(page);
  });

  it('with no project kept, the features worker started at page load to look for one is closed', async () => {
    studio = await openStudio(browser.context);
    const { page } = studio;
    await clearProject(page);
    const started: string[] = [];
    const closed: string[] = [];
    page.on('worker', (w) => {
      if (!w.url().includes('features.worker')) return;
      started.push(w.url());
      w.on('close', () => closed.push(w.url()));
    });
    await page.reload();
    await page.getByRole('heading', { name: 'AutoML Studio' }).waitFor();
    await expect.poll(() => started.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
    await expect.poll(() => closed.length, { timeout: 30_000 }).toBe(started.length);
    expect(page.workers().filter((w) => w.url().includes('features.worker'))).toEqual([]);
    // dropping tables starts it again
    await page.getByTestId('file-input').setInputFiles(
      SHOP_FILES.slice(0, 2).map((f) => ({
        name: basename(f),
        mimeType: 'text/csv',
        buffer: readFileSync(f),
      })),
    );
    await expect.poll(() => page.getByTestId('feature-table').count(), { timeout: 60_000 }).toBe(2);
    await clearProject(page);
  });
});
