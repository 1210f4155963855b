/**
 * Performance on a batch: the actual metrics when the batch has the target, flagged as concept
 * drift when they fall outside the validation band; without the target, for classifiers, an
 * estimate from the predicted probabilities alone (confidence-based performance estimation, the
 * idea of NannyML's CBPE): if the probabilities are calibrated, row i is right with the calibrated
 * probability of the label the model gives it (the label the actual accuracy scores: P(class 1) ≥
 * 0.5 on the raw probabilities, or their argmax), so the expected accuracy is their mean — not the
 * largest calibrated probability, which is the accuracy of labels the model does not give; and the
 * expected ROC AUC is the AUC of the rows, ranked by the model's raw score as the actual AUC ranks
 * them, counted as a positive with weight p_i and as a negative with weight 1 − p_i.
 * The estimate is labelled as such, with its assumption and a standard error (accuracy: the
 * binomial spread of the expected hits; AUC: Hanley–McNeil with the expected class counts).
 * Raw model probabilities are seldom calibrated (boosted trees are over-confident: on real data
 * the raw estimate was 0.16–0.22 too high in AUC), so, as NannyML does, the batch's probabilities
 * first go through the calibration map fitted at training time on the out-of-fold (or holdout)
 * predictions (./calibration.ts, stored in reference.json). A bundle made before that has no map:
 * the estimate is then made on the raw probabilities and its assumption says so.
 *
 * Validation band: a metric is outside it when it is worse than the validation value by more than
 * max(2 × the fold spread, 0.02) for scores in [0, 1] (AUC, accuracy, F1 …), or by more than
 * max(2 × the fold spread, 10% of the validation value) for losses and errors.
 */
import { METRICS, evaluate, type TaskKind } from '../metrics/evaluate.ts';
import { accuracy, balancedAccuracy, f1, macroF1, rocAuc } from '../metrics/classification.ts';
import { applyCalibration, type Calibration } from './calibration.ts';

export interface MetricCheck {
  readonly metric: string;
  readonly value: number;
  readonly validation?: number;
  readonly validationStd?: number;
  /** The worst value still inside the band (undefined without a validation value). */
  readonly bandLimit?: number;
  readonly outsideBand: boolean;
}

export interface ActualPerformance {
  readonly kind: 'actual';
  readonly rows: number;
  readonly metrics: readonly MetricCheck[];
  /** Concept drift: the primary metric is outside the validation band. */
  readonly conceptDrift: boolean;
  /**
   * Classification: counts[t][p] rows of true class t given label p — the labels `predict` gives
   * (the bundle's decision threshold and positive class for binary), never a second thresholding.
   */
  readonly confusion?: {
    readonly classes: readonly string[];
    readonly counts: readonly (readonly number[])[];
  };
}

/**
 * The labels a classifier's metrics score: the class index per row that the bundle's `predict`
 * gives (bundle-predict.ts: the recorded binary decision, else argmax), and for binary the index of
 * the positive class the score metrics are for.
 */
export interface PredictedLabels {
  readonly labels: Int32Array;
  readonly positiveIndex?: number;
  readonly classes?: readonly string[];
}

export interface EstimatedPerformance {
  readonly kind: 'estimated';
  readonly method: 'CBPE';
  readonly assumption: string;
  /**
   * How the probabilities were calibrated before the estimate: the stored map's method, 'none' when
   * the reference was too small or single-class to fit one, 'not stored' for a bundle without a map.
   */
  readonly calibration?: 'isotonic' | 'platt' | 'none' | 'not stored';
  readonly rows: number;
  readonly metrics: readonly (MetricCheck & { readonly standardError: number })[];
}

const LOSSES = new Set(['log_loss', 'rmse', 'mae']);

