/**
 * The evidence a run carries: the task's full metric set over its validation predictions
 * (out-of-fold for k-fold searches), its confusion matrix (classification) or predicted-vs-actual
 * points (regression, residuals are derived from them), ROC / precision–recall curves (binary) and
 * feature importance where the model family has one.
 *
 * Pure functions over plain arrays, used by whatever records a run (the browser's search worker and
 * the CLI, through `recordSearch`): `computeEvidence` gives the metrics and the chart payloads,
 * `evidenceArtifacts` the artifacts to log. The chart payloads follow the artifact contract the
 * Experiments/Compare screens read (`src/ui/state/tracking-artifacts.ts`; the names in
 * `EVIDENCE_ARTIFACTS` are the same and a test keeps them equal).
 */
import {
  argmaxRows,
  confusionMatrix,
  evaluate,
  positiveScores,
  prCurve,
  rocCurve,
  type TaskKind,
} from '../metrics/index.ts';
import type { ArtifactInput } from './tracker.ts';
import { cellText, type Table } from '../data/table.ts';
import { csvLine } from '../export/csv-write.ts';

export const EVIDENCE_ARTIFACTS = {
  confusion: 'charts/confusion-matrix.json',
  roc: 'charts/roc.json',
  pr: 'charts/pr.json',
  predictedActual: 'charts/predicted-vs-actual.json',
  featureImportance: 'charts/feature-importance.json',
} as const;

/** Curves and scatters are kept to at most this many points. */
export const MAX_EVIDENCE_POINTS = 1000;
/** Feature importance keeps the most important this-many input columns. */
export const MAX_EVIDENCE_FEATURES = 30;

/** Importance per input column (parallel arrays, most important first). */
export interface ImportanceEvidence {
  readonly features: readonly string[];
  readonly importance: readonly number[];
  /** How it was measured, e.g. 'gain' (total split gain, summed over folds). */
  readonly method: string;
}

export interface EvidenceInput {
  readonly task: TaskKind;
  /** Class labels (index = class code) for classification. */
  readonly classes?: readonly string[];
  /** True values (class codes or numbers) of the validation rows. */
  readonly y: ArrayLike<number>;
  /** Validation predictions in the model contract (binary P(1) or two columns; row-major probabilities; values). */
  readonly pred: ArrayLike<number>;
  readonly importance?: ImportanceEvidence;
}

export interface Evidence {
  /** Every metric of the task (finite values only). */
  readonly metrics: Readonly<Record<string, number>>;
  /** Chart payloads by artifact name (see EVIDENCE_ARTIFACTS). */
  readonly charts: Readonly<Record<string, unknown>>;
}

/** Evenly spaced indices 0..n-1, at most `max`, always including the first and the last. */
export function spreadIndices(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  if (max <= 1) return n ? [n - 1] : [];
  const out: number[] = [];
  for (let k = 0; k < max - 1; k++) out.push(Math.floor((k * (n - 1)) / (max - 1)));
  out.push(n - 1);
  return out;
}

const finite = (m: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(m).filter(([, v]) => Number.isFinite(v)));

