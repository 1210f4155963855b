/**
 * IndexedDB tracking store (browser; Node tests over fake-indexeddb). Every `write` is one Dexie
 * read-write transaction over all tables: if any op fails, IndexedDB aborts and nothing is kept.
 * Schema history and migrations: `schema.ts`.
 */
import Dexie, { type IndexableType, type Table, type Transaction } from 'dexie';
import {
  applyBatch,
  compareMetricPoints,
  compareMonitoringRecords,
  matchesMonitoringQuery,
  type BatchTx,
} from '../core/tracking/apply.ts';
import { StoreError, isQuotaError, quotaExceededError } from '../core/tracking/errors.ts';
import { deepFreeze } from '../core/tracking/freeze.ts';
import {
  encodePageToken,
  matchesAll,
  normalizeQuery,
  pageRuns,
  type NormalizedQuery,
} from '../core/tracking/query.ts';
import type { TrackingStore } from '../core/tracking/store.ts';
import { OWNER_TAG, ownerCheck, recoverRuns, type LockManagerLike } from '../core/tracking/ownership.ts';
import type {
  ArtifactRecord,
  DatasetRecord,
  ExperimentRecord,
  MetricPoint,
  ModelVersionRecord,
  MonitoringQuery,
  MonitoringRecord,
  RegisteredModelRecord,
  RunPage,
  RunQuery,
  RunRecord,
  StorageUsage,
  WriteOp,
  WriteResult,
} from '../core/tracking/types.ts';
import {
  CURRENT_SCHEMA_VERSION,
  declareSchema,
  runMetricRow,
  type BlobRow,
  type MetricRow,
  type RunMetricRow,
  type RunRow,
} from './schema.ts';

export const DEFAULT_DB_NAME = 'automl-studio-tracking';

export class TrackingDb extends Dexie {
  declare experiments: Table<ExperimentRecord, string>;
  declare runs: Table<RunRow, string>;
  declare metrics: Table<MetricRow, number>;
  declare runMetrics: Table<RunMetricRow, [string, string]>;
  declare artifacts: Table<ArtifactRecord, string>;
  declare blobs: Table<BlobRow, string>;
  declare datasets: Table<DatasetRecord, string>;
  declare registeredModels: Table<RegisteredModelRecord, string>;
  declare modelVersions: Table<ModelVersionRecord, [string, number]>;
  declare monitoring: Table<MonitoringRecord, string>;

  constructor(name: string, options: { indexedDB?: IDBFactory; IDBKeyRange?: typeof IDBKeyRange } = {}) {
    // Only pass what was given: an explicit `undefined` would hide the browser's own IndexedDB.
    super(name, {
      ...(options.indexedDB ? { indexedDB: options.indexedDB } : {}),
      ...(options.IDBKeyRange ? { IDBKeyRange: options.IDBKeyRange } : {}),
    });
    declareSchema(this);
  }
}

type Tables = Pick<
  TrackingDb,
  | 'experiments'
  | 'runs'
  | 'metrics'
  | 'runMetrics'
  | 'artifacts'
  | 'blobs'
  | 'datasets'
  | 'registeredModels'
  | 'modelVersions'
  | 'monitoring'
>;

/** The subset of `navigator.storage` used for usage/persistence (injectable for tests). */
export interface StorageLike {
  estimate?(): Promise<{ usage?: number; quota?: number }>;
  persist?(): Promise<boolean>;
  persisted?(): Promise<boolean>;
}

export interface DexieStoreOptions {
  /** Database name (default 'automl-studio-tracking'). */
  readonly name?: string;
  /** IndexedDB implementation (default: the global one; pass fake-indexeddb's in Node). */
  readonly indexedDB?: IDBFactory;
  readonly IDBKeyRange?: typeof IDBKeyRange;
  /** Default: `navigator.storage` when present. */
  readonly storage?: StorageLike | null;
  readonly now?: () => number;
}

function toRun(row: RunRow | undefined): RunRecord | undefined {
  if (!row) return undefined;
  const { parentKey: _parentKey, ...rec } = row;
  return deepFreeze(rec);
}

function toRow(rec: RunRecord): RunRow {
  const { parentKey: _ignored, ...clean } = rec as RunRow;
  return { ...clean, parentKey: rec.parentRunId ?? '' };
}

