/**
 * The shared contract of `TrackingStore`: a list of async checks, each given a FRESH empty store.
 * Framework-free (see ./assert.ts) so it runs under Vitest in Node (`contract.ts`) and inside
 * Chromium over real IndexedDB (`test/e2e/store.e2e.ts`).
 */
import type { TrackingStore } from '../../src/core/tracking/store.ts';
import type { MonitoringRecord, RunRecord, WriteOp } from '../../src/core/tracking/types.ts';
import { Tracker } from '../../src/core/tracking/tracker.ts';
import { createIdGenerator } from '../../src/core/tracking/ids.ts';
import { createRng } from '../../src/core/util/random.ts';
import { assert } from './assert.ts';

export interface ContractCase {
  readonly name: string;
  run(store: TrackingStore): Promise<void>;
}

const T0 = 1_700_000_000_000;
const bytes = (...xs: number[]): Uint8Array => Uint8Array.from(xs);

/** Everything readable through the interface, for "the store is unchanged" checks. */
export async function snapshot(store: TrackingStore): Promise<unknown> {
  const experiments = await store.listExperiments();
  const out: Record<string, unknown> = { experiments, datasets: await store.listDatasets() };
  const runs: unknown[] = [];
  for (const e of experiments) {
    const page = await store.searchRuns({ experimentId: e.id, limit: 10_000 });
    for (const r of page.runs) {
      const hist: Record<string, unknown> = {};
      for (const k of Object.keys(r.latestMetrics)) hist[k] = await store.getMetricHistory(r.id, k);
      const arts = await store.listArtifacts(r.id);
      const artBytes = await Promise.all(arts.map((a) => store.getArtifactBytes(a.id)));
      runs.push({ r, hist, arts, artBytes });
    }
  }
  out.runs = runs;
  const models = await store.listRegisteredModels();
  out.models = models;
  out.versions = await Promise.all(models.map((m) => store.listModelVersions(m.name)));
  out.monitoring = await store.listMonitoringRecords({});
  out.blobBytes = (await store.usage()).blobBytes;
  return out;
}

async function seedExperiment(store: TrackingStore, id = 'exp-1', name = 'Titanic'): Promise<void> {
  await store.write([{ op: 'createExperiment', id, name, createdAt: T0 }]);
}

async function startRun(
  store: TrackingStore,
  id: string,
  extra: Partial<Extract<WriteOp, { op: 'startRun' }>> = {},
): Promise<void> {
  await store.write([{ op: 'startRun', id, experimentId: 'exp-1', startTime: T0 + 1, ...extra }]);
}

async function mustGetRun(store: TrackingStore, id: string): Promise<RunRecord> {
  const r = await store.getRun(id);
  assert.ok(r, `run ${id} should exist`);
  return r;
}

/** A monitoring record for the contract (a summary with every kind of field). */
function monitoringRecord(id: string, extra: Partial<MonitoringRecord> = {}): MonitoringRecord {
  const column = (name: string, drifted: boolean) => ({
    column: name,
    method: 'ks',
    statistic: drifted ? 0.4 : 0.05,
    pvalue: drifted ? 1e-9 : 0.7,
    score: drifted ? 1e-9 : 0.7,
    threshold: 0.05,
    drifted,
    psi: drifted ? 0.8 : 0.01,
    findings: drifted ? ['12% of values above the training maximum'] : [],
  });
  return {
    id,
    modelName: 'churn',
    modelVersion: 1,
    runId: null,
    bundleSha256: 'a'.repeat(64),
    batchName: `${id}.csv`,
    batchSha256: 'b'.repeat(64),
    batchRows: 120,
    batchTime: T0 + 100,
    createdAt: T0 + 200,
    summary: {
      verdict: 'no drift',
      basis: 'stored profile',
      compared: 2,
      drifted: 1,
      driftedShare: 0.5,
      driftShare: 0.6,
      columns: [column('tenure', true), column('plan', false)],
      missingColumns: [],
      newColumns: ['id'],
      predictionDrift: { ...column('(predictions)', false), method: 'wasserstein', pvalue: null },
      targetDrift: null,
      performance: {
        kind: 'estimated',
        rows: 120,
        metrics: [
          { metric: 'accuracy', value: 0.81, validation: 0.83, standardError: 0.02, outsideBand: false },
        ],
        conceptDrift: false,
      },
      alerts: ['tenure drifted (Kolmogorov–Smirnov p = 1e-9)'],
    },
    ...extra,
  };
}

function isFrozenDeep(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return true;
  if (!Object.isFrozen(v)) return false;
  return Object.values(v).every(isFrozenDeep);
}

