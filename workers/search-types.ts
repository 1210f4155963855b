/**
 * Types of the trial worker pool (workers/pool.ts, workers/trial.worker.ts). The trial worker's API
 * itself is core's `TrialWorkerApi` (src/core/search/trial-endpoint.ts), re-exported here.
 */
import type { BackendPreference } from '../src/core/models/nn/backend.ts';

export type { TrialWorkerApi, ReportFn, WireTrialOutcome } from '../src/core/search/trial-endpoint.ts';
export type { TrialExecutor } from '../src/core/search/executor.ts';
export type { TrialPool, TrialWorkerHandle } from '../src/core/search/pool.ts';
export type { SearchData, SearchDataSpec } from '../src/core/search/context.ts';
export type { TrialTask, TrialOutcome } from '../src/core/search/evaluate-trial.ts';

export interface BrowserTrialPoolOptions {
  /** Number of workers; default `navigator.hardwareConcurrency − 1`, at least 1. */
  readonly size?: number;
  /** Makes one trial worker; default the bundled workers/trial.worker.ts as a module worker. */
  readonly factory?: () => Worker;
  /** How long a stopped trial may take to answer before its worker is terminated (default 500 ms). */
  readonly stopGraceMs?: number;
  /**
   * The TensorFlow.js backend the default trial workers train nets on (default 'wasm'); 'auto' picks
   * WebGPU only on a hardware adapter, as everywhere else.
   */
  readonly backend?: BackendPreference;
}
