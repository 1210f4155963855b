import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/util/random.ts';
import { blend, selectEnsemble } from '../../../src/core/search/ensemble.ts';
import { evaluate } from '../../../src/core/metrics/index.ts';
import type { Task } from '../../../src/core/models/types.ts';

function problem(task: Task, seed: number, n = 200, k = 3, models = 6) {
  const rng = createRng(seed);
  const nc = task === 'regression' ? 1 : task === 'binary' ? 2 : k;
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = task === 'regression' ? rng.normal() * 3 : rng.int(nc);
  const preds: Float64Array[] = [];
  for (let m = 0; m < models; m++) {
    const noise = 0.5 + rng.next() * 2;
    if (task === 'regression') {
      preds.push(Float64Array.from(y, (v) => v + noise * rng.normal()));
    } else {
      const p = new Float64Array(n * nc);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let c = 0; c < nc; c++) {
          const z = Math.exp((c === y[i] ? 1 : 0) + noise * rng.normal());
          p[i * nc + c] = z;
          s += z;
        }
        for (let c = 0; c < nc; c++) p[i * nc + c] /= s;
      }
      preds.push(p);
    }
  }
  return { y, preds, nc };
}

const CASES: [Task, string][] = [
  ['binary', 'roc_auc'],
  ['binary', 'log_loss'],
  ['multiclass', 'log_loss'],
  ['multiclass', 'accuracy'],
  ['regression', 'rmse'],
];

describe('greedy ensemble selection (Caruana)', () => {
  it.each(CASES)(
    '%s / %s: weights sum to 1 and the ensemble is never worse than the best single',
    (task, metric) => {
      const maximize = metric === 'roc_auc' || metric === 'accuracy';
      for (const seed of [1, 2, 3, 4]) {
        const { y, preds, nc } = problem(task, seed);
        const sel = selectEnsemble(preds, y, { task, nClasses: nc, metric });
        const sum = sel.weights.reduce((a, b) => a + b, 0);
        expect(sum).toBeCloseTo(1, 12);
        for (const w of sel.weights) expect(w).toBeGreaterThanOrEqual(0);
        const singles = preds.map((p) => evaluate(task, y, p, nc)[metric]);
        const bestSingle = maximize ? Math.max(...singles) : Math.min(...singles);
        expect(sel.bestSingle.score).toBe(bestSingle);
        if (maximize) expect(sel.score).toBeGreaterThanOrEqual(bestSingle);
        else expect(sel.score).toBeLessThanOrEqual(bestSingle);
        // the reported score is the score of the blended predictions
        expect(evaluate(task, y, blend(preds, sel.weights), nc)[metric]).toBeCloseTo(sel.score, 9);
      }
    },
  );

  it('combines models with independent errors (and beats each of them)', () => {
    const rng = createRng(9);
    const n = 500;
    const y = Float64Array.from({ length: n }, () => rng.normal());
    const preds = [0, 1, 2].map(() => Float64Array.from(y, (v) => v + rng.normal()));
    const sel = selectEnsemble(preds, y, { task: 'regression', nClasses: 1, metric: 'rmse' });
    expect(sel.weights.filter((w) => w > 0).length).toBeGreaterThanOrEqual(2);
    expect(sel.score).toBeLessThan(sel.bestSingle.score * 0.9);
  });

  it('keeps the single best model when the others only add noise', () => {
    const rng = createRng(3);
    const n = 300;
    const y = Float64Array.from({ length: n }, () => rng.normal());
    const good = Float64Array.from(y, (v) => v + 0.01 * rng.normal());
    const bad = Float64Array.from(y, () => rng.normal() * 5);
    const sel = selectEnsemble([bad, good], y, { task: 'regression', nClasses: 1, metric: 'rmse' });
    expect(sel.weights).toEqual([0, 1]);
    expect(sel.bestSingle.index).toBe(1);
  });
});
