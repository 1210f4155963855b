/**
 * The model contract shared by every model family (GBDT, random forest, linear, MLP, ...).
 *
 * - Hyperparameters are plain data (`config`), validated in `fit` with specific errors.
 * - `fit` returns a `Fitted` model (learned state) that serialises to JSON with a family name and a
 *   format version; `deserializeModel` in `registry.ts` turns that JSON back into a `Fitted`.
 * - Families register under stable string names ('gbdt', 'random_forest', ...), never constructor.name.
 * - Pure TypeScript: runs in Node, Web Workers and the page.
 */
import { StudioError } from '../errors.ts';

export type Task = 'binary' | 'multiclass' | 'regression';

/**
 * A dense feature matrix, column-major: the value of row i, column j is `data[j * nRows + i]`.
 * NaN = missing. A categorical column holds integer category codes 0..nCategories[j]-1 as numbers
 * (NaN or a negative code = missing).
 */
export interface FeatureMatrix {
  readonly nRows: number;
  readonly nCols: number;
  readonly data: Float32Array | Float64Array;
  readonly featureNames?: readonly string[];
  /** Per column: true when the column holds category codes. Default all false. */
  readonly categorical?: readonly boolean[];
  /** Per column: the number of categories (codes are < this). Optional; inferred from the data. */
  readonly nCategories?: readonly number[];
}

export interface ValidationSet {
  readonly X: FeatureMatrix;
  readonly y: Float64Array;
  readonly weights?: Float64Array;
}

/** Reported after every boosting round / epoch. Return `false` from `onRound` to stop training. */
export interface RoundInfo {
  readonly round: number;
  readonly metric: string;
  readonly train: number;
  readonly valid?: number;
}

export interface FitOptions<C extends object = object> {
  readonly task: Task;
  /** Number of classes (binary: 2). Required for classification; ignored for regression. */
  readonly nClasses?: number;
  /** Hyperparameters; missing keys take the family's defaults. */
  readonly config?: Partial<C>;
  /** Optional non-negative sample weights (e.g. for class balancing), length nRows. */
  readonly weights?: Float64Array;
  /** Optional validation set (learning curve, early stopping). */
  readonly validation?: ValidationSet;
  readonly onRound?: (info: RoundInfo) => void | boolean;
}

/** JSON form of a fitted model. `family` selects the deserializer, `formatVersion` its version. */
export interface SerializedModel {
  readonly family: string;
  readonly formatVersion: number;
  readonly [key: string]: unknown;
}

export interface Fitted {
  readonly family: string;
  readonly task: Task;
  /** 2 for binary, k for multiclass, 1 for regression. */
  readonly nClasses: number;
  readonly nFeatures: number;
  /**
   * Classification: probabilities, nRows × nClasses row-major (binary gives 2 columns: P(0), P(1)).
   * Regression: one value per row.
   */
  predict(X: FeatureMatrix): Float64Array;
  toJSON(): SerializedModel;
  /**
   * The serialized form with its big arrays as typed arrays (not base64 text) and their buffers, to
   * transfer across a worker boundary instead of encoding (a deep forest is seconds of base64);
   * `deserializeModel` reads it like `toJSON()`'s. Never to be written as JSON. Absent: use `toJSON`.
   */
  toTransferable?(): { readonly json: SerializedModel; readonly buffers: ArrayBuffer[] };
  /**
   * Iterative models (boosting rounds: trees per class, or a forest's trees; epochs): the iterations
   * the predictions use. Boosting: the best round + 1 when early stopping is on, else every round that
   * ran; nets: the epoch with the best monitored loss (validation, else training), whose weights the
   * model keeps. What a refit on all rows trains for and a trial's resource. Absent for models without
   * iterations (an ensemble) and for nets saved without it.
   */
  readonly iterationsUsed?: number;
  /** Iterations training ran (>= iterationsUsed: early stopping runs on past the best one). */
  readonly iterationsRun?: number;
  /**
   * Frees what only further training needs (training data, buffers), for models that hold any; the
   * model still predicts and serialises the same.
   */
  dropTrainingState?(): void;
}

/** A model family. `fit` may be async (e.g. tfjs training); callers always `await` it. */
export interface Estimator<C extends object = object> {
  readonly family: string;
  /** Default hyperparameters for a task. */
  defaultConfig(task: Task): C;
  /** Defaults merged with `config`, validated; throws `ModelConfigError` naming the bad key. */
  resolveConfig(config: Partial<C> | undefined, task: Task): C;
  fit(X: FeatureMatrix, y: Float64Array, opts: FitOptions<C>): Fitted | Promise<Fitted>;
  deserialize(json: SerializedModel): Fitted;
}

/** Bad hyperparameters or inputs: the message names the offending key and value. */
export class ModelConfigError extends StudioError {
  readonly kind = 'input';
  constructor(message: string) {
    super(message);
    this.name = 'ModelConfigError';
  }
}

