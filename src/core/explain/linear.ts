/**
 * Exact SHAP values of a linear model (logistic, softmax or linear regression — the 'linear' family):
 * the model is additive in its inputs, so under feature independence with the explained rows as the
 * background (shap's LinearExplainer, interventional) feature j's value for a row is its term minus the
 * term's mean over the rows, and the bias is the intercept plus the terms' means. No sampling, no
 * error: base value + contributions = the raw output exactly (up to float rounding).
 *
 * Terms follow the predictor (src/core/models/nn/state.ts, estimator.ts): a numeric input is
 * standardised with the training mean and standard deviation (missing → the mean, a constant feature →
 * 0) and multiplied by its float32 weight. The raw output explained is the log-odds of the positive
 * class (binary), each class's score (multiclass; softmax of the scores = the probabilities), or the
 * value in the target's units (regression).
 */
import { b64 } from '../util/base64.ts';
import type { FeatureMatrix } from '../models/types.ts';
import type { DenseNetState } from '../models/nn/state.ts';

/** What the explainer needs of a fitted linear model (the 'linear' family's fitted object). */
export interface LinearLike {
  readonly family: string;
  readonly state: DenseNetState;
  readonly scaling: { readonly mean: ArrayLike<number>; readonly std: ArrayLike<number> };
}

export function isLinearModel(m: unknown): m is LinearLike {
  const x = m as Partial<LinearLike> | null;
  return (
    !!x &&
    x.family === 'linear' &&
    x.state?.format === 'dense-net' &&
    x.state.layers.length === 1 &&
    !(x.state.embeddings?.length ?? 0)
  );
}

/** Output groups of the raw output: 1, or the number of classes for multiclass. */
export function linearGroups(m: LinearLike): number {
  return m.state.task === 'multiclass' ? m.state.nClasses : 1;
}

/**
 * SHAP values of every row of `X` (column-major), laid out as treeShap's: [row][group][feature…, bias].
 * `background` (default: X itself) gives the expectation each term is measured from; `'training'` is the
 * model's training data, where every standardised input averages 0 (it was standardised with the
 * training mean of its known values, and a missing value counts as that mean): each term is then
 * measured from 0 and the base value is the intercept, whatever rows are explained with it.
 */
export function linearShap(
  m: LinearLike,
  X: FeatureMatrix,
  background: FeatureMatrix | 'training' = X,
): Float64Array {
  const { state } = m;
  const layer = state.layers[0]!;
  const nF = X.nCols;
  if (layer.nIn !== nF || state.nIn !== nF) {
    throw new Error(`the linear model takes ${layer.nIn} features, the data has ${nF}`);
  }
  const G = linearGroups(m);
  const w = b64.f32(layer.w, 'layer weights');
  const b = b64.f32(layer.b, 'layer biases');
  const outScale = state.task === 'regression' ? state.yStd : 1;
  const outShift = state.task === 'regression' ? state.yMean : 0;
  const z = (M: FeatureMatrix, j: number, i: number) => {
    const v = M.data[j * M.nRows + i]!;
    return Number.isNaN(v) ? 0 : (v - m.scaling.mean[j]!) / m.scaling.std[j]!;
  };
  // mean standardised input over the background, per feature
  const zMean = new Float64Array(nF);
  if (background !== 'training') {
    for (let j = 0; j < nF; j++) {
      let s = 0;
      for (let i = 0; i < background.nRows; i++) s += z(background, j, i);
      zMean[j] = background.nRows > 0 ? s / background.nRows : 0;
    }
  }
  const width = nF + 1;
  const n = X.nRows;
  const out = new Float64Array(n * G * width);
  const bias = new Float64Array(G);
  for (let g = 0; g < G; g++) {
    let s = b[g]!;
    for (let j = 0; j < nF; j++) s += zMean[j]! * w[j * G + g]!;
    bias[g] = s * outScale + outShift;
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < nF; j++) {
      const d = z(X, j, i) - zMean[j]!;
      for (let g = 0; g < G; g++) out[(i * G + g) * width + j] = d * w[j * G + g]! * outScale;
    }
    for (let g = 0; g < G; g++) out[(i * G + g) * width + nF] = bias[g]!;
  }
  return out;
}
