import { describe, expect, it } from 'vitest';
import { bytesSource, ingestCsv } from '../../../src/core/ingest/index.ts';
import { ingestText, texts, typeOf, col, enc, expectIngestError } from './helpers.ts';

describe('type inference', () => {
  it('integer, numeric, boolean, categorical, datetime with format', async () => {
    const r = await ingestText(
      'i,x,b,c,d,t,zo\n1,1.5,yes,red,2020-01-31,2020-01-31 10:00:00,0\n2,2,No,blue,2021-02-01,2021-02-01 11:30:15,1\n3,,Y,red,,2021-02-01 11:30:16,1\n',
    );
    expect(r.schema.map((s) => s.type)).toEqual([
      'integer',
      'numeric',
      'boolean',
      'categorical',
      'datetime',
      'datetime',
      'integer',
    ]);
    expect(r.schema[4].format).toBe('yyyy-mm-dd');
    expect(r.schema[5].format).toBe('yyyy-mm-dd HH:MM:SS');
    expect(texts(r, 'b')).toEqual(['yes', 'No', 'yes']);
    expect(texts(r, 'd')).toEqual(['2020-01-31T00:00:00.000Z', '2021-02-01T00:00:00.000Z', null]);
    expect(col(r, 'c').storage).toBe('dict');
  });

  it('dd/mm vs mm/dd disambiguated by values > 12, also when the evidence comes late (second pass)', async () => {
    const us = await ingestText('d\n01/02/2020\n12/31/2020\n');
    expect(us.schema[0].format).toBe('mm/dd/yyyy');
    expect(texts(us, 'd')[0]).toBe('2020-01-02T00:00:00.000Z');
    const eu = await ingestText('d\n01/02/2020\n31/12/2020\n');
    expect(eu.schema[0].format).toBe('dd/mm/yyyy');
    expect(texts(eu, 'd')[0]).toBe('2020-02-01T00:00:00.000Z');
    const late = 'd\n' + '01/02/2020\n'.repeat(5000) + '31/12/2020\n';
    const r = await ingestText(late);
    expect(r.schema[0].type).toBe('datetime');
    expect(r.schema[0].format).toBe('dd/mm/yyyy');
    expect(texts(r, 'd')[0]).toBe('2020-02-01T00:00:00.000Z');
    expect(texts(r, 'd')[5000]).toBe('2020-12-31T00:00:00.000Z');
    const de = await ingestText('d\n24.12.2020 18:30\n01.01.2021\n');
    expect(de.schema[0].format).toBe('dd.mm.yyyy HH:MM');
    expect(texts(de, 'd')[0]).toBe('2020-12-24T18:30:00.000Z');
  });

  it('text in a numeric column after the sample demotes it, exactly, with a fix-up and a reparse', async () => {
    const phases = new Set<string>();
    const text = 'v,w\n' + '007,1\n'.repeat(3000) + 'abc,2\n';
    const r = await ingestCsv(bytesSource('d.csv', enc(text), 4096), {
      onProgress: (p) => phases.add(p.phase),
    });
    expect(typeOf(r, 'v')).toBe('categorical');
    expect(texts(r, 'v')[0]).toBe('007');
    expect(texts(r, 'v')[3000]).toBe('abc');
    expect(typeOf(r, 'w')).toBe('integer');
    const f = r.fixups.find((x) => x.kind === 'type-demoted')!;
    expect(f.column).toBe('v');
    expect(f.rows).toEqual([3002]);
    expect(phases).toEqual(new Set(['parse', 'reparse']));
  });

  it('id and text detection', async () => {
    const rows = Array.from(
      { length: 40 },
      (_, i) => `${i + 1},u${1000 + i * 7},the quick brown fox number ${i} jumps,${i % 3}`,
    );
    const r = await ingestText('customer_id,code,comment,grp\n' + rows.join('\n') + '\n');
    expect(typeOf(r, 'customer_id')).toBe('id');
    expect(typeOf(r, 'code')).toBe('id');
    expect(typeOf(r, 'comment')).toBe('text');
    expect(typeOf(r, 'grp')).toBe('integer');
  });

  it('overrides win and are exact with respect to the original text', async () => {
    const r = await ingestText('code,n,flag\n007,1,a\n012,2,b\n', {
      typeOverrides: { code: 'categorical', n: 'text' },
    });
    expect(typeOf(r, 'code')).toBe('categorical');
    expect(texts(r, 'code')).toEqual(['007', '012']);
    const s = r.schema.find((x) => x.name === 'code')!;
    expect(s.overridden).toBe(true);
    expect(s.inferredType).toBe('categorical');
    expect(texts(r, 'n')).toEqual(['1', '2']);
    const plain = await ingestText('code\n007\n012\n');
    expect(typeOf(plain, 'code')).toBe('integer');
  });

  it('an override that cannot be honoured gives missing cells and a fix-up naming the column and count', async () => {
    const r = await ingestText('a,b\nx,1\n2.5,2\ny,3\n', { typeOverrides: { a: 'numeric', b: 'boolean' } });
    expect(texts(r, 'a')).toEqual([null, '2.5', null]);
    const f = r.fixups.find((x) => x.column === 'a')!;
    expect(f.count).toBe(2);
    expect(f.message).toContain('column a: 2 cells could not be read as numeric');
    expect(texts(r, 'b')).toEqual(['1', null, null]);
    const dt = await ingestText('d\n2020-01-01\nsoon\n', { typeOverrides: { d: 'datetime' } });
    expect(texts(dt, 'd')).toEqual(['2020-01-01T00:00:00.000Z', null]);
  });
});

describe('fingerprint, progress, cancel', () => {
  it('fingerprint: sha256 of the raw bytes, counts, schema hash depends on types', async () => {
    const bytes = enc('a,b\n1,x\n2,y\n');
    const r = await ingestCsv(bytesSource('f.csv', bytes));
    const { createHash } = await import('node:crypto');
    expect(r.fingerprint.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(r.fingerprint).toMatchObject({ bytes: bytes.length, rows: 2, columns: 2 });
    const o = await ingestCsv(bytesSource('f.csv', bytes), { typeOverrides: { a: 'categorical' } });
    expect(o.fingerprint.sha256).toBe(r.fingerprint.sha256);
    expect(o.fingerprint.schemaHash).not.toBe(r.fingerprint.schemaHash);
    let custom = 0;
    await ingestCsv(bytesSource('f.csv', bytes), {
      createHasher: () => ({ update: (b) => void (custom += b.length), digestHex: () => 'x' }),
    });
    expect(custom).toBe(bytes.length);
  });

  it('reports progress with bytes and rows, and cancels with code cancelled', async () => {
    const text = 'a,b\n' + '1,2\n'.repeat(200_000);
    const seen: number[] = [];
    const r = await ingestCsv(bytesSource('p.csv', enc(text), 8192), {
      onProgress: (p) => seen.push(p.rows, p.bytesRead),
    });
    expect(r.table.nRows).toBe(200_000);
    expect(seen.length).toBeGreaterThan(4);
    expect(seen.at(-2)).toBe(200_000);
    expect(seen.at(-1)).toBe(text.length);
    const ac = new AbortController();
    const p = ingestCsv(bytesSource('p.csv', enc(text), 8192), {
      signal: ac.signal,
      onProgress: (x) => {
        if (x.rows > 1000) ac.abort();
      },
    });
    const err = await expectIngestError(p, 'cancelled');
    expect(err.file).toBe('p.csv');
  });
});
