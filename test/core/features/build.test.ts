/** Relationship proposal on a 3-table fixture, lookups, date parts, suggestion, and the bad-input errors. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { bytesSource, ingestCsv } from '../../../src/core/ingest/index.ts';
import {
  buildFeatures,
  FeatureError,
  parseRecipe,
  proposeRelationships,
  suggestFeatures,
  RECIPE_SCHEMA_VERSION,
  type Recipe,
  type Tables,
} from '../../../src/core/features/index.ts';
import { columnByName, type Column, type Table } from '../../../src/core/data/table.ts';
import { REPO_ROOT } from '../../helpers/paths.ts';
import { cat, date, num, table } from '../../helpers/table.ts';

const FIXTURES = resolve(REPO_ROOT, 'test', 'fixtures', 'features');

async function load(name: string): Promise<Table> {
  const bytes = readFileSync(resolve(FIXTURES, `${name}.csv`));
  return (await ingestCsv(bytesSource(`${name}.csv`, bytes))).table;
}

async function shop(): Promise<Tables> {
  return {
    customers: await load('customers'),
    purchases: await load('purchases'),
    items: await load('items'),
  };
}

function values(col: Column | undefined): (number | string | null)[] {
  if (!col) throw new Error('no column');
  const n = col.storage === 'dict' ? col.codes.length : col.values.length;
  return Array.from({ length: n }, (_, i) => {
    if (col.storage === 'dict') return col.codes[i] < 0 ? null : col.dictionary[col.codes[i]];
    const v = col.values[i];
    return Number.isNaN(v) || v === 255 ? null : v;
  });
}

function errorOf(fn: () => unknown): FeatureError {
  try {
    fn();
  } catch (err) {
    if (err instanceof FeatureError) return err;
    throw err;
  }
  throw new Error('expected a FeatureError');
}

const toCustomers = {
  child: 'purchases',
  childColumn: 'customer_id',
  parent: 'customers',
  parentColumn: 'id',
};
const toItems = { child: 'purchases', childColumn: 'item_id', parent: 'items', parentColumn: 'item_id' };

function recipe(partial: Partial<Recipe>): Recipe {
  return {
    schemaVersion: RECIPE_SCHEMA_VERSION,
    name: 'r',
    version: 1,
    target: 'customers',
    timeIndex: {},
    features: [],
    ...partial,
  };
}

describe('relationship proposal (customers, purchases, items)', () => {
  it('proposes purchases → customers and purchases → items with their match rates, and the time indexes', async () => {
    const p = proposeRelationships(await shop());
    const links = p.relationships.map((r) => `${r.child}.${r.childColumn}>${r.parent}.${r.parentColumn}`);
    expect(links.sort()).toEqual(['purchases.customer_id>customers.id', 'purchases.item_id>items.item_id']);
    const c = p.relationships.find((r) => r.parent === 'customers')!;
    // 13 of the 14 purchases name an existing customer (customer 9 does not exist)
    expect(c.matched).toBe(13);
    expect(c.rows).toBe(14);
    expect(c.text).toBe('purchases.customer_id → customers.id, 92.8% of values match');
    expect(p.refused).toEqual([]);
    expect(p.timeIndexes.find((t) => t.table === 'purchases')).toEqual({
      table: 'purchases',
      column: 'ts',
      candidates: ['ts'],
    });
    expect(p.timeIndexes.find((t) => t.table === 'items')?.column).toBeNull();
    expect(p.timeIndexes.find((t) => t.table === 'customers')?.candidates).toEqual(['signup', 'cutoff']);
  });

  it('flags duplicated keys on the "one" side', async () => {
    const t = await shop();
    const items = t.items;
    const dupItems = table(
      cat('item_id', ['A', 'B', 'C', 'D', 'A', ...'EFGHIJKLMNOPQRSTUVWXYZ'.split('')]),
      num('price', Array(27).fill(1)),
    );
    const p = proposeRelationships({ ...t, items: dupItems });
    const link = p.relationships.find((r) => r.parent === 'items')!;
    expect(link.parentDuplicateRows).toBe(1);
    expect(link.parentDuplicateExamples).toEqual(['A']);
    expect(link.text).toContain("repeats 1 keys (e.g. 'A')");
    expect(items.nRows).toBe(4);
  });

  it('refuses many-to-many with the reason', () => {
    const a = table(cat('tag_id', ['x', 'x', 'y', 'y']), num('v', [1, 2, 3, 4]));
    const b = table(cat('tag_id', ['x', 'y', 'x', 'y']), num('w', [1, 2, 3, 4]));
    const p = proposeRelationships({ a, b });
    expect(p.relationships).toEqual([]);
    expect(p.refused.map((r) => r.reason)).toEqual(['many-to-many', 'many-to-many']);
    expect(p.refused[0].text).toMatch(/many-to-many — keys repeat on both sides/);
  });

  it('refuses a link that would close a cycle', () => {
    const teams = table(cat('id', ['t1', 't2', 't3']), cat('player_id', ['p1', 'p2', 'p3']));
    const players = table(cat('id', ['p1', 'p2', 'p3']), cat('team_id', ['t1', 't2', 't3']));
    const p = proposeRelationships({ teams, players });
    expect(p.relationships).toHaveLength(1);
    expect(p.refused).toHaveLength(1);
    expect(p.refused[0].reason).toBe('cycle');
    expect(p.refused[0].text).toMatch(
      /would close a cycle \((teams → players → teams|players → teams → players)\)/,
    );
  });

  it('does not propose a link whose values barely match', () => {
    const customers = table(cat('id', ['1', '2', '3', '4']));
    const orders = table(cat('customer_id', ['1', '7', '8', '9', '10']), num('x', [1, 2, 3, 4, 5]));
    const p = proposeRelationships({ customers, orders });
    expect(p.relationships).toEqual([]);
    expect(p.refused[0].reason).toBe('low-match');
    expect(p.refused[0].text).toBe(
      'orders.customer_id → customers.id not proposed: only 20% of values match (1 of 5 rows)',
    );
  });
});

describe('lookups and context features', () => {
  it('copies parent columns onto each row; the row count never changes; a missing match is missing', async () => {
    const t = await shop();
    const res = buildFeatures(
      recipe({
        target: 'purchases',
        features: [
          { kind: 'lookup', name: 'item_category', relationship: toItems, column: 'category' },
          { kind: 'lookup', name: 'customer_region', relationship: toCustomers, column: 'region' },
        ],
      }),
      t,
    );
    expect(res.features.nRows).toBe(t.purchases.nRows);
    expect(values(columnByName(res.features, 'item_category')).slice(0, 4)).toEqual([
      'books',
      'games',
      'books',
      'books',
    ]);
    const region = values(columnByName(res.features, 'customer_region'));
    expect(region[0]).toBe('north');
    expect(region[13]).toBeNull(); // customer 9 does not exist
    expect(res.relationships.map((r) => r.text)).toContain(
      'purchases.customer_id → customers.id: 92.8% of values match (13 of 14 rows)',
    );
  });

  it('date parts are UTC, weekday 0 = Monday', () => {
    const t = table(date('d', ['2024-03-02T00:00:00Z', '2024-03-04T23:30:00Z', null]));
    const parts = ['year', 'month', 'day', 'weekday', 'is_weekend', 'hour', 'day_of_year'] as const;
    const res = buildFeatures(
      recipe({
        target: 't',
        features: parts.map((part) => ({ kind: 'date_part' as const, name: part, column: 'd', part })),
      }),
      { t },
    );
    const row = (i: number): (number | string | null)[] => res.features.columns.map((c) => values(c)[i]);
    expect(row(0)).toEqual([2024, 3, 2, 5, 1, 0, 62]);
    expect(row(1)).toEqual([2024, 3, 4, 0, 0, 23, 64]);
    expect(row(2)).toEqual([null, null, null, null, null, null, null]);
  });

  it('days_since counts days from a date column to the cutoff; a fixed cutoff applies to every row', async () => {
    const t = await shop();
    const res = buildFeatures(
      recipe({
        cutoff: { fixed: '2024-03-01' },
        timeIndex: { purchases: 'ts' },
        features: [
          { kind: 'days_since', name: 'age', column: 'signup' },
          { kind: 'aggregate', name: 'n', relationship: toCustomers, aggregation: 'count' },
        ],
      }),
      t,
    );
    expect(values(columnByName(res.features, 'age'))).toEqual([58, 51, 29, 19, 10, 56]);
    expect(values(columnByName(res.features, 'n'))).toEqual([3, 1, 1, 1, 0, 0]);
  });
});

describe('suggestion', () => {
  it('suggests windowed counts, scores them against the target and respects the cap', async () => {
    const t = await shop();
    const s = suggestFeatures(t, {
      target: 'customers',
      label: 'churned',
      cutoff: { column: 'cutoff' },
      maxFeatures: 5,
    });
    expect(s.candidates).toBeGreaterThan(5);
    expect(s.recipe.features).toHaveLength(5);
    expect(s.features).toHaveLength(5);
    expect(s.recipe.timeIndex).toEqual({ purchases: 'ts' });
    // the fixture's churners made no purchase in the 14 days before their cutoff, the others did
    expect(s.features[0]).toMatchObject({
      name: 'purchases_count_14d',
      kind: 'aggregate',
      method: 'correlation_ratio',
    });
    expect(s.features[0].association).toBeCloseTo(1, 10);
    for (let i = 1; i < s.features.length; i++)
      expect(s.features[i].association).toBeLessThanOrEqual(s.features[i - 1].association);
    // the recipe is plain JSON that reads back the same
    expect(parseRecipe(JSON.parse(JSON.stringify(s.recipe)))).toEqual(s.recipe);
    expect(s.recipe.features.some((f) => f.name === 'churned')).toBe(false);
  });

  it('the same tables give the same recipe and the same feature bits', async () => {
    const a = suggestFeatures(await shop(), { label: 'churned', cutoff: { column: 'cutoff' } });
    const b = suggestFeatures(await shop(), { label: 'churned', cutoff: { column: 'cutoff' } });
    expect(b.recipe).toEqual(a.recipe);
    const fa = buildFeatures(a.recipe, await shop()).features;
    const fb = buildFeatures(b.recipe, await shop()).features;
    expect(fb).toEqual(fa);
  });
});

describe('a target table with one row per customer and prediction date', () => {
  it('links purchases to it although its keys repeat, and gives each row its own point-in-time aggregates', async () => {
    const t = await shop();
    const snapshots = table(
      num('customer_id', [1, 1, 1, 3, 3], 'integer'),
      date('as_of', [
        '2024-02-01T00:00:00Z',
        '2024-02-28T00:00:00Z',
        '2024-03-02T00:00:00Z',
        '2024-03-14T00:00:00Z',
        '2024-04-01T00:00:00Z',
      ]),
      cat('label', ['a', 'b', 'b', 'a', 'b']),
    );
    const tables = { snapshots, purchases: t.purchases };
    // without naming the target, repeating keys on both sides read as many-to-many
    expect(proposeRelationships(tables).relationships).toEqual([]);
    const s = suggestFeatures(tables, { target: 'snapshots', label: 'label', cutoff: { column: 'as_of' } });
    expect(s.proposals.relationships.map((r) => r.text)).toEqual([
      "purchases.customer_id → snapshots.customer_id, 57.1% of values match (the target's rows repeat keys: each row gets its own aggregates at its own cutoff)",
    ]);
    expect(s.proposals.refused.filter((r) => r.reason === 'many-to-many')).toEqual([]);
    const built = buildFeatures(s.recipe, tables);
    expect(built.features.nRows).toBe(5);
    // customer 1 bought on 01-05, 02-20, 02-28, 03-01; customer 3 on 02-14, 03-10, 03-14, 03-16
    expect(values(columnByName(built.features, 'purchases_count'))).toEqual([1, 2, 4, 2, 4]);
  });
});

describe('one time-indexed table: lags and rolling statistics', () => {
  it('suggests the lag of a column per entity (never of the label), strictly earlier rows only', () => {
    // two stores, daily visitors that follow yesterday's closely, sales that follow visitors; rows out of time order
    const days: string[] = [];
    const stores: number[] = [];
    const visitors: number[] = [];
    const sales: number[] = [];
    let a = 10;
    let b = 50;
    for (let d = 0; d < 40; d++) {
      a += d % 3 === 0 ? 2 : -1;
      b += d % 4 === 0 ? -3 : 1;
      for (const [store, v] of [
        [2, b],
        [1, a],
      ] as const) {
        days.push(new Date(Date.UTC(2024, 0, 1 + d)).toISOString());
        stores.push(store);
        visitors.push(v);
        sales.push(2 * v + 1);
      }
    }
    const t = table(
      num('store_id', stores, 'integer'),
      date('day', days),
      num('visitors', visitors),
      num('sales', sales),
    );
    const s = suggestFeatures({ t }, { label: 'sales', time: 'day', entity: 'store_id', maxFeatures: 5 });
    expect(s.features[0].name).toBe('visitors_lag1');
    expect(s.features[0].association).toBeGreaterThan(0.99);
    expect(s.recipe.features.some((f) => f.name.startsWith('sales'))).toBe(false);
    const lag = values(columnByName(buildFeatures(s.recipe, { t }).features, 'visitors_lag1'));
    expect(lag.slice(0, 4)).toEqual([null, null, visitors[0], visitors[1]]); // first day of each store has no earlier row
    expect(lag[4]).toBe(visitors[2]); // store 2, day 2 ← store 2, day 1
  });
});

describe('bad input: what and where', () => {
  it('keys with no matches report the match rate', async () => {
    const t = await shop();
    const e = errorOf(() =>
      buildFeatures(
        recipe({
          features: [
            {
              kind: 'aggregate',
              name: 'n',
              relationship: { ...toCustomers, childColumn: 'item_id' },
              aggregation: 'count',
            },
          ],
        }),
        t,
      ),
    );
    expect(e.code).toBe('no-matches');
    expect(e.message).toBe(
      'purchases.item_id → customers.id: no key matches (match rate 0%, 0 of 14 purchases rows with a key); check the columns of the relationship',
    );
  });

  it('a lookup into a parent with duplicated keys is refused (it would multiply rows)', async () => {
    const t = await shop();
    const items = table(cat('item_id', ['A', 'B', 'A']), cat('category', ['x', 'y', 'z']));
    const e = errorOf(() =>
      buildFeatures(
        recipe({
          target: 'purchases',
          features: [{ kind: 'lookup', name: 'c', relationship: toItems, column: 'category' }],
        }),
        { ...t, items },
      ),
    );
    expect(e.code).toBe('duplicate-keys');
    expect(e.message).toContain("items.item_id is not unique (1 repeated rows, e.g. 'A')");
    expect(e.message).toContain('change its row count');
  });

  it('an unparsable time column names the value and its row', async () => {
    const t = await shop();
    const e = errorOf(() =>
      buildFeatures(
        recipe({
          cutoff: { column: 'cutoff' },
          timeIndex: { purchases: 'purchase_id' },
          features: [{ kind: 'aggregate', name: 'n', relationship: toCustomers, aggregation: 'count' }],
        }),
        t,
      ),
    );
    expect(e.code).toBe('bad-time');
    expect(e.message).toMatch(/^purchases\.purchase_id cannot be read as dates: 'p1' \(row 2 of the file\)/);
    const n = errorOf(() =>
      buildFeatures(
        recipe({
          cutoff: { column: 'cutoff' },
          timeIndex: { purchases: 'amount' },
          features: [{ kind: 'aggregate', name: 'n', relationship: toCustomers, aggregation: 'count' }],
        }),
        t,
      ),
    );
    expect(n.message).toMatch(/^purchases\.amount is not a date column \(it holds numbers\)/);
    const f = errorOf(() => buildFeatures(recipe({ cutoff: { fixed: '1st of May' }, features: [] }), t));
    expect(f.message).toBe(
      "recipe cutoff: '1st of May' is not an ISO date (expected e.g. 2024-03-01 or 2024-03-01T12:00:00Z)",
    );
  });

  it('a recipe naming a missing table or column says which', async () => {
    const t = await shop();
    const e1 = errorOf(() =>
      buildFeatures(
        recipe({
          features: [
            {
              kind: 'aggregate',
              name: 'n',
              relationship: { ...toCustomers, child: 'orders' },
              aggregation: 'count',
            },
          ],
        }),
        t,
      ),
    );
    expect(e1.code).toBe('missing-table');
    expect(e1.message).toBe(
      "feature 'n' names table 'orders', which was not given (tables: customers, purchases, items)",
    );
    const e2 = errorOf(() =>
      buildFeatures(
        recipe({
          features: [
            { kind: 'aggregate', name: 's', relationship: toCustomers, aggregation: 'sum', column: 'price' },
          ],
        }),
        t,
      ),
    );
    expect(e2.code).toBe('missing-column');
    expect(e2.message).toBe(
      "table 'purchases' has no column 'price' (columns: purchase_id, customer_id, item_id, ts, amount)",
    );
    const e3 = errorOf(() => buildFeatures(recipe({ target: 'shops' }), t));
    expect(e3.message).toBe(
      "the recipe target names table 'shops', which was not given (tables: customers, purchases, items)",
    );
  });

  it('a point-in-time recipe without a time index for the child is refused, so is a sum of text', async () => {
    const t = await shop();
    const e = errorOf(() =>
      buildFeatures(
        recipe({
          cutoff: { column: 'cutoff' },
          features: [{ kind: 'aggregate', name: 'n', relationship: toCustomers, aggregation: 'count' }],
        }),
        t,
      ),
    );
    expect(e.message).toContain(
      "'purchases' has no time index in the recipe, so rows after the cutoff cannot be left out",
    );
    const s = errorOf(() =>
      buildFeatures(
        recipe({
          features: [
            {
              kind: 'aggregate',
              name: 's',
              relationship: toCustomers,
              aggregation: 'sum',
              column: 'item_id',
            },
          ],
        }),
        t,
      ),
    );
    expect(s.code).toBe('bad-type');
    expect(s.message).toBe(
      "feature 's': sum needs numbers, but purchases.item_id holds text (use count, distinct_count, most_frequent or last)",
    );
    const w = errorOf(() =>
      buildFeatures(
        recipe({
          features: [
            { kind: 'aggregate', name: 'w', relationship: toCustomers, aggregation: 'count', windowDays: 7 },
          ],
        }),
        t,
      ),
    );
    expect(w.message).toBe("feature 'w': a window needs a cutoff in the recipe");
  });

  it('recipe JSON is checked: schema version, kinds, aggregations, duplicate names', () => {
    expect(() => parseRecipe({ ...recipe({}), schemaVersion: 2 })).toThrow(
      'schemaVersion 2 is not supported (this studio reads 1)',
    );
    expect(() => parseRecipe(recipe({ features: [{ kind: 'pivot', name: 'x' } as never] }))).toThrow(
      "feature 'x': kind 'pivot' is unknown",
    );
    expect(() =>
      parseRecipe(
        recipe({
          features: [
            { kind: 'aggregate', name: 'x', relationship: toCustomers, aggregation: 'median' as never },
          ],
        }),
      ),
    ).toThrow("feature 'x': aggregation 'median' is unknown");
    expect(() =>
      parseRecipe(
        recipe({
          features: [
            { kind: 'date_part', name: 'x', column: 'c', part: 'year' },
            { kind: 'date_part', name: 'x', column: 'c', part: 'month' },
          ],
        }),
      ),
    ).toThrow("two features are named 'x'");
    expect(() => parseRecipe([])).toThrow('recipe: not a JSON object');
  });
});
