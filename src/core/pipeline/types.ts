/**
 * Preprocessing pipeline contract: a step's config is plain data; fitting returns a JSON-serialisable
 * state; transforming applies config + state to a table. Steps are registered under stable names.
 */
import type { Table } from '../data/table.ts';

export type TaskKind = 'binary' | 'multiclass' | 'regression';

/** One step of a pipeline spec: which registered step, on which input columns, with what settings. */
export interface StepSpec {
  readonly kind: string;
  readonly columns: readonly string[];
  readonly config?: Readonly<Record<string, unknown>>;
}

export interface PipelineSpec {
  readonly steps: readonly StepSpec[];
}

/** What a step may learn from besides the table: the target (for target encoding) and a seed. */
export interface FitContext {
  readonly y?: Float64Array;
  readonly task?: TaskKind;
  readonly seed: number;
}

/** A new output column and the input column it came from. */
export type Produced = readonly [output: string, input: string];

export interface FittedState {
  /** JSON-safe learned values. */
  readonly values: unknown;
  /** Columns this step creates, with their source column. */
  readonly produced: readonly Produced[];
}

export interface StepImpl {
  readonly kind: string;
  /** A readable one-line description for the UI ("Impute age with the median"). */
  describe(step: StepSpec): string;
  fit(table: Table, step: StepSpec, ctx: FitContext): FittedState;
  transform(table: Table, step: StepSpec, state: FittedState): Table;
  /**
   * Transform of the training table during fitting, when it must differ from `transform` (out-of-fold
   * target encoding); defaults to `transform`.
   */
  fitTransform?(table: Table, step: StepSpec, state: FittedState, ctx: FitContext): Table;
}

/**
 * A dense feature matrix, column-major (`data[j * nRows + i]`), float32 like the models consume.
 * `categories[j] > 0` marks feature j as categorical with that many categories (codes 0..k-1, NaN = missing).
 */
export interface FeatureMatrix {
  readonly nRows: number;
  readonly nCols: number;
  readonly data: Float32Array;
  readonly featureNames: readonly string[];
  readonly categories: readonly number[];
  /** The input (file) column each feature came from. */
  readonly sources: readonly string[];
}

export class PipelineError extends Error {
  readonly step?: string;
  readonly column?: string;
  constructor(message: string, where: { step?: string; column?: string } = {}) {
    super(message);
    this.name = 'PipelineError';
    this.step = where.step;
    this.column = where.column;
  }
}
