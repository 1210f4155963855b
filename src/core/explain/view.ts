/**
 * The Explain view's data (the use case behind the run page's Explain tab, computed in a worker and
 * cached as the run's `explain.json` artifact): on a seeded sample of rows of the data, per-row
 * contributions (rows.ts) for the global importance (mean |contribution| per column), the beeswarm,
 * the dependence plots and the waterfalls; permutation importance when the data has the target
 * (explain-bundle.ts); partial dependence with ICE curves for the top columns. Plain JSON (no typed
 * arrays, no NaN: missing values are null), so it is stored and read back as is.
 */
import { cellText, columnByName, isMissing, type Column, type Table } from '../data/table.ts';
import { predictTable, type LoadedBundle } from '../export/bundle.ts';
import { explainBundle } from './explain-bundle.ts';
import { gatherColumn } from './permutation.ts';
import { explainedGroup, explainRows, sampleRows, type ExplainMethod, type ExplainScale } from './rows.ts';

export const EXPLAIN_VIEW_ARTIFACT = 'explain.json';

export interface PartialDependence {
  readonly column: string;
  /** Grid points as text (numbers or categories), in order. */
  readonly grid: readonly string[];
  /** Numeric grid values (numeric columns) for a value axis; null for categories. */
  readonly x: readonly number[] | null;
  /** Mean output over the sampled rows with the column set to each grid point. */
  readonly mean: readonly number[];
  /** Individual conditional expectation: the same for each of the first rows of the sample. */
  readonly ice: readonly (readonly number[])[];
}

/** One class of a multiclass model: every view of it, for the "Explain class" choice. */
export interface ClassExplanation {
  readonly label: string;
  /** Per row of the sample: this class's base value and output (base + contributions). */
  readonly base: readonly number[];
  readonly output: readonly number[];
  /** Per column, in the view's `importance` order: each row's contribution to this class's output. */
  readonly contributions: readonly (readonly number[])[];
  /** Columns by mean |contribution| to this class, largest first. */
  readonly importance: readonly { readonly column: string; readonly meanAbs: number }[];
  /** Partial dependence of this class's probability, for this class's top columns. */
  readonly pdpOutput: string;
  readonly pdp: readonly PartialDependence[];
}

export interface ExplainView {
  readonly kind: 'automl-studio-explain-view';
  readonly formatVersion: 1;
  /** When it was computed (epoch ms). */
  readonly computedAt: number;
  readonly seed: number;
  /** Rows explained (the sample) and rows in the data. */
  readonly rows: number;
  readonly totalRows: number;
  readonly dataName: string;
  readonly task: string;
  readonly method: ExplainMethod;
  readonly scale: ExplainScale;
  readonly description: string;
  /** What the partial dependence shows, in words (the probability of a class, or the value). */
  readonly pdpOutput: string;
  readonly notes: readonly string[];
  /** Columns by mean |contribution|, largest first. */
  readonly importance: readonly { readonly column: string; readonly meanAbs: number }[];
  readonly permutation?: {
    readonly metric: string;
    readonly rows: number;
    readonly repeats: number;
    readonly results: readonly { readonly column: string; readonly drop: number; readonly std: number }[];
  };
  readonly sample: {
    /** Row numbers in the data (0-based, header excluded). */
    readonly row: readonly number[];
    readonly base: readonly number[];
    readonly output: readonly number[];
    readonly prediction: readonly string[];
    /** The class each row's contributions explain (classification). */
    readonly explainedClass?: readonly string[];
    /** Per column (in `importance` order): each row's contribution. */
    readonly contributions: readonly (readonly number[])[];
    /** Per column: each row's value as a number for colour and dependence (codes for categories), null when missing. */
    readonly values: readonly (readonly (number | null)[])[];
    /** Per column: each row's value as text. */
    readonly text: readonly (readonly string[])[];
    /** Per column: whether it is a category (dependence plots show its values by name). */
    readonly categorical: readonly boolean[];
  };
  readonly pdp: readonly PartialDependence[];
  /**
   * Multiclass only: each class's explanation (in the order of the bundle's classes), and the class
   * the global views show by default (the one predicted most often in the sample; the top-level
   * `importance` and `pdp` are for each row's predicted class and for that class).
   */
  readonly classes?: { readonly defaultClass: number; readonly byClass: readonly ClassExplanation[] };
}

