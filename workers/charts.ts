/** Chart data for the Train screen's results, computed in the worker and kept small (downsampled). */
import { argmaxRows, confusionMatrix, positiveScores, rocCurve } from '../src/core/metrics/index.ts';
import {
  MAX_CURVE_POINTS,
  MAX_IMPORTANCE_FEATURES,
  MAX_SCATTER_POINTS,
  type RoundPoint,
  type TrainCharts,
} from './types.ts';

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
  curve: RoundPoint[],
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
