/**
 * The nested-selection estimate (estimate.ts): the selection's own score flatters the winner (it won
 * on those rows); re-running the selection with each group held out must not.
 */
import { describe, expect, it } from 'vitest';
import { estimateGroups, selectionEstimate } from '../../../src/core/search/estimate.ts';
import { selectEnsemble } from '../../../src/core/search/ensemble.ts';
import { rocAuc, rmse } from '../../../src/core/metrics/index.ts';
import { createRng } from '../../../src/core/util/random.ts';
import { runSearch } from '../../../src/core/search/runner.ts';
import { wide } from './clock-helpers.ts';

const AUC = {
  task: 'binary' as const,
  nClasses: 2,
  metric: 'roc_auc',
  rounds: 25,
  width: 1,
  direction: 'maximize' as const,
};

function noise(n: number, nCand: number, seed: number) {
  const r = createRng(seed);
  const y = Float64Array.from({ length: n }, () => (r.next() < 0.4 ? 1 : 0));
  const preds = Array.from({ length: nCand }, () => Float64Array.from({ length: n }, () => r.next()));
  return { y, preds };
}

describe('selectionEstimate', () => {
  it('pure noise: the selection flatters the winner, the nested estimate stays near chance', () => {
    let selected = 0;
    let nested = 0;
    const reps = 8;
    for (let s = 0; s < reps; s++) {
      const { y, preds } = noise(300, 40, s + 1);
      const { groups, n } = estimateGroups(
        Int32Array.from({ length: 300 }, (_, i) => i),
        undefined,
        1,
      );
      selected += selectEnsemble(preds, y, AUC).score;
      nested += selectionEstimate(preds, y, groups, n, AUC)!.score;
    }
    selected /= reps;
    nested /= reps;
    // 40 random scorers on 300 rows: the best one's AUC is well above 0.5 by chance alone.
    expect(selected).toBeGreaterThan(0.56);
    expect(Math.abs(nested - 0.5)).toBeLessThan(0.03);
  });

  it('one real signal among noise: the estimate agrees with the selection', () => {
    const { y, preds } = noise(400, 10, 7);
    const r = createRng(99);
    preds[3] = Float64Array.from(y, (v) => 0.35 * v + 0.65 * r.next());
    const { groups, n } = estimateGroups(
      Int32Array.from({ length: 400 }, (_, i) => i),
      undefined,
      1,
    );
    const sel = selectEnsemble(preds, y, AUC).score;
    const est = selectionEstimate(preds, y, groups, n, AUC)!;
    expect(est.groups).toBe(5);
    expect(est.score).toBeGreaterThan(0.75);
    expect(Math.abs(sel - est.score)).toBeLessThan(0.03);
    // held out, the signal still wins: the estimate is close to the signal's own AUC
    expect(Math.abs(est.score - rocAuc(Uint8Array.from(y), preds[3]))).toBeLessThan(0.02);
  });

  it('groups: the k-fold plan’s folds, else 5 interleaved groups; fewer than 2 groups gives none', () => {
    const foldOf = Int32Array.from([2, 0, 1, 1, 0, 2]);
    const rows = Int32Array.from([0, 1, 2, 3, 4, 5]);
    expect(Array.from(estimateGroups(rows, foldOf, 3).groups)).toEqual([2, 0, 1, 1, 0, 2]);
    expect(estimateGroups(rows, foldOf, 3).n).toBe(3);
    expect(Array.from(estimateGroups(rows, undefined, 1).groups)).toEqual([0, 1, 2, 3, 4, 0]);
    const y = Float64Array.from([1, 2, 3]);
    const reg = {
      task: 'regression' as const,
      nClasses: 1,
      metric: 'rmse',
      rounds: 5,
      width: 1,
      direction: 'minimize' as const,
    };
    expect(selectionEstimate([y], y, Int32Array.from([0, 0, 0]), 3, reg)).toBeUndefined();
    const two = selectionEstimate([y, Float64Array.from([0, 0, 0])], y, Int32Array.from([0, 1, 1]), 2, reg)!;
    expect(two.score).toBe(rmse(y, y));
  });

  it('a search records it (groups = folds), the same in a second run with the same seed', async () => {
    const base = {
      table: wide(300, 5, 4),
      target: 'y',
      task: 'binary' as const,
      families: ['gbdt' as const, 'linear' as const],
      seed: 3,
      maxTrials: 6,
      folds: 3,
    };
    const a = await runSearch(base);
    const b = await runSearch(base);
    const e = a.manifest.ensemble.estimate!;
    expect(e.groups).toBe(3);
    expect(Number.isFinite(e.score)).toBe(true);
    expect(b.manifest.ensemble.estimate).toEqual(e);
    // the selection's own score is never below what it chose on the same rows
    expect(a.manifest.ensemble.score).toBeGreaterThanOrEqual(e.score - 0.05);
  });
});
