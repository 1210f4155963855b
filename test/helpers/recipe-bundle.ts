/**
 * A model trained on recipe features, for the tests of what scores one (serve, monitor, predict.mjs):
 * `fit` with the churn recipe of test/fixtures/features-train (customers + purchases; make.py states
 * the planted truth), as a zip in a fresh temp folder.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import { cli } from './cli.ts';
import { REPO_ROOT } from './paths.ts';

/** A file of the recipe fixture (customers.csv, new_customers.csv, purchases.csv, recipe.json …). */
export const recipeFixture = (name: string) =>
  join(resolve(REPO_ROOT, 'test', 'fixtures', 'features-train'), name);

/** `--table purchases=…`: the related table the churn recipe reads. */
export const RECIPE_TABLES = ['--table', `purchases=${recipeFixture('purchases.csv')}`];

/** Fits the churn recipe's model (30 rounds, seeded) and returns its zip. */
export async function fitRecipeBundle(): Promise<string> {
  const zip = join(mkdtempSync(join(tmpdir(), 'automl-recipe-bundle-')), 'model.zip');
  const r = await cli([
    'fit',
    recipeFixture('customers.csv'),
    '--target',
    'churned',
    '--recipe',
    recipeFixture('recipe.json'),
    ...RECIPE_TABLES,
    '--params',
    '{"rounds": 30}',
    '--out',
    zip,
    '--no-track',
    '--seed',
    '3',
  ]);
  expect(r.code, r.err).toBe(0);
  return zip;
}
