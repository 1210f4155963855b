/**
 * Fitting the linear family's objective to its optimum: inputs standardised like the studio's nets
 * (`featureScaling` of nn/estimator.ts: training mean and population standard deviation per column,
 * NaN → the mean, a constant column → 0), regression targets standardised like train.ts (unweighted
 * mean and population standard deviation; the penalty acts on that scale), then OWL-QN (solver.ts) on
 * mean loss + l2·ΣW² + l1·Σ|W|. The fitted object is plain JSON and predicts from the raw pipeline
 * features; `glmToLinearModel` turns it into the 'linear' family's serialized model (a DenseNetState
 * with hidden = [] and float32 weights, plus the input scaling), which the existing predictor, ONNX
 * and Python exporters read unchanged.
 */
import { b64, typedToBase64 } from '../../util/base64.ts';
import { exp } from '../../util/portable-math.ts';
import type { FeatureMatrix, SerializedModel, Task } from '../types.ts';
import { ModelConfigError, resolveNClasses, validateFitInputs, validateMatrix } from '../types.ts';
import { LINEAR_DEFAULTS, type DenseNetConfig, type RegressionLoss } from '../nn/config.ts';
import { featureScaling } from '../nn/estimator.ts';
import type { DenseNetState } from '../nn/state.ts';
import { GlmObjective, type GlmLoss, type GlmProblem } from './objective.ts';
import { minimizeGlm, type SolverOptions, type SolverStop } from './solver.ts';

export interface GlmFitOptions {
  readonly task: Task;
  /** Classes (binary: 2); inferred from y for multiclass when absent. */
  readonly nClasses?: number;
  /** Optional non-negative row weights (class weights come as row weights). */
  readonly weights?: Float64Array;
  /** L2 penalty (ridge) on the standardised scale; 'auto' = 1 / (2n), the linear family's default. */
  readonly l2?: number | 'auto';
  /** L1 penalty (lasso part). Default 0. */
  readonly l1?: number;
  /** Regression loss, as the linear family's `regressionLoss`. Default 'squared_error'. */
  readonly regressionLoss?: RegressionLoss;
  readonly solver?: SolverOptions;
  /** Warm start: a fit on the same features and task (its weights and intercepts start the solver). */
  readonly warmStart?: GlmFit;
}

/** A fitted GLM, plain JSON. */
export interface GlmFit extends SolverStop {
  readonly format: 'glm';
  readonly version: 1;
  readonly task: Task;
  /** 2 for binary, K for multiclass, 1 for regression. */
  readonly nClasses: number;
  readonly nFeatures: number;
  readonly loss: GlmLoss;
  readonly l1: number;
  readonly l2: number;
  /** Per feature: training mean and population standard deviation (∞ for a constant column), base64 float64. */
  readonly inputMean: string;
  readonly inputStd: string;
  /** Regression target scaling (0 and 1 for classification). */
  readonly yMean: number;
  readonly yStd: number;
  /** Weights on the standardised inputs, row-major nFeatures × nOutputs, base64 float64. */
  readonly weights: string;
  /** nOutputs intercepts, base64 float64 (softmax: centred to sum 0). */
  readonly intercepts: string;
}

export function lossFor(task: Task, regressionLoss: RegressionLoss = 'squared_error'): GlmLoss {
  if (task === 'binary') return 'logistic';
  if (task === 'multiclass') return 'softmax';
  if (task === 'regression') return regressionLoss === 'huber' ? 'huber' : 'squared';
  throw new ModelConfigError(`glm: unknown task '${String(task)}'`);
}

/** Column-major standardised copy of X: (x − mean) / std, NaN → 0 (the mean), constant columns → 0. */
export function standardisedDesign(
  X: FeatureMatrix,
  scaling: { readonly mean: ArrayLike<number>; readonly std: ArrayLike<number> },
): Float64Array {
  const n = X.nRows;
  const out = new Float64Array(n * X.nCols);
  for (let j = 0; j < X.nCols; j++) {
    const m = scaling.mean[j];
    const s = scaling.std[j];
    const base = j * n;
    for (let i = 0; i < n; i++) {
      const v = X.data[base + i];
      out[base + i] = Number.isNaN(v) ? 0 : (v - m) / s;
    }
  }
  return out;
}

