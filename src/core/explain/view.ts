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

/** The output partial dependence shows: P(positive), P(a class) or the value, per row. */
function pdpOutput(bundle: LoadedBundle, sample: Table): { f: (t: Table) => number[]; words: string } {
  const { task, classes, decision } = bundle.manifest;
  if (task === 'regression')
    return { f: (t) => Array.from(predictTable(bundle, t).values), words: 'predicted value' };
  const K = classes?.length ?? bundle.model.nClasses;
  let c: number;
  if (task === 'binary') {
    const k = decision && classes ? classes.indexOf(decision.positiveClass) : 1;
    c = k < 0 ? 1 : k;
  } else {
    // multiclass: the class predicted most often in the sample
    const labels = predictTable(bundle, sample).labels ?? new Int32Array(0);
    const counts = new Array<number>(K).fill(0);
    for (const l of labels) counts[l]!++;
    c = counts.indexOf(Math.max(...counts));
  }
  return {
    f: (t) => {
      const p = predictTable(bundle, t).values;
      return Array.from({ length: t.nRows }, (_, i) => p[i * K + c]!);
    },
    words: `probability of ${classes?.[c] ?? `class ${c}`}`,
  };
}

function partialDependence(
  sample: Table,
  name: string,
  f: (t: Table) => number[],
  gridPoints: number,
  iceRows: number,
): PartialDependence | null {
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
  const mean = grid.map((_, g) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += out[g * n + i]!;
    return s / n;
  });
  const ice = Array.from({ length: Math.min(iceRows, n) }, (_, i) => grid.map((_, g) => out[g * n + i]!));
  return { column: name, grid: grid.map((g) => g.text), x, mean, ice };
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

  const { f, words } = pdpOutput(bundle, sample);
  const pdp: PartialDependence[] = [];
  for (const name of cols) {
    if (pdp.length >= (options.pdpColumns ?? 3)) break;
    const d = partialDependence(sample, name, f, options.gridPoints ?? 12, options.iceRows ?? 20);
    if (d) pdp.push(d);
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
    pdpOutput: words,
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
  };
}
