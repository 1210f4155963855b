/**
 * The drift report of one batch against a model's reference profile: every input column's drift
 * and data quality (see drift.ts), the columns the model needs that the batch lacks and the columns
 * it adds, the share of drifted columns and a dataset verdict — drift when at least `driftShare`
 * (default 0.5, as Evidently) of the compared columns drifted — and, when given, the drift of the
 * predictions and of the target (label drift) against their references.
 *
 * Nothing here reads files or runs a model: the runtime reads the batch with the training types and
 * passes the batch's predictions (and the reference data when it has it).
 */
import { columnByName, type Column, type Table } from '../data/table.ts';
import { SMALL_REFERENCE_MAX, columnDrift, type ColumnDrift, type DriftMethod } from './drift.ts';
import { columnValues, type ColumnReference, type ReferenceProfile } from './reference.ts';

export const DEFAULT_DRIFT_SHARE = 0.5;

export interface DriftReportOptions {
  readonly reference: ReferenceProfile;
  readonly batch: Table;
  /** The training data, when available: statistics are then computed on it (exact). */
  readonly referenceData?: Table;
  /** The batch's predictions (same meaning as the reference's `predictions`). */
  readonly predictions?: Column;
  /** The target column's name, when the batch has it (label drift). */
  readonly target?: string;
  /** Share of drifted columns at which the dataset verdict is drift (default 0.5). */
  readonly driftShare?: number;
  /** Per-column method and threshold chosen by the user. */
  readonly overrides?: Readonly<
    Record<string, { readonly method?: DriftMethod; readonly threshold?: number }>
  >;
}

export interface DriftReport {
  readonly rows: number;
  readonly columns: readonly ColumnDrift[];
  /** Input columns of the model that the batch lacks (not compared; the model cannot score). */
  readonly missingColumns: readonly string[];
  /** Columns in the batch that the model does not use. */
  readonly newColumns: readonly string[];
  readonly compared: number;
  readonly drifted: number;
  readonly driftedShare: number;
  readonly driftShare: number;
  readonly verdict: 'drift' | 'no drift';
  readonly predictionDrift?: ColumnDrift;
  readonly targetDrift?: ColumnDrift;
}

export function driftReport(options: DriftReportOptions): DriftReport {
  const { reference, batch } = options;
  const driftShare = options.driftShare ?? DEFAULT_DRIFT_SHARE;
  if (!(driftShare > 0 && driftShare <= 1))
    throw new RangeError(`drift share must be in (0, 1], got ${driftShare}`);
  if (batch.nRows === 0) throw new Error('the batch has no rows');
  const used = new Set(reference.columns.map((c) => c.name));
  const missingColumns: string[] = [];
  const columns: ColumnDrift[] = [];
  for (const ref of reference.columns) {
    const col = columnByName(batch, ref.name);
    if (!col) {
      missingColumns.push(ref.name);
      continue;
    }
    columns.push(compare(ref, col, options.referenceData && columnByName(options.referenceData, ref.name)));
  }
  const newColumns = batch.columns
    .map((c) => c.name)
    .filter((n) => !used.has(n) && n !== options.target && n !== reference.target?.name);
  const compared = columns.filter((c) => c.method !== null || c.drifted);
  const drifted = compared.filter((c) => c.drifted).length;
  const driftedShare = compared.length ? drifted / compared.length : 0;
  let predictionDrift: ColumnDrift | undefined;
  if (options.predictions && reference.predictions) {
    // Predicted probabilities and values are numbers by nature: compared as numbers (KS, or the
    // Wasserstein distance for a large reference) even when the reference holds few distinct values
    // (a small model) — a χ² test would read the refitted model's slightly different probability
    // levels as new categories.
    const ref = reference.predictions;
    const n = ref.rows - ref.missing;
    predictionDrift =
      ref.kind === 'numeric'
        ? columnDrift(ref, columnValues(options.predictions), {
            method: n <= SMALL_REFERENCE_MAX ? 'ks' : 'wasserstein',
            reason: `predictions are compared as numbers, ${n.toLocaleString('en-US')} reference values`,
          })
        : compare(ref, options.predictions, undefined);
  }
  let targetDrift: ColumnDrift | undefined;
  const targetCol = options.target !== undefined ? columnByName(batch, options.target) : undefined;
  if (targetCol && reference.target) {
    targetDrift = compare(
      reference.target,
      targetCol,
      options.referenceData && columnByName(options.referenceData, reference.target.name),
    );
  }
  return {
    rows: batch.nRows,
    columns,
    missingColumns,
    newColumns,
    compared: compared.length,
    drifted,
    driftedShare,
    driftShare,
    verdict: compared.length > 0 && driftedShare >= driftShare ? 'drift' : 'no drift',
    ...(predictionDrift ? { predictionDrift } : {}),
    ...(targetDrift ? { targetDrift } : {}),
  };

  function compare(ref: ColumnReference, col: Column, refCol: Column | undefined): ColumnDrift {
    const o = options.overrides?.[ref.name];
    return columnDrift(ref, columnValues(col), {
      ...(refCol ? { referenceData: columnValues(refCol) } : {}),
      ...(o?.method ? { method: o.method } : {}),
      ...(o?.threshold !== undefined ? { threshold: o.threshold } : {}),
    });
  }
}
