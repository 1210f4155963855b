/**
 * Model bundle, format version 1: a folder of JSON files.
 *   manifest.json  what was trained on what, how, with which seeds and libraries, and how well it did
 *   pipeline.json  the fitted preprocessing pipeline (absent for a search result: an ensemble's members
 *                  carry their own pipelines inside model.json)
 *   model.json     the fitted model (family + format version + learned state)
 * The files are built here as text; the CLI writes them to disk, the browser will zip them.
 */
import type { ColumnSchema, DatasetFingerprint } from '../ingest/types.ts';
import type { SemanticType, Table } from '../data/table.ts';
import type { Task } from '../models/types.ts';
import { deserializeModel } from '../models/registry.ts';
import { describePipeline, parsePipeline, transformTable, type FittedPipeline } from '../pipeline/index.ts';
import type { Fitted } from '../models/types.ts';
import type { TrainedModel } from '../train/train.ts';
import { ensureFamiliesRegistered } from '../train/families.ts';
import { argmaxRows } from '../metrics/classification.ts';
import { csvLine } from './csv-write.ts';
import type { SearchManifest, SearchResult } from '../search/runner.ts';
import { EnsembleModel, ensureEnsembleRegistered } from '../search/ensemble.ts';

export const BUNDLE_FORMAT_VERSION = 1;
export const BUNDLE_FILES = ['manifest.json', 'pipeline.json', 'model.json'] as const;

export interface BundleEnvironment {
  readonly app: { readonly name: string; readonly version: string };
  /** e.g. 'node v20.20.2' or the browser's user agent. */
  readonly runtime: string;
  readonly cores?: number;
  readonly libraries: Readonly<Record<string, string>>;
  readonly backend: { readonly name: string; readonly reason?: string; readonly adapter?: unknown } | null;
  /** ISO time; passed in so that building a bundle is a pure function. */
  readonly createdAt: string;
}

export interface BundleDataset {
  readonly name: string;
  readonly fingerprint: DatasetFingerprint;
  readonly schema: readonly ColumnSchema[];
}

export interface BundleManifest {
  readonly kind: 'automl-studio-model';
  readonly formatVersion: number;
  readonly createdAt: string;
  readonly app: BundleEnvironment['app'];
  readonly dataset: {
    readonly name: string;
    readonly sha256: string;
    readonly bytes: number;
    readonly rows: number;
    readonly columns: number;
    readonly schemaHash: string;
    readonly schema: readonly {
      readonly name: string;
      readonly type: SemanticType;
      readonly inferredType: SemanticType;
      readonly overridden: boolean;
      readonly format?: string;
    }[];
  };
  readonly target: string;
  readonly task: Task;
  readonly classes?: readonly string[];
  readonly positiveClass?: string;
  readonly split: TrainedModel['split'] | SearchManifest['split'];
  /** The search that produced the model (sampler, budget, split plan, executed trials), if any. */
  readonly search?: SearchManifest;
  /** The final model was refitted on all rows with the rounds/epochs validation chose. */
  readonly refit: TrainedModel['refit'] | null;
  readonly pipeline: {
    readonly file: 'pipeline.json' | null;
    readonly steps: readonly string[];
    readonly notes: readonly string[];
  };
  readonly model: {
    readonly file: 'model.json';
    readonly family: string;
    readonly config: Readonly<Record<string, unknown>>;
  };
  readonly seed: number;
  readonly backend: BundleEnvironment['backend'];
  readonly metrics: TrainedModel['metrics'];
  /** The columns the model reads, with the types they were read as. */
  readonly signature: { readonly inputs: readonly { readonly name: string; readonly type: SemanticType }[] };
  readonly libraries: Readonly<Record<string, string>>;
  readonly environment: { readonly runtime: string; readonly cores?: number };
  readonly droppedMissingTarget: number;
  readonly fitSeconds: number;
}

export class BundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleError';
  }
}