export function bandCheck(
  metric: string,
  value: number,
  validation?: { readonly mean: number; readonly std?: number },
): MetricCheck {
  if (!validation || !Number.isFinite(validation.mean)) return { metric, value, outsideBand: false };
  const std = validation.std ?? 0;
  const info = METRICS[metric];
  const maximize = info ? info.direction === 'maximize' : !LOSSES.has(metric);
  const slack =
    maximize && metric !== 'r2'
      ? Math.max(2 * std, 0.02)
      : Math.max(2 * std, 0.1 * Math.abs(validation.mean));
  const bandLimit = maximize ? validation.mean - slack : validation.mean + slack;
  const outsideBand = Number.isFinite(value) && (maximize ? value < bandLimit : value > bandLimit);
  return {
    metric,
    value,
    validation: validation.mean,
    ...(validation.std !== undefined ? { validationStd: validation.std } : {}),
    bandLimit,
    outsideBand,
  };
}

/**
 * Actual metrics of predictions (the model's output: P(class 1) or probabilities row-major, or
 * values) against class indices / values `y` (NaN = missing target, left out).
 */
export function actualPerformance(
  task: TaskKind,
  y: Float64Array,
  pred: Float64Array,
  nClasses: number,
  primary: string,
  validation: Readonly<Record<string, { readonly mean: number; readonly std?: number }>> = {},
  predicted?: PredictedLabels,
): ActualPerformance {
  const width = task === 'regression' || pred.length === y.length ? 1 : nClasses;
  const keep: number[] = [];
  for (let i = 0; i < y.length; i++) if (!Number.isNaN(y[i]!)) keep.push(i);
  if (!keep.length) throw new Error('no row of the batch has a target value');
  const ys = Float64Array.from(keep, (i) => y[i]!);
  const ps = new Float64Array(keep.length * width);
  keep.forEach((i, k) => {
    for (let c = 0; c < width; c++) ps[k * width + c] = pred[i * width + c]!;
  });
  const positiveIndex = predicted?.positiveIndex ?? 1;
  const values = evaluate(
    task,
    ys,
    ps,
    nClasses,
    undefined,
    task === 'binary' ? { positiveIndex, threshold: 0.5 } : undefined,
  );
  let confusion: ActualPerformance['confusion'];
  if (predicted && task !== 'regression') {
    // Label metrics from the labels predict gave (not evaluate's own thresholding at 0.5).
    const hard = Int32Array.from(keep, (i) => predicted.labels[i]!);
    if (task === 'binary') {
      const pos = Int32Array.from(ys, (v) => (v === positiveIndex ? 1 : 0));
      const hit = Int32Array.from(hard, (v) => (v === positiveIndex ? 1 : 0));
      values.accuracy = accuracy(pos, hit);
      values.f1 = f1(pos, hit);
      values.balanced_accuracy = balancedAccuracy(pos, hit, 2);
    } else {
      values.accuracy = accuracy(ys, hard);
      values.macro_f1 = macroF1(ys, hard, nClasses);
      values.balanced_accuracy = balancedAccuracy(ys, hard, nClasses);
    }
    const counts = Array.from({ length: nClasses }, () => new Array<number>(nClasses).fill(0));
    ys.forEach((t, k) => counts[t]![hard[k]!]!++);
    confusion = {
      classes: predicted.classes ?? Array.from({ length: nClasses }, (_, c) => String(c)),
      counts,
    };
  }
  const metrics = Object.entries(values).map(([m, v]) => bandCheck(m, v, validation[m]));
  const main = metrics.find((m) => m.metric === primary);
  return {
    kind: 'actual',
    rows: keep.length,
    metrics,
    conceptDrift: Boolean(main?.outsideBand),
    ...(confusion ? { confusion } : {}),
  };
}

/**
 * CBPE estimate of accuracy (and ROC AUC for binary) from predicted probabilities (see header),
 * after the reference's calibration map when one is given.
 */
