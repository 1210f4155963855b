/**
 * Depth-2 aggregations against a naive row-by-row reference: a column of the child's parent aggregated
 * over the child rows (`lookup`: customers ← purchases → items), and the rows of a grandchild
 * (`grandchild`: customers ← orders ← lines). For each target row the reference walks every row, follows
 * the links by key, applies the cutoff at every level that has a time index (a row exactly at the cutoff
 * never counts), the window on the later of the two times, sorts by (time, row) and computes the
 * aggregate in plain JavaScript. Results must be the same bits; empty windows give 0 counts, else missing.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildFeatures, parseRecipe, suggestFeatures } from '../../../src/core/features/index.ts';
import { describeFeature, recipeTables } from '../../../src/core/features/spec.ts';
import {
  AGGREGATIONS,
  MS_PER_DAY,
  RECIPE_SCHEMA_VERSION,
  type AggregateFeature,
  type Aggregation,
  type Recipe,
} from '../../../src/core/features/types.ts';
import type { Column, Table } from '../../../src/core/data/table.ts';

const BASE = Date.UTC(2024, 0, 1);
const CATS = ['b', 'a', 'c', 'B'];
type Ref = number | string | null;

interface Case {
  targetKeys: (number | null)[];
  cutoffDays: (number | null)[];
  /** The child (purchases / orders): its own id is "c<row>", unique. */
  child: { key: number | null; day: number | null; parent: number | null }[];
  /** The child's parent (items): ids "p0".."p3" (a child's parent 4 matches none). */
  parent: { value: number | null; cat: number | null }[];
  /** The grandchild (lines): `of` is a child row index (or one past the end: no match). */
  grand: { of: number | null; day: number | null; value: number | null; cat: number | null }[];
}

const keyArb = fc.option(fc.integer({ min: 0, max: 5 }), { freq: 8 });
const dayArb = fc.option(fc.integer({ min: 0, max: 12 }), { freq: 10 });
const numArb = fc.option(
  fc.oneof(
    fc.integer({ min: -5, max: 5 }),
    fc
      .double({ min: -1e3, max: 1e3, noNaN: true, noDefaultInfinity: true })
      .map((x) => (Object.is(x, -0) ? 0 : x)),
  ),
  { freq: 6 },
);
const catArb = fc.option(fc.integer({ min: 0, max: 3 }), { freq: 6 });

const caseArb: fc.Arbitrary<Case> = fc
  .record({ nTarget: fc.integer({ min: 1, max: 10 }), nChild: fc.integer({ min: 1, max: 25 }) })
  .chain(({ nTarget, nChild }) =>
    fc.record({
      targetKeys: fc.array(keyArb, { minLength: nTarget, maxLength: nTarget }),
      cutoffDays: fc.array(dayArb, { minLength: nTarget, maxLength: nTarget }),
      child: fc.array(
        fc.record({
          key: keyArb,
          day: dayArb,
          parent: fc.option(fc.integer({ min: 0, max: 4 }), { freq: 8 }),
        }),
        { minLength: nChild, maxLength: nChild },
      ),
      parent: fc.array(fc.record({ value: numArb, cat: catArb }), { minLength: 4, maxLength: 4 }),
      grand: fc.array(
        fc.record({
          of: fc.option(fc.integer({ min: 0, max: nChild }), { freq: 8 }),
          day: dayArb,
          value: numArb,
          cat: catArb,
        }),
        { maxLength: 60 },
      ),
    }),
  )
  // every link has at least one matching key (else the build refuses with "no matches")
  .filter(
    (c) =>
      c.child.some((r) => r.key !== null && c.targetKeys.includes(r.key)) &&
      c.child.some((r) => r.parent !== null && r.parent < 4) &&
      c.grand.some((g) => g.of !== null && g.of < c.child.length),
  );

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
const day = (d: number | null): number => (d === null ? NaN : BASE + d * MS_PER_DAY);
const dates = (name: string, days: (number | null)[]): Column => ({
  name,
  type: 'datetime',
  storage: 'datetime',
  format: 'yyyy-mm-dd',
  values: Float64Array.from(days, day),
});
const nums = (name: string, v: (number | null)[]): Column => ({
  name,
  type: 'numeric',
  storage: 'float64',
  values: Float64Array.from(v, (x) => (x === null ? NaN : x)),
});