/** The bundle's files as text, by file name. */
export function createBundleFiles(
  trained: TrainedModel,
  dataset: BundleDataset,
  env: BundleEnvironment,
): Record<string, string> {
  const manifest: BundleManifest = {
    kind: 'automl-studio-model',
    formatVersion: BUNDLE_FORMAT_VERSION,
    createdAt: env.createdAt,
    app: env.app,
    dataset: manifestDataset(dataset),
    target: trained.target,
    task: trained.task,
    ...(trained.classes ? { classes: trained.classes } : {}),
    ...(trained.task === 'binary' && trained.classes ? { positiveClass: trained.classes[1] } : {}),
    split: trained.split,
    refit: trained.refit ?? null,
    pipeline: {
      file: 'pipeline.json',
      steps: describePipeline(trained.pipeline.spec),
      notes: trained.pipelineNotes,
    },
    model: { file: 'model.json', family: trained.family, config: trained.config },
    seed: trained.seed,
    backend: env.backend,
    metrics: trained.metrics,
    signature: { inputs: trained.pipeline.inputs },
    libraries: env.libraries,
    environment: { runtime: env.runtime, ...(env.cores ? { cores: env.cores } : {}) },
    droppedMissingTarget: trained.droppedMissingTarget,
    fitSeconds: trained.fitSeconds,
  };
  return {
    'manifest.json': JSON.stringify(manifest, finite, 2) + '\n',
    'pipeline.json': JSON.stringify(trained.pipeline) + '\n',
    'model.json': JSON.stringify(trained.model.toJSON()) + '\n',
  };
}

/** Bundle files for a search result: the final model (ensemble or single best) with its pipelines inside. */
export function createSearchBundleFiles(
  result: SearchResult,
  dataset: BundleDataset,
  env: BundleEnvironment,
): Record<string, string> {
  const model = result.model;
  const inputs = new Map<string, SemanticType>();
  for (const p of model.pipelines)
    for (const c of p.inputs) if (!inputs.has(c.name)) inputs.set(c.name, c.type);
  const byNumber = new Map(result.trials.map((t) => [t.number, t]));
  const members = result.manifest.final.members.map((m) => {
    const t = byNumber.get(m.trial);
    return { trial: m.trial, family: t?.family, weight: m.weight, resource: m.resource, config: t?.config };
  });
  const validation: Record<string, number> = {
    [result.metric]: result.manifest.ensemble.used
      ? result.manifest.ensemble.score
      : (result.best.value ?? NaN),
  };
  const manifest: BundleManifest = {
    kind: 'automl-studio-model',
    formatVersion: BUNDLE_FORMAT_VERSION,
    createdAt: env.createdAt,
    app: env.app,
    dataset: manifestDataset(dataset),
    target: result.target,
    task: result.task,
    ...(result.classes ? { classes: result.classes } : {}),
    ...(result.task === 'binary' && result.classes ? { positiveClass: result.classes[1] } : {}),
    split: result.manifest.split,
    search: result.manifest,
    refit: null,
    pipeline: {
      file: null,
      steps: model.pipelines.flatMap((p, i) =>
        describePipeline(p.spec).map((s) => `pipeline ${i + 1}: ${s}`),
      ),
      notes: [
        `${result.kind === 'ensemble' ? `ensemble of ${members.length} models` : 'single best model'}; ` +
          "each member's fitted pipeline is inside model.json",
      ],
    },
    model: { file: 'model.json', family: model.family, config: { kind: result.kind, members } },
    seed: result.manifest.seed,
    backend: env.backend,
    metrics: { validation },
    signature: { inputs: [...inputs].map(([name, type]) => ({ name, type })) },
    libraries: env.libraries,
    environment: { runtime: env.runtime, ...(env.cores ? { cores: env.cores } : {}) },
    droppedMissingTarget: result.manifest.droppedMissingTarget,
    fitSeconds: result.manifest.timings.totalSeconds,
  };
  return {
    'manifest.json': JSON.stringify(manifest, finite, 2) + '\n',
    'model.json': JSON.stringify(model.toJSON()) + '\n',
  };
}

function manifestDataset(dataset: BundleDataset): BundleManifest['dataset'] {
  return {
    name: dataset.name,
    sha256: dataset.fingerprint.sha256,
    bytes: dataset.fingerprint.bytes,
    rows: dataset.fingerprint.rows,
    columns: dataset.fingerprint.columns,
    schemaHash: dataset.fingerprint.schemaHash,
    schema: dataset.schema.map((c) => ({
      name: c.name,
      type: c.type,
      inferredType: c.inferredType,
      overridden: c.overridden,
      ...(c.format ? { format: c.format } : {}),
    })),
  };
}

