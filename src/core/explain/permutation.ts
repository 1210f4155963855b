/**
 * Permutation importance, for every model family: how much the model's metric gets worse on data
 * where one input column's values are shuffled across rows (breaking its link with the target while
 * keeping its distribution), averaged over seeded repeats with the spread. Computed on the input
 * table, so the whole pipeline sees the shuffled column, and reported per user column.
 * A drop is positive when the column matters; around 0 (within its spread) when it does not.
 */
import { DICT_MISSING, type Column, type Table } from '../data/table.ts';
import { createRng, type Rng } from '../util/random.ts';

export interface PermutationOptions {
  /** Scores predictions: higher is better (negate losses). */
  readonly score: (table: Table) => number;
  /** Columns to permute (default: every column of the table). */
  readonly columns?: readonly string[];
  readonly repeats?: number;
  readonly seed?: number;
}

export interface PermutationResult {
  readonly column: string;
  /** Mean drop of the score over the repeats (baseline − permuted). */
  readonly drop: number;
  readonly std: number;
  readonly drops: readonly number[];
}

function shuffled(rng: Rng, n: number): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/** The column's cells at `order` (row k of the result is row order[k] of `col`), any storage. */
export function gatherColumn(col: Column, order: ArrayLike<number>): Column {
  const n = order.length;
  switch (col.storage) {
    case 'dict': {
      const codes = new Int32Array(n);
      for (let k = 0; k < n; k++) codes[k] = col.codes[order[k]!] ?? DICT_MISSING;
      return { ...col, codes };
    }
    case 'bool': {
      const values = new Uint8Array(n);
      for (let k = 0; k < n; k++) values[k] = col.values[order[k]!]!;
      return { ...col, values };
    }
    default: {
      const values = new Float64Array(n);
      for (let k = 0; k < n; k++) values[k] = col.values[order[k]!]!;
      return { ...col, values } as Column;
    }
  }
}

export function permutationImportance(
  table: Table,
  options: PermutationOptions,
): {
  baseline: number;
  importances: PermutationResult[];
} {
  const repeats = options.repeats ?? 5;
  if (!(repeats >= 1)) throw new RangeError('permutation importance needs at least one repeat');
  const rng = createRng(options.seed ?? 0);
  const baseline = options.score(table);
  const names = options.columns ?? table.columns.map((c) => c.name);
  const importances = names.map((name) => {
    const k = table.columns.findIndex((c) => c.name === name);
    if (k < 0) throw new Error(`permutation importance: no column "${name}"`);
    const drops: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const columns = table.columns.slice();
      columns[k] = gatherColumn(table.columns[k]!, shuffled(rng, table.nRows));
      drops.push(baseline - options.score({ nRows: table.nRows, columns }));
    }
    const drop = drops.reduce((s, d) => s + d, 0) / repeats;
    const std = Math.sqrt(drops.reduce((s, d) => s + (d - drop) ** 2, 0) / repeats);
    return { column: name, drop, std, drops };
  });
  importances.sort((a, b) => b.drop - a.drop);
  return { baseline, importances };
}
