/**
 * Experiment-tracking records (MLflow's vocabulary). Every record handed out by a store is a frozen,
 * read-only snapshot ("frozen trial"); live objects that change over time are the `RunHandle`s of
 * `tracker.ts`. All times are epoch milliseconds.
 */
import type { SemanticType } from '../data/table.ts';

/** A run's lifecycle. MLflow's FINISHED is called COMPLETE here; PRUNED = stopped early by a pruner. */
export type RunState = 'RUNNING' | 'COMPLETE' | 'FAILED' | 'PRUNED';
export const RUN_STATES: readonly RunState[] = ['RUNNING', 'COMPLETE', 'FAILED', 'PRUNED'];
export type TerminalRunState = Exclude<RunState, 'RUNNING'>;

/** Parameter values keep their JS type so runs can be sorted/filtered numerically. */
export type ParamValue = string | number | boolean | null;

export interface RunError {
  /** Machine-readable reason, e.g. 'interrupted', 'exception', 'timeout', 'out-of-memory'. */
  readonly reason: string;
  readonly message: string;
}

export interface DatasetColumnSchema {
  readonly name: string;
  readonly type: SemanticType;
}

export interface DatasetRecord {
  /** Identity of the dataset as the studio sees it (e.g. SHA-256 of raw bytes + parse options). */
  readonly fingerprint: string;
  readonly name: string;
  readonly schema: readonly DatasetColumnSchema[];
  /** The profile (opaque to the store; typically `DatasetProfile`), JSON-compatible. */
  readonly profile: unknown;
  /** 'sha256:<hex>' of the raw file; the bytes are stored once per hash (shared between datasets). */
  readonly contentHash: string | null;
  readonly byteLength: number;
  readonly createdAt: number;
}

export interface ExperimentRecord {
  readonly id: string;
  /** Unique across the store. */
  readonly name: string;
  readonly description: string;
  readonly datasetFingerprint: string | null;
  readonly tags: Readonly<Record<string, string>>;
  readonly createdAt: number;
}

export interface LatestMetric {
  readonly value: number;
  readonly step: number;
  readonly timestamp: number;
}

export interface RunRecord {
  readonly id: string;
  readonly experimentId: string;
  /** A search is a parent run; each trial is a child run. null for top-level runs. */
  readonly parentRunId: string | null;
  readonly name: string;
  readonly state: RunState;
  readonly startTime: number;
  readonly endTime: number | null;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly tags: Readonly<Record<string, string>>;
  /** Latest value of each metric (largest step, then latest timestamp, then last written). */
  readonly latestMetrics: Readonly<Record<string, LatestMetric>>;
  readonly datasetFingerprint: string | null;
  readonly error: RunError | null;
}

export interface MetricPoint {
  readonly key: string;
  readonly value: number;
  readonly step: number;
  readonly timestamp: number;
}

export type ArtifactKind = 'model' | 'pipeline' | 'oof-predictions' | 'chart-data' | 'report' | 'other';

export interface ArtifactRecord {
  readonly id: string;
  readonly runId: string;
  readonly experimentId: string;
  readonly name: string;
  readonly kind: ArtifactKind;
  readonly contentType: string;
  /** 'sha256:<hex>' of the bytes; identical bytes are stored once. */
  readonly contentHash: string;
  readonly byteLength: number;
  readonly meta: Readonly<Record<string, unknown>>;
  readonly createdAt: number;
}

