/**
 * The prepared search context: the target encoded, the feature table, the seeded split plan and the
 * per-fold fitted pipelines + matrices (built lazily and cached). The coordinator (runner) and every
 * trial worker build it from the same `SearchData` — the table plus a small serialisable
 * `SearchDataSpec` — and, being deterministic, get bit-identical folds, pipelines and matrices.
 */
import type { Table } from '../data/table.ts';
import { takeRows, withoutColumns } from '../data/select.ts';
import { foldIndices, holdoutPlan, kFoldPlan, type FoldIndices, type SplitPlan } from '../metrics/index.ts';
import type { FeatureMatrix, Task } from '../models/types.ts';
import { predictionWidth } from '../models/types.ts';
import { buildAutoPipeline, fitPipeline, transformTable, type FittedPipeline } from '../pipeline/index.ts';
import { encodeTarget, TrainingError } from '../train/target.ts';
import { familyKind, type FamilyName } from '../train/families.ts';
import { timeOrderedSplit, timeValues, type TimeOrder } from './time-split.ts';

/** Everything but the table that defines the prepared data (structured-clone safe). */
export interface SearchDataSpec {
  readonly target: string;
  readonly task: Task;
  /** Split-plan and pipeline seed (the search seed). */
  readonly seed: number;
  readonly metric: string;
  readonly families: readonly FamilyName[];
  readonly exclude?: readonly string[];
  /** Number of folds (1 = holdout), or 'auto' (resolved with `kfoldMaxRows` and `budgetMs`). */
  readonly folds: number | 'auto';
  readonly kfoldMaxRows?: number;
  /** Search budget in ms (Infinity or absent: none); only used to resolve `folds: 'auto'`. */
  readonly budgetMs?: number;
  readonly holdoutFraction?: number;
  /** Time-ordered validation by this column (./time-split.ts): training always earlier than validation. */
  readonly timeOrder?: TimeOrder;
}

/** What a trial worker receives once (`init`): the table (its buffers transferred) and the spec. */
export interface SearchData {
  readonly table: Table;
  readonly spec: SearchDataSpec;
}

export interface FoldData {
  readonly pipeline: FittedPipeline;
  readonly Xtr: FeatureMatrix;
  readonly ytr: Float64Array;
  readonly Xva: FeatureMatrix;
  readonly yva: Float64Array;
  readonly valid: Int32Array;
}

/**
 * Which automatic pipeline a trial's model reads: trees keep categories native ('tree'); linear models
 * and nets get encoded, scaled features ('dense'); an MLP with `embeddings: true` gets categories as
 * integer codes for its embedding tables ('embed'). Fold data is prepared once per key.
 */
export type PipeKey = 'tree' | 'dense' | 'embed';
export const pipeKey = (f: FamilyName, config?: Readonly<Record<string, unknown>>): PipeKey =>
  familyKind(f) === 'tree' ? 'tree' : f === 'mlp' && config?.embeddings === true ? 'embed' : 'dense';

export interface SearchContext {
  /** The spec with `folds` resolved to a number (send this one to workers). */
  readonly spec: SearchDataSpec & { readonly folds: number };
  readonly task: Task;
  readonly metric: string;
  readonly seed: number;
  readonly classes?: readonly string[];
  readonly nClasses: number;
  /** Rows dropped for a missing target. */
  readonly droppedMissing: number;
  /** Feature table (target removed, rows with a target only). */
  readonly features: Table;
  readonly y: Float64Array;
  readonly plan: SplitPlan;
  readonly nFolds: number;
  /** Rows scored for the trial value and the ensemble: all rows (k-fold) or the holdout rows. */
  readonly evalRows: Int32Array;
  /** Position of a row in `evalRows` (-1 when not scored). */
  readonly posOf: Int32Array;
  readonly yEval: Float64Array;
  /** Prediction values per row (classes, or 1). */
  readonly width: number;
  foldData(key: PipeKey, fold: number): FoldData;
  /** Fits the family's automatic pipeline on a table (training rows only). */
  pipelineFor(
    key: PipeKey,
    table: Table,
    y: Float64Array,
  ): { pipeline: FittedPipeline; matrix: FeatureMatrix };
}

