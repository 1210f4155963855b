/**
 * The Explain view's large scatter plots — the beeswarm (one point per sampled row and top column:
 * 10,000 rows × 10 columns is 100,000 points) and the dependence plot — as columnar point data for
 * ScatterCanvas.svelte, which draws them on a canvas of their own a few thousand points per frame
 * (issue 18: no main-thread task over 100 ms; ECharts' set-up and first draw of such a series took
 * 350–480 ms). Pure: the view and the colour bins in, typed arrays out.
 */
import { COLOUR_BINS } from '../../../core/explain/colour-bins.ts';
import type { ExplainView } from '../../../core/explain/view.ts';
import { formatNumber } from '../../format.ts';

export interface Tick {
  readonly value: number;
  readonly label: string;
}

export interface ScatterData {
  readonly n: number;
  /** Each point's position, in data units. */
  readonly x: Float64Array;
  readonly y: Float64Array;
  /** Each point's colour: an index into `palette`. */
  readonly colour: Uint8Array;
  readonly palette: readonly string[];
  /** The points in drawing order: by colour (one fill style per run), then by index. */
  readonly order: Uint32Array;
  readonly xMin: number;
  readonly xMax: number;
  readonly yMin: number;
  readonly yMax: number;
  readonly xName: string;
  readonly yName: string;
  /** Named ticks (categories, the beeswarm's columns); null for numbers, ticked automatically. */
  readonly xTicks: readonly Tick[] | null;
  readonly yTicks: readonly Tick[] | null;
  /** Side of a point's square, in CSS pixels. */
  readonly size: number;
  /** The point's description in words (a tooltip), plain text. */
  readonly tip: (i: number) => string;
}

const BLUE = '#1f77b4';
const GREY = '#999';

/** Colour from low (blue) to high (red) for a value's rank in [0, 1]. */
export function colourOfRank(rank: number): string {
  const r = Math.round(31 + (214 - 31) * rank);
  const g = Math.round(119 + (39 - 119) * rank);
  const b = Math.round(180 + (40 - 180) * rank);
  return `rgb(${r},${g},${b})`;
}

/** The beeswarm's palette: COLOUR_BINS colours from low to high, then grey for missing. */
export const BEESWARM_PALETTE: readonly string[] = [
  ...Array.from({ length: COLOUR_BINS }, (_, b) => colourOfRank((b + 0.5) / COLOUR_BINS)),
  GREY,
];

/** Deterministic jitter in [−0.3, 0.3) so dense rows spread out. */
function jitter(i: number): number {
  return (((i * 2654435761) >>> 0) / 2 ** 32 - 0.5) * 0.6;
}

/** Indices sorted by colour (a counting sort: stable, linear). */
function byColour(colour: Uint8Array, colours: number): Uint32Array {
  const count = new Uint32Array(colours + 1);
  for (let i = 0; i < colour.length; i++) count[colour[i]! + 1]!++;
  for (let c = 1; c <= colours; c++) count[c]! += count[c - 1]!;
  const order = new Uint32Array(colour.length);
  for (let i = 0; i < colour.length; i++) order[count[colour[i]!]!++] = i;
  return order;
}

function range(a: Float64Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!Number.isFinite(lo)) return [0, 1];
  if (lo === hi) return [lo - 0.5, hi + 0.5];
  const pad = (hi - lo) * 0.03;
  return [lo - pad, hi + pad];
}

/**
 * The beeswarm of the top `k` columns: a row per column (the most important on top), each sampled
 * row a point at its contribution, coloured by the bin of its value's rank (`bins(column)`, from
 * src/core/explain/colour-bins.ts; missing values grey).
 */
