import { ModelConfigError } from '../types.ts';

export { ModelConfigError };

/**
 * Dense networks on TensorFlow.js: logistic/softmax/linear regression are the zero-hidden-layer case,
 * the MLP adds hidden layers. Hyperparameters are plain data, validated before training.
 */

export type Activation = 'relu' | 'gelu';
export type RegressionLoss = 'squared_error' | 'huber';
/** How a linear model is trained: 'adam' (TensorFlow.js, mini-batches, early stopping) or 'glm' (converged OWL-QN). */
export type LinearSolver = 'adam' | 'glm';
export const LINEAR_SOLVERS: readonly LinearSolver[] = ['adam', 'glm'];

export interface DenseNetConfig {
  /** Hidden layer widths; [] is a linear model (logistic / softmax / linear regression). */
  readonly hidden: readonly number[];
  readonly activation: Activation;
  /** Dropout rate after each hidden layer, in [0, 1). */
  readonly dropout: number;
  readonly learningRate: number;
  /** Maximum passes over the training rows. */
  readonly epochs: number;
  /** Largest mini-batch; small data uses smaller batches so that an epoch makes at least ~10 updates. */
  readonly batchSize: number;
  /**
   * L2 penalty on weights (ridge; with l1 > 0 an elastic net), added to the mean loss. 'auto' is
   * 1 / (2n) for n training rows: scikit-learn's default C = 1 for logistic regression and alpha = 1
   * for ridge, in this scale.
   */
  readonly l2: number | 'auto';
  /** L1 penalty on weights (lasso part of the elastic net). */
  readonly l1: number;
  /** Stop after this many epochs without improvement of the validation loss (0 = never). */
  readonly patience: number;
  readonly regressionLoss: RegressionLoss;
  /**
   * Batch normalisation after each hidden dense layer, before its activation (MLP only). Trained with
   * batch statistics and running averages (momentum 0.9, ε = 1e-3) of the mean and variance; at export
   * the normalisation is folded into the dense layer's weights and biases, so prediction costs nothing
   * extra and needs no BN code. Default off.
   */
  readonly batchNorm: boolean;
  /**
   * Learned embeddings for categorical code columns (MLP only): every column the feature matrix flags
   * as categorical (integer codes 0..nCategories−1) gets a table of nCategories + 1 vectors, the last
   * one for missing, unseen or out-of-range codes; the vectors are concatenated with the standardised
   * numeric inputs. Code columns are never standardised. Off: code columns are used as numbers (the
   * automatic 'neural' pipeline only produces code columns when its `embeddings` option is on).
   */
  readonly embeddings: boolean;
  /**
   * Width of each embedding vector: a whole number ≥ 1, or 'auto' = min(16, ⌈1.6·(k+1)^0.56⌉) for a
   * column with k categories (fastai's rule of thumb, capped at 16).
   */
  readonly embeddingDim: number | 'auto';
  readonly seed: number;
  /**
   * Linear family only. 'adam' (absent = 'adam', what every config recorded before the field existed
   * trained with): a zero-hidden-layer net trained by mini-batch Adam on TensorFlow.js with early
   * stopping on the validation rows. 'glm': the converged elastic-net solver (models/glm, OWL-QN) on
   * the same objective — mean loss + l2·ΣW² + l1·Σ|W| on standardised inputs — solved to its optimum
   * on the training rows without TensorFlow.js; epochs, learningRate, batchSize and patience are then
   * ignored (no epochs, no early stopping: the validation rows are not used). An MLP takes only 'adam'.
   * An explicit 'adam' resolves to the field's absence, so a recorded config is the same either way.
   */
  readonly solver?: LinearSolver;
  /**
   * Solver 'glm' only: the most iterations the solver takes (absent: its own cap, 1000). A
   * time-budgeted search records a lower one as a glm trial's allowance (search/allowance.ts
   * `glmIterationAllowance`); a solve stopped there is the model reached so far (not converged).
   */
  readonly maxIterations?: number;
}

export const LINEAR_DEFAULTS: DenseNetConfig = {
  hidden: [],
  activation: 'relu',
  dropout: 0,
  learningRate: 0.005,
  epochs: 300,
  batchSize: 256,
  l2: 'auto',
  l1: 0,
  patience: 20,
  regressionLoss: 'squared_error',
  batchNorm: false,
  embeddings: false,
  embeddingDim: 'auto',
  seed: 0,
};

