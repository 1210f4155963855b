/**
 * The feature store in the studio (issue 20), in Chromium over real IndexedDB, on the generated shop
 * of test/fixtures/features/shop:
 * - "Use these features" keeps the recipe under the name typed (shop-churn@1) and its feature table
 *   with the tables' fingerprints;
 * - the kept table is bit-identical to the one Node computes from the same CSV files, and its key
 *   (recipe version + table fingerprints) is the one Node computes: same bits in both runtimes;
 * - after a reload (a new experiment on the same tables) the stored recipe is picked instead of
 *   suggesting again, and its kept table is reused.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bytesSource, ingestCsv } from '../../src/core/ingest/index.ts';
import { buildFeatures } from '../../src/core/features/build.ts';
import {
  encodeTable,
  tableKeyFor,
  featureTableKey,
  type StoredRecipe,
} from '../../src/core/features/store.ts';
import { REPO_ROOT } from '../helpers/paths.ts';
import { launchBrowser, openStudio, waitForDataset, type Browser, type StudioPage } from './helpers.ts';

const SHOP = resolve(REPO_ROOT, 'test', 'fixtures', 'features', 'shop');
const FILES = ['customers.csv', 'purchases.csv', 'items.csv'].map((f) => resolve(SHOP, f));
const CUSTOMER_LINK = 'purchases.customer_id → customers.customer_id';

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

interface Kept {
  recipes: StoredRecipe[];
  tables: { key: string; recipeName: string; recipeVersion: number }[];
  data: { key: string; sha256: string }[];
}

describe('feature store in the studio (issue 20)', () => {
  it('keeps the used recipe and its table (same bits as Node), and a new experiment reuses them', async () => {
    studio = await openStudio(browser.context);
    const { page } = studio;
    const contents = FILES.map((f) => ({ name: basename(f), text: readFileSync(f, 'utf8') }));
    await page.getByTestId('drop-zone').evaluate((el, files) => {
      const dt = new DataTransfer();
      for (const f of files) dt.items.add(new File([f.text], f.name, { type: 'text/csv' }));
      el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, contents);
    await expect.poll(() => page.getByTestId('feature-table').count(), { timeout: 60_000 }).toBe(3);
    await waitForDataset(page, 'customers.csv');
    await page.getByRole('button', { name: `Confirm ${CUSTOMER_LINK}` }).click();
    await page.getByTestId('features-label').selectOption('churned');
    // nothing stored yet: no stored recipe to pick
    expect(await page.getByTestId('stored-recipes').count()).toBe(0);
    await page.getByTestId('suggest-features').click();
    await page.getByTestId('suggestion').first().waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('recipe-name').getAttribute('placeholder')).toBe('customers-features');
    await page.getByTestId('recipe-name').fill('shop-churn');
    await page.getByTestId('use-features').click();
    await waitForDataset(page, 'customers+features.csv');
    await expect
      .poll(() => page.getByTestId('store-note').textContent())
      .toBe(
        'Kept as recipe shop-churn@1 in the feature store. Its feature table was computed and kept with the tables’ fingerprints.',
      );
    expect((await page.getByTestId('features-in-use').textContent())!.replace(/\s+/g, ' ')).toContain(
      'In use: recipe shop-churn@1',
    );

    // What IndexedDB holds (read raw, without the app's code).
    const readKept = () =>
      page.evaluate(async (): Promise<Kept> => {
        const db = await new Promise<IDBDatabase>((res, rej) => {
          const r = indexedDB.open('automl-studio-tracking');
          r.onsuccess = () => res(r.result);
          r.onerror = () => rej(r.error);
        });
        const all = <T>(store: string) =>
          new Promise<T[]>((res, rej) => {
            const r = db.transaction(store).objectStore(store).getAll();
            r.onsuccess = () => res(r.result as T[]);
            r.onerror = () => rej(r.error);
          });
        const recipes = await all<StoredRecipe>('featureRecipes');
        const tables = await all<Kept['tables'][number]>('featureTables');
        const data = await all<{ key: string; bytes: Uint8Array }>('featureTableData');
        db.close();
        const hex = (b: ArrayBuffer) =>
          Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');
        return {
          recipes,
          tables,
          data: await Promise.all(
            data.map(async (d) => ({
              key: d.key,
              sha256: hex(await crypto.subtle.digest('SHA-256', d.bytes.slice().buffer)),
            })),
          ),
        };
      });
    const kept = await readKept();
    expect(kept.recipes.map((r) => [r.name, r.version])).toEqual([['shop-churn', 1]]);
    expect(kept.tables).toHaveLength(1);
    expect(kept.data.map((d) => d.key)).toEqual([kept.tables[0].key]);

    // Node: the same recipe on the same files gives the same key (fingerprints) and the same bits.
    const tables: Record<string, Awaited<ReturnType<typeof ingestCsv>>['table']> = {};
    for (const f of FILES)
      tables[basename(f, '.csv')] = (await ingestCsv(bytesSource(basename(f), readFileSync(f)))).table;
    const stored = kept.recipes[0];
    expect(featureTableKey(tableKeyFor(stored, tables))).toBe(kept.tables[0].key);
    const nodeBytes = encodeTable(buildFeatures(stored.recipe, tables).features);
    expect(kept.data[0].sha256).toBe(createHash('sha256').update(nodeBytes).digest('hex'));

    // Using the same features again: the same version, the kept table reused.
    await page.getByTestId('use-features').click();
    await expect
      .poll(() => page.getByTestId('store-note').textContent())
      .toMatch(
        /^Recipe shop-churn@1 in the feature store already holds these features\. Reused its feature table kept on .* UTC from the same tables\.$/,
      );

    // A new experiment on the same tables after a reload: pick the stored recipe, no suggesting.
    await page.reload();
    await page.getByRole('heading', { name: 'AutoML Studio' }).waitFor();
    await expect.poll(() => page.getByTestId('feature-table').count(), { timeout: 60_000 }).toBe(3);
    await page.getByTestId('stored-recipes').waitFor();
    expect(await page.getByTestId('suggestion').count()).toBe(0);
    expect(await page.getByTestId('stored-recipe').inputValue()).toBe('shop-churn@1');
    await page.getByTestId('use-stored').click();
    await expect
      .poll(() => page.getByTestId('store-note').textContent(), { timeout: 60_000 })
      .toMatch(/^Reused its feature table kept on .* UTC from the same tables\.$/);
    await waitForDataset(page, 'customers+features.csv');
    await expect.poll(() => page.getByTestId('target-select').inputValue()).toBe('churned');
    expect((await readKept()).tables).toHaveLength(1);
  });
});