/** The metrics and chart payloads of one run's validation predictions. */
export function computeEvidence(input: EvidenceInput): Evidence {
  const { task, y, pred } = input;
  const n = y.length;
  const charts: Record<string, unknown> = {};
  if (task === 'regression') {
    const metrics = evaluate('regression', y, pred);
    const idx = spreadIndices(n, MAX_EVIDENCE_POINTS);
    charts[EVIDENCE_ARTIFACTS.predictedActual] = {
      actual: idx.map((i) => y[i]),
      predicted: idx.map((i) => pred[i]),
      total: n,
    };
    if (input.importance) charts[EVIDENCE_ARTIFACTS.featureImportance] = input.importance;
    return { metrics: finite(metrics), charts };
  }
  const k =
    task === 'binary' ? 2 : (input.classes?.length ?? Math.max(2, Math.round(pred.length / Math.max(1, n))));
  const labels = input.classes?.length === k ? input.classes : Array.from({ length: k }, (_, i) => String(i));
  const metrics: Record<string, number> = { ...evaluate(task, y, pred, k) };
  const yi = Int32Array.from({ length: n }, (_, i) => y[i]);
  let hard: Int32Array;
  if (task === 'binary') {
    const p = positiveScores(pred, n);
    hard = Int32Array.from(p, (v) => (v >= 0.5 ? 1 : 0));
    const cm = confusionMatrix(yi, hard, 2);
    const tp = cm[3];
    const fp = cm[1];
    const fn = cm[2];
    metrics.precision = tp + fp > 0 ? tp / (tp + fp) : 0;
    metrics.recall = tp + fn > 0 ? tp / (tp + fn) : 0;
    const roc = rocCurve(yi, p);
    const ri = spreadIndices(roc.length, MAX_EVIDENCE_POINTS);
    charts[EVIDENCE_ARTIFACTS.roc] = {
      curves: [
        {
          label: labels[1],
          fpr: ri.map((i) => roc[i].fpr),
          tpr: ri.map((i) => roc[i].tpr),
          ...(Number.isFinite(metrics.roc_auc) ? { auc: metrics.roc_auc } : {}),
        },
      ],
    };
    const pr = prCurve(yi, p).filter((q) => Number.isFinite(q.precision) && Number.isFinite(q.recall));
    const pi = spreadIndices(pr.length, MAX_EVIDENCE_POINTS);
    if (pr.length)
      charts[EVIDENCE_ARTIFACTS.pr] = {
        curves: [
          {
            label: labels[1],
            recall: pi.map((i) => pr[i].recall),
            precision: pi.map((i) => pr[i].precision),
            ...(Number.isFinite(metrics.pr_auc) ? { ap: metrics.pr_auc } : {}),
          },
        ],
      };
  } else {
    hard = argmaxRows(pred, k);
  }
  charts[EVIDENCE_ARTIFACTS.confusion] = {
    labels: [...labels],
    counts: Array.from(confusionMatrix(yi, hard, k)),
  };
  if (input.importance) charts[EVIDENCE_ARTIFACTS.featureImportance] = input.importance;
  return { metrics: finite(metrics), charts };
}

/** The chart payloads as artifacts (kind 'chart-data', JSON). */
export function evidenceArtifacts(ev: Evidence): ArtifactInput[] {
  const enc = new TextEncoder();
  return Object.entries(ev.charts).map(([name, value]) => ({
    name,
    kind: 'chart-data',
    bytes: enc.encode(JSON.stringify(value)),
    contentType: 'application/json',
  }));
}

/**
 * Adds a fitted model's feature importance (by engineered feature) to per-input-column totals:
 * `sources[j]` is the input column feature j came from. Models without `featureImportance` add
 * nothing. Returns whether anything was added.
 */
export function addImportance(
  totals: Map<string, number>,
  model: unknown,
  sources: readonly string[],
): boolean {
  const m = model as { featureImportance?: (kind: 'gain') => Float64Array } | null;
  if (!m || typeof m.featureImportance !== 'function') return false;
  const gain = m.featureImportance('gain');
  for (let j = 0; j < gain.length; j++) {
    const g = gain[j];
    if (!(g > 0) || !Number.isFinite(g)) continue;
    const name = sources[j] ?? `feature ${j}`;
    totals.set(name, (totals.get(name) ?? 0) + g);
  }
  return true;
}

/** The totals as evidence: most important first (ties by name), at most `max` columns; undefined when empty. */
export function importanceEvidence(
  totals: ReadonlyMap<string, number>,
  method = 'gain',
  max = MAX_EVIDENCE_FEATURES,
): ImportanceEvidence | undefined {
  const rows = [...totals].filter(([, v]) => v > 0 && Number.isFinite(v));
  if (!rows.length) return undefined;
  rows.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const top = rows.slice(0, max);
  return { features: top.map((r) => r[0]), importance: top.map((r) => r[1]), method };
}

