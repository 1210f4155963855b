/**
 * ECharts options for the Experiments / Compare screens (pure functions: data in, option out).
 * Large series are downsampled before drawing: curves with LTTB, run sets by stride, to at most
 * `MAX_DRAW_POINTS` points per series.
 */
import type { ComposeOption } from 'echarts/core';
import type {
  BarSeriesOption,
  HeatmapSeriesOption,
  LineSeriesOption,
  ParallelSeriesOption,
  ScatterSeriesOption,
} from 'echarts/charts';
import type {
  GridComponentOption,
  LegendComponentOption,
  ParallelComponentOption,
  TooltipComponentOption,
  VisualMapComponentOption,
} from 'echarts/components';
import type {
  ConfusionArtifact,
  FeatureImportanceArtifact,
  PredictedActualArtifact,
  PrArtifact,
  RocArtifact,
} from '../state/tracking-artifacts.ts';

export type TrackingChartOption = ComposeOption<
  | BarSeriesOption
  | LineSeriesOption
  | ScatterSeriesOption
  | ParallelSeriesOption
  | HeatmapSeriesOption
  | GridComponentOption
  | LegendComponentOption
  | TooltipComponentOption
  | ParallelComponentOption
  | VisualMapComponentOption
>;

export const MAX_DRAW_POINTS = 2000;

/**
 * Largest-Triangle-Three-Buckets downsampling of a curve (x ascending) to at most `threshold`
 * points; keeps the first and last point and the visual shape.
 */
export function lttb(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  threshold = MAX_DRAW_POINTS,
): [number, number][] {
  const n = xs.length;
  if (threshold >= n || threshold < 3) {
    const out: [number, number][] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = [xs[i], ys[i]];
    return out;
  }
  const out: [number, number][] = [[xs[0], ys[0]]];
  const every = (n - 2) / (threshold - 2);
  let a = 0;
  for (let i = 0; i < threshold - 2; i++) {
    const avgStart = Math.floor((i + 1) * every) + 1;
    const avgEnd = Math.min(Math.floor((i + 2) * every) + 1, n);
    let avgX = 0;
    let avgY = 0;
    for (let j = avgStart; j < avgEnd; j++) {
      avgX += xs[j];
      avgY += ys[j];
    }
    const len = Math.max(1, avgEnd - avgStart);
    avgX /= len;
    avgY /= len;
    const rangeStart = Math.floor(i * every) + 1;
    const rangeEnd = Math.floor((i + 1) * every) + 1;
    let maxArea = -1;
    let next = rangeStart;
    for (let j = rangeStart; j < rangeEnd; j++) {
      const area = Math.abs((xs[a] - avgX) * (ys[j] - ys[a]) - (xs[a] - xs[j]) * (avgY - ys[a]));
      if (area > maxArea) {
        maxArea = area;
        next = j;
      }
    }
    out.push([xs[next], ys[next]]);
    a = next;
  }
  out.push([xs[n - 1], ys[n - 1]]);
  return out;
}

/** Every k-th index of 0..n-1 so that at most `max` remain (always keeps `keep` indices). */
export function strideSample(n: number, max = MAX_DRAW_POINTS, keep: readonly number[] = []): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const k = Math.ceil(n / max);
  const set = new Set<number>(keep);
  for (let i = 0; i < n; i += k) set.add(i);
  return [...set].sort((a, b) => a - b);
}

const short = (s: string, n = 18) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export interface ParallelDim {
  readonly name: string;
  /** Shown instead of the name (e.g. a metric in words). */
  readonly label?: string;
  /** 'value' = numeric axis; 'category' = these values in this order. */
  readonly type: 'value' | 'category';
  readonly categories?: readonly string[];
}

/**
 * Parallel coordinates over the parameters and the metric. `rows[i]` = one run's values, one per
 * dimension (numbers for value axes, strings for category axes, null = missing).
 */
