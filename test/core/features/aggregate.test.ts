/**
 * Every aggregation against a naive row-by-row reference: for each target row, filter the child rows by
 * key, time < cutoff (a row exactly at the cutoff is excluded) and the window, sort them by (time, row),
 * and compute the aggregate in plain JavaScript. Results must be the same bits.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildFeatures } from '../../../src/core/features/index.ts';
import {
  AGGREGATIONS,
  MS_PER_DAY,
  RECIPE_SCHEMA_VERSION,
  type Aggregation,
  type Recipe,
} from '../../../src/core/features/types.ts';
import type { Column, Table } from '../../../src/core/data/table.ts';

const BASE = Date.UTC(2024, 0, 1);

interface Case {
  targetKeys: (number | null)[];
  cutoffDays: (number | null)[];
  child: { key: number | null; day: number | null; value: number | null; cat: number | null }[];
}

const keyArb = fc.option(fc.integer({ min: 0, max: 6 }), { freq: 8 });
const dayArb = fc.option(fc.integer({ min: 0, max: 12 }), { freq: 12 });
const valueArb = fc.option(
  fc.oneof(
    fc.integer({ min: -5, max: 5 }),
    fc
      .double({ min: -1e3, max: 1e3, noNaN: true, noDefaultInfinity: true })
      .map((x) => (Object.is(x, -0) ? 0 : x)),
  ),
  { freq: 6 },
);
const caseArb: fc.Arbitrary<Case> = fc
  .integer({ min: 1, max: 12 })
  .chain((nTarget) =>
    fc.record({
      targetKeys: fc.array(keyArb, { minLength: nTarget, maxLength: nTarget }),
      cutoffDays: fc.array(dayArb, { minLength: nTarget, maxLength: nTarget }),
      child: fc.array(
        fc.record({
          key: keyArb,
          day: dayArb,
          value: valueArb,
          cat: fc.option(fc.integer({ min: 0, max: 3 }), { freq: 6 }),
        }),
        { maxLength: 60 },
      ),
    }),
  )
  // at least one child key matches a target key (else the build refuses with "no matches")
  .filter((c) => c.child.some((r) => r.key !== null && c.targetKeys.includes(r.key)));

const CATS = ['b', 'a', 'c', 'B'];

function dict(name: string, values: (string | null)[]): Column {
  const dictionary: string[] = [];
  const codes = Int32Array.from(values, (v) => {
    if (v === null) return -1;
    let c = dictionary.indexOf(v);
    if (c < 0) c = dictionary.push(v) - 1;
    return c;
  });
  return { name, type: 'categorical', storage: 'dict', codes, dictionary };
}

function tables(c: Case): { target: Table; child: Table } {
  const day = (d: number | null): number => (d === null ? NaN : BASE + d * MS_PER_DAY);
  const target: Table = {
    nRows: c.targetKeys.length,
    columns: [
      dict(
        'id',
        c.targetKeys.map((k) => (k === null ? null : `k${k}`)),
      ),
      {
        name: 'cutoff',
        type: 'datetime',
        storage: 'datetime',
        format: 'yyyy-mm-dd',
        values: Float64Array.from(c.cutoffDays, day),
      },
    ],
  };
  const child: Table = {
    nRows: c.child.length,
    columns: [
      dict(
        'tid',
        c.child.map((r) => (r.key === null ? null : `k${r.key}`)),
      ),
      {
        name: 'time',
        type: 'datetime',
        storage: 'datetime',
        format: 'yyyy-mm-dd',
        values: Float64Array.from(c.child, (r) => day(r.day)),
      },
      {
        name: 'v',
        type: 'numeric',
        storage: 'float64',
        values: Float64Array.from(c.child, (r) => (r.value === null ? NaN : r.value)),
      },
      dict(
        'c',
        c.child.map((r) => (r.cat === null ? null : CATS[r.cat])),
      ),
    ],
  };
  return { target, child };
}

type Ref = number | string | null;

/** The naive reference for one target row. */
function reference(
  c: Case,
  r: number,
  agg: Aggregation,
  column: 'v' | 'c' | undefined,
  windowDays: number | undefined,
  withCutoff: boolean,
): Ref {
  const key = c.targetKeys[r];
  const cut = c.cutoffDays[r];
  const isCount = agg === 'count' || agg === 'distinct_count';
  if (withCutoff && cut === null) return null;
  const rows: number[] = [];
  c.child.forEach((row, i) => {
    if (key === null || row.key !== key) return;
    if (withCutoff) {
      if (row.day === null) return;
      if (!(row.day < cut!)) return; // a row at the cutoff never counts
      if (windowDays !== undefined && row.day < cut! - windowDays) return;
    }
    rows.push(i);
  });
  rows.sort((a, b) => (withCutoff ? c.child[a].day! - c.child[b].day! : 0) || a - b);
  if (agg === 'time_since_last') return rows.length ? cut! - c.child[rows[rows.length - 1]].day! : null;
  if (column === undefined) return rows.length;
  const vals: (number | string)[] = [];
  for (const i of rows) {
    const x = column === 'v' ? c.child[i].value : c.child[i].cat === null ? null : CATS[c.child[i].cat!];
    if (x !== null) vals.push(x);
  }
  if (agg === 'count') return vals.length;
  if (agg === 'distinct_count') return new Set(vals).size;
  if (vals.length === 0) return isCount ? 0 : null;
  if (agg === 'last') return vals[vals.length - 1];
  if (agg === 'most_frequent') {
    const counts = new Map<number | string, number>();
    for (const v of vals) counts.set(v, (counts.get(v) ?? 0) + 1);
    let best: number | string | null = null;
    for (const v of vals) {
      const n = counts.get(v)!;
      const bn = best === null ? -1 : counts.get(best)!;
      if (n > bn || (n === bn && v < best!)) best = v;
    }
    return best;
  }
  const nums = vals as number[];
  if (agg === 'min') return Math.min(...nums);
  if (agg === 'max') return Math.max(...nums);
  let sum = 0;
  for (const v of nums) sum += v;
  if (agg === 'sum') return sum;
  const mean = sum / nums.length;
  if (agg === 'mean') return mean;
  if (nums.length < 2) return null;
  let ss = 0;
  for (const v of nums) ss += (v - mean) * (v - mean);
  return Math.sqrt(ss / (nums.length - 1));
}