export function estimatedPerformance(
  task: 'binary' | 'multiclass',
  rawPred: Float64Array,
  nRows: number,
  nClasses: number,
  validation: Readonly<Record<string, { readonly mean: number; readonly std?: number }>> = {},
  options: { readonly calibration?: Calibration; readonly predicted?: PredictedLabels } = {},
): EstimatedPerformance {
  if (nRows === 0) throw new Error('the batch has no rows');
  const cal = options.calibration;
  const pred = cal ? applyCalibration(cal, task, rawPred, nRows, nClasses) : rawPred;
  const width = task === 'binary' && pred.length === nRows ? 1 : nClasses;
  // The row is right when its true class is the class the model predicts: the label the actual
  // metrics score (`predict`'s label when given — the bundle's decision threshold — else P(class 1)
  // ≥ 0.5, or the argmax of the raw probabilities), which the calibrated probabilities need not
  // agree with. P(right) is the calibrated probability of that label (as
  // NannyML's CBPE does with y_pred), not the largest calibrated probability.
  const given = options.predicted?.labels;
  if (given && given.length !== nRows) throw new Error(`predicted labels: ${given.length} for ${nRows} rows`);
  let hits = 0;
  let hitVar = 0;
  const pPos = new Float64Array(nRows);
  const rawPos = new Float64Array(nRows);
  for (let i = 0; i < nRows; i++) {
    let right: number;
    if (task === 'binary') {
      const raw = rawPred[i * width + width - 1]!;
      const p = pred[i * width + width - 1]!;
      rawPos[i] = raw;
      pPos[i] = p;
      const label = given ? given[i]! : raw >= 0.5 ? 1 : 0;
      right = label === 1 ? p : 1 - p;
    } else {
      let label = given ? given[i]! : 0;
      if (!given)
        for (let c = 1; c < width; c++) if (rawPred[i * width + c]! > rawPred[i * width + label]!) label = c;
      right = pred[i * width + label]!;
    }
    hits += right;
    hitVar += right * (1 - right);
  }
  const accuracy = hits / nRows;
  const metrics: (MetricCheck & { standardError: number })[] = [
    { ...bandCheck('accuracy', accuracy, validation.accuracy), standardError: Math.sqrt(hitVar) / nRows },
  ];
  if (task === 'binary') {
    // Expected ROC: rows ranked by the model's raw score (what the actual AUC ranks by; the
    // calibrated values have ties where the isotonic map is flat), each counted as a positive with
    // weight p and as a negative with weight 1 − p, p being its calibrated probability.
    const y = new Float64Array(2 * nRows);
    const s = new Float64Array(2 * nRows);
    const w = new Float64Array(2 * nRows);
    let nPos = 0;
    for (let i = 0; i < nRows; i++) {
      y[i] = 1;
      s[i] = rawPos[i]!;
      w[i] = pPos[i]!;
      y[nRows + i] = 0;
      s[nRows + i] = rawPos[i]!;
      w[nRows + i] = 1 - pPos[i]!;
      nPos += pPos[i]!;
    }
    const auc = rocAuc(y, s, w);
    const nNeg = nRows - nPos;
    const q1 = auc / (2 - auc);
    const q2 = (2 * auc * auc) / (1 + auc);
    const se = Math.sqrt(
      Math.max(
        0,
        (auc * (1 - auc) + (nPos - 1) * (q1 - auc * auc) + (nNeg - 1) * (q2 - auc * auc)) /
          Math.max(1, nPos * nNeg),
      ),
    );
    metrics.push({ ...bandCheck('roc_auc', auc, validation.roc_auc), standardError: se });
  }
  const limit = 'it cannot see a change in how the inputs relate to the target';
  const assumption = !cal
    ? `an estimate from the raw predicted probabilities, assuming they are calibrated (a row predicted at 0.8 is right 80% of the time); this model's reference has no calibration map (made before calibration was stored), so the estimate is likely too optimistic; ${limit}`
    : cal.method === 'none'
      ? `an estimate from the raw predicted probabilities, assuming they are calibrated (a row predicted at 0.8 is right 80% of the time): ${cal.reason}; ${limit}`
      : `an estimate from the predicted probabilities after calibration on the model's out-of-fold/holdout predictions (${cal.method === 'isotonic' ? 'isotonic regression' : 'Platt scaling'}, ${cal.rows} rows), assuming the calibrated probabilities hold on the batch (a row predicted at 0.8 is right 80% of the time); ${limit}`;
  return {
    kind: 'estimated',
    method: 'CBPE',
    assumption,
    calibration: cal ? cal.method : 'not stored',
    rows: nRows,
    metrics,
  };
}
