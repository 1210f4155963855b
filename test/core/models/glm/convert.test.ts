/**
 * A GLM fit as the linear family's model: the serialized 'linear' model that `glmToLinearModel` makes is
 * read by the family's own deserializer (its state checks included), and its pure-JS predictor (float32
 * weights) predicts within float32 precision of the float64 fit — raw features with NaN and a constant
 * column, so the input scaling must round-trip too. Also the fit's JSON round trip and bad input.
 */
import { describe, expect, it } from 'vitest';
import {
  fitGlm,
  glmToDenseNetState,
  glmToLinearModel,
  predictGlm,
  standardisedDesign,
  type GlmFit,
} from '../../../../src/core/models/glm/index.ts';
import { linearEstimator } from '../../../../src/core/models/nn/estimator.ts';
import { predictDenseNet } from '../../../../src/core/models/nn/state.ts';
import { b64 } from '../../../../src/core/util/base64.ts';
import type { FeatureMatrix, Task } from '../../../../src/core/models/types.ts';
import { glmData, rowWeights } from './data.ts';

/** Per row, a bound on |z(float32 weights) − z(float64 weights)|: 2⁻²⁴·(|b| + Σ|x̃ⱼ·wⱼ|) per output, max over outputs. */
function logitErrorBound(fit: GlmFit, X: FeatureMatrix): Float64Array {
  const K = fit.loss === 'softmax' ? fit.nClasses : 1;
  const w = b64.f64(fit.weights);
  const b = b64.f64(fit.intercepts);
  const design = standardisedDesign(X, { mean: b64.f64(fit.inputMean), std: b64.f64(fit.inputStd) });
  const n = X.nRows;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < K; k++) {
      let s = Math.abs(b[k]);
      for (let j = 0; j < fit.nFeatures; j++) s += Math.abs(design[j * n + i] * w[j * K + k]);
      out[i] = Math.max(out[i], s * 2 ** -24 + 1e-12);
    }
  }
  return out;
}

const cases: { task: Task; K?: number; l1: number; loss?: 'huber' }[] = [
  { task: 'binary', l1: 0 },
  { task: 'binary', l1: 0.01 },
  { task: 'multiclass', K: 4, l1: 0 },
  { task: 'multiclass', K: 3, l1: 0.005 },
  { task: 'regression', l1: 0 },
  { task: 'regression', l1: 0.02, loss: 'huber' },
];

describe('glm → linear family', () => {
  for (const c of cases) {
    it(`${c.task}${c.K ? ` K=${c.K}` : ''}, l1 = ${c.l1}${c.loss ? ', huber' : ''}: the family's predictor agrees within float32 precision`, () => {
      const { X, y, nClasses } = glmData(c.task, 600, 6, 11, c.K ?? 3);
      const fit = fitGlm(X, y, {
        task: c.task,
        nClasses,
        l2: 1e-3,
        l1: c.l1,
        regressionLoss: c.loss === 'huber' ? 'huber' : 'squared_error',
        weights: rowWeights(600, 5),
      });
      expect(fit.converged).toBe(true);
      // JSON round trip
      const back = JSON.parse(JSON.stringify(fit)) as GlmFit;
      expect(Array.from(predictGlm(back, X))).toEqual(Array.from(predictGlm(fit, X)));

      const model = linearEstimator.deserialize(JSON.parse(JSON.stringify(glmToLinearModel(fit))));
      expect(model.nFeatures).toBe(6);
      const ours = predictGlm(fit, X);
      const theirs = model.predict(X);
      expect(theirs.length).toBe(ours.length);
      const bound = logitErrorBound(fit, X);
      const width = ours.length / X.nRows;
      // |Δp| ≤ |Δz|/4 for the sigmoid; for softmax |Δpₖ| ≤ max|Δz|/2; regression |Δŷ| = yStd·|Δz|.
      const factor = c.task === 'binary' ? 0.25 : c.task === 'multiclass' ? 0.5 : fit.yStd;
      let maxDiff = 0;
      for (let i = 0; i < X.nRows; i++)
        for (let k = 0; k < width; k++) {
          const d = Math.abs(ours[i * width + k] - theirs[i * width + k]);
          maxDiff = Math.max(maxDiff, d);
          expect(d).toBeLessThanOrEqual(factor * bound[i] * (1 + 1e-6) + 1e-13);
        }
      // The state alone on standardised rows (what ONNX / Python exporters read) gives the same numbers.
      const state = glmToDenseNetState(fit);
      expect(state.layers).toHaveLength(1);
      expect(state.config.hidden).toEqual([]);
      expect(state.config.l2).toBe(1e-3);
      const design = standardisedDesign(X, { mean: b64.f64(fit.inputMean), std: b64.f64(fit.inputStd) });
      const rows = new Float64Array(X.nRows * 6);
      for (let j = 0; j < 6; j++) for (let i = 0; i < X.nRows; i++) rows[i * 6 + j] = design[j * X.nRows + i];
      const direct = predictDenseNet(state, rows, X.nRows);
      for (let i = 0; i < X.nRows; i++) {
        const expected = c.task === 'binary' ? theirs[2 * i + 1] : theirs[i * width];
        expect(direct[c.task === 'multiclass' ? i * width : i]).toBe(expected);
      }
      expect(maxDiff).toBeGreaterThan(0); // float32 rounding is really there
    });
  }

  it('rejects bad input with specific errors', () => {
    const { X, y } = glmData('binary', 50, 3, 1);
    expect(() => fitGlm(X, y, { task: 'binary', l1: -1 })).toThrow(/l1 and l2 must be finite/);
    expect(() => fitGlm(X, y, { task: 'binary', l2: Number.NaN })).toThrow(/l1 and l2/);
    const yBad = Float64Array.from(y);
    yBad[4] = 2;
    expect(() => fitGlm(X, yBad, { task: 'binary' })).toThrow(/y\[4\] = 2/);
    expect(() => fitGlm(X, y.subarray(1), { task: 'binary' })).toThrow(/49 values but X has 50 rows/);
    const fit = fitGlm(X, y, { task: 'binary' });
    expect(() => predictGlm(fit, glmData('binary', 5, 4, 1).X)).toThrow(/expects 3 features, got 4/);
    expect(() => glmToDenseNetState({ ...fit, weights: fit.intercepts })).toThrow(
      /weights holds 1 values, expected 3/,
    );
  });
});