/** How a scored file's known target compares with the predictions (the Score screen's evaluation). */
export interface ScoredEvaluation {
  readonly target: string;
  /** Rows with a usable target value (the metrics are over these). */
  readonly rows: number;
  /** Rows left out: target missing, or a class the model does not know. */
  readonly skipped: number;
  /** Target values the model never saw (classification), at most 10. */
  readonly unknown: readonly string[];
  readonly evidence: Evidence;
}

/**
 * Evaluates predictions against the file's own target column, when it has one (null otherwise).
 * `values`: probabilities (row-major, one column per class) or predicted values, one row per table
 * row; `classes`: the model's class labels (index = class code).
 */
export function evaluateScored(args: {
  readonly task: TaskKind;
  readonly classes?: readonly string[];
  readonly target: string;
  readonly table: Table;
  readonly values: ArrayLike<number>;
}): ScoredEvaluation | null {
  const { task, table, values, target } = args;
  const col = table.columns.find((c) => c.name === target);
  if (!col) return null;
  const n = table.nRows;
  const keep: number[] = [];
  const y: number[] = [];
  const unknown = new Set<string>();
  if (task === 'regression') {
    if (col.storage === 'dict') return null;
    for (let i = 0; i < n; i++) {
      const v = col.storage === 'bool' ? (col.values[i] === 255 ? NaN : col.values[i]) : col.values[i];
      if (Number.isFinite(v)) {
        keep.push(i);
        y.push(v);
      }
    }
  } else {
    const classes = args.classes ?? [];
    const index = new Map(classes.map((c, k) => [c, k]));
    for (let i = 0; i < n; i++) {
      const label = cellText(col, i);
      if (label === '') continue;
      const k = index.get(label);
      if (k === undefined) {
        if (unknown.size < 10) unknown.add(label);
        continue;
      }
      keep.push(i);
      y.push(k);
    }
  }
  if (!keep.length)
    return { target, rows: 0, skipped: n, unknown: [...unknown], evidence: { metrics: {}, charts: {} } };
  const width = task === 'regression' ? 1 : Math.max(1, args.classes?.length ?? 1);
  const pred = new Float64Array(keep.length * width);
  keep.forEach((r, j) => {
    for (let c = 0; c < width; c++) pred[j * width + c] = values[r * width + c];
  });
  const evidence = computeEvidence({ task, ...(args.classes ? { classes: args.classes } : {}), y, pred });
  return { target, rows: keep.length, skipped: n - keep.length, unknown: [...unknown], evidence };
}

/** Splits CSV text into records (RFC 4180: line breaks inside quotes belong to the field). */
function csvRecords(csv: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < csv.length; i++) {
    const ch = csv[i];
    if (ch === '"') quoted = !quoted;
    else if (ch === '\n' && !quoted) {
      out.push(csv.slice(start, i));
      start = i + 1;
    }
  }
  if (start < csv.length) out.push(csv.slice(start));
  return out;
}

/**
 * predictions.csv with the chosen input columns kept in front (e.g. an ID to join the predictions
 * back on), their cells written like every other cell of that file: `csvLine` (faithful, RFC 4180
 * quoting only) for predictions.csv, `spreadsheetLine` for the spreadsheet-safe copy.
 */
export function withKeptColumns(
  csv: string,
  table: Table,
  keep: readonly string[],
  line: (cells: readonly string[]) => string = csvLine,
): string {
  const cols = keep
    .map((name) => table.columns.find((c) => c.name === name))
    .filter((c): c is NonNullable<typeof c> => c !== undefined);
  if (!cols.length) return csv;
  const records = csvRecords(csv);
  const lines = records.map((rec, r) => {
    const cells = r === 0 ? cols.map((c) => c.name) : cols.map((c) => cellText(c, r - 1));
    return `${line(cells)},${rec}`;
  });
  return lines.join('\n') + '\n';
}