export interface RegisteredModelRecord {
  readonly name: string;
  readonly description: string;
  readonly tags: Readonly<Record<string, string>>;
  /** alias → version number (e.g. champion → 3). An alias points at one version at a time. */
  readonly aliases: Readonly<Record<string, number>>;
  readonly latestVersion: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface ModelVersionRecord {
  readonly name: string;
  /** 1, 2, 3, … per registered model, assigned by the store. */
  readonly version: number;
  readonly sourceRunId: string;
  readonly experimentId: string;
  /** Lineage: the dataset the source run was trained on (run's, else its experiment's). */
  readonly datasetFingerprint: string | null;
  /** The model artifact of the source run, if given. */
  readonly artifactId: string | null;
  readonly description: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** One column's drift as a monitoring record keeps it (numbers that are not finite are null). */
export interface MonitoringColumnSummary {
  readonly column: string;
  /** The test used ('ks', 'chi2', 'z', 'wasserstein', 'jensenshannon'), null when not compared. */
  readonly method: string | null;
  readonly statistic: number | null;
  readonly pvalue: number | null;
  /** What is compared with the threshold: the p-value or the distance. */
  readonly score: number | null;
  readonly threshold: number | null;
  readonly drifted: boolean;
  readonly psi: number | null;
  /** Data-quality findings in words. */
  readonly findings: readonly string[];
}

export interface MonitoringMetricSummary {
  readonly metric: string;
  readonly value: number | null;
  readonly validation: number | null;
  /** Estimated performance only. */
  readonly standardError: number | null;
  readonly outsideBand: boolean;
}

export interface MonitoringPerformanceSummary {
  /** 'actual' on labelled rows, 'estimated' (CBPE) without labels. */
  readonly kind: 'actual' | 'estimated';
  readonly rows: number;
  readonly metrics: readonly MonitoringMetricSummary[];
  readonly conceptDrift: boolean;
}

/** What a monitoring record keeps of a batch's report (the full report is not stored). */
export interface MonitoringSummary {
  readonly verdict: 'drift' | 'no drift';
  /** 'training data' or 'stored profile'. */
  readonly basis: string;
  readonly compared: number;
  readonly drifted: number;
  readonly driftedShare: number;
  readonly driftShare: number;
  readonly columns: readonly MonitoringColumnSummary[];
  readonly missingColumns: readonly string[];
  readonly newColumns: readonly string[];
  readonly predictionDrift: MonitoringColumnSummary | null;
  readonly targetDrift: MonitoringColumnSummary | null;
  readonly performance: MonitoringPerformanceSummary | null;
  /** Alerts in words (dataset drift, drifted columns, prediction/label/concept drift, missing columns). */
  readonly alerts: readonly string[];
}

/**
 * One monitored batch of a model: a registered model version (name + version), else a run, else a
 * bundle known only by its manifest's SHA-256. Deleted with its model version or run.
 */
export interface MonitoringRecord {
  readonly id: string;
  readonly modelName: string | null;
  readonly modelVersion: number | null;
  readonly runId: string | null;
  /** SHA-256 of the bundle's manifest.json: which exact model was monitored. */
  readonly bundleSha256: string;
  readonly batchName: string;
  /** SHA-256 of the batch file's bytes. */
  readonly batchSha256: string;
  readonly batchRows: number;
  /** When the batch's data is from (chosen by the user, else when it was monitored), epoch ms. */
  readonly batchTime: number;
  readonly createdAt: number;
  readonly summary: MonitoringSummary;
}

// ---------------------------------------------------------------- write operations

export interface CreateExperimentOp {
  readonly op: 'createExperiment';
  readonly id: string;
  readonly name: string;
  readonly description?: string;
  readonly datasetFingerprint?: string | null;
  readonly tags?: Readonly<Record<string, string>>;
  readonly createdAt: number;
}
export interface StartRunOp {
  readonly op: 'startRun';
  readonly id: string;
  readonly experimentId: string;
  readonly parentRunId?: string | null;
  readonly name?: string;
  readonly startTime: number;
  readonly params?: Readonly<Record<string, ParamValue>>;
  readonly tags?: Readonly<Record<string, string>>;
  readonly datasetFingerprint?: string | null;
}
export interface LogParamsOp {
  readonly op: 'logParams';
  readonly runId: string;
  readonly params: Readonly<Record<string, ParamValue>>;
}
export interface LogMetricsOp {
  readonly op: 'logMetrics';
  readonly runId: string;
  readonly metrics: readonly MetricPoint[];
}
export interface SetTagsOp {
  readonly op: 'setTags';
  readonly runId: string;
  readonly tags: Readonly<Record<string, string>>;
}
export interface EndRunOp {
  readonly op: 'endRun';
  readonly runId: string;
  readonly state: TerminalRunState;
  readonly endTime: number;
  readonly error?: RunError | null;
}
export interface PutArtifactOp {
  readonly op: 'putArtifact';
  readonly id: string;
  readonly runId: string;
  readonly name: string;
  readonly kind: ArtifactKind;
  readonly contentType?: string;
  readonly bytes: Uint8Array;
  readonly meta?: Readonly<Record<string, unknown>>;
  readonly createdAt: number;
}
export interface PutDatasetOp {
  readonly op: 'putDataset';
  readonly fingerprint: string;
  readonly name: string;
  readonly schema: readonly DatasetColumnSchema[];
  readonly profile?: unknown;
  /** The raw file; kept once per content hash. Omit to store metadata only. */
  readonly raw?: Uint8Array;
  readonly createdAt: number;
}
export interface CreateRegisteredModelOp {
  readonly op: 'createRegisteredModel';
  readonly name: string;
  readonly description?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly createdAt: number;
}
/** MLflow's update_registered_model / set_registered_model_tag / delete_registered_model_tag. */
export interface UpdateRegisteredModelOp {
  readonly op: 'updateRegisteredModel';
  readonly name: string;
  readonly description?: string;
  /** Merged into the existing tags; a tag set to null is removed. */
  readonly tags?: Readonly<Record<string, string | null>>;
  readonly updatedAt: number;
}
export interface CreateModelVersionOp {
  readonly op: 'createModelVersion';
  readonly name: string;
  readonly sourceRunId: string;
  readonly artifactId?: string | null;
  readonly description?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly createdAt: number;
}
export interface UpdateModelVersionOp {
  readonly op: 'updateModelVersion';
  readonly name: string;
  readonly version: number;
  readonly description?: string;
  /** Merged into the existing tags; a tag set to null is removed. */
  readonly tags?: Readonly<Record<string, string | null>>;
  readonly updatedAt: number;
}
export interface DeleteModelVersionOp {
  readonly op: 'deleteModelVersion';
  readonly name: string;
  readonly version: number;
}
export interface SetAliasOp {
  readonly op: 'setAlias';
  readonly name: string;
  readonly alias: string;
  readonly version: number;
  readonly updatedAt: number;
}
export interface DeleteAliasOp {
  readonly op: 'deleteAlias';
  readonly name: string;
  readonly alias: string;
  readonly updatedAt: number;
}

/**
 * Crash recovery: RUNNING runs become FAILED with error reason 'interrupted' and endTime `endTime`
 * (never before their start). `runIds` limits it to those runs (the ones whose owner is gone);
 * omitted = every RUNNING run. Runs that are not RUNNING (or no longer exist) are skipped, so a
 * run that ended between the caller's read and this write is left alone.
 */
export interface MarkInterruptedOp {
  readonly op: 'markInterrupted';
  readonly endTime: number;
  readonly runIds?: readonly string[];
  /** Default: 'the app was closed or crashed while this run was running'. */
  readonly message?: string;
}
/**
 * Cascade delete of an experiment: its runs, their metric histories and artifacts, then every blob
 * no longer referenced by an artifact or dataset. Datasets are kept. IN_USE when a run is the source
 * of a registered model version (delete the versions first); NOT_FOUND for an unknown id.
 */
export interface DeleteExperimentOp {
  readonly op: 'deleteExperiment';
  readonly id: string;
}

/**
 * Stores a monitoring record (its id must be new). A model name and version, when given, must name an
 * existing model version; a run id an existing run.
 */
export interface PutMonitoringRecordOp {
  readonly op: 'putMonitoringRecord';
  readonly record: MonitoringRecord;
}
export interface DeleteMonitoringRecordOp {
  readonly op: 'deleteMonitoringRecord';
  readonly id: string;
}

export type WriteOp =
  | CreateExperimentOp
  | StartRunOp
  | LogParamsOp
  | LogMetricsOp
  | SetTagsOp
  | EndRunOp
  | PutArtifactOp
  | PutDatasetOp
  | CreateRegisteredModelOp
  | UpdateRegisteredModelOp
  | CreateModelVersionOp
  | UpdateModelVersionOp
  | DeleteModelVersionOp
  | SetAliasOp
  | DeleteAliasOp
  | MarkInterruptedOp
  | DeleteExperimentOp
  | PutMonitoringRecordOp
  | DeleteMonitoringRecordOp;

export type WriteOpName = WriteOp['op'];

export interface WriteResult {
  /** Versions assigned by `createModelVersion` ops, in op order. */
  readonly modelVersions: readonly { readonly name: string; readonly version: number }[];
  /** Runs marked FAILED 'interrupted' by `markInterrupted` ops. */
  readonly interrupted: number;
}

// ---------------------------------------------------------------- queries

export type RunField =
  | { readonly kind: 'metric'; readonly key: string }
  | { readonly kind: 'param'; readonly key: string }
  | { readonly kind: 'tag'; readonly key: string }
  | { readonly kind: 'attr'; readonly key: 'name' | 'state' | 'startTime' | 'endTime' | 'duration' };

export type FilterOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'exists' | 'missing' | 'contains';

export interface RunFilter {
  readonly field: RunField;
  readonly op: FilterOp;
  /** Not used by 'exists'/'missing'. */
  readonly value?: ParamValue;
}

export interface RunOrder {
  readonly field: RunField;
  readonly direction: 'asc' | 'desc';
}

export interface RunQuery {
  readonly experimentId: string;
  /** undefined: all runs; null: top-level runs only; a run id: that run's children. */
  readonly parentRunId?: string | null;
  /** All conditions must hold (AND). */
  readonly filter?: readonly RunFilter[];
  /** Missing values always sort last. Ties: startTime desc, then id desc. Default: startTime desc. */
  readonly orderBy?: RunOrder;
  /** Page size, default 100, at most 10,000. */
  readonly limit?: number;
  /** Opaque token from a previous page's `nextPageToken`. */
  readonly pageToken?: string;
}

export interface RunPage {
  readonly runs: readonly RunRecord[];
  /** Pass as `pageToken` to get the next page; null when this was the last page. */
  readonly nextPageToken: string | null;
}

export interface StorageUsage {
  /** Bytes used by this origin (browser estimate), or null when unknown. */
  readonly usedBytes: number | null;
  /** Bytes the origin may use (browser estimate), or null when unknown/unbounded. */
  readonly quotaBytes: number | null;
  /** Bytes of blobs (datasets + artifacts) held by this store. */
  readonly blobBytes: number;
  /** Whether the storage is persistent (won't be evicted), or null when not applicable. */
  readonly persisted: boolean | null;
}

/**
 * Which monitoring records to list: a model's (and one version's), a run's, or a bundle's. Oldest
 * first (batch time, then creation time, then id).
 */
export interface MonitoringQuery {
  readonly modelName?: string;
  /** With modelName: one version only. */
  readonly modelVersion?: number;
  readonly runId?: string;
  readonly bundleSha256?: string;
}
