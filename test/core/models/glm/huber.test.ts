/**
 * Huber regression (train.ts's loss: ½·min(|d|, 1)² + |d| − min(|d|, 1) on the standardised target, no
 * scikit-learn equivalent — HuberRegressor also fits a scale) against SciPy's L-BFGS-B minimising the
 * same objective written in NumPy: our objective no worse (relative 1e-8), weights within 1e-4.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { fitGlm, glmProblem, glmTheta, GlmObjective } from '../../../../src/core/models/glm/index.ts';
import { glmData, PY, rowWeights } from './data.ts';

const SCRIPT = `
import json, sys
import numpy as np
from scipy.optimize import minimize
d = json.load(sys.stdin)
n, p = d["n"], d["p"]
X = np.array(d["X"]).reshape(p, n).T
y = np.array(d["y"]); w = np.array(d["w"]); w = w / w.sum(); l2 = d["l2"]
def f(t):
    z = X @ t[:p] + t[p]
    r = z - y
    a = np.abs(r); m = np.minimum(a, 1)
    loss = np.sum(w * (0.5 * m * m + a - m)) + l2 * np.sum(t[:p] ** 2)
    g = w * np.clip(r, -1, 1)
    return loss, np.concatenate([X.T @ g + 2 * l2 * t[:p], [g.sum()]])
res = minimize(f, np.zeros(p + 1), jac=True, method="L-BFGS-B",
               options={"gtol": 1e-13, "ftol": 1e-16, "maxiter": 100000, "maxcor": 30})
print(json.dumps(res.x.tolist()))
`;

describe('glm Huber regression vs SciPy', () => {
  for (const [l2, weighted] of [
    [1e-3, false],
    [0.05, true],
  ] as const) {
    it(`l2 = ${l2}${weighted ? ', row weights' : ''}`, () => {
      const n = 500;
      const { X, y } = glmData('regression', n, 6, 31);
      for (let i = 0; i < n; i += 13) y[i] += 40; // outliers, where Huber differs from squared error
      const weights = weighted ? rowWeights(n, 2) : undefined;
      const opts = { task: 'regression' as const, weights, l2, regressionLoss: 'huber' as const };
      const fit = fitGlm(X, y, { ...opts, solver: { gradientTolerance: 1e-11 } });
      expect(fit.loss).toBe('huber');
      expect(fit.converged).toBe(true);
      const { problem } = glmProblem(X, y, opts);
      const theta = Float64Array.from(
        JSON.parse(
          execFileSync(PY, ['-c', SCRIPT], {
            input: JSON.stringify({
              n,
              p: 6,
              X: Array.from(problem.X),
              y: Array.from(problem.y),
              w: weights ? Array.from(weights) : new Array<number>(n).fill(1),
              l2,
            }),
            encoding: 'utf8',
          }),
        ) as number[],
      );
      const obj = new GlmObjective(problem, l2);
      const fScipy = obj.objective(theta, 0);
      expect(fit.objective).toBeLessThanOrEqual(fScipy + 1e-8 * fScipy);
      const ours = glmTheta(fit);
      for (let j = 0; j < ours.length; j++) expect(Math.abs(ours[j] - theta[j])).toBeLessThan(1e-4);
      // and it is not the squared-error fit
      const sq = glmTheta(fitGlm(X, y, { ...opts, regressionLoss: 'squared_error' }));
      expect(Math.max(...ours.map((v, j) => Math.abs(v - sq[j])))).toBeGreaterThan(1e-2);
    });
  }
});
