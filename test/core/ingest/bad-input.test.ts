import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CORPUS } from '../../fixtures/bad-input/make.ts';
import { REPO_ROOT } from '../../helpers/paths.ts';
import { bytesSource, ingestCsv, MAX_COLUMNS, MAX_FIELD_BYTES } from '../../../src/core/ingest/index.ts';
import { enc, expectIngestError, texts, typeOf } from './helpers.ts';

const dir = resolve(REPO_ROOT, 'test/fixtures/bad-input');
const file = (name: string): Uint8Array => new Uint8Array(readFileSync(resolve(dir, name)));
const ingestFile = (name: string) => ingestCsv(bytesSource(name, file(name)));

describe('bad-input corpus', () => {
  it('committed files match the generator (make.ts)', () => {
    for (const [name, bytes] of Object.entries(CORPUS)) expect(file(name), name).toEqual(bytes);
  });

  it.each([
    ['empty.csv', 'empty', /empty/],
    ['only-bom.csv', 'empty', /no text/],
    ['blank-lines-only.csv', 'empty', /blank lines/],
    ['header-only.csv', 'no-data-rows', /no data rows/],
    ['binary.csv', 'binary', /binary/],
    ['nul-many.csv', 'binary', /binary/],
    ['gzip.csv', 'compressed', /^file is gzip-compressed; decompress it first$/],
    ['zip.csv', 'compressed', /zip archive/],
  ])('%s → IngestError %s naming the file', async (name, code, message) => {
    const err = await expectIngestError(ingestFile(name), code);
    expect(err.message).toMatch(message);
    expect(err.file).toBe(name);
    expect(err.describe()).toContain(name);
  });

  it('unclosed quote names the row where the quote opened and the column', async () => {
    const err = await expectIngestError(ingestFile('unclosed-quote.csv'), 'unclosed-quote');
    expect(err.row).toBe(3);
    expect(err.column).toBe(2);
    expect(err.describe()).toBe(
      'a quoted field opened on line 3 is never closed (missing closing ") (unclosed-quote.csv, row 3, column 2)',
    );
  });

  it('short rows are padded with missing, with a fix-up giving count, widths and example rows', async () => {
    const r = await ingestFile('ragged-short.csv');
    expect(r.table.nRows).toBe(5);
    expect(texts(r, 'a')).toEqual(['1', '4', '6', '9', '10']);
    expect(texts(r, 'b')).toEqual(['2', '5', '7', null, '11']);
    expect(texts(r, 'c')).toEqual(['3', null, '8', null, null]);
    const f = r.fixups.find((x) => x.kind === 'padded-short-rows')!;
    expect(f.count).toBe(3);
    expect(f.rows).toEqual([3, 5, 6]);
    expect(f.message).toContain('3 rows had');
    expect(f.message).toContain('instead of 3: padded with missing');
  });

  it('long rows: extra fields dropped, said clearly', async () => {
    const r = await ingestFile('ragged-long.csv');
    expect(texts(r, 'c')).toEqual(['3', '6', '10']);
    const f = r.fixups.find((x) => x.kind === 'merged-long-rows')!;
    expect(f.rows).toEqual([3]);
    expect(f.message).toMatch(/1 row had more than 3 fields .*extra fields were dropped/);
  });

  it('duplicate and blank header names are renamed with fix-ups', async () => {
    const d = await ingestFile('duplicate-header.csv');
    expect(d.schema.map((s) => s.name)).toEqual(['x', 'y', 'x_2', 'x_3']);
    expect(d.schema.map((s) => s.originalName)).toEqual(['x', 'y', 'x', 'x']);
    expect(d.fixups.map((f) => f.message)).toEqual([
      'renamed duplicate column x → x_2',
      'renamed duplicate column x → x_3',
    ]);
    const b = await ingestFile('blank-header.csv');
    expect(b.schema.map((s) => s.name)).toEqual(['column_1', 'value', 'column_3']);
    expect(b.fixups.filter((f) => f.kind === 'renamed-blank')).toHaveLength(2);
  });

  it('a few NUL bytes are stripped with a fix-up', async () => {
    const r = await ingestFile('nul-few.csv');
    expect(texts(r, 'b')).toEqual(['x', 'y', 'z']);
    expect(r.fixups.find((f) => f.kind === 'stripped-nul')?.count).toBe(2);
  });

  it.each([
    'utf16le-bom.csv',
    'utf16be-bom.csv',
    'utf16le-nobom.csv',
    'utf16be-nobom.csv',
    'utf8-bom.csv',
    'latin1.csv',
  ])('%s decodes to the same table', async (name) => {
    const r = await ingestFile(name);
    expect(texts(r, 'city')).toEqual(['Paris', 'Zürich', 'Köln']);
    expect(texts(r, 'name')).toEqual(['Ada', 'Bob', 'Céline']);
    expect(typeOf(r, 'age')).toBe('integer');
    const expected = name.startsWith('utf16le')
      ? 'utf-16le'
      : name.startsWith('utf16be')
        ? 'utf-16be'
        : name === 'latin1.csv'
          ? 'windows-1252'
          : 'utf-8';
    expect(r.dialect.encoding).toBe(expected);
    expect(r.dialect.bom).toBe(name.includes('-bom'));
    expect(r.fixups.some((f) => f.kind === 'encoding-fallback')).toBe(name === 'latin1.csv');
  });

  it('formulas and HTML are kept verbatim as text', async () => {
    const f = await ingestFile('formulas.csv');
    expect(texts(f, 'link')).toEqual(['=HYPERLINK("http://example.com","click")', '@SUM(A1:A2)', '-2+3']);
    expect(texts(f, 'calc')).toEqual(['=1+2', "+cmd|' /C calc'!A0", '=A1']);
    const h = await ingestFile('html.csv');
    expect(h.schema.map((s) => s.name)).toEqual(['<script>alert(1)</script>', '<b>bold</b>']);
    expect(texts(h, '<b>bold</b>')).toEqual(['<a href="javascript:alert(1)">x</a>', '<i>x</i>', 'a & b < c']);
  });

  it('invalid UTF-8 appearing only late in a large file triggers the Windows-1252 re-read', async () => {
    const head = 'name,v\n' + 'plain,1\n'.repeat(20_000);
    const bytes = new Uint8Array([...enc(head), ...[0x43, 0xe9, 0x6c, 0x69, 0x6e, 0x65], ...enc(',2\n')]);
    const r = await ingestCsv(bytesSource('late.csv', bytes));
    expect(r.dialect.encoding).toBe('windows-1252');
    expect(texts(r, 'name').at(-1)).toBe('Céline');
    expect(r.fixups.some((f) => f.kind === 'encoding-fallback')).toBe(true);
  });

  it('a 5 MB single field loads', async () => {
    const big = 'x'.repeat(5 * 1024 * 1024);
    const r = await ingestCsv(bytesSource('big.csv', enc(`id,blob\n1,"${big}"\n2,small\n`), 65536));
    expect(r.table.nRows).toBe(2);
    expect(texts(r, 'blob')[0]!.length).toBe(big.length);
  });

  it(`a field over the limit (${MAX_FIELD_BYTES / 2 ** 20} MB) gives field-too-large, not a hang`, async () => {
    for (const quoted of [true, false]) {
      const bytes = new Uint8Array(MAX_FIELD_BYTES + 1024).fill(0x61);
      bytes.set(enc(quoted ? 'a,b\n1,"' : 'a,b\n1,'), 0);
      bytes.set(enc(quoted ? '"\n2,x\n' : '\n2,x\n'), bytes.length - 7);
      const err = await expectIngestError(
        ingestCsv(bytesSource('huge.csv', bytes, 1 << 20)),
        'field-too-large',
      );
      expect(err.row).toBe(2);
      expect(err.column).toBe(2);
      expect(err.message).toMatch(/larger than 32 MB/);
    }
  });

  it('20,000 columns load quickly', async () => {
    const n = 20_000;
    const header = Array.from({ length: n }, (_, i) => `c${i}`).join(',');
    const row = (k: number) => Array.from({ length: n }, (_, i) => String(i * k)).join(',');
    const t0 = performance.now();
    const r = await ingestCsv(bytesSource('wide.csv', enc(`${header}\n${row(1)}\n${row(2)}\n${row(3)}\n`)));
    expect(performance.now() - t0).toBeLessThan(20_000);
    expect(r.table.columns).toHaveLength(n);
    expect(texts(r, 'c19999')).toEqual(['19999', '39998', '59997']);
  });

  it(`more than ${MAX_COLUMNS} columns → too-many-columns`, async () => {
    const line = Array.from({ length: MAX_COLUMNS + 1 }, () => 'a').join(',');
    const err = await expectIngestError(
      ingestCsv(bytesSource('w.csv', enc(line + '\n1\n'))),
      'too-many-columns',
    );
    expect(err.row).toBe(1);
  });
});