export function parallelOption(
  dims: readonly ParallelDim[],
  rows: readonly (readonly (number | string | null)[])[],
  names: readonly string[],
): TrackingChartOption {
  const metricDim = dims.length - 1;
  const metricVals = rows.map((r) => r[metricDim]).filter((v): v is number => typeof v === 'number');
  const min = metricVals.length ? Math.min(...metricVals) : 0;
  const max = metricVals.length ? Math.max(...metricVals) : 1;
  return {
    animation: false,
    tooltip: { trigger: 'item' },
    parallel: { left: 60, right: 110, top: dims.length > 6 ? 70 : 50, bottom: 30 },
    parallelAxis: dims.map((d, i) => ({
      dim: i,
      name: short(d.label ?? d.name, 22),
      type: d.type,
      ...(d.type === 'category' ? { data: [...(d.categories ?? [])] } : { scale: true }),
      nameLocation: 'end',
      nameGap: 12,
      nameRotate: dims.length > 6 ? 20 : 0,
      nameTextStyle: { fontSize: 12 },
      axisLabel: { fontSize: 11, hideOverlap: true },
    })),
    visualMap: {
      show: true,
      type: 'continuous',
      dimension: metricDim,
      min,
      max: max === min ? min + 1 : max,
      right: 0,
      top: 'middle',
      itemHeight: 120,
      calculable: false,
      text: [short(dims[metricDim]?.label ?? dims[metricDim]?.name ?? 'metric', 14), ''],
      inRange: { color: ['#d94e5d', '#eac736', '#50a3ba'] },
    },
    series: [
      {
        type: 'parallel',
        lineStyle: { width: 1, opacity: rows.length > 200 ? 0.25 : 0.7 },
        progressive: 500,
        data: rows.map((r, i) => ({ name: names[i], value: r.map((v) => (v === null ? '-' : v)) })),
      },
    ],
  } as TrackingChartOption;
}

export function scatterOption(
  points: readonly { x: number | string; y: number; name: string }[],
  xName: string,
  yName: string,
  categories?: readonly string[],
): TrackingChartOption {
  return {
    animation: false,
    grid: { left: 65, right: 20, top: 20, bottom: 45 },
    tooltip: { trigger: 'item' },
    xAxis: categories
      ? { type: 'category', data: [...categories], name: xName, nameLocation: 'middle', nameGap: 28 }
      : { type: 'value', scale: true, name: xName, nameLocation: 'middle', nameGap: 28 },
    yAxis: { type: 'value', scale: true, name: yName, nameLocation: 'middle', nameGap: 50 },
    series: [
      {
        type: 'scatter',
        symbolSize: points.length > 500 ? 4 : 8,
        large: points.length > 1000,
        data: points.map((p) => ({ name: p.name, value: [p.x, p.y] })),
      },
    ],
  } as TrackingChartOption;
}

export function curvesOption(
  curves: readonly { name: string; steps: ArrayLike<number>; values: ArrayLike<number> }[],
  metric: string,
): TrackingChartOption {
  return {
    animation: false,
    grid: { left: 65, right: 20, top: 35, bottom: 45 },
    tooltip: { trigger: 'axis' },
    legend: { type: 'scroll', top: 0 },
    xAxis: { type: 'value', name: 'step', nameLocation: 'middle', nameGap: 28, scale: true },
    yAxis: { type: 'value', scale: true, name: metric, nameLocation: 'middle', nameGap: 50 },
    series: curves.map((c) => ({
      type: 'line',
      name: c.name,
      showSymbol: false,
      data: lttb(c.steps, c.values),
    })),
  } as TrackingChartOption;
}

