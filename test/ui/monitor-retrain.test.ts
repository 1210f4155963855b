/**
 * The retrain loop's store side (src/ui/state/monitor-retrain.ts) over the memory store: labelled
 * batch files are kept once by hash (unlabelled ones are not), the labelled batches of a model,
 * a version's lineage tag, and Promote moving `champion` (and dropping `challenger` only when it
 * pointed at the promoted version). The training itself is covered by test/e2e/monitor-retrain.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/store/memory.ts';
import type { MonitoringRecord, MonitoringSummary } from '../../src/core/tracking/types.ts';
import {
  LINEAGE_TAG,
  keepBatchOps,
  labelledBatches,
  promote,
  versionLineage,
} from '../../src/ui/state/monitor-retrain.ts';

const T0 = 1_750_000_000_000;

const summary = (labelled: boolean): MonitoringSummary => ({
  verdict: 'no drift',
  basis: 'stored profile',
  compared: 1,
  drifted: 0,
  driftedShare: 0,
  driftShare: 0.5,
  columns: [],
  missingColumns: [],
  newColumns: [],
  predictionDrift: null,
  targetDrift: null,
  performance: {
    kind: labelled ? 'actual' : 'estimated',
    rows: 3,
    metrics: [],
    conceptDrift: false,
  },
  alerts: [],
});

const record = (id: string, sha: string, labelled: boolean, batchTime: number): MonitoringRecord => ({
  id,
  modelName: 'churn',
  modelVersion: 1,
  runId: 'r1',
  bundleSha256: 'c'.repeat(64),
  batchName: `${id}.csv`,
  batchSha256: sha,
  batchRows: 3,
  batchTime,
  createdAt: T0,
  summary: summary(labelled),
});

async function seeded() {
  const store = createMemoryStore();
  await store.write([
    { op: 'createExperiment', id: 'e', name: 'E', createdAt: T0 },
    { op: 'startRun', id: 'r1', experimentId: 'e', startTime: T0 },
    { op: 'endRun', runId: 'r1', state: 'COMPLETE', endTime: T0 + 1 },
    { op: 'startRun', id: 'r2', experimentId: 'e', startTime: T0 + 2 },
    { op: 'endRun', runId: 'r2', state: 'COMPLETE', endTime: T0 + 3 },
    { op: 'createRegisteredModel', name: 'churn', createdAt: T0 + 4 },
    { op: 'createModelVersion', name: 'churn', sourceRunId: 'r1', createdAt: T0 + 5 },
    {
      op: 'createModelVersion',
      name: 'churn',
      sourceRunId: 'r2',
      createdAt: T0 + 6,
      tags: {
        [LINEAGE_TAG]: JSON.stringify([{ role: 'training', name: 't.csv', sha256: 'a'.repeat(64), rows: 9 }]),
      },
    },
    { op: 'setAlias', name: 'churn', alias: 'champion', version: 1, updatedAt: T0 + 7 },
    { op: 'setAlias', name: 'churn', alias: 'challenger', version: 2, updatedAt: T0 + 7 },
  ]);
  return store;
}

describe('monitor retrain (UI state)', () => {
  it('keeps a labelled batch file once by its hash; never an unlabelled one', async () => {
    const store = await seeded();
    const file = new Blob(['x,y\n1,a\n']);
    const labelled = record('may', '1'.repeat(64), true, T0);
    const ops = await keepBatchOps(store, labelled, file, T0);
    expect(ops).toHaveLength(1);
    await store.write([...ops, { op: 'putMonitoringRecord', record: labelled }]);
    expect(new TextDecoder().decode(await store.getDatasetFile('1'.repeat(64)))).toBe('x,y\n1,a\n');
    expect((await store.getDataset('1'.repeat(64)))?.name).toBe('may.csv');
    // Again (the same file monitored twice): nothing more to write.
    expect(await keepBatchOps(store, record('may2', '1'.repeat(64), true, T0), file, T0)).toEqual([]);
    expect(await keepBatchOps(store, record('june', '2'.repeat(64), false, T0), file, T0)).toEqual([]);
  });

  it('lists the labelled batches once per file, oldest first, and whether each file is kept', async () => {
    const store = await seeded();
    const a = record('a', '1'.repeat(64), true, T0 + 10);
    const b = record('b', '2'.repeat(64), false, T0 + 20);
    const c = record('c', '3'.repeat(64), true, T0 + 30);
    const again = record('a-again', '1'.repeat(64), true, T0 + 40);
    await store.write(await keepBatchOps(store, a, new Blob(['x,y\n1,a\n']), T0));
    const list = await labelledBatches(store, [a, b, c, again]);
    expect(list.map((x) => [x.record.id, x.kept])).toEqual([
      ['a', true],
      ['c', false],
    ]);
  });

  it('reads a version’s lineage tag (empty when absent or unreadable)', async () => {
    const store = await seeded();
    const [v1, v2] = await store.listModelVersions('churn');
    expect(versionLineage(v1!)).toEqual([]);
    expect(versionLineage(v2!)).toEqual([
      { role: 'training', name: 't.csv', sha256: 'a'.repeat(64), rows: 9 },
    ]);
    expect(versionLineage({ ...v2!, tags: { [LINEAGE_TAG]: '{oops' } })).toEqual([]);
  });

  it('Promote moves champion to the challenger and removes the challenger alias', async () => {
    const store = await seeded();
    const write = (ops: Parameters<typeof store.write>[0]) => store.write(ops);
    let model = await store.getRegisteredModel('churn');
    await promote(write, 'churn', 2, model!.aliases);
    model = await store.getRegisteredModel('churn');
    expect(model!.aliases).toEqual({ champion: 2 });
    // Promoting a version that is not the challenger leaves the challenger alone.
    await store.write([
      { op: 'setAlias', name: 'churn', alias: 'challenger', version: 2, updatedAt: T0 + 9 },
    ]);
    await promote(write, 'churn', 1, (await store.getRegisteredModel('churn'))!.aliases);
    expect((await store.getRegisteredModel('churn'))!.aliases).toEqual({ champion: 1, challenger: 2 });
  });
});