export function beeswarmData(
  view: ExplainView,
  k: number,
  bins: (column: string, c: number) => Uint8Array,
): ScatterData {
  const C = Math.min(k, view.importance.length);
  const rows = view.sample.row.length;
  const n = C * rows;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const colour = new Uint8Array(n);
  const names = view.importance.slice(0, C).map((c) => c.column);
  for (let c = 0; c < C; c++) {
    const cs = view.sample.contributions[c]!;
    const b = bins(names[c]!, c);
    const at = C - 1 - c;
    for (let i = 0; i < rows; i++) {
      const p = c * rows + i;
      x[p] = cs[i]!;
      y[p] = at + jitter(i);
      colour[p] = b[i]!;
    }
  }
  const [xMin, xMax] = range(x);
  return {
    n,
    x,
    y,
    colour,
    palette: BEESWARM_PALETTE,
    order: byColour(colour, BEESWARM_PALETTE.length),
    xMin,
    xMax,
    yMin: -0.5,
    yMax: C - 0.5,
    xName: `contribution (${view.scale})`,
    yName: '',
    xTicks: null,
    yTicks: names.map((label, c) => ({ value: C - 1 - c, label })),
    size: n >= 2000 ? 3 : 5,
    tip: (p) => {
      const c = Math.floor(p / rows);
      const i = p - c * rows;
      const text = view.sample.text[c]?.[i] || 'missing';
      return `${names[c]} = ${text}; contribution ${formatNumber(x[p])}`;
    },
  };
}

/** Dependence: a column's value (x; categories by name) against its contribution (y), one point per sampled row with a value. */
export function dependenceData(view: ExplainView, c: number): ScatterData {
  const name = view.importance[c]?.column ?? '';
  const cs = view.sample.contributions[c] ?? [];
  const vs = view.sample.values[c] ?? [];
  const text = view.sample.text[c] ?? [];
  const categorical = view.sample.categorical[c] ?? false;
  const rowsOf: number[] = [];
  const cats = categorical ? [...new Set(text.filter((t) => t !== ''))].sort() : [];
  const catAt = new Map(cats.map((t, i) => [t, i]));
  for (let i = 0; i < cs.length; i++)
    if (categorical ? text[i] !== '' && text[i] !== undefined : vs[i] !== null && vs[i] !== undefined)
      rowsOf.push(i);
  const n = rowsOf.length;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    const i = rowsOf[p]!;
    x[p] = categorical ? catAt.get(text[i]!)! + jitter(i) * 0.8 : vs[i]!;
    y[p] = cs[i]!;
  }
  const colour = new Uint8Array(n);
  const [xMin, xMax] = categorical ? [-0.5, Math.max(0, cats.length - 1) + 0.5] : range(x);
  const [yMin, yMax] = range(y);
  return {
    n,
    x,
    y,
    colour,
    palette: [BLUE],
    order: byColour(colour, 1),
    xMin,
    xMax,
    yMin,
    yMax,
    xName: name,
    yName: 'contribution',
    xTicks: categorical ? cats.map((label, value) => ({ value, label })) : null,
    yTicks: null,
    size: n >= 2000 ? 3 : 5,
    tip: (p) => {
      const i = rowsOf[p]!;
      const value = categorical ? text[i]! : formatNumber(vs[i]!);
      return `${name} = ${value}; contribution ${formatNumber(y[p])}`;
    },
  };
}

/** Round tick values between lo and hi, about `count` of them. */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  // each tick a whole multiple of the step (no running sum to drift)
  for (let k = Math.ceil(lo / step); k * step <= hi + step * 1e-9; k++) out.push(k === 0 ? 0 : k * step);
  return out;
}

/**
 * The beeswarm in words (its text alternative): per column, the range of its contributions and the
 * mean contribution of the rows with its lowest and highest values (the lowest and highest third of
 * the colour bins), so "high values push the output up" can be read without the picture.
 */
export function beeswarmSummary(
  data: ScatterData,
  columns: readonly string[],
): { column: string; min: number; max: number; low: number | null; high: number | null }[] {
  const C = columns.length;
  const rows = C ? data.n / C : 0;
  const lowMax = Math.floor(COLOUR_BINS / 3);
  const highMin = COLOUR_BINS - lowMax;
  return columns.map((column, c) => {
    let min = Infinity;
    let max = -Infinity;
    let ls = 0;
    let ln = 0;
    let hs = 0;
    let hn = 0;
    for (let i = c * rows; i < (c + 1) * rows; i++) {
      const v = data.x[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
      const b = data.colour[i]!;
      if (b < lowMax) {
        ls += v;
        ln++;
      } else if (b >= highMin && b < COLOUR_BINS) {
        hs += v;
        hn++;
      }
    }
    return { column, min, max, low: ln ? ls / ln : null, high: hn ? hs / hn : null };
  });
}