function finite(_k: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? null : v;
}

export interface LoadedBundle {
  readonly manifest: BundleManifest;
  /** null for an ensemble: its members carry their pipelines. */
  readonly pipeline: FittedPipeline | null;
  readonly model: Fitted;
}

function parseJson(text: string | undefined, file: string): unknown {
  if (text === undefined) throw new BundleError(`the bundle has no ${file}`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BundleError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Reads a bundle from its files' text; every problem is a BundleError naming the file. */
export function loadBundle(files: Readonly<Record<string, string | undefined>>): LoadedBundle {
  const manifest = parseJson(files['manifest.json'], 'manifest.json') as Partial<BundleManifest>;
  if (manifest?.kind !== 'automl-studio-model')
    throw new BundleError('manifest.json is not an AutoML Studio model manifest');
  if (manifest.formatVersion !== BUNDLE_FORMAT_VERSION) {
    throw new BundleError(
      `unsupported bundle format version ${String(manifest.formatVersion)} (this studio reads ${BUNDLE_FORMAT_VERSION})`,
    );
  }
  let pipeline: FittedPipeline | null = null;
  if (manifest.pipeline?.file !== null) {
    try {
      pipeline = parsePipeline(parseJson(files['pipeline.json'], 'pipeline.json'));
    } catch (err) {
      throw err instanceof BundleError ? err : new BundleError(`pipeline.json: ${(err as Error).message}`);
    }
  }
  ensureEnsembleRegistered();
  ensureFamiliesRegistered();
  let model: Fitted;
  try {
    model = deserializeModel(parseJson(files['model.json'], 'model.json') as never);
  } catch (err) {
    throw err instanceof BundleError ? err : new BundleError(`model.json: ${(err as Error).message}`);
  }
  if (pipeline === null && !(model instanceof EnsembleModel)) {
    throw new BundleError('the bundle has no pipeline.json and its model does not carry its own pipelines');
  }
  return { manifest: manifest as BundleManifest, pipeline, model };
}

/** Columns the model drops anyway (ID-like, constant): a scoring file may lack them. */
export function droppedColumns(bundle: LoadedBundle): Set<string> {
  const pipelines = bundle.pipeline ? [bundle.pipeline] : (bundle.model as EnsembleModel).pipelines;
  return new Set(
    pipelines.flatMap((p) => p.spec.steps.filter((s) => s.kind === 'drop').flatMap((s) => s.columns)),
  );
}

/** Type overrides that make a new file read its columns as the training data was read. */
export function signatureTypes(bundle: LoadedBundle): Record<string, SemanticType> {
  return Object.fromEntries(bundle.manifest.signature.inputs.map((c) => [c.name, c.type]));
}

export interface Predictions {
  /** Model output: probabilities (row-major, one column per class) or values. */
  readonly values: Float64Array;
  /** Predicted class index per row (classification). */
  readonly labels?: Int32Array;
  readonly nRows: number;
}

export function predictTable(bundle: LoadedBundle, table: Table): Predictions {
  const values = bundle.pipeline
    ? bundle.model.predict(transformTable(bundle.pipeline, table))
    : (bundle.model as EnsembleModel).predictTable(table);
  if (bundle.manifest.task === 'regression') return { values, nRows: table.nRows };
  const k = bundle.manifest.classes?.length ?? bundle.model.nClasses;
  return { values, labels: argmaxRows(values, k), nRows: table.nRows };
}

/** Predictions as CSV: one probability column per class (class labels as headers) + `prediction`, or `prediction` alone. */
export function predictionsCsv(bundle: LoadedBundle, p: Predictions): string {
  const lines: string[] = [];
  const classes = bundle.manifest.classes;
  if (bundle.manifest.task === 'regression' || !classes) {
    lines.push('prediction');
    for (let i = 0; i < p.nRows; i++) lines.push(String(p.values[i]));
  } else {
    const k = classes.length;
    lines.push(csvLine([...classes, 'prediction']));
    for (let i = 0; i < p.nRows; i++) {
      const cells: string[] = [];
      for (let c = 0; c < k; c++) cells.push(String(p.values[i * k + c]));
      cells.push(classes[p.labels![i]]);
      lines.push(csvLine(cells));
    }
  }
  return lines.join('\n') + '\n';
}
