/**
 * What the jobs (./fit.ts, ./automl.ts) share: starting the job's run on its dataset and experiment,
 * and the dataset and environment records of the bundle it builds.
 */
import type { BundleDataset, BundleEnvironment } from '../export/bundle.ts';
import type { Task } from '../models/types.ts';
import { profileTable } from '../profile/index.ts';
import { startDatasetRun } from '../tracking/start.ts';
import type { RunHandle } from '../tracking/tracker.ts';
import type { BackendRecord, JobData, JobRuntime, JobTracking } from './types.ts';

/** Starts the job's run (dataset kept once by fingerprint, experiment per dataset and target). */
export async function startJobRun(
  tracking: JobTracking,
  data: JobData,
  target: string,
  name: string,
  tags: Readonly<Record<string, string>>,
): Promise<RunHandle> {
  const { run } = await startDatasetRun(
    tracking.tracker,
    {
      fingerprint: data.fingerprint.sha256,
      name: data.sourceName,
      schema: data.schema,
      ...(tracking.raw ? { raw: tracking.raw } : {}),
    },
    target,
    { name, tags: { ...tags, source: tracking.source, ...tracking.tags } },
  );
  return run;
}

/** The bundle's record of the training data, with the profile's warnings (shown in the model card). */
export function bundleDataset(data: JobData, target: string, task: Task): BundleDataset {
  return {
    name: data.sourceName,
    fingerprint: data.fingerprint,
    schema: data.schema,
    warnings: profileTable(data.table, { target, task }).warnings,
  };
}

/** The bundle's environment: the runtime's record, the backend, and the time it was made. */
export function bundleEnvironment(runtime: JobRuntime, backend: BackendRecord): BundleEnvironment {
  return {
    ...runtime.environment,
    backend: { ...backend },
    createdAt: (runtime.now?.() ?? new Date()).toISOString(),
  };
}

export const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
