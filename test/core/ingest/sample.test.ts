/**
 * Row sampling before parsing (src/core/ingest/sample.ts) and the memory estimate
 * (src/core/ingest/estimate.ts): the sample is the header plus exactly N of the file's records, in
 * file order, the same for the same seed whatever the chunking, quoted line breaks kept whole, class
 * proportions kept when stratified; the estimate finds the row count of a generated file.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesSource, ingestCsv } from '../../../src/core/ingest/index.ts';
import { allocate, recordFields, sampleRows } from '../../../src/core/ingest/sample.ts';
import { estimateMemory, memoryLimit, rowsWithin, SNIFF_BYTES } from '../../../src/core/ingest/estimate.ts';
import { cellText } from '../../../src/core/data/table.ts';
import type { ByteSource } from '../../../src/core/ingest/types.ts';

function csv(rows: number, seed = 7): string {
  let x = seed;
  const rnd = (): number => {
    x = (x * 1664525 + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
  const out = ['id,amount,note,label'];
  for (let i = 0; i < rows; i++) {
    const note = rnd() < 0.1 ? `"two\nlines, ""quoted"""` : `plain ${i % 13}`;
    out.push(`${i},${(rnd() * 100).toFixed(2)},${note},${rnd() < 0.2 ? 'yes' : 'no'}`);
  }
  return out.join('\r\n') + '\r\n';
}

async function text(src: ByteSource): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const c of src.open()) parts.push(c);
  return new TextDecoder().decode(Buffer.concat(parts));
}

describe('sampleRows', () => {
  it('keeps the header and exactly N records of the file, in order, whatever the chunking (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 1, max: 4096 }),
        fc.integer(),
        async (rows, n, chunk, seed) => {
          const file = new TextEncoder().encode(csv(rows, seed));
          const a = await sampleRows(bytesSource('f.csv', file, chunk), { rows: n, seed });
          const b = await sampleRows(bytesSource('f.csv', file, 977), { rows: n, seed });
          expect(a.ofRows).toBe(rows);
          expect(a.rows).toBe(Math.min(n, rows));
          const ta = await text(a.source);
          expect(ta).toBe(await text(b.source));
          // its size is known (ingest sizes the columns from it instead of growing them)
          expect(a.source.size).toBe(new TextEncoder().encode(ta).length);
          const full = await ingestCsv(bytesSource('f.csv', file));
          const part = await ingestCsv(a.source);
          expect(part.table.nRows).toBe(Math.min(n, rows));
          // every sampled id is a row of the file with the same note, ids increasing
          const ids = part.table.columns[0];
          const notes = part.table.columns[2];
          const fullNotes = full.table.columns[2];
          if (ids.storage !== 'float64' || notes.storage !== 'dict' || fullNotes.storage !== 'dict')
            throw new Error('types');
          for (let i = 0; i < part.table.nRows; i++) {
            const id = ids.values[i];
            if (i > 0) expect(id).toBeGreaterThan(ids.values[i - 1]);
            expect(notes.dictionary[notes.codes[i]]).toBe(fullNotes.dictionary[fullNotes.codes[id]]);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('a different seed gives a different sample; stratified keeps class proportions', async () => {
    const file = new TextEncoder().encode(csv(2000));
    const s1 = await text((await sampleRows(bytesSource('f.csv', file), { rows: 100, seed: 1 })).source);
    const s2 = await text((await sampleRows(bytesSource('f.csv', file), { rows: 100, seed: 2 })).source);
    expect(s1).not.toBe(s2);
    const full = await ingestCsv(bytesSource('f.csv', file));
    const strat = await sampleRows(bytesSource('f.csv', file), { rows: 100, seed: 3, stratifyOn: 'label' });
    const part = await ingestCsv(strat.source);
    const share = (t: typeof full.table): number => {
      const c = t.columns[3];
      let n = 0;
      for (let i = 0; i < t.nRows; i++) if (cellText(c, i).toLowerCase() === 'yes') n++;
      return n / t.nRows;
    };
    expect(part.table.nRows).toBe(100);
    expect(Math.abs(share(part.table) - share(full.table))).toBeLessThanOrEqual(0.01);
    await expect(
      sampleRows(bytesSource('f.csv', file), { rows: 10, seed: 1, stratifyOn: 'nope' }),
    ).rejects.toThrow(/no such column/);
  });

  it('streams the sample: its first chunk comes while the file is still being read, never all of it at once', async () => {
    // ~7 MB in 64 KiB chunks, all rows kept: the old second pass held every kept record until the
    // file's end (3,000,000 rows in Chromium: the sample's bytes next to the table parsed from them).
    const file = new TextEncoder().encode(csv(300_000));
    const chunk = 64 * 1024;
    const total = Math.ceil(file.length / chunk);
    let read = 0;
    const counted: ByteSource = {
      name: 'f.csv',
      async *open() {
        for await (const c of bytesSource('f.csv', file, chunk).open()) {
          read++;
          yield c;
        }
      },
    };
    const s = await sampleRows(counted, { rows: 300_000, seed: 1 });
    read = 0;
    const readAtFirst: number[] = [];
    const parts: Uint8Array[] = [];
    for await (const c of s.source.open()) {
      readAtFirst.push(read);
      parts.push(c);
    }
    expect(read).toBe(total);
    expect(parts.length).toBeGreaterThan(3);
    expect(readAtFirst[0]).toBeLessThan(total / 2);
    for (const p of parts) expect(p.length).toBeLessThan(3 * 1024 * 1024);
    // all rows kept: the sample is the file, byte for byte
    expect(Buffer.concat(parts).equals(Buffer.from(file))).toBe(true);
  });

  it('allocate splits in proportion and sums to n', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 8 }),
        fc.nat(5000),
        (sizes, n) => {
          const out = allocate(sizes, n);
          const total = sizes.reduce((a, b) => a + b, 0);
          expect(out.reduce((a, b) => a + b, 0)).toBe(Math.min(n, total));
          out.forEach((o, i) => expect(o).toBeLessThanOrEqual(sizes[i]));
        },
      ),
    );
  });

  it('recordFields reads quoted fields', () => {
    const r = new TextEncoder().encode('a,"b, c","say ""hi""",d\r');
    expect(recordFields(r, 0x2c)).toEqual(['a', 'b, c', 'say "hi"', 'd']);
  });
});

describe('estimateMemory', () => {
  it('finds the rows and columns of a generated file from its first bytes', () => {
    const file = new TextEncoder().encode(csv(20_000));
    const est = estimateMemory(file.length, file.subarray(0, SNIFF_BYTES));
    expect(est.columns).toBe(4);
    expect(est.header).toEqual(['id', 'amount', 'note', 'label']);
    expect(Math.abs(est.rows - 20_000) / 20_000).toBeLessThan(0.1);
    expect(est.bytes).toBe(est.rows * est.bytesPerRow);
    const small = new TextEncoder().encode(csv(50));
    expect(estimateMemory(small.length, small).rows).toBe(50);
    expect(rowsWithin(est, est.bytesPerRow * 123)).toBe(123);
  });

  it('memoryLimit: URL, then localStorage, then the default', () => {
    expect(memoryLimit('?memoryLimitMB=2', '5')).toBe(2 * 1024 * 1024);
    expect(memoryLimit('', '5')).toBe(5 * 1024 * 1024);
    expect(memoryLimit('?memoryLimitMB=abc', null)).toBe(1024 ** 3);
    // the device's memory (navigator.deviceMemory, GiB) sets the default: a quarter, 512 MiB … 2 GiB
    expect(memoryLimit('', null, 8)).toBe(2 * 1024 ** 3);
    expect(memoryLimit('', null, 4)).toBe(1024 ** 3);
    expect(memoryLimit('', null, 0.5)).toBe(512 * 1024 ** 2);
    expect(memoryLimit('', null, 32)).toBe(2 * 1024 ** 3);
    expect(memoryLimit('', null, Number.NaN)).toBe(1024 ** 3);
    expect(memoryLimit('?memoryLimitMB=3', null, 8)).toBe(3 * 1024 * 1024);
    expect(memoryLimit('', '5', 8)).toBe(5 * 1024 * 1024);
  });

  it('3,000,000 rows × 30 columns fit under the limit of an 8 GiB device, not of a 4 GiB one', () => {
    // the bench's generated file: 541 MB, ~180 bytes a row (measured whole in Chromium: 667 MB of heap)
    const row = 'x'.repeat(179) + '\n';
    const head = new TextEncoder().encode(
      Array.from({ length: 30 }, (_, i) => `c${i}`).join(',') + '\n' + row.repeat(1000),
    );
    const est = estimateMemory(3_000_000 * 180, head);
    expect(est.rows).toBeGreaterThan(2_990_000);
    expect(est.bytes).toBeLessThan(memoryLimit('', null, 8));
    expect(est.bytes).toBeGreaterThan(memoryLimit('', null, 4));
  });
});