function valueAt(col: Column, i: number): Ref {
  if (col.storage === 'dict') return col.codes[i] < 0 ? null : col.dictionary[col.codes[i]];
  if (col.storage === 'bool') return col.values[i] > 1 ? null : col.values[i];
  return Number.isNaN(col.values[i]) ? null : col.values[i];
}

const rel = { child: 'child', childColumn: 'tid', parent: 'target', parentColumn: 'id' };

function recipeFor(
  agg: Aggregation,
  column: 'v' | 'c' | undefined,
  windowDays: number | undefined,
  withCutoff: boolean,
): Recipe {
  return {
    schemaVersion: RECIPE_SCHEMA_VERSION,
    name: 't',
    version: 1,
    target: 'target',
    ...(withCutoff ? { cutoff: { column: 'cutoff' } } : {}),
    timeIndex: withCutoff ? { child: 'time' } : {},
    features: [
      {
        kind: 'aggregate',
        name: 'f',
        relationship: rel,
        aggregation: agg,
        ...(column ? { column } : {}),
        ...(windowDays !== undefined ? { windowDays } : {}),
      },
    ],
  };
}

/** Every aggregation with the columns it accepts. */
const PLANS: [Aggregation, 'v' | 'c' | undefined][] = [];
for (const agg of AGGREGATIONS) {
  if (agg === 'count') PLANS.push([agg, undefined], [agg, 'v'], [agg, 'c']);
  else if (agg === 'time_since_last') PLANS.push([agg, undefined]);
  else if (agg === 'distinct_count' || agg === 'most_frequent' || agg === 'last')
    PLANS.push([agg, 'v'], [agg, 'c']);
  else PLANS.push([agg, 'v']);
}

describe('point-in-time aggregations equal a naive reference', () => {
  for (const [agg, column] of PLANS) {
    for (const windowDays of [undefined, 1, 3]) {
      it(`${agg}(${column ?? 'rows'})${windowDays ? ` over the last ${windowDays} days` : ''} before the cutoff`, () => {
        fc.assert(
          fc.property(caseArb, (c) => {
            const { target, child } = tables(c);
            const res = buildFeatures(recipeFor(agg, column, windowDays, true), { target, child });
            const col = res.features.columns[0];
            expect(res.features.nRows).toBe(c.targetKeys.length);
            for (let r = 0; r < c.targetKeys.length; r++) {
              let want = reference(c, r, agg, column, windowDays, true);
              if (agg === 'time_since_last' && want !== null) want = want as number; // days
              expect(valueAt(col, r), `row ${r}`).toStrictEqual(want);
            }
          }),
          { numRuns: 120 },
        );
      });
    }
  }

  for (const [agg, column] of PLANS.filter(([a]) => a !== 'time_since_last')) {
    it(`${agg}(${column ?? 'rows'}) over all history without a cutoff (no time index)`, () => {
      fc.assert(
        fc.property(caseArb, (c) => {
          const { target, child } = tables(c);
          const res = buildFeatures(recipeFor(agg, column, undefined, false), { target, child });
          const col = res.features.columns[0];
          for (let r = 0; r < c.targetKeys.length; r++) {
            expect(valueAt(col, r), `row ${r}`).toStrictEqual(reference(c, r, agg, column, undefined, false));
          }
        }),
        { numRuns: 60 },
      );
    });
  }
});