const freezeAll = <T>(xs: T[]): readonly T[] => Object.freeze(xs.map((x) => deepFreeze(x)));

const SCAN_CHUNK = 256;

/**
 * One table's view during a batch: reads are cached, writes are buffered and written with one
 * bulkPut/bulkDelete at the end (the whole batch is still one IndexedDB transaction).
 */
class WriteBehind<V, K extends IndexableType> {
  private readonly known = new Map<string, V | undefined>();
  private readonly changed = new Map<string, { key: K; value: V | undefined }>();

  constructor(private readonly table: Table<V, K>) {}

  async get(key: K): Promise<V | undefined> {
    const k = JSON.stringify(key);
    if (this.known.has(k)) return this.known.get(k);
    const v = await this.table.get(key);
    this.known.set(k, v);
    return v;
  }
  /** true/false when this batch knows, undefined when the database must be asked. */
  has(key: K): boolean | undefined {
    const k = JSON.stringify(key);
    return this.known.has(k) ? this.known.get(k) !== undefined : undefined;
  }
  put(key: K, value: V): void {
    const k = JSON.stringify(key);
    this.known.set(k, value);
    this.changed.set(k, { key, value });
  }
  delete(key: K): void {
    const k = JSON.stringify(key);
    this.known.set(k, undefined);
    this.changed.set(k, { key, value: undefined });
  }
  /**
   * `rows` read from the database, as this batch sees them: rows it changed or deleted are replaced
   * or dropped, and values it wrote that match `pred` are added.
   */
  view(rows: readonly V[], keyOf: (v: V) => K, pred: (v: V) => boolean): V[] {
    const out: V[] = [];
    const seen = new Set<string>();
    for (const r of rows) {
      const k = JSON.stringify(keyOf(r));
      seen.add(k);
      const c = this.changed.get(k);
      if (!c) out.push(r);
      else if (c.value !== undefined && pred(c.value)) out.push(c.value);
    }
    for (const [k, c] of this.changed)
      if (!seen.has(k) && c.value !== undefined && pred(c.value)) out.push(c.value);
    return out;
  }
  /** Forgets pending writes whose value matches `pred` (they will not be flushed). */
  drop(pred: (v: V) => boolean): void {
    for (const [k, c] of this.changed) if (c.value !== undefined && pred(c.value)) this.changed.delete(k);
  }
  /** Values written in this batch. */
  pending(): V[] {
    const out: V[] = [];
    for (const c of this.changed.values()) if (c.value !== undefined) out.push(c.value);
    return out;
  }
  async flush(): Promise<void> {
    const dels: K[] = [];
    const puts: V[] = [];
    for (const c of this.changed.values()) {
      if (c.value === undefined) dels.push(c.key);
      else puts.push(c.value);
    }
    if (dels.length) await this.table.bulkDelete(dels);
    if (puts.length) await this.table.bulkPut(puts);
  }
}

export class DexieTrackingStore implements TrackingStore {
  private readonly storage: StorageLike | null;
  private readonly now: () => number;

  private constructor(
    readonly db: TrackingDb,
    options: DexieStoreOptions,
  ) {
    const nav = (globalThis as { navigator?: { storage?: StorageLike } }).navigator;
    this.storage = options.storage !== undefined ? options.storage : (nav?.storage ?? null);
    this.now = options.now ?? Date.now;
  }

  /** Opens (creating or migrating) the database. */
  static async open(options: DexieStoreOptions = {}): Promise<DexieTrackingStore> {
    const db = new TrackingDb(options.name ?? DEFAULT_DB_NAME, options);
    try {
      await db.open();
    } catch (e) {
      db.close();
      const name = (e as { name?: string }).name;
      if (name === 'VersionError') {
        throw new StoreError(
          'STORAGE',
          `the saved experiments were written by a newer version of AutoML Studio (this version reads schema ${CURRENT_SCHEMA_VERSION}); ` +
            'reload the page to get the newest version. Nothing was changed.',
          { cause: e },
        );
      }
      throw new StoreError(
        'STORAGE',
        `cannot open the experiment database: ${(e as Error).message ?? String(e)}`,
        { cause: e },
      );
    }
    const found = db.backendDB().version / 10; // Dexie stores version × 10
    if (found > CURRENT_SCHEMA_VERSION) {
      // Dexie 4 opens a newer database as is; refuse, so this older code can't misread or damage it.
      db.close();
      throw new StoreError(
        'STORAGE',
        `the saved experiments were written by a newer version of AutoML Studio (schema ${found}; this version reads ` +
          `schema ${CURRENT_SCHEMA_VERSION}). Reload the page to get the newest version. Nothing was changed.`,
      );
    }
    return new DexieTrackingStore(db, options);
  }

