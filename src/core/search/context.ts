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
import {
  SUBSAMPLE_MIN_ROWS,
  checkSubsamplePlan,
  subsampleLevels,
  subsampleRows,
  type SubsampleOption,
  type SubsamplePlan,
} from './subsample.ts';
import { timeOrderedSplit, timeValues, type TimeOrder } from './time-split.ts';
import type { MathMode } from '../util/portable-math.ts';

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
  /**
   * Row-subsample rungs (subsample.ts): absent = the default threshold; false = never; `rows` = the
   * recorded levels (a replay). Only holdout plans subsample.
   */
  readonly subsample?: SubsampleOption;
  /** Time-ordered validation by this column (./time-split.ts): training always earlier than validation. */
  readonly timeOrder?: TimeOrder;
  /** 'portable': features and scores with the portable math (see `SearchOptions.math`); absent: the engine's. */
  readonly math?: MathMode;
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
  /**
   * The fit of `pipeline` on the `Xtr` rows: its row count and how long it took (ms, by the clock of
   * the call that built the data; 0 when no clock was given). The refit on all rows fits the pipeline
   * again, on all rows (`refit.ts`, issue 21: 950,000 rows in Chromium).
   */
  readonly fit: { readonly rows: number; readonly ms: number };
}

/**
 * Timing of the data a context builds: `now` (ms; a trial's clock, fake in the clock tests) times the
 * pipeline fit, and `built` hears of it when this call is the one that fitted it (not cached).
 */
export interface DataTiming {
  readonly now: () => number;
  readonly built?: (fit: FoldData['fit']) => void;
}

/**
 * A row-subsample level's data. Early stopping watches `Xstop`/`ystop`: a seeded, stratified sample
 * of the validation rows, a third of the level's training rows but at least `STOP_MIN_ROWS` (all of
 * them when that is more), so that watching the validation loss after every round costs about what
 * the round itself does (measured on 1,000,000 rows: passing a validation row down a tree costs about
 * 3× a training row's share of growing it; 200,000 holdout rows watched per round made a
 * 30,000-row trial six times slower). It only decides how long a level trains: trials are scored on
 * all the validation rows (`Xva`), the same rows for every trial and level.
 */
export const STOP_MIN_ROWS = 10_000;

export interface LevelData extends FoldData {
  readonly Xstop: FeatureMatrix;
  readonly ystop: Float64Array;
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
  /** `timing` times the pipeline fit when this call builds the data (`FoldData.fit`). */
  foldData(key: PipeKey, fold: number, timing?: DataTiming): FoldData;
  /** Row-subsample rungs of a holdout plan on big data (undefined: every trial trains on all rows). */
  readonly subsample?: SubsamplePlan;
  /**
   * Subsample level `level` (0 = smallest) of `subsample`: its training rows (a subsample of fold
   * 0's), the automatic pipeline fitted on them alone (fitting the dense pipeline on 950,000 rows
   * took 40 s, on a 35,000-row level about 1.5 s), and fold 0's validation rows through that
   * pipeline (`Xva`, scored) with the sample early stopping watches (`Xstop`/`ystop`).
   */
  levelData(key: PipeKey, level: number, timing?: DataTiming): LevelData;
  /** The pipeline of subsample level `level` (fitted on that level's training rows only). */
  levelPipeline(key: PipeKey, level: number): FittedPipeline;
  /** Fits the family's automatic pipeline on a table (training rows only). */
  pipelineFor(
    key: PipeKey,
    table: Table,
    y: Float64Array,
  ): { pipeline: FittedPipeline; matrix: FeatureMatrix };
}

/**
 * Largest default holdout: 20% of the rows, but at most 50,000 rows (e.g. 5% of 1,000,000). Scoring
 * every trial (and, for boosting, watching early stopping) on 200,000 rows cost more than training a
 * row-subsample trial, and 50,000 rows already pin a metric such as ROC AUC to about ±0.003 (AutoGluon
 * goes as low as 1% holdouts on large data). The fraction used is recorded (`split.validFraction`).
 */
export const HOLDOUT_MAX_ROWS = 50_000;

