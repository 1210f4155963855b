/**
 * The target column as numbers for the models: class indices over sorted class labels
 * (classification) or values (regression). Rows with a missing target are left out and counted.
 */
import { StudioError } from '../errors.ts';
import { boolLabel, type Column, type Table } from '../data/table.ts';
import type { Task } from '../models/types.ts';

export class TrainingError extends StudioError {
  readonly kind = 'training';
  constructor(message: string) {
    super(message);
    this.name = 'TrainingError';
  }
}

export interface EncodedTarget {
  readonly task: Task;
  /** Class labels in index order (sorted), for classification. */
  readonly classes?: readonly string[];
  /** One value per kept row. */
  readonly y: Float64Array;
  /** Indices of the table rows that have a target value. */
  readonly rows: Int32Array;
  readonly droppedMissing: number;
}

function compareLabels(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(x) && Number.isFinite(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

function labelsOf(col: Column): { labelOf: (i: number) => string | null } {
  switch (col.storage) {
    case 'dict':
      return { labelOf: (i) => (col.codes[i] < 0 ? null : col.dictionary[col.codes[i]]) };
    case 'bool':
      return { labelOf: (i) => (col.values[i] === 255 ? null : boolLabel(col, col.values[i])) };
    default:
      return { labelOf: (i) => (Number.isNaN(col.values[i]) ? null : String(col.values[i])) };
  }
}

export function encodeTarget(table: Table, target: string, task: Task): EncodedTarget {
  const col = table.columns.find((c) => c.name === target);
  if (!col) throw new TrainingError(`target column '${target}' is not in the data`);
  const n = table.nRows;
  const keep: number[] = [];
  if (task === 'regression') {
    if (col.storage === 'dict') {
      throw new TrainingError(
        `target '${target}' holds text; regression needs numbers (choose a classification task)`,
      );
    }
    const values =
      col.storage === 'bool' ? Float64Array.from(col.values, (v) => (v === 255 ? NaN : v)) : col.values;
    for (let i = 0; i < n; i++) if (!Number.isNaN(values[i])) keep.push(i);
    const y = Float64Array.from(keep, (i) => values[i]);
    if (y.length < 2) throw new TrainingError(`target '${target}' has fewer than 2 values`);
    return { task, y, rows: Int32Array.from(keep), droppedMissing: n - keep.length };
  }
  const { labelOf } = labelsOf(col);
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const l = labelOf(i);
    if (l === null) continue;
    keep.push(i);
    seen.add(l);
  }
  const classes = [...seen].sort(compareLabels);
  if (classes.length < 2) {
    throw new TrainingError(
      `target '${target}' has ${classes.length} class${classes.length === 1 ? '' : 'es'}; classification needs at least 2`,
    );
  }
  if (task === 'binary' && classes.length !== 2) {
    throw new TrainingError(
      `target '${target}' has ${classes.length} classes; binary classification needs exactly 2 (choose multiclass)`,
    );
  }
  const index = new Map(classes.map((c, k) => [c, k]));
  const y = Float64Array.from(keep, (i) => index.get(labelOf(i)!)!);
  return { task, classes, y, rows: Int32Array.from(keep), droppedMissing: n - keep.length };
}
