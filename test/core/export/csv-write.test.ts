import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  csvLine,
  isFormulaLike,
  spreadsheetCell,
  spreadsheetLine,
} from '../../../src/core/export/csv-write.ts';

/** A plain RFC 4180 reader for one line (the reference the writer must round-trip through). */
function parseLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let cell = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (line[i] === '"' && line[i + 1] === '"') {
          cell += '"';
          i += 2;
        } else if (line[i] === '"') {
          i++;
          break;
        } else cell += line[i++];
      }
    } else while (i < line.length && line[i] !== ',') cell += line[i++];
    out.push(cell);
    if (i >= line.length) return out;
    i++; // the comma
  }
}

const LABELS = [
  '-10.000)',
  '[-10.000, -5.000)',
  '+3.5',
  '-10',
  '-1e5',
  '=1+2',
  '@home',
  '+cmd',
  '-x',
  'a,b',
  'say "hi"',
];

describe('predictions.csv cells', () => {
  it('are faithful: every label round-trips exactly, headers included', () => {
    expect(parseLine(csvLine(LABELS))).toEqual(LABELS);
    expect(csvLine(['-10.000)', '10.000)', 'prediction'])).toBe('-10.000),10.000),prediction');
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme' }), { minLength: 1, maxLength: 6 }), (cells) => {
        expect(parseLine(csvLine(cells))).toEqual(cells);
      }),
    );
  });
});

describe('the spreadsheet-safe copy', () => {
  it('never escapes a number', () => {
    for (const n of ['-10', '+3.5', '-1e5', '-0.25', '+.5', '-1E-7', '12'])
      expect(spreadsheetCell(n)).toBe(n);
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        expect(spreadsheetCell(String(x))).toBe(String(x));
        expect(spreadsheetCell(`+${Math.abs(x)}`)).toBe(`+${Math.abs(x)}`);
      }),
    );
  });

  it('escapes what a spreadsheet would run, and only that', () => {
    expect(spreadsheetCell('=1+2')).toBe("'=1+2");
    expect(spreadsheetCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(spreadsheetCell('+cmd|calc')).toBe("'+cmd|calc");
    expect(spreadsheetCell('-2+3+cmd')).toBe("'-2+3+cmd");
    expect(spreadsheetCell('-10.000)')).toBe("'-10.000)");
    expect(spreadsheetCell('\tx')).toBe("'\tx");
    expect(spreadsheetCell('\rx')).toBe('"\'\rx"');
    expect(spreadsheetCell('plain')).toBe('plain');
    expect(spreadsheetLine(['=a,b', 'x'])).toBe('"\'=a,b",x');
    fc.assert(
      fc.property(fc.string(), (s) => {
        const cell = spreadsheetCell(s);
        const back = parseLine(cell)[0];
        // Either unchanged, or the same text behind one apostrophe; never formula-like after.
        expect(back === s || back === `'${s}`).toBe(true);
        expect(isFormulaLike(back)).toBe(false);
      }),
    );
  });
});
