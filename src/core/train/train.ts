/**
 * Fit one model on a table: encode the target, split off a seeded (stratified) validation holdout,
 * build and fit the preprocessing pipeline on the training rows only, fit the model (with the
 * validation rows for early stopping), and score the validation rows.
 */
import type { Table } from '../data/table.ts';
import { takeRows, withoutColumns } from '../data/select.ts';
import type { Fitted, RoundInfo, Task } from '../models/types.ts';
import {
  buildAutoPipeline,
  fitPipeline,
  transformTable,
  type FittedPipeline,
  type PipelineSpec,
} from '../pipeline/index.ts';
import { DEFAULT_METRIC, METRICS, evaluate, foldIndices, holdoutPlan } from '../metrics/index.ts';
import { timeOrderedSplit, timeValues, type TimeOrder } from '../search/time-split.ts';
import { encodeTarget, TrainingError } from './target.ts';
import { estimatorFor, familyKind, refitConfig, type FamilyName } from './families.ts';
import {
  chooseDecision,
  decisionSpec,
  resolvePositiveClass,
  type Decision,
  type DecisionRequest,
} from './decision.ts';
import type { MathMode } from '../util/portable-math.ts';

export interface TrainRequest {
  readonly table: Table;
  readonly target: string;
  readonly task: Task;
  readonly family: FamilyName;
  /** Hyperparameters; missing keys take the family's defaults. */
  readonly params?: Readonly<Record<string, unknown>>;
  readonly seed: number;
  /** Share of rows held out for validation (early stopping and metrics). Default 0.2. */
  readonly validFraction?: number;
  /** Hold out the latest rows by this time column instead of a seeded sample (../search/time-split.ts). */
  readonly timeOrder?: TimeOrder;
  /** Columns the user excluded from the features. */
  readonly exclude?: readonly string[];
  /** The metric the model is judged by (default: the task's default); must apply to the task. */
  readonly metric?: string;
  /** A pipeline to use instead of the automatic one. */
  readonly pipelineSpec?: PipelineSpec;
  /**
   * The automatic pipeline's cyclic date features with the portable sin/cos (default; recorded in the
   * date step's config, which the bundle's `pipeline.spec` keeps) or the engine's: a replay of a bundle
   * whose date step does not say `math: 'portable'` (made before it existed).
   */
  readonly math?: MathMode;
  /**
   * After validation, fit again on all rows with the rounds/epochs validation chose (default true).
   * The reported metrics are those of the validation fit.
   */
  readonly refit?: boolean;
  readonly onRound?: (info: RoundInfo) => void | boolean;
  /**
   * Binary: the positive class and what the decision threshold is chosen for on the validation
   * holdout (default: the minority class; F1 when unbalanced, else 0.5).
   */
  readonly decision?: DecisionRequest;
}

export interface TrainedModel {
  readonly target: string;
  readonly task: Task;
  readonly classes?: readonly string[];
  readonly family: FamilyName;
  readonly config: Readonly<Record<string, unknown>>;
  readonly seed: number;
  readonly pipeline: FittedPipeline;
  readonly pipelineNotes: readonly string[];
  readonly model: Fitted;
  readonly split: {
    readonly strategy: 'holdout';
    readonly validFraction: number;
    readonly seed: number;
    readonly stratified: boolean;
    readonly trainRows: number;
    readonly validRows: number;
    /** The holdout is the latest rows by this column (training rows never later). */
    readonly timeOrder?: TimeOrder;
  };
  /** The metric the model is judged by (recorded in the manifest and the tracking run). */
  readonly metric: string;
  readonly metrics: { readonly validation: Readonly<Record<string, number>> };
  /** Present when the final model was refitted on all rows. */
  readonly refit?: { readonly rows: number; readonly iterations: number };
  readonly droppedMissingTarget: number;
  readonly fitSeconds: number;
  /** Validation truth and predictions, for charts (confusion matrix, residuals). */
  readonly validation: { readonly y: Float64Array; readonly pred: Float64Array };
  /** Binary: the positive class and decision threshold (chosen on the validation holdout). */
  readonly decision?: Decision;
}

