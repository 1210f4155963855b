/**
 * The feature store contract (feature-store-cases.ts) on every implementation — memory, IndexedDB
 * (fake-indexeddb) and the CLI's SQLite database — and each one's specifics: persistence, the
 * IndexedDB upgrade from schema v3 keeping its data, the SQLite tables beside the tracking ones.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Dexie from 'dexie';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MemoryFeatureStore, type FeatureStore } from '../../src/core/features/store.ts';
import { SqliteFeatureStore } from '../../src/cli/sqlite-feature-store.ts';
import { openSqliteStore } from '../../src/cli/sqlite-store.ts';
import { DexieFeatureStore } from '../../src/store/feature-store.ts';
import { DexieTrackingStore } from '../../src/store/dexie.ts';
import { declareSchema } from '../../src/store/schema.ts';
import { featureStoreContract, sampleRecipe } from './feature-store-cases.ts';

const root = mkdtempSync(join(tmpdir(), 'automl-feature-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function runContract(name: string, make: () => Promise<FeatureStore & { close?(): Promise<void> }>): void {
  describe(`FeatureStore contract: ${name}`, () => {
    let open: (FeatureStore & { close?(): Promise<void> })[] = [];
    afterEach(async () => {
      await Promise.all(open.map((s) => s.close?.()));
      open = [];
    });
    for (const c of featureStoreContract) {
      it(c.name, async () => {
        const store = await make();
        open.push(store);
        await c.run(store);
      });
    }
  });
}

let n = 0;
let clock = 1_700_000_000_000;
const now = () => clock++;
runContract('memory', async () => new MemoryFeatureStore(now));
runContract('dexie (fake-indexeddb)', () =>
  DexieFeatureStore.open({ name: `fs-${n++}`, indexedDB: new IDBFactory(), IDBKeyRange, now }),
);
runContract('sqlite', async () => SqliteFeatureStore.open(join(root, `c${n++}`, 'tracking.db'), { now }));

describe('feature store specifics', () => {
  it('IndexedDB: a schema v3 tracking database with data opens at v4, its data kept, recipes persisting', async () => {
    const idb = new IDBFactory();
    const old = new Dexie('automl-studio-tracking', { indexedDB: idb, IDBKeyRange });
    declareSchema(old, 3);
    await old.open();
    await old.table('experiments').put({ id: 'e', name: 'kept', createdAt: 1 });
    await old
      .table('monitoring')
      .put({ id: 'm', modelName: 'x', modelVersion: 1, runId: 'r', bundleSha256: 'b' });
    old.close();

    const fs = await DexieFeatureStore.open({ indexedDB: idb, IDBKeyRange });
    expect(fs.db.verno).toBe(4);
    await fs.saveRecipe('churn', sampleRecipe());
    await fs.close();

    const tracking = await DexieTrackingStore.open({ indexedDB: idb, IDBKeyRange, storage: null });
    expect((await tracking.listExperiments()).map((e) => e.name)).toEqual(['kept']);
    expect(await tracking.db.table('monitoring').count()).toBe(1);
    await tracking.close();
    const again = await DexieFeatureStore.open({ indexedDB: idb, IDBKeyRange });
    expect((await again.getRecipe('churn'))?.version).toBe(1);
    await again.close();
  });

  it('SQLite: the same database file as the tracking store; both open it, in either order, and keep their data', async () => {
    const path = join(root, 'shared', 'tracking.db');
    const tracking = openSqliteStore(path);
    await tracking.write([{ op: 'createExperiment', id: 'e', name: 'E', createdAt: 1 }]);
    const fs = SqliteFeatureStore.open(path);
    await fs.saveRecipe('churn', sampleRecipe());
    await fs.close();
    await tracking.close();
    const fs2 = SqliteFeatureStore.open(path);
    expect((await fs2.listVersions('churn')).map((v) => v.version)).toEqual([1]);
    await fs2.close();
    const t2 = openSqliteStore(path);
    expect((await t2.listExperiments()).map((e) => e.name)).toEqual(['E']);
    await t2.close();
  });

  it('SQLite: two connections saving the same content get one version', async () => {
    const path = join(root, 'two', 'tracking.db');
    const a = SqliteFeatureStore.open(path);
    const b = SqliteFeatureStore.open(path);
    const [x, y] = await Promise.all([
      a.saveRecipe('churn', sampleRecipe()),
      b.saveRecipe('churn', sampleRecipe()),
    ]);
    expect([x.stored.version, y.stored.version]).toEqual([1, 1]);
    expect([x.created, y.created].sort()).toEqual([false, true]);
    await a.close();
    await b.close();
  });
});
