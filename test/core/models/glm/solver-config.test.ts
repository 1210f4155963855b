/**
 * The linear family's `solver: 'glm'` (issues #17, #22): the family's fit with it is `fitGlm` on the
 * same data, penalties and row weights (class weights arrive as row weights), packed as the family's
 * usual model — predictions within float32 precision of the float64 fit, a JSON round trip through the
 * family's deserializer, iterationsUsed = the solver's iterations, no TensorFlow.js. A config without
 * `solver` resolves exactly as before (no field), 'adam' resolves to the same, and 'glm' is refused for
 * an MLP or as an unknown value.
 */
import { describe, expect, it } from 'vitest';
import { fitGlm, predictGlm } from '../../../../src/core/models/glm/index.ts';
import { linearEstimator, mlpEstimator } from '../../../../src/core/models/nn/estimator.ts';
import { LINEAR_DEFAULTS } from '../../../../src/core/models/nn/config.ts';
import type { DenseNetState } from '../../../../src/core/models/nn/state.ts';
import { estimatorFor } from '../../../../src/core/train/families.ts';
import { ModelConfigError, type Task } from '../../../../src/core/models/types.ts';
import { glmData, rowWeights } from './data.ts';

const cases: { task: Task; K?: number; l1: number; l2: number | 'auto'; huber?: boolean }[] = [
  { task: 'binary', l1: 0, l2: 'auto' },
  { task: 'multiclass', K: 4, l1: 1e-3, l2: 1e-4 },
  { task: 'regression', l1: 0, l2: 1e-3 },
  { task: 'regression', l1: 0.01, l2: 1e-3, huber: true },
];

describe("linear family, solver 'glm'", () => {
  for (const c of cases) {
    it(`${c.task}${c.huber ? ' huber' : ''}, l1 ${c.l1}, l2 ${c.l2}: equals fitGlm, serializes and reads back`, async () => {
      const { X, y, nClasses } = glmData(c.task, 500, 6, 7, c.K ?? 3);
      const weights = rowWeights(500, 3);
      const regressionLoss = c.huber ? 'huber' : 'squared_error';
      const model = await linearEstimator.fit(X, y, {
        task: c.task,
        nClasses,
        weights,
        config: { solver: 'glm', l1: c.l1, l2: c.l2, regressionLoss, epochs: 2, learningRate: 0.3 },
      });
      const ref = fitGlm(X, y, { task: c.task, nClasses, weights, l1: c.l1, l2: c.l2, regressionLoss });
      expect(ref.converged).toBe(true);
      // epochs: 2 does not cap the solver: the fit is the converged one, its iterations the solver's
      expect(model.iterationsUsed).toBe(ref.iterations);
      expect(ref.iterations).toBeGreaterThan(2);
      const ours = model.predict(X);
      const exact = predictGlm(ref, X);
      const scale = c.task === 'regression' ? ref.yStd * 10 : 1;
      let max = 0;
      for (let i = 0; i < ours.length; i++) max = Math.max(max, Math.abs(ours[i] - exact[i]));
      expect(max).toBeLessThan(1e-5 * scale);
      const json = JSON.parse(JSON.stringify(model.toJSON()));
      const state = json.state as DenseNetState;
      expect(state.backend).toBe('glm-owlqn');
      expect(state.config.solver).toBe('glm');
      expect(state.config.l2).toBe(ref.l2);
      const back = linearEstimator.deserialize(json);
      expect(Array.from(back.predict(X))).toEqual(Array.from(ours));
    });
  }

  it("class weights 'balanced' are the row weights of the solver", async () => {
    const { X, y } = glmData('binary', 400, 5, 3);
    const est = estimatorFor('linear');
    const bal = await est.fit(X, y, { task: 'binary', config: { solver: 'glm', classWeight: 'balanced' } });
    let n1 = 0;
    for (const v of y) n1 += v;
    const w = Float64Array.from(y, (v) => 400 / (2 * (v === 1 ? n1 : 400 - n1)));
    const ref = fitGlm(X, y, { task: 'binary', weights: w });
    const p = bal.predict(X);
    const q = predictGlm(ref, X);
    for (let i = 0; i < p.length; i++) expect(Math.abs(p[i] - q[i])).toBeLessThan(1e-5);
  });

  it("a config without solver resolves as before; 'adam' is its absence; bad values are refused", () => {
    const none = linearEstimator.resolveConfig({}, 'binary');
    expect(none).toEqual(LINEAR_DEFAULTS);
    expect('solver' in none).toBe(false);
    expect(JSON.stringify(linearEstimator.resolveConfig({ solver: 'adam' }, 'binary'))).toBe(
      JSON.stringify(none),
    );
    expect(linearEstimator.resolveConfig({ solver: 'glm' }, 'binary').solver).toBe('glm');
    expect(() => mlpEstimator.resolveConfig({ solver: 'glm' }, 'binary')).toThrow(ModelConfigError);
    expect(() => mlpEstimator.resolveConfig({ solver: 'glm' }, 'binary')).toThrow(/linear family/);
    expect(mlpEstimator.resolveConfig({ solver: 'adam' }, 'binary').solver).toBeUndefined();
    expect(() => linearEstimator.resolveConfig({ solver: 'lbfgs' as unknown as 'glm' }, 'binary')).toThrow(
      /solver must be 'adam' or 'glm', got "lbfgs"/,
    );
  });

  it('stops where onRound says (a deadline or the budget margin), the same weights every time', async () => {
    const { X, y, nClasses } = glmData('multiclass', 500, 6, 9, 3);
    const config = { solver: 'glm' as const, l1: 0, l2: 1e-4 };
    const full = await linearEstimator.fit(X, y, { task: 'multiclass', nClasses, config });
    expect(full.iterationsUsed).toBeGreaterThan(5);
    const stopAt = async () => {
      const rounds: number[] = [];
      const m = await linearEstimator.fit(X, y, {
        task: 'multiclass',
        nClasses,
        config,
        onRound: (info) => {
          rounds.push(info.round);
          return rounds.length < 4 ? undefined : false;
        },
      });
      return { m, rounds };
    };
    const a = await stopAt();
    const b = await stopAt();
    expect(a.rounds).toHaveLength(4);
    expect(a.m.iterationsUsed).toBeLessThan(full.iterationsUsed!);
    expect(Array.from(a.m.predict(X))).toEqual(Array.from(b.m.predict(X)));
    expect(Array.from(a.m.predict(X))).not.toEqual(Array.from(full.predict(X)));
  });
});
