/**
 * Scoring with a loaded bundle (bundle-load.ts): predictions for a table (with the recorded binary
 * decision, else argmax) and the predictions as CSV.
 */
import type { Table } from '../data/table.ts';
import { transformTable } from '../pipeline/index.ts';
import { argmaxRows } from '../metrics/classification.ts';
import { decideLabels } from '../train/decision.ts';
import { csvLine, spreadsheetLine } from './csv-write.ts';
import { EnsembleModel } from '../search/ensemble.ts';
import type { LoadedBundle } from './bundle-load.ts';

export interface Predictions {
  /** Model output: probabilities (row-major, one column per class) or values. */
  readonly values: Float64Array;
  /** Predicted class index per row (classification). */
  readonly labels?: Int32Array;
  readonly nRows: number;
}

export function predictTable(bundle: LoadedBundle, table: Table): Predictions {
  const values = bundle.pipeline
    ? bundle.model.predict(transformTable(bundle.pipeline, table))
    : (bundle.model as EnsembleModel).predictTable(table);
  if (bundle.manifest.task === 'regression') return { values, nRows: table.nRows };
  const k = bundle.manifest.classes?.length ?? bundle.model.nClasses;
  const { decision, classes } = bundle.manifest;
  // Binary with a recorded decision: the positive class from its threshold; else argmax.
  if (bundle.manifest.task === 'binary' && decision && classes)
    return { values, labels: decideLabels(values, table.nRows, classes, decision), nRows: table.nRows };
  return { values, labels: argmaxRows(values, k), nRows: table.nRows };
}

/**
 * Predictions as CSV: one probability column per class (class labels as headers) + `prediction`, or
 * `prediction` alone. Faithful (labels exactly as trained, RFC 4180 quoting only); with
 * `spreadsheet`, formula-like cells get a leading apostrophe instead (csv-write.ts).
 */
export function predictionsCsv(
  bundle: LoadedBundle,
  p: Predictions,
  options: { readonly spreadsheet?: boolean } = {},
): string {
  const line = options.spreadsheet ? spreadsheetLine : csvLine;
  const lines: string[] = [];
  const classes = bundle.manifest.classes;
  if (bundle.manifest.task === 'regression' || !classes) {
    lines.push('prediction');
    for (let i = 0; i < p.nRows; i++) lines.push(String(p.values[i]));
  } else {
    const k = classes.length;
    lines.push(line([...classes, 'prediction']));
    for (let i = 0; i < p.nRows; i++) {
      const cells: string[] = [];
      for (let c = 0; c < k; c++) cells.push(String(p.values[i * k + c]));
      cells.push(classes[p.labels![i]]);
      lines.push(line(cells));
    }
  }
  return lines.join('\n') + '\n';
}