function tablesOf(c: Case): Record<string, Table> {
  return {
    target: {
      nRows: c.targetKeys.length,
      columns: [
        dict(
          'id',
          c.targetKeys.map((k) => (k === null ? null : `k${k}`)),
        ),
        dates('cutoff', c.cutoffDays),
      ],
    },
    child: {
      nRows: c.child.length,
      columns: [
        dict(
          'cid',
          c.child.map((_, i) => `c${i}`),
        ),
        dict(
          'tid',
          c.child.map((r) => (r.key === null ? null : `k${r.key}`)),
        ),
        dates(
          'time',
          c.child.map((r) => r.day),
        ),
        dict(
          'pid',
          c.child.map((r) => (r.parent === null ? null : `p${r.parent}`)),
        ),
      ],
    },
    parent: {
      nRows: c.parent.length,
      columns: [
        dict(
          'pid',
          c.parent.map((_, i) => `p${i}`),
        ),
        nums(
          'v',
          c.parent.map((p) => p.value),
        ),
        dict(
          'c',
          c.parent.map((p) => (p.cat === null ? null : CATS[p.cat])),
        ),
      ],
    },
    grand: {
      nRows: c.grand.length,
      columns: [
        dict(
          'cid',
          c.grand.map((g) => (g.of === null ? null : `c${g.of}`)),
        ),
        dates(
          'time',
          c.grand.map((g) => g.day),
        ),
        nums(
          'v',
          c.grand.map((g) => g.value),
        ),
        dict(
          'c',
          c.grand.map((g) => (g.cat === null ? null : CATS[g.cat])),
        ),
      ],
    },
  };
}

const REL = { child: 'child', childColumn: 'tid', parent: 'target', parentColumn: 'id' };
const LOOKUP = { child: 'child', childColumn: 'pid', parent: 'parent', parentColumn: 'pid' };
const GRAND = { child: 'grand', childColumn: 'cid', parent: 'child', parentColumn: 'cid' };

/** The aggregate of values already in (time, row) order; `n` rows, `last` the time of the last one. */
function reduce(
  agg: Aggregation,
  vals: (number | string | null)[] | null,
  n: number,
  cut: number | null,
  lastDay: number | null,
): Ref {
  if (agg === 'time_since_last') return n ? cut! - lastDay! : null;
  if (vals === null) return n; // count of rows
  const known = vals.filter((v): v is number | string => v !== null);
  if (agg === 'count') return known.length;
  if (agg === 'distinct_count') return new Set(known).size;
  if (known.length === 0) return null;
  if (agg === 'last') return known[known.length - 1];
  if (agg === 'most_frequent') {
    const counts = new Map<number | string, number>();
    for (const v of known) counts.set(v, (counts.get(v) ?? 0) + 1);
    let best: number | string | null = null;
    for (const v of known) {
      const k = counts.get(v)!;
      const bk = best === null ? -1 : counts.get(best)!;
      if (k > bk || (k === bk && v < best!)) best = v;
    }
    return best;
  }
  const xs = known as number[];
  if (agg === 'min') return Math.min(...xs);
  if (agg === 'max') return Math.max(...xs);
  let sum = 0;
  for (const v of xs) sum += v;
  if (agg === 'sum') return sum;
  const mean = sum / xs.length;
  if (agg === 'mean') return mean;
  if (xs.length < 2) return null;
  let ss = 0;
  for (const v of xs) ss += (v - mean) * (v - mean);
  return Math.sqrt(ss / (xs.length - 1));
}

interface Opts {
  agg: Aggregation;
  column: 'v' | 'c' | undefined;
  windowDays: number | undefined;
  withCutoff: boolean;
  childTime: boolean;
  grandTime: boolean;
}

/** Naive reference, one target row: follow the links by key, filter by time at every level, reduce. */
function reference(c: Case, r: number, mode: 'lookup' | 'grandchild', o: Opts): Ref {
  const key = c.targetKeys[r];
  const cut = c.cutoffDays[r];
  if (o.withCutoff && cut === null) return null;
  const anyTime = o.childTime || (mode === 'grandchild' && o.grandTime);
  // candidate rows: [time (or null when no level has a time index), value]
  const rows: { t: number | null; i: number; v: number | string | null }[] = [];
  const pass = (t: number | null): boolean => {
    if (!o.withCutoff) return true;
    if (!(t! < cut!)) return false;
    return o.windowDays === undefined || t! >= cut! - o.windowDays;
  };
  if (mode === 'lookup') {
    c.child.forEach((row, i) => {
      if (key === null || row.key !== key) return;
      if (o.childTime && row.day === null) return; // rows without a time are left out
      const t = o.childTime ? row.day : null;
      if (!pass(t)) return;
      const p = row.parent !== null && row.parent < 4 ? c.parent[row.parent] : null;
      const v = !p ? null : o.column === 'v' ? p.value : p.cat === null ? null : CATS[p.cat];
      rows.push({ t, i, v });
    });
  } else {
    c.grand.forEach((g, i) => {
      if (g.of === null || g.of >= c.child.length) return;
      const ch = c.child[g.of];
      if (key === null || ch.key !== key) return;
      const times: (number | null)[] = [];
      if (o.childTime) times.push(ch.day);
      if (o.grandTime) times.push(g.day);
      if (times.some((t) => t === null)) return;
      const t = times.length ? Math.max(...(times as number[])) : null;
      if (!pass(t)) return; // the cutoff holds at every level: max(t_child, t_grand) < cutoff
      const v = o.column === 'v' ? g.value : o.column === 'c' && g.cat !== null ? CATS[g.cat] : null;
      rows.push({ t, i, v });
    });
  }
  if (anyTime) rows.sort((a, b) => a.t! - b.t! || a.i - b.i);
  const vals = o.column === undefined ? null : rows.map((x) => x.v);
  return reduce(o.agg, vals, rows.length, cut, rows.length ? rows[rows.length - 1].t : null);
}

