/**
 * The dense networks as model families of the shared contract: 'linear' (logistic / softmax / linear
 * regression with elastic-net penalties) and 'mlp'. Training runs on the current TensorFlow.js
 * backend (call `selectBackend` first); prediction is plain JavaScript.
 * Features are numeric (the pipeline one-hot encodes categories for these families; a categorical code
 * column given directly is used as a number) — except that an MLP with `embeddings: true` learns an
 * embedding table for every column flagged categorical (codes 0..nCategories−1; missing, unseen and
 * out-of-range codes share a reserved vector). Numeric inputs are standardised with the training mean
 * and standard deviation stored in the model; missing values (NaN) become the mean. Code columns are
 * never standardised.
 */
import type { Estimator, FeatureMatrix, Fitted, FitOptions, SerializedModel, Task } from '../types.ts';
import { ModelConfigError, resolveNClasses, validateFitInputs, validateMatrix } from '../types.ts';
import {
  embeddingWidth,
  LINEAR_DEFAULTS,
  MLP_DEFAULTS,
  resolveDenseConfig,
  type DenseNetConfig,
} from './config.ts';
import type { NetData } from './train.ts';
import { checkDenseNetState, embeddingRow, predictDenseNet, type DenseNetState } from './state.ts';
import { b64, typedToBase64 } from '../../util/base64.ts';
import { log } from '../../util/portable-math.ts';

const FORMAT_VERSION = 1;

/** Per-feature mean and standard deviation over the non-missing training values (constant → ∞). */
export function featureScaling(X: FeatureMatrix): { mean: Float64Array; std: Float64Array } {
  const mean = new Float64Array(X.nCols);
  const std = new Float64Array(X.nCols);
  for (let j = 0; j < X.nCols; j++) {
    const base = j * X.nRows;
    let n = 0;
    let m = 0;
    let m2 = 0;
    for (let i = 0; i < X.nRows; i++) {
      const v = X.data[base + i];
      if (Number.isNaN(v)) continue;
      n++;
      const d = v - m;
      m += d / n;
      m2 += d * (v - m);
    }
    const sd = n > 1 ? Math.sqrt(m2 / n) : 0;
    mean[j] = m;
    // A feature constant in training carries no information: infinite scale makes it 0 at predict time
    // too (its weights never learned anything).
    std[j] = sd > 1e-12 && Number.isFinite(sd) ? sd : Infinity;
  }
  return { mean, std };
}

/** Largest embedding table (categories per column) an MLP accepts. */
export const MAX_EMBEDDING_CATEGORIES = 10_000;

/** Which columns are numeric inputs and which are embedded code columns (with their table sizes). */
interface InputLayout {
  readonly numeric: readonly number[];
  readonly embedded: readonly { readonly column: number; readonly nCategories: number }[];
}

function layoutOf(nCols: number, embedded: InputLayout['embedded']): InputLayout {
  const isEmb = new Set(embedded.map((e) => e.column));
  return { numeric: Array.from({ length: nCols }, (_, j) => j).filter((j) => !isEmb.has(j)), embedded };
}

/**
 * The embedded columns of a training matrix: every categorical column, with nCategories from the
 * matrix or else the largest code seen + 1.
 */
function embeddedColumns(X: FeatureMatrix): InputLayout['embedded'] {
  const out: { column: number; nCategories: number }[] = [];
  for (let j = 0; j < X.nCols; j++) {
    if (!X.categorical?.[j]) continue;
    let k = X.nCategories?.[j] ?? 0;
    if (!(k > 0)) {
      for (let i = 0; i < X.nRows; i++) {
        const v = X.data[j * X.nRows + i];
        if (Number.isInteger(v) && v >= k) k = v + 1;
      }
    }
    const name = X.featureNames?.[j] ?? `column ${j}`;
    if (!Number.isInteger(k) || k > MAX_EMBEDDING_CATEGORIES) {
      throw new ModelConfigError(
        `embeddings: '${name}' has ${k} categories, more than the ${MAX_EMBEDDING_CATEGORIES} an embedding table may hold (group rare categories first, or set embeddings to false)`,
      );
    }
    out.push({ column: j, nCategories: Math.max(1, k) });
  }
  return out;
}

