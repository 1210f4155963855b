/**
 * Seeded validation splits. A split plan assigns every row to a fold (k-fold) or to train/valid
 * (holdout, fold 0 = valid). Stratified plans keep each class's share in every fold.
 */
import { createRng, shuffle } from '../util/random.ts';

export interface SplitPlan {
  readonly strategy: 'kfold' | 'holdout';
  readonly stratified: boolean;
  readonly seed: number;
  /** Number of folds (k-fold) or 1 (holdout). */
  readonly folds: number;
  /** Holdout fraction of rows in validation. */
  readonly validFraction?: number;
  /** Fold of each row; for holdout, 0 = validation and -1 = train. */
  readonly foldOf: Int32Array;
}

export interface FoldIndices {
  readonly train: Int32Array;
  readonly valid: Int32Array;
}

/** Rows grouped by label (labels are class indices; pass undefined for unstratified). */
function groups(n: number, labels: ArrayLike<number> | undefined): number[][] {
  if (!labels) return [Array.from({ length: n }, (_, i) => i)];
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    let g = byClass.get(c);
    if (!g) byClass.set(c, (g = []));
    g.push(i);
  }
  return [...byClass.keys()].sort((a, b) => a - b).map((c) => byClass.get(c)!);
}

export function kFoldPlan(n: number, k: number, seed: number, labels?: ArrayLike<number>): SplitPlan {
  if (!Number.isInteger(k) || k < 2) throw new Error(`k-fold needs k ≥ 2, got ${k}`);
  if (n < k) throw new Error(`k-fold with k=${k} needs at least ${k} rows, got ${n}`);
  const rng = createRng(seed);
  const foldOf = new Int32Array(n);
  let pos = 0;
  for (const g of groups(n, labels)) {
    shuffle(g, rng);
    for (const i of g) foldOf[i] = pos++ % k;
  }
  return { strategy: 'kfold', stratified: labels !== undefined, seed, folds: k, foldOf };
}

export function holdoutPlan(
  n: number,
  validFraction: number,
  seed: number,
  labels?: ArrayLike<number>,
): SplitPlan {
  if (!(validFraction > 0 && validFraction < 1))
    throw new Error(`validation fraction must be in (0, 1), got ${validFraction}`);
  if (n < 2) throw new Error(`a holdout split needs at least 2 rows, got ${n}`);
  const rng = createRng(seed);
  const foldOf = new Int32Array(n).fill(-1);
  const all = groups(n, labels);
  let nValid = 0;
  for (const g of all) {
    shuffle(g, rng);
    let take = Math.round(g.length * validFraction);
    if (take >= g.length) take = g.length - 1;
    for (let j = 0; j < take; j++) foldOf[g[j]] = 0;
    nValid += take;
  }
  // Tiny data: validate on one row of the largest group, so every class keeps a training row.
  if (nValid === 0) foldOf[all.reduce((a, b) => (b.length > a.length ? b : a))[0]] = 0;
  return { strategy: 'holdout', stratified: labels !== undefined, seed, folds: 1, validFraction, foldOf };
}

/** Train and validation row indices of fold f (for holdout, f = 0). */
export function foldIndices(plan: SplitPlan, f: number): FoldIndices {
  let nv = 0;
  for (let i = 0; i < plan.foldOf.length; i++) if (plan.foldOf[i] === f) nv++;
  const valid = new Int32Array(nv);
  const train = new Int32Array(plan.foldOf.length - nv);
  let a = 0;
  let b = 0;
  for (let i = 0; i < plan.foldOf.length; i++) {
    if (plan.foldOf[i] === f) valid[a++] = i;
    else train[b++] = i;
  }
  return { train, valid };
}
