/**
 * Chart options for the Explain view (pure: the stored ExplainView in, ECharts options out). Drawn
 * with the app's ECharts build (src/ui/charts/echarts.ts: bar, line, scatter). Tooltips are built from
 * escaped text, so a column or category name is never parsed as HTML.
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

/** Colour from low (blue) to high (red) for a value's rank in [0, 1]; grey when missing. */
function colourOf(rank: number | null): string {
  if (rank === null) return '#999';
  const r = Math.round(31 + (214 - 31) * rank);
  const g = Math.round(119 + (39 - 119) * rank);
  const b = Math.round(180 + (40 - 180) * rank);
  return `rgb(${r},${g},${b})`;
}

/** Ranks of the known values in [0, 1] (null stays null). */
function ranks(values: readonly (number | null)[]): (number | null)[] {
  // a typed array's numeric sort (no comparator calls): 10 columns × 10,000 rows stay in a few ms
  const known = Float64Array.from(values.filter((v): v is number => v !== null)).sort();
  if (known.length < 2) return values.map((v) => (v === null ? null : 0.5));
  return values.map((v) => {
    if (v === null) return null;
    let lo = 0;
    let hi = known.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (known[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    return lo / (known.length - 1);
  });
}

/** Colour bins of the beeswarm (low → high), plus one for missing values. */
const BINS = 9;

/** Scatter drawn as one batch (ECharts' large mode) once a series has this many points. */
const LARGE = 2000;
/**
 * Large series are drawn progressively, this many points per frame (ECharts' own default only
 * starts above 10,000 points a series, so a 10,000-row beeswarm or dependence plot was one long task).
 */
const PROGRESSIVE = { progressive: 2000, progressiveThreshold: 3000 } as const;

/**
 * The beeswarm: one row per column (top `k`), each sampled row a dot at its contribution, coloured by
 * its value's rank (in BINS colours, one series each, grey when missing). Points are plain arrays
 * `[contribution, y, column, row]` (no per-point objects or labels: 10,000 rows × 10 columns stay
 * cheap); large series are drawn in one batch. The tooltip names the row's value on demand.
 */
export function beeswarmOption(view: ExplainView, k: number): ChartOption {
  const C = Math.min(k, view.importance.length);
  const names = view.importance.slice(0, C).map((c) => c.column);
  const bins: number[][][] = Array.from({ length: BINS + 1 }, () => []);
  for (let c = 0; c < C; c++) {
    const cs = view.sample.contributions[c]!;
    const rk = ranks(view.sample.values[c]!);
    const y = C - 1 - c;
    for (let i = 0; i < cs.length; i++) {
      // deterministic jitter so dense columns spread out
      const jitter = (((i * 2654435761) >>> 0) / 2 ** 32 - 0.5) * 0.6;
      const r = rk[i]!;
      const bin = r === null ? BINS : Math.min(BINS - 1, Math.floor(r * BINS));
      bins[bin]!.push([cs[i]!, y + jitter, c, i]);
    }
  }
  const large = view.sample.row.length * C >= LARGE;
  return {
    animation: false,
    grid: { left: 8, right: 16, top: 8, bottom: 28, containLabel: true },
    xAxis: { type: 'value', name: `contribution (${view.scale})`, nameLocation: 'middle', nameGap: 22 },
    yAxis: {
      type: 'value',
      min: -0.5,
      max: C - 0.5,
      interval: 1,
      axisLabel: {
        formatter: (v: number) => names[C - 1 - Math.round(v)] ?? '',
        width: 110,
        overflow: 'truncate',
      },
      splitLine: { show: false },
    },
    tooltip: {
      trigger: 'item',
      formatter: (p: unknown) => {
        const d = (p as { value: [number, number, number, number] }).value;
        const text = view.sample.text[d[2]]?.[d[3]] || 'missing';
        return `${escapeHtml(`${names[d[2]]} = ${text}`)}<br>contribution ${formatNumber(d[0])}`;
      },
    },
    series: bins
      .map((data, b) => ({
        type: 'scatter' as const,
        // large samples: small squares (a filled rectangle draws much faster than a circle)
        ...(large ? { symbol: 'rect' } : {}),
        symbolSize: large ? 3 : 5,
        large,
        largeThreshold: LARGE,
        ...PROGRESSIVE,
        data,
        itemStyle: { color: b === BINS ? '#999' : colourOf((b + 0.5) / BINS) },
      }))
      .filter((series) => series.data.length > 0),
  };
}

/** Dependence: a column's value (x) against its contribution (y), one dot per sampled row. */
export function dependenceOption(view: ExplainView, c: number): ChartOption {
  const name = view.importance[c]?.column ?? '';
  const cs = view.sample.contributions[c] ?? [];
  const vs = view.sample.values[c] ?? [];
  const text = view.sample.text[c] ?? [];
  const categorical = view.sample.categorical[c] ?? false;
  if (categorical) {
    const cats = [...new Set(text.filter((t) => t !== ''))].sort();
    const data = cs.flatMap((v, i) => (text[i] ? [[cats.indexOf(text[i]!), v]] : []));
    return {
      animation: false,
      grid: { left: 8, right: 16, top: 8, bottom: 28, containLabel: true },
      xAxis: { type: 'category', data: cats, name, nameLocation: 'middle', nameGap: 22 },
      yAxis: { type: 'value', name: 'contribution' },
      tooltip: { trigger: 'item' },
      series: [
        {
          type: 'scatter',
          symbolSize: data.length >= LARGE ? 4 : 6,
          ...(data.length >= LARGE ? { symbol: 'rect' } : {}),
          large: data.length >= LARGE,
          largeThreshold: LARGE,
          ...PROGRESSIVE,
          data,
          itemStyle: { color: BLUE },
        },
      ],
    };
  }
  const data = cs.flatMap((v, i) => (vs[i] !== null ? [[vs[i]!, v]] : []));
  return {
    animation: false,
    grid: { left: 8, right: 16, top: 8, bottom: 28, containLabel: true },
    xAxis: { type: 'value', scale: true, name, nameLocation: 'middle', nameGap: 22 },
    yAxis: { type: 'value', name: 'contribution' },
    tooltip: {
      trigger: 'item',
      formatter: (p: unknown) => {
        const d = (p as { value: [number, number] }).value;
        return `${escapeHtml(name)} = ${formatNumber(d[0])}<br>contribution ${formatNumber(d[1])}`;
      },
    },
    series: [
      {
        type: 'scatter',
        symbolSize: data.length >= LARGE ? 4 : 6,
        ...(data.length >= LARGE ? { symbol: 'rect' } : {}),
        large: data.length >= LARGE,
        largeThreshold: LARGE,
        ...PROGRESSIVE,
        data,
        itemStyle: { color: BLUE },
      },
    ],
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