/**
 * Column-major matrix → standardised row-major values of the numeric columns; NaN → 0 (the training
 * mean). The networks see standardised inputs whatever the pipeline did, so raw features train well too.
 */
function standardised<T extends Float32Array | Float64Array>(
  X: FeatureMatrix,
  scale: { mean: ArrayLike<number>; std: ArrayLike<number> },
  columns: readonly number[],
  out: T,
): T {
  const n = columns.length;
  columns.forEach((j, c) => {
    const base = j * X.nRows;
    const m = scale.mean[j];
    const s = scale.std[j];
    for (let i = 0; i < X.nRows; i++) {
      const v = X.data[base + i];
      out[i * n + c] = Number.isNaN(v) ? 0 : (v - m) / s;
    }
  });
  return out;
}

/** Row-major embedding rows (nRows × tables): the code, or the reserved row for anything else. */
function embeddingCodes(X: FeatureMatrix, embedded: InputLayout['embedded']): Int32Array {
  const n = embedded.length;
  const out = new Int32Array(X.nRows * n);
  embedded.forEach(({ column, nCategories }, e) => {
    const base = column * X.nRows;
    for (let i = 0; i < X.nRows; i++) out[i * n + e] = embeddingRow(X.data[base + i], nCategories);
  });
  return out;
}

/**
 * Output bias that makes the untrained network predict the (weighted) prior. The portable log: bit for bit
 * Node's Math.log, and rounded to float32, so a bias from another engine's Math.log differs only when its
 * last bit crosses a float32 rounding point (about 2^-29 of the values that differ at all).
 */
function priorBias(
  task: Task,
  nClasses: number,
  y: Float64Array,
  w?: Float64Array,
): Float32Array | undefined {
  if (task === 'regression') return undefined;
  const counts = new Float64Array(nClasses);
  let total = 0;
  for (let i = 0; i < y.length; i++) {
    const wi = w ? w[i] : 1;
    counts[y[i]] += wi;
    total += wi;
  }
  if (task === 'binary') {
    const p = Math.min(1 - 1e-3, Math.max(1e-3, counts[1] / total));
    return Float32Array.of(log(p / (1 - p)));
  }
  return Float32Array.from(counts, (c) => log((c + 1e-3 * total) / total));
}

class DenseFitted implements Fitted {
  readonly family: string;
  readonly task: Task;
  readonly nClasses: number;
  readonly nFeatures: number;
  readonly state: DenseNetState;
  readonly scaling: { readonly mean: Float64Array; readonly std: Float64Array };
  private readonly layout: InputLayout;

  constructor(family: string, state: DenseNetState, scaling: { mean: Float64Array; std: Float64Array }) {
    this.family = family;
    this.state = state;
    this.scaling = scaling;
    this.task = state.task;
    this.nClasses = state.task === 'regression' ? 1 : state.nClasses;
    const embedded = state.embeddings ?? [];
    this.nFeatures = state.nIn + embedded.length;
    this.layout = layoutOf(this.nFeatures, embedded);
  }

  /** Fitted.iterationsUsed: the best epoch, whose weights the net keeps (absent in states saved without it). */
  get iterationsUsed(): number | undefined {
    return typeof this.state.bestEpoch === 'number' ? this.state.bestEpoch : undefined;
  }
  /** Fitted.iterationsRun: the epochs trained. */
  get iterationsRun(): number | undefined {
    return typeof this.state.epochsRun === 'number' ? this.state.epochsRun : undefined;
  }

  predict(X: FeatureMatrix): Float64Array {
    validateMatrix(X);
    if (X.nCols !== this.nFeatures) {
      throw new ModelConfigError(`model expects ${this.nFeatures} features, got ${X.nCols}`);
    }
    const { numeric, embedded } = this.layout;
    const p = predictDenseNet(
      this.state,
      standardised(X, this.scaling, numeric, new Float64Array(X.nRows * numeric.length)),
      X.nRows,
      embedded.length > 0 ? embeddingCodes(X, embedded) : undefined,
    );
    if (this.task !== 'binary') return p;
    const out = new Float64Array(2 * X.nRows);
    for (let i = 0; i < X.nRows; i++) {
      out[2 * i] = 1 - p[i];
      out[2 * i + 1] = p[i];
    }
    return out;
  }

