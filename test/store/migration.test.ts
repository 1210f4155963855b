import { readFileSync } from 'node:fs';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import Dexie from 'dexie';
import { describe, expect, it } from 'vitest';
import { DexieTrackingStore } from '../../src/store/dexie.ts';
import { declareSchema } from '../../src/store/schema.ts';
import { loadDump, type DatabaseDump } from '../fixtures/store/dump.ts';
import type { MonitoringRecord } from '../../src/core/tracking/types.ts';

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/store/tracking-v1.json', import.meta.url), 'utf8'),
) as DatabaseDump;
const T0 = 1_700_000_000_000;

function monitoringRecord(version: number): MonitoringRecord {
  return {
    id: 'mon-1',
    modelName: 'old-model',
    modelVersion: version,
    runId: null,
    bundleSha256: 'a'.repeat(64),
    batchName: 'april.csv',
    batchSha256: 'b'.repeat(64),
    batchRows: 10,
    batchTime: T0 + 3000,
    createdAt: T0 + 3000,
    summary: {
      verdict: 'drift',
      basis: 'stored profile',
      compared: 1,
      drifted: 1,
      driftedShare: 1,
      driftShare: 0.5,
      columns: [],
      missingColumns: [],
      newColumns: [],
      predictionDrift: null,
      targetDrift: null,
      performance: null,
      alerts: ['dataset drift'],
    },
  };
}

/** A fake-indexeddb holding the fixture as schema v1 wrote it. */
async function v1Database(): Promise<IDBFactory> {
  const idb = new IDBFactory();
  const db = new Dexie(fixture.name, { indexedDB: idb, IDBKeyRange });
  declareSchema(db, 1);
  await db.open();
  expect(db.verno).toBe(1);
  await loadDump(db, fixture);
  db.close();
  return idb;
}

describe('schema migration v1 → v2 → v3 → v4 (fixture written by v1)', () => {
  it('fixture really is v1-shaped', () => {
    expect(fixture.schemaVersion).toBe(1);
    const run = fixture.tables.runs[1] as Record<string, unknown>;
    expect(run).not.toHaveProperty('latestMetrics');
    expect(fixture.tables.blobs[0]).not.toHaveProperty('size');
  });

  it('opens with the current schema and migrates the content', async () => {
    const idb = await v1Database();
    const store = await DexieTrackingStore.open({
      name: fixture.name,
      indexedDB: idb,
      IDBKeyRange,
      storage: null,
    });
    expect(store.db.verno).toBe(4);

    // latest metrics derived from the history (largest step; later write wins a tie)
    const b = await store.getRun('trial-b');
    expect(b?.latestMetrics).toEqual({
      val_loss: { value: 0.35, step: 1, timestamp: T0 + 22 },
      auc: { value: 0.86, step: 0, timestamp: T0 + 23 },
    });
    expect(b).not.toHaveProperty('parentKey');
    expect(b?.parentRunId).toBe('search');
    expect((await store.getRun('search'))?.latestMetrics).toEqual({});

    // history untouched
    expect((await store.getMetricHistory('trial-b', 'val_loss')).map((p) => p.value)).toEqual([
      0.8, 0.3, 0.35,
    ]);

    // the new indexes work: children paged, sorted by metric (missing last)
    const byLoss = await store.searchRuns({
      experimentId: 'exp-v1',
      parentRunId: 'search',
      orderBy: { field: { kind: 'metric', key: 'val_loss' }, direction: 'asc' },
    });
    expect(byLoss.runs.map((r) => r.id)).toEqual(['trial-b', 'trial-a', 'trial-c']);
    const byAuc = await store.searchRuns({
      experimentId: 'exp-v1',
      parentRunId: 'search',
      orderBy: { field: { kind: 'metric', key: 'auc' }, direction: 'desc' },
      limit: 2,
    });
    expect(byAuc.runs.map((r) => r.id)).toEqual(['trial-b', 'trial-a']);
    expect(byAuc.nextPageToken).not.toBeNull();
    const top = await store.searchRuns({ experimentId: 'exp-v1', parentRunId: null });
    expect(top.runs.map((r) => r.id)).toEqual(['search']);

    // blob sizes added; bytes and registry intact
    expect((await store.usage()).blobBytes).toBe(12 + 8);
    expect(await store.getArtifactBytes('art-v1')).toEqual(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    expect(new TextDecoder().decode(await store.getDatasetFile('fp-v1'))).toBe('x,y\n1,0\n2,1\n');
    expect((await store.getModelVersionByAlias('old-model', 'champion'))?.sourceRunId).toBe('trial-b');

    // the migrated database keeps working: interrupted runs recovered, new writes accepted
    expect(await store.markInterrupted(T0 + 1000)).toBe(2);
    await store.write([
      { op: 'startRun', id: 'trial-d', experimentId: 'exp-v1', parentRunId: 'search', startTime: T0 + 2000 },
      {
        op: 'logMetrics',
        runId: 'trial-d',
        metrics: [{ key: 'val_loss', value: 0.1, step: 0, timestamp: T0 + 2001 }],
      },
    ]);
    const after = await store.searchRuns({
      experimentId: 'exp-v1',
      parentRunId: 'search',
      orderBy: { field: { kind: 'metric', key: 'val_loss' }, direction: 'asc' },
      limit: 1,
    });
    expect(after.runs.map((r) => r.id)).toEqual(['trial-d']);
    // v3: monitoring records for a version registered before monitoring existed
    const champion = (await store.getModelVersionByAlias('old-model', 'champion'))!;
    expect(await store.listMonitoringRecords({ modelName: 'old-model' })).toEqual([]);
    await store.write([{ op: 'putMonitoringRecord', record: monitoringRecord(champion.version) }]);
    expect((await store.listMonitoringRecords({ modelName: 'old-model' })).map((r) => r.id)).toEqual([
      'mon-1',
    ]);
    await store.close();

    // reopening does not migrate again
    const again = await DexieTrackingStore.open({
      name: fixture.name,
      indexedDB: idb,
      IDBKeyRange,
      storage: null,
    });
    expect((await again.getRun('trial-d'))?.latestMetrics.val_loss.value).toBe(0.1);
    expect((await again.getMonitoringRecord('mon-1'))?.summary.verdict).toBe('drift');
    await again.close();
  });
});
