/**
 * Model versions and their bundles: the bundle of a version is its run's `model` artifact (a zip
 * written by the training worker); an imported bundle becomes a run in its dataset's experiment
 * (params, metrics and the zip as artifact) and a new version of a named model, so its lineage reads
 * like any other: version → run → experiment → dataset.
 */
import { Tracker } from '../../core/tracking/tracker.ts';
import { startDatasetRun } from '../../core/tracking/start.ts';
import { flatParams } from '../../core/tracking/params.ts';
import type { TrackingStore } from '../../core/tracking/store.ts';
import type { ModelVersionRecord, WriteOp } from '../../core/tracking/types.ts';
import type { BundleFiles, BundleSummary } from '../../../workers/bundle-types.ts';
import type { BundleClient } from './bundle-client.ts';

/** The bundle files of a model version (read from its zip artifact); a clear error when there is none. */
export async function versionBundleFiles(
  store: TrackingStore,
  client: BundleClient,
  version: ModelVersionRecord,
): Promise<BundleFiles> {
  const id = version.artifactId;
  if (!id) throw new Error(`${version.name} version ${version.version} has no model file recorded`);
  const artifact = await store.getArtifact(id);
  if (!artifact) throw new Error(`the model file of ${version.name} version ${version.version} was deleted`);
  const bytes = await store.getArtifactBytes(id);
  const res = await client.readZip(bytes.slice().buffer, artifact.name);
  if (!res.ok) throw new Error(`${artifact.name}: ${res.error.message}`);
  return res.value.files;
}

/** The zip bytes of a model version's bundle, as stored. */
export async function versionZip(
  store: TrackingStore,
  version: ModelVersionRecord,
): Promise<{ bytes: Uint8Array; name: string }> {
  const id = version.artifactId;
  if (!id) throw new Error(`${version.name} version ${version.version} has no model file recorded`);
  const artifact = await store.getArtifact(id);
  if (!artifact) throw new Error(`the model file of ${version.name} version ${version.version} was deleted`);
  return { bytes: await store.getArtifactBytes(id), name: artifact.name };
}

/** A default model name for an imported bundle ("penguins-species" from its dataset and target). */
export function importedModelName(summary: BundleSummary): string {
  const base = summary.dataset.name.replace(/\.[^.]+$/, '');
  return `${base}-${summary.target}`.replace(/[^\w.-]+/g, '_').slice(0, 64);
}

/**
 * Records an imported bundle: a COMPLETE run (params, validation metrics, the zip) in the experiment
 * of its dataset and target, and a new version of `modelName` pointing at that zip.
 */
export async function registerImportedBundle(
  store: TrackingStore,
  args: {
    readonly summary: BundleSummary;
    readonly zip: Uint8Array;
    readonly modelName: string;
  },
): Promise<{ name: string; version: number; runId: string }> {
  const { summary, zip } = args;
  const name = args.modelName.trim();
  if (!name) throw new Error('enter a model name');
  const tracker = new Tracker(store);
  const { run } = await startDatasetRun(
    tracker,
    { fingerprint: summary.dataset.sha256, name: summary.dataset.name, schema: summary.signature },
    summary.target,
    {
      name: `imported ${summary.source}`,
      tags: {
        source: 'import',
        task: summary.task,
        target: summary.target,
        family: summary.family,
        training: summary.training,
      },
    },
  );
  run.logParams(flatParams({ family: summary.family, seed: summary.seed, training: summary.training }));
  const metrics = Object.fromEntries(
    Object.entries(summary.metrics).filter((e): e is [string, number] => Number.isFinite(e[1])),
  );
  if (Object.keys(metrics).length) run.logMetrics(metrics);
  const artifactId = run.logArtifact({
    name: summary.source.endsWith('.zip') ? summary.source : `${summary.source}.zip`,
    kind: 'model',
    bytes: zip,
    contentType: 'application/zip',
    meta: { format: 'automl-studio-bundle', imported: true },
  });
  await run.end('COMPLETE');
  const now = Date.now();
  const ops: WriteOp[] = [];
  if (!(await store.getRegisteredModel(name)))
    ops.push({ op: 'createRegisteredModel', name, createdAt: now });
  ops.push({
    op: 'createModelVersion',
    name,
    sourceRunId: run.id,
    artifactId,
    description: `Imported from ${summary.source} (made ${summary.createdAt} by ${summary.app.name} ${summary.app.version})`,
    tags: { imported: 'true' },
    createdAt: now,
  });
  const res = await store.write(ops);
  const v = res.modelVersions[0];
  return { name: v.name, version: v.version, runId: run.id };
}
