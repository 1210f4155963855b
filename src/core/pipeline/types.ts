/**
 * Preprocessing pipeline contract: a step's config is plain data; fitting returns a JSON-serialisable
 * state; transforming applies config + state to a table. Steps are registered under stable names.
 */
import { StudioError } from '../errors.ts';
import type { Table } from '../data/table.ts';
import type { FeatureMatrix as ModelMatrix } from '../models/types.ts';

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
 * The pipeline's output: the models' column-major feature matrix (`data[j * nRows + i]`, float32,
 * NaN = missing), with names, categorical flags and category counts always present, and the input
 * (file) column each feature came from.
 */
export interface FeatureMatrix extends ModelMatrix {
  readonly data: Float32Array;
  readonly featureNames: readonly string[];
  readonly categorical: readonly boolean[];
  readonly nCategories: readonly number[];
  readonly sources: readonly string[];
}

export class PipelineError extends StudioError {
  readonly kind = 'data';
  readonly step?: string;
  readonly column?: string;
  constructor(message: string, where: { step?: string; column?: string } = {}) {
    super(message);
    this.name = 'PipelineError';
    this.step = where.step;
    this.column = where.column;
  }
}
