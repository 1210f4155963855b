import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatDateAs, isoToFormat } from '../../../src/core/data/date-text.ts';
import {
  DATE_FORMATS,
  formatName,
  parseDateText,
  TIME_FRAC,
  TIME_HM,
  TIME_S,
  TIME_T,
  TIME_TZ,
} from '../../../src/core/ingest/datetime.ts';

const MIN = Date.UTC(1000, 0, 1);
const MAX = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

describe('formatDateAs', () => {
  it('writes the examples in the file’s own format', () => {
    const ms = Date.UTC(2012, 0, 25);
    expect(formatDateAs(ms, 'dd/mm/yyyy')).toBe('25/01/2012');
    expect(formatDateAs(ms, 'mm-dd-yyyy')).toBe('01-25-2012');
    expect(formatDateAs(ms, 'yyyy.mm.dd')).toBe('2012.01.25');
    const t = Date.UTC(2012, 0, 25, 7, 5, 9, 42);
    expect(formatDateAs(t, 'yyyy-mm-dd HH:MM:SS')).toBe('2012-01-25 07:05:09');
    expect(formatDateAs(t, 'yyyy-mm-ddTHH:MM:SS.sss±hh:mm')).toBe('2012-01-25T07:05:09.042Z');
    expect(isoToFormat('2012-01-01T00:00:00.000Z', 'dd.mm.yyyy')).toBe('01.01.2012');
    // unknown format or text: left as it is
    expect(isoToFormat('2012-01-01T00:00:00.000Z', undefined)).toBe('2012-01-01T00:00:00.000Z');
    expect(isoToFormat('', 'dd/mm/yyyy')).toBe('');
    expect(isoToFormat('not a date', 'dd/mm/yyyy')).toBe('not a date');
  });

  it('never hides a time of day that a date-only format cannot show', () => {
    expect(formatDateAs(Date.UTC(2020, 1, 29, 13, 0, 1), 'dd/mm/yyyy')).toBe('29/02/2020 13:00:01');
  });

  // The independent check: the ingest parser reads the text back to the same instant, for every
  // date order and separator and every time part it recognises.
  it('round-trips through the ingest parser for every format (property)', () => {
    const flagSets = [
      0,
      TIME_HM,
      TIME_HM | TIME_S,
      TIME_HM | TIME_S | TIME_T,
      TIME_HM | TIME_S | TIME_FRAC | TIME_T,
      TIME_HM | TIME_S | TIME_FRAC | TIME_TZ | TIME_T,
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: MIN, max: MAX }),
        fc.constantFrom(...DATE_FORMATS),
        fc.constantFrom(...flagSets),
        (raw, f, flags) => {
          // keep only the precision the format carries
          const unit = flags & TIME_FRAC ? 1 : flags & TIME_S ? 1000 : flags & TIME_HM ? 60_000 : 86_400_000;
          const ms = Math.floor(raw / unit) * unit;
          const text = formatDateAs(ms, formatName(f, flags));
          expect(parseDateText(text, f)).toBe(ms);
        },
      ),
      { numRuns: 500 },
    );
  });
});