function valueAt(col: Column, i: number): Ref {
  if (col.storage === 'dict') return col.codes[i] < 0 ? null : col.dictionary[col.codes[i]];
  if (col.storage === 'bool') return col.values[i] > 1 ? null : col.values[i];
  return Number.isNaN(col.values[i]) ? null : col.values[i];
}

function recipeFor(mode: 'lookup' | 'grandchild', o: Opts): Recipe {
  const timeIndex: Record<string, string> = {};
  if (o.childTime) timeIndex.child = 'time';
  if (mode === 'grandchild' && o.grandTime) timeIndex.grand = 'time';
  const f: AggregateFeature = {
    kind: 'aggregate',
    name: 'f',
    relationship: REL,
    aggregation: o.agg,
    ...(o.column !== undefined ? { column: o.column } : {}),
    ...(o.windowDays !== undefined ? { windowDays: o.windowDays } : {}),
    ...(mode === 'lookup' ? { lookup: LOOKUP } : { grandchild: GRAND }),
  };
  return {
    schemaVersion: RECIPE_SCHEMA_VERSION,
    name: 't',
    version: 1,
    target: 'target',
    ...(o.withCutoff ? { cutoff: { column: 'cutoff' } } : {}),
    timeIndex,
    features: [f],
  };
}

const NUMERIC_ONLY: readonly Aggregation[] = ['sum', 'mean', 'min', 'max', 'std'];
const optsArb = (mode: 'lookup' | 'grandchild'): fc.Arbitrary<Opts> =>
  fc
    .record({
      agg: fc.constantFrom(...AGGREGATIONS),
      column: fc.constantFrom<'v' | 'c' | undefined>('v', 'c', undefined),
      windowDays: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
      withCutoff: fc.boolean(),
      childTime: fc.boolean(),
      grandTime: fc.boolean(),
    })
    .map((o) => {
      // keep to the combinations a recipe allows (the refusals are tested below)
      let column = o.column;
      if (o.agg === 'time_since_last') column = mode === 'lookup' ? 'v' : undefined;
      else if (mode === 'lookup' && column === undefined) column = 'v';
      else if (column === undefined && o.agg !== 'count') column = 'v';
      if (column === 'c' && NUMERIC_ONLY.includes(o.agg)) column = 'v';
      const withCutoff = o.withCutoff || o.windowDays !== undefined || o.agg === 'time_since_last';
      let childTime = o.childTime;
      let grandTime = o.grandTime;
      if (withCutoff && mode === 'lookup') childTime = true;
      if (withCutoff && mode === 'grandchild' && !childTime && !grandTime) grandTime = true;
      return { ...o, column, withCutoff, childTime, grandTime };
    });

describe('depth-2 aggregations equal a naive reference', () => {
  for (const mode of ['lookup', 'grandchild'] as const) {
    it(`${mode}: every aggregation, cutoff at every level, windows and empty windows`, () => {
      fc.assert(
        fc.property(caseArb, optsArb(mode), (c, o) => {
          const built = buildFeatures(recipeFor(mode, o), tablesOf(c));
          const col = built.features.columns[0];
          for (let r = 0; r < c.targetKeys.length; r++) {
            const want = reference(c, r, mode, o);
            const got = valueAt(col, r);
            if (typeof want === 'number' && typeof got === 'number')
              expect(Object.is(got, want) || got === want).toBe(true);
            else expect(got).toEqual(want);
          }
        }),
        { numRuns: 400 },
      );
    });
  }
});