  toJSON(): SerializedModel {
    return {
      family: this.family,
      formatVersion: FORMAT_VERSION,
      inputMean: typedToBase64(this.scaling.mean),
      inputStd: typedToBase64(this.scaling.std),
      state: this.state,
    };
  }
}

/**
 * A linear model solved to its optimum by the GLM solver (models/glm: OWL-QN on the same objective,
 * standardisation and row weights as the Adam path), as the family's usual fitted model: the solver's
 * float32 weights in a dense-net state, so prediction, ONNX, Python export and explanations are
 * unchanged. No epochs, no early stopping: the validation rows are checked but not used; a refit
 * re-solves to convergence (the trial's iterations do not cap it), at most `maxIterations` when the
 * config has it (a time-budgeted search's allowance). Runs without TensorFlow.js.
 */
async function fitLinearGlm(
  cfg: DenseNetConfig,
  X: FeatureMatrix,
  y: Float64Array,
  opts: FitOptions<DenseNetConfig>,
): Promise<Fitted> {
  const nClasses = resolveNClasses(opts.task, opts.nClasses, y);
  if (opts.validation) {
    const v = opts.validation;
    validateFitInputs(v.X, v.y, opts.task, nClasses, v.weights, 'validation');
    if (v.X.nCols !== X.nCols)
      throw new ModelConfigError(`validation has ${v.X.nCols} features, training ${X.nCols}`);
  }
  const { fitGlm, glmToLinearModel } = await import('../glm/fit.ts');
  const fit = fitGlm(X, y, {
    task: opts.task,
    nClasses,
    ...(opts.weights ? { weights: opts.weights } : {}),
    l2: cfg.l2,
    l1: cfg.l1,
    regressionLoss: cfg.regressionLoss,
    // Every iteration is a round: a search's deadline (a trial) or budget margin (a refit) can stop
    // the solver as it stops a net after an epoch; the weights reached so far are the model.
    // A time-budgeted search's allowance (`maxIterations`, recorded in the trial's parameters) caps
    // the iterations; absent, the solver's own cap.
    solver: {
      ...(cfg.maxIterations !== undefined ? { maxIterations: cfg.maxIterations } : {}),
      ...(opts.onRound
        ? {
            onIteration: (iteration: number, objective: number) =>
              opts.onRound!({ round: iteration, metric: 'objective', train: objective }),
          }
        : {}),
    },
  });
  const json = glmToLinearModel(fit, cfg);
  const state = json.state as DenseNetState;
  return new DenseFitted('linear', state, {
    mean: b64.f64(json.inputMean as string, 'inputMean'),
    std: b64.f64(json.inputStd as string, 'inputStd'),
  });
}

