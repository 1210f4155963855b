/**
 * The training worker's data cache (workers/data-cache.ts) with the data worker's table handed over a
 * real MessageChannel, as in the studio: columns in SharedArrayBuffers are counted as shared (the
 * cross-origin isolated page), transferred ArrayBuffers are not, and either way the file is never read.
 */
import { describe, expect, it } from 'vitest';
import { ingestCsv } from '../../src/core/ingest/index.ts';
import type { Table } from '../../src/core/data/table.ts';
import { tableTransferables } from '../../src/core/data/table.ts';
import { sourceOf } from '../../workers/source.ts';
import { readData } from '../../workers/data-cache.ts';
import type { TableInput } from '../../workers/types.ts';

const CSV = 'x,city,when,label\n1.5,Oslo,2024-01-02,yes\n2,Lima,2024-02-03,no\n,Oslo,2024-03-04,yes\n';

type Stats = { fileReads: number; tableInputs: number; sharedTables: number };
const stats = (): Stats => ({ ...(globalThis as { __studioTrainData?: Stats }).__studioTrainData! });

function toShared(t: Table): Table {
  const share = <A extends Float64Array | Int32Array | Uint8Array>(a: A): A => {
    const Ctor = a.constructor as new (b: SharedArrayBuffer) => A;
    const out = new Ctor(new SharedArrayBuffer(a.byteLength));
    out.set(a as never);
    return out;
  };
  return {
    nRows: t.nRows,
    columns: t.columns.map((c) =>
      c.storage === 'dict' ? { ...c, codes: share(c.codes) } : { ...c, values: share(c.values) },
    ) as Table['columns'],
  };
}

/** Post the table on one end of a channel, hand the other end to the cache (as the data worker does). */
async function handOver(key: string, shared: boolean): Promise<Table> {
  const data = await ingestCsv(sourceOf({ name: 'd.csv', bytes: new TextEncoder().encode(CSV).buffer }));
  const table = shared ? toShared(data.table) : data.table;
  const { port1, port2 } = new MessageChannel();
  const value: TableInput = { kind: 'table', key, name: 'd.csv', data: { ...data, table }, shared };
  port1.postMessage({ ok: true, value }, shared ? [] : tableTransferables(table));
  port1.close();
  const got = await readData({ kind: 'table', key, name: 'd.csv', port: port2 }, {});
  return got.table;
}

describe('data cache: the table handed over by the data worker', () => {
  it('counts SharedArrayBuffer columns as shared and transferred ones as not; never reads a file', async () => {
    const before = stats();
    const shared = await handOver('k-shared', true);
    expect(
      shared.columns.every(
        (c) => (c.storage === 'dict' ? c.codes : c.values).buffer instanceof SharedArrayBuffer,
      ),
    ).toBe(true);
    expect(shared.nRows).toBe(3);
    const mid = stats();
    expect(mid).toEqual({
      ...before,
      tableInputs: before.tableInputs + 1,
      sharedTables: before.sharedTables + 1,
    });

    const moved = await handOver('k-moved', false);
    expect(
      moved.columns.some(
        (c) => (c.storage === 'dict' ? c.codes : c.values).buffer instanceof SharedArrayBuffer,
      ),
    ).toBe(false);
    expect(stats()).toEqual({ ...mid, tableInputs: mid.tableInputs + 1 });
    // the held table answers a later job by its key, without a new hand-over
    expect((await readData({ kind: 'table', key: 'k-moved', name: 'd.csv' }, {})).table).toBe(moved);
    expect(stats().fileReads).toBe(before.fileReads);
  });
});