describe('depth-2 point in time', () => {
  const t = (rows: string[][]): string[][] => rows;
  function table(cols: string[], rows: (string | number | null)[][]): Table {
    return {
      nRows: rows.length,
      columns: cols.map((name, j) => {
        const v = rows.map((r) => r[j]);
        if (name === 'time' || name === 'cutoff') return dates(name, v as (number | null)[]);
        if (name === 'v') return nums(name, v as (number | null)[]);
        return dict(
          name,
          v.map((x) => (x === null ? null : String(x))),
        );
      }),
    };
  }
  void t;
  const tables = {
    target: table(['id', 'cutoff'], [['a', 10]]),
    // order o1 placed on day 12 (after the cutoff), o2 on day 5
    child: table(
      ['cid', 'tid', 'time'],
      [
        ['o1', 'a', 12],
        ['o2', 'a', 5],
      ],
    ),
    // every line is dated before the cutoff, but o1's lines belong to an order made after it
    grand: table(
      ['cid', 'time', 'v'],
      [
        ['o1', 3, 100],
        ['o1', 4, 200],
        ['o2', 6, 1],
        ['o2', 11, 1000], // a line of an earlier order, dated after the cutoff
      ],
    ),
  };
  const recipe = (timeIndex: Record<string, string>): Recipe => ({
    schemaVersion: 1,
    name: 'r',
    version: 1,
    target: 'target',
    cutoff: { column: 'cutoff' },
    timeIndex,
    features: [
      {
        kind: 'aggregate',
        name: 'lines_v_sum',
        relationship: REL,
        aggregation: 'sum',
        column: 'v',
        grandchild: GRAND,
      },
    ],
  });
  it('a grandchild row counts only when its own time and its child row’s time are both before the cutoff', () => {
    const both = buildFeatures(recipe({ child: 'time', grand: 'time' }), tables);
    expect(valueAt(both.features.columns[0], 0)).toBe(1);
    // with the order's time only, both of o2's lines count (the line's own date is not known)
    const childOnly = buildFeatures(recipe({ child: 'time' }), tables);
    expect(valueAt(childOnly.features.columns[0], 0)).toBe(1001);
    // with the line's time only, o1's early lines count (the order's date is not known)
    const grandOnly = buildFeatures(recipe({ grand: 'time' }), tables);
    expect(valueAt(grandOnly.features.columns[0], 0)).toBe(301);
  });
  it('refuses a cutoff when neither level has a time index, naming both tables', () => {
    expect(() => buildFeatures(recipe({}), tables)).toThrow(/neither 'grand' nor 'child' has a time index/);
  });
});

describe('depth-2 recipes', () => {
  const base: Recipe = {
    schemaVersion: 1,
    name: 'r',
    version: 1,
    target: 'target',
    timeIndex: {},
    features: [],
  };
  const feature = (extra: Record<string, unknown>): Recipe =>
    ({
      ...base,
      features: [
        { kind: 'aggregate', name: 'f', relationship: REL, aggregation: 'mean', column: 'v', ...extra },
      ],
    }) as Recipe;
  it('parse: a bad second link, or both kinds at once, is refused with the feature named', () => {
    expect(() => parseRecipe(feature({ lookup: { child: 'child' } }))).toThrow(
      /feature 'f': lookup must be a relationship/,
    );
    expect(() => parseRecipe(feature({ lookup: LOOKUP, grandchild: GRAND }))).toThrow(
      /give lookup or grandchild, not both/,
    );
    // an old depth-1 recipe parses unchanged
    const old = feature({});
    expect(parseRecipe(old)).toBe(old);
  });
  it('build: a second link that does not meet the child table is refused', () => {
    const c: Case = {
      targetKeys: [0],
      cutoffDays: [5],
      child: [{ key: 0, day: 1, parent: 0 }],
      parent: [
        { value: 1, cat: 0 },
        { value: 2, cat: 1 },
        { value: 3, cat: 2 },
        { value: 4, cat: 3 },
      ],
      grand: [{ of: 0, day: 1, value: 1, cat: 0 }],
    };
    const tables = tablesOf(c);
    expect(() =>
      buildFeatures(feature({ lookup: { ...LOOKUP, child: 'grand', childColumn: 'cid' } }), tables),
    ).toThrow(
      /feature 'f': its lookup grand.cid → parent.pid must start at the aggregated child table 'child'/,
    );
    expect(() =>
      buildFeatures(feature({ grandchild: { ...GRAND, parent: 'parent', parentColumn: 'pid' } }), tables),
    ).toThrow(/must end at the child table 'child'/);
    // a lookup into a parent whose key repeats would give a child row several values
    const dup = {
      ...tables,
      parent: {
        ...tables.parent,
        columns: [dict('pid', ['p0', 'p0', 'p1', 'p2']), ...tables.parent.columns.slice(1)],
      },
    };
    expect(() => buildFeatures(feature({ lookup: LOOKUP }), dup)).toThrow(/parent.pid is not unique/);
    expect(recipeTables(feature({ lookup: LOOKUP }))).toEqual(['child', 'parent']);
    expect(recipeTables(feature({ grandchild: GRAND }))).toEqual(['child', 'grand']);
    const r = feature({ lookup: LOOKUP });
    expect(describeFeature(r.features[0], r)).toBe(
      'mean of parent.v of the child rows (child.pid → parent.pid), per target row (child.tid → target.id)',
    );
  });
});

