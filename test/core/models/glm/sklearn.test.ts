/**
 * The GLM solver against scikit-learn on the studio's objective (mappings in sklearn_glm.py): our
 * objective value is no worse than scikit-learn's (relative 1e-8) and the weights and intercepts agree
 * to 1e-4, for binary and multinomial logistic regression (ridge, lasso, elastic net, row weights) and
 * ridge / lasso / elastic-net regression on the standardised target.
 */
import { describe, expect, it } from 'vitest';
import {
  fitGlm,
  glmProblem,
  glmTheta,
  GlmObjective,
  resolvePenalties,
} from '../../../../src/core/models/glm/index.ts';
import type { Task } from '../../../../src/core/models/types.ts';
import { glmData, rowWeights, sklearnFit, sklearnTheta } from './data.ts';

interface Case {
  name: string;
  task: Task;
  l2: number | 'auto';
  l1: number;
  weighted?: boolean;
  K?: number;
}

const cases: Case[] = [
  { name: 'binary, l2 auto (C = 1)', task: 'binary', l2: 'auto', l1: 0 },
  { name: 'binary, l2 = 1e-2, row weights', task: 'binary', l2: 1e-2, l1: 0, weighted: true },
  { name: 'binary, lasso l1 = 0.02', task: 'binary', l2: 0, l1: 0.02 },
  { name: 'binary, elastic net', task: 'binary', l2: 1e-3, l1: 5e-3, weighted: true },
  { name: 'multinomial K = 4, l2 = 1e-3', task: 'multiclass', l2: 1e-3, l1: 0, K: 4 },
  { name: 'multinomial K = 3, l2 auto, row weights', task: 'multiclass', l2: 'auto', l1: 0, weighted: true },
  { name: 'multinomial K = 3, elastic net', task: 'multiclass', l2: 2e-3, l1: 1e-2 },
  // wine's linear member in bench/python-export/README.md: softmax, l2 = 1e-4, l1 = 1e-8
  {
    name: "multinomial K = 3, wine's penalties l2 = 1e-4, l1 = 1e-8",
    task: 'multiclass',
    l2: 1e-4,
    l1: 1e-8,
  },
  { name: 'ridge regression, l2 = 1e-2', task: 'regression', l2: 1e-2, l1: 0 },
  { name: 'ridge regression, l2 auto, row weights', task: 'regression', l2: 'auto', l1: 0, weighted: true },
  { name: 'lasso regression', task: 'regression', l2: 0, l1: 0.03 },
  { name: 'elastic-net regression, row weights', task: 'regression', l2: 0.01, l1: 0.01, weighted: true },
];

describe('glm solver vs scikit-learn', () => {
  cases.forEach((c, idx) => {
    it(c.name, () => {
      const n = 300 + 50 * idx;
      const { X, y, nClasses } = glmData(c.task, n, 7, 100 + idx, c.K ?? 3);
      const weights = c.weighted ? rowWeights(n, 7 + idx) : undefined;
      const opts = { task: c.task, nClasses, weights, l2: c.l2, l1: c.l1 };
      const fit = fitGlm(X, y, { ...opts, solver: { gradientTolerance: 1e-11 } });
      expect(fit.converged).toBe(true);
      const { problem } = glmProblem(X, y, opts);
      const { l1, l2 } = resolvePenalties(c.l2, c.l1, n);
      const sk = sklearnFit(problem, l1, l2);
      const K = problem.nOutputs;
      const skTheta = sklearnTheta(sk, problem.nCols, K);
      const ours = glmTheta(fit);
      const obj = new GlmObjective(problem, l2);
      const fSk = obj.objective(skTheta, l1);
      const fOurs = obj.objective(ours, l1);
      expect(fOurs).toBeCloseTo(fit.objective, 12);
      expect(fOurs).toBeLessThanOrEqual(fSk + 1e-8 * Math.abs(fSk));
      let maxDiff = 0;
      for (let j = 0; j < ours.length; j++) maxDiff = Math.max(maxDiff, Math.abs(ours[j] - skTheta[j]));
      expect(maxDiff).toBeLessThan(1e-4);
      if (l1 > 0) {
        // The same weights are exactly 0 (scikit-learn's 0s are exact too), up to weights at 1e-4.
        for (let j = 0; j < problem.nCols * K; j++)
          if ((ours[j] === 0) !== (skTheta[j] === 0))
            expect(Math.abs(ours[j] - skTheta[j])).toBeLessThan(1e-4);
      }
      console.log(
        `${c.name}: ours ${fOurs.toPrecision(12)} (${fit.iterations} it, ${fit.reason}) sklearn ${fSk.toPrecision(12)} (${sk.n_iter} it); max |Δθ| ${maxDiff.toExponential(2)}`,
      );
    });
  });
});
