/**
 * The shared contract of `FeatureStore` (src/core/features/store.ts): async checks, each given a
 * FRESH empty store. Framework-free (./assert.ts) so it runs under Vitest in Node over memory,
 * fake-indexeddb and SQLite (`feature-store.test.ts`) and inside Chromium over real IndexedDB
 * (`test/e2e/store.e2e.ts`).
 */
import type { Column, Table } from '../../src/core/data/table.ts';
import {
  featureTableKey,
  materialize,
  recipeHash,
  resolveRecipe,
  type FeatureStore,
  type FeatureTableKey,
} from '../../src/core/features/store.ts';
import { FeatureError, type Recipe } from '../../src/core/features/types.ts';
import { ContractAssertionError, assert, deepEqual } from './assert.ts';

export interface FeatureStoreCase {
  readonly name: string;
  run(store: FeatureStore): Promise<void>;
}

const DAY = 86_400_000;
const T = Date.UTC(2024, 0, 1);

/** A small recipe on customers ← purchases (count, sum, time since last, before the cutoff). */
export function sampleRecipe(extra: Partial<Recipe> = {}): Recipe {
  const rel = { child: 'purchases', childColumn: 'customer_id', parent: 'customers', parentColumn: 'id' };
  return {
    schemaVersion: 1,
    name: 'draft',
    version: 1,
    target: 'customers',
    label: 'churned',
    cutoff: { column: 'cutoff' },
    timeIndex: { purchases: 'ts' },
    features: [
      { kind: 'aggregate', name: 'n_purchases', relationship: rel, aggregation: 'count' },
      {
        kind: 'aggregate',
        name: 'amount_sum_7d',
        relationship: rel,
        aggregation: 'sum',
        column: 'amount',
        windowDays: 7,
      },
      { kind: 'aggregate', name: 'since_last', relationship: rel, aggregation: 'time_since_last' },
      {
        kind: 'aggregate',
        name: 'top_item',
        relationship: rel,
        aggregation: 'most_frequent',
        column: 'item',
      },
    ],
    ...extra,
  };
}

const f64 = (name: string, xs: number[]): Column => ({
  name,
  type: 'numeric',
  storage: 'float64',
  values: Float64Array.from(xs),
});
const dt = (name: string, xs: number[]): Column => ({
  name,
  type: 'datetime',
  storage: 'datetime',
  values: Float64Array.from(xs),
  format: 'iso',
});
const dict = (name: string, dictionary: string[], codes: number[]): Column => ({
  name,
  type: 'categorical',
  storage: 'dict',
  codes: Int32Array.from(codes),
  dictionary,
});

/** customers (4 rows, one without purchases) and purchases (9 rows); `shift` changes one amount. */
export function sampleTables(shift = 0): Record<string, Table> {
  const customers: Table = {
    nRows: 4,
    columns: [
      f64('id', [1, 2, 3, 4]),
      dt('cutoff', [T + 20 * DAY, T + 20 * DAY, T + 10 * DAY, T + 30 * DAY]),
      { name: 'churned', type: 'boolean', storage: 'bool', values: Uint8Array.of(1, 0, 255, 0) },
    ],
  };
  const purchases: Table = {
    nRows: 9,
    columns: [
      f64('customer_id', [1, 1, 1, 2, 2, 3, 3, 1, 2]),
      dt(
        'ts',
        [1, 5, 15, 2, 18, 9, 11, 25, 19].map((d) => T + d * DAY),
      ),
      f64('amount', [10 + shift, 20, 30, 5, NaN, 7.25, 100, 999, 0.1]),
      dict('item', ['a', 'b', 'c'], [0, 1, 1, 2, -1, 0, 0, 2, 2]),
    ],
  };
  return { customers, purchases };
}

function sameTable(a: Table, b: Table, msg: string): void {
  assert.eq(a.nRows, b.nRows, `${msg}: rows`);
  assert.eq(a.columns.length, b.columns.length, `${msg}: columns`);
  a.columns.forEach((ca, j) => {
    const cb = b.columns[j];
    const { values: _va, codes: _ca, ...ha } = ca as unknown as Record<string, unknown>;
    const { values: _vb, codes: _cb, ...hb } = cb as unknown as Record<string, unknown>;
    assert.eq(ha, hb, `${msg}: column ${ca.name} head`);
    const xa = ca.storage === 'dict' ? ca.codes : ca.values;
    const xb = cb.storage === 'dict' ? cb.codes : cb.values;
    const bytes = (x: Float64Array | Int32Array | Uint8Array) =>
      new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
    assert.ok(deepEqual(bytes(xa), bytes(xb)), `${msg}: column ${ca.name} values differ bit for bit`);
  });
}

