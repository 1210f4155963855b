/**
 * One seeded, trial-capped search for the cross-runtime test (test/e2e/cross-runtime.e2e.ts): the
 * same code runs in Node and, bundled by esbuild, in Chromium, on a table built from plain arrays, and
 * returns what must be bit-identical in both: each trial's parameters, the validation predictions,
 * the final model's features and predictions on other rows, and the ensemble's score and weights.
 */
import type { Column, Table } from '../../src/core/data/table.ts';
import { buildAutoPipeline } from '../../src/core/pipeline/index.ts';
import { datePartsStep } from '../../src/core/pipeline/steps/date-parts.ts';
import { runSearch } from '../../src/core/search/runner.ts';
import { tpeSampler } from '../../src/core/search/samplers/tpe.ts';
import { createRng } from '../../src/core/util/random.ts';

/** A table as JSON-able arrays. */
export interface PlainTable {
  readonly n: number;
  readonly columns: readonly {
    name: string;
    kind: 'num' | 'date' | 'cat';
    values: number[];
    levels?: string[];
  }[];
}

/** 600 rows: a date with a time of day, two numbers, a category; a binary target depending on all. */
export function crossRuntimeTable(n = 600, seed = 5): PlainTable {
  const rng = createRng(seed);
  const date: number[] = [];
  const x1: number[] = [];
  const x2: number[] = [];
  const cat: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    // uniform draws only (no transcendental functions): the table is the same in every runtime
    const d = Date.UTC(2021, 0, 1) + rng.int(900) * 86_400_000 + rng.int(24 * 60) * 60_000;
    const a = rng.next() * 4 - 2;
    const b = rng.next() < 0.05 ? NaN : rng.next() * 10;
    const c = rng.int(4);
    const hour = new Date(d).getUTCHours();
    const month = new Date(d).getUTCMonth();
    const score =
      a +
      (hour >= 9 && hour < 17 ? 1.2 : -0.6) +
      (month < 3 ? 0.8 : 0) +
      (c === 2 ? 0.7 : 0) -
      0.1 * (b || 0);
    date.push(d);
    x1.push(a);
    x2.push(b);
    cat.push(c);
    y.push(score + rng.next() * 2 - 1 > 0.3 ? 1 : 0);
  }
  return {
    n,
    columns: [
      { name: 'when', kind: 'date', values: date },
      { name: 'x1', kind: 'num', values: x1 },
      { name: 'x2', kind: 'num', values: x2 },
      { name: 'shop', kind: 'cat', values: cat, levels: ['a', 'b', 'c', 'd'] },
      { name: 'y', kind: 'cat', values: y, levels: ['no', 'yes'] },
    ],
  };
}

export function toTable(p: PlainTable): Table {
  const columns: Column[] = p.columns.map((c) => {
    if (c.kind === 'date')
      return {
        name: c.name,
        type: 'datetime',
        storage: 'datetime',
        values: Float64Array.from(c.values),
        format: 'iso',
      } as Column;
    if (c.kind === 'cat')
      return {
        name: c.name,
        type: 'categorical',
        storage: 'dict',
        codes: Int32Array.from(c.values),
        dictionary: c.levels!,
      } as Column;
    return {
      name: c.name,
      type: 'numeric',
      storage: 'float64',
      values: Float64Array.from(c.values),
    } as Column;
  });
  return { nRows: p.n, columns } as unknown as Table;
}

/** What the search gave, as JSON (numbers round-trip exactly; NaN as null). */
export interface CrossRuntimeResult {
  readonly trials: { family: string; params: Record<string, unknown>; value: number | null }[];
  readonly validation: (number | null)[];
  readonly test: (number | null)[];
  /** The test rows' date features (year … hour and their sin/cos) as a linear model's pipeline makes them. */
  readonly features: (number | null)[];
  readonly ensemble: { score: number; weights: readonly number[] };
  readonly math: string | null;
}

export async function crossRuntimeSearch(
  train: PlainTable,
  test: PlainTable,
  math: 'portable' | 'engine' = 'portable',
): Promise<CrossRuntimeResult> {
  const table = toTable(train);
  const r = await runSearch({
    table,
    target: 'y',
    task: 'binary',
    families: ['gbdt', 'linear'],
    metric: 'log_loss',
    seed: 11,
    maxTrials: 12,
    folds: 3,
    sampler: tpeSampler({ nStartupTrials: 4 }),
    math,
  });
  const num = (v: number) => (Number.isFinite(v) ? v : null);
  return {
    trials: r.trials.map((t) => ({
      family: t.family,
      params: t.params as Record<string, unknown>,
      value: t.value === undefined ? null : num(t.value),
    })),
    validation: Array.from(r.validation.pred, num),
    test: Array.from(r.model.predictTable(toTable(test)), num),
    features: Array.from(dateFeatures(table, toTable(test), math), num),
    ensemble: { score: r.manifest.ensemble.score, weights: r.manifest.ensemble.weights },
    math: ((r.manifest as unknown as Record<string, unknown>).math as string | undefined) ?? null,
  };
}

/**
 * The date step of a linear model's automatic pipeline, fitted on `table`: its float64 columns (the
 * cyclic sin/cos among them; the matrix a model sees is float32, where an ulp of a double rarely shows).
 */
function dateFeatures(table: Table, test: Table, math: 'portable' | 'engine'): Float64Array {
  const x = { ...table, columns: table.columns.filter((c) => c.name !== 'y') } as Table;
  const auto = buildAutoPipeline(x, { family: 'neural', task: 'binary', nClasses: 2, math });
  const step = auto.spec.steps.find((s) => s.kind === 'date_parts')!;
  const state = datePartsStep.fit(x, step, { seed: 0 });
  const out = datePartsStep.transform(test, step, state);
  const cols = out.columns.filter((c) => c.name.startsWith('when__')) as { values: Float64Array }[];
  return Float64Array.from(cols.flatMap((c) => Array.from(c.values)));
}
