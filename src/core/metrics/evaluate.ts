/**
 * Metric registry (stable names, direction) and one `evaluate` per task. Predictions follow the
 * model contract: binary = P(class 1) per row (or two columns), multiclass = row-major probabilities,
 * regression = values.
 */
import {
  accuracy,
  argmaxRows,
  balancedAccuracy,
  binaryLogLoss,
  f1,
  macroF1,
  multiclassLogLoss,
  prAuc,
  rocAuc,
} from './classification.ts';
import { mae, r2, rmse } from './regression.ts';

export type TaskKind = 'binary' | 'multiclass' | 'regression';

export interface MetricInfo {
  readonly name: string;
  readonly label: string;
  readonly direction: 'maximize' | 'minimize';
  readonly tasks: readonly TaskKind[];
}

export const METRICS: Readonly<Record<string, MetricInfo>> = {
  roc_auc: { name: 'roc_auc', label: 'ROC AUC', direction: 'maximize', tasks: ['binary'] },
  pr_auc: { name: 'pr_auc', label: 'PR AUC', direction: 'maximize', tasks: ['binary'] },
  log_loss: { name: 'log_loss', label: 'Log loss', direction: 'minimize', tasks: ['binary', 'multiclass'] },
  accuracy: { name: 'accuracy', label: 'Accuracy', direction: 'maximize', tasks: ['binary', 'multiclass'] },
  f1: { name: 'f1', label: 'F1', direction: 'maximize', tasks: ['binary'] },
  balanced_accuracy: {
    name: 'balanced_accuracy',
    label: 'Balanced accuracy',
    direction: 'maximize',
    tasks: ['binary', 'multiclass'],
  },
  macro_f1: { name: 'macro_f1', label: 'Macro F1', direction: 'maximize', tasks: ['multiclass'] },
  rmse: { name: 'rmse', label: 'RMSE', direction: 'minimize', tasks: ['regression'] },
  mae: { name: 'mae', label: 'MAE', direction: 'minimize', tasks: ['regression'] },
  r2: { name: 'r2', label: 'R²', direction: 'maximize', tasks: ['regression'] },
};

/** The default metric to optimise per task (the same as the benchmark's primary metrics). */
export const DEFAULT_METRIC: Readonly<Record<TaskKind, string>> = {
  binary: 'roc_auc',
  multiclass: 'log_loss',
  regression: 'rmse',
};

/** True when metric value a is better than b. NaN is never better. */
export function isBetter(metric: string, a: number, b: number): boolean {
  const info = METRICS[metric];
  if (!info) throw new Error(`unknown metric '${metric}'`);
  if (Number.isNaN(a)) return false;
  if (Number.isNaN(b)) return true;
  return info.direction === 'maximize' ? a > b : a < b;
}

/** Binary predictions may come as one column (P(1)) or two; returns P(1) per row. */
export function positiveScores(pred: ArrayLike<number>, nRows: number): Float64Array {
  const out = new Float64Array(nRows);
  if (pred.length === nRows) for (let i = 0; i < nRows; i++) out[i] = pred[i];
  else if (pred.length === 2 * nRows) for (let i = 0; i < nRows; i++) out[i] = pred[2 * i + 1];
  else throw new Error(`binary predictions need ${nRows} or ${2 * nRows} values, got ${pred.length}`);
  return out;
}

/**
 * Which class a binary model's metrics are for and where its decision threshold lies: rows with
 * P(positive class) >= threshold are predicted positive. Default: class 1, 0.5.
 */
export interface BinaryDecisionSpec {
  /** Class index (0 or 1) of the positive class. */
  readonly positiveIndex: number;
  readonly threshold: number;
}

/** P(class `positiveIndex`) per row, and 1/0 for rows of that class. */
export function binaryForPositive(
  y: ArrayLike<number>,
  pred: ArrayLike<number>,
  positiveIndex: number,
): { pos: Uint8Array; score: Float64Array } {
  const n = y.length;
  const p1 = positiveScores(pred, n);
  const score = positiveIndex === 1 ? p1 : p1.map((v) => 1 - v);
  const pos = new Uint8Array(n);
  for (let i = 0; i < n; i++) pos[i] = y[i] === positiveIndex ? 1 : 0;
  return { pos, score };
}

export function evaluate(
  task: TaskKind,
  y: ArrayLike<number>,
  pred: ArrayLike<number>,
  nClasses = task === 'binary' ? 2 : 1,
  w?: ArrayLike<number>,
  decision?: BinaryDecisionSpec,
): Record<string, number> {
  const n = y.length;
  if (task === 'regression') {
    if (pred.length !== n) throw new Error(`regression predictions need ${n} values, got ${pred.length}`);
    return { rmse: rmse(y, pred, w), mae: mae(y, pred, w), r2: r2(y, pred, w) };
  }
  if (task === 'binary') {
    if (decision && decision.positiveIndex !== 0 && decision.positiveIndex !== 1)
      throw new Error(`positive class index must be 0 or 1, got ${decision.positiveIndex}`);
    // Metrics of the positive class: its probability as the score, its rows as class 1.
    const { pos, score } = binaryForPositive(y, pred, decision?.positiveIndex ?? 1);
    const threshold = decision?.threshold ?? 0.5;
    const hard = new Int32Array(n);
    for (let i = 0; i < n; i++) hard[i] = score[i] >= threshold ? 1 : 0;
    return {
      roc_auc: rocAuc(pos, score, w),
      pr_auc: prAuc(pos, score, w),
      log_loss: binaryLogLoss(pos, score, w),
      accuracy: accuracy(pos, hard, w),
      f1: f1(pos, hard, w),
      balanced_accuracy: balancedAccuracy(pos, hard, 2, w),
    };
  }
  if (pred.length !== n * nClasses) {
    throw new Error(`multiclass predictions need ${n}×${nClasses} values, got ${pred.length}`);
  }
  const hard = argmaxRows(pred, nClasses);
  return {
    log_loss: multiclassLogLoss(y, pred, nClasses, w),
    accuracy: accuracy(y, hard, w),
    macro_f1: macroF1(y, hard, nClasses, w),
    balanced_accuracy: balancedAccuracy(y, hard, nClasses, w),
  };
}