  private get allTables(): Table[] {
    const d = this.db;
    return [
      d.experiments,
      d.runs,
      d.metrics,
      d.runMetrics,
      d.artifacts,
      d.blobs,
      d.datasets,
      d.registeredModels,
      d.modelVersions,
      d.monitoring,
    ];
  }

  /**
   * Tables bound explicitly to `trans`, so every op of the batch runs in that transaction even
   * across the many native `await`s of `applyBatch` (Dexie's implicit zone can get lost there).
   */
  private bind(trans: Transaction): Tables {
    const t = <K extends keyof Tables>(name: K): Tables[K] => trans.table(name) as Tables[K];
    return {
      experiments: t('experiments'),
      runs: t('runs'),
      metrics: t('metrics'),
      runMetrics: t('runMetrics'),
      artifacts: t('artifacts'),
      blobs: t('blobs'),
      datasets: t('datasets'),
      registeredModels: t('registeredModels'),
      modelVersions: t('modelVersions'),
      monitoring: t('monitoring'),
    };
  }

  /** Applies a batch inside `trans`: reads through a cache, writes buffered and flushed in bulk at the end. */
  private async applyInTransaction(trans: Transaction, ops: readonly WriteOp[]): Promise<WriteResult> {
    const d = this.bind(trans);
    const experiments = new WriteBehind(d.experiments);
    const runs = new WriteBehind(d.runs);
    const artifacts = new WriteBehind(d.artifacts);
    const blobs = new WriteBehind(d.blobs);
    const datasets = new WriteBehind(d.datasets);
    const models = new WriteBehind(d.registeredModels);
    const versions = new WriteBehind(d.modelVersions);
    const runMetrics = new WriteBehind(d.runMetrics);
    const monitoring = new WriteBehind(d.monitoring);
    const metricRows: MetricRow[] = [];
    const tx: BatchTx = {
      getExperiment: (id) => experiments.get(id),
      findExperimentByName: async (name) =>
        experiments.view(
          await d.experiments.where('name').equals(name).toArray(),
          (e) => e.id,
          (e) => e.name === name,
        )[0],
      putExperiment: async (rec) => experiments.put(rec.id, rec),
      getRun: async (id) => toRun(await runs.get(id)),
      putRun: async (rec) => runs.put(rec.id, toRow(rec)),
      addMetrics: async (run, points) => {
        for (const p of points) {
          metricRows.push({
            runId: run.id,
            key: p.key,
            value: p.value,
            step: p.step,
            timestamp: p.timestamp,
          });
          runMetrics.put([run.id, p.key], runMetricRow(run, p.key, run.latestMetrics[p.key]));
        }
      },
      hasBlob: async (hash) => blobs.has(hash) ?? (await d.blobs.where('hash').equals(hash).count()) > 0,
      putBlob: async (hash, bytes) => blobs.put(hash, { hash, bytes, size: bytes.byteLength }),
      getArtifact: (id) => artifacts.get(id),
      putArtifact: async (rec) => artifacts.put(rec.id, rec),
      getDataset: (fp) => datasets.get(fp),
      putDataset: async (rec) => datasets.put(rec.fingerprint, rec),
      getRegisteredModel: (name) => models.get(name),
      putRegisteredModel: async (rec) => models.put(rec.name, rec),
      getModelVersion: (name, version) => versions.get([name, version]),
      putModelVersion: async (rec) => versions.put([rec.name, rec.version], rec),
      deleteModelVersion: async (name, version) => versions.delete([name, version]),
      runningRuns: async () =>
        runs
          .view(
            await d.runs.where('state').equals('RUNNING').toArray(),
            (r) => r.id,
            (r) => r.state === 'RUNNING',
          )
          .map((r) => toRun(r)!),
      runsOfExperiment: async (expId) =>
        runs
          .view(
            await d.runs.where('experimentId').equals(expId).toArray(),
            (r) => r.id,
            (r) => r.experimentId === expId,
          )
          .map((r) => toRun(r)!),
      versionsFromRuns: async (runIds) => {
        const ids = new Set(runIds);
        return versions.view(
          await d.modelVersions
            .where('sourceRunId')
            .anyOf([...ids])
            .toArray(),
          (v) => [v.name, v.version],
          (v) => ids.has(v.sourceRunId),
        );
      },
      artifactsOfExperiment: async (expId) =>
        artifacts.view(
          await d.artifacts.where('experimentId').equals(expId).toArray(),
          (a) => a.id,
          (a) => a.experimentId === expId,
        ),
      deleteRuns: async (runIds) => {
        if (!runIds.length) return;
        const ids = new Set(runIds);
        for (const id of ids) runs.delete(id);
        // metric rows are only added at the end of the batch, so the stored ones can go now
        await d.metrics
          .where('runId')
          .anyOf([...ids])
          .delete();
        await d.runMetrics
          .where('runId')
          .anyOf([...ids])
          .delete();
        runMetrics.drop((r) => ids.has(r.runId));
        for (let i = metricRows.length - 1; i >= 0; i--)
          if (ids.has(metricRows[i].runId)) metricRows.splice(i, 1);
      },
      deleteArtifacts: async (ids) => {
        for (const id of ids) artifacts.delete(id);
      },
      deleteExperiment: async (id) => experiments.delete(id),
      blobInUse: async (hash) => {
        const a = artifacts.view(
          await d.artifacts.where('contentHash').equals(hash).toArray(),
          (x) => x.id,
          (x) => x.contentHash === hash,
        );
        if (a.length) return true;
        const ds = datasets.view(
          await d.datasets.where('contentHash').equals(hash).toArray(),
          (x) => x.fingerprint,
          (x) => x.contentHash === hash,
        );
        return ds.length > 0;
      },
      deleteBlob: async (hash) => blobs.delete(hash),
      getMonitoringRecord: (id) => monitoring.get(id),
      putMonitoringRecord: async (rec) => monitoring.put(rec.id, rec),
      deleteMonitoringRecord: async (id) => monitoring.delete(id),
      deleteMonitoringOfVersion: async (name, version) => {
        const of = monitoring.view(
          await d.monitoring.where('[modelName+modelVersion]').equals([name, version]).toArray(),
          (r) => r.id,
          (r) => r.modelName === name && r.modelVersion === version,
        );
        for (const r of of) monitoring.delete(r.id);
      },
      deleteMonitoringOfRuns: async (runIds) => {
        if (!runIds.length) return;
        const ids = new Set(runIds);
        const of = monitoring.view(
          await d.monitoring
            .where('runId')
            .anyOf([...ids])
            .toArray(),
          (r) => r.id,
          (r) => r.runId !== null && ids.has(r.runId),
        );
        for (const r of of) monitoring.delete(r.id);
      },
    };
    const result = await applyBatch(tx, ops);
    for (const t of [experiments, runs, artifacts, blobs, datasets, models, versions, runMetrics, monitoring])
      await t.flush();
    if (metricRows.length) await d.metrics.bulkAdd(metricRows);
    return result;
  }