describe('depth-2 suggestion', () => {
  const c: Case = {
    targetKeys: [0, 1, 2, 3],
    cutoffDays: [10, 10, 10, 10],
    child: Array.from({ length: 12 }, (_, i) => ({ key: i % 4, day: i, parent: i % 4 })),
    parent: [
      { value: 10, cat: 0 },
      { value: 20, cat: 1 },
      { value: 30, cat: 2 },
      { value: 40, cat: 3 },
    ],
    grand: Array.from({ length: 30 }, (_, i) => ({ of: i % 12, day: i % 9, value: i, cat: i % 4 })),
  };
  const tables = tablesOf(c);
  const relationships = [REL, LOOKUP, GRAND];
  const opts = { target: 'target', cutoff: { column: 'cutoff' }, relationships, maxFeatures: 500 };
  it('depth 1 (the default) has no depth-2 feature; depth 2 adds lookups and grandchildren, within the cap', () => {
    const d1 = suggestFeatures(tables, opts);
    const depth2 = (r: Recipe) =>
      r.features.filter((f) => f.kind === 'aggregate' && (f.lookup || f.grandchild));
    expect(depth2(d1.recipe)).toEqual([]);
    expect(d1.depth2).toBeUndefined();
    const d2 = suggestFeatures(tables, { ...opts, depth: 2 });
    const names = d2.recipe.features.map((f) => f.name);
    expect(names).toContain('child_parent_v_mean');
    expect(names).toContain('child_parent_c_most_frequent_30d');
    expect(names).toContain('child_grand_count_7d');
    expect(names).toContain('child_grand_v_sum');
    expect(d2.recipe.timeIndex).toEqual({ child: 'time', grand: 'time' });
    // the depth-1 features are the same ones
    const isDepth2 = new Set(depth2(d2.recipe).map((f) => f.name));
    expect(names.filter((n) => !isDepth2.has(n))).toEqual(d1.recipe.features.map((f) => f.name));
    const n2 = depth2(d2.recipe).length;
    expect(d2.depth2).toEqual({ candidates: n2, leftOut: 0 });
    const capped = suggestFeatures(tables, { ...opts, depth: 2, maxCandidates: 5 });
    expect(depth2(capped.recipe)).toHaveLength(5);
    expect(capped.depth2).toEqual({ candidates: n2, leftOut: n2 - 5 });
    // the recipe is plain data: it survives JSON and builds to the same features
    const again = buildFeatures(JSON.parse(JSON.stringify(d2.recipe)), tables);
    const direct = buildFeatures(d2.recipe, tables);
    expect(again.features).toEqual(direct.features);
  });
});

describe('a parent looked up through two links', () => {
  it('names each lookup after its link’s column, so neither is dropped as a duplicate name', () => {
    const flights: Table = {
      nRows: 3,
      columns: [
        dict('origin', ['A', 'B', 'A']),
        dict('destination', ['B', 'A', 'C']),
        dict('late', ['yes', 'no', 'yes']),
      ],
    };
    const airports: Table = {
      nRows: 3,
      columns: [dict('iata', ['A', 'B', 'C']), nums('lat', [1, 2, 3])],
    };
    const link = (c: string) => ({
      child: 'flights',
      childColumn: c,
      parent: 'airports',
      parentColumn: 'iata',
    });
    const s = suggestFeatures(
      { flights, airports },
      { target: 'flights', label: 'late', relationships: [link('origin'), link('destination')] },
    );
    expect(s.recipe.features.map((f) => f.name)).toEqual(['origin_lat', 'destination_lat']);
    const built = buildFeatures(s.recipe, { flights, airports });
    expect(built.features.columns.map((c) => [...(c as { values: Float64Array }).values])).toEqual([
      [1, 2, 1],
      [2, 1, 3],
    ]);
  });
});