export interface ExplainViewOptions {
  /** Rows explained (a seeded sample; default 200). */
  readonly rows?: number;
  readonly seed?: number;
  /** Rows for permutation importance (default 2,000) and its repeats (default 3). */
  readonly permutationRows?: number;
  readonly repeats?: number;
  /** Columns with partial dependence (default 3), grid points (default 12), ICE curves (default 20). */
  readonly pdpColumns?: number;
  readonly gridPoints?: number;
  readonly iceRows?: number;
  /** Sampling explainer (MLPs, ensembles): permutations and background rows. */
  readonly permutations?: number;
  readonly background?: number;
  readonly dataName?: string;
  readonly now?: () => number;
}

function subset(table: Table, rows: ArrayLike<number>): Table {
  return { nRows: rows.length, columns: table.columns.map((c) => gatherColumn(c, rows)) };
}

function numberOf(col: Column, i: number): number | null {
  if (isMissing(col, i)) return null;
  switch (col.storage) {
    case 'dict':
      return col.codes[i]!;
    case 'bool':
      return col.values[i]!;
    default: {
      const v = col.values[i]!;
      return Number.isFinite(v) ? v : null;
    }
  }
}

/**
 * The outputs partial dependence shows, per row: P(positive) (binary), every class's probability
 * (multiclass: `width` = the classes) or the value (regression); `index` is the output shown by default
 * (the positive class; for multiclass the class predicted most often in the sample).
 */
function pdpOutputs(
  bundle: LoadedBundle,
  sample: Table,
): { f: (t: Table) => Float64Array; width: number; index: number; words: (k: number) => string } {
  const { task, classes, decision } = bundle.manifest;
  if (task === 'regression')
    return {
      f: (t) => Float64Array.from(predictTable(bundle, t).values),
      width: 1,
      index: 0,
      words: () => 'predicted value',
    };
  const K = classes?.length ?? bundle.model.nClasses;
  let c: number;
  if (task === 'binary') {
    const k = decision && classes ? classes.indexOf(decision.positiveClass) : 1;
    c = k < 0 ? 1 : k;
  } else c = mostPredicted(predictTable(bundle, sample).labels, K);
  return {
    f: (t) => Float64Array.from(predictTable(bundle, t).values.subarray(0, t.nRows * K)),
    width: K,
    index: c,
    words: (k) => `probability of ${classes?.[k] ?? `class ${k}`}`,
  };
}

/** The class predicted most often (the first of equals). */
function mostPredicted(labels: ArrayLike<number> | undefined, K: number): number {
  const counts = new Array<number>(K).fill(0);
  for (let i = 0; i < (labels?.length ?? 0); i++) counts[labels![i]!]!++;
  return counts.indexOf(Math.max(...counts));
}

/** Partial dependence of every output (`width` per row of `f`) on one column; null when it has no values. */
function partialDependence(
  sample: Table,
  name: string,
  f: (t: Table) => Float64Array,
  width: number,
  gridPoints: number,
  iceRows: number,
): PartialDependence[] | null {
  const k = sample.columns.findIndex((c) => c.name === name);
  const col = sample.columns[k];
  if (!col) return null;
  const n = sample.nRows;
  // grid: quantiles of the known numbers, or the most frequent categories
  let grid: { text: string; set: (i: number) => Column }[];
  let x: number[] | null = null;
  const constant = (make: (len: number) => Column) => make;
  if (col.storage === 'dict' || col.storage === 'bool') {
    const counts = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const v = numberOf(col, i);
      if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    const top = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, gridPoints);
    grid = top.map(([v]) => {
      const at = (() => {
        for (let i = 0; i < n; i++) if (numberOf(col, i) === v) return i;
        return 0;
      })();
      return {
        text: cellText(col, at),
        set: constant((len) => gatherColumn(col, new Int32Array(len).fill(at))),
      };
    });
  } else {
    const known: number[] = [];
    for (let i = 0; i < n; i++) {
      const v = col.values[i]!;
      if (Number.isFinite(v)) known.push(v);
    }
    if (!known.length) return null;
    known.sort((a, b) => a - b);
    const pts = [
      ...new Set(
        Array.from(
          { length: gridPoints },
          (_, g) => known[Math.round((g / Math.max(1, gridPoints - 1)) * (known.length - 1))]!,
        ),
      ),
    ];
    x = pts;
    grid = pts.map((v) => ({
      text: col.storage === 'datetime' ? new Date(v).toISOString() : String(v),
      set: (len: number) => ({ ...col, values: new Float64Array(len).fill(v) }) as Column,
    }));
  }
  if (!grid.length) return null;
  // one table with every grid point stacked: rows × grid
  const G = grid.length;
  const order = Int32Array.from({ length: n * G }, (_, t) => t % n);
  const stacked = subset(sample, order);
  const parts = grid.map((g) => g.set(n));
  const merged: Column = (() => {
    const first = parts[0]!;
    if (first.storage === 'dict') {
      const codes = new Int32Array(n * G);
      parts.forEach((p, g) => codes.set((p as typeof first).codes, g * n));
      return { ...first, codes };
    }
    if (first.storage === 'bool') {
      const values = new Uint8Array(n * G);
      parts.forEach((p, g) => values.set((p as typeof first).values, g * n));
      return { ...first, values };
    }
    const values = new Float64Array(n * G);
    parts.forEach((p, g) => values.set((p as { values: Float64Array }).values, g * n));
    return { ...first, values } as Column;
  })();
  const columns = stacked.columns.slice();
  columns[k] = merged;
  const out = f({ nRows: n * G, columns });
  const W = width;
  return Array.from({ length: W }, (_, k) => {
    const mean = grid.map((_, g) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += out[(g * n + i) * W + k]!;
      return s / n;
    });
    const ice = Array.from({ length: Math.min(iceRows, n) }, (_, i) =>
      grid.map((_, g) => out[(g * n + i) * W + k]!),
    );
    return { column: name, grid: grid.map((g) => g.text), x, mean, ice };
  });
}