/** The training problem of a fit: standardised design, loss and targets. */
export function glmProblem(
  X: FeatureMatrix,
  y: Float64Array,
  opts: GlmFitOptions,
): {
  problem: GlmProblem;
  nClasses: number;
  scaling: { mean: Float64Array; std: Float64Array };
  yMean: number;
  yStd: number;
} {
  const nClasses = resolveNClasses(opts.task, opts.nClasses, y);
  validateFitInputs(X, y, opts.task, nClasses, opts.weights);
  const loss = lossFor(opts.task, opts.regressionLoss);
  const scaling = featureScaling(X);
  let yMean = 0;
  let yStd = 1;
  let target = y;
  if (opts.task === 'regression') {
    // As train.ts: unweighted mean and population standard deviation of the training targets.
    let s = 0;
    for (const v of y) s += v;
    yMean = s / y.length;
    let v2 = 0;
    for (const v of y) v2 += (v - yMean) ** 2;
    yStd = Math.sqrt(v2 / y.length) || 1;
    target = Float64Array.from(y, (v) => (v - yMean) / yStd);
  }
  const problem: GlmProblem = {
    X: standardisedDesign(X, scaling),
    nRows: X.nRows,
    nCols: X.nCols,
    y: target,
    loss,
    nOutputs: loss === 'softmax' ? nClasses : 1,
    rowWeights: opts.weights,
  };
  return { problem, nClasses, scaling, yMean, yStd };
}

/** The penalties of a fit: l2 'auto' = 1 / (2n) as the linear family; both finite and >= 0. */
export function resolvePenalties(
  l2: number | 'auto' | undefined,
  l1: number | undefined,
  n: number,
): { l1: number; l2: number } {
  const r2 = l2 === undefined || l2 === 'auto' ? 1 / (2 * n) : l2;
  const r1 = l1 ?? 0;
  if (!(Number.isFinite(r2) && r2 >= 0) || !(Number.isFinite(r1) && r1 >= 0))
    throw new ModelConfigError(
      `glm: l1 and l2 must be finite numbers >= 0 (or l2 'auto'), got l1=${r1}, l2=${String(l2)}`,
    );
  return { l1: r1, l2: r2 };
}

/** Solves one problem from a start (or from the intercept-only optimum) and packs the fit. */
export function solveGlm(
  problem: GlmProblem,
  meta: {
    task: Task;
    nClasses: number;
    scaling: { mean: Float64Array; std: Float64Array };
    yMean: number;
    yStd: number;
  },
  penalties: { l1: number; l2: number },
  solver: SolverOptions = {},
  start?: Float64Array,
): { fit: GlmFit; theta: Float64Array } {
  const obj = new GlmObjective(problem, penalties.l2);
  let theta0 = start;
  let evals = 0;
  if (!theta0) {
    // Start from the intercept-only optimum (the prior), so the first steps move only what the data asks.
    // (Not held to `maxIterations`: an allowance caps the fit's own iterations, not its start.)
    const nul = minimizeGlm(obj, Infinity, undefined, {
      ...solver,
      onIteration: undefined,
      maxIterations: undefined,
    });
    theta0 = nul.theta;
    evals = nul.evaluations;
  }
  const r = minimizeGlm(obj, penalties.l1, theta0, solver);
  const K = problem.nOutputs;
  const pK = problem.nCols * K;
  const theta = r.theta;
  if (problem.loss === 'softmax') {
    // Intercepts are defined up to a common shift: centre them (the same model).
    let s = 0;
    for (let k = 0; k < K; k++) s += theta[pK + k];
    for (let k = 0; k < K; k++) theta[pK + k] -= s / K;
  }
  const fit: GlmFit = {
    format: 'glm',
    version: 1,
    task: meta.task,
    nClasses: meta.task === 'regression' ? 1 : meta.nClasses,
    nFeatures: problem.nCols,
    loss: problem.loss,
    l1: penalties.l1,
    l2: penalties.l2,
    inputMean: typedToBase64(meta.scaling.mean),
    inputStd: typedToBase64(meta.scaling.std),
    yMean: meta.yMean,
    yStd: meta.yStd,
    weights: typedToBase64(theta.slice(0, pK)),
    intercepts: typedToBase64(theta.slice(pK)),
    objective: r.objective,
    iterations: r.iterations,
    evaluations: r.evaluations + evals,
    gradientNorm: r.gradientNorm,
    converged: r.converged,
    reason: r.reason,
  };
  return { fit, theta };
}