export const MLP_DEFAULTS: DenseNetConfig = {
  hidden: [128, 64],
  activation: 'relu',
  dropout: 0.1,
  learningRate: 0.003,
  epochs: 80,
  batchSize: 128,
  l2: 1e-5,
  l1: 0,
  patience: 8,
  regressionLoss: 'squared_error',
  batchNorm: false,
  embeddings: false,
  embeddingDim: 'auto',
  seed: 0,
};

/** Embedding width for a column with `nCategories` categories under `embeddingDim`. */
export function embeddingWidth(dim: DenseNetConfig['embeddingDim'], nCategories: number): number {
  if (dim !== 'auto') return dim;
  return Math.min(16, Math.ceil(1.6 * Math.pow(nCategories + 1, 0.56)));
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new ModelConfigError(message);
}

/** Fills defaults and validates; throws ModelConfigError naming the bad parameter. */
export function resolveDenseConfig(
  partial: Partial<DenseNetConfig>,
  defaults: DenseNetConfig,
): DenseNetConfig {
  for (const key of Object.keys(partial)) {
    if (!Object.hasOwn(defaults, key) && key !== 'solver' && key !== 'maxIterations') {
      throw new ModelConfigError(
        `unknown hyperparameter '${key}' (known: ${[...Object.keys(defaults), 'solver', 'maxIterations'].join(', ')})`,
      );
    }
  }
  const { solver, maxIterations, ...rest } = { ...defaults, ...partial };
  check(
    solver === undefined || LINEAR_SOLVERS.includes(solver),
    `solver must be 'adam' or 'glm', got ${JSON.stringify(solver)}`,
  );
  check(
    maxIterations === undefined || solver === 'glm',
    `maxIterations is for solver 'glm' (Adam trains in epochs: use epochs), got maxIterations=${String(maxIterations)} with solver '${String(solver ?? 'adam')}'`,
  );
  check(
    maxIterations === undefined || (Number.isInteger(maxIterations) && maxIterations >= 1),
    `maxIterations must be a whole number ≥ 1, got ${String(maxIterations)}`,
  );
  // 'adam' is the field's absence: configs and states recorded before it existed stay byte-identical.
  const c: DenseNetConfig =
    solver === 'glm' ? { ...rest, solver, ...(maxIterations !== undefined ? { maxIterations } : {}) } : rest;
  check(
    Array.isArray(c.hidden) && c.hidden.every((h) => Number.isInteger(h) && h >= 1 && h <= 4096),
    'hidden must be a list of layer widths between 1 and 4096',
  );
  check(
    c.activation === 'relu' || c.activation === 'gelu',
    `activation must be 'relu' or 'gelu', got '${String(c.activation)}'`,
  );
  check(c.dropout >= 0 && c.dropout < 1, `dropout must be in [0, 1), got ${c.dropout}`);
  check(c.learningRate > 0 && c.learningRate <= 10, `learningRate must be in (0, 10], got ${c.learningRate}`);
  check(Number.isInteger(c.epochs) && c.epochs >= 1, `epochs must be a whole number ≥ 1, got ${c.epochs}`);
  check(
    Number.isInteger(c.batchSize) && c.batchSize >= 1,
    `batchSize must be a whole number ≥ 1, got ${c.batchSize}`,
  );
  check(
    (c.l2 === 'auto' || c.l2 >= 0) && c.l1 >= 0,
    `l1 and l2 must be ≥ 0 (or l2 'auto'), got l1=${c.l1}, l2=${c.l2}`,
  );
  check(
    Number.isInteger(c.patience) && c.patience >= 0,
    `patience must be a whole number ≥ 0, got ${c.patience}`,
  );
  check(
    c.regressionLoss === 'squared_error' || c.regressionLoss === 'huber',
    `regressionLoss must be 'squared_error' or 'huber'`,
  );
  check(typeof c.batchNorm === 'boolean', `batchNorm must be true or false, got ${String(c.batchNorm)}`);
  check(typeof c.embeddings === 'boolean', `embeddings must be true or false, got ${String(c.embeddings)}`);
  check(
    c.embeddingDim === 'auto' ||
      (Number.isInteger(c.embeddingDim) && c.embeddingDim >= 1 && c.embeddingDim <= 1024),
    `embeddingDim must be 'auto' or a whole number between 1 and 1024, got ${String(c.embeddingDim)}`,
  );
  check(Number.isFinite(c.seed), `seed must be a number, got ${c.seed}`);
  return c;
}
