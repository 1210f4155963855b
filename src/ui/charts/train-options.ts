/**
 * Chart options for the Train screen. Pure: results in, ECharts option out. Only numbers and fixed
 * series names reach the tooltips (class labels are shown in HTML tables as text).
 */
import type { RoundPoint, TrainCharts } from '../../../workers/types.ts';
import type { ChartOption } from './echarts.ts';

const GRID = { left: 56, right: 16, top: 32, bottom: 40 };

export function lossCurveOption(curve: readonly RoundPoint[], metric: string): ChartOption {
  const hasValid = curve.some((p) => p.valid !== undefined);
  return {
    animation: false,
    grid: GRID,
    legend: { top: 0 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'value', name: 'round', nameLocation: 'middle', nameGap: 24, minInterval: 1 },
    yAxis: { type: 'value', name: metric, scale: true },
    series: [
      {
        type: 'line',
        name: 'train',
        showSymbol: false,
        data: curve.map((p) => [p.round, p.train]),
      },
      ...(hasValid
        ? [
            {
              type: 'line' as const,
              name: 'validation',
              showSymbol: false,
              data: curve.filter((p) => p.valid !== undefined).map((p) => [p.round, p.valid as number]),
            },
          ]
        : []),
    ],
  };
}

export function rocOption(roc: NonNullable<TrainCharts['roc']>): ChartOption {
  return {
    animation: false,
    grid: GRID,
    tooltip: { trigger: 'axis' },
    xAxis: {
      type: 'value',
      name: 'false positive rate',
      nameLocation: 'middle',
      nameGap: 24,
      min: 0,
      max: 1,
    },
    yAxis: { type: 'value', name: 'true positive rate', min: 0, max: 1 },
    series: [
      { type: 'line', name: 'ROC', showSymbol: false, data: roc.fpr.map((x, i) => [x, roc.tpr[i]]) },
      {
        type: 'line',
        name: 'chance',
        showSymbol: false,
        lineStyle: { type: 'dashed', opacity: 0.5 },
        data: [
          [0, 0],
          [1, 1],
        ],
      },
    ],
  };
}

function extent(values: readonly number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return Number.isFinite(lo) ? [lo, hi] : [0, 1];
}

export function predictedVsActualOption(reg: NonNullable<TrainCharts['regression']>): ChartOption {
  const [lo, hi] = extent([...reg.actual, ...reg.predicted]);
  return {
    animation: false,
    grid: GRID,
    xAxis: { type: 'value', name: 'actual', nameLocation: 'middle', nameGap: 24, scale: true },
    yAxis: { type: 'value', name: 'predicted', scale: true },
    series: [
      {
        type: 'scatter',
        name: 'rows',
        symbolSize: 4,
        large: true,
        data: reg.actual.map((a, i) => [a, reg.predicted[i]]),
      },
      {
        type: 'line',
        name: 'perfect',
        showSymbol: false,
        lineStyle: { type: 'dashed', opacity: 0.5 },
        data: [
          [lo, lo],
          [hi, hi],
        ],
      },
    ],
  };
}

export function residualOption(reg: NonNullable<TrainCharts['regression']>): ChartOption {
  return {
    animation: false,
    grid: GRID,
    xAxis: { type: 'value', name: 'predicted', nameLocation: 'middle', nameGap: 24, scale: true },
    yAxis: { type: 'value', name: 'residual (actual − predicted)', scale: true },
    series: [
      {
        type: 'scatter',
        name: 'rows',
        symbolSize: 4,
        large: true,
        data: reg.predicted.map((p, i) => [p, reg.actual[i] - p]),
      },
    ],
  };
}

/** AutoML search: the best validation metric so far against elapsed seconds (a step line). */
export function bestSoFarOption(
  points: readonly { readonly t: number; readonly value: number }[],
  metricLabel: string,
  endSeconds: number,
): ChartOption {
  const data = points.map((p) => [p.t, p.value]);
  if (points.length)
    data.push([Math.max(endSeconds, points[points.length - 1].t), points[points.length - 1].value]);
  return {
    animation: false,
    grid: GRID,
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'value', name: 'seconds', nameLocation: 'middle', nameGap: 24, min: 0 },
    yAxis: { type: 'value', name: metricLabel, scale: true },
    series: [{ type: 'line', name: 'best so far', step: 'end', showSymbol: true, symbolSize: 5, data }],
  };
}

/** Cumulative gains: share of the positive class found among the top share of rows by score. */
export function gainsOption(points: readonly { fraction: number; gain: number }[]): ChartOption {
  return {
    animation: false,
    grid: GRID,
    tooltip: { trigger: 'axis' },
    xAxis: {
      type: 'value',
      name: 'share of rows (highest scores first)',
      nameLocation: 'middle',
      nameGap: 24,
      min: 0,
      max: 1,
    },
    yAxis: { type: 'value', name: 'share of positives found', min: 0, max: 1 },
    series: [
      {
        type: 'line',
        name: 'model',
        showSymbol: false,
        data: [[0, 0], ...points.map((p) => [p.fraction, p.gain])],
      },
      {
        type: 'line',
        name: 'random',
        showSymbol: false,
        lineStyle: { type: 'dashed', opacity: 0.5 },
        data: [
          [0, 0],
          [1, 1],
        ],
      },
    ],
  };
}

/** Lift: how many times more positives than random picking, by share of rows taken. */
export function liftOption(points: readonly { fraction: number; lift: number }[]): ChartOption {
  return {
    animation: false,
    grid: GRID,
    tooltip: { trigger: 'axis' },
    xAxis: {
      type: 'value',
      name: 'share of rows (highest scores first)',
      nameLocation: 'middle',
      nameGap: 24,
      min: 0,
      max: 1,
    },
    yAxis: { type: 'value', name: 'lift', min: 0 },
    series: [
      { type: 'line', name: 'model', showSymbol: false, data: points.map((p) => [p.fraction, p.lift]) },
      {
        type: 'line',
        name: 'random',
        showSymbol: false,
        lineStyle: { type: 'dashed', opacity: 0.5 },
        data: [
          [0, 1],
          [1, 1],
        ],
      },
    ],
  };
}
