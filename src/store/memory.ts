/**
 * In-memory tracking store (Node/CLI and tests). Batches are staged in an overlay and committed
 * only when every op succeeded, so a failed batch leaves the store unchanged. Records are frozen
 * and shared; bytes are copied in and out.
 */
import {
  applyBatch,
  compareMetricPoints,
  compareMonitoringRecords,
  matchesMonitoringQuery,
  type BatchTx,
} from '../core/tracking/apply.ts';
import { StoreError, quotaExceededError } from '../core/tracking/errors.ts';
import { deepFreeze } from '../core/tracking/freeze.ts';
import { normalizeQuery, pageRuns, matchesAll } from '../core/tracking/query.ts';
import type { TrackingStore } from '../core/tracking/store.ts';
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

export interface MemoryStoreOptions {
  /** Simulated storage limit on blob bytes; a batch that would exceed it fails with QUOTA_EXCEEDED. */
  readonly quotaBytes?: number;
  /** Clock used by markInterrupted when no time is given. */
  readonly now?: () => number;
}

const DELETED = Symbol('deleted');

/** A Map with a staging overlay: writes go to the overlay until commit(). */
class Staged<K, V> {
  readonly base = new Map<K, V>();
  private overlay = new Map<K, V | typeof DELETED>();
  get(k: K): V | undefined {
    if (this.overlay.has(k)) {
      const v = this.overlay.get(k);
      return v === DELETED ? undefined : (v as V);
    }
    return this.base.get(k);
  }
  set(k: K, v: V): void {
    this.overlay.set(k, v);
  }
  delete(k: K): void {
    this.overlay.set(k, DELETED);
  }
  /** Current values (base merged with overlay). */
  *values(): IterableIterator<V> {
    for (const [k, v] of this.base) if (!this.overlay.has(k)) yield v;
    for (const v of this.overlay.values()) if (v !== DELETED) yield v as V;
  }
  pending(): IterableIterator<[K, V | typeof DELETED]> {
    return this.overlay.entries();
  }
  commit(): void {
    for (const [k, v] of this.overlay) {
      if (v === DELETED) this.base.delete(k);
      else this.base.set(k, v);
    }
    this.overlay.clear();
  }
  rollback(): void {
    this.overlay.clear();
  }
}

const versionKey = (name: string, version: number): string => `${name}\u0000${version}`;

