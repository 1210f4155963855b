/**
 * What the jobs (./fit.ts, ./automl.ts) take from the runtime that runs them — the studio's training
 * worker or the CLI — so that each use case is written once and a run looks the same wherever it was
 * made: the data as read, the bundle's environment record, the scorer source, and where to record.
 */
import type { IngestResult } from '../ingest/types.ts';
import type { BundleEnvironment } from '../export/bundle.ts';
import type { Tracker } from '../tracking/tracker.ts';

/** The training data as read by the runtime (its own reader, same type choices). */
export type JobData = Pick<IngestResult, 'table' | 'sourceName' | 'fingerprint' | 'schema'>;

/** Where and how a job records its run; absent = not recorded. */
export interface JobTracking {
  readonly tracker: Tracker;
  /** The training file's bytes, kept with the dataset when the runtime keeps them (studio: for Verify). */
  readonly raw?: Uint8Array;
  /** Who ran it, as the run's `source` tag: 'studio train', 'cli fit', 'studio automl', 'cli automl'. */
  readonly source: string;
  /** Further tags (e.g. the CLI's `bundle`: where it wrote the bundle). */
  readonly tags?: Readonly<Record<string, string>>;
}

/** The runtime's specifics every job needs. */
export interface JobRuntime {
  /** The bundle's environment record (app, runtime, cores, libraries; the job sets backend and `createdAt`). */
  readonly environment: Omit<BundleEnvironment, 'createdAt' | 'backend'>;
  /** Source of the bundle's standalone `predict.mjs` (built by the runtime). */
  readonly scorer: string;
  /** Records the run when given. */
  readonly tracking?: JobTracking;
  /** Wall clock for `createdAt` (default `new Date()`). */
  readonly now?: () => Date;
}

/** The compute backend a job's models train on, as recorded in the bundle and shown to the user. */
export interface BackendRecord {
  readonly name: string;
  readonly reason?: string;
  readonly adapter?: unknown;
  readonly failures?: readonly unknown[];
}

/** The run a job recorded, or why it could not record it (the model is still returned). */
export interface JobRecord {
  readonly runId?: string;
  readonly experimentId?: string;
  /** Why tracking did not record the run (storage unavailable, quota), when it did not. */
  readonly trackingError?: string;
}

/** A safe file name for the bundle zip artifact, e.g. `Churn-gbdt.zip`. */
export function bundleZipName(target: string, what: string): string {
  return `${target}-${what}.zip`.replace(/[^\w.-]+/g, '_');
}