export function confusionOption(c: ConfusionArtifact): TrackingChartOption {
  const k = c.labels.length;
  const data: [number, number, number][] = [];
  let max = 0;
  for (let t = 0; t < k; t++)
    for (let p = 0; p < k; p++) {
      const v = c.counts[t * k + p];
      max = Math.max(max, v);
      data.push([p, k - 1 - t, v]);
    }
  return {
    animation: false,
    grid: { left: 80, right: 20, top: 10, bottom: 50 },
    tooltip: { trigger: 'item' },
    xAxis: { type: 'category', data: [...c.labels], name: 'predicted', nameLocation: 'middle', nameGap: 30 },
    yAxis: { type: 'category', data: [...c.labels].reverse(), name: 'true' },
    visualMap: { show: false, min: 0, max: Math.max(1, max), inRange: { color: ['#f3f7fb', '#2f6fab'] } },
    series: [{ type: 'heatmap', data, label: { show: k <= 10 } }],
  } as TrackingChartOption;
}

export function rocOption(r: RocArtifact): TrackingChartOption {
  return {
    animation: false,
    grid: { left: 50, right: 20, top: 30, bottom: 45 },
    tooltip: { trigger: 'axis' },
    legend: { type: 'scroll', top: 0 },
    xAxis: {
      type: 'value',
      min: 0,
      max: 1,
      name: 'false positive rate',
      nameLocation: 'middle',
      nameGap: 28,
    },
    yAxis: { type: 'value', min: 0, max: 1, name: 'true positive rate' },
    series: [
      ...r.curves.map((c) => ({
        type: 'line' as const,
        name: c.auc == null ? c.label : `${c.label} (AUC ${c.auc.toFixed(3)})`,
        showSymbol: false,
        data: lttb(c.fpr, c.tpr),
      })),
      {
        type: 'line' as const,
        name: 'chance',
        showSymbol: false,
        lineStyle: { type: 'dashed' as const, color: '#aaa' },
        data: [
          [0, 0],
          [1, 1],
        ],
      },
    ],
  } as TrackingChartOption;
}

export function prOption(r: PrArtifact): TrackingChartOption {
  return {
    animation: false,
    grid: { left: 50, right: 20, top: 30, bottom: 45 },
    tooltip: { trigger: 'axis' },
    legend: { type: 'scroll', top: 0 },
    xAxis: { type: 'value', min: 0, max: 1, name: 'recall', nameLocation: 'middle', nameGap: 28 },
    yAxis: { type: 'value', min: 0, max: 1, name: 'precision' },
    series: r.curves.map((c) => {
      // recall must ascend for LTTB; PR curves are usually written by threshold
      const idx = c.recall.map((_, i) => i).sort((a, b) => c.recall[a] - c.recall[b]);
      return {
        type: 'line' as const,
        name: c.ap == null ? c.label : `${c.label} (AP ${c.ap.toFixed(3)})`,
        showSymbol: false,
        data: lttb(
          idx.map((i) => c.recall[i]),
          idx.map((i) => c.precision[i]),
        ),
      };
    }),
  } as TrackingChartOption;
}

export function predictedActualOption(p: PredictedActualArtifact): TrackingChartOption {
  const idx = strideSample(p.actual.length);
  const lo = Math.min(...idx.map((i) => Math.min(p.actual[i], p.predicted[i])));
  const hi = Math.max(...idx.map((i) => Math.max(p.actual[i], p.predicted[i])));
  return {
    animation: false,
    grid: { left: 60, right: 20, top: 20, bottom: 45 },
    tooltip: { trigger: 'item' },
    xAxis: { type: 'value', scale: true, name: 'actual', nameLocation: 'middle', nameGap: 28 },
    yAxis: { type: 'value', scale: true, name: 'predicted' },
    series: [
      { type: 'scatter', symbolSize: 4, data: idx.map((i) => [p.actual[i], p.predicted[i]]) },
      {
        type: 'line',
        showSymbol: false,
        lineStyle: { type: 'dashed', color: '#aaa' },
        data: [
          [lo, lo],
          [hi, hi],
        ],
      },
    ],
  } as TrackingChartOption;
}

