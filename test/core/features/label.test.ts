/**
 * No feature reads the label (issue 20): the suggestion never offers one — rolling, lag, date part,
 * days since, or an aggregate/lookup keyed on the label — and a recipe that has one is refused at build
 * time with an error naming the feature. The property: for random tables and options, every suggested
 * recipe builds on the target table without its label column, and gives the same features as with it.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  applyFeatures,
  buildFeatures,
  FeatureError,
  labelUse,
  RECIPE_SCHEMA_VERSION,
  suggestFeatures,
  type FeatureSpec,
  type Recipe,
  type Tables,
} from '../../../src/core/features/index.ts';
import type { Table } from '../../../src/core/data/table.ts';
import { cat, date, num, table } from '../../helpers/table.ts';

const DAY = 86_400_000;
const iso = (d: number) => new Date(Date.UTC(2024, 0, 1) + d * DAY).toISOString();

interface Case {
  readonly rows: { store: number; day: number; sales: number; visitors: number; label: number }[];
  readonly child: { store: number; day: number; amount: number }[];
  readonly label: 'sales' | 'visitors' | 'label' | 'store';
  readonly time: boolean;
  readonly entity: boolean;
  readonly cutoff: boolean;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  rows: fc.array(
    fc.record({
      store: fc.integer({ min: 1, max: 3 }),
      day: fc.integer({ min: 0, max: 30 }),
      sales: fc.integer({ min: 0, max: 100 }),
      visitors: fc.integer({ min: 0, max: 100 }),
      label: fc.integer({ min: 0, max: 1 }),
    }),
    { minLength: 4, maxLength: 25 },
  ),
  child: fc.array(
    fc.record({
      store: fc.integer({ min: 1, max: 3 }),
      day: fc.integer({ min: 0, max: 30 }),
      amount: fc.integer({ min: -20, max: 20 }),
    }),
    { minLength: 1, maxLength: 30 },
  ),
  label: fc.constantFrom('sales', 'visitors', 'label', 'store'),
  time: fc.boolean(),
  entity: fc.boolean(),
  cutoff: fc.boolean(),
});

function tablesOf(c0: Case): Tables {
  // every store has an order, so the link always matches
  const c = { ...c0, child: [1, 2, 3].map((store) => ({ store, day: 0, amount: 1 })).concat(c0.child) };
  const target = table(
    num(
      'store',
      c.rows.map((r) => r.store),
      'integer',
    ),
    date(
      'day',
      c.rows.map((r) => iso(r.day)),
    ),
    num(
      'sales',
      c.rows.map((r) => r.sales),
    ),
    num(
      'visitors',
      c.rows.map((r) => r.visitors),
    ),
    cat(
      'label',
      c.rows.map((r) => (r.label ? 'yes' : 'no')),
    ),
  );
  const orders = table(
    num(
      'store',
      c.child.map((r) => r.store),
      'integer',
    ),
    date(
      'ts',
      c.child.map((r) => iso(r.day)),
    ),
    num(
      'amount',
      c.child.map((r) => r.amount),
    ),
  );
  return { sales: target, orders };
}

const without = (t: Table, column: string): Table => ({
  nRows: t.nRows,
  columns: t.columns.filter((col) => col.name !== column),
});

function errorOf(fn: () => unknown): FeatureError {
  try {
    fn();
  } catch (err) {
    if (err instanceof FeatureError) return err;
    throw err;
  }
  throw new Error('expected a FeatureError');
}

describe('no suggested feature reads the label', () => {
  it('for any tables and options, the recipe builds without the label column, to the same features', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const tables = tablesOf(c);
        const s = suggestFeatures(tables, {
          target: 'sales',
          label: c.label,
          relationships: [{ child: 'orders', childColumn: 'store', parent: 'sales', parentColumn: 'store' }],
          ...(c.cutoff ? { cutoff: { column: 'day' } } : {}),
          ...(c.time ? { time: 'day', ...(c.entity ? { entity: 'store' } : {}) } : {}),
          windows: [7],
          maxFeatures: 100,
        });
        for (const f of s.recipe.features) expect(labelUse(f, 'sales', c.label), f.name).toBeNull();
        const withLabel = buildFeatures(s.recipe, tables).features;
        const { orders } = tables;
        const scored = applyFeatures(
          { recipe: s.recipe, tables: { orders } },
          without(tables.sales, c.label),
        );
        expect(scored.build.features).toEqual(withLabel);
      }),
      { numRuns: 60, seed: 20 },
    );
  });

  it('a lag and rolling statistics of other columns are still suggested, none of the label', () => {
    const c: Case = {
      rows: Array.from({ length: 20 }, (_, d) => ({
        store: 1 + (d % 2),
        day: d,
        sales: 10 + d,
        visitors: 3 * d,
        label: d % 2,
      })),
      child: [{ store: 1, day: 1, amount: 5 }],
      label: 'sales',
      time: true,
      entity: true,
      cutoff: false,
    };
    const s = suggestFeatures(tablesOf(c), {
      target: 'sales',
      label: 'sales',
      time: 'day',
      entity: 'store',
      maxFeatures: 100,
    });
    const names = s.recipe.features.map((f) => f.name);
    expect(names).toContain('visitors_lag1');
    expect(names).toContain('visitors_rolling_mean_7d');
    expect(names).toContain('rows_rolling_count_7d');
    expect(names.filter((n) => n.startsWith('sales_'))).toEqual([]);
  });
});

describe('a recipe with a feature that reads the label is refused, naming the feature', () => {
  const base = (features: FeatureSpec[], label = 'sales'): Recipe => ({
    schemaVersion: RECIPE_SCHEMA_VERSION,
    name: 'r',
    version: 1,
    target: 'sales',
    label,
    timeIndex: { orders: 'ts' },
    features,
  });
  const tables = tablesOf({
    rows: [
      { store: 1, day: 1, sales: 3, visitors: 4, label: 0 },
      { store: 1, day: 2, sales: 5, visitors: 6, label: 1 },
    ],
    child: [{ store: 1, day: 0, amount: 1 }],
    label: 'sales',
    time: false,
    entity: false,
    cutoff: false,
  });

  const cases: [FeatureSpec, string, string?][] = [
    [{ kind: 'lag', name: 'sales_lag1', time: 'day', column: 'sales', periods: 1 }, 'the column of its lag'],
    [
      {
        kind: 'rolling',
        name: 'sales_mean_7d',
        time: 'day',
        aggregation: 'mean',
        column: 'sales',
        windowDays: 7,
      },
      'the column of its rolling',
    ],
    [
      { kind: 'rolling', name: 'by_label', time: 'day', entity: 'label', aggregation: 'count' },
      'the entity column of its rolling',
      'label',
    ],
    [{ kind: 'date_part', name: 'day_month', column: 'day', part: 'month' }, 'its date column', 'day'],
    [
      {
        kind: 'aggregate',
        name: 'orders_count',
        relationship: { child: 'orders', childColumn: 'store', parent: 'sales', parentColumn: 'store' },
        aggregation: 'count',
      },
      'its aggregation key',
      'store',
    ],
  ];
  for (const [feature, how, label = 'sales'] of cases) {
    it(`${feature.kind} '${feature.name}' (label ${label})`, () => {
      const e = errorOf(() => buildFeatures(base([feature], label), tables));
      expect(e.code).toBe('bad-recipe');
      expect(e.message).toBe(
        `recipe: feature '${feature.name}' reads the label 'sales.${label}' (${how}): rows to score have no label, and it leaks the label into the features; remove the feature`,
      );
    });
  }

  it('a job predicting a column the recipe does not name as its label is refused too', () => {
    const { label: _l, ...unlabelled } = base([
      { kind: 'lag', name: 'visitors_lag1', time: 'day', column: 'visitors' },
    ]);
    void _l;
    const spec = { recipe: unlabelled, tables: { orders: tables.orders } };
    expect(applyFeatures(spec, tables.sales).table.columns.map((c) => c.name)).toContain('visitors_lag1');
    const e = errorOf(() => applyFeatures(spec, tables.sales, { label: 'visitors' }));
    expect(e.message).toContain("recipe 'r': feature 'visitors_lag1' reads the label 'sales.visitors'");
  });
});
