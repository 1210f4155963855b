/**
 * A recipe's life after `features build` (issue 20), on a three-table fixture (customers, purchases,
 * items; test/fixtures/features-train/make.py states the planted truth): fit and automl with
 * --recipe/--table record the recipe in the bundle (features.json, listed and hashed), predict and
 * reproduce take the related tables, and a search with a cutoff column validates in time order.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cli } from '../helpers/cli.ts';
import { REPO_ROOT } from '../helpers/paths.ts';
import { readBundleDir } from '../../src/cli/bundle-io.ts';
import { BundleError, loadBundle } from '../../src/core/export/bundle.ts';
import { rehashed } from '../helpers/rehash.ts';

const DIR = resolve(REPO_ROOT, 'test', 'fixtures', 'features-train');
const F = (name: string) => join(DIR, name);
const RECIPE = ['--recipe', F('recipe.json')];
const PURCHASES = ['--table', `purchases=${F('purchases.csv')}`];

const tmp = () => mkdtempSync(join(tmpdir(), 'automl-features-bundle-'));

/** The first `rows` data rows of the purchases file. */
function fewerPurchases(dir: string, rows: number): string {
  const lines = readFileSync(F('purchases.csv'), 'utf8').split('\n');
  const path = join(dir, 'purchases-fewer.csv');
  writeFileSync(path, lines.slice(0, rows + 1).join('\n') + '\n');
  return path;
}