export async function trainModel(req: TrainRequest): Promise<TrainedModel> {
  const t0 = Date.now();
  const metric = req.metric ?? DEFAULT_METRIC[req.task];
  const known = METRICS[metric];
  if (!known) {
    throw new TrainingError(`unknown metric '${metric}' (known: ${Object.keys(METRICS).join(', ')})`);
  }
  if (!known.tasks.includes(req.task)) {
    const fits = Object.values(METRICS)
      .filter((m) => m.tasks.includes(req.task))
      .map((m) => m.name);
    throw new TrainingError(
      `the metric '${metric}' does not apply to ${req.task} (use one of ${fits.join(', ')})`,
    );
  }
  const enc = encodeTarget(req.table, req.target, req.task);
  const nClasses = enc.classes?.length ?? 1;
  const features = withoutColumns(req.table, [req.target]);
  const validFraction = req.validFraction ?? 0.2;
  if (enc.rows.length < 2) throw new TrainingError('need at least 2 rows with a target value to train');
  let train: Int32Array;
  let valid: Int32Array;
  if (req.timeOrder) {
    const t = timeValues(features, req.timeOrder.column);
    const timed = timeOrderedSplit(
      Float64Array.from(enc.rows, (r) => t[r]),
      1,
      validFraction,
      req.seed,
    );
    ({ train, valid } = timed.foldRows[0]);
  } else {
    const plan = holdoutPlan(
      enc.rows.length,
      validFraction,
      req.seed,
      req.task === 'regression' ? undefined : enc.y,
    );
    ({ train, valid } = foldIndices(plan, 0));
  }
  const trainRows = Int32Array.from(train, (i) => enc.rows[i]);
  const validRows = Int32Array.from(valid, (i) => enc.rows[i]);
  const yTrain = Float64Array.from(train, (i) => enc.y[i]);
  const yValid = Float64Array.from(valid, (i) => enc.y[i]);

  const trainTable = takeRows(features, trainRows);
  const est = estimatorFor(req.family);
  const params = { ...(req.params ?? {}), seed: req.seed };
  const config = est.resolveConfig(params, req.task) as Record<string, unknown>;
  const auto = buildAutoPipeline(trainTable, {
    family: familyKind(req.family),
    task: req.task,
    nClasses,
    exclude: req.exclude,
    // An MLP with embeddings learns from category codes (the pipeline then leaves them unencoded).
    embeddings: req.family === 'mlp' && config.embeddings === true,
    ...((req.math ?? 'portable') === 'portable' ? { math: 'portable' as const } : {}),
  });
  const spec = req.pipelineSpec ?? auto.spec;
  const { pipeline, matrix } = fitPipeline(spec, trainTable, { y: yTrain, task: req.task, seed: req.seed });
  const validMatrix = transformTable(pipeline, takeRows(features, validRows));

  const model = await est.fit(matrix, yTrain, {
    task: req.task,
    nClasses: req.task === 'regression' ? undefined : nClasses,
    config,
    validation: { X: validMatrix, y: yValid },
    onRound: req.onRound,
  });
  const pred = model.predict(validMatrix);
  // Binary: metrics are those of the positive class at the threshold chosen on this holdout.
  const decision =
    req.task === 'binary' && enc.classes ? decide(enc.classes, enc.y, yValid, pred, req.decision) : undefined;
  const metrics = evaluate(
    req.task,
    yValid,
    pred,
    nClasses,
    undefined,
    decision && enc.classes ? decisionSpec(enc.classes, decision) : undefined,
  );

  let finalModel = model;
  let finalPipeline = pipeline;
  let refit: TrainedModel['refit'];
  if (req.refit !== false) {
    const all = takeRows(features, enc.rows);
    const r = refitConfig(req.family, model, config);
    const fitted = fitPipeline(spec, all, { y: enc.y, task: req.task, seed: req.seed });
    finalPipeline = fitted.pipeline;
    finalModel = await est.fit(fitted.matrix, enc.y, {
      task: req.task,
      nClasses: req.task === 'regression' ? undefined : nClasses,
      config: r.config,
    });
    refit = { rows: enc.rows.length, iterations: r.iterations };
  }
  return {
    target: req.target,
    task: req.task,
    classes: enc.classes,
    family: req.family,
    config,
    seed: req.seed,
    pipeline: finalPipeline,
    pipelineNotes: req.pipelineSpec ? [] : auto.notes,
    model: finalModel,
    split: {
      strategy: 'holdout',
      validFraction,
      seed: req.seed,
      stratified: !req.timeOrder && req.task !== 'regression',
      trainRows: trainRows.length,
      validRows: validRows.length,
      ...(req.timeOrder ? { timeOrder: { column: req.timeOrder.column } } : {}),
    },
    metric,
    metrics: { validation: metrics },
    ...(refit ? { refit } : {}),
    droppedMissingTarget: enc.droppedMissing,
    fitSeconds: (Date.now() - t0) / 1000,
    validation: { y: yValid, pred },
    ...(decision ? { decision } : {}),
  };
}

/**
 * The decision of a single fit: the positive class from all rows with a target (the user's, or the
 * default with its reason), the threshold chosen on the validation holdout.
 */
function decide(
  classes: readonly string[],
  yAll: Float64Array,
  yValid: Float64Array,
  pred: Float64Array,
  request: DecisionRequest = {},
): Decision {
  const positive = resolvePositiveClass(classes, yAll, request.positiveClass);
  const d = chooseDecision(classes, yValid, pred, { ...request, positiveClass: positive.label });
  return { ...d, positiveReason: positive.reason };
}
