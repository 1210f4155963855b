/**
 * The dataset store (src/store/datasets.ts) over fake-indexeddb: a table saved as chunked columns
 * comes back equal (every storage kind, NaN and missing codes, across chunk boundaries), with its
 * meta and raw bytes; the same content saved again replaces the older copy; delete frees it; a
 * cancelled save leaves nothing listed; a stale incomplete save is dropped on the next open.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHUNK_ROWS, DatasetStore, DatasetStoreError } from '../../src/store/datasets.ts';
import type { Column, Table } from '../../src/core/data/table.ts';

function table(n: number, seed = 1): Table {
  let x = seed;
  const rnd = (): number => {
    x = (x * 1664525 + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
  const num = new Float64Array(n);
  const codes = new Int32Array(n);
  const bools = new Uint8Array(n);
  const dates = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    num[i] = rnd() < 0.05 ? NaN : rnd() * 100 - 50;
    codes[i] = rnd() < 0.05 ? -1 : Math.floor(rnd() * 3);
    bools[i] = rnd() < 0.05 ? 255 : rnd() < 0.5 ? 1 : 0;
    dates[i] = rnd() < 0.05 ? NaN : 1.6e12 + Math.floor(rnd() * 1e10);
  }
  const columns: Column[] = [
    { name: 'x', type: 'numeric', storage: 'float64', values: num },
    { name: 'city', type: 'categorical', storage: 'dict', codes, dictionary: ['Oslo', 'Lima', 'Riga'] },
    { name: 'ok', type: 'boolean', storage: 'bool', values: bools, labels: ['No', 'Yes'] },
    { name: 'day', type: 'datetime', storage: 'datetime', values: dates, format: 'YYYY-MM-DD' },
  ];
  return { nRows: n, columns };
}

let n = 0;
const open = (factory = new IDBFactory()): Promise<DatasetStore> =>
  DatasetStore.open({ name: `datasets-${n++}`, indexedDB: factory, IDBKeyRange });

describe('DatasetStore', () => {
  it('gives back the same table, meta and raw bytes, across chunk boundaries', async () => {
    const store = await open();
    const t = table(CHUNK_ROWS * 2 + 17);
    const raw = new TextEncoder().encode('x,city\n1,Oslo\n').buffer;
    const progress: number[] = [];
    const saved = await store.save(
      { name: 'a.csv', key: 'k1', table: t, meta: { profile: { rows: t.nRows } }, sourceBytes: 1234, raw },
      { onProgress: (p) => progress.push(p.written / p.total) },
    );
    expect(progress.at(-1)).toBe(1);
    expect(progress.length).toBeGreaterThan(0);
    expect(saved.rows).toBe(t.nRows);
    // 8 + 4 + 1 + 8 bytes a row, plus the dictionary and the raw bytes
    expect(saved.storedBytes).toBeGreaterThanOrEqual(21 * t.nRows + raw.byteLength);
    const back = await store.load<{ profile: { rows: number } }>(saved.id);
    expect(back.meta.profile.rows).toBe(t.nRows);
    expect(new Uint8Array(back.raw!)).toEqual(new Uint8Array(raw));
    expect(back.table.nRows).toBe(t.nRows);
    expect(back.table.columns).toEqual(t.columns);
    store.close();
  });

  it('round-trips any table (property)', async () => {
    const store = await open();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 * CHUNK_ROWS + 3 }), fc.integer(), async (rows, seed) => {
        const t = table(rows, seed);
        const saved = await store.save({ name: 'p.csv', key: 'p', table: t, meta: null, sourceBytes: 0 });
        const back = await store.load(saved.id);
        expect(back.table.columns).toEqual(t.columns);
        expect(await store.list()).toHaveLength(1);
      }),
      { numRuns: 4 },
    );
    store.close();
  });

  it('lists the most recently opened first; the same key replaces; delete removes', async () => {
    const store = await open();
    const a = await store.save({ name: 'a.csv', key: 'A', table: table(10), meta: 1, sourceBytes: 10 });
    await new Promise((r) => setTimeout(r, 5));
    const b = await store.save({ name: 'b.csv', key: 'B', table: table(10), meta: 2, sourceBytes: 10 });
    expect((await store.list()).map((d) => d.name)).toEqual(['b.csv', 'a.csv']);
    await new Promise((r) => setTimeout(r, 5));
    await store.load(a.id);
    expect((await store.latest())?.id).toBe(a.id);
    const a2 = await store.save({ name: 'a.csv', key: 'A', table: table(20), meta: 3, sourceBytes: 10 });
    const list = await store.list();
    expect(list.map((d) => d.id).sort()).toEqual([a2.id, b.id].sort());
    await expect(store.load(a.id)).rejects.toBeInstanceOf(DatasetStoreError);
    await store.delete(b.id);
    expect((await store.list()).map((d) => d.id)).toEqual([a2.id]);
    store.close();
  });

  it('a cancelled save keeps nothing; an interrupted one is dropped on the next open', async () => {
    const factory = new IDBFactory();
    const name = `datasets-${n++}`;
    const store = await DatasetStore.open({ name, indexedDB: factory, IDBKeyRange });
    const ctrl = new AbortController();
    const save = store.save(
      { name: 'big.csv', key: 'K', table: table(CHUNK_ROWS * 20), meta: null, sourceBytes: 0 },
      { signal: ctrl.signal, onProgress: () => ctrl.abort() },
    );
    await expect(save).rejects.toMatchObject({ code: 'cancelled' });
    expect(await store.list()).toEqual([]);
    // An interrupted save (the tab closed mid-way): the row is there but incomplete.
    const never = new AbortController();
    const pending = store.save(
      { name: 'half.csv', key: 'H', table: table(CHUNK_ROWS * 20), meta: null, sourceBytes: 0 },
      { signal: never.signal },
    );
    store.close();
    await pending.catch(() => {});
    const reopened = await DatasetStore.open({ name, indexedDB: factory, IDBKeyRange });
    expect(await reopened.list()).toEqual([]);
    reopened.close();
  });
});
