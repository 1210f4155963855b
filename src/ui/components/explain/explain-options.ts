/**
 * Chart options for the Explain view (pure: the stored ExplainView in, ECharts options out): the
 * importance bars, PDP/ICE lines and the waterfall, drawn with the app's ECharts build
 * (src/ui/charts/echarts.ts). The large scatter plots (beeswarm, dependence) are not ECharts: see
 * scatter-data.ts and ScatterCanvas.svelte. Tooltips are built from escaped text, so a column or
 * category name is never parsed as HTML.
 */
import type { ExplainView, PartialDependence } from '../../../core/explain/view.ts';
import type { ChartOption } from '../../charts/echarts.ts';
import { escapeHtml, formatNumber } from '../../format.ts';

const BLUE = '#1f77b4';
const RED = '#d62728';
const GREY = 'rgba(120,120,120,0.35)';

/** Largest first, drawn top-down. */
export function importanceOption(
  labels: readonly string[],
  values: readonly number[],
  name: string,
  errors?: readonly number[],
): ChartOption {
  const ys = [...labels].reverse();
  const xs = [...values].reverse();
  const es = errors ? [...errors].reverse() : undefined;
  return {
    animation: false,
    grid: { left: 8, right: 16, top: 8, bottom: 24, containLabel: true },
    xAxis: { type: 'value', name, nameLocation: 'middle', nameGap: 22 },
    yAxis: { type: 'category', data: ys, axisLabel: { width: 110, overflow: 'truncate' } },
    tooltip: {
      trigger: 'item',
      formatter: (p: unknown) => {
        const i = (p as { dataIndex: number }).dataIndex;
        const e = es?.[i];
        return `${escapeHtml(ys[i] ?? '')}: ${formatNumber(xs[i])}${e !== undefined ? ` ± ${formatNumber(e)}` : ''}`;
      },
    },
    series: [{ type: 'bar', data: xs, itemStyle: { color: BLUE } }],
  };
}

/** Partial dependence (thick) over ICE curves (thin, grey). */
export function pdpOption(d: PartialDependence, output: string): ChartOption {
  const x = d.x;
  const pts = (ys: readonly number[]) => (x ? ys.map((y, g) => [x[g]!, y]) : [...ys]);
  return {
    animation: false,
    grid: { left: 8, right: 16, top: 24, bottom: 28, containLabel: true },
    legend: { data: ['average (PDP)', 'rows (ICE)'], top: 0 },
    xAxis: x
      ? { type: 'value', scale: true, name: d.column, nameLocation: 'middle', nameGap: 22 }
      : { type: 'category', data: [...d.grid], name: d.column, nameLocation: 'middle', nameGap: 22 },
    yAxis: { type: 'value', scale: true, name: output, nameTextStyle: { align: 'left' } },
    tooltip: { trigger: 'axis' },
    series: [
      ...d.ice.map((ys) => ({
        type: 'line' as const,
        name: 'rows (ICE)',
        data: pts(ys),
        showSymbol: false,
        lineStyle: { width: 1, color: GREY },
        itemStyle: { color: GREY },
        silent: true,
      })),
      {
        type: 'line' as const,
        name: 'average (PDP)',
        data: pts(d.mean),
        lineStyle: { width: 3, color: BLUE },
        itemStyle: { color: BLUE },
      },
    ],
  };
}

export interface WaterfallStep {
  readonly label: string;
  readonly contribution: number;
}

/** The steps of one sampled row's waterfall: its contributions, largest first, the rest folded after `k`. */
export function waterfallSteps(view: ExplainView, row: number, k: number): WaterfallStep[] {
  const all = view.importance.map((c, j) => ({
    label: `${c.column} = ${view.sample.text[j]![row] || 'missing'}`,
    contribution: view.sample.contributions[j]![row]!,
  }));
  all.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
  if (all.length <= k) return all;
  const rest = all.slice(k).reduce((s, a) => s + a.contribution, 0);
  return [...all.slice(0, k), { label: `${all.length - k} other columns`, contribution: rest }];
}

/**
 * Base value → each contribution (red up, blue down) → the output, as floating bars: a transparent bar
 * up to the lower end and a coloured one of the step's size. Everything is drawn shifted up so that
 * no bar is negative (stacks of mixed signs do not float), and the axis labels undo the shift.
 */
export function waterfallOption(base: number, steps: readonly WaterfallStep[], output: number): ChartOption {
  const labels = ['base value', ...steps.map((s) => s.label), 'output'];
  const spans: [number, number, string][] = [[0, base, '#888']];
  let at = base;
  for (const s of steps) {
    spans.push([at, at + s.contribution, s.contribution >= 0 ? RED : BLUE]);
    at += s.contribution;
  }
  spans.push([0, output, '#555']);
  const shift = -Math.min(0, ...spans.flatMap(([a, b]) => [a, b]));
  const lo = spans.map(([a, b]) => Math.min(a, b) + shift);
  const up = spans.map(([a, b, color]) => ({ value: Math.abs(b - a), itemStyle: { color } }));
  const signed = [base, ...steps.map((s) => s.contribution), output];
  return {
    animation: false,
    grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: labels, axisLabel: { rotate: 30, width: 90, overflow: 'truncate' } },
    yAxis: { type: 'value', min: 0, axisLabel: { formatter: (v: number) => formatNumber(v - shift) } },
    tooltip: {
      trigger: 'item',
      formatter: (p: unknown) => {
        const i = (p as { dataIndex: number }).dataIndex;
        return `${escapeHtml(labels[i] ?? '')}: ${formatNumber(signed[i])}`;
      },
    },
    series: [
      { type: 'bar', stack: 'w', data: lo, itemStyle: { color: 'transparent' }, silent: true },
      { type: 'bar', stack: 'w', data: up },
    ],
  };
}