describe('the cutoff rule, by example', () => {
  const c: Case = {
    targetKeys: [1, 1, 2],
    cutoffDays: [5, 6, 5],
    child: [
      { key: 1, day: 5, value: 100, cat: 0 }, // exactly at the cutoff of row 0: excluded there, included for row 1
      { key: 1, day: 4, value: 1, cat: 1 },
      { key: 1, day: 7, value: 1000, cat: 2 }, // after every cutoff: never counts
      { key: 2, day: 1, value: 3, cat: null }, // outside a 3-day window for row 2
    ],
  };
  const run = (agg: Aggregation, column?: 'v' | 'c', windowDays?: number): Ref[] => {
    const { target, child } = tables(c);
    const col = buildFeatures(recipeFor(agg, column, windowDays, true), { target, child }).features
      .columns[0];
    return [0, 1, 2].map((r) => valueAt(col, r));
  };
  it('a child row exactly at the cutoff is left out; rows after the cutoff never count', () => {
    expect(run('count')).toEqual([1, 2, 1]);
    expect(run('sum', 'v')).toEqual([1, 101, 3]);
    expect(run('max', 'v')).toEqual([1, 100, 3]);
    expect(run('time_since_last')).toEqual([1, 1, 4]);
  });
  it('empty windows: count 0, distinct count 0, every other aggregate missing', () => {
    expect(run('count', undefined, 3)).toEqual([1, 2, 0]);
    expect(run('distinct_count', 'c', 3)).toEqual([1, 2, 0]);
    expect(run('mean', 'v', 3)).toEqual([1, 50.5, null]);
    expect(run('most_frequent', 'c', 3)).toEqual(['a', 'a', null]);
    expect(run('last', 'c', 3)).toEqual(['a', 'b', null]);
    expect(run('std', 'v', 3)).toEqual([null, Math.sqrt(((1 - 50.5) ** 2 + (100 - 50.5) ** 2) / 1), null]);
  });
});

describe('rolling statistics and lags of one time-indexed table equal a naive reference', () => {
  // the table's own rows are the "child" rows, each row's own time its cutoff: only strictly earlier rows count
  const rowsArb = fc.array(
    fc.record({
      key: keyArb,
      day: dayArb,
      value: valueArb,
      cat: fc.option(fc.integer({ min: 0, max: 3 }), { freq: 6 }),
    }),
    { minLength: 1, maxLength: 40 },
  );
  const selfCase = (rows: Case['child']): Case => ({
    targetKeys: rows.map((r) => r.key),
    cutoffDays: rows.map((r) => r.day),
    child: rows,
  });
  const selfRecipe = (feature: Recipe['features'][number]): Recipe => ({
    schemaVersion: RECIPE_SCHEMA_VERSION,
    name: 't',
    version: 1,
    target: 'child',
    timeIndex: {},
    features: [feature],
  });

  for (const [agg, column] of PLANS) {
    for (const windowDays of [undefined, 2]) {
      it(`rolling ${agg}(${column ?? 'rows'})${windowDays ? ` over ${windowDays} days` : ''} per entity`, () => {
        fc.assert(
          fc.property(rowsArb, (rows) => {
            const c = selfCase(rows);
            const { child } = tables(c);
            const res = buildFeatures(
              selfRecipe({
                kind: 'rolling',
                name: 'f',
                time: 'time',
                entity: 'tid',
                aggregation: agg,
                ...(column ? { column } : {}),
                ...(windowDays ? { windowDays } : {}),
              }),
              { child },
            );
            const col = res.features.columns[0];
            for (let r = 0; r < rows.length; r++)
              expect(valueAt(col, r), `row ${r}`).toStrictEqual(
                reference(c, r, agg, column, windowDays, true),
              );
          }),
          { numRuns: 60 },
        );
      });
    }
  }

  for (const column of ['v', 'c'] as const) {
    it(`lag 1 and 2 of ${column}, per entity and over the whole table`, () => {
      fc.assert(
        fc.property(rowsArb, fc.boolean(), (rows, perEntity) => {
          const c = selfCase(rows);
          const { child } = tables(c);
          for (const periods of [1, 2]) {
            const col = buildFeatures(
              selfRecipe({
                kind: 'lag',
                name: 'f',
                time: 'time',
                ...(perEntity ? { entity: 'tid' } : {}),
                column,
                periods,
              }),
              { child },
            ).features.columns[0];
            for (let r = 0; r < rows.length; r++) {
              const key = c.targetKeys[r];
              const cut = c.cutoffDays[r];
              let want: Ref = null;
              if ((key !== null || !perEntity) && cut !== null) {
                const earlier = c.child
                  .map((row, i) => ({ row, i }))
                  .filter(({ row }) => (!perEntity || row.key === key) && row.day !== null && row.day < cut)
                  .sort((a, b) => a.row.day! - b.row.day! || a.i - b.i);
                const hit = earlier[earlier.length - periods];
                if (hit)
                  want = column === 'v' ? hit.row.value : hit.row.cat === null ? null : CATS[hit.row.cat];
              }
              expect(valueAt(col, r), `row ${r} lag ${periods}`).toStrictEqual(want);
            }
          }
        }),
        { numRuns: 100 },
      );
    });
  }
});
