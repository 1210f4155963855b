/**
 * Chart data of a trained model's validation predictions — the Train screen's results, and the chart
 * artifacts a run records (./artifacts.ts) — computed where the model is trained, kept small
 * (downsampled), in plain data that crosses a worker boundary and serializes to JSON.
 */
import { argmaxRows, confusionMatrix, positiveScores, rocCurve } from '../metrics/index.ts';
import { decideLabels, decisionChartData, type Decision, type DecisionChartData } from '../train/decision.ts';

export interface RoundPoint {
  readonly round: number;
  readonly train: number;
  readonly valid?: number;
}

/** Chart data for the results (all small: series are downsampled). */
export interface TrainCharts {
  /** Learning curve (at most MAX_CURVE_POINTS points). */
  readonly curve: readonly RoundPoint[];
  readonly curveMetric: string;
  /** Classification: counts, row = true class, column = predicted class (row-major). */
  readonly confusion?: { readonly labels: readonly string[]; readonly counts: readonly number[] };
  /** Binary: ROC curve points (at most MAX_SCATTER_POINTS). */
  readonly roc?: { readonly fpr: readonly number[]; readonly tpr: readonly number[] };
  /** Tree models: total split gain per feature (the largest MAX_IMPORTANCE_FEATURES, largest first). */
  readonly importance?: {
    readonly features: readonly string[];
    readonly importance: readonly number[];
    readonly method: 'gain';
  };
  /** Binary: the decision (positive class, threshold) and the held-out rows to move it live. */
  readonly decision?: DecisionChartData;
  /** Regression: validation actual vs predicted (a seeded sample of at most MAX_SCATTER_POINTS rows). */
  readonly regression?: {
    readonly actual: readonly number[];
    readonly predicted: readonly number[];
    readonly total: number;
  };
}

export const MAX_CURVE_POINTS = 1000;
export const MAX_SCATTER_POINTS = 2000;
export const MAX_IMPORTANCE_FEATURES = 30;

/** Evenly spaced indices 0..n-1, at most `max`, always including the last. */
function spread(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  for (let k = 0; k < max - 1; k++) out.push(Math.floor((k * (n - 1)) / (max - 1)));
  out.push(n - 1);
  return out;
}

export function charts(
  task: string,
  classes: readonly string[] | undefined,
  y: Float64Array,
  pred: Float64Array,
  curve: readonly RoundPoint[],
  curveMetric: string,
): TrainCharts {
  const shownCurve = spread(curve.length, MAX_CURVE_POINTS).map((i) => curve[i]);
  if (task === 'regression') {
    const idx = spread(y.length, MAX_SCATTER_POINTS);
    return {
      curve: shownCurve,
      curveMetric,
      regression: { actual: idx.map((i) => y[i]), predicted: idx.map((i) => pred[i]), total: y.length },
    };
  }
  const k = classes?.length ?? 2;
  const labels = classes ?? Array.from({ length: k }, (_, i) => String(i));
  const yi = Int32Array.from(y);
  const hard =
    task === 'binary'
      ? Int32Array.from(positiveScores(pred, y.length), (p) => (p >= 0.5 ? 1 : 0))
      : argmaxRows(pred, k);
  const out: TrainCharts = {
    curve: shownCurve,
    curveMetric,
    confusion: { labels, counts: Array.from(confusionMatrix(yi, hard, k)) },
  };
  if (task !== 'binary') return out;
  const roc = rocCurve(yi, positiveScores(pred, y.length));
  const idx = spread(roc.length, MAX_SCATTER_POINTS);
  return { ...out, roc: { fpr: idx.map((i) => roc[i].fpr), tpr: idx.map((i) => roc[i].tpr) } };
}

/** Feature importance (total split gain) of a tree model, by feature name; undefined for other models. */
export function importanceChart(
  model: unknown,
  featureNames: readonly string[],
): TrainCharts['importance'] | undefined {
  const m = model as { featureImportance?: (kind: 'gain') => Float64Array };
  if (typeof m.featureImportance !== 'function') return undefined;
  const gain = m.featureImportance('gain');
  const order = Array.from(gain.keys())
    .filter((j) => gain[j] > 0)
    .sort((a, b) => gain[b] - gain[a] || a - b)
    .slice(0, MAX_IMPORTANCE_FEATURES);
  if (!order.length) return undefined;
  return {
    features: order.map((j) => featureNames[j] ?? `feature ${j}`),
    importance: order.map((j) => gain[j]),
    method: 'gain',
  };
}

/** Binary decisions (issue 13): the confusion matrix at the chosen threshold, and the rows to move it. */
export function decisionCharts(
  classes: readonly string[] | undefined,
  validation: { readonly y: Float64Array; readonly pred: Float64Array },
  decision: Decision | undefined,
): Partial<Pick<TrainCharts, 'decision' | 'confusion'>> {
  if (!decision || !classes || classes.length !== 2) return {};
  const n = validation.y.length;
  const labels = decideLabels(validation.pred, n, classes, decision);
  return {
    decision: decisionChartData(classes, validation.y, validation.pred, decision),
    confusion: {
      labels: classes,
      counts: Array.from(confusionMatrix(Int32Array.from(validation.y), labels, 2)),
    },
  };
}
