/**
 * The top reasons per scored row, as extra CSV columns or JSON (the `--explain` output of
 * `cli predict`, and the Score screen's "with reasons"). Per row: the class explained (the positive
 * class for binary, the predicted class for multiclass), the base value, the K largest contributions
 * (column, the row's value, contribution — and its standard error when sampled), the sum of the other
 * contributions and the output: base + reasons + other = output, the model's output in the explained
 * scale (see rows.ts).
 */
import type { Table } from '../data/table.ts';
import type { Predictions } from '../export/bundle.ts';
import { csvLine } from '../export/csv-write.ts';
import { explainedGroup, topReasons, type Reason, type RowExplanations } from './rows.ts';

export interface RowReasons {
  /** The class whose output is explained (classification). */
  readonly explainedClass?: string;
  readonly base: number;
  readonly reasons: readonly Reason[];
  /** Sum of the contributions beyond the top K. */
  readonly other: number;
  /** base + Σ reasons + other. */
  readonly output: number;
}

/** The top `k` reasons of every row (k ≥ 1; at most the number of columns). */
export function rowReasons(
  ex: RowExplanations,
  table: Table,
  predictions: Predictions,
  k: number,
): RowReasons[] {
  const out: RowReasons[] = [];
  for (let i = 0; i < ex.nRows; i++) {
    const g = explainedGroup(ex, predictions.labels?.[i]);
    const t = topReasons(ex, table, i, g, k);
    const label = ex.groupLabels?.[g];
    out.push({
      ...(label !== undefined ? { explainedClass: label } : {}),
      base: t.base,
      reasons: t.reasons,
      other: t.rest,
      output: t.output,
    });
  }
  return out;
}

/** The extra CSV header cells for `k` reasons. */
export function reasonsHeader(ex: RowExplanations, k: number): string[] {
  const K = Math.min(k, ex.columns.length);
  const cells: string[] = ex.groupLabels ? ['explained_class'] : [];
  cells.push('base_value');
  for (let r = 1; r <= K; r++) {
    cells.push(`reason_${r}`, `reason_${r}_value`, `reason_${r}_contribution`);
    if (ex.stderr) cells.push(`reason_${r}_stderr`);
  }
  cells.push('other_contribution', 'explained_output');
  return cells;
}

/** One row's extra CSV cells (numbers as shortest round-trip text). */
export function reasonsCells(ex: RowExplanations, row: RowReasons, k: number): string[] {
  const K = Math.min(k, ex.columns.length);
  const cells: string[] = ex.groupLabels ? [row.explainedClass ?? ''] : [];
  cells.push(String(row.base));
  for (let r = 0; r < K; r++) {
    const reason = row.reasons[r];
    cells.push(reason?.column ?? '', reason?.value ?? '', reason ? String(reason.contribution) : '');
    if (ex.stderr) cells.push(reason?.stderr !== undefined ? String(reason.stderr) : '');
  }
  cells.push(String(row.other), String(row.output));
  return cells;
}

/**
 * Appends the reasons' columns to a predictions CSV (as `predictionsCsv` writes it: a header line and
 * one record per row), written with `line` (faithful by default; `spreadsheetLine` for the
 * spreadsheet-safe copy, since a reason's value is the user's own cell text).
 */
export function withReasonsCsv(
  predictionsCsv: string,
  ex: RowExplanations,
  reasons: readonly RowReasons[],
  k: number,
  line: (cells: readonly string[]) => string = csvLine,
): string {
  const lines = csvRecords(predictionsCsv);
  if (lines.length !== reasons.length + 1)
    throw new Error(`reasons: ${reasons.length} rows for ${lines.length - 1} predictions`);
  const out = [`${lines[0]},${line(reasonsHeader(ex, k))}`];
  reasons.forEach((row, i) => out.push(`${lines[i + 1]},${line(reasonsCells(ex, row, k))}`));
  return out.join('\n') + '\n';
}

/** The records of an RFC 4180 text (a line break inside quotes belongs to its field). */
function csvRecords(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (ch === '\n' && !quoted) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}