/** Resolves 'auto' folds: 5 on small data, 3 when the budget is short for the data size, else holdout. */
export function resolveFolds(spec: SearchDataSpec, n: number, nFeatureColumns: number): number {
  if (spec.folds !== 'auto') return spec.folds;
  const budgetMs = spec.budgetMs ?? Infinity;
  const cells = n * Math.max(1, nFeatureColumns);
  const short = budgetMs < 20_000 || cells > 2 * budgetMs;
  return n <= (spec.kfoldMaxRows ?? 5000) ? (short ? 3 : 5) : 1;
}

export function prepareSearchContext(data: SearchData): SearchContext {
  const { table, spec } = data;
  const task = spec.task;
  const enc = encodeTarget(table, spec.target, task);
  const nClasses = enc.classes?.length ?? 1;
  const n = enc.rows.length;
  if (n < 4) throw new TrainingError('need at least 4 rows with a target value to search');
  const allFeatures = withoutColumns(table, [spec.target]);
  const features = enc.droppedMissing > 0 ? takeRows(allFeatures, enc.rows) : allFeatures;
  const y = enc.y;
  const labels = task === 'regression' ? undefined : y;
  const k = resolveFolds(spec, n, features.columns.length);
  const seed = spec.seed;
  let plan: SplitPlan;
  let foldRows: readonly FoldIndices[];
  let evalRows: Int32Array;
  if (spec.timeOrder) {
    const timed = timeOrderedSplit(
      timeValues(features, spec.timeOrder.column),
      k >= 2 && n >= k + 1 ? k : 1,
      spec.holdoutFraction ?? 0.2,
      seed,
    );
    ({ plan, foldRows, evalRows } = timed);
  } else {
    plan =
      k >= 2 && n >= k
        ? kFoldPlan(n, k, seed, labels)
        : holdoutPlan(n, spec.holdoutFraction ?? 0.2, seed, labels);
    const folds = plan.strategy === 'kfold' ? plan.folds : 1;
    foldRows = Array.from({ length: folds }, (_, f) => foldIndices(plan, f));
    evalRows = plan.strategy === 'kfold' ? Int32Array.from({ length: n }, (_, i) => i) : foldRows[0].valid;
  }
  const nFolds = plan.strategy === 'kfold' ? plan.folds : 1;
  const posOf = new Int32Array(n).fill(-1);
  evalRows.forEach((r, i) => (posOf[r] = i));
  const yEval = Float64Array.from(evalRows, (r) => y[r]);

  const pipelineFor = (key: PipeKey, tbl: Table, yy: Float64Array) => {
    const auto = buildAutoPipeline(tbl, {
      family: key === 'tree' ? 'tree' : 'neural',
      task,
      nClasses,
      exclude: spec.exclude,
      ...(key === 'embed' ? { embeddings: true } : {}),
    });
    return fitPipeline(auto.spec, tbl, { y: yy, task, seed });
  };
  const cache = new Map<string, FoldData>();
  const foldData = (key: PipeKey, f: number): FoldData => {
    const id = `${key}/${f}`;
    let d = cache.get(id);
    if (!d) {
      const { train, valid } = foldRows[f];
      const ytr = Float64Array.from(train, (i) => y[i]);
      const { pipeline, matrix } = pipelineFor(key, takeRows(features, train), ytr);
      const Xva = transformTable(pipeline, takeRows(features, valid));
      d = { pipeline, Xtr: matrix, ytr, Xva, yva: Float64Array.from(valid, (i) => y[i]), valid };
      cache.set(id, d);
    }
    return d;
  };
  return {
    spec: { ...spec, folds: nFolds === 1 ? 1 : k },
    task,
    metric: spec.metric,
    seed,
    ...(enc.classes ? { classes: enc.classes } : {}),
    nClasses,
    droppedMissing: enc.droppedMissing,
    features,
    y,
    plan,
    nFolds,
    evalRows,
    posOf,
    yEval,
    width: predictionWidth(task, nClasses),
    foldData,
    pipelineFor,
  };
}
