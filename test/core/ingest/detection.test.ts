import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ingestText, texts, typeOf, col, enc } from './helpers.ts';
import { DEFAULT_NA_TOKENS } from '../../../src/core/ingest/index.ts';
import { parseNumberBytes, parseNumberText } from '../../../src/core/ingest/number-parse.ts';
import { parseDateText, DATE_FORMATS, daysFromCivil } from '../../../src/core/ingest/datetime.ts';

describe('dialect detection', () => {
  it.each([
    [',', 'a,b,c\n1,2,3\n4,5,6\n'],
    [';', 'a;b;c\n1;2;3\n4;5;6\n'],
    ['\t', 'a\tb\tc\n1\t2\t3\n4\t5\t6\n'],
    ['|', 'a|b|c\n1|2|3\n4|5|6\n'],
    [';', 'name;note\nx;"a, b, c"\ny;"d, e"\n'],
  ])('delimiter %j', async (d, text) => {
    const r = await ingestText(text);
    expect(r.dialect.delimiter).toBe(d);
    expect(r.table.nRows).toBe(2);
  });

  it('forced delimiter and header win', async () => {
    const r = await ingestText('a;b\n1;2\n', { delimiter: ',', hasHeader: false });
    expect(r.schema.map((s) => s.name)).toEqual(['column_1']);
    expect(texts(r, 'column_1')).toEqual(['a;b', '1;2']);
  });

  it('header presence', async () => {
    expect((await ingestText('x,y\n1,2\n3,4\n')).dialect.hasHeader).toBe(true);
    expect((await ingestText('1,2\n3,4\n')).dialect.hasHeader).toBe(false);
    expect((await ingestText('2020-01-01,5\n2020-01-02,6\n')).dialect.hasHeader).toBe(false);
    // all-text columns: a first row whose values recur below is data
    expect((await ingestText('red,small\nblue,big\nred,small\n')).dialect.hasHeader).toBe(false);
    expect((await ingestText('color,size\nred,small\nblue,big\n')).dialect.hasHeader).toBe(true);
  });

  it.each([
    ['\n', 'a,b\n1,2\n3,4\n'],
    ['\r\n', 'a,b\r\n1,2\r\n3,4\r\n'],
    ['\r', 'a,b\r1,2\r3,4'],
  ])('line ending %j', async (le, text) => {
    const r = await ingestText(text);
    expect(r.dialect.lineEnding).toBe(le);
    expect(texts(r, 'b')).toEqual(['2', '4']);
  });

  it('quoted fields with embedded newlines, delimiters and doubled quotes', async () => {
    const r = await ingestText('k,v\n1,"a\nb"\n2,"x,y"\n3,"say ""hi"""\n4,""\n5,"tail"end\n');
    expect(texts(r, 'v')).toEqual(['a\nb', 'x,y', 'say "hi"', null, 'tailend']);
  });

  it('row numbers count physical lines (embedded newlines, blank lines)', async () => {
    const r = await ingestText('a,b\n1,"x\ny"\n\n2\n');
    const f = r.fixups.find((x) => x.kind === 'padded-short-rows')!;
    expect(f.rows).toEqual([5]);
  });

  it('decimal comma with ; and thousands separators', async () => {
    const r = await ingestText('p;q\n1,5;"1.234,5"\n-0,25;2\n');
    expect(r.dialect.decimalSeparator).toBe(',');
    expect(col(r, 'p').storage).toBe('float64');
    expect(texts(r, 'p')).toEqual(['1.5', '-0.25']);
    expect(texts(r, 'q')).toEqual(['1234.5', '2']);
    const t = await ingestText('a\tb\n1,5\tx\n2,5\ty\n');
    expect(t.dialect.decimalSeparator).toBe(',');
    expect(texts(t, 'a')).toEqual(['1.5', '2.5']);
    const d = await ingestText('p;q\n1.5;a\n2.25;b\n');
    expect(d.dialect.decimalSeparator).toBe('.');
    expect(texts(d, 'p')).toEqual(['1.5', '2.25']);
  });

  it('default NA tokens and extra naTokens are missing; whitespace is trimmed for detection', async () => {
    const lines = ['v', ...DEFAULT_NA_TOKENS, '', '  ', ' 3 ', '4'].join('\n');
    const r = await ingestText(lines + '\n\n');
    expect(typeOf(r, 'v')).toBe('integer');
    const v = texts(r, 'v');
    expect(v.filter((x) => x !== null)).toEqual(['3', '4']);
    const e = await ingestText('v\n1\nmissing\n2\n', { naTokens: ['missing'] });
    expect(texts(e, 'v')).toEqual(['1', null, '2']);
    const c = await ingestText('c\nred\nNA\n blue\n');
    expect(texts(c, 'c')).toEqual(['red', null, ' blue']);
  });
});