  private async translate(e: unknown, opCount: number): Promise<never> {
    if (e instanceof StoreError) throw e;
    if (isQuotaError(e)) {
      const u = await this.estimate().catch(() => null);
      throw quotaExceededError(opCount, u, e);
    }
    throw new StoreError(
      'STORAGE',
      `IndexedDB write failed, nothing of this batch was saved: ${(e as Error)?.message ?? String(e)}`,
      {
        cause: e,
      },
    );
  }

  async write(ops: readonly WriteOp[]): Promise<WriteResult> {
    try {
      return await this.db.transaction('rw', this.allTables, (trans) => this.applyInTransaction(trans, ops));
    } catch (e) {
      return this.translate(e, Array.isArray(ops) ? ops.length : 0);
    }
  }

  async getExperiment(id: string): Promise<ExperimentRecord | undefined> {
    return deepFreeze(await this.db.experiments.get(id));
  }
  async getExperimentByName(name: string): Promise<ExperimentRecord | undefined> {
    return deepFreeze(await this.db.experiments.where('name').equals(name).first());
  }
  async listExperiments(): Promise<readonly ExperimentRecord[]> {
    const xs = await this.db.experiments.toArray();
    return freezeAll(xs.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1)));
  }
  async getRun(id: string): Promise<RunRecord | undefined> {
    return toRun(await this.db.runs.get(id));
  }

  /** All runs of the query's experiment (and parent), unordered. */
  private candidates(q: NormalizedQuery): Dexie.Collection<RunRow, string> {
    if (q.parentRunId === undefined) {
      return this.db.runs
        .where('[experimentId+startTime]')
        .between([q.experimentId, Dexie.minKey], [q.experimentId, Dexie.maxKey], true, true);
    }
    const pk = q.parentRunId ?? '';
    return this.db.runs
      .where('[experimentId+parentKey+startTime]')
      .between([q.experimentId, pk, Dexie.minKey], [q.experimentId, pk, Dexie.maxKey], true, true);
  }

  /**
   * Run ids in the query's order, read from indexes only (no run records loaded), or null when the
   * order has no index (then the generic in-memory sort is used).
   */
  private async orderedIds(q: NormalizedQuery): Promise<string[] | null> {
    const f = q.orderBy.field;
    if (f.kind === 'attr' && f.key === 'startTime' && q.orderBy.direction === 'desc') {
      // reverse index order = startTime desc, then primary key (id) desc: the shared tie-break
      return (await this.candidates(q).reverse().primaryKeys()) as string[];
    }
    if (f.kind === 'metric') {
      const sign = q.orderBy.direction === 'asc' ? 1 : -1;
      const pk = q.parentRunId === undefined ? undefined : (q.parentRunId ?? '');
      const [index, prefix]: [string, unknown[]] =
        pk === undefined
          ? ['[experimentId+key+value]', [q.experimentId, f.key]]
          : ['[experimentId+parentKey+key+value]', [q.experimentId, pk, f.key]];
      const range = (lo: number, hi: number) =>
        this.db.runMetrics.where(index).between([...prefix, lo], [...prefix, hi], true, true);
      // Without filters only the first `need` ranked runs matter: read that many index entries in
      // order, plus every entry tied with the last one (the tie-break needs them all).
      const need = q.filter.length === 0 ? q.offset + q.limit + 1 : Infinity;
      const all = range(-Infinity, Infinity);
      const ordered = sign < 0 ? all.reverse() : all;
      let rows = await (need === Infinity ? ordered : ordered.limit(need)).toArray();
      if (rows.length === need) {
        const last = rows[rows.length - 1].value;
        const seen = new Set(rows.map((r) => r.runId));
        rows = rows.concat((await range(last, last).toArray()).filter((r) => !seen.has(r.runId)));
      }
      rows.sort(
        (a, b) => sign * (a.value - b.value) || b.startTime - a.startTime || (a.runId < b.runId ? 1 : -1),
      );
      const ranked = rows.map((r) => r.runId);
      if (ranked.length >= need) return ranked.slice(0, need);
      const have = new Set(ranked);
      const rest = ((await this.candidates(q).reverse().primaryKeys()) as string[]).filter(
        (id) => !have.has(id),
      );
      return [...ranked, ...rest];
    }
    return null;
  }

  async searchRuns(query: RunQuery): Promise<RunPage> {
    const q = normalizeQuery(query);
    return this.db.transaction('r', [this.db.runs, this.db.runMetrics], async () => {
      const ids = await this.orderedIds(q);
      if (ids === null) {
        const all = (await this.candidates(q).toArray()).map((r) => toRun(r)!);
        return deepFreeze(pageRuns(all, q));
      }
      const want = q.offset + q.limit + 1; // one extra to know whether there is a next page
      const matched: RunRecord[] = [];
      if (q.filter.length === 0) {
        const slice = ids.slice(q.offset, q.offset + q.limit + 1);
        for (const r of await this.db.runs.bulkGet(slice)) if (r) matched.push(toRun(r)!);
        const runs = matched.slice(0, q.limit);
        return deepFreeze({
          runs,
          nextPageToken: matched.length > q.limit ? encodePageToken(q.offset + q.limit) : null,
        });
      }
      let skipped = 0;
      for (let i = 0; i < ids.length && skipped + matched.length < want; i += SCAN_CHUNK) {
        for (const row of await this.db.runs.bulkGet(ids.slice(i, i + SCAN_CHUNK))) {
          const r = toRun(row);
          if (!r || !matchesAll(r, q.filter)) continue;
          if (skipped < q.offset) skipped++;
          else if (matched.length < q.limit + 1) matched.push(r);
        }
      }
      const runs = matched.slice(0, q.limit);
      return deepFreeze({
        runs,
        nextPageToken: matched.length > q.limit ? encodePageToken(q.offset + q.limit) : null,
      });
    });
  }

  async countRuns(query: RunQuery): Promise<number> {
    const q = normalizeQuery(query);
    if (q.filter.length === 0) return this.candidates(q).count();
    return this.candidates(q)
      .filter((r) => matchesAll(toRun(r)!, q.filter))
      .count();
  }

  async getMetricHistory(runId: string, key: string): Promise<readonly MetricPoint[]> {
    const rows = await this.db.metrics.where('[runId+key]').equals([runId, key]).toArray();
    rows.sort((a, b) => compareMetricPoints(a, b) || (a.seq ?? 0) - (b.seq ?? 0));
    return freezeAll(rows.map((r) => ({ key: r.key, value: r.value, step: r.step, timestamp: r.timestamp })));
  }

  async getArtifact(id: string): Promise<ArtifactRecord | undefined> {
    return deepFreeze(await this.db.artifacts.get(id));
  }
  async getArtifactBytes(id: string): Promise<Uint8Array> {
    return this.db.transaction('r', [this.db.artifacts, this.db.blobs], async () => {
      const a = await this.db.artifacts.get(id);
      if (!a) throw new StoreError('NOT_FOUND', `artifact ${id} does not exist`);
      const b = await this.db.blobs.get(a.contentHash);
      if (!b) throw new StoreError('STORAGE', `the bytes of artifact ${id} (${a.contentHash}) are missing`);
      return b.bytes;
    });
  }
  async listArtifacts(runId: string): Promise<readonly ArtifactRecord[]> {
    const xs = await this.db.artifacts.where('runId').equals(runId).toArray();
    return freezeAll(xs.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1)));
  }
  async getDataset(fingerprint: string): Promise<DatasetRecord | undefined> {
    return deepFreeze(await this.db.datasets.get(fingerprint));
  }
  async getDatasetFile(fingerprint: string): Promise<Uint8Array | undefined> {
    return this.db.transaction('r', [this.db.datasets, this.db.blobs], async () => {
      const d = await this.db.datasets.get(fingerprint);
      if (!d || d.contentHash === null) return undefined;
      return (await this.db.blobs.get(d.contentHash))?.bytes;
    });
  }
  async listDatasets(): Promise<readonly DatasetRecord[]> {
    return freezeAll((await this.db.datasets.toArray()).sort((a, b) => b.createdAt - a.createdAt));
  }
  async getRegisteredModel(name: string): Promise<RegisteredModelRecord | undefined> {
    return deepFreeze(await this.db.registeredModels.get(name));
  }
  async listRegisteredModels(): Promise<readonly RegisteredModelRecord[]> {
    return freezeAll(await this.db.registeredModels.orderBy('name').toArray());
  }
  async getModelVersion(name: string, version: number): Promise<ModelVersionRecord | undefined> {
    return deepFreeze(await this.db.modelVersions.get([name, version]));
  }
  async listModelVersions(name: string): Promise<readonly ModelVersionRecord[]> {
    const xs = await this.db.modelVersions.where('name').equals(name).toArray();
    return freezeAll(xs.sort((a, b) => a.version - b.version));
  }
  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersionRecord | undefined> {
    return this.db.transaction('r', [this.db.registeredModels, this.db.modelVersions], async () => {
      const m = await this.db.registeredModels.get(name);
      if (!m || !Object.hasOwn(m.aliases, alias)) return undefined;
      return deepFreeze(await this.db.modelVersions.get([name, m.aliases[alias]]));
    });
  }

  /** Every RUNNING run (read from the state index). */
  async runningRuns(): Promise<readonly RunRecord[]> {
    return freezeAll((await this.db.runs.where('state').equals('RUNNING').toArray()).map((r) => toRun(r)!));
  }

  async getMonitoringRecord(id: string): Promise<MonitoringRecord | undefined> {
    return deepFreeze(await this.db.monitoring.get(id));
  }
  async listMonitoringRecords(query: MonitoringQuery): Promise<readonly MonitoringRecord[]> {
    const m = this.db.monitoring;
    const rows =
      query.modelName !== undefined
        ? await (
            query.modelVersion !== undefined
              ? m.where('[modelName+modelVersion]').equals([query.modelName, query.modelVersion])
              : m
                  .where('[modelName+modelVersion]')
                  .between([query.modelName, Dexie.minKey], [query.modelName, Dexie.maxKey], true, true)
          ).toArray()
        : query.runId !== undefined
          ? await m.where('runId').equals(query.runId).toArray()
          : query.bundleSha256 !== undefined
            ? await m.where('bundleSha256').equals(query.bundleSha256).toArray()
            : await m.toArray();
    return freezeAll(rows.filter((r) => matchesMonitoringQuery(r, query)).sort(compareMonitoringRecords));
  }

  async markInterrupted(now?: number, runIds?: readonly string[]): Promise<number> {
    const endTime = now ?? this.now();
    const op = runIds === undefined ? { endTime } : { endTime, runIds };
    return (await this.write([{ op: 'markInterrupted', ...op }])).interrupted;
  }

  async deleteExperiment(id: string): Promise<void> {
    await this.write([{ op: 'deleteExperiment', id }]);
  }

  private async estimate(): Promise<{ usedBytes: number | null; quotaBytes: number | null }> {
    const est = this.storage?.estimate ? await this.storage.estimate() : undefined;
    return { usedBytes: est?.usage ?? null, quotaBytes: est?.quota ?? null };
  }

  async usage(): Promise<StorageUsage> {
    const sizes = (await this.db.blobs.orderBy('size').keys()) as number[];
    const blobBytes = sizes.reduce((s, x) => s + x, 0);
    const { usedBytes, quotaBytes } = await this.estimate().catch(() => ({
      usedBytes: null,
      quotaBytes: null,
    }));
    const persisted = this.storage?.persisted ? await this.storage.persisted().catch(() => null) : null;
    return Object.freeze({ usedBytes, quotaBytes, blobBytes, persisted });
  }

  /** Asks the browser not to evict this origin's data (`navigator.storage.persist()`); false if refused/unsupported. */
  async requestPersistence(): Promise<boolean> {
    if (!this.storage?.persist) return false;
    try {
      return await this.storage.persist();
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

export interface BrowserStoreStartup {
  readonly store: DexieTrackingStore;
  /** Runs that were RUNNING with no live owner (closed tab, crashed worker), now FAILED 'interrupted'. */
  readonly interrupted: number;
  /** RUNNING runs whose owner (another tab or worker) held their Web Lock: watch them (`createOwnerWatch`). */
  readonly alive: readonly string[];
  readonly persisted: boolean;
  readonly usage: StorageUsage;
}

/** This context's Web Locks (`navigator.locks`), or null where the API is missing. */
export function browserLocks(): LockManagerLike | null {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
  return nav?.locks ?? null;
}

/**
 * App startup: open/migrate, recover interrupted runs, request persistent storage, report usage.
 * Recovery marks only runs whose owner is gone: a run another tab's worker is executing holds its
 * Web Lock (see `core/tracking/ownership.ts`) and stays RUNNING.
 */
export async function openBrowserTrackingStore(
  options: DexieStoreOptions & { locks?: LockManagerLike | null } = {},
): Promise<BrowserStoreStartup> {
  const store = await DexieTrackingStore.open(options);
  const locks = options.locks !== undefined ? options.locks : browserLocks();
  const now = options.now ?? Date.now;
  const { interrupted, alive } = await recoverRuns(store, () => ownerCheck({ locks, now }), {
    now: now(),
    running: () => store.runningRuns(),
  });
  // runs alive by their lock (owner tags mark lock-less owners, kept alive by a heartbeat instead)
  const byLock: string[] = [];
  for (const id of alive) if ((await store.getRun(id))?.tags[OWNER_TAG] === undefined) byLock.push(id);
  const persisted = await store.requestPersistence();
  return { store, interrupted, alive: byLock, persisted, usage: await store.usage() };
}