function makeEstimator(family: 'linear' | 'mlp', defaults: DenseNetConfig): Estimator<DenseNetConfig> {
  return {
    family,
    defaultConfig: () => ({ ...defaults }),
    resolveConfig(config) {
      const c = resolveDenseConfig(config ?? {}, defaults);
      if (family === 'linear' && c.hidden.length > 0) {
        throw new ModelConfigError(
          `a linear model has no hidden layers (got hidden = [${c.hidden.join(', ')}])`,
        );
      }
      if (family === 'linear' && c.batchNorm) {
        throw new ModelConfigError('batchNorm needs hidden layers: use the mlp family');
      }
      if (family === 'mlp' && c.solver === 'glm') {
        throw new ModelConfigError(
          "solver 'glm' is for the linear family (a converged GLM has no hidden layers); an mlp trains with 'adam'",
        );
      }
      if (family === 'linear' && c.embeddings) {
        throw new ModelConfigError(
          'embeddings are for the mlp family; linear models take categories one-hot or target encoded',
        );
      }
      return c;
    },
    async fit(X, y, opts: FitOptions<DenseNetConfig>) {
      const cfg = this.resolveConfig(opts.config, opts.task);
      if (cfg.solver === 'glm') return fitLinearGlm(cfg, X, y, opts);
      const nClasses = resolveNClasses(opts.task, opts.nClasses, y);
      validateFitInputs(X, y, opts.task, nClasses, opts.weights);
      const scaling = featureScaling(X);
      const layout = layoutOf(X.nCols, cfg.embeddings ? embeddedColumns(X) : []);
      const { numeric, embedded } = layout;
      const toRows = (M: FeatureMatrix) =>
        standardised(M, scaling, numeric, new Float32Array(M.nRows * numeric.length));
      const codesOf = (M: FeatureMatrix) => (embedded.length > 0 ? embeddingCodes(M, embedded) : undefined);
      const train: NetData = { X: toRows(X), codes: codesOf(X), y, nRows: X.nRows, weights: opts.weights };
      let valid: NetData | undefined;
      if (opts.validation) {
        const v = opts.validation;
        validateFitInputs(v.X, v.y, opts.task, nClasses, v.weights, 'validation');
        if (v.X.nCols !== X.nCols)
          throw new ModelConfigError(`validation has ${v.X.nCols} features, training ${X.nCols}`);
        valid = { X: toRows(v.X), codes: codesOf(v.X), y: v.y, nRows: v.X.nRows, weights: v.weights };
      }
      // TensorFlow.js loads only when a net is trained (prediction is plain TypeScript): a process
      // that trains or scores trees alone never pays for it.
      const { fitDenseNet } = await import('./train.ts');
      const state = await fitDenseNet(cfg, train, {
        task: opts.task,
        nClasses,
        nIn: numeric.length,
        embeddings: embedded.map((e) => ({ ...e, dim: embeddingWidth(cfg.embeddingDim, e.nCategories) })),
        valid,
        outputBias: priorBias(opts.task, nClasses, y, opts.weights),
        onEpoch: (r) =>
          opts.onRound?.({ round: r.epoch, metric: 'loss', train: r.trainLoss, valid: r.validLoss }) === false
            ? false
            : undefined,
      });
      return new DenseFitted(family, state, scaling);
    },
    deserialize(json: SerializedModel): Fitted {
      if (json.family !== family)
        throw new ModelConfigError(`expected a '${family}' model, got '${json.family}'`);
      if (json.formatVersion !== FORMAT_VERSION) {
        throw new ModelConfigError(
          `unsupported ${family} model format version ${json.formatVersion} (this studio reads ${FORMAT_VERSION})`,
        );
      }
      const state = json.state as DenseNetState | undefined;
      if (!state || state.format !== 'dense-net' || !Array.isArray(state.layers)) {
        throw new ModelConfigError(`malformed ${family} model: missing dense-net state`);
      }
      if (typeof json.inputMean !== 'string' || typeof json.inputStd !== 'string') {
        throw new ModelConfigError(`malformed ${family} model: missing input scaling`);
      }
      const scaling = { mean: b64.f64(json.inputMean, 'inputMean'), std: b64.f64(json.inputStd, 'inputStd') };
      const embedded = state.embeddings ?? [];
      if (
        !Array.isArray(embedded) ||
        embedded.some(
          (e) =>
            !Number.isInteger(e.column) ||
            e.column < 0 ||
            e.column >= state.nIn + embedded.length ||
            typeof e.table !== 'string',
        )
      ) {
        throw new ModelConfigError(`malformed ${family} model: bad embedding tables`);
      }
      const nFeatures = state.nIn + embedded.length;
      if (scaling.mean.length !== nFeatures || scaling.std.length !== nFeatures) {
        throw new ModelConfigError(`malformed ${family} model: input scaling has the wrong length`);
      }
      // Means are not NaN; scales are > 0 (Infinity for a feature constant in training).
      for (let j = 0; j < nFeatures; j++) {
        if (Number.isNaN(scaling.mean[j]) || !(scaling.std[j] > 0)) {
          throw new ModelConfigError(
            `malformed ${family} model: input scaling of feature ${j} is mean ${scaling.mean[j]}, std ${scaling.std[j]} (expected std > 0)`,
          );
        }
      }
      checkDenseNetState(state, `${family} model`);
      return new DenseFitted(family, state, scaling);
    },
  };
}

export const linearEstimator = makeEstimator('linear', LINEAR_DEFAULTS);
export const mlpEstimator = makeEstimator('mlp', MLP_DEFAULTS);
