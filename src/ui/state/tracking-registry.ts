/**
 * Registering a run's model safely: what a model "is" (task, target, classes, input signature, read
 * from the run's manifest or its bundle zip), whether a new version fits an existing model
 * (`checkCompatibility`: refuse with the reason, or warn for compatible changes), the default name
 * of a new model (dataset and target), and the write itself (`registerVersion`), which never turns a
 * "new model" into a version of a model someone else created meanwhile (another tab): the store
 * refuses to create a model whose name exists, and the caller asks the user.
 */
import { unzipSync, strFromU8 } from 'fflate';
import type { TrackingStore } from '../../core/tracking/store.ts';
import type { ArtifactRecord, RunRecord, WriteOp } from '../../core/tracking/types.ts';

/** What a registered model's versions must agree on. */
export interface ModelShape {
  readonly task: string;
  readonly target: string;
  readonly classes?: readonly string[];
  readonly inputs: readonly { readonly name: string; readonly type: string }[];
}

export type Compatibility =
  | { readonly level: 'ok'; readonly reasons: readonly [] }
  | { readonly level: 'warn'; readonly reasons: readonly string[] }
  | { readonly level: 'refuse'; readonly reasons: readonly string[] };

const list = (xs: readonly string[], max = 5): string =>
  xs.length <= max
    ? xs.map((x) => JSON.stringify(x)).join(', ')
    : `${xs
        .slice(0, max)
        .map((x) => JSON.stringify(x))
        .join(', ')} and ${xs.length - max} more`;

/**
 * Can `candidate` become the next version of a model whose latest version is `existing`?
 * Refused: another task, another target, other classes, or a column read with another type (data
 * prepared for one would be read wrongly by the other). Warned: columns added (scoring data must now
 * contain them) or dropped (now ignored). Otherwise ok.
 */
export function checkCompatibility(existing: ModelShape, candidate: ModelShape): Compatibility {
  const refuse: string[] = [];
  const warn: string[] = [];
  if (existing.task !== candidate.task)
    refuse.push(`the model is ${existing.task} and this run is ${candidate.task}`);
  if (existing.target !== candidate.target)
    refuse.push(
      `the model predicts ${JSON.stringify(existing.target)}, this run ${JSON.stringify(candidate.target)}`,
    );
  if (existing.task === candidate.task && existing.task !== 'regression') {
    const a = existing.classes ?? [];
    const b = candidate.classes ?? [];
    if (a.length !== b.length || a.some((c, i) => c !== b[i]))
      refuse.push(`the classes differ: ${list(a)} vs ${list(b)}`);
  }
  const before = new Map(existing.inputs.map((c) => [c.name, c.type]));
  const after = new Map(candidate.inputs.map((c) => [c.name, c.type]));
  const retyped = [...after].filter(([n, t]) => before.has(n) && before.get(n) !== t);
  if (retyped.length)
    refuse.push(
      `${retyped.length === 1 ? 'a column is' : 'columns are'} read with another type: ${retyped
        .map(([n, t]) => `${JSON.stringify(n)} ${before.get(n)} → ${t}`)
        .join(', ')}`,
    );
  const added = [...after.keys()].filter((n) => !before.has(n));
  const dropped = [...before.keys()].filter((n) => !after.has(n));
  if (added.length)
    warn.push(
      `this version also reads ${list(added)}: data scored with the model must now contain ${added.length === 1 ? 'it' : 'them'}`,
    );
  if (dropped.length) warn.push(`this version no longer reads ${list(dropped)} (ignored when present)`);
  if (refuse.length) return { level: 'refuse', reasons: refuse };
  if (warn.length) return { level: 'warn', reasons: warn };
  return { level: 'ok', reasons: [] };
}

/** The shape a bundle manifest describes, or null when it is not one. */
export function shapeOfManifest(manifest: unknown): ModelShape | null {
  const m = manifest as {
    task?: unknown;
    target?: unknown;
    classes?: unknown;
    signature?: { inputs?: unknown };
  } | null;
  if (!m || typeof m.task !== 'string' || typeof m.target !== 'string') return null;
  const inputs = Array.isArray(m.signature?.inputs)
    ? (m.signature.inputs as { name?: unknown; type?: unknown }[])
        .filter((c) => typeof c?.name === 'string' && typeof c?.type === 'string')
        .map((c) => ({ name: c.name as string, type: c.type as string }))
    : [];
  return {
    task: m.task,
    target: m.target,
    ...(Array.isArray(m.classes) ? { classes: m.classes.map(String) } : {}),
    inputs,
  };
}

/** The run's stored model: its first artifact of kind 'model' (a bundle zip), if any. */
export function modelArtifact(artifacts: readonly ArtifactRecord[]): ArtifactRecord | undefined {
  return artifacts.find((a) => a.kind === 'model');
}

