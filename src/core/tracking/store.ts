/**
 * The tracking store interface: one atomic batch-write call plus typed reads. Implementations:
 * `src/store/memory.ts` (tests), `src/store/dexie.ts` (browser, IndexedDB) and
 * `src/cli/sqlite-store.ts` (CLI, SQLite). All run the shared contract suite in
 * `test/store/contract-cases.ts`. Who owns a RUNNING run, and recovery: `ownership.ts`.
 *
 * Every mutation is a write op applied by `apply.ts` (the same semantics in every store).
 *
 * Deletion policy: `deleteExperiment` removes the experiment, its runs, metric histories and
 * artifacts, then frees every blob no longer referenced by an artifact or dataset. Datasets are
 * independent of experiments and are kept (they are the user's data). Deleting an experiment whose
 * runs are the source of a registered model version fails with IN_USE (delete the versions first).
 * Monitoring records go with what they belong to: deleting a model version deletes its records, and
 * deleting an experiment the records of its runs.
 */
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
} from './types.ts';

export interface TrackingStore {
  /**
   * Apply all ops in order, atomically: either every op is applied or none is (a failed batch
   * throws a `StoreError` and leaves the store unchanged).
   */
  write(ops: readonly WriteOp[]): Promise<WriteResult>;

  getExperiment(id: string): Promise<ExperimentRecord | undefined>;
  getExperimentByName(name: string): Promise<ExperimentRecord | undefined>;
  /** All experiments, newest first. */
  listExperiments(): Promise<readonly ExperimentRecord[]>;

  getRun(id: string): Promise<RunRecord | undefined>;
  /** Filtered, sorted, paged runs of one experiment. */
  searchRuns(query: RunQuery): Promise<RunPage>;
  /** Number of runs matching the query's experiment/parent/filter (ignores order and paging). */
  countRuns(query: RunQuery): Promise<number>;
  /** Every logged point of one metric of a run, by step then timestamp then write order. */
  getMetricHistory(runId: string, key: string): Promise<readonly MetricPoint[]>;

  getArtifact(id: string): Promise<ArtifactRecord | undefined>;
  /** The artifact's bytes (a fresh copy). Throws NOT_FOUND when the artifact doesn't exist. */
  getArtifactBytes(id: string): Promise<Uint8Array>;
  /** Artifacts of a run, oldest first. */
  listArtifacts(runId: string): Promise<readonly ArtifactRecord[]>;

  getDataset(fingerprint: string): Promise<DatasetRecord | undefined>;
  /** The dataset's raw file, or undefined when only metadata was stored. */
  getDatasetFile(fingerprint: string): Promise<Uint8Array | undefined>;
  listDatasets(): Promise<readonly DatasetRecord[]>;

  getRegisteredModel(name: string): Promise<RegisteredModelRecord | undefined>;
  listRegisteredModels(): Promise<readonly RegisteredModelRecord[]>;
  getModelVersion(name: string, version: number): Promise<ModelVersionRecord | undefined>;
  /** Versions of a model, oldest first. */
  listModelVersions(name: string): Promise<readonly ModelVersionRecord[]>;
  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersionRecord | undefined>;

  getMonitoringRecord(id: string): Promise<MonitoringRecord | undefined>;
  /**
   * Monitoring records matching every given field of the query (an empty query: all), oldest first
   * by batch time, then creation time, then id.
   */
  listMonitoringRecords(query: MonitoringQuery): Promise<readonly MonitoringRecord[]>;

  /**
   * Crash recovery: shorthand for `write([{ op: 'markInterrupted', endTime: now, runIds }])`. Every
   * listed run (default: every run) still RUNNING becomes FAILED with error reason 'interrupted'.
   * Returns how many changed. Callers that share the store with other live owners (tabs, workers,
   * processes) pass only the runs whose owner is gone (see `recovery.ts`).
   */
  markInterrupted(now?: number, runIds?: readonly string[]): Promise<number>;
  /** Shorthand for `write([{ op: 'deleteExperiment', id }])` (see the module comment). */
  deleteExperiment(id: string): Promise<void>;
  usage(): Promise<StorageUsage>;
  close(): Promise<void>;
}