async function rejectsFeature(p: Promise<unknown>, includes: string, msg: string): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  if (!(err instanceof FeatureError))
    throw new ContractAssertionError(`${msg}: expected a FeatureError, got ${String(err)}`);
  if (!err.message.includes(includes))
    throw new ContractAssertionError(`${msg}: message '${err.message}' should include '${includes}'`);
}

const key = (name: string, version: number, inputs: Record<string, string>): FeatureTableKey => ({
  recipeName: name,
  recipeVersion: version,
  inputs,
});

/** A feature table with the sample recipe's columns (values chosen, not built). */
function featureTable(n = 3): Table {
  return {
    nRows: n,
    columns: [
      f64(
        'n_purchases',
        Array.from({ length: n }, (_, i) => i),
      ),
      f64(
        'amount_sum_7d',
        Array.from({ length: n }, (_, i) => (i === 1 ? NaN : i / 3)),
      ),
      f64(
        'since_last',
        Array.from({ length: n }, (_, i) => -0 * i),
      ),
      dict(
        'top_item',
        ['b', 'a'],
        Array.from({ length: n }, (_, i) => (i % 3) - 1),
      ),
    ],
  };
}

export const featureStoreContract: readonly FeatureStoreCase[] = [
  {
    name: 'an empty store lists nothing and finds nothing',
    async run(store) {
      assert.eq(await store.listRecipes(), [], 'recipes');
      assert.eq(await store.listVersions('x'), [], 'versions');
      assert.eq(await store.getRecipe('x'), undefined, 'latest');
      assert.eq(await store.getRecipe('x', 1), undefined, 'v1');
      assert.eq(await store.listTables(), [], 'tables');
      assert.eq(await store.getTable(key('x', 1, { a: '0' })), undefined, 'table');
      assert.eq(await store.deleteRecipe('x'), 0, 'delete');
      assert.eq(await store.deleteTable(key('x', 1, { a: '0' })), false, 'delete table');
    },
  },
  {
    name: 'save: version 1, the name and version are the store’s, the hash is the content’s',
    async run(store) {
      const r = sampleRecipe();
      const { stored, created } = await store.saveRecipe('churn', r);
      assert.ok(created, 'created');
      assert.eq(stored.name, 'churn', 'name');
      assert.eq(stored.version, 1, 'version');
      assert.eq(stored.recipe.name, 'churn', 'recipe.name');
      assert.eq(stored.recipe.version, 1, 'recipe.version');
      assert.eq(stored.hash, recipeHash(r), 'hash');
      assert.ok(/^[0-9a-f]{64}$/.test(stored.hash), 'hash is SHA-256 hex');
      assert.eq({ ...stored.recipe, name: r.name, version: r.version }, r, 'content kept');
      assert.eq(await store.getRecipe('churn'), stored, 'latest');
      assert.eq(await store.getRecipe('churn', 1), stored, 'v1');
    },
  },
  {
    name: 'same content = same version (whatever its own name, version or key order); other content = next version',
    async run(store) {
      const a = await store.saveRecipe('churn', sampleRecipe());
      // The same recipe with its keys in another order and another name/version inside.
      const reversed = (v: unknown): unknown =>
        Array.isArray(v)
          ? v.map(reversed)
          : v && typeof v === 'object'
            ? Object.fromEntries(
                Object.entries(v)
                  .reverse()
                  .map(([k, x]) => [k, reversed(x)]),
              )
            : v;
      const shuffled = reversed({ ...sampleRecipe(), name: 'other', version: 7 }) as Recipe;
      assert.ok(
        JSON.stringify(shuffled) !== JSON.stringify({ ...sampleRecipe(), name: 'other', version: 7 }),
        'keys reordered',
      );
      const again = await store.saveRecipe('churn', shuffled);
      assert.ok(!again.created, 'not created again');
      assert.eq(again.stored.version, 1, 'same version');
      const changed = sampleRecipe({ features: sampleRecipe().features.slice(0, 2) });
      const b = await store.saveRecipe('churn', changed);
      assert.ok(b.created, 'new content is a new version');
      assert.eq(b.stored.version, 2, 'version 2');
      assert.ok(b.stored.hash !== a.stored.hash, 'another hash');
      // Back to the first content: version 1 again, not 3.
      const back = await store.saveRecipe('churn', sampleRecipe());
      assert.eq([back.created, back.stored.version], [false, 1], 'the first content is still version 1');
      assert.eq((await store.getRecipe('churn'))?.version, 2, 'latest is 2');
      assert.eq(
        (await store.listVersions('churn')).map((v) => v.version),
        [1, 2],
        'versions oldest first',
      );
      // Names are separate: the same content under another name starts at 1.
      const other = await store.saveRecipe('retention', changed);
      assert.eq([other.created, other.stored.version], [true, 1], 'another name');
      assert.eq(
        (await store.listRecipes()).map((s) => [s.name, s.versions.map((v) => v.version)]),
        [
          ['churn', [1, 2]],
          ['retention', [1]],
        ],
        'list by name',
      );
    },
  },
  {
    name: 'a bad recipe or name is refused with the reason, and nothing is stored',
    async run(store) {
      await rejectsFeature(
        store.saveRecipe('churn', { ...sampleRecipe(), schemaVersion: 99 } as Recipe),
        'schemaVersion 99',
        'schema',
      );
      await rejectsFeature(
        store.saveRecipe('churn', sampleRecipe({ features: 3 as never })),
        'features must be an array',
        'features',
      );
      await rejectsFeature(store.saveRecipe('a@2', sampleRecipe()), 'is not allowed', 'name with @');
      await rejectsFeature(store.saveRecipe('', sampleRecipe()), 'is not allowed', 'empty name');
      assert.eq(await store.listRecipes(), [], 'nothing stored');
    },
  },
  {
    name: 'resolveRecipe: NAME, NAME@VERSION, and clear errors naming what the store holds',
    async run(store) {
      await store.saveRecipe('churn', sampleRecipe());
      await store.saveRecipe('churn', sampleRecipe({ label: undefined }));
      assert.eq((await resolveRecipe(store, 'churn')).version, 2, 'latest');
      assert.eq((await resolveRecipe(store, 'churn@1')).version, 1, '@1');
      await rejectsFeature(
        resolveRecipe(store, 'churn@3'),
        "recipe 'churn' has no version 3 in the feature store (versions: 1, 2)",
        '@3',
      );
      await rejectsFeature(
        resolveRecipe(store, 'nope'),
        "no recipe named 'nope' in the feature store (recipes: churn)",
        'unknown',
      );
      await rejectsFeature(resolveRecipe(store, 'churn@x'), 'must be a whole number', '@x');
    },
  },
  {
    name: 'a table: kept by (recipe version, input fingerprints), read back bit for bit (NaN, -0, missing codes)',
    async run(store) {
      await store.saveRecipe('churn', sampleRecipe());
      const k = key('churn', 1, { customers: 'c1', purchases: 'p1' });
      const t = featureTable(5);
      const rec = await store.putTable(k, t, ['a warning']);
      assert.eq(rec.key, featureTableKey(k), 'key');
      assert.eq(
        [rec.rows, rec.columns, rec.warnings],
        [5, t.columns.map((c) => c.name), ['a warning']],
        'record',
      );
      assert.eq(rec.recipeHash, recipeHash(sampleRecipe()), 'recipe hash');
      const got = await store.getTable(k);
      assert.ok(got, 'found');
      assert.eq(got.record, rec, 'record read back');
      sameTable(got.table, t, 'table read back');
      assert.ok(Object.is((got.table.columns[2] as { values: Float64Array }).values[1], -0), '-0 kept');
      // The same key with the inputs in another order is the same table.
      assert.ok(await store.getTable(key('churn', 1, { purchases: 'p1', customers: 'c1' })), 'input order');
      // Another fingerprint, another version: not found.
      assert.eq(
        await store.getTable(key('churn', 1, { customers: 'c1', purchases: 'p2' })),
        undefined,
        'other input',
      );
      assert.eq(
        await store.getTable(key('churn', 2, { customers: 'c1', purchases: 'p1' })),
        undefined,
        'other version',
      );
      // Replacing under the same key keeps one.
      await store.putTable(k, featureTable(2));
      assert.eq((await store.listTables()).length, 1, 'one table');
      assert.eq((await store.getTable(k))?.table.nRows, 2, 'replaced');
      assert.eq((await store.listRecipes())[0].tables, { 1: 1 }, 'counted per version');
    },
  },
  {
    name: 'a table for an unknown version or with other columns than the recipe’s features is refused',
    async run(store) {
      await rejectsFeature(
        store.putTable(key('churn', 1, { a: 'x' }), featureTable()),
        "recipe 'churn' has no version 1",
        'unknown',
      );
      await store.saveRecipe('churn', sampleRecipe());
      const wrong: Table = { nRows: 1, columns: [f64('n_purchases', [1])] };
      await rejectsFeature(
        store.putTable(key('churn', 1, { a: 'x' }), wrong),
        'must have its features as columns',
        'columns',
      );
      assert.eq(await store.listTables(), [], 'nothing kept');
    },
  },
  {
    name: 'materialize: builds and keeps on first use, reuses on the same tables, rebuilds when a table changes',
    async run(store) {
      const { stored } = await store.saveRecipe('churn', sampleRecipe());
      const first = await materialize(store, stored, sampleTables());
      assert.ok(!first.reused, 'built the first time');
      assert.eq(
        first.features.columns.map((c) => c.name),
        ['n_purchases', 'amount_sum_7d', 'since_last', 'top_item'],
        'columns',
      );
      assert.eq(
        Array.from((first.features.columns[0] as { values: Float64Array }).values),
        [3, 3, 1, 0],
        'counts before the cutoff',
      );
      const second = await materialize(store, stored, sampleTables());
      assert.ok(second.reused, 'reused the second time');
      assert.eq(second.record, first.record, 'same record');
      sameTable(second.features, first.features, 'same features');
      const changed = await materialize(store, stored, sampleTables(1));
      assert.ok(!changed.reused, 'another purchases table is built again');
      assert.eq((await store.listTables('churn', 1)).length, 2, 'two tables kept');
      assert.eq(Object.keys(changed.record.inputs), ['customers', 'purchases'], 'inputs: target and related');
      await rejectsFeature(
        materialize(store, stored, { customers: sampleTables().customers }),
        "needs table 'purchases'",
        'missing table',
      );
    },
  },
  {
    name: 'delete: a version with its tables, or every version; a table alone',
    async run(store) {
      const v1 = (await store.saveRecipe('churn', sampleRecipe())).stored;
      const v2 = (await store.saveRecipe('churn', sampleRecipe({ label: undefined }))).stored;
      await materialize(store, v1, sampleTables());
      const m2 = await materialize(store, v2, sampleTables());
      await materialize(store, v2, sampleTables(2));
      assert.eq(await store.deleteRecipe('churn', 1), 1, 'one version');
      assert.eq(
        (await store.listVersions('churn')).map((v) => v.version),
        [2],
        'v2 left',
      );
      assert.eq(
        (await store.listTables()).map((t) => t.recipeVersion),
        [2, 2],
        'v1 tables gone',
      );
      assert.eq(await store.deleteTable(m2.record), true, 'table deleted');
      assert.eq(await store.getTable(m2.record), undefined, 'gone');
      assert.eq((await store.listTables()).length, 1, 'one left');
      assert.eq(await store.deleteRecipe('churn'), 1, 'the rest');
      assert.eq(await store.listRecipes(), [], 'empty');
      assert.eq(await store.listTables(), [], 'no tables');
      // A deleted version's number is never given to other content: bundles name recipes by it.
      const again = await store.saveRecipe(
        'churn',
        sampleRecipe({ features: sampleRecipe().features.slice(0, 1) }),
      );
      assert.eq([again.created, again.stored.version], [true, 3], 'numbers are not reused after a delete');
      assert.eq(
        (await store.saveRecipe('churn', sampleRecipe())).stored.version,
        4,
        'deleted content is new again',
      );
    },
  },
  {
    name: 'records are plain data (JSON round trip equal)',
    async run(store) {
      const { stored } = await store.saveRecipe('churn', sampleRecipe());
      const m = await materialize(store, stored, sampleTables());
      assert.eq(JSON.parse(JSON.stringify(stored)), stored, 'recipe record');
      assert.eq(JSON.parse(JSON.stringify(m.record)), m.record, 'table record');
      assert.eq(
        JSON.parse(JSON.stringify(await store.listRecipes())),
        await store.listRecipes(),
        'summaries',
      );
    },
  },
];
