/**
 * Batch dates (src/core/monitor/batch-date.ts): the median date of the batch's date column, else
 * the user's date, else the file's time, else when monitored; which column is chosen; bad columns.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ingestCsv } from '../../../src/core/ingest/ingest.ts';
import { bytesSource } from '../../../src/core/ingest/index.ts';
import type { Column, Table } from '../../../src/core/data/table.ts';
import {
  BatchDateError,
  batchDate,
  dateColumnOf,
  dateSummary,
} from '../../../src/core/monitor/batch-date.ts';

const datetime = (name: string, values: number[]): Column => ({
  name,
  type: 'datetime',
  storage: 'datetime',
  values: Float64Array.from(values),
  format: 'iso',
});
const numeric = (name: string, values: number[]): Column => ({
  name,
  type: 'numeric',
  storage: 'float64',
  values: Float64Array.from(values),
});
const table = (...columns: Column[]): Table => ({
  nRows: columns[0] && columns[0].storage !== 'dict' ? columns[0].values.length : 0,
  columns,
});

const NOW = Date.parse('2026-12-03T12:00:00Z');

describe('batchDate', () => {
  it('dates a batch by the median of its date column, with the range, before any other date', () => {
    const days = ['2026-04-03', '2026-04-01', '2026-04-30', '2026-04-10', '2026-04-07'].map(Date.parse);
    const t = table(numeric('x', [1, 2, 3, 4, 5]), datetime('order_date', days));
    const d = batchDate(t, { now: NOW, userTime: Date.parse('2020-01-01'), fileTime: 5 });
    expect(d).toMatchObject({
      source: 'column',
      column: 'order_date',
      time: Date.parse('2026-04-07'),
      from: Date.parse('2026-04-01'),
      to: Date.parse('2026-04-30'),
      rows: 5,
    });
    expect(d.reason).toBe('the median date of column order_date (5 dates from 2026-04-01 to 2026-04-30)');
  });

  it('one mistyped future date does not move the median', () => {
    const days = ['2026-04-01', '2026-04-02', '2026-04-03', '2099-01-01'].map(Date.parse);
    expect(batchDate(table(datetime('day', days)), { now: NOW }).time).toBe(Date.parse('2026-04-02'));
  });

  it('else the user date, else the file time, else now', () => {
    const t = table(numeric('x', [1, 2]));
    expect(batchDate(t, { now: NOW, userTime: 7, fileTime: 5 })).toMatchObject({ source: 'user', time: 7 });
    expect(batchDate(t, { now: NOW, fileTime: 5 })).toMatchObject({ source: 'file', time: 5 });
    expect(batchDate(t, { now: NOW, userTime: NaN })).toMatchObject({ source: 'monitored', time: NOW });
    expect(batchDate(undefined, { now: NOW })).toMatchObject({ source: 'monitored', time: NOW });
    // A date column with no date at all falls through to the next rule.
    const empty = table(datetime('date', [NaN, NaN]));
    expect(batchDate(empty, { now: NOW, userTime: 7 })).toMatchObject({ source: 'user', time: 7 });
  });

  it('chooses the column named like a date over the first datetime column; a named column must be dates', () => {
    const t = table(
      datetime('birth', [Date.parse('1990-01-01')]),
      numeric('amount', [3]),
      datetime('event_time', [Date.parse('2026-04-01')]),
    );
    expect(dateColumnOf(t)?.name).toBe('event_time');
    expect(dateColumnOf(table(datetime('birth', [0]), datetime('signup', [1])))?.name).toBe('birth');
    expect(dateColumnOf(t, 'birth')?.name).toBe('birth');
    expect(() => dateColumnOf(t, 'amount')).toThrow(BatchDateError);
    expect(() => dateColumnOf(t, 'amount')).toThrow(/amount is not read as dates \(type numeric\)/);
    expect(() => dateColumnOf(t, 'nope')).toThrow(/no column nope/);
    expect(() => batchDate(table(datetime('d', [NaN])), { now: NOW, column: 'd' })).toThrow(/no date/);
  });

  it('property: the median is one of the dates, between the earliest and the latest, whatever the order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: -1e12, max: 4e12 }), fc.constant(NaN)), { minLength: 1 }),
        (values) => {
          const s = dateSummary(Float64Array.from(values));
          const present = values.filter((v) => Number.isFinite(v));
          if (present.length === 0) {
            expect(s).toBeUndefined();
            return;
          }
          expect(s!.rows).toBe(present.length);
          expect(present).toContain(s!.median);
          expect(s!.from).toBe(Math.min(...present));
          expect(s!.to).toBe(Math.max(...present));
          const below = present.filter((v) => v < s!.median).length;
          const above = present.filter((v) => v > s!.median).length;
          expect(below).toBeLessThanOrEqual(Math.floor(present.length / 2));
          expect(above).toBeLessThanOrEqual(Math.ceil(present.length / 2));
          const reversed = dateSummary(Float64Array.from([...values].reverse()));
          expect(reversed).toEqual(s);
        },
      ),
    );
  });

  it('reads a date column from a CSV as the ingest types it', async () => {
    const csv = 'x,when\n1,2026-04-01\n2,2026-04-05\n3,2026-04-09\n';
    const { table: t } = await ingestCsv(bytesSource('b.csv', new TextEncoder().encode(csv)));
    expect(batchDate(t, { now: NOW })).toMatchObject({
      source: 'column',
      column: 'when',
      time: Date.parse('2026-04-05'),
    });
  });
});
