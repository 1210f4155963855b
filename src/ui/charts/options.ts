/**
 * Chart options for a column's detail panel. Pure: profile in, ECharts option out.
 * Tooltips are built by our own formatter from escaped text, so a value such as
 * `<img src=x onerror=…>` is shown literally and never parsed as HTML.
 */
import type { ColumnProfile, HistogramBin } from '../../core/profile/types.ts';
import { escapeHtml, formatDate, formatInt, formatNumber } from '../format.ts';
import type { ChartOption } from './echarts.ts';

export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
export const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export interface ChartSpec {
  readonly kind: 'histogram' | 'weekday' | 'month' | 'top';
  readonly title: string;
  readonly labels: readonly string[];
  readonly counts: readonly number[];
}

function binLabel(b: HistogramBin, date: boolean): string {
  const f = date ? formatDate : formatNumber;
  return `${f(b.lo)} – ${f(b.hi)}`;
}

/** The charts to draw for a column (several for datetimes), or none when there is nothing to plot. */
export function chartSpecs(col: ColumnProfile): ChartSpec[] {
  if (col.numeric && col.numeric.histogram.length > 0) {
    const h = col.numeric.histogram;
    return [
      {
        kind: 'histogram',
        title: 'Histogram',
        labels: h.map((b) => binLabel(b, false)),
        counts: h.map((b) => b.count),
      },
    ];
  }
  if (col.datetime) {
    const d = col.datetime;
    return [
      { kind: 'weekday', title: 'By weekday (UTC)', labels: WEEKDAYS, counts: d.weekdays },
      { kind: 'month', title: 'By month (UTC)', labels: MONTHS, counts: d.months },
    ];
  }
  if (col.top.length > 0) {
    return [
      {
        kind: 'top',
        title: 'Most frequent values',
        labels: col.top.map((t) => t.value),
        counts: col.top.map((t) => t.count),
      },
    ];
  }
  return [];
}

interface TooltipParam {
  readonly name?: string;
  readonly value?: unknown;
}

/** Tooltip text from escaped parts only. */
export function tooltipHtml(params: TooltipParam | TooltipParam[]): string {
  const p = Array.isArray(params) ? params[0] : params;
  if (!p) return '';
  const count = typeof p.value === 'number' ? formatInt(p.value) : escapeHtml(String(p.value ?? ''));
  return `${escapeHtml(String(p.name ?? ''))}<br/>count: ${count}`;
}

const truncate = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function chartOption(spec: ChartSpec): ChartOption {
  const categorical = spec.kind === 'top';
  return {
    animation: false,
    grid: { left: 8, right: 12, top: 8, bottom: 8, containLabel: true },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      confine: true,
      formatter: (params) => tooltipHtml(params as TooltipParam | TooltipParam[]),
    },
    xAxis: categorical
      ? { type: 'value', minInterval: 1 }
      : {
          type: 'category',
          data: [...spec.labels],
          axisLabel: { hideOverlap: true, formatter: (v: string) => truncate(v, 18) },
        },
    yAxis: categorical
      ? {
          type: 'category',
          inverse: true,
          data: [...spec.labels],
          axisLabel: { formatter: (v: string) => truncate(v, 20) },
        }
      : { type: 'value', minInterval: 1 },
    series: [
      {
        type: 'bar',
        data: [...spec.counts],
        barCategoryGap: categorical ? '20%' : '2%',
        itemStyle: { color: '#2f6fab' },
      },
    ],
  };
}
