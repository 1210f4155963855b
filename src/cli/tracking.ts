/** Recording CLI training runs in the local tracking store (experiment per dataset and target). */
import { Tracker, type RunHandle } from '../core/tracking/tracker.ts';
import type { TrackingStore } from '../core/tracking/store.ts';
import type { ParamValue } from '../core/tracking/types.ts';
import type { IngestResult } from '../core/ingest/types.ts';
import { DEFAULT_STORE, openFileStore } from './file-store.ts';

export function storePath(option: string | undefined): string {
  return option ?? process.env.AUTOML_STORE ?? DEFAULT_STORE;
}

/** Config values as MLflow-style params: numbers, strings and booleans kept, the rest as JSON. */
export function flatParams(config: Readonly<Record<string, unknown>>): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const [k, v] of Object.entries(config)) {
    out[k] =
      v === null || ['string', 'number', 'boolean'].includes(typeof v)
        ? (v as ParamValue)
        : JSON.stringify(v);
  }
  return out;
}

export interface StartedRun {
  readonly store: TrackingStore;
  readonly run: RunHandle;
}

export async function startTrainingRun(
  path: string,
  data: IngestResult,
  target: string,
  name: string,
  tags: Record<string, string>,
): Promise<StartedRun> {
  const store = await openFileStore(path);
  const tracker = new Tracker(store);
  const fp = data.fingerprint.sha256;
  if (!(await store.getDataset(fp))) {
    await store.write([
      {
        op: 'putDataset',
        fingerprint: fp,
        name: data.sourceName,
        schema: data.schema.map((c) => ({ name: c.name, type: c.type })),
        createdAt: Date.now(),
      },
    ]);
  }
  const experimentName = `${data.sourceName} → ${target}`;
  const experiment =
    (await store.getExperimentByName(experimentName)) ??
    (await tracker.createExperiment({ name: experimentName, datasetFingerprint: fp, tags: { target } }));
  const run = await tracker.startRun({ experimentId: experiment.id, name, tags, datasetFingerprint: fp });
  return { store, run };
}

const ARTIFACT_KINDS = {
  'model.json': 'model',
  'pipeline.json': 'pipeline',
  'manifest.json': 'report',
} as const;

/** Logs the bundle's files as artifacts, tags where the bundle was written, and completes the run. */
export async function completeWithBundle(
  run: RunHandle,
  files: Readonly<Record<string, string>>,
  bundleDir: string,
): Promise<void> {
  const enc = new TextEncoder();
  for (const [name, kind] of Object.entries(ARTIFACT_KINDS)) {
    const text = files[name];
    if (text !== undefined)
      run.logArtifact({ name, kind, bytes: enc.encode(text), contentType: 'application/json' });
  }
  run.setTag('bundle', bundleDir);
  await run.end('COMPLETE');
}
