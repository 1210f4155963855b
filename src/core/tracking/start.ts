/**
 * Starting a training run the studio's way, in any store (the CLI's file store, the browser's
 * IndexedDB): the dataset is recorded once by fingerprint, runs on the same dataset and target share
 * one experiment ("train.csv → churn"), and the run is written RUNNING at once.
 */
import type { RunHandle, Tracker } from './tracker.ts';
import type { DatasetColumnSchema, ExperimentRecord } from './types.ts';

export interface TrackedDataset {
  /** SHA-256 of the raw file. */
  readonly fingerprint: string;
  readonly name: string;
  readonly schema: readonly DatasetColumnSchema[];
  /** The raw file, kept once per content hash (omit to store metadata only). */
  readonly raw?: Uint8Array;
}

export function experimentNameFor(datasetName: string, target: string): string {
  return `${datasetName} → ${target}`;
}

export async function startDatasetRun(
  tracker: Tracker,
  dataset: TrackedDataset,
  target: string,
  run: { readonly name: string; readonly tags?: Readonly<Record<string, string>> },
): Promise<{ experiment: ExperimentRecord; run: RunHandle }> {
  const store = tracker.store;
  const fp = dataset.fingerprint;
  const known = await store.getDataset(fp);
  if (!known || (dataset.raw && !(await store.getDatasetFile(fp)))) {
    await store.write([
      {
        op: 'putDataset',
        fingerprint: fp,
        name: dataset.name,
        schema: dataset.schema.map((c) => ({ name: c.name, type: c.type })),
        ...(dataset.raw ? { raw: dataset.raw } : {}),
        createdAt: tracker.now(),
      },
    ]);
  }
  const name = experimentNameFor(dataset.name, target);
  const experiment =
    (await store.getExperimentByName(name)) ??
    (await tracker.createExperiment({ name, datasetFingerprint: fp, tags: { target } }));
  const handle = await tracker.startRun({
    experimentId: experiment.id,
    name: run.name,
    ...(run.tags ? { tags: run.tags } : {}),
    datasetFingerprint: fp,
  });
  return { experiment, run: handle };
}