/** θ (weights then intercepts) of a fit. */
export function glmTheta(fit: GlmFit): Float64Array {
  const w = b64.f64(fit.weights, 'glm weights');
  const b = b64.f64(fit.intercepts, 'glm intercepts');
  const out = new Float64Array(w.length + b.length);
  out.set(w);
  out.set(b, w.length);
  return out;
}

/** Fits the linear family's objective to its optimum on raw pipeline features. */
export function fitGlm(X: FeatureMatrix, y: Float64Array, opts: GlmFitOptions): GlmFit {
  const { problem, ...meta } = glmProblem(X, y, opts);
  const penalties = resolvePenalties(opts.l2, opts.l1, X.nRows);
  let start: Float64Array | undefined;
  if (opts.warmStart) {
    const w = opts.warmStart;
    if (
      w.nFeatures !== X.nCols ||
      w.loss !== problem.loss ||
      w.nClasses !== (opts.task === 'regression' ? 1 : meta.nClasses)
    )
      throw new ModelConfigError('glm: the warm start was fitted on other features or another task');
    start = glmTheta(w);
  }
  return solveGlm(problem, { task: opts.task, ...meta }, penalties, opts.solver, start).fit;
}

function outputsOf(fit: GlmFit): number {
  return fit.loss === 'softmax' ? fit.nClasses : 1;
}

/** Checks a GlmFit read from a file; throws ModelConfigError naming the field. */
export function checkGlmFit(fit: GlmFit): void {
  const bad = (msg: string): never => {
    throw new ModelConfigError(`malformed glm fit: ${msg}`);
  };
  if (fit.format !== 'glm' || fit.version !== 1)
    bad(`format ${String(fit.format)} version ${String(fit.version)}`);
  if (fit.loss !== lossFor(fit.task, fit.loss === 'huber' ? 'huber' : 'squared_error'))
    bad(`loss '${String(fit.loss)}' for task '${String(fit.task)}'`);
  const p = fit.nFeatures;
  if (!Number.isSafeInteger(p) || p < 0) bad(`nFeatures ${p}`);
  const K = outputsOf(fit);
  if (!Number.isSafeInteger(K) || K < 1) bad(`nClasses ${fit.nClasses}`);
  const arr = (s: string, name: string, len: number) => {
    if (typeof s !== 'string') bad(`${name} is missing`);
    const a = b64.f64(s, name);
    if (a.length !== len) bad(`${name} holds ${a.length} values, expected ${len}`);
    return a;
  };
  const w = arr(fit.weights, 'weights', p * K);
  const b = arr(fit.intercepts, 'intercepts', K);
  const m = arr(fit.inputMean, 'inputMean', p);
  const s = arr(fit.inputStd, 'inputStd', p);
  for (const [a, name] of [
    [w, 'weights'],
    [b, 'intercepts'],
  ] as const)
    for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) bad(`${name}[${i}] is ${a[i]}`);
  for (let j = 0; j < p; j++)
    if (Number.isNaN(m[j]) || !(s[j] > 0)) bad(`input scaling of feature ${j}: mean ${m[j]}, std ${s[j]}`);
  if (!(Number.isFinite(fit.yMean) && fit.yStd > 0 && Number.isFinite(fit.yStd)))
    bad(`target scaling ${fit.yMean}, ${fit.yStd}`);
}