/** Computes the Explain view of `bundle` on `table` (read with the bundle's types). */
export function explainView(
  bundle: LoadedBundle,
  table: Table,
  options: ExplainViewOptions = {},
): ExplainView {
  const seed = options.seed ?? 0;
  const rows = sampleRows(table.nRows, options.rows ?? 200, seed);
  if (!rows.length) throw new Error('explanations need at least one row of data');
  const sample = subset(table, rows);
  const ex = explainRows(bundle, sample, {
    seed,
    ...(options.permutations !== undefined ? { permutations: options.permutations } : {}),
    ...(options.background !== undefined ? { background: options.background } : {}),
  });
  const p = predictTable(bundle, sample);
  const classes = bundle.manifest.classes;
  const C = ex.columns.length;
  const n = sample.nRows;
  const contributions = Array.from({ length: C }, () => new Array<number>(n).fill(0));
  const base: number[] = [];
  const output: number[] = [];
  const explainedClass: string[] = [];
  for (let i = 0; i < n; i++) {
    const g = explainedGroup(ex, p.labels?.[i]);
    const at = (i * ex.nGroups + g) * (C + 1);
    let o = ex.values[at + C]!;
    for (let c = 0; c < C; c++) {
      contributions[c]![i] = ex.values[at + c]!;
      o += ex.values[at + c]!;
    }
    base.push(ex.values[at + C]!);
    output.push(o);
    if (ex.groupLabels) explainedClass.push(ex.groupLabels[g]!);
  }
  const meanAbs = contributions.map((cs) => cs.reduce((s, v) => s + Math.abs(v), 0) / n);
  const order = Array.from({ length: C }, (_, c) => c).sort((a, b) => meanAbs[b]! - meanAbs[a]! || a - b);
  const cols = order.map((c) => ex.columns[c]!);
  const valueCols = cols.map((name) => columnByName(sample, name));
  const notes = [...ex.notes];

  let permutation: ExplainView['permutation'];
  const target = bundle.manifest.target;
  if (columnByName(table, target)) {
    const permRows = sampleRows(table.nRows, options.permutationRows ?? 2000, seed + 7);
    const repeats = options.repeats ?? 3;
    try {
      const e = explainBundle(bundle, subset(table, permRows), { repeats, seed });
      permutation = {
        metric: e.metric,
        rows: e.rows,
        repeats,
        results: e.permutation.map((r) => ({ column: r.column, drop: r.drop, std: r.std })),
      };
    } catch (err) {
      notes.push(`no permutation importance: ${(err as Error).message}`);
    }
  } else notes.push(`no permutation importance: the data has no ${target} column`);

  const out = pdpOutputs(bundle, sample);
  // every output's partial dependence on a column, computed once per column
  const pdpCache = new Map<string, PartialDependence[] | null>();
  const pdpOf = (name: string) => {
    if (!pdpCache.has(name))
      pdpCache.set(
        name,
        partialDependence(sample, name, out.f, out.width, options.gridPoints ?? 12, options.iceRows ?? 20),
      );
    return pdpCache.get(name)!;
  };
  const topPdp = (ranked: readonly string[], k: number): PartialDependence[] => {
    const list: PartialDependence[] = [];
    for (const name of ranked) {
      if (list.length >= (options.pdpColumns ?? 3)) break;
      const d = pdpOf(name);
      if (d) list.push(d[k]!);
    }
    return list;
  };
  const pdp = topPdp(cols, out.index);

  // multiclass: every class's values, for the "Explain class" choice
  let byClass: ClassExplanation[] | undefined;
  if (ex.nGroups > 1 && ex.groupLabels) {
    byClass = ex.groupLabels.map((label, g) => {
      const cb: number[] = [];
      const co: number[] = [];
      const cc = cols.map(() => new Array<number>(n).fill(0));
      for (let i = 0; i < n; i++) {
        const at = (i * ex.nGroups + g) * (C + 1);
        let o = ex.values[at + C]!;
        for (let k = 0; k < C; k++) {
          const v = ex.values[at + order[k]!]!;
          cc[k]![i] = v;
          o += v;
        }
        cb.push(ex.values[at + C]!);
        co.push(o);
      }
      const mean = cc.map((cs) => cs.reduce((a, v) => a + Math.abs(v), 0) / n);
      const rank = cols.map((_, k) => k).sort((a, b) => mean[b]! - mean[a]! || a - b);
      const ranked = rank.map((k) => cols[k]!);
      return {
        label,
        base: cb,
        output: co,
        contributions: cc,
        importance: rank.map((k) => ({ column: cols[k]!, meanAbs: mean[k]! })),
        pdpOutput: out.words(g),
        pdp: topPdp(ranked, g),
      };
    });
  }

  return {
    kind: 'automl-studio-explain-view',
    formatVersion: 1,
    computedAt: (options.now ?? Date.now)(),
    seed,
    rows: n,
    totalRows: table.nRows,
    dataName: options.dataName ?? 'data',
    task: bundle.manifest.task,
    method: ex.method,
    scale: ex.scale,
    description: ex.description,
    pdpOutput: out.words(out.index),
    notes,
    importance: cols.map((column, k) => ({ column, meanAbs: meanAbs[order[k]!]! })),
    ...(permutation ? { permutation } : {}),
    sample: {
      row: Array.from(rows),
      base,
      output,
      prediction: Array.from({ length: n }, (_, i) =>
        bundle.manifest.task === 'regression' || !classes ? String(p.values[i]) : classes[p.labels![i]!]!,
      ),
      ...(ex.groupLabels ? { explainedClass } : {}),
      contributions: order.map((c) => contributions[c]!),
      values: valueCols.map((col) => Array.from({ length: n }, (_, i) => (col ? numberOf(col, i) : null))),
      text: valueCols.map((col) => Array.from({ length: n }, (_, i) => (col ? cellText(col, i) : ''))),
      categorical: valueCols.map((col) => col?.storage === 'dict' || col?.storage === 'bool'),
    },
    pdp,
    ...(byClass ? { classes: { defaultClass: out.index, byClass } } : {}),
  };
}

/**
 * The view of one class of a multiclass model (`k` in the bundle's classes): importance, beeswarm,
 * dependence, partial dependence and every row's waterfall for that class's output, the columns
 * ranked by their contributions to it. The view itself when it has no classes to choose from.
 */
export function viewForClass(view: ExplainView, k: number): ExplainView {
  const cls = view.classes?.byClass[k];
  if (!cls) return view;
  const at = new Map(view.importance.map((c, i) => [c.column, i]));
  const order = cls.importance.map((c) => at.get(c.column)!);
  const s = view.sample;
  return {
    ...view,
    importance: cls.importance,
    pdpOutput: cls.pdpOutput,
    pdp: cls.pdp,
    sample: {
      ...s,
      base: cls.base,
      output: cls.output,
      explainedClass: s.row.map(() => cls.label),
      contributions: order.map((c) => cls.contributions[c]!),
      values: order.map((c) => s.values[c]!),
      text: order.map((c) => s.text[c]!),
      categorical: order.map((c) => s.categorical[c]!),
    },
  };
}
