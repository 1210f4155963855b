/**
 * Honest trial scores (issue 17): the round count a boosted model is scored at is never chosen on the
 * rows it is scored on.
 *
 * Every fold model trains with early stopping on its own validation rows — that only decides how long
 * it trains — and records its validation curve (loss after each round). Then each block of scored rows
 * (a fold of k-fold cross-validation; one of two halves of a holdout) is predicted at the round count
 * that minimises the mean curve of the OTHER blocks: a cross-fitted version of `xgb.cv`'s single round
 * count from the mean fold curve, in which a fold's own labels never pick its round. The one trace
 * of a fold's own rows left is the cap: a fold can only be predicted with the rounds it trained, and it
 * stopped training `patience` rounds after its own best (the cap binds only when the other folds'
 * best lies beyond that point).
 */
import type { FeatureMatrix } from '../models/types.ts';

/**
 * For each block f, the round count r (1-based) in [1, caps[f]] with the lowest mean over the other
 * blocks g ≠ f of curves[g][r − 1] — a curve shorter than r counts with its last value (its fold had
 * stopped: its loss was no longer falling). Non-finite values are left out of the mean; the first of
 * equal means wins. `caps[f]` defaults to the length of curves[f] (the rounds block f's model has).
 */
export function crossFitRounds(
  curves: readonly (readonly number[])[],
  caps: readonly number[] = curves.map((c) => c.length),
): number[] {
  const k = curves.length;
  if (k < 2) throw new Error(`crossFitRounds needs at least 2 blocks, got ${k}`);
  if (caps.length !== k) throw new Error(`crossFitRounds: ${caps.length} caps for ${k} curves`);
  const longest = Math.max(...caps, 0);
  const at = (g: number, r: number): number => {
    const c = curves[g];
    return c.length === 0 ? NaN : c[Math.min(r, c.length) - 1];
  };
  return curves.map((_, f) => {
    const cap = Math.max(1, Math.min(caps[f], longest));
    let best = 1;
    let bestMean = Infinity;
    for (let r = 1; r <= cap; r++) {
      let s = 0;
      let m = 0;
      for (let g = 0; g < k; g++) {
        if (g === f) continue;
        const v = at(g, r);
        if (Number.isFinite(v)) {
          s += v;
          m++;
        }
      }
      if (m === 0) continue;
      const mean = s / m;
      if (mean < bestMean) {
        bestMean = mean;
        best = r;
      }
    }
    return best;
  });
}

/** Splits scored positions 0..n−1 into two interleaved halves (even and odd positions). */
export function holdoutHalves(n: number): [Int32Array, Int32Array] {
  const a = new Int32Array(Math.ceil(n / 2));
  const b = new Int32Array(Math.floor(n / 2));
  for (let i = 0; i < n; i++) (i % 2 === 0 ? a : b)[i >> 1] = i;
  return [a, b];
}

/**
 * A fitted model whose round count is chosen by early stopping and that can predict with any number
 * of its rounds (the GBDT in boosting mode): its validation curve, rounds and staged losses.
 */
export interface StagedModel {
  /** Validation loss after each round (the early-stopping curve). */
  readonly curve: readonly number[];
  /** Rounds the model holds. */
  readonly rounds: number;
  predictAt(X: FeatureMatrix, rounds: number): Float64Array;
  /** Loss after each round on each block of rows of (X, y). */
  stagedLoss(X: FeatureMatrix, y: Float64Array, blocks: readonly Int32Array[]): number[][];
}

interface StagedLike {
  readonly isForest: boolean;
  readonly config: { readonly earlyStoppingRounds: number };
  readonly nRounds: number;
  readonly history: { readonly valid: readonly number[] };
  predict(X: FeatureMatrix, opts: { rounds: number }): Float64Array;
  stagedLoss(X: FeatureMatrix, y: Float64Array, blocks: readonly Int32Array[]): number[][];
}

/** The model as a `StagedModel` when its round count was chosen by early stopping, else undefined. */
export function stagedModel(model: unknown): StagedModel | undefined {
  const m = model as Partial<StagedLike> | null;
  if (
    !m ||
    typeof m.stagedLoss !== 'function' ||
    typeof m.predict !== 'function' ||
    m.isForest !== false ||
    !(Number(m.config?.earlyStoppingRounds) > 0) ||
    !m.history ||
    m.history.valid.length === 0
  )
    return undefined;
  const s = m as StagedLike;
  return {
    curve: s.history.valid,
    rounds: s.nRounds,
    predictAt: (X, rounds) => s.predict(X, { rounds }),
    stagedLoss: (X, y, blocks) => s.stagedLoss(X, y, blocks),
  };
}
