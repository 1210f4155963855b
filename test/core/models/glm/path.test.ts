/**
 * The regularisation path: λ_max is the smallest λ with every weight exactly 0 (scikit-learn's own
 * alpha_max for the elastic net on the same design), points are warm-started yet land on the same
 * optimum as cold fits, and the best point is the lowest validation loss.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import {
  fitGlm,
  glmPath,
  glmProblem,
  glmTheta,
  glmValidationLoss,
} from '../../../../src/core/models/glm/index.ts';
import { takeRows, type Task } from '../../../../src/core/models/types.ts';
import { glmData, PY } from './data.ts';

function split(task: Task, n: number, seed: number, K = 3) {
  const { X, y, nClasses } = glmData(task, n, 8, seed, K);
  const cut = Math.floor(n * 0.7);
  const tr = Int32Array.from({ length: cut }, (_, i) => i);
  const va = Int32Array.from({ length: n - cut }, (_, i) => cut + i);
  return {
    X: takeRows(X, tr),
    y: y.slice(0, cut),
    valid: { X: takeRows(X, va), y: y.slice(cut) },
    nClasses,
  };
}

describe('glm regularisation path', () => {
  for (const [task, r] of [
    ['binary', 1],
    ['multiclass', 0.5],
    ['regression', 0.8],
  ] as const) {
    it(`${task}, l1Ratio ${r}: zero at λ_max, warm = cold, best = lowest validation loss`, () => {
      const d = split(task, 700, 21);
      const path = glmPath(d.X, d.y, {
        task,
        nClasses: d.nClasses,
        validation: d.valid,
        l1Ratio: r,
        nLambda: 15,
      });
      expect(path.points).toHaveLength(15);
      expect(path.points[0].lambda).toBe(path.lambdaMax);
      expect(path.points[0].nonZero).toBe(0);
      expect(path.points[1].nonZero).toBeGreaterThan(0);
      expect(path.points[14].lambda / path.lambdaMax).toBeCloseTo(1e-4, 12);
      for (const p of path.points) {
        expect(p.converged).toBe(true);
        expect(p.l1).toBeCloseTo(r * p.lambda, 15);
        expect(p.l2).toBeCloseTo(((1 - r) * p.lambda) / 2, 15);
        expect(path.points[path.best].validLoss).toBeLessThanOrEqual(p.validLoss);
      }
      const best = path.points[path.best];
      expect(glmValidationLoss(path.fit, d.valid)).toBe(best.validLoss);
      expect(path.best).toBeGreaterThan(0);
      // The warm-started point is the optimum a cold fit finds.
      const cold = fitGlm(d.X, d.y, { task, nClasses: d.nClasses, l1: best.l1, l2: best.l2 });
      expect(Math.abs(cold.objective - best.objective)).toBeLessThan(1e-9 * Math.abs(cold.objective));
      const a = glmTheta(cold);
      const b = glmTheta(path.fit);
      for (let j = 0; j < a.length; j++) expect(Math.abs(a[j] - b[j])).toBeLessThan(1e-4);
    });
  }

  it("λ_max of an elastic-net regression path is scikit-learn's alpha_max on the same design", () => {
    const d = split('regression', 500, 5);
    const r = 0.3;
    const path = glmPath(d.X, d.y, { task: 'regression', validation: d.valid, l1Ratio: r, nLambda: 3 });
    const { problem } = glmProblem(d.X, d.y, { task: 'regression' });
    const { nRows: n, nCols: p } = problem;
    const rows = Array.from({ length: n }, (_, i) =>
      Array.from({ length: p }, (_, j) => problem.X[j * n + i]),
    );
    const script = `
import json, sys, numpy as np
from sklearn.linear_model._coordinate_descent import _alpha_grid
d = json.load(sys.stdin)
print(_alpha_grid(np.array(d["X"]), np.array(d["y"]), l1_ratio=d["r"], fit_intercept=True, n_alphas=2)[0])`;
    const out = execFileSync(PY, ['-c', script], {
      input: JSON.stringify({ X: rows, y: Array.from(problem.y), r }),
      encoding: 'utf8',
    });
    expect(path.lambdaMax).toBeCloseTo(Number(out), 10);
  });

  it('a ridge path starts from weights ≈ 0 and rejects a bad l1Ratio', () => {
    const d = split('binary', 400, 8);
    const path = glmPath(d.X, d.y, { task: 'binary', validation: d.valid, nLambda: 5 });
    const w0 = glmTheta(path.fit);
    expect(w0.length).toBe(9);
    const first = path.points[0];
    expect(first.l1).toBe(0);
    expect(first.nonZero).toBe(7); // the constant column stays exactly 0
    expect(() => glmPath(d.X, d.y, { task: 'binary', validation: d.valid, l1Ratio: 1.5 })).toThrow(
      /l1Ratio must be in \[0, 1\]/,
    );
  });
});