/** The holdout fraction when none is given: 0.2, or less so that at most `HOLDOUT_MAX_ROWS` are held out. */
export function defaultHoldoutFraction(n: number): number {
  return n * 0.2 <= HOLDOUT_MAX_ROWS ? 0.2 : HOLDOUT_MAX_ROWS / n;
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
        : holdoutPlan(n, spec.holdoutFraction ?? defaultHoldoutFraction(n), seed, labels);
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
      ...(spec.math === 'portable' ? { math: 'portable' as const } : {}),
    });
    return fitPipeline(auto.spec, tbl, { y: yy, task, seed });
  };
  let subsample: SubsamplePlan | undefined;
  if (nFolds === 1 && spec.subsample !== false) {
    const m = foldRows[0].train.length;
    const threshold = spec.subsample?.threshold ?? SUBSAMPLE_MIN_ROWS;
    const rows = spec.subsample?.rows ?? subsampleLevels(m, threshold);
    if (rows.length) {
      subsample = { threshold, rows: [...rows], trainRows: m, seed, stratified: labels !== undefined };
      try {
        checkSubsamplePlan(subsample, m);
      } catch (err) {
        throw new TrainingError((err as Error).message);
      }
    }
  }
  const cache = new Map<string, FoldData>();
  /** Fits the pipeline, timed by `timing` (whose `built` hears of it). */
  const timedFit = (key: PipeKey, tbl: Table, yy: Float64Array, timing: DataTiming | undefined) => {
    const t0 = timing?.now() ?? 0;
    const fitted = pipelineFor(key, tbl, yy);
    const fit = { rows: yy.length, ms: timing ? timing.now() - t0 : 0 };
    timing?.built?.(fit);
    return { ...fitted, fit };
  };
  const foldData = (key: PipeKey, f: number, timing?: DataTiming): FoldData => {
    const id = `${key}/${f}`;
    let d = cache.get(id);
    if (!d) {
      const { train, valid } = foldRows[f];
      const ytr = Float64Array.from(train, (i) => y[i]);
      const { pipeline, matrix, fit } = timedFit(key, takeRows(features, train), ytr, timing);
      const Xva = transformTable(pipeline, takeRows(features, valid));
      d = { pipeline, Xtr: matrix, ytr, Xva, yva: Float64Array.from(valid, (i) => y[i]), valid, fit };
      cache.set(id, d);
    }
    return d;
  };
  const levelCache = new Map<string, LevelData>();
  const pipeCache = new Map<
    string,
    { pipeline: FittedPipeline; matrix: FeatureMatrix; ytr: Float64Array; fit: FoldData['fit'] }
  >();
  const levelRows: Int32Array[] = [];
  const stopRows: Int32Array[] = [];
  let trainLabels: Float64Array | undefined;
  let validLabels: Float64Array | undefined;
  const checkLevel = (level: number): SubsamplePlan => {
    if (!subsample || !(Number.isInteger(level) && level >= 0 && level < subsample.rows.length))
      throw new TrainingError(`no subsample level ${level} in this search`);
    return subsample;
  };
  /** The level's rows (indices among the rows with a target), their pipeline and matrix. */
  const levelFit = (key: PipeKey, level: number, timing?: DataTiming) => {
    const plan = checkLevel(level);
    const id = `${key}/${level}`;
    let r = pipeCache.get(id);
    if (!r) {
      const { train } = foldRows[0];
      trainLabels ??= Float64Array.from(train, (i) => y[i]);
      // Positions among fold 0's training rows (their labels for stratification).
      const pos = (levelRows[level] ??= subsampleRows(
        Int32Array.from({ length: train.length }, (_, i) => i),
        plan.rows[level],
        seed,
        labels ? trainLabels : undefined,
      ));
      const rows = Int32Array.from(pos, (p) => train[p]);
      const ytr = Float64Array.from(rows, (i) => y[i]);
      r = { ...timedFit(key, takeRows(features, rows), ytr, timing), ytr };
      pipeCache.set(id, r);
    }
    return r;
  };
  const levelData = (key: PipeKey, level: number, timing?: DataTiming): LevelData => {
    const plan = checkLevel(level);
    const id = `${key}/${level}`;
    let d = levelCache.get(id);
    if (!d) {
      const { pipeline, matrix, ytr, fit } = levelFit(key, level, timing);
      const { valid } = foldRows[0];
      const Xva = transformTable(pipeline, takeRows(features, valid));
      const yva = (validLabels ??= Float64Array.from(valid, (i) => y[i]));
      const nv = valid.length;
      const want = Math.max(Math.ceil(plan.rows[level] / 3), STOP_MIN_ROWS);
      const stop =
        want >= nv
          ? undefined
          : (stopRows[level] ??= subsampleRows(
              Int32Array.from({ length: nv }, (_, i) => i),
              want,
              seed ^ 0x7fed,
              labels ? yva : undefined,
            ));
      d = {
        pipeline,
        Xtr: matrix,
        ytr,
        Xva,
        yva,
        valid,
        fit,
        Xstop: stop ? takeMatrixRows(Xva, stop) : Xva,
        ystop: stop ? Float64Array.from(stop, (i) => yva[i]) : yva,
      };
      levelCache.set(id, d);
    }
    return d;
  };
  return {
    spec: {
      ...spec,
      folds: nFolds === 1 ? 1 : k,
      subsample: subsample ? { threshold: subsample.threshold, rows: subsample.rows } : false,
    },
    ...(subsample ? { subsample } : {}),
    levelData,
    levelPipeline: (key, level) => levelFit(key, level).pipeline,
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

/** The rows `pos` of a column-major feature matrix (same column metadata). */
export function takeMatrixRows(X: FeatureMatrix, pos: Int32Array): FeatureMatrix {
  const k = pos.length;
  const m = X.nRows;
  const data = X.data instanceof Float32Array ? new Float32Array(k * X.nCols) : new Float64Array(k * X.nCols);
  for (let j = 0; j < X.nCols; j++) {
    const src = j * m;
    const dst = j * k;
    for (let i = 0; i < k; i++) data[dst + i] = X.data[src + pos[i]];
  }
  return { ...X, nRows: k, data };
}
