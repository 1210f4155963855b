import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import Dexie from 'dexie';
import { DexieTrackingStore } from '../../src/store/dexie.ts';
import { declareSchema } from '../../src/store/schema.ts';
import { isStoreError } from '../../src/core/tracking/errors.ts';
import { runStoreContract } from './contract.ts';

let n = 0;
const fresh = (): Promise<DexieTrackingStore> =>
  DexieTrackingStore.open({
    name: `contract-${n++}`,
    indexedDB: new IDBFactory(),
    IDBKeyRange,
    storage: null,
  });

runStoreContract('dexie (fake-indexeddb)', fresh);

describe('dexie store specifics', () => {
  it('data survives close and reopen', async () => {
    const idb = new IDBFactory();
    const a = await DexieTrackingStore.open({ name: 'persist', indexedDB: idb, IDBKeyRange, storage: null });
    await a.write([
      { op: 'createExperiment', id: 'e', name: 'E', createdAt: 1 },
      { op: 'startRun', id: 'r', experimentId: 'e', startTime: 1 },
      { op: 'logMetrics', runId: 'r', metrics: [{ key: 'auc', value: 0.8, step: 0, timestamp: 2 }] },
    ]);
    await a.close();
    const b = await DexieTrackingStore.open({ name: 'persist', indexedDB: idb, IDBKeyRange, storage: null });
    expect((await b.getRun('r'))?.latestMetrics.auc.value).toBe(0.8);
    expect(await b.markInterrupted(10)).toBe(1);
    expect((await b.getRun('r'))?.error?.reason).toBe('interrupted');
    await b.close();
  });

  it('QuotaExceededError: clear message, batch not applied, earlier data intact', async () => {
    const storage = { estimate: async () => ({ usage: 5_000_000, quota: 5_000_000 }) };
    const store = await DexieTrackingStore.open({
      name: 'quota',
      indexedDB: new IDBFactory(),
      IDBKeyRange,
      storage,
    });
    await store.write([
      { op: 'createExperiment', id: 'e', name: 'E', createdAt: 1 },
      { op: 'startRun', id: 'r', experimentId: 'e', startTime: 1 },
      {
        op: 'putArtifact',
        id: 'a',
        runId: 'r',
        name: 'm',
        kind: 'model',
        bytes: Uint8Array.of(1, 2, 3),
        createdAt: 1,
      },
    ]);
    // Simulate the browser refusing to store more bytes: every blobs.put inside a transaction throws.
    const proto = store.db.Table.prototype;
    const realPut = proto.put;
    const realBulkPut = proto.bulkPut;
    const full = (real: (...a: unknown[]) => unknown) =>
      function (this: { name: string }, ...args: unknown[]) {
        if (this.name === 'blobs')
          throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        return real.apply(this, args);
      };
    proto.put = full(realPut as (...a: unknown[]) => unknown) as typeof proto.put;
    proto.bulkPut = full(realBulkPut as (...a: unknown[]) => unknown) as typeof proto.bulkPut;
    let err: unknown;
    try {
      await store.write([
        { op: 'logMetrics', runId: 'r', metrics: [{ key: 'loss', value: 1, step: 0, timestamp: 2 }] },
        {
          op: 'putArtifact',
          id: 'b',
          runId: 'r',
          name: 'm2',
          kind: 'model',
          bytes: Uint8Array.of(9, 9),
          createdAt: 2,
        },
      ]);
    } catch (e) {
      err = e;
    } finally {
      proto.put = realPut;
      proto.bulkPut = realBulkPut;
    }
    expect(isStoreError(err, 'QUOTA_EXCEEDED')).toBe(true);
    expect((err as Error).message).toBe(
      'Browser storage is full (4.8 MiB used of 4.8 MiB): the last 2 write(s) were not saved. Everything saved earlier is intact. ' +
        'Free space by deleting old experiments or datasets, or allow this site more storage, then retry.',
    );
    expect(await store.getMetricHistory('r', 'loss')).toEqual([]);
    expect(await store.getArtifact('b')).toBeUndefined();
    expect(await store.getArtifactBytes('a')).toEqual(Uint8Array.of(1, 2, 3));
    expect((await store.getRun('r'))?.state).toBe('RUNNING');
    await store.close();
  });

  it('usage reports browser estimate, persistence, and blob bytes', async () => {
    let asked = 0;
    const storage = {
      estimate: async () => ({ usage: 1234, quota: 10_000 }),
      persist: async () => (asked++, true),
      persisted: async () => asked > 0,
    };
    const store = await DexieTrackingStore.open({
      name: 'usage',
      indexedDB: new IDBFactory(),
      IDBKeyRange,
      storage,
    });
    await store.write([
      { op: 'putDataset', fingerprint: 'f', name: 'd', schema: [], raw: new Uint8Array(42), createdAt: 1 },
    ]);
    expect(await store.usage()).toEqual({
      usedBytes: 1234,
      quotaBytes: 10_000,
      blobBytes: 42,
      persisted: false,
    });
    expect(await store.requestPersistence()).toBe(true);
    expect((await store.usage()).persisted).toBe(true);
    await store.close();
  });

  it('opening a database from a newer schema fails clearly and changes nothing', async () => {
    const idb = new IDBFactory();
    const newer = new Dexie('newer', { indexedDB: idb, IDBKeyRange });
    declareSchema(newer);
    newer.version(5).stores({ somethingNew: 'id' });
    await newer.open();
    await newer.table('experiments').put({ id: 'e', name: 'kept', createdAt: 1 });
    newer.close();
    const err = await DexieTrackingStore.open({
      name: 'newer',
      indexedDB: idb,
      IDBKeyRange,
      storage: null,
    }).catch((e: unknown) => e);
    expect(isStoreError(err, 'STORAGE')).toBe(true);
    expect((err as Error).message).toMatch(
      /newer version of AutoML Studio \(schema 5; this version reads schema 4\)/,
    );
    const again = new Dexie('newer', { indexedDB: idb, IDBKeyRange });
    await again.open();
    expect(again.verno).toBe(5);
    expect(await again.table('experiments').get('e')).toEqual({ id: 'e', name: 'kept', createdAt: 1 });
    again.close();
  });
});
