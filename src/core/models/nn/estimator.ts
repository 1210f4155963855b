/**
 * The dense networks as model families of the shared contract: 'linear' (logistic / softmax / linear
 * regression with elastic-net penalties) and 'mlp'. Training runs on the current TensorFlow.js
 * backend (call `selectBackend` first); prediction is plain JavaScript.
 * Features must be numeric (the pipeline one-hot encodes categories for these families); missing
 * values (NaN) count as 0, the mean of a standardised feature.
 */
import type { Estimator, FeatureMatrix, Fitted, FitOptions, SerializedModel, Task } from '../types.ts';
import { ModelConfigError, resolveNClasses, validateFitInputs, validateMatrix } from '../types.ts';
import { LINEAR_DEFAULTS, MLP_DEFAULTS, resolveDenseConfig, type DenseNetConfig } from './config.ts';
import { fitDenseNet, type NetData } from './train.ts';
import { predictDenseNet, type DenseNetState } from './state.ts';

const FORMAT_VERSION = 1;

/** Column-major matrix → row-major float32, NaN → 0. */
function rowMajor(X: FeatureMatrix): Float32Array {
  const out = new Float32Array(X.nRows * X.nCols);
  for (let j = 0; j < X.nCols; j++) {
    const base = j * X.nRows;
    for (let i = 0; i < X.nRows; i++) {
      const v = X.data[base + i];
      out[i * X.nCols + j] = Number.isNaN(v) ? 0 : v;
    }
  }
  return out;
}

class DenseFitted implements Fitted {
  readonly family: string;
  readonly task: Task;
  readonly nClasses: number;
  readonly nFeatures: number;
  readonly state: DenseNetState;

  constructor(family: string, state: DenseNetState) {
    this.family = family;
    this.state = state;
    this.task = state.task;
    this.nClasses = state.task === 'regression' ? 1 : state.nClasses;
    this.nFeatures = state.nIn;
  }

  predict(X: FeatureMatrix): Float64Array {
    validateMatrix(X);
    if (X.nCols !== this.nFeatures) {
      throw new ModelConfigError(`model expects ${this.nFeatures} features, got ${X.nCols}`);
    }
    const p = predictDenseNet(this.state, rowMajor(X), X.nRows);
    if (this.task !== 'binary') return p;
    const out = new Float64Array(2 * X.nRows);
    for (let i = 0; i < X.nRows; i++) {
      out[2 * i] = 1 - p[i];
      out[2 * i + 1] = p[i];
    }
    return out;
  }

  toJSON(): SerializedModel {
    return { family: this.family, formatVersion: FORMAT_VERSION, state: this.state };
  }
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
      return c;
    },
    async fit(X, y, opts: FitOptions<DenseNetConfig>) {
      const cfg = this.resolveConfig(opts.config, opts.task);
      const nClasses = resolveNClasses(opts.task, opts.nClasses, y);
      validateFitInputs(X, y, opts.task, nClasses, opts.weights);
      const train: NetData = { X: rowMajor(X), y, nRows: X.nRows, weights: opts.weights };
      let valid: NetData | undefined;
      if (opts.validation) {
        const v = opts.validation;
        validateFitInputs(v.X, v.y, opts.task, nClasses, v.weights, 'validation');
        if (v.X.nCols !== X.nCols)
          throw new ModelConfigError(`validation has ${v.X.nCols} features, training ${X.nCols}`);
        valid = { X: rowMajor(v.X), y: v.y, nRows: v.X.nRows, weights: v.weights };
      }
      const state = await fitDenseNet(cfg, train, {
        task: opts.task,
        nClasses,
        nIn: X.nCols,
        valid,
        onEpoch: (r) =>
          opts.onRound?.({ round: r.epoch, metric: 'loss', train: r.trainLoss, valid: r.validLoss }) === false
            ? false
            : undefined,
      });
      return new DenseFitted(family, state);
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
      return new DenseFitted(family, state);
    },
  };
}

export const linearEstimator = makeEstimator('linear', LINEAR_DEFAULTS);
export const mlpEstimator = makeEstimator('mlp', MLP_DEFAULTS);
