/** FeaturesSpec in core (src/core/features/spec.ts): applying a recipe, the bundle record, table checks. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { bytesSource, ingestCsv } from '../../../src/core/ingest/index.ts';
import {
  applyFeatures,
  FeatureError,
  featuresRecord,
  parseFeaturesRecord,
  parseRecipe,
  recipeTables,
  tableDifferences,
  tableFingerprint,
  type FeaturesSpec,
} from '../../../src/core/features/index.ts';
import type { Table } from '../../../src/core/data/table.ts';
import { takeRows } from '../../../src/core/data/select.ts';
import { REPO_ROOT } from '../../helpers/paths.ts';
import { cat, date, num, table } from '../../helpers/table.ts';

const DIR = resolve(REPO_ROOT, 'test', 'fixtures', 'features-train');

async function load(name: string): Promise<Table> {
  return (await ingestCsv(bytesSource(`${name}.csv`, readFileSync(resolve(DIR, `${name}.csv`))))).table;
}
const recipe = () => parseRecipe(JSON.parse(readFileSync(resolve(DIR, 'recipe.json'), 'utf8')));

describe('FeaturesSpec', () => {
  it('applyFeatures appends the recipe features to the target table, one row per target row', async () => {
    const customers = await load('customers');
    const spec: FeaturesSpec = { recipe: recipe(), tables: { purchases: await load('purchases') } };
    const { table: t } = applyFeatures(spec, customers);
    expect(t.nRows).toBe(customers.nRows);
    expect(t.columns.map((c) => c.name)).toEqual([
      ...customers.columns.map((c) => c.name),
      ...spec.recipe.features.map((f) => f.name),
    ]);
    // Rows to score have no label column: the recipe still applies.
    const unlabelled = {
      nRows: customers.nRows,
      columns: customers.columns.filter((c) => c.name !== 'churned'),
    };
    expect(applyFeatures(spec, unlabelled).table.columns).toHaveLength(t.columns.length - 1);
  });

  it('names a missing related table, and refuses the target table among the related ones', async () => {
    const customers = await load('customers');
    expect(() => applyFeatures({ recipe: recipe(), tables: {} }, customers)).toThrow(
      "recipe 'churn' needs table 'purchases', which was not given (give --table purchases=FILE.csv)",
    );
    expect(() =>
      applyFeatures({ recipe: recipe(), tables: { customers, purchases: customers } }, customers),
    ).toThrow(/'customers' is the recipe's target/);
    // A related table lacking a column the recipe reads: FeatureError naming table and column.
    const purchases = await load('purchases');
    const noAmount = {
      nRows: purchases.nRows,
      columns: purchases.columns.filter((c) => c.name !== 'amount'),
    };
    let err: unknown;
    try {
      applyFeatures({ recipe: recipe(), tables: { purchases: noAmount } }, customers);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FeatureError);
    expect((err as Error).message).toMatch(/amount/);
    expect((err as Error).message).toMatch(/purchases/);
  });

  it('the record keeps the recipe and the fingerprints of the tables it reads, never their rows', async () => {
    const purchases = await load('purchases');
    const items = await load('items');
    const rec = featuresRecord({ recipe: recipe(), tables: { purchases, items } });
    expect(recipeTables(rec.recipe)).toEqual(['purchases']);
    expect(Object.keys(rec.tables)).toEqual(['purchases']);
    expect(rec.tables.purchases).toEqual({ rows: 695, columns: 5, fingerprint: tableFingerprint(purchases) });
    expect(rec.definitions.map((d) => d.name)).toEqual(rec.recipe.features.map((f) => f.name));
    expect(rec.definitions[0].definition).toBe(
      'count of purchases rows in the 30 days before the cutoff, per customers row (purchases.customer_id → customers.id)',
    );
    const text = JSON.stringify(rec);
    expect(text).not.toContain('p17,'); // no purchase row
    expect(parseFeaturesRecord(text)).toEqual(rec);
    expect(() => parseFeaturesRecord('{"kind":"x"}')).toThrow(/not a features record/);
    expect(() => parseFeaturesRecord(JSON.stringify({ ...rec, tables: { purchases: { rows: 1 } } }))).toThrow(
      /tables.purchases must have rows, columns and a SHA-256 fingerprint/,
    );
  });

  it('tableDifferences says in words how a table differs from the one trained on', async () => {
    const purchases = await load('purchases');
    const rec = featuresRecord({ recipe: recipe(), tables: { purchases } });
    expect(tableDifferences(rec, { purchases })).toEqual([]);
    const fewer = takeRows(
      purchases,
      Int32Array.from({ length: 600 }, (_, i) => i),
    );
    expect(tableDifferences(rec, { purchases: fewer })).toEqual([
      'table purchases differs from the one trained on: 600 rows vs 695',
    ]);
    const big = { ...rec, tables: { purchases: { ...rec.tables.purchases, rows: 1250 } } };
    const mid = takeRows(
      purchases,
      Int32Array.from({ length: 1204 }, (_, i) => i % 695),
    );
    expect(tableDifferences(big, { purchases: mid })).toEqual([
      'table purchases differs from the one trained on: 1,204 rows vs 1,250',
    ]);
    const amount = purchases.columns.findIndex((c) => c.name === 'amount');
    const changed = {
      nRows: purchases.nRows,
      columns: purchases.columns.map((c, j) =>
        j === amount && c.storage === 'float64'
          ? { ...c, values: c.values.map((v, i) => (i === 3 ? v + 1 : v)) }
          : c,
      ),
    };
    expect(tableDifferences(rec, { purchases: changed })).toEqual([
      'table purchases differs from the one trained on: the same 695 rows and 5 columns, but other values',
    ]);
  });

  it('the content fingerprint: equal for equal content (any dictionary order), different for any changed cell', () => {
    const cell = fc.oneof(fc.constant(null), fc.constantFrom('a', 'b', 'c', 'dd'));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.option(fc.double({ noNaN: true }), { nil: null }), cell), {
          minLength: 1,
          maxLength: 30,
        }),
        fc.nat(),
        (rows, pick) => {
          const x = rows.map((r) => r[0]);
          const s = rows.map((r) => r[1]);
          const t = table(num('x', x), cat('s', s));
          // The same strings with the dictionary in another order.
          const c = t.columns[1] as Extract<Table['columns'][number], { storage: 'dict' }>;
          const rev = [...c.dictionary].reverse();
          const recoded = {
            ...c,
            dictionary: rev,
            codes: c.codes.map((k) => (k < 0 ? k : rev.indexOf(c.dictionary[k]))),
          };
          expect(tableFingerprint({ nRows: t.nRows, columns: [t.columns[0], recoded] })).toBe(
            tableFingerprint(t),
          );
          // One changed cell changes it.
          const i = pick % rows.length;
          const x2 = [...x];
          x2[i] = x2[i] === null ? 0 : null;
          expect(tableFingerprint(table(num('x', x2), cat('s', s)))).not.toBe(tableFingerprint(t));
          const s2: (string | null)[] = [...s];
          s2[i] = s2[i] === 'zz' ? null : 'zz';
          expect(tableFingerprint(table(num('x', x), cat('s', s2)))).not.toBe(tableFingerprint(t));
        },
      ),
      { numRuns: 200 },
    );
    // A column renamed or retyped changes it too.
    const a = table(date('d', ['2024-01-01']));
    const b = table(num('d', [Date.parse('2024-01-01')]));
    expect(tableFingerprint(a)).not.toBe(tableFingerprint(b));
  });
});
