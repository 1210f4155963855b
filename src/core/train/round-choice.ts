/**
 * How `fit` (trainModel) chooses a GBDT's boosting rounds on small data (issue 17): from the mean
 * validation curve over k folds of the training rows, as `xgb.cv` does, instead of training the
 * configured count blindly.
 *
 * The rule (`kfoldRoundsApply`): family 'gbdt', fewer than KFOLD_ROUNDS_MAX_ROWS rows with a target, a
 * seeded (not time-ordered) holdout, and none of `rounds`, `roundCap`, `earlyStoppingRounds` given by
 * the caller. Then the training part of the holdout (never its validation rows) is split into
 * KFOLD_ROUNDS_FOLDS seeded folds (stratified for classification); on each the pipeline is fitted on
 * the fold's training rows and the model trains `rounds` (the default, 100) rounds and is scored on
 * the fold's validation rows after every round by the metric the model is judged by (ROC AUC for
 * binary, log loss for multiclass, RMSE for regression by default); the chosen count is the first
 * round of the best mean over the folds. The holdout model and the refit on all rows then train that
 * many rounds. The choice is recorded in the model's config (`rounds`) and in the manifest
 * (`roundChoice`); a replay passes the recorded config, whose `rounds` turns the rule off, so it trains
 * exactly the recorded count — and a bundle made before the rule (its config holds `rounds`) replays
 * as it was made. On larger data nothing changes.
 */
import type { Table } from '../data/table.ts';
import { takeRows } from '../data/select.ts';
import type { Estimator, Task } from '../models/types.ts';
import { fitPipeline, transformTable, type PipelineSpec } from '../pipeline/index.ts';
import { METRICS, evaluate, foldIndices, kFoldPlan } from '../metrics/index.ts';
import type { GbdtModel } from '../models/gbdt/index.ts';
import type { FamilyName } from './families.ts';

/** The rule applies below this many rows with a target (the whole table, holdout included). */
export const KFOLD_ROUNDS_MAX_ROWS = 1000;
/** Folds of the training rows the mean validation curve is taken over. */
export const KFOLD_ROUNDS_FOLDS = 5;

/** What the manifest records of a k-fold round choice. */
export interface RoundChoice {
  readonly method: 'kfold';
  /** Folds of the training rows (the holdout's training part). */
  readonly folds: number;
  /** Rounds each fold trained: the most the choice could give. */
  readonly maxRounds: number;
  /** The rounds chosen: the first round of the best mean validation metric. */
  readonly rounds: number;
  /** The metric the curve is of: the one the model is judged by (roc_auc, log_loss, rmse, …). */
  readonly metric: string;
  /** The mean of that metric over the folds' validation rows at `rounds`. */
  readonly meanValid: number;
  /** The rule's threshold: it applied because the data had fewer rows with a target than this. */
  readonly maxRows: number;
}

/** Keys that, given by the caller, say how many rounds to train: the rule then leaves them alone. */
const ROUND_KEYS = ['rounds', 'roundCap', 'earlyStoppingRounds'] as const;

/** Does the k-fold round choice apply to this fit? */
export function kfoldRoundsApply(opts: {
  readonly family: FamilyName;
  readonly params?: Readonly<Record<string, unknown>>;
  /** Rows with a target value (training and validation). */
  readonly rows: number;
  readonly timeOrdered: boolean;
}): boolean {
  if (opts.family !== 'gbdt' || opts.timeOrdered) return false;
  if (opts.rows >= KFOLD_ROUNDS_MAX_ROWS) return false;
  // Enough rows for every fold to train and validate on something.
  if (opts.rows < 2 * KFOLD_ROUNDS_FOLDS) return false;
  const p = opts.params ?? {};
  return !ROUND_KEYS.some((k) => p[k] !== undefined);
}

/**
 * The rounds from the mean validation curve over KFOLD_ROUNDS_FOLDS seeded folds of `table`'s rows
 * (the training part of the holdout) with labels `y`. `config` is the resolved config (its `rounds`
 * is the most a fold trains; early stopping off).
 */
export async function chooseRoundsByKFold(args: {
  readonly est: Estimator;
  readonly table: Table;
  readonly y: Float64Array;
  readonly task: Task;
  readonly nClasses: number;
  readonly spec: PipelineSpec;
  readonly config: Readonly<Record<string, unknown>>;
  /** The metric the model is judged by (METRICS): the curve is of it. */
  readonly metric: string;
  readonly seed: number;
}): Promise<RoundChoice> {
  const { est, table, y, task, spec, seed, metric } = args;
  const maxRounds = Number(args.config.rounds);
  const config = { ...args.config, earlyStoppingRounds: 0 };
  const plan = kFoldPlan(y.length, KFOLD_ROUNDS_FOLDS, seed, task === 'regression' ? undefined : y);
  const k = task === 'regression' ? 1 : args.nClasses;
  const sign = METRICS[metric].direction === 'maximize' ? -1 : 1;
  const sum = new Float64Array(maxRounds);
  let reached = maxRounds;
  for (let f = 0; f < KFOLD_ROUNDS_FOLDS; f++) {
    const { train, valid } = foldIndices(plan, f);
    const yTrain = Float64Array.from(train, (i) => y[i]);
    const yValid = Float64Array.from(valid, (i) => y[i]);
    const fitted = fitPipeline(spec, takeRows(table, train), { y: yTrain, task, seed });
    const validMatrix = transformTable(fitted.pipeline, takeRows(table, valid));
    const model = (await est.fit(fitted.matrix, yTrain, {
      task,
      nClasses: task === 'regression' ? undefined : k,
      config,
    })) as GbdtModel;
    // Rounds every fold reached (a fold stops early only on a perfect fit).
    reached = Math.min(reached, model.nRounds);
    for (let r = 1; r <= reached; r++) {
      const v = evaluate(task, yValid, model.predict(validMatrix, { rounds: r }), k)[metric];
      sum[r - 1] += sign * v;
    }
  }
  let best = 1;
  let bestMean = Infinity;
  for (let r = 1; r <= reached; r++) {
    const mean = sum[r - 1] / KFOLD_ROUNDS_FOLDS;
    // NaN (a fold whose validation rows lack a class, for AUC) never wins; ties keep the earlier round.
    if (mean < bestMean) {
      bestMean = mean;
      best = r;
    }
  }
  // No finite mean at all (a metric undefined on every fold): the configured count, as without the rule.
  if (bestMean === Infinity) best = reached;
  return {
    method: 'kfold',
    folds: KFOLD_ROUNDS_FOLDS,
    maxRounds,
    rounds: best,
    metric,
    meanValid: bestMean === Infinity ? NaN : sign * bestMean,
    maxRows: KFOLD_ROUNDS_MAX_ROWS,
  };
}
