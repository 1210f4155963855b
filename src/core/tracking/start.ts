/**
 * Starting a training run the studio's way, in any store (the CLI's file store, the browser's
 * IndexedDB): the dataset is recorded once by fingerprint, runs on the same dataset (by content) and
 * target share one experiment, named in words the first time ("train → churn (2026-12-03)": the file
 * name without its extension, the target, the date; "#2" when another file of the same name got
 * there first), and the run is written RUNNING at once.
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

/** A friendly experiment name: file name without `.csv` (or `.tsv`/`.txt`), target, date (UTC). */
export function experimentNameFor(datasetName: string, target: string, at?: number): string {
  const stem = datasetName.replace(/\.(csv|tsv|txt)$/i, '') || datasetName;
  const day = at !== undefined && Number.isFinite(at) ? ` (${new Date(at).toISOString().slice(0, 10)})` : '';
  return `${stem} → ${target}${day}`;
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
  // The experiment of this file's content and target (found by fingerprint, whatever its name);
  // else a new one with a name not yet taken (two different train.csv files are told apart).
  const all = await store.listExperiments();
  let experiment = all.find((e) => e.datasetFingerprint === fp && e.tags.target === target);
  if (!experiment) {
    const base = experimentNameFor(dataset.name, target, tracker.now());
    const taken = new Set(all.map((e) => e.name));
    let name = base;
    for (let k = 2; taken.has(name); k++) name = `${base} #${k}`;
    experiment = await tracker.createExperiment({ name, datasetFingerprint: fp, tags: { target } });
  }
  const handle = await tracker.startRun({
    experimentId: experiment.id,
    name: run.name,
    ...(run.tags ? { tags: run.tags } : {}),
    datasetFingerprint: fp,
  });
  return { experiment, run: handle };
}
