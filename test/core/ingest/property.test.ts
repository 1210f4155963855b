import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import Papa from 'papaparse';
import { bytesSource, ingestCsv } from '../../../src/core/ingest/index.ts';
import { Batch, tokenize, decodeComplexField, Scratch } from '../../../src/core/ingest/tokenizer.ts';
import { enc, randomChunkSource } from './helpers.ts';
import { cellText, isMissing, type Table } from '../../../src/core/data/table.ts';
import { NaMatcher } from '../../../src/core/ingest/na.ts';

const quote = (s: string): string => (/[",\n\r]/.test(s) || s === '' ? `"${s.replace(/"/g, '""')}"` : s);
const toCsv = (rows: string[][]): string => rows.map((r) => r.map(quote).join(',')).join('\r\n') + '\r\n';

const cellArb = fc.oneof(
  fc.string({
    unit: fc.constantFrom('a', 'b', ' ', ',', '"', '\n', '\r', ';', '\t', 'é', '😀', '=', '0', '1', '.'),
  }),
  fc.string({ unit: 'grapheme' }),
  fc.string(),
);

function tableTexts(t: Table): (string | null)[][] {
  return t.columns.map((c) =>
    Array.from({ length: t.nRows }, (_, i) => (isMissing(c, i) ? null : cellText(c, i))),
  );
}

describe('property: CSV round trip', () => {
  it('random string tables → RFC 4180 → ingest (columns overridden to text) give back the same cells', async () => {
    const na = new NaMatcher();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }).chain((w) =>
          fc.array(
            fc.array(
              cellArb.filter((s) => !s.includes('\0')),
              { minLength: w, maxLength: w },
            ),
            { minLength: 1, maxLength: 12 },
          ),
        ),
        async (rows) => {
          const w = rows[0].length;
          const names = Array.from({ length: w }, (_, i) => `h${i}`);
          const text = toCsv([names, ...rows]);
          const typeOverrides = Object.fromEntries(
            names.map((n, i) => [n, i % 2 ? 'categorical' : 'text'] as const),
          );
          const r = await ingestCsv(bytesSource('p.csv', enc(text)), {
            typeOverrides,
            hasHeader: true,
            delimiter: ',',
          });
          // rows whose every cell is empty become a row of missing values, not a skipped line (quoted "")
          expect(r.table.nRows).toBe(rows.length);
          const got = tableTexts(r.table);
          rows.forEach((row, i) =>
            row.forEach((cell, j) => expect(got[j][i]).toBe(na.isNaText(cell) ? null : cell)),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('property: field splitting agrees with papaparse', () => {
  const fieldArb = fc.oneof(
    fc.string({ unit: fc.constantFrom('a', 'b', ' ', 'é', '"', '1') }).filter((s) => !s.startsWith('"')),
    fc
      .string({ unit: fc.constantFrom('a', ',', '\n', '"', '\r\n', 'x') })
      .map((s) => `"${s.replace(/"/g, '""')}"`),
  );
  it('random CSV text splits into the same rows and fields', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fieldArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 }),
        fc.constantFrom('\n', '\r\n'),
        (rows, nl) => {
          const text = rows.map((r) => r.join(',')).join(nl);
          const papa = Papa.parse<string[]>(text, {
            delimiter: ',',
            newline: nl,
            skipEmptyLines: true,
            quoteChar: '"',
          });
          const expected = papa.data.filter((r) => !(r.length === 1 && r[0] === ''));
          const bytes = enc(text);
          const batch = new Batch();
          const scratch = new Scratch();
          tokenize(bytes, 0, bytes.length, true, 44, batch, {
            line: 1,
            blankLines: 0,
            blankExamples: [],
            file: 'x',
          });
          const td = new TextDecoder();
          const got: string[][] = [];
          for (let r = 0; r < batch.nRows; r++) {
            const row: string[] = [];
            for (let k = 0; k < batch.rowLen[r]; k++) {
              const i = batch.rowBase[r] + k;
              const e = batch.fe[i];
              if (e < 0)
                row.push(
                  td.decode(scratch.buf.subarray(0, decodeComplexField(bytes, batch.fs[i], ~e, scratch))),
                );
              else row.push(td.decode(bytes.subarray(batch.fs[i], e)));
            }
            got.push(row);
          }
          // A line holding one empty field is a blank line to us (skipped); papaparse skips it too unless the
          // field was quoted (""), so compare without single-empty-field rows on both sides.
          expect(got.filter((r) => !(r.length === 1 && r[0] === ''))).toEqual(expected);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('property: chunk boundaries do not matter', () => {
  it('the same bytes in random chunk sizes give identical tables', async () => {
    const rowArb = fc.tuple(
      fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
      fc.integer({ min: -50, max: 50 }),
      fc.constantFrom('red', 'green', 'blüe', '', 'NA', '"q,uoted"', '"multi\nline"', '"a ""b"""'),
      fc.constantFrom('2020-01-01', '2021-12-31T10:00:00Z', ''),
      fc.constantFrom('yes', 'no', ''),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(rowArb, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 1e9 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        async (rows, seed, nl) => {
          const text = 'x,i,c,d,b' + nl + rows.map((r) => r.join(',')).join(nl) + nl;
          const bytes = enc(text);
          const whole = await ingestCsv(bytesSource('w.csv', bytes));
          const chunked = await ingestCsv(randomChunkSource('w.csv', bytes, seed, 1 + (seed % 23)));
          expect(chunked.schema).toEqual(whole.schema);
          expect(chunked.fingerprint).toEqual(whole.fingerprint);
          expect(tableTexts(chunked.table)).toEqual(tableTexts(whole.table));
          expect(whole.table.nRows).toBe(rows.length);
        },
      ),
      { numRuns: 150 },
    );
  });
});