/**
 * Predictions from raw features, in float64, as the model contract's `predict`: binary nRows × 2
 * (P(0), P(1)), multiclass nRows × K row-major probabilities, regression one value per row.
 */
export function predictGlm(fit: GlmFit, X: FeatureMatrix): Float64Array {
  validateMatrix(X);
  if (X.nCols !== fit.nFeatures)
    throw new ModelConfigError(`glm model expects ${fit.nFeatures} features, got ${X.nCols}`);
  const K = outputsOf(fit);
  const w = b64.f64(fit.weights, 'glm weights');
  const b = b64.f64(fit.intercepts, 'glm intercepts');
  const mean = b64.f64(fit.inputMean, 'glm inputMean');
  const std = b64.f64(fit.inputStd, 'glm inputStd');
  const n = X.nRows;
  const z = new Float64Array(n * K);
  for (let k = 0; k < K; k++) z.fill(b[k], k * n, (k + 1) * n);
  const design = standardisedDesign(X, { mean, std });
  for (let j = 0; j < fit.nFeatures; j++) {
    for (let k = 0; k < K; k++) {
      const wjk = w[j * K + k];
      if (wjk === 0) continue;
      for (let i = 0; i < n; i++) z[k * n + i] += design[j * n + i] * wjk;
    }
  }
  if (fit.task === 'regression') return Float64Array.from(z, (v) => v * fit.yStd + fit.yMean);
  if (fit.task === 'binary') {
    const out = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      const p = 1 / (1 + exp(-z[i]));
      out[2 * i] = 1 - p;
      out[2 * i + 1] = p;
    }
    return out;
  }
  const out = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let k = 0; k < K; k++) if (z[k * n + i] > max) max = z[k * n + i];
    let s = 0;
    for (let k = 0; k < K; k++) s += exp(z[k * n + i] - max);
    for (let k = 0; k < K; k++) out[i * K + k] = exp(z[k * n + i] - max) / s;
  }
  return out;
}

/**
 * The linear family's learned state for this fit: hidden = [], one dense layer with the float32
 * weights and intercepts (on standardised inputs: the scaling lives beside the state, see
 * `glmToLinearModel`). `config` gets this fit's l1, l2 and regression loss; epochsRun and bestEpoch are
 * the solver's iterations, the curve its objective (none recorded here), the backend 'glm-owlqn'.
 */
export function glmToDenseNetState(fit: GlmFit, config: Partial<DenseNetConfig> = {}): DenseNetState {
  checkGlmFit(fit);
  const K = outputsOf(fit);
  return {
    format: 'dense-net',
    version: 1,
    config: {
      ...LINEAR_DEFAULTS,
      ...config,
      hidden: [],
      l1: fit.l1,
      l2: fit.l2,
      regressionLoss: fit.loss === 'huber' ? 'huber' : 'squared_error',
    },
    task: fit.task,
    nClasses: fit.task === 'regression' ? 1 : fit.nClasses,
    nIn: fit.nFeatures,
    yMean: fit.yMean,
    yStd: fit.yStd,
    layers: [
      {
        nIn: fit.nFeatures,
        nOut: K,
        w: typedToBase64(Float32Array.from(b64.f64(fit.weights))),
        b: typedToBase64(Float32Array.from(b64.f64(fit.intercepts))),
      },
    ],
    epochsRun: Math.max(1, fit.iterations),
    bestEpoch: Math.max(1, fit.iterations),
    curve: [],
    backend: 'glm-owlqn',
  };
}

/** The 'linear' family's serialized model for this fit (what `linearEstimator.deserialize` reads). */
export function glmToLinearModel(fit: GlmFit, config: Partial<DenseNetConfig> = {}): SerializedModel {
  return {
    family: 'linear',
    formatVersion: 1,
    inputMean: fit.inputMean,
    inputStd: fit.inputStd,
    state: glmToDenseNetState(fit, config),
  };
}
