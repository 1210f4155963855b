/**
 * The objective is the linear family's own: the TensorFlow.js linear family (train.ts, mini-batch Adam)
 * trained long on the same data and penalties lands near our optimum — its weights within 0.05 of ours
 * (softmax: after the best common shift), its objective (evaluated by our code on its float32 weights)
 * within 0.5% of ours and never below it. A penalty scaled differently moves the optimum by far more
 * (checked: our fit with 2·l2 is over 3× further from Adam's weights than ours).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../../src/core/models/nn/backend.ts';
import { linearEstimator } from '../../../../src/core/models/nn/estimator.ts';
import type { DenseNetState } from '../../../../src/core/models/nn/state.ts';
import {
  bestShift,
  fitGlm,
  glmProblem,
  glmTheta,
  GlmObjective,
} from '../../../../src/core/models/glm/index.ts';
import { b64 } from '../../../../src/core/util/base64.ts';
import type { Task } from '../../../../src/core/models/types.ts';
import { glmData, rowWeights } from './data.ts';

beforeAll(async () => {
  await selectBackend('auto');
});

function maxDiff(a: Float64Array, b: Float64Array, upTo: number): number {
  let m = 0;
  for (let j = 0; j < upTo; j++) m = Math.max(m, Math.abs(a[j] - b[j]));
  return m;
}

describe('glm optimum = the TF.js linear family trained to convergence', () => {
  for (const [task, l2, l1] of [
    ['binary', 0.02, 0],
    ['multiclass', 0.01, 0.002],
    ['regression', 0.05, 0.01],
  ] as [Task, number, number][]) {
    it(`${task}, l2 = ${l2}, l1 = ${l1}`, { timeout: 120_000 }, async () => {
      const n = 400;
      const { X, y, nClasses } = glmData(task, n, 5, 77, 3);
      const weights = rowWeights(n, 3);
      const nn = await linearEstimator.fit(X, y, {
        task,
        nClasses,
        weights,
        config: {
          l2,
          l1,
          epochs: 600,
          patience: 0,
          learningRate: task === 'multiclass' ? 0.003 : 0.001,
          batchSize: 400,
        },
      });
      const state = (nn.toJSON() as unknown as { state: DenseNetState }).state;
      const K = task === 'multiclass' ? nClasses : 1;
      const adam = new Float64Array(5 * K + K);
      adam.set(b64.f32(state.layers[0].w));
      adam.set(b64.f32(state.layers[0].b), 5 * K);
      if (task === 'multiclass') {
        // Softmax: the loss is flat along a common shift of a feature's K weights (or of the
        // intercepts), where Adam crawls under the small penalty; take the best shift (the objective
        // can only fall) before comparing.
        let s = 0;
        for (let k = 0; k < K; k++) s += adam[5 * K + k];
        for (let k = 0; k < K; k++) adam[5 * K + k] -= s / K;
        for (let j = 0; j < 5; j++) {
          const c = bestShift(adam.subarray(j * K, (j + 1) * K), l1, l2);
          for (let k = 0; k < K; k++) adam[j * K + k] -= c;
        }
      }
      const opts = { task, nClasses, weights, l2, l1 };
      const fit = fitGlm(X, y, opts);
      const { problem } = glmProblem(X, y, opts);
      const obj = new GlmObjective(problem, l2);
      const fAdam = obj.objective(adam, l1);
      expect(fit.objective).toBeLessThanOrEqual(fAdam);
      expect(fAdam - fit.objective).toBeLessThan(5e-3 * fit.objective);
      const ours = glmTheta(fit);
      const d = maxDiff(ours, adam, 5 * K);
      expect(d).toBeLessThan(0.05);
      // With l2 doubled the optimum is far further from Adam's: the penalty's scale is the family's.
      const dOther = maxDiff(glmTheta(fitGlm(X, y, { ...opts, l2: 2 * l2 })), adam, 5 * K);
      expect(dOther).toBeGreaterThan(3 * d);
      console.log(
        `${task}: F(ours) ${fit.objective.toFixed(6)}, F(adam) ${fAdam.toFixed(6)}, max |ΔW| ${d.toExponential(2)}`,
      );
    });
  }
});