export class MemoryTrackingStore implements TrackingStore {
  private readonly experiments = new Staged<string, ExperimentRecord>();
  private readonly runs = new Staged<string, RunRecord>();
  /** runId → points in write order (committed) */
  private readonly metrics = new Map<string, MetricPoint[]>();
  private pendingMetrics: [string, readonly MetricPoint[]][] = [];
  /** Runs whose metric histories this batch deletes (applied before pendingMetrics on commit). */
  private droppedMetrics = new Set<string>();
  private readonly blobs = new Staged<string, Uint8Array>();
  private readonly artifacts = new Staged<string, ArtifactRecord>();
  private readonly datasets = new Staged<string, DatasetRecord>();
  private readonly models = new Staged<string, RegisteredModelRecord>();
  private readonly versions = new Staged<string, ModelVersionRecord>();
  private readonly monitoring = new Staged<string, MonitoringRecord>();
  private readonly tables = [
    this.monitoring,
    this.experiments,
    this.runs,
    this.blobs,
    this.artifacts,
    this.datasets,
    this.models,
    this.versions,
  ];
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: MemoryStoreOptions = {}) {}

  /** Run mutations one at a time (a batch awaits between ops). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError('STORAGE', 'the store is closed'));
    const p = this.queue.then(fn);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private rollback(): void {
    for (const t of this.tables) t.rollback();
    this.pendingMetrics = [];
    this.droppedMetrics = new Set();
  }

  private commit(): void {
    for (const t of this.tables) t.commit();
    for (const runId of this.droppedMetrics) this.metrics.delete(runId);
    this.droppedMetrics = new Set();
    for (const [runId, pts] of this.pendingMetrics) {
      let list = this.metrics.get(runId);
      if (!list) this.metrics.set(runId, (list = []));
      list.push(...pts);
    }
    this.pendingMetrics = [];
  }

  private blobBytes(): number {
    let n = 0;
    for (const b of this.blobs.values()) n += b.byteLength;
    return n;
  }

  private tx(): BatchTx {
    return {
      getExperiment: async (id) => this.experiments.get(id),
      findExperimentByName: async (name) => {
        for (const e of this.experiments.values()) if (e.name === name) return e;
        return undefined;
      },
      putExperiment: async (rec) => this.experiments.set(rec.id, rec),
      getRun: async (id) => this.runs.get(id),
      putRun: async (rec) => this.runs.set(rec.id, rec),
      addMetrics: async (run, points) => {
        this.pendingMetrics.push([run.id, points]);
      },
      hasBlob: async (hash) => this.blobs.get(hash) !== undefined,
      putBlob: async (hash, bytes) => this.blobs.set(hash, bytes),
      getArtifact: async (id) => this.artifacts.get(id),
      putArtifact: async (rec) => this.artifacts.set(rec.id, rec),
      getDataset: async (fp) => this.datasets.get(fp),
      putDataset: async (rec) => this.datasets.set(rec.fingerprint, rec),
      getRegisteredModel: async (name) => this.models.get(name),
      putRegisteredModel: async (rec) => this.models.set(rec.name, rec),
      getModelVersion: async (name, version) => this.versions.get(versionKey(name, version)),
      putModelVersion: async (rec) => this.versions.set(versionKey(rec.name, rec.version), rec),
      deleteModelVersion: async (name, version) => this.versions.delete(versionKey(name, version)),
      runningRuns: async () => [...this.runs.values()].filter((r) => r.state === 'RUNNING'),
      runsOfExperiment: async (expId) => [...this.runs.values()].filter((r) => r.experimentId === expId),
      versionsFromRuns: async (runIds) => {
        const ids = new Set(runIds);
        return [...this.versions.values()].filter((v) => ids.has(v.sourceRunId));
      },
      artifactsOfExperiment: async (expId) =>
        [...this.artifacts.values()].filter((a) => a.experimentId === expId),
      deleteRuns: async (runIds) => {
        const ids = new Set(runIds);
        for (const id of ids) {
          this.runs.delete(id);
          this.droppedMetrics.add(id);
        }
        this.pendingMetrics = this.pendingMetrics.filter(([runId]) => !ids.has(runId));
      },
      deleteArtifacts: async (ids) => {
        for (const id of ids) this.artifacts.delete(id);
      },
      deleteExperiment: async (id) => this.experiments.delete(id),
      blobInUse: async (hash) => {
        for (const a of this.artifacts.values()) if (a.contentHash === hash) return true;
        for (const d of this.datasets.values()) if (d.contentHash === hash) return true;
        return false;
      },
      deleteBlob: async (hash) => this.blobs.delete(hash),
      getMonitoringRecord: async (id) => this.monitoring.get(id),
      putMonitoringRecord: async (rec) => this.monitoring.set(rec.id, rec),
      deleteMonitoringRecord: async (id) => this.monitoring.delete(id),
      deleteMonitoringOfVersion: async (name, version) => {
        for (const r of [...this.monitoring.values()])
          if (r.modelName === name && r.modelVersion === version) this.monitoring.delete(r.id);
      },
      deleteMonitoringOfRuns: async (runIds) => {
        const ids = new Set(runIds);
        for (const r of [...this.monitoring.values()])
          if (r.runId !== null && ids.has(r.runId)) this.monitoring.delete(r.id);
      },
    };
  }

  write(ops: readonly WriteOp[]): Promise<WriteResult> {
    return this.exclusive(async () => {
      try {
        const result = await applyBatch(this.tx(), ops);
        const quota = this.options.quotaBytes;
        if (quota !== undefined) {
          const used = this.blobBytes();
          if (used > quota) {
            const e = new DOMException('simulated quota', 'QuotaExceededError');
            throw quotaExceededError(ops.length, { usedBytes: used, quotaBytes: quota }, e);
          }
        }
        this.commit();
        return result;
      } catch (e) {
        this.rollback();
        throw e;
      }
    });
  }

  async getExperiment(id: string): Promise<ExperimentRecord | undefined> {
    return this.experiments.base.get(id);
  }
  async getExperimentByName(name: string): Promise<ExperimentRecord | undefined> {
    for (const e of this.experiments.base.values()) if (e.name === name) return e;
    return undefined;
  }
  async listExperiments(): Promise<readonly ExperimentRecord[]> {
    return [...this.experiments.base.values()].sort(
      (a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1),
    );
  }
  async getRun(id: string): Promise<RunRecord | undefined> {
    return this.runs.base.get(id);
  }
  async searchRuns(query: RunQuery): Promise<RunPage> {
    const q = normalizeQuery(query);
    const { runs, nextPageToken } = pageRuns(this.runs.base.values(), q);
    return deepFreeze({ runs, nextPageToken });
  }
  async countRuns(query: RunQuery): Promise<number> {
    const q = normalizeQuery(query);
    let n = 0;
    for (const r of this.runs.base.values()) {
      if (r.experimentId !== q.experimentId) continue;
      if (q.parentRunId !== undefined && r.parentRunId !== q.parentRunId) continue;
      if (matchesAll(r, q.filter)) n++;
    }
    return n;
  }
  async getMetricHistory(runId: string, key: string): Promise<readonly MetricPoint[]> {
    const pts = (this.metrics.get(runId) ?? []).filter((p) => p.key === key);
    return Object.freeze(pts.sort(compareMetricPoints));
  }
  async getArtifact(id: string): Promise<ArtifactRecord | undefined> {
    return this.artifacts.base.get(id);
  }
  async getArtifactBytes(id: string): Promise<Uint8Array> {
    const a = this.artifacts.base.get(id);
    if (!a) throw new StoreError('NOT_FOUND', `artifact ${id} does not exist`);
    const b = this.blobs.base.get(a.contentHash);
    if (!b) throw new StoreError('STORAGE', `the bytes of artifact ${id} (${a.contentHash}) are missing`);
    return b.slice();
  }
  async listArtifacts(runId: string): Promise<readonly ArtifactRecord[]> {
    return [...this.artifacts.base.values()]
      .filter((a) => a.runId === runId)
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  }
  async getDataset(fingerprint: string): Promise<DatasetRecord | undefined> {
    return this.datasets.base.get(fingerprint);
  }
  async getDatasetFile(fingerprint: string): Promise<Uint8Array | undefined> {
    const d = this.datasets.base.get(fingerprint);
    if (!d || d.contentHash === null) return undefined;
    return this.blobs.base.get(d.contentHash)?.slice();
  }
  async listDatasets(): Promise<readonly DatasetRecord[]> {
    return [...this.datasets.base.values()].sort((a, b) => b.createdAt - a.createdAt);
  }
  async getRegisteredModel(name: string): Promise<RegisteredModelRecord | undefined> {
    return this.models.base.get(name);
  }
  async listRegisteredModels(): Promise<readonly RegisteredModelRecord[]> {
    return [...this.models.base.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }
  async getModelVersion(name: string, version: number): Promise<ModelVersionRecord | undefined> {
    return this.versions.base.get(versionKey(name, version));
  }
  async listModelVersions(name: string): Promise<readonly ModelVersionRecord[]> {
    return [...this.versions.base.values()]
      .filter((v) => v.name === name)
      .sort((a, b) => a.version - b.version);
  }
  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersionRecord | undefined> {
    const m = this.models.base.get(name);
    if (!m || !Object.hasOwn(m.aliases, alias)) return undefined;
    return this.versions.base.get(versionKey(name, m.aliases[alias]));
  }

  async getMonitoringRecord(id: string): Promise<MonitoringRecord | undefined> {
    return this.monitoring.base.get(id);
  }
  async listMonitoringRecords(query: MonitoringQuery): Promise<readonly MonitoringRecord[]> {
    return Object.freeze(
      [...this.monitoring.base.values()]
        .filter((r) => matchesMonitoringQuery(r, query))
        .sort(compareMonitoringRecords),
    );
  }

  async markInterrupted(now?: number, runIds?: readonly string[]): Promise<number> {
    const endTime = now ?? (this.options.now ?? Date.now)();
    const op = runIds === undefined ? { endTime } : { endTime, runIds };
    return (await this.write([{ op: 'markInterrupted', ...op }])).interrupted;
  }

  async deleteExperiment(id: string): Promise<void> {
    await this.write([{ op: 'deleteExperiment', id }]);
  }

  async usage(): Promise<StorageUsage> {
    const blobBytes = this.blobBytes();
    return Object.freeze({
      usedBytes: blobBytes,
      quotaBytes: this.options.quotaBytes ?? null,
      blobBytes,
      persisted: null,
    });
  }

  async close(): Promise<void> {
    await this.queue;
    this.closed = true;
  }
}

export function createMemoryStore(options?: MemoryStoreOptions): MemoryTrackingStore {
  return new MemoryTrackingStore(options);
}
