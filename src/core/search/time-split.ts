/**
 * Time-ordered split plans (issue 20): when rows have a time (a recipe's cutoff, or a column the user
 * marks as "time order matters"), validation is always later than training.
 *   - holdout: the latest `validFraction` of the rows (by time, then row) validate, the rest train;
 *   - k folds: expanding windows — the rows in time order are cut into k + 1 blocks; fold f trains on
 *     blocks 0..f and validates on block f + 1, so block 0 is never validated and every later row is
 *     validated exactly once (its out-of-fold prediction comes from a model of earlier rows only).
 * Ties keep row order, so a validation row is never earlier than any of its training rows (it may
 * share the latest training time). No randomness: the plan depends only on the times.
 */
import type { Table } from '../data/table.ts';
import type { FoldIndices, SplitPlan } from '../metrics/index.ts';
import { TrainingError } from '../train/target.ts';

/** How the split is ordered in time: by this column of the training table. */
export interface TimeOrder {
  readonly column: string;
}

export interface TimeSplit {
  readonly plan: SplitPlan;
  /** Training and validation rows of each fold, ascending row order. */
  readonly foldRows: readonly FoldIndices[];
  /** Rows with an out-of-fold prediction (every row but the first block), ascending. */
  readonly evalRows: Int32Array;
}

/** The times of `column` (epoch ms for dates, the numbers otherwise); every row must have one. */
export function timeValues(table: Table, column: string): Float64Array {
  const col = table.columns.find((c) => c.name === column);
  if (!col)
    throw new TrainingError(
      `time column '${column}' for time-ordered validation is not among the training columns`,
    );
  if (col.storage !== 'datetime' && col.storage !== 'float64')
    throw new TrainingError(
      `time column '${column}' is ${col.type}, not a date or a number: it cannot order rows in time`,
    );
  const t = col.values;
  let missing = 0;
  let first = -1;
  for (let i = 0; i < t.length; i++)
    if (Number.isNaN(t[i])) {
      missing++;
      if (first < 0) first = i;
    }
  if (missing)
    throw new TrainingError(
      `time column '${column}' has ${missing} row${missing === 1 ? '' : 's'} with no time (first: data row ${first + 1}); ` +
        'time-ordered validation needs a time for every row',
    );
  return t;
}

const ascending = (rows: number[]): Int32Array => Int32Array.from(rows).sort();

/**
 * A time-ordered plan over `times`: `folds` ≥ 2 expanding-window folds, or (folds = 1) a holdout
 * of the latest `validFraction` of the rows. `seed` is recorded only (nothing is random).
 */
export function timeOrderedSplit(
  times: ArrayLike<number>,
  folds: number,
  validFraction: number,
  seed: number,
): TimeSplit {
  const n = times.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => times[a] - times[b] || a - b);
  const foldOf = new Int32Array(n).fill(-1);
  if (folds >= 2) {
    const k = folds;
    if (n < k + 1)
      throw new TrainingError(
        `time-ordered validation with ${k} folds needs at least ${k + 1} rows, got ${n}`,
      );
    const start = (b: number) => Math.floor((b * n) / (k + 1));
    const foldRows: FoldIndices[] = [];
    for (let f = 0; f < k; f++) {
      const train = order.slice(0, start(f + 1));
      const valid = order.slice(start(f + 1), start(f + 2));
      for (const r of valid) foldOf[r] = f;
      foldRows.push({ train: ascending(train), valid: ascending(valid) });
    }
    return {
      plan: { strategy: 'kfold', stratified: false, seed, folds: k, foldOf },
      foldRows,
      evalRows: ascending(order.slice(start(1))),
    };
  }
  if (!(validFraction > 0 && validFraction < 1))
    throw new TrainingError(`validation fraction must be in (0, 1), got ${validFraction}`);
  if (n < 2) throw new TrainingError(`a time-ordered holdout needs at least 2 rows, got ${n}`);
  const nValid = Math.min(n - 1, Math.max(1, Math.round(n * validFraction)));
  const valid = order.slice(n - nValid);
  for (const r of valid) foldOf[r] = 0;
  const v = ascending(valid);
  return {
    plan: { strategy: 'holdout', stratified: false, seed, folds: 1, validFraction, foldOf },
    foldRows: [{ train: ascending(order.slice(0, n - nValid)), valid: v }],
    evalRows: v,
  };
}