describe('number parsing from bytes', () => {
  const parse = (s: string, dec = 46): number => {
    const b = enc(s);
    return parseNumberBytes(b, 0, b.length, dec);
  };
  it('plain, signed, exponent, inf; rejects non-numbers that Number() accepts', () => {
    expect(parse('12')).toBe(12);
    expect(parse('-0')).toBe(-0);
    expect(Object.is(parse('-0'), -0)).toBe(true);
    expect(parse('+1.5e3')).toBe(1500);
    expect(parse('.5')).toBe(0.5);
    expect(parse('5.')).toBe(5);
    expect(parse('1E-3')).toBe(0.001);
    expect(parse('-inf')).toBe(-Infinity);
    expect(parse('Infinity')).toBe(Infinity);
    for (const bad of ['', ' ', '0x10', '0b1', '1_000', '1e', 'e5', '.', '-', '1.2.3', '1,5', '12abc', '١٢'])
      expect(parse(bad), bad).toBeNaN();
    expect(parse('1,5', 44)).toBe(1.5);
    expect(parseNumberText('"1,234.5"'.slice(1, -1))).toBe(1234.5);
    expect(parseNumberText('1,23')).toBeNaN();
  });

  it('equals Number(text) exactly for random decimal strings', () => {
    fc.assert(
      fc.property(
        fc.tuple(
          fc.boolean(),
          fc.stringMatching(/^\d{1,25}$/),
          fc.option(fc.stringMatching(/^\d{0,25}$/)),
          fc.option(fc.integer({ min: -330, max: 330 })),
        ),
        ([neg, int, frac, exp]) => {
          const s = `${neg ? '-' : ''}${int}${frac !== null ? '.' + frac : ''}${exp !== null ? 'e' + exp : ''}`;
          expect(Object.is(parse(s), Number(s))).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });

  // String(-0) is '0', so -0 cannot round-trip through text; every other double must.
  const finite = fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0));

  it('random finite doubles written with String(x) round-trip bit-exactly', () => {
    fc.assert(
      fc.property(finite, (x) => {
        expect(Object.is(parse(String(x)), x)).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('... and through a numeric column of ingestCsv', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(finite, { minLength: 1, maxLength: 50 }), async (xs) => {
        const r = await ingestText('x\n' + xs.map(String).join('\n') + '\n');
        const c = col(r, 'x');
        expect(c.storage).toBe('float64');
        if (c.storage !== 'float64') return;
        xs.forEach((x, i) => expect(Object.is(c.values[i], x)).toBe(true));
      }),
      { numRuns: 200 },
    );
  });
});

describe('datetime parsing', () => {
  const iso = (t: string, f = 0): string => new Date(parseDateText(t, DATE_FORMATS[f])).toISOString();
  it('ISO dates and times, offsets applied, invalid dates rejected', () => {
    expect(iso('2020-02-29')).toBe('2020-02-29T00:00:00.000Z');
    expect(iso('2020-02-29T13:45')).toBe('2020-02-29T13:45:00.000Z');
    expect(iso('2020-02-29 13:45:07')).toBe('2020-02-29T13:45:07.000Z');
    expect(iso('2020-02-29T13:45:07.123Z')).toBe('2020-02-29T13:45:07.123Z');
    expect(iso('2020-02-29T13:45:07+02:00')).toBe('2020-02-29T11:45:07.000Z');
    expect(iso('2020-02-29T13:45:07-0530')).toBe('2020-02-29T19:15:07.000Z');
    for (const bad of [
      '2019-02-29',
      '2020-13-01',
      '2020-00-10',
      '2020-01-32',
      '2020-01-01T24:00',
      '2020-01-01X',
    ])
      expect(parseDateText(bad, DATE_FORMATS[0]), bad).toBeNaN();
  });

  it('days from civil matches Date.UTC over a wide range', () => {
    fc.assert(
      fc.property(fc.integer({ min: -200000, max: 200000 }), (day) => {
        const d = new Date(day * 86400000);
        expect(daysFromCivil(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate())).toBe(day);
      }),
    );
  });
});
