/**
 * The dataset store's project additions (issue 20, feature engineering in the browser): tables kept as
 * part of a project are loadable but never listed nor reopened as "the last dataset"; a project record
 * is kept, replaced and deleted; a database made by the first schema version opens and keeps its data.
 */
import Dexie from 'dexie';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { DatasetStore } from '../../src/store/datasets.ts';
import type { Table } from '../../src/core/data/table.ts';

const t = (n: number): Table => ({
  nRows: n,
  columns: [
    {
      name: 'x',
      type: 'numeric',
      storage: 'float64',
      values: Float64Array.from({ length: n }, (_, i) => i * 1.5),
    },
  ],
});

let n = 0;

describe('DatasetStore projects', () => {
  it('keeps hidden tables out of the list and out of latest(), but loads them', async () => {
    const store = await DatasetStore.open({
      name: `projects-${n++}`,
      indexedDB: new IDBFactory(),
      IDBKeyRange,
    });
    const shown = await store.save({ name: 'main.csv', key: 'a', table: t(3), meta: 1, sourceBytes: 10 });
    const hidden = await store.save({
      name: 'rel.csv',
      key: 'b',
      table: t(5),
      meta: 2,
      sourceBytes: 20,
      hidden: true,
    });
    expect((await store.list()).map((d) => d.name)).toEqual(['main.csv']);
    expect((await store.latest())?.id).toBe(shown.id);
    const back = await store.load<number>(hidden.id);
    expect(back.meta).toBe(2);
    expect(Array.from((back.table.columns[0] as { values: Float64Array }).values)).toEqual([
      0, 1.5, 3, 4.5, 6,
    ]);
    // opening the hidden one later does not make it the latest
    expect((await store.latest())?.id).toBe(shown.id);
  });

  it('puts, replaces and deletes a project', async () => {
    const store = await DatasetStore.open({
      name: `projects-${n++}`,
      indexedDB: new IDBFactory(),
      IDBKeyRange,
    });
    expect(await store.getProject('p')).toBeUndefined();
    await store.putProject('p', { tables: ['a'], recipe: { features: [{ name: 'f' }] } });
    await store.putProject('p', { tables: ['a', 'b'] });
    const got = await store.getProject<{ tables: string[] }>('p');
    expect(got?.value).toEqual({ tables: ['a', 'b'] });
    expect(got?.savedAt).toBeGreaterThan(0);
    await store.deleteProject('p');
    expect(await store.getProject('p')).toBeUndefined();
  });

  it('opens a database made by schema version 1 and keeps its datasets', async () => {
    const factory = new IDBFactory();
    const name = `projects-${n++}`;
    const old = new Dexie(name, { indexedDB: factory, IDBKeyRange });
    old.version(1).stores({
      datasets: 'id, key, openedAt, complete',
      chunks: '[datasetId+column+chunk], datasetId',
      raws: 'datasetId',
    });
    await old.open();
    old.close();
    const first = await DatasetStore.open({ name, indexedDB: factory, IDBKeyRange });
    const saved = await first.save({ name: 'a.csv', key: 'k', table: t(2), meta: null, sourceBytes: 1 });
    first.close();
    const store = await DatasetStore.open({ name, indexedDB: factory, IDBKeyRange });
    expect((await store.list()).map((d) => d.id)).toEqual([saved.id]);
    await store.putProject('p', 1);
    expect((await store.getProject('p'))?.value).toBe(1);
  });
});