export const storeContract: readonly ContractCase[] = [
  {
    name: 'creates and reads experiments; records are frozen',
    async run(store) {
      await store.write([
        { op: 'createExperiment', id: 'e1', name: 'First', createdAt: T0, tags: { owner: 'me' } },
        { op: 'createExperiment', id: 'e2', name: 'Second', description: 'd', createdAt: T0 + 5 },
      ]);
      const e1 = await store.getExperiment('e1');
      assert.eq(
        e1,
        {
          id: 'e1',
          name: 'First',
          description: '',
          datasetFingerprint: null,
          tags: { owner: 'me' },
          createdAt: T0,
        },
        'e1',
      );
      assert.ok(isFrozenDeep(e1), 'experiment record is deeply frozen');
      assert.eq((await store.getExperimentByName('Second'))?.id, 'e2', 'by name');
      assert.eq(await store.getExperiment('nope'), undefined, 'unknown id → undefined');
      assert.eq(
        (await store.listExperiments()).map((e) => e.id),
        ['e2', 'e1'],
        'newest first',
      );
    },
  },
  {
    name: 'duplicate experiment name is a clear ALREADY_EXISTS and the whole batch is discarded',
    async run(store) {
      await seedExperiment(store);
      const before = await snapshot(store);
      const err = await assert.rejects(
        store.write([
          { op: 'createExperiment', id: 'e-new', name: 'Other', createdAt: T0 },
          { op: 'createExperiment', id: 'e-dup', name: 'Titanic', createdAt: T0 },
        ]),
        'ALREADY_EXISTS',
        'duplicate name',
        'an experiment named "Titanic" already exists',
      );
      assert.eq(err.opIndex, 1, 'opIndex points at the offending op');
      assert.eq(await snapshot(store), before, 'store unchanged after failed batch');
      assert.eq(await store.getExperiment('e-new'), undefined, 'first op of the failed batch not applied');
    },
  },
  {
    name: 'run lifecycle: params, metrics with step history, tags, end state',
    async run(store) {
      await seedExperiment(store);
      await startRun(store, 'r1', { name: 'trial 0', params: { lr: 0.1 }, tags: { model: 'gbdt' } });
      const started = await mustGetRun(store, 'r1');
      assert.eq(started.state, 'RUNNING', 'RUNNING once started');
      assert.eq(started.endTime, null, 'no end time yet');
      await store.write([
        { op: 'logParams', runId: 'r1', params: { depth: 6, lr: 0.1, booster: 'gbtree', early: true } },
        {
          op: 'logMetrics',
          runId: 'r1',
          metrics: [
            { key: 'val_loss', value: 0.9, step: 0, timestamp: T0 + 10 },
            { key: 'val_loss', value: 0.7, step: 1, timestamp: T0 + 11 },
          ],
        },
        {
          op: 'logMetrics',
          runId: 'r1',
          metrics: [{ key: 'val_loss', value: 0.5, step: 2, timestamp: T0 + 12 }],
        },
        // written later but for an earlier step: history order by step, latest stays step 2
        {
          op: 'logMetrics',
          runId: 'r1',
          metrics: [{ key: 'val_loss', value: 0.8, step: 1, timestamp: T0 + 13 }],
        },
        { op: 'setTags', runId: 'r1', tags: { note: 'ok' } },
        { op: 'endRun', runId: 'r1', state: 'COMPLETE', endTime: T0 + 20 },
      ]);
      const r = await mustGetRun(store, 'r1');
      assert.eq(r.state, 'COMPLETE', 'state');
      assert.eq(r.endTime, T0 + 20, 'endTime');
      assert.eq(r.params, { lr: 0.1, depth: 6, booster: 'gbtree', early: true }, 'params keep their types');
      assert.eq(r.tags, { model: 'gbdt', note: 'ok' }, 'tags merged');
      assert.eq(
        r.latestMetrics,
        { val_loss: { value: 0.5, step: 2, timestamp: T0 + 12 } },
        'latest = largest step',
      );
      assert.eq(r.error, null, 'no error');
      assert.ok(isFrozenDeep(r), 'run record is deeply frozen');
      const hist = await store.getMetricHistory('r1', 'val_loss');
      assert.eq(
        hist.map((p) => [p.step, p.value]),
        [
          [0, 0.9],
          [1, 0.7],
          [1, 0.8],
          [2, 0.5],
        ],
        'history ordered by step then timestamp',
      );
      assert.eq(await store.getMetricHistory('r1', 'nope'), [], 'unknown metric → empty history');
    },
  },
  {
    name: 'validation: unknown run, finished run, unknown experiment, bad values; failed batches change nothing',
    async run(store) {
      await seedExperiment(store);
      await startRun(store, 'r1');
      await store.write([
        {
          op: 'endRun',
          runId: 'r1',
          state: 'FAILED',
          endTime: T0 + 2,
          error: { reason: 'exception', message: 'boom' },
        },
      ]);
      const before = await snapshot(store);
      await assert.rejects(
        store.write([
          { op: 'startRun', id: 'r2', experimentId: 'exp-1', startTime: T0 },
          { op: 'logMetrics', runId: 'ghost', metrics: [{ key: 'a', value: 1, step: 0, timestamp: T0 }] },
        ]),
        'NOT_FOUND',
        'unknown run',
        'run ghost does not exist',
      );
      await assert.rejects(
        store.write([
          { op: 'logMetrics', runId: 'r1', metrics: [{ key: 'a', value: 1, step: 0, timestamp: T0 }] },
        ]),
        'RUN_FINISHED',
        'log to finished run',
        'cannot log to a finished run',
      );
      await assert.rejects(
        store.write([{ op: 'endRun', runId: 'r1', state: 'COMPLETE', endTime: T0 }]),
        'RUN_FINISHED',
        'end twice',
      );
      await assert.rejects(
        store.write([{ op: 'startRun', id: 'r3', experimentId: 'nope', startTime: T0 }]),
        'NOT_FOUND',
        'unknown experiment',
      );
      await assert.rejects(
        store.write([{ op: 'startRun', id: 'r1', experimentId: 'exp-1', startTime: T0 }]),
        'ALREADY_EXISTS',
        'duplicate run id',
      );
      await assert.rejects(
        store.write([
          { op: 'startRun', id: 'r4', experimentId: 'exp-1', startTime: T0 },
          { op: 'logMetrics', runId: 'r4', metrics: [{ key: 'a', value: 1, step: 0.5, timestamp: T0 }] },
        ]),
        'INVALID',
        'fractional step',
      );
      await assert.rejects(
        store.write([
          {
            op: 'startRun',
            id: 'r5',
            experimentId: 'exp-1',
            startTime: T0,
            params: { x: { nested: 1 } as never },
          },
        ]),
        'INVALID',
        'object param',
      );
      const unknown = await assert.rejects(
        store.write([{ op: 'dropTables' } as unknown as WriteOp]),
        'INVALID',
        'unknown op',
        'unknown op',
      );
      assert.eq(unknown.opIndex, 0, 'unknown op index');
      assert.eq(await snapshot(store), before, 'store unchanged after all failed batches');
      const r1 = await mustGetRun(store, 'r1');
      assert.eq(r1.error, { reason: 'exception', message: 'boom' }, 'error kept');
    },
  },
  {
    name: 'params cannot change once logged (same value is fine)',
    async run(store) {
      await seedExperiment(store);
      await startRun(store, 'r1', { params: { lr: 0.1 } });
      await store.write([{ op: 'logParams', runId: 'r1', params: { lr: 0.1 } }]);
      await assert.rejects(
        store.write([{ op: 'logParams', runId: 'r1', params: { lr: 0.2 } }]),
        'INVALID',
        'changed param',
        'cannot change',
      );
      assert.eq((await mustGetRun(store, 'r1')).params, { lr: 0.1 }, 'param kept');
    },
  },
  {
    name: 'a failed batch with blobs stores no bytes',
    async run(store) {
      await seedExperiment(store);
      await startRun(store, 'r1');
      const before = await snapshot(store);
      await assert.rejects(
        store.write([
          {
            op: 'putArtifact',
            id: 'a1',
            runId: 'r1',
            name: 'model.json',
            kind: 'model',
            bytes: bytes(1, 2, 3, 4),
            createdAt: T0,
          },
          { op: 'putDataset', fingerprint: 'fp', name: 'd', schema: [], raw: bytes(9, 9, 9), createdAt: T0 },
          { op: 'endRun', runId: 'r1', state: 'DONE' as never, endTime: T0 },
        ]),
        'INVALID',
        'bad end state',
      );
      assert.eq(await snapshot(store), before, 'nothing stored');
      assert.eq((await store.usage()).blobBytes, 0, 'no blob bytes');
      assert.eq(await store.getArtifact('a1'), undefined, 'artifact not stored');
      assert.eq(await store.getDataset('fp'), undefined, 'dataset not stored');
    },
  },
  {
    name: 'artifacts: a finished run takes artifacts (e.g. explain.json), not metrics',
    async run(store) {
      await seedExperiment(store);
      await startRun(store, 'r1');
      await store.write([{ op: 'endRun', runId: 'r1', state: 'COMPLETE', endTime: T0 + 5 }]);
      await store.write([
        {
          op: 'putArtifact',
          id: 'late',
          runId: 'r1',
          name: 'explain.json',
          kind: 'report',
          contentType: 'application/json',
          bytes: bytes(7, 8),
          createdAt: T0 + 10,
        },
      ]);
      assert.eq(
        (await store.listArtifacts('r1')).map((a) => a.name),
        ['explain.json'],
        'listed',
      );
      assert.eq([...(await store.getArtifactBytes('late'))], [7, 8], 'bytes');
      assert.eq((await mustGetRun(store, 'r1')).state, 'COMPLETE', 'still finished');
      await assert.rejects(
        store.write([
          { op: 'logMetrics', runId: 'r1', metrics: [{ key: 'a', value: 1, step: 0, timestamp: T0 }] },
        ]),
        'RUN_FINISHED',
        'metrics still refused',
      );
    },
  },
  {
    name: 'artifacts: bytes round-trip, copies, dedup by content hash',
    async run(store) {
      await seedExperiment(store);
      await startRun(store, 'r1');
      await store.write([
        {
          op: 'putArtifact',
          id: 'a1',
          runId: 'r1',
          name: 'model.json',
          kind: 'model',
          contentType: 'application/json',
          bytes: bytes(1, 2, 3, 4),
          createdAt: T0 + 1,
          meta: { format: 'gbdt-v1' },
        },
        {
          op: 'putArtifact',
          id: 'a2',
          runId: 'r1',
          name: 'copy.json',
          kind: 'pipeline',
          bytes: bytes(1, 2, 3, 4),
          createdAt: T0 + 2,
        },
        {
          op: 'putArtifact',
          id: 'a3',
          runId: 'r1',
          name: 'oof.bin',
          kind: 'oof-predictions',
          bytes: new Uint8Array(new Float64Array([0.25, 0.75]).buffer),
          createdAt: T0 + 3,
        },
      ]);
      const a1 = await store.getArtifact('a1');
      assert.ok(a1, 'a1 exists');
      assert.eq(
        [a1.name, a1.kind, a1.contentType, a1.byteLength, a1.experimentId, a1.meta],
        ['model.json', 'model', 'application/json', 4, 'exp-1', { format: 'gbdt-v1' }],
        'metadata',
      );
      assert.ok(/^sha256:[0-9a-f]{64}$/.test(a1.contentHash), 'content hash');
      assert.eq((await store.getArtifact('a2'))?.contentHash, a1.contentHash, 'same bytes → same hash');
      const b = await store.getArtifactBytes('a1');
      assert.eq(b, bytes(1, 2, 3, 4), 'bytes round-trip');
      b[0] = 99;
      assert.eq(await store.getArtifactBytes('a1'), bytes(1, 2, 3, 4), 'returned bytes are a copy');
      assert.eq(
        Array.from(new Float64Array((await store.getArtifactBytes('a3')).slice().buffer)),
        [0.25, 0.75],
        'float payload',
      );
      assert.eq((await store.usage()).blobBytes, 4 + 16, 'identical bytes stored once');
      assert.eq(
        (await store.listArtifacts('r1')).map((a) => a.id),
        ['a1', 'a2', 'a3'],
        'list oldest first',
      );
      await assert.rejects(store.getArtifactBytes('zzz'), 'NOT_FOUND', 'unknown artifact bytes');
      await assert.rejects(
        store.write([
          {
            op: 'putArtifact',
            id: 'a1',
            runId: 'r1',
            name: 'x',
            kind: 'model',
            bytes: bytes(1),
            createdAt: T0,
          },
        ]),
        'ALREADY_EXISTS',
        'duplicate artifact id',
      );
    },
  },
  {
    name: 'datasets: raw file kept once by content hash; referenced by experiments and runs',
    async run(store) {
      const raw = new TextEncoder().encode('a,b\n1,2\n');
      await store.write([
        {
          op: 'putDataset',
          fingerprint: 'fp-1',
          name: 'tiny.csv',
          schema: [
            { name: 'a', type: 'integer' },
            { name: 'b', type: 'integer' },
          ],
          profile: { rows: 1 },
          raw,
          createdAt: T0,
        },
        { op: 'putDataset', fingerprint: 'fp-2', name: 'tiny-again.csv', schema: [], raw, createdAt: T0 + 1 },
        { op: 'createExperiment', id: 'exp-1', name: 'E', datasetFingerprint: 'fp-1', createdAt: T0 + 2 },
      ]);
      const d = await store.getDataset('fp-1');
      assert.eq(
        d?.schema,
        [
          { name: 'a', type: 'integer' },
          { name: 'b', type: 'integer' },
        ],
        'schema',
      );
      assert.eq(d?.profile, { rows: 1 }, 'profile');
      assert.eq(d?.byteLength, raw.byteLength, 'byteLength');
      assert.eq(await store.getDatasetFile('fp-2'), raw, 'raw file');
      assert.eq((await store.usage()).blobBytes, raw.byteLength, 'raw stored once');
      assert.eq((await store.listDatasets()).length, 2, 'two datasets');
      assert.eq((await store.getExperiment('exp-1'))?.datasetFingerprint, 'fp-1', 'experiment lineage');
      await assert.rejects(
        store.write([
          { op: 'createExperiment', id: 'e2', name: 'E2', datasetFingerprint: 'missing', createdAt: T0 },
        ]),
        'NOT_FOUND',
        'unknown dataset',
        'dataset missing does not exist',
      );
      await store.write([
        { op: 'putDataset', fingerprint: 'meta-only', name: 'm', schema: [], createdAt: T0 },
      ]);
      assert.eq(await store.getDatasetFile('meta-only'), undefined, 'metadata-only dataset has no file');
    },
  },
  {
    name: 'model registry: versions, lineage, aliases that move, updates, clear errors',
    async run(store) {
      await store.write([
        { op: 'putDataset', fingerprint: 'fp-1', name: 'd', schema: [], createdAt: T0 },
        { op: 'createExperiment', id: 'exp-1', name: 'E', datasetFingerprint: 'fp-1', createdAt: T0 },
        { op: 'startRun', id: 'r1', experimentId: 'exp-1', startTime: T0 },
        {
          op: 'putArtifact',
          id: 'm1',
          runId: 'r1',
          name: 'model',
          kind: 'model',
          bytes: bytes(7),
          createdAt: T0,
        },
        { op: 'endRun', runId: 'r1', state: 'COMPLETE', endTime: T0 + 1 },
        { op: 'startRun', id: 'r2', experimentId: 'exp-1', startTime: T0 + 2 },
        { op: 'endRun', runId: 'r2', state: 'COMPLETE', endTime: T0 + 3 },
        { op: 'createRegisteredModel', name: 'churn', description: 'churn model', createdAt: T0 + 4 },
      ]);
      const res = await store.write([
        { op: 'createModelVersion', name: 'churn', sourceRunId: 'r1', artifactId: 'm1', createdAt: T0 + 5 },
        { op: 'createModelVersion', name: 'churn', sourceRunId: 'r2', description: 'v2', createdAt: T0 + 6 },
        { op: 'setAlias', name: 'churn', alias: 'champion', version: 1, updatedAt: T0 + 7 },
      ]);
      assert.eq(
        res.modelVersions,
        [
          { name: 'churn', version: 1 },
          { name: 'churn', version: 2 },
        ],
        'assigned versions',
      );
      const v1 = await store.getModelVersion('churn', 1);
      assert.eq(
        [v1?.sourceRunId, v1?.experimentId, v1?.datasetFingerprint, v1?.artifactId],
        ['r1', 'exp-1', 'fp-1', 'm1'],
        'lineage',
      );
      assert.eq((await store.getModelVersionByAlias('churn', 'champion'))?.version, 1, 'champion → v1');
      await store.write([
        { op: 'setAlias', name: 'churn', alias: 'champion', version: 2, updatedAt: T0 + 8 },
        { op: 'setAlias', name: 'churn', alias: 'challenger', version: 1, updatedAt: T0 + 8 },
      ]);
      assert.eq((await store.getModelVersionByAlias('churn', 'champion'))?.version, 2, 'alias moved to v2');
      assert.eq(
        (await store.getRegisteredModel('churn'))?.aliases,
        { champion: 2, challenger: 1 },
        'aliases map',
      );
      const before = await snapshot(store);
      await assert.rejects(
        store.write([
          { op: 'deleteAlias', name: 'churn', alias: 'challenger', updatedAt: T0 + 9 },
          { op: 'setAlias', name: 'churn', alias: 'champion', version: 9, updatedAt: T0 + 9 },
        ]),
        'NOT_FOUND',
        'alias on a missing version',
        'version 9 of model "churn" does not exist',
      );
      await assert.rejects(
        store.write([{ op: 'createRegisteredModel', name: 'churn', createdAt: T0 }]),
        'ALREADY_EXISTS',
        'duplicate model name',
        'already exists',
      );
      await assert.rejects(
        store.write([{ op: 'setAlias', name: 'churn', alias: 'latest', version: 1, updatedAt: T0 }]),
        'INVALID',
        'reserved alias',
      );
      await assert.rejects(
        store.write([{ op: 'createModelVersion', name: 'nope', sourceRunId: 'r1', createdAt: T0 }]),
        'NOT_FOUND',
        'unknown model',
      );
      await assert.rejects(
        store.write([
          { op: 'createModelVersion', name: 'churn', sourceRunId: 'r2', artifactId: 'm1', createdAt: T0 },
        ]),
        'INVALID',
        'artifact of another run',
      );
      await assert.rejects(
        store.write([{ op: 'deleteAlias', name: 'churn', alias: 'nope', updatedAt: T0 }]),
        'NOT_FOUND',
        'unknown alias',
      );
      assert.eq(await snapshot(store), before, 'registry unchanged after failures');
      await store.write([
        {
          op: 'updateModelVersion',
          name: 'churn',
          version: 2,
          description: 'better',
          tags: { approved: 'yes' },
          updatedAt: T0 + 10,
        },
      ]);
      await store.write([
        {
          op: 'updateModelVersion',
          name: 'churn',
          version: 2,
          tags: { approved: null, stage: 'prod' },
          updatedAt: T0 + 11,
        },
      ]);
      const v2 = await store.getModelVersion('churn', 2);
      assert.eq(
        [v2?.description, v2?.tags, v2?.updatedAt],
        ['better', { stage: 'prod' }, T0 + 11],
        'updated version',
      );
      await store.write([{ op: 'deleteModelVersion', name: 'churn', version: 2 }]);
      assert.eq(
        await store.getModelVersionByAlias('churn', 'champion'),
        undefined,
        'alias of a deleted version is gone',
      );
      const v3 = await store.write([
        { op: 'createModelVersion', name: 'churn', sourceRunId: 'r2', createdAt: T0 + 12 },
      ]);
      assert.eq(v3.modelVersions, [{ name: 'churn', version: 3 }], 'version numbers are not reused');
      assert.eq(
        (await store.listModelVersions('churn')).map((v) => v.version),
        [1, 3],
        'list versions',
      );
      assert.eq(
        (await store.listRegisteredModels()).map((m) => m.name),
        ['churn'],
        'list models',
      );
    },
  },
  {
    name: 'updateRegisteredModel: description and merged tags (null removes), atomic, clear errors',
    async run(store) {
      await seedExperiment(store);
      await startRun(store, 'r1');
      await store.write([
        {
          op: 'createRegisteredModel',
          name: 'churn',
          description: 'first',
          tags: { team: 'ml', stage: 'dev' },
          createdAt: T0,
        },
        { op: 'createModelVersion', name: 'churn', sourceRunId: 'r1', description: 'v1', createdAt: T0 + 1 },
        { op: 'setAlias', name: 'churn', alias: 'champion', version: 1, updatedAt: T0 + 2 },
      ]);
      const v1Before = await store.getModelVersion('churn', 1);

      // Description only: tags, aliases, versions and createdAt are kept.
      await store.write([
        { op: 'updateRegisteredModel', name: 'churn', description: 'second', updatedAt: T0 + 10 },
      ]);
      const m1 = await store.getRegisteredModel('churn');
      assert.eq(
        m1,
        {
          name: 'churn',
          description: 'second',
          tags: { team: 'ml', stage: 'dev' },
          aliases: { champion: 1 },
          latestVersion: 1,
          createdAt: T0,
          updatedAt: T0 + 10,
        },
        'description edited, everything else kept',
      );
      assert.ok(isFrozenDeep(m1), 'registered model record is deeply frozen');

      // Tags only: merged; null removes; description kept.
      await store.write([
        {
          op: 'updateRegisteredModel',
          name: 'churn',
          tags: { stage: null, team: 'data', owner: 'me', absent: null },
          updatedAt: T0 + 11,
        },
      ]);
      const m2 = await store.getRegisteredModel('churn');
      assert.eq(
        [m2?.description, m2?.tags, m2?.updatedAt],
        ['second', { team: 'data', owner: 'me' }, T0 + 11],
        'tags merged, null tag removed, description kept',
      );
      const listed = await store.listRegisteredModels();
      assert.eq(listed, [m2], 'listRegisteredModels shows the update');
      assert.ok(listed.every(isFrozenDeep), 'listed model records are deeply frozen');
      assert.eq(await store.getModelVersion('churn', 1), v1Before, 'versions are not touched');
      assert.eq(
        (await store.getModelVersionByAlias('churn', 'champion'))?.version,
        1,
        'alias still resolves',
      );

      // A missing model fails the whole batch: the earlier update and the new model are discarded.
      const before = await snapshot(store);
      const err = await assert.rejects(
        store.write([
          { op: 'createRegisteredModel', name: 'fraud', createdAt: T0 + 12 },
          {
            op: 'updateRegisteredModel',
            name: 'churn',
            description: 'lost',
            tags: { team: null },
            updatedAt: T0 + 12,
          },
          { op: 'updateRegisteredModel', name: 'nope', description: 'x', updatedAt: T0 + 12 },
        ]),
        'NOT_FOUND',
        'unknown model',
        'registered model "nope" does not exist',
      );
      assert.eq(err.opIndex, 2, 'opIndex points at the update of the missing model');
      await assert.rejects(
        store.write([
          { op: 'updateRegisteredModel', name: 'churn', description: 'lost', updatedAt: T0 + 13 },
          {
            op: 'updateRegisteredModel',
            name: 'churn',
            tags: { n: 3 as unknown as string },
            updatedAt: T0 + 13,
          },
        ]),
        'INVALID',
        'non-string tag value',
        'tags.n must be a string or null',
      );
      await assert.rejects(
        store.write([
          {
            op: 'updateRegisteredModel',
            name: 'churn',
            tags: ['x'] as unknown as Record<string, string>,
            updatedAt: T0 + 13,
          },
        ]),
        'INVALID',
        'tags must be an object',
      );
      await assert.rejects(
        store.write([{ op: 'updateRegisteredModel', name: 'churn', description: 'x' } as unknown as WriteOp]),
        'INVALID',
        'missing updatedAt',
        'updatedAt',
      );
      assert.eq(await snapshot(store), before, 'nothing written by the failed batches');
      assert.eq(
        await store.getRegisteredModel('fraud'),
        undefined,
        'model created in a failed batch is gone',
      );

      // Within one batch an update sees the model created by an earlier op.
      await store.write([
        { op: 'createRegisteredModel', name: 'fraud', tags: { a: '1' }, createdAt: T0 + 14 },
        {
          op: 'updateRegisteredModel',
          name: 'fraud',
          description: 'new',
          tags: { a: null, b: '2' },
          updatedAt: T0 + 15,
        },
      ]);
      const fraud = await store.getRegisteredModel('fraud');
      assert.eq(
        [fraud?.description, fraud?.tags, fraud?.createdAt, fraud?.updatedAt],
        ['new', { b: '2' }, T0 + 14, T0 + 15],
        'create then update in one batch',
      );
    },
  },
  {
    name: 'searchRuns: parent/child, sort by metric/param/attr with missing last, filters, paging',
    async run(store) {
      await seedExperiment(store);
      await seedExperiment(store, 'exp-2', 'Other');
      const ops: WriteOp[] = [
        { op: 'startRun', id: 'search', experimentId: 'exp-1', name: 'search', startTime: T0 },
        { op: 'startRun', id: 'other', experimentId: 'exp-2', startTime: T0 },
        { op: 'logMetrics', runId: 'other', metrics: [{ key: 'auc', value: 0.99, step: 0, timestamp: T0 }] },
      ];
      const rng = createRng(7);
      const expected: { id: string; auc: number | null; depth: number; model: string; start: number }[] = [];
      for (let i = 0; i < 23; i++) {
        const id = `t${String(i).padStart(2, '0')}`;
        const auc = i % 7 === 3 ? null : Math.round(rng.next() * 1000) / 1000;
        const start = T0 + 100 + (i % 5); // repeated start times exercise the tie-breaks
        const model = i % 3 === 0 ? 'linear' : 'gbdt';
        expected.push({ id, auc, depth: i % 4, model, start });
        ops.push({
          op: 'startRun',
          id,
          experimentId: 'exp-1',
          parentRunId: 'search',
          startTime: start,
          params: { depth: i % 4 },
          tags: { model },
        });
        if (auc !== null)
          ops.push({
            op: 'logMetrics',
            runId: id,
            metrics: [{ key: 'auc', value: auc, step: 0, timestamp: start }],
          });
        if (i % 2 === 0) ops.push({ op: 'endRun', runId: id, state: 'COMPLETE', endTime: start + 10 });
      }
      ops.push({
        op: 'startRun',
        id: 'nan',
        experimentId: 'exp-1',
        parentRunId: 'search',
        startTime: T0 + 50,
      });
      ops.push({
        op: 'logMetrics',
        runId: 'nan',
        metrics: [{ key: 'auc', value: NaN, step: 0, timestamp: T0 }],
      });
      expected.push({ id: 'nan', auc: null, depth: -1, model: '', start: T0 + 50 });
      await store.write(ops);

      const ids = (runs: readonly RunRecord[]): string[] => runs.map((r) => r.id);
      const tie = (a: (typeof expected)[0], b: (typeof expected)[0]): number =>
        b.start - a.start || (a.id < b.id ? 1 : -1);
      const byAuc = (dir: 1 | -1) => (a: (typeof expected)[0], b: (typeof expected)[0]) => {
        if ((a.auc === null) !== (b.auc === null)) return a.auc === null ? 1 : -1;
        if (a.auc !== null && b.auc !== null && a.auc !== b.auc) return dir * (a.auc - b.auc);
        return tie(a, b);
      };

      const children = await store.searchRuns({ experimentId: 'exp-1', parentRunId: 'search', limit: 1000 });
      assert.eq(
        ids(children.runs),
        ids([...expected].sort(tie).map((e) => ({ id: e.id }) as RunRecord)),
        'default order: startTime desc, id desc',
      );
      assert.eq(children.nextPageToken, null, 'single page');
      const top = await store.searchRuns({ experimentId: 'exp-1', parentRunId: null });
      assert.eq(ids(top.runs), ['search'], 'top-level runs only');
      assert.eq(
        (await store.searchRuns({ experimentId: 'exp-1' })).runs.length,
        25,
        'all runs of the experiment',
      );
      assert.eq(
        await store.countRuns({ experimentId: 'exp-1', parentRunId: 'search' }),
        24,
        'count children',
      );

      for (const dir of ['asc', 'desc'] as const) {
        const want = [...expected].sort(byAuc(dir === 'asc' ? 1 : -1)).map((e) => e.id);
        const got = await store.searchRuns({
          experimentId: 'exp-1',
          parentRunId: 'search',
          orderBy: { field: { kind: 'metric', key: 'auc' }, direction: dir },
          limit: 1000,
        });
        assert.eq(ids(got.runs), want, `order by auc ${dir}, missing and NaN last`);
        // paging with tokens gives the same sequence, each run once
        const paged: string[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const p = await store.searchRuns({
            experimentId: 'exp-1',
            parentRunId: 'search',
            orderBy: { field: { kind: 'metric', key: 'auc' }, direction: dir },
            limit: 5,
            pageToken: token,
          });
          paged.push(...ids(p.runs));
          token = p.nextPageToken ?? undefined;
          pages++;
        } while (token !== undefined && pages < 100);
        assert.eq(paged, want, `paged auc ${dir}`);
        assert.eq(pages, 5, '24 runs in pages of 5');
      }

      const good = await store.searchRuns({
        experimentId: 'exp-1',
        filter: [
          { field: { kind: 'metric', key: 'auc' }, op: '>=', value: 0.5 },
          { field: { kind: 'tag', key: 'model' }, op: '=', value: 'gbdt' },
        ],
        orderBy: { field: { kind: 'param', key: 'depth' }, direction: 'asc' },
        limit: 1000,
      });
      const wantGood = expected
        .filter((e) => e.auc !== null && e.auc >= 0.5 && e.model === 'gbdt')
        .sort((a, b) => a.depth - b.depth || tie(a, b))
        .map((e) => e.id);
      assert.ok(wantGood.length > 2, 'fixture has several matches');
      assert.eq(ids(good.runs), wantGood, 'filter by metric and tag, order by param');
      const running = await store.searchRuns({
        experimentId: 'exp-1',
        parentRunId: 'search',
        filter: [{ field: { kind: 'attr', key: 'state' }, op: '=', value: 'RUNNING' }],
        limit: 1000,
      });
      assert.eq(
        running.runs.length,
        expected.filter((e, i) => e.id === 'nan' || i % 2 === 1).length,
        'filter by state',
      );
      const noAuc = await store.countRuns({
        experimentId: 'exp-1',
        parentRunId: 'search',
        filter: [{ field: { kind: 'metric', key: 'auc' }, op: 'missing' }],
      });
      assert.eq(
        noAuc,
        expected.filter((e) => e.auc === null).length,
        'missing metric (NaN counts as missing)',
      );
      const byDuration = await store.searchRuns({
        experimentId: 'exp-1',
        parentRunId: 'search',
        orderBy: { field: { kind: 'attr', key: 'duration' }, direction: 'asc' },
        limit: 3,
      });
      assert.ok(
        byDuration.runs.every((r) => r.endTime !== null),
        'ended runs first when ordering by duration',
      );
      await assert.rejects(store.searchRuns({ experimentId: 'exp-1', limit: 0 }), 'INVALID', 'limit 0');
      await assert.rejects(
        store.searchRuns({ experimentId: 'exp-1', pageToken: 'garbage' }),
        'INVALID',
        'bad token',
      );
      await assert.rejects(
        store.searchRuns({
          experimentId: 'exp-1',
          filter: [{ field: { kind: 'attr', key: 'colour' as never }, op: '=' }],
        }),
        'INVALID',
        'bad attr',
      );
    },
  },
  {
    name: 'searchRuns: ties on the sort value across page boundaries page consistently',
    async run(store) {
      await seedExperiment(store);
      const values = [0.5, 0.5, 0.7, 0.5, 0.5, 0.7, 0.1, 0.5, 0.5];
      const ops: WriteOp[] = [{ op: 'startRun', id: 'p', experimentId: 'exp-1', startTime: T0 }];
      values.forEach((v, i) => {
        const id = `r${i}`;
        ops.push({ op: 'startRun', id, experimentId: 'exp-1', parentRunId: 'p', startTime: T0 + 10 - i });
        ops.push({ op: 'logMetrics', runId: id, metrics: [{ key: 'm', value: v, step: 0, timestamp: T0 }] });
      });
      await store.write(ops);
      const want = values
        .map((v, i) => ({ id: `r${i}`, v, start: T0 + 10 - i }))
        .sort((a, b) => b.v - a.v || b.start - a.start || (a.id < b.id ? 1 : -1))
        .map((x) => x.id);
      for (const size of [1, 2, 3]) {
        const got: string[] = [];
        let token: string | undefined;
        do {
          const page = await store.searchRuns({
            experimentId: 'exp-1',
            parentRunId: 'p',
            orderBy: { field: { kind: 'metric', key: 'm' }, direction: 'desc' },
            limit: size,
            pageToken: token,
          });
          got.push(...page.runs.map((r) => r.id));
          token = page.nextPageToken ?? undefined;
        } while (token !== undefined && got.length < 100);
        assert.eq(got, want, `pages of ${size}`);
      }
    },
  },
  {
    name: 'markInterrupted: RUNNING → FAILED interrupted; finished runs untouched',
    async run(store) {
      await seedExperiment(store);
      await startRun(store, 'done');
      await store.write([
        { op: 'logMetrics', runId: 'done', metrics: [{ key: 'loss', value: 1, step: 0, timestamp: T0 }] },
        { op: 'endRun', runId: 'done', state: 'COMPLETE', endTime: T0 + 5 },
      ]);
      await startRun(store, 'live1');
      await startRun(store, 'live2', { parentRunId: 'live1' });
      const doneBefore = await store.getRun('done');
      assert.eq(await store.markInterrupted(T0 + 100), 2, 'two runs were RUNNING');
      for (const id of ['live1', 'live2']) {
        const r = await mustGetRun(store, id);
        assert.eq(
          [r.state, r.endTime, r.error?.reason],
          ['FAILED', T0 + 100, 'interrupted'],
          `${id} interrupted`,
        );
      }
      assert.eq(await store.getRun('done'), doneBefore, 'completed run intact');
      assert.eq(
        await store.getMetricHistory('done', 'loss'),
        [{ key: 'loss', value: 1, step: 0, timestamp: T0 }],
        'history intact',
      );
      assert.eq(await store.markInterrupted(T0 + 200), 0, 'idempotent');
    },
  },
  {
    name: 'deleteExperiment cascades and frees blobs; shared blobs and datasets are kept',
    async run(store) {
      const raw = bytes(5, 5, 5, 5, 5);
      await store.write([
        { op: 'putDataset', fingerprint: 'fp', name: 'd', schema: [], raw, createdAt: T0 },
        { op: 'createExperiment', id: 'exp-1', name: 'A', datasetFingerprint: 'fp', createdAt: T0 },
        { op: 'createExperiment', id: 'exp-2', name: 'B', createdAt: T0 },
        { op: 'startRun', id: 'r1', experimentId: 'exp-1', startTime: T0 },
        { op: 'logMetrics', runId: 'r1', metrics: [{ key: 'm', value: 1, step: 0, timestamp: T0 }] },
        {
          op: 'putArtifact',
          id: 'only-in-1',
          runId: 'r1',
          name: 'a',
          kind: 'model',
          bytes: new Uint8Array(100).fill(1),
          createdAt: T0,
        },
        {
          op: 'putArtifact',
          id: 'shared-1',
          runId: 'r1',
          name: 'b',
          kind: 'model',
          bytes: new Uint8Array(10).fill(2),
          createdAt: T0,
        },
        {
          op: 'putArtifact',
          id: 'same-as-dataset',
          runId: 'r1',
          name: 'c',
          kind: 'other',
          bytes: raw,
          createdAt: T0,
        },
        { op: 'startRun', id: 'r1c', experimentId: 'exp-1', parentRunId: 'r1', startTime: T0 },
        { op: 'startRun', id: 'r2', experimentId: 'exp-2', startTime: T0 },
        {
          op: 'putArtifact',
          id: 'shared-2',
          runId: 'r2',
          name: 'b',
          kind: 'model',
          bytes: new Uint8Array(10).fill(2),
          createdAt: T0,
        },
      ]);
      assert.eq((await store.usage()).blobBytes, 5 + 100 + 10, 'blobs before');
      await store.deleteExperiment('exp-1');
      assert.eq(await store.getExperiment('exp-1'), undefined, 'experiment gone');
      assert.eq(await store.getRun('r1'), undefined, 'run gone');
      assert.eq(await store.getRun('r1c'), undefined, 'child run gone');
      assert.eq(await store.getMetricHistory('r1', 'm'), [], 'metrics gone');
      assert.eq(await store.getArtifact('only-in-1'), undefined, 'artifact gone');
      await assert.rejects(store.getArtifactBytes('only-in-1'), 'NOT_FOUND', 'artifact bytes gone');
      assert.eq(
        (await store.usage()).blobBytes,
        5 + 10,
        'unshared blob freed; shared blob and dataset file kept',
      );
      assert.eq(
        await store.getArtifactBytes('shared-2'),
        new Uint8Array(10).fill(2),
        'other experiment intact',
      );
      assert.eq(await store.getDatasetFile('fp'), raw, 'dataset kept');
      assert.eq((await store.searchRuns({ experimentId: 'exp-1' })).runs, [], 'no runs left');
      await assert.rejects(store.deleteExperiment('exp-1'), 'NOT_FOUND', 'delete twice');
      // a run behind a registered model version protects its experiment
      await store.write([
        { op: 'createRegisteredModel', name: 'm', createdAt: T0 },
        { op: 'createModelVersion', name: 'm', sourceRunId: 'r2', createdAt: T0 },
      ]);
      await assert.rejects(store.deleteExperiment('exp-2'), 'IN_USE', 'protected by model version', 'm v1');
      assert.ok(await store.getRun('r2'), 'run kept after refused delete');
      await store.write([{ op: 'deleteModelVersion', name: 'm', version: 1 }]);
      await store.deleteExperiment('exp-2');
      assert.eq((await store.usage()).blobBytes, 5, 'only the dataset file remains');
    },
  },
  {
    name: 'markInterrupted op: only the listed runs, atomically with other ops; skips ended runs',
    async run(store) {
      await seedExperiment(store);
      await startRun(store, 'mine');
      await startRun(store, 'theirs');
      await startRun(store, 'ended');
      await store.write([{ op: 'endRun', runId: 'ended', state: 'COMPLETE', endTime: T0 + 2 }]);
      const endedBefore = await store.getRun('ended');
      const res = await store.write([
        {
          op: 'markInterrupted',
          endTime: T0 + 50,
          runIds: ['theirs', 'ended', 'theirs'],
          message: 'tab closed',
        },
      ]);
      assert.eq(res.interrupted, 1, 'one run marked (ended run skipped, duplicate id counted once)');
      const t = await mustGetRun(store, 'theirs');
      assert.eq(
        [t.state, t.endTime, t.error],
        ['FAILED', T0 + 50, { reason: 'interrupted', message: 'tab closed' }],
        'listed run',
      );
      assert.eq((await mustGetRun(store, 'mine')).state, 'RUNNING', 'unlisted run untouched');
      assert.eq(await store.getRun('ended'), endedBefore, 'ended run untouched');
      // endTime never precedes the start
      await startRun(store, 'late', { startTime: T0 + 1000 });
      assert.eq(await store.markInterrupted(T0 + 60, ['late']), 1, 'shorthand with ids');
      assert.eq((await mustGetRun(store, 'late')).endTime, T0 + 1000, 'endTime clamped to startTime');
      // a failing batch marks nothing
      const before = await snapshot(store);
      await assert.rejects(
        store.write([
          { op: 'markInterrupted', endTime: T0 + 70 },
          { op: 'startRun', id: 'x', experimentId: 'nope', startTime: T0 },
        ]),
        'NOT_FOUND',
        'bad op after markInterrupted',
      );
      assert.eq(await snapshot(store), before, 'nothing marked by the failed batch');
      await assert.rejects(
        store.write([{ op: 'markInterrupted', endTime: T0, runIds: [''] }]),
        'INVALID',
        'empty run id',
      );
      // ops in the same batch see the marking: logging to the interrupted run fails
      await assert.rejects(
        store.write([
          { op: 'markInterrupted', endTime: T0 + 80, runIds: ['mine'] },
          { op: 'logMetrics', runId: 'mine', metrics: [{ key: 'x', value: 1, step: 0, timestamp: T0 }] },
        ]),
        'RUN_FINISHED',
        'run finished within the batch',
      );
      assert.eq((await mustGetRun(store, 'mine')).state, 'RUNNING', 'rolled back');
    },
  },
  {
    name: 'deleteExperiment op: atomic with other ops, sees the batch’s own writes',
    async run(store) {
      await store.write([
        { op: 'createExperiment', id: 'exp-1', name: 'A', createdAt: T0 },
        { op: 'startRun', id: 'r1', experimentId: 'exp-1', startTime: T0 },
        {
          op: 'putArtifact',
          id: 'a1',
          runId: 'r1',
          name: 'm',
          kind: 'model',
          bytes: bytes(1, 2, 3),
          createdAt: T0,
        },
      ]);
      // runs, metrics and artifacts written earlier in the same batch are deleted too
      await store.write([
        { op: 'startRun', id: 'r2', experimentId: 'exp-1', parentRunId: 'r1', startTime: T0 + 1 },
        { op: 'logMetrics', runId: 'r2', metrics: [{ key: 'k', value: 2, step: 0, timestamp: T0 }] },
        {
          op: 'putArtifact',
          id: 'a2',
          runId: 'r2',
          name: 'n',
          kind: 'other',
          bytes: bytes(9, 9),
          createdAt: T0,
        },
        { op: 'deleteExperiment', id: 'exp-1' },
        { op: 'createExperiment', id: 'exp-2', name: 'A', createdAt: T0 + 2 },
      ]);
      assert.eq(await store.getExperiment('exp-1'), undefined, 'deleted');
      assert.eq((await store.getExperimentByName('A'))?.id, 'exp-2', 'name reusable in the same batch');
      for (const id of ['r1', 'r2']) assert.eq(await store.getRun(id), undefined, `${id} gone`);
      assert.eq(await store.getMetricHistory('r2', 'k'), [], 'metrics of the batch gone');
      assert.eq(await store.getArtifact('a2'), undefined, 'artifact of the batch gone');
      assert.eq((await store.usage()).blobBytes, 0, 'all blobs freed');
      // a batch that deletes and then fails keeps everything
      await store.write([
        { op: 'startRun', id: 'r3', experimentId: 'exp-2', startTime: T0 },
        {
          op: 'putArtifact',
          id: 'a3',
          runId: 'r3',
          name: 'm',
          kind: 'model',
          bytes: bytes(4, 4),
          createdAt: T0,
        },
      ]);
      const before = await snapshot(store);
      await assert.rejects(
        store.write([
          { op: 'deleteExperiment', id: 'exp-2' },
          { op: 'endRun', runId: 'r3', state: 'COMPLETE', endTime: T0 + 1 },
        ]),
        'NOT_FOUND',
        'run deleted earlier in the batch',
      );
      assert.eq(await snapshot(store), before, 'nothing deleted by the failed batch');
      assert.eq(await store.getArtifactBytes('a3'), bytes(4, 4), 'bytes still readable');
      await assert.rejects(store.write([{ op: 'deleteExperiment', id: 'nope' }]), 'NOT_FOUND', 'unknown id');
    },
  },
  {
    name: 'concurrent batches are serialized, none lost',
    async run(store) {
      await seedExperiment(store);
      await startRun(store, 'r1');
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.write([
            { op: 'logMetrics', runId: 'r1', metrics: [{ key: 'x', value: i, step: i, timestamp: T0 + i }] },
          ]),
        ),
      );
      assert.eq(
        (await store.getMetricHistory('r1', 'x')).map((p) => p.value),
        Array.from({ length: 20 }, (_, i) => i),
        'all 20 points',
      );
      assert.eq((await mustGetRun(store, 'r1')).latestMetrics.x.value, 19, 'latest');
    },
  },
  {
    name: 'Tracker/RunHandle: record appears at start, buffered writes, atomic end, children',
    async run(store) {
      let now = T0;
      const tracker = new Tracker(store, {
        now: () => now++,
        newId: createIdGenerator({ now: () => now, rng: createRng(1) }),
      });
      const exp = await tracker.createExperiment({ name: 'Tracked' });
      const search = await tracker.startRun({ experimentId: exp.id, name: 'search' });
      const trial = await search.startChild({ name: 'trial-0', params: { lr: 0.3 } });
      const seen = await store.getRun(trial.id);
      assert.eq(
        [seen?.state, seen?.parentRunId],
        ['RUNNING', search.id],
        'trial record exists as soon as it starts',
      );
      trial.logMetric('val_loss', 0.9).logMetric('val_loss', 0.6).logParam('depth', 4).setTag('k', 'v');
      assert.eq((await store.getMetricHistory(trial.id, 'val_loss')).length, 0, 'buffered, not yet written');
      await trial.flush();
      assert.eq(
        (await store.getMetricHistory(trial.id, 'val_loss')).map((p) => [p.step, p.value]),
        [
          [0, 0.9],
          [1, 0.6],
        ],
        'auto steps',
      );
      trial.logMetric('val_loss', 0.5);
      const artifactId = trial.logArtifact({ name: 'model', kind: 'model', bytes: bytes(1, 2) });
      const final = await trial.end();
      assert.eq(
        [final.state, final.params, final.tags, final.latestMetrics.val_loss.value],
        ['COMPLETE', { lr: 0.3, depth: 4 }, { k: 'v' }, 0.5],
        'final record',
      );
      assert.eq(await store.getArtifactBytes(artifactId), bytes(1, 2), 'artifact written with end');
      let threw = false;
      try {
        trial.logMetric('x', 1);
      } catch {
        threw = true;
      }
      assert.ok(threw, 'logging on an ended handle throws');
      const bad = await search.startChild({ name: 'trial-1' });
      const failed = await bad.fail(new Error('diverged'));
      assert.eq(
        [failed.state, failed.error],
        ['FAILED', { reason: 'exception', message: 'diverged' }],
        'fail()',
      );
      await search.end();
      const kids = await store.searchRuns({ experimentId: exp.id, parentRunId: search.id });
      assert.eq(kids.runs.length, 2, 'two trials');
      assert.ok(
        kids.runs.every((r) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(r.id)),
        'time-ordered ids',
      );
    },
  },
  {
    name: 'Tracker: a failed end keeps the buffer so nothing is lost on retry',
    async run(store) {
      const tracker = new Tracker(store, { now: () => T0 });
      const exp = await tracker.createExperiment({ name: 'Retry' });
      const run = await tracker.startRun({ experimentId: exp.id, params: { lr: 1 } });
      run.logParam('lr', 2); // conflicts with the stored value → the batch fails
      run.logMetric('loss', 0.5);
      await assert.rejects(run.end(), 'INVALID', 'conflicting param');
      assert.eq(run.state, 'RUNNING', 'still running locally');
      assert.eq((await store.getRun(run.id))?.state, 'RUNNING', 'still running in the store');
      assert.eq(await store.getMetricHistory(run.id, 'loss'), [], 'nothing half-written');
      assert.ok(run.pending >= 2, 'buffer kept');
    },
  },
  {
    name: 'monitoring records: typed, listed by model version / run / bundle oldest first, validated, deleted with their version or experiment',
    async run(store) {
      await store.write([
        { op: 'createExperiment', id: 'exp-1', name: 'E', createdAt: T0 },
        { op: 'startRun', id: 'r1', experimentId: 'exp-1', startTime: T0 },
        { op: 'endRun', runId: 'r1', state: 'COMPLETE', endTime: T0 + 1 },
        { op: 'startRun', id: 'r2', experimentId: 'exp-1', startTime: T0 + 2 },
        { op: 'endRun', runId: 'r2', state: 'COMPLETE', endTime: T0 + 3 },
        { op: 'createRegisteredModel', name: 'churn', createdAt: T0 + 4 },
        { op: 'createModelVersion', name: 'churn', sourceRunId: 'r1', createdAt: T0 + 5 },
        { op: 'createModelVersion', name: 'churn', sourceRunId: 'r2', createdAt: T0 + 6 },
      ]);
      const a = monitoringRecord('m-a', { batchTime: T0 + 300 });
      const b = monitoringRecord('m-b', { batchTime: T0 + 100 });
      const c = monitoringRecord('m-c', { modelVersion: 2, batchTime: T0 + 200 });
      const d = monitoringRecord('m-d', {
        modelName: null,
        modelVersion: null,
        runId: 'r2',
        bundleSha256: 'c'.repeat(64),
        batchTime: T0 + 50,
      });
      await store.write([a, b, c, d].map((record) => ({ op: 'putMonitoringRecord', record }) as const));
      const got = await store.getMonitoringRecord('m-a');
      assert.eq(got, a, 'read back exactly');
      assert.ok(isFrozenDeep(got), 'monitoring record is deeply frozen');
      assert.eq(await store.getMonitoringRecord('nope'), undefined, 'unknown id → undefined');
      const ids = async (q: Parameters<typeof store.listMonitoringRecords>[0]) =>
        (await store.listMonitoringRecords(q)).map((r) => r.id);
      assert.eq(await ids({ modelName: 'churn' }), ['m-b', 'm-c', 'm-a'], 'a model: oldest batch first');
      assert.eq(await ids({ modelName: 'churn', modelVersion: 1 }), ['m-b', 'm-a'], 'one version');
      assert.eq(await ids({ runId: 'r2' }), ['m-d'], 'a run');
      assert.eq(await ids({ bundleSha256: 'a'.repeat(64) }), ['m-b', 'm-c', 'm-a'], 'a bundle');
      assert.eq(await ids({}), ['m-d', 'm-b', 'm-c', 'm-a'], 'all');
      assert.eq(await ids({ modelName: 'other' }), [], 'another model: none');
      // Same batch time: by creation time, then id.
      await store.write([
        {
          op: 'putMonitoringRecord',
          record: monitoringRecord('m-e', { batchTime: T0 + 100, createdAt: T0 + 150 }),
        },
      ]);
      assert.eq(await ids({ modelName: 'churn', modelVersion: 1 }), ['m-e', 'm-b', 'm-a'], 'ties');

      // Non-finite numbers in a summary are stored as null (plain JSON in every store).
      const withNaN = monitoringRecord('m-nan');
      await store.write([
        {
          op: 'putMonitoringRecord',
          record: {
            ...withNaN,
            summary: { ...withNaN.summary, columns: [{ ...withNaN.summary.columns[0]!, statistic: NaN }] },
          },
        },
      ]);
      assert.eq(
        (await store.getMonitoringRecord('m-nan'))?.summary.columns[0]?.statistic,
        null,
        'NaN → null',
      );

      // Validation: each bad record a clear error, and the batch changes nothing.
      const before = await snapshot(store);
      const bad = async (record: unknown, code: 'INVALID' | 'NOT_FOUND' | 'ALREADY_EXISTS', text: string) =>
        assert.rejects(
          store.write([
            { op: 'putMonitoringRecord', record: monitoringRecord('m-ok', { batchTime: T0 + 900 }) },
            { op: 'putMonitoringRecord', record: record as MonitoringRecord },
          ]),
          code,
          text,
          text,
        );
      await bad(monitoringRecord('m-a'), 'ALREADY_EXISTS', 'monitoring record m-a already exists');
      await bad(monitoringRecord('m-x', { modelVersion: 9 }), 'NOT_FOUND', 'model "churn" has no version 9');
      await bad(
        monitoringRecord('m-x', { modelName: null }),
        'INVALID',
        'record.modelName and record.modelVersion go together',
      );
      await bad(
        monitoringRecord('m-x', { modelName: null, modelVersion: null, runId: 'gone' }),
        'NOT_FOUND',
        'run gone does not exist',
      );
      await bad(
        monitoringRecord('m-x', { bundleSha256: 'xyz' }),
        'INVALID',
        'record.bundleSha256 must be a SHA-256',
      );
      await bad(
        monitoringRecord('m-x', { batchRows: -1 }),
        'INVALID',
        'record.batchRows must be a whole number',
      );
      await bad(
        monitoringRecord('m-x', { batchTime: NaN }),
        'INVALID',
        'record.batchTime must be a finite number',
      );
      await bad(
        { ...monitoringRecord('m-x'), summary: { ...monitoringRecord('m-x').summary, verdict: 'maybe' } },
        'INVALID',
        "record.summary.verdict must be 'drift' or 'no drift'",
      );
      assert.eq(await snapshot(store), before, 'failed batches changed nothing');

      // Deleting one record; a version takes its records along; an experiment its runs' records.
      await store.write([{ op: 'deleteMonitoringRecord', id: 'm-e' }]);
      assert.eq(await store.getMonitoringRecord('m-e'), undefined, 'deleted');
      await assert.rejects(
        store.write([{ op: 'deleteMonitoringRecord', id: 'm-e' }]),
        'NOT_FOUND',
        'delete twice',
        'monitoring record m-e does not exist',
      );
      await store.write([{ op: 'deleteModelVersion', name: 'churn', version: 1 }]);
      assert.eq(await ids({ modelName: 'churn' }), ['m-c'], 'version 1 records gone with it');
      await store.write([{ op: 'deleteModelVersion', name: 'churn', version: 2 }]);
      await store.write([{ op: 'deleteExperiment', id: 'exp-1' }]);
      assert.eq(await ids({}), [], "the experiment's run records gone with it");
    },
  },
];