export function residualsOption(p: PredictedActualArtifact): TrackingChartOption {
  const idx = strideSample(p.actual.length);
  return {
    animation: false,
    grid: { left: 60, right: 20, top: 20, bottom: 45 },
    tooltip: { trigger: 'item' },
    xAxis: { type: 'value', scale: true, name: 'predicted', nameLocation: 'middle', nameGap: 28 },
    yAxis: { type: 'value', scale: true, name: 'residual' },
    series: [
      {
        type: 'scatter',
        symbolSize: 4,
        data: idx.map((i) => [p.predicted[i], p.predicted[i] - p.actual[i]]),
      },
    ],
  } as TrackingChartOption;
}

export function importanceOption(f: FeatureImportanceArtifact, top = 20): TrackingChartOption {
  const order = f.features
    .map((_, i) => i)
    .sort((a, b) => f.importance[b] - f.importance[a])
    .slice(0, top)
    .reverse();
  const max = Math.max(...f.importance.map(Math.abs), 1e-12);
  return {
    animation: false,
    grid: { left: 130, right: 20, top: 10, bottom: 30 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'value', max: 1, name: f.method ?? 'importance' },
    yAxis: { type: 'category', data: order.map((i) => short(f.features[i], 20)) },
    series: [{ type: 'bar', data: order.map((i) => f.importance[i] / max) }],
  } as TrackingChartOption;
}

/**
 * Per-fold results as folds (a category axis "fold 1…k", one bar per run), not as a curve over
 * "steps": folds are not time.
 */
export function foldsOption(
  runs: readonly { name: string; folds: ArrayLike<number>; values: ArrayLike<number> }[],
  metric: string,
): TrackingChartOption {
  let k = 0;
  for (const r of runs) for (let i = 0; i < r.folds.length; i++) k = Math.max(k, r.folds[i] + 1);
  const labels = Array.from({ length: k }, (_, i) => `fold ${i + 1}`);
  return {
    animation: false,
    grid: { left: 65, right: 20, top: 35, bottom: 45 },
    tooltip: { trigger: 'axis' },
    legend: { type: 'scroll', top: 0 },
    xAxis: { type: 'category', data: labels, name: 'fold', nameLocation: 'middle', nameGap: 28 },
    yAxis: { type: 'value', scale: true, name: metric, nameLocation: 'middle', nameGap: 50 },
    series: runs.map((r) => {
      const data: (number | null)[] = new Array(k).fill(null);
      for (let i = 0; i < r.folds.length; i++) data[r.folds[i]] = r.values[i];
      return { type: 'bar', name: r.name, data };
    }),
  } as TrackingChartOption;
}

/**
 * How strongly a parameter goes with the metric over runs: |Pearson r| for numbers, the correlation
 * ratio η for categories (both 0…1); 0 when it cannot be measured (fewer than 3 runs, one value).
 */
export function association(xs: readonly (number | string)[], ys: readonly number[]): number {
  const n = Math.min(xs.length, ys.length);
  if (n < 3) return 0;
  const my = ys.slice(0, n).reduce((a, b) => a + b, 0) / n;
  let syy = 0;
  for (let i = 0; i < n; i++) syy += (ys[i] - my) ** 2;
  if (!(syy > 0)) return 0;
  if (xs.slice(0, n).every((x) => typeof x === 'number')) {
    const x = xs as readonly number[];
    const mx = x.slice(0, n).reduce((a, b) => a + b, 0) / n;
    let sxx = 0;
    let sxy = 0;
    for (let i = 0; i < n; i++) {
      sxx += (x[i] - mx) ** 2;
      sxy += (x[i] - mx) * (ys[i] - my);
    }
    return sxx > 0 ? Math.abs(sxy) / Math.sqrt(sxx * syy) : 0;
  }
  const groups = new Map<string, { s: number; c: number }>();
  for (let i = 0; i < n; i++) {
    const g = groups.get(String(xs[i])) ?? { s: 0, c: 0 };
    g.s += ys[i];
    g.c++;
    groups.set(String(xs[i]), g);
  }
  if (groups.size < 2) return 0;
  let between = 0;
  for (const g of groups.values()) between += g.c * (g.s / g.c - my) ** 2;
  return Math.sqrt(between / syy);
}