/** Columns of `predict` output per row. */
export function predictionWidth(task: Task, nClasses: number): number {
  return task === 'regression' ? 1 : nClasses;
}

/** Resolved class count: 2 for binary, opts.nClasses (>= 2) for multiclass, 1 for regression. */
export function resolveNClasses(task: Task, nClasses: number | undefined, y: Float64Array): number {
  if (task === 'regression') return 1;
  if (task === 'binary') {
    if (nClasses !== undefined && nClasses !== 2) {
      throw new ModelConfigError(`task 'binary' needs nClasses = 2, got ${nClasses}`);
    }
    return 2;
  }
  if (task !== 'multiclass') throw new ModelConfigError(`unknown task '${String(task)}'`);
  let k = nClasses;
  if (k === undefined) {
    let max = -1;
    for (let i = 0; i < y.length; i++) if (y[i] > max) max = y[i];
    k = Math.max(2, max + 1);
  }
  if (!Number.isInteger(k) || k < 2) throw new ModelConfigError(`nClasses must be an integer >= 2, got ${k}`);
  return k;
}

/** Checks shapes, labels and weights; throws a specific ModelConfigError. */
export function validateFitInputs(
  X: FeatureMatrix,
  y: Float64Array,
  task: Task,
  nClasses: number,
  weights?: Float64Array,
  what = 'training',
): void {
  validateMatrix(X, what);
  if (y.length !== X.nRows) {
    throw new ModelConfigError(`${what} y has ${y.length} values but X has ${X.nRows} rows`);
  }
  if (X.nRows < 1) throw new ModelConfigError(`${what} data has no rows`);
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (task === 'regression') {
      if (!Number.isFinite(v)) throw new ModelConfigError(`${what} y[${i}] = ${v} is not a finite number`);
    } else if (!Number.isInteger(v) || v < 0 || v >= nClasses) {
      throw new ModelConfigError(`${what} y[${i}] = ${v} is not a class index in [0, ${nClasses})`);
    }
  }
  if (weights) {
    if (weights.length !== X.nRows) {
      throw new ModelConfigError(`${what} weights have ${weights.length} values but X has ${X.nRows} rows`);
    }
    let sum = 0;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i];
      if (!(w >= 0) || !Number.isFinite(w)) {
        throw new ModelConfigError(`${what} weights[${i}] = ${w} must be a finite number >= 0`);
      }
      sum += w;
    }
    if (!(sum > 0)) throw new ModelConfigError(`${what} weights sum to 0`);
  }
}

export function validateMatrix(X: FeatureMatrix, what = 'X'): void {
  if (!Number.isInteger(X.nRows) || X.nRows < 0 || !Number.isInteger(X.nCols) || X.nCols < 0) {
    throw new ModelConfigError(`${what} matrix has invalid shape ${X.nRows}×${X.nCols}`);
  }
  if (X.data.length !== X.nRows * X.nCols) {
    throw new ModelConfigError(
      `${what} matrix data has ${X.data.length} values, expected nRows×nCols = ${X.nRows * X.nCols}`,
    );
  }
  if (X.categorical && X.categorical.length !== X.nCols) {
    throw new ModelConfigError(`${what} categorical flags: ${X.categorical.length} for ${X.nCols} columns`);
  }
  if (X.featureNames && X.featureNames.length !== X.nCols) {
    throw new ModelConfigError(`${what} featureNames: ${X.featureNames.length} for ${X.nCols} columns`);
  }
}

/** Builds a column-major FeatureMatrix from columns (convenience for callers and tests). */
export function matrixFromColumns(
  columns: readonly ArrayLike<number>[],
  opts: { featureNames?: readonly string[]; categorical?: readonly boolean[]; nRows?: number } = {},
): FeatureMatrix {
  const nCols = columns.length;
  const nRows = opts.nRows ?? (nCols > 0 ? columns[0].length : 0);
  const data = new Float64Array(nRows * nCols);
  for (let j = 0; j < nCols; j++) {
    const c = columns[j];
    if (c.length !== nRows)
      throw new ModelConfigError(`column ${j} has ${c.length} values, expected ${nRows}`);
    for (let i = 0; i < nRows; i++) data[j * nRows + i] = c[i];
  }
  return {
    nRows,
    nCols,
    data,
    featureNames: opts.featureNames ?? Array.from({ length: nCols }, (_, j) => `f${j}`),
    categorical: opts.categorical ?? new Array<boolean>(nCols).fill(false),
  };
}

/** A subset of rows of a matrix (same columns), e.g. for train/validation splits. */
export function takeRows(X: FeatureMatrix, rows: ArrayLike<number>): FeatureMatrix {
  const m = rows.length;
  const data = X.data instanceof Float32Array ? new Float32Array(m * X.nCols) : new Float64Array(m * X.nCols);
  for (let j = 0; j < X.nCols; j++) {
    const src = j * X.nRows;
    const dst = j * m;
    for (let i = 0; i < m; i++) data[dst + i] = X.data[src + rows[i]];
  }
  return { ...X, nRows: m, data };
}