/** Why a run cannot be registered (no stored model), in words; null when it can. */
export function whyNotRegistrable(run: RunRecord, artifacts: readonly ArtifactRecord[]): string | null {
  if (modelArtifact(artifacts)) return null;
  if (run.state === 'RUNNING') return 'This run is still running; its model is stored when it ends.';
  if (run.parentRunId)
    return 'This run is a trial of a search: trials keep their metrics and charts, not a model. Register the search run (its final model) instead.';
  return 'This run has no stored model (no model file was recorded with it), so there is nothing to register.';
}

/** The shape of a run's model: its manifest.json artifact, else the manifest inside its bundle zip. */
export async function loadRunShape(
  store: TrackingStore,
  runId: string,
  artifacts?: readonly ArtifactRecord[],
): Promise<ModelShape | null> {
  const list = artifacts ?? (await store.listArtifacts(runId));
  const dec = new TextDecoder();
  const manifest = [...list].reverse().find((a) => a.name === 'manifest.json');
  if (manifest) {
    try {
      const s = shapeOfManifest(JSON.parse(dec.decode(await store.getArtifactBytes(manifest.id))));
      if (s) return s;
    } catch {
      // fall through to the zip
    }
  }
  const zip = modelArtifact(list);
  if (!zip) return null;
  return shapeOfZip(await store.getArtifactBytes(zip.id));
}

/** The manifest of a bundle zip (only that entry is inflated). */
export function shapeOfZip(bytes: Uint8Array): ModelShape | null {
  try {
    const files = unzipSync(bytes, {
      filter: (f) => f.name === 'manifest.json' && f.originalSize < 64 << 20,
    });
    const m = files['manifest.json'];
    return m ? shapeOfManifest(JSON.parse(strFromU8(m))) : null;
  } catch {
    return null;
  }
}

/** The shape of a registered model's latest version (null when it has none or it cannot be read). */
export async function loadModelShape(store: TrackingStore, name: string): Promise<ModelShape | null> {
  const versions = await store.listModelVersions(name);
  const latest = versions.at(-1);
  if (!latest) return null;
  if (latest.artifactId) {
    const art = await store.getArtifact(latest.artifactId);
    if (art) {
      const s = await loadRunShape(store, art.runId);
      if (s) return s;
      return shapeOfZip(await store.getArtifactBytes(art.id));
    }
  }
  return loadRunShape(store, latest.sourceRunId);
}

/** A model name from the run's dataset and target: "penguins-species" (file extension dropped). */
export function defaultModelName(
  datasetName: string | null | undefined,
  target: string | null | undefined,
): string {
  const base = (datasetName ?? '').replace(/\.(csv|tsv|txt|zip)$/i, '').trim();
  const parts = [base, (target ?? '').trim()].filter(Boolean);
  const name = (parts.length ? parts.join('-') : 'model').replace(/[^\w.-]+/g, '_').slice(0, 64);
  return name || 'model';
}

/** A name not among `taken`: the name itself, else "name-2", "name-3", … */
export function freeName(name: string, taken: ReadonlySet<string>): string {
  if (!taken.has(name)) return name;
  for (let i = 2; ; i++) if (!taken.has(`${name}-${i}`)) return `${name}-${i}`;
}

/** Thrown by `registerVersion` when `create` was asked and the name is taken (e.g. by another tab). */
export class ModelExistsError extends Error {
  constructor(readonly modelName: string) {
    super(`a model named ${JSON.stringify(modelName)} already exists`);
    this.name = 'ModelExistsError';
  }
}

/**
 * Writes the version. `create: true` creates the model in the same atomic batch and fails with
 * `ModelExistsError` when the name exists (never silently adds a version to it); `create: false`
 * adds a version to an existing model.
 */
export async function registerVersion(
  write: (ops: WriteOp[]) => Promise<{ modelVersions: readonly { name: string; version: number }[] }>,
  store: TrackingStore,
  args: {
    readonly name: string;
    readonly create: boolean;
    readonly runId: string;
    readonly artifactId: string;
    readonly description?: string;
    readonly now?: number;
  },
): Promise<{ name: string; version: number }> {
  const now = args.now ?? Date.now();
  const name = args.name.trim();
  if (args.create && (await store.getRegisteredModel(name))) throw new ModelExistsError(name);
  const ops: WriteOp[] = [];
  if (args.create) ops.push({ op: 'createRegisteredModel', name, createdAt: now });
  ops.push({
    op: 'createModelVersion',
    name,
    sourceRunId: args.runId,
    artifactId: args.artifactId,
    description: (args.description ?? '').trim(),
    createdAt: now,
  });
  try {
    const res = await write(ops);
    return res.modelVersions[0];
  } catch (e) {
    // Created between our check and the write (another tab): the store refused the whole batch.
    if (args.create && (e as { code?: string })?.code === 'ALREADY_EXISTS') throw new ModelExistsError(name);
    throw e;
  }
}