describe('cli fit/predict/reproduce with a recipe', () => {
  const dir = tmp();
  const bundle = join(dir, 'fit-bundle');

  it('fit --recipe --table: trains on the features; features.json is listed and hashed; the card defines them', async () => {
    const r = await cli([
      'fit',
      F('customers.csv'),
      '--target',
      'churned',
      '--out',
      bundle,
      ...RECIPE,
      ...PURCHASES,
      '--table',
      `items=${F('items.csv')}`,
      '--store',
      join(dir, 'tracking.db'),
    ]);
    expect(r.err).toMatch(/^recorded run \w+ in /);
    expect(r.code).toBe(0);
    // The tracked run says which recipe its features came from.
    const runs = await cli(['runs', 'list', '--json', '--store', join(dir, 'tracking.db')]);
    expect(JSON.parse(runs.out)[0].tags.recipe).toBe('churn v1');
    expect(r.out).toContain(
      "features: recipe 'churn' v1, 5 features from purchases (695 rows), items (5 rows)",
    );
    expect(r.out).toContain('note: the recipe reads no column of items; not recorded');
    const files = readBundleDir(bundle);
    const manifest = JSON.parse(files['manifest.json']!);
    expect(Object.keys(manifest.files)).toContain('features.json');
    expect(manifest.features.recipe).toEqual({ name: 'churn', version: 1, target: 'customers' });
    // The recipe's cutoff orders the holdout: the latest rows validate; reproduce reads it back.
    expect(manifest.split).toMatchObject({
      strategy: 'holdout',
      stratified: false,
      timeOrder: { column: 'cutoff' },
    });
    expect(r.out).toContain('held-out rows, the latest by cutoff');
    expect(Object.keys(manifest.features.tables)).toEqual(['purchases']);
    expect(manifest.features.tables.purchases.rows).toBe(695);
    // The model reads the features (they are in its signature) …
    const inputs = manifest.signature.inputs.map((c: { name: string }) => c.name);
    expect(inputs).toContain('purchases_count_30d');
    // … and the dataset is the target file as given (its own fingerprint and columns).
    expect(manifest.dataset.name).toBe('customers.csv');
    expect(manifest.dataset.columns).toBe(5);
    const rec = JSON.parse(files['features.json']!);
    expect(rec.recipe).toEqual(JSON.parse(readFileSync(F('recipe.json'), 'utf8')));
    expect(files['features.json']).not.toContain('p1,'); // never the rows
    const card = files['MODEL_CARD.md']!;
    expect(card).toContain('## Features');
    expect(card).toContain(
      '| `purchases_count_30d` | aggregate | count of purchases rows in the 30 days before the cutoff, per customers row (purchases.customer_id → customers.id) |',
    );
    expect(card).toContain(
      `\`purchases\`: 695 rows × 5 columns, content SHA-256 \`${rec.tables.purchases.fingerprint}\``,
    );
    // The bundle loads with its recipe.
    const loaded = loadBundle(files);
    expect(loaded.features?.recipe.name).toBe('churn');
  });

  it('manifest integrity covers the recipe: an edited features.json is refused, naming it', () => {
    const files = readBundleDir(bundle) as Record<string, string>;
    delete files['manifest.sig'];
    const rec = JSON.parse(files['features.json']);
    rec.recipe.features[0].windowDays = 3650; // a quiet change of a feature's definition
    const edited = { ...files, 'features.json': JSON.stringify(rec, null, 2) + '\n' };
    expect(() => loadBundle(edited)).toThrow(BundleError);
    expect(() => loadBundle(edited)).toThrow(/features\.json/);
    // A manifest with features but without features.json listed is refused too.
    const m = JSON.parse(files['manifest.json']);
    delete m.files['features.json'];
    const { 'features.json': _drop, ...rest } = files;
    expect(() => loadBundle({ ...rest, 'manifest.json': JSON.stringify(m) })).toThrow(
      'manifest.json has features but does not list features.json in files',
    );
    // Re-hashed (as a forger would), a features.json that is not a record is still refused by name.
    const forged = rehashed({ ...files, 'features.json': '{"kind":"other"}\n' });
    expect(() => loadBundle(forged)).toThrow(/features\.json is not a features record/);
  });

  it('predict --table rebuilds the features for new rows; a missing table is named', async () => {
    const out = join(dir, 'pred.csv');
    const r = await cli(['predict', bundle, F('new_customers.csv'), ...PURCHASES, '--out', out]);
    expect(r.code).toBe(0);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('no,yes,prediction');
    expect(lines).toHaveLength(21);
    // The planted truth (churn = no purchase in the 30 days before the cutoff) shows in the predictions.
    const preds = lines.slice(1).map((l) => l.split(',')[2]);
    expect(new Set(preds)).toEqual(new Set(['no', 'yes']));

    const missing = await cli(['predict', bundle, F('new_customers.csv'), '--out', out]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain(
      "the model reads features of recipe 'churn' computed from table 'purchases', which was not given (give --table purchases=FILE.csv)",
    );
    // A related table lacking a column the recipe reads: named.
    const noAmount = join(dir, 'purchases-no-amount.csv');
    writeFileSync(
      noAmount,
      readFileSync(F('purchases.csv'), 'utf8')
        .split('\n')
        .map((l) => l.split(',').slice(0, 4).join(','))
        .join('\n'),
    );
    const col = await cli(['predict', bundle, F('new_customers.csv'), '--table', `purchases=${noAmount}`]);
    expect(col.code).toBe(2);
    expect(col.err).toMatch(/amount/);
  });

  it('reproduce with the same tables: bit for bit; with another purchases table: said in words', async () => {
    const same = await cli(['reproduce', bundle, F('customers.csv'), ...PURCHASES]);
    expect(same.out).toContain('related table purchases: the same as trained on');
    expect(same.out).toContain('verdict: reproduced');
    expect(same.code).toBe(0);

    const other = await cli([
      'reproduce',
      bundle,
      F('customers.csv'),
      '--table',
      `purchases=${fewerPurchases(dir, 600)}`,
      '--json',
    ]);
    expect(other.code).toBe(1);
    const v = JSON.parse(other.out);
    expect(v.verdict).toBe('not reproduced');
    expect(v.tableDifferences).toEqual(['table purchases differs from the one trained on: 600 rows vs 695']);
    expect(v.explanation.join(' ')).toMatch(/a related table is not the one the model was trained on/);

    const none = await cli(['reproduce', bundle, F('customers.csv')]);
    expect(none.code).toBe(2);
    expect(none.err).toContain("computed from table 'purchases', which was not given");
  });

  it('bad input: --table without --recipe, the target table as a --table, a recipe table not given', async () => {
    const base = ['fit', F('customers.csv'), '--target', 'churned', '--out', join(dir, 'x'), '--no-track'];
    const a = await cli([...base, ...PURCHASES]);
    expect(a.code).toBe(2);
    expect(a.err).toContain('--table goes with --recipe recipe.json');
    const b = await cli([...base, ...RECIPE, ...PURCHASES, '--table', `customers=${F('customers.csv')}`]);
    expect(b.code).toBe(2);
    expect(b.err).toContain("'customers' is the recipe's target table, which is the main CSV file");
    const c = await cli([...base, ...RECIPE]);
    expect(c.code).toBe(2);
    expect(c.err).toContain("recipe 'churn' needs table 'purchases': give --table purchases=FILE.csv");
    // A model without a recipe takes no tables.
    const plain = join(dir, 'plain');
    expect(
      (await cli(['fit', F('customers.csv'), '--target', 'churned', '--out', plain, '--no-track'])).code,
    ).toBe(0);
    const d = await cli(['predict', plain, F('customers.csv'), ...PURCHASES]);
    expect(d.code).toBe(2);
    expect(d.err).toContain('this model reads no recipe features, so it takes no related tables');
  });

  it('bundles made before recipes still load (no features.json)', () => {
    for (const name of ['v1-fit-gbdt', 'v2-automl-linear']) {
      const b = loadBundle(readBundleDir(resolve(REPO_ROOT, 'test', 'fixtures', 'bundle', name)));
      expect(b.features).toBeUndefined();
    }
    rmSync(join(dir, 'x'), { recursive: true, force: true });
  });
});

describe('cli automl with a recipe: time-ordered validation', () => {
  it('the cutoff column orders the folds (expanding windows), the manifest records it, reproduce replays it', async () => {
    const dir = tmp();
    const out = join(dir, 'auto.zip');
    const r = await cli([
      'automl',
      F('customers.csv'),
      '--target',
      'churned',
      '--out',
      out,
      ...RECIPE,
      ...PURCHASES,
      '--families',
      'gbdt,linear',
      '--max-trials',
      '3',
      '--workers',
      '0',
      '--no-track',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const m = JSON.parse(r.out);
    expect(m.split.timeOrder).toEqual({ column: 'cutoff' });
    expect(m.search.split.timeOrder).toEqual({ column: 'cutoff' });
    expect(m.split.strategy).toBe('kfold');
    expect(m.split.stratified).toBe(false);
    expect(m.features.recipe.name).toBe('churn');

    const again = await cli(['reproduce', out, '--data', F('customers.csv'), ...PURCHASES]);
    expect(again.out).toContain('verdict: reproduced');
    expect(again.code).toBe(0);

    // The recorded order matters: without it the replay splits differently and does not reproduce.
    const { readBundleFiles, writeBundle } = await import('../../src/cli/bundle-io.ts');
    const files = readBundleFiles(out).files as Record<string, string>;
    const edited = JSON.parse(files['manifest.json']);
    delete edited.split.timeOrder;
    delete edited.search.split.timeOrder;
    const unsigned: Record<string, string> = { ...files, 'manifest.json': JSON.stringify(edited, null, 2) };
    delete unsigned['manifest.sig'];
    const plainOut = join(dir, 'no-order');
    writeBundle(plainOut, unsigned);
    const differs = await cli(['reproduce', plainOut, '--data', F('customers.csv'), ...PURCHASES]);
    expect(differs.out).toContain('verdict: not reproduced');
  });

  it('--time-column orders a plain CSV search; a bad time column is a clear error', async () => {
    const dir = tmp();
    const base = [
      'automl',
      F('customers.csv'),
      '--target',
      'churned',
      '--families',
      'gbdt',
      '--max-trials',
      '1',
      '--workers',
      '0',
      '--no-track',
    ];
    const ok = await cli([...base, '--out', join(dir, 'a'), '--time-column', 'signup']);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/validation: \d-fold, time-ordered by signup \(expanding windows\)/);
    const bad = await cli([...base, '--out', join(dir, 'b'), '--time-column', 'region']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("time column 'region' is categorical, not a date or a number");
  });
});
