/**
 * When a monitored batch's data is from — shared by `cli monitor` and the Monitor screen, so both
 * date a batch the same way. In this order:
 *
 * 1. a date column of the batch: the **median** of its dates (the middle of the period the batch
 *    covers; unlike the latest date, one mistyped future date does not move it). The column is the
 *    one the caller names, else the datetime column whose name reads as a date (`date`, `time`,
 *    `timestamp`, `day`, `created`, …), else the first datetime column. Its range is kept to show;
 * 2. else the date the user gave (`--batch-time`, the screen's date field);
 * 3. else the file's own time (its modification time: `File.lastModified`, `fs.stat` mtime);
 * 4. else when it was monitored.
 */
import { StudioError } from '../errors.ts';
import type { Column, Table } from '../data/table.ts';

export type BatchDateSource = 'column' | 'user' | 'file' | 'monitored';

export interface BatchDate {
  /** Epoch ms. */
  readonly time: number;
  readonly source: BatchDateSource;
  /** The date column (source 'column'). */
  readonly column?: string;
  /** Earliest and latest date of that column, epoch ms. */
  readonly from?: number;
  readonly to?: number;
  /** Rows of the column with a date. */
  readonly rows?: number;
  /** How the date was chosen, in words. */
  readonly reason: string;
}

export interface BatchDateOptions {
  /** The date column to use (must be a datetime column of the batch). */
  readonly column?: string;
  /** The date the user gave, epoch ms. */
  readonly userTime?: number;
  /** The file's own time, epoch ms. */
  readonly fileTime?: number;
  /** When the batch is monitored (the last resort), epoch ms. */
  readonly now: number;
}

export class BatchDateError extends StudioError {
  readonly kind = 'input';
}

const DATE_NAME = /(^|[^a-z])(date|time|timestamp|datetime|day|dt|created|updated|period|month)([^a-z]|$)/i;

const iso = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The datetime column a batch is dated by: `name` when given, else the one named like a date, else the first. */
export function dateColumnOf(table: Table, name?: string): Column | undefined {
  if (name !== undefined) {
    const col = table.columns.find((c) => c.name === name);
    if (!col) throw new BatchDateError(`the batch has no column ${name} to date it by`);
    if (col.storage !== 'datetime')
      throw new BatchDateError(
        `the column ${name} is not read as dates (type ${col.type}): it cannot date the batch`,
      );
    return col;
  }
  const dates = table.columns.filter((c) => c.storage === 'datetime');
  return dates.find((c) => DATE_NAME.test(c.name)) ?? dates[0];
}

/** Median (the lower middle for an even count, so it is one of the dates), min, max of the present dates. */
export function dateSummary(
  values: Float64Array,
): { median: number; from: number; to: number; rows: number } | undefined {
  const present = values.filter((v) => Number.isFinite(v)).sort();
  if (present.length === 0) return undefined;
  return {
    median: present[(present.length - 1) >> 1]!,
    from: present[0]!,
    to: present[present.length - 1]!,
    rows: present.length,
  };
}

/** The batch's date, by the rule above. */
export function batchDate(table: Table | undefined, o: BatchDateOptions): BatchDate {
  const col = table ? dateColumnOf(table, o.column) : undefined;
  if (col && col.storage === 'datetime') {
    const s = dateSummary(col.values);
    if (s) {
      return {
        time: s.median,
        source: 'column',
        column: col.name,
        from: s.from,
        to: s.to,
        rows: s.rows,
        reason: `the median date of column ${col.name} (${s.rows} dates from ${iso(s.from)} to ${iso(s.to)})`,
      };
    }
    if (o.column !== undefined)
      throw new BatchDateError(`the column ${col.name} has no date to date the batch by`);
  }
  const valid = (t: number | undefined): t is number => t !== undefined && Number.isFinite(t);
  if (valid(o.userTime)) return { time: o.userTime, source: 'user', reason: 'the date given' };
  if (valid(o.fileTime)) return { time: o.fileTime, source: 'file', reason: 'the file’s modification time' };
  return {
    time: o.now,
    source: 'monitored',
    reason: 'when it was monitored (no date column, date or file time)',
  };
}
