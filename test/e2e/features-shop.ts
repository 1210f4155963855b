/**
 * The generated shop of test/fixtures/features/shop as a project of related tables in the studio
 * (issue 20), for the end-to-end tests of models trained on recipe features
 * (features-model.e2e.ts, explain-features.e2e.ts): its three CSVs dropped together, the
 * purchases → customers relationship confirmed, the label `churned`, the suggested features used as
 * the dataset; and a small GBDT search on it.
 */
import { basename, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { REPO_ROOT } from '../helpers/paths.ts';
import { waitForDataset } from './helpers.ts';

export const SHOP = resolve(REPO_ROOT, 'test', 'fixtures', 'features', 'shop');
/** customers.csv (the target table), purchases.csv, items.csv. */
export const SHOP_FILES = ['customers.csv', 'purchases.csv', 'items.csv'].map((f) => resolve(SHOP, f));
export const CUSTOMER_LINK = 'purchases.customer_id → customers.customer_id';

/** Clears the project of related tables kept in this browser, when there is one. */
export async function clearProject(page: Page): Promise<void> {
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
}

/**
 * Drops the shop's three tables, confirms the purchases → customers link, picks the label and uses
 * the suggested features: the dataset on screen is then `customers+features.csv` with target
 * `churned`. Returns the names of the features used.
 */
export async function useShopFeatures(page: Page): Promise<string[]> {
  await clearProject(page);
  await page
    .getByTestId('file-input')
    .setInputFiles(
      SHOP_FILES.map((f) => ({ name: basename(f), mimeType: 'text/csv', buffer: readFileSync(f) })),
    );
  await page.getByTestId('features-panel').waitFor();
  await expect.poll(() => page.getByTestId('feature-table').count(), { timeout: 60_000 }).toBe(3);
  await waitForDataset(page, 'customers.csv');
  const link = page.locator(`[data-testid="link"][data-link="${CUSTOMER_LINK}"]`);
  await link.waitFor();
  await page.getByRole('button', { name: `Confirm ${CUSTOMER_LINK}` }).click();
  await expect.poll(() => link.getAttribute('data-confirmed')).toBe('true');
  await page.getByTestId('features-label').selectOption('churned');
  expect(await page.getByTestId('features-cutoff').inputValue()).toBe('col:cutoff');
  await page.getByTestId('suggest-features').click();
  await page.getByTestId('suggestion').first().waitFor({ timeout: 60_000 });
  const names = await page
    .getByTestId('suggestion')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-name')!));
  await page.getByTestId('use-features').click();
  await waitForDataset(page, 'customers+features.csv');
  await expect.poll(() => page.getByTestId('target-select').inputValue()).toBe('churned');
  return names;
}

/** Starts AutoML on the dataset on screen with GBDT only and `trials` trials, and waits for its results. */
export async function searchGbdt(page: Page, trials: number): Promise<void> {
  await page.getByTestId('nav-train').click();
  await page.getByTestId('search-panel').waitFor();
  for (const f of ['gbdt', 'random_forest', 'linear', 'mlp']) {
    const box = page.getByTestId(`search-family-${f}`);
    if (f === 'gbdt') await box.check();
    else await box.uncheck();
  }
  await page.getByTestId('max-trials-input').fill(String(trials));
  await page.getByTestId('max-trials-input').dispatchEvent('change');
  await page.getByTestId('search-start').click();
  await page.getByTestId('search-results').waitFor({ timeout: 240_000 });
}
