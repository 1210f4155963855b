/**
 * Model bundle, format version 2: a folder, or the same files in a zip (see zip.ts).
 *   manifest.json       what was trained on what, how, with which seeds and libraries, how well it did
 *                       and how to reproduce it (schema: manifest-schema.ts)
 *   pipeline.json       the fitted preprocessing pipeline (absent for a search result: an ensemble's
 *                       members carry their own pipelines inside model.json)
 *   model.json          the fitted model (family + format version + learned state)
 *   metrics.json        validation (and holdout) metrics; for a search the trial scores
 *   signature.json      input columns and types, target, output columns
 *   input_example.csv   the first rows of the training data's input columns
 *   reference.json      the reference profile for monitoring (monitor/reference.ts): binned
 *                       distributions of the inputs, the out-of-fold predictions and the target; no rows
 *   MODEL_CARD.md       model card (model-card.ts)
 *   predict.mjs         standalone scorer: `node predict.mjs data.csv > predictions.csv` (scorer-entry.ts)
 * Format version 1 folders (manifest, pipeline, model) still load.
 * The files are built here as text; the CLI writes them to disk or a zip, the browser zips them.
 */
import type { ColumnSchema, DatasetFingerprint } from '../ingest/types.ts';
import type { SemanticType, Table } from '../data/table.ts';
import { boolLabel } from '../data/table.ts';
import type { Task } from '../models/types.ts';
import { deserializeModel } from '../models/registry.ts';
import { describePipeline, parsePipeline, transformTable, type FittedPipeline } from '../pipeline/index.ts';
import type { Fitted } from '../models/types.ts';
import { predictionWidth } from '../models/types.ts';
import type { TrainedModel } from '../train/train.ts';
import { ensureFamiliesRegistered } from '../train/families.ts';
import { argmaxRows } from '../metrics/classification.ts';
import { evaluate } from '../metrics/evaluate.ts';
import { chooseDecision, decideLabels, type Decision, type DecisionRequest } from '../train/decision.ts';
import { csvLine, spreadsheetLine } from './csv-write.ts';
import { BundleError } from './bundle-error.ts';
import type { SearchManifest, SearchResult } from '../search/runner.ts';
import { clockNote } from '../search/clock-note.ts';
import { EnsembleModel, ensureEnsembleRegistered } from '../search/ensemble.ts';
import type { ProfileWarning } from '../profile/types.ts';
import { validateManifest } from './manifest-schema.ts';
import { modelCard } from './model-card.ts';
import {
  REFERENCE_FILE,
  buildReference,
  parseReference,
  predictionsColumn,
  referenceJson,
  type ReferenceProfile,
} from '../monitor/reference.ts';
import { fitCalibration } from '../monitor/calibration.ts';
import {
  SIGNATURE_FILE,
  hashFiles,
  listedFiles,
  verifyFileHashes,
  type IntegrityResult,
  type ManifestFiles,
} from './integrity.ts';

export { BundleError };

export const BUNDLE_FORMAT_VERSION = 2;
/** Format versions this studio reads. */
export const READABLE_FORMAT_VERSIONS: readonly number[] = [1, 2];
/** Every file a bundle may hold, in the order they are written. */
export const BUNDLE_FILES = [
  'manifest.json',
  'pipeline.json',
  'model.json',
  'metrics.json',
  'signature.json',
  'input_example.csv',
  REFERENCE_FILE,
  'MODEL_CARD.md',
  'predict.mjs',
  SIGNATURE_FILE,
] as const;
/** Rows of the training data copied into input_example.csv. */
export const INPUT_EXAMPLE_ROWS = 5;
/**
 * Largest difference between a reproduction's predictions and the bundle's that still counts as
 * reproduced, for WebGPU (float32 kernels whose summation order depends on the adapter). CPU and WASM
 * training is bit-exact: tolerance 0.
 */
export const WEBGPU_TOLERANCE = 1e-4;

export interface BundleEnvironment {
  /** `commit`: the git commit of the app build ('unknown' when not known). */
  readonly app: { readonly name: string; readonly version: string; readonly commit?: string };
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
  /** The profile's warnings about the training data (shown in the model card). */
  readonly warnings?: readonly ProfileWarning[];
}

/** What else goes into a bundle beyond the trained model. */
export interface BundleExtras {
  /** Columns the user left out of the features. */
  readonly exclude?: readonly string[];
  /** The hyperparameters the user asked for (before defaults were filled in). */
  readonly params?: Readonly<Record<string, unknown>>;
  /**
   * The training table: its first rows become input_example.csv, and its reference profile for
   * monitoring (with the out-of-fold predictions) reference.json.
   */
  readonly table?: Table;
  /** Source of predict.mjs (built from scorer-entry.ts); without it the bundle has no scorer. */
  readonly scorer?: string;
  /**
   * Binary decisions: a decision to record as is (e.g. the user moved the threshold), or a request
   * (positive class, objective) for a search's decision, chosen on its out-of-fold predictions;
   * null: record none (replays of bundles made before decisions existed: argmax).
   */
  readonly decision?: Decision | DecisionRequest | null;
}

export interface ManifestSchemaColumn {
  readonly name: string;
  readonly type: SemanticType;
  readonly inferredType: SemanticType;
  readonly overridden: boolean;
  readonly format?: string;
}

export interface EnsembleMemberInfo {
  readonly trial: number;
  readonly family: string;
  readonly weight: number;
  readonly resource: number;
  readonly config?: Readonly<Record<string, unknown>>;
}

export interface BundleManifest {
  readonly kind: 'automl-studio-model';
  readonly formatVersion: number;
  readonly createdAt: string;
  readonly app: { readonly name: string; readonly version: string; readonly commit?: string };
  readonly dataset: {
    readonly name: string;
    readonly sha256: string;
    readonly bytes: number;
    readonly rows: number;
    readonly columns: number;
    readonly schemaHash: string;
    readonly schema: readonly ManifestSchemaColumn[];
    readonly warnings?: readonly ProfileWarning[];
  };
  readonly target: string;
  readonly task: Task;
  readonly classes?: readonly string[];
  /** The class whose probability the model outputs second (classes[1]); see `decision` for the class metrics are for. */
  readonly positiveClass?: string;
  /**
   * Binary decisions: the positive class and the threshold on its probability from which a row is
   * predicted positive, and what it was chosen for. Absent (older bundles): argmax, i.e. 0.5.
   */
  readonly decision?: Decision;
  readonly split: TrainedModel['split'] | SearchManifest['split'];
  /** The search that produced the model (sampler, budget, split plan, executed trials), if any. */
  readonly search?: SearchManifest;
  /** The final model was refitted on all rows with the rounds/epochs validation chose. */
  readonly refit: TrainedModel['refit'] | null;
  readonly pipeline: {
    readonly file: 'pipeline.json' | null;
    readonly steps: readonly string[];
    readonly notes: readonly string[];
    /** The pipeline configuration (steps, columns, settings), without the learned state. */
    readonly spec?: unknown;
  };
  readonly model: {
    readonly file: 'model.json';
    readonly family: string;
    readonly config: Readonly<Record<string, unknown>>;
    /** Rounds (trees per class) or epochs the final model actually ran. */
    readonly iterations?: number | null;
    /** Ensemble members with their weights. */
    readonly members?: readonly EnsembleMemberInfo[];
  };
  readonly seed: number;
  readonly backend: BundleEnvironment['backend'];
  readonly metrics: {
    readonly validation: Readonly<Record<string, number>>;
    readonly holdout?: Readonly<Record<string, number>>;
  };
  /** The columns the model reads, with the types they were read as. */
  readonly signature: { readonly inputs: readonly { readonly name: string; readonly type: SemanticType }[] };
  readonly libraries: Readonly<Record<string, string>>;
  readonly environment: { readonly runtime: string; readonly cores?: number; readonly tfjs?: string };
  /** How the model was trained, as needed to train it again (`reproduce`). */
  readonly training?: {
    readonly command: 'fit' | 'automl';
    readonly exclude: readonly string[];
    readonly validFraction?: number;
    readonly params?: Readonly<Record<string, unknown>>;
  };
  readonly reproducibility?: {
    /** Largest absolute prediction difference a reproduction may show (0: bit-identical). */
    readonly tolerance: number;
    readonly deterministic: boolean;
    readonly note: string;
  };
  /**
   * The files of the bundle besides manifest.json (format version 2) with the SHA-256 of each; bundles
   * made before integrity hashes list the names only (integrity.ts).
   */
  readonly files?: ManifestFiles;
  readonly droppedMissingTarget: number;
  readonly fitSeconds: number;
}

function reproducibility(
  backend: BundleEnvironment['backend'],
): NonNullable<BundleManifest['reproducibility']> {
  if (backend?.name === 'webgpu') {
    return {
      tolerance: WEBGPU_TOLERANCE,
      deterministic: false,
      note: 'trained on WebGPU: float32 kernels may sum in a different order on another adapter; a refit on CPU/WASM matches within the tolerance',
    };
  }
  return {
    tolerance: 0,
    deterministic: true,
    note: `trained on ${backend?.name ?? 'cpu'}: the same data, settings and seed give bit-identical predictions`,
  };
}

const withNote = (r: NonNullable<BundleManifest['reproducibility']>, note: string | undefined) =>
  note ? { ...r, note: `${r.note}; ${note}` } : r;

/** Rounds (trees per class) or epochs a fitted model uses, when it says. */
function iterationsOf(model: Fitted): number | null {
  const m = model as unknown as { defaultRounds?: number; state?: { epochsRun?: number } };
  if (typeof m.defaultRounds === 'number') return m.defaultRounds;
  if (typeof m.state?.epochsRun === 'number') return m.state.epochsRun;
  return null;
}

function environmentOf(env: BundleEnvironment): BundleManifest['environment'] {
  const tfjs = env.libraries['@tensorflow/tfjs'];
  return { runtime: env.runtime, ...(env.cores ? { cores: env.cores } : {}), ...(tfjs ? { tfjs } : {}) };
}

/** The bundle's files as text, by file name. */
export function createBundleFiles(
  trained: TrainedModel,
  dataset: BundleDataset,
  env: BundleEnvironment,
  extras: BundleExtras = {},
): Record<string, string> {
  const manifest: BundleManifest = {
    kind: 'automl-studio-model',
    formatVersion: BUNDLE_FORMAT_VERSION,
    createdAt: env.createdAt,
    app: { ...env.app, commit: env.app.commit ?? 'unknown' },
    dataset: manifestDataset(dataset),
    target: trained.target,
    task: trained.task,
    ...(trained.classes ? { classes: trained.classes } : {}),
    ...(trained.task === 'binary' && trained.classes ? { positiveClass: trained.classes[1] } : {}),
    ...decisionOf(extras.decision, trained.decision),
    split: trained.split,
    refit: trained.refit ?? null,
    pipeline: {
      file: 'pipeline.json',
      steps: describePipeline(trained.pipeline.spec),
      notes: trained.pipelineNotes,
      spec: trained.pipeline.spec,
    },
    model: {
      file: 'model.json',
      family: trained.family,
      config: trained.config,
      iterations: iterationsOf(trained.model),
    },
    seed: trained.seed,
    backend: env.backend,
    metrics: trained.metrics,
    signature: { inputs: trained.pipeline.inputs },
    libraries: env.libraries,
    environment: environmentOf(env),
    training: {
      command: 'fit',
      exclude: [...(extras.exclude ?? [])],
      validFraction: trained.split.validFraction,
      params: extras.params ?? {},
    },
    reproducibility: reproducibility(env.backend),
    droppedMissingTarget: trained.droppedMissingTarget,
    fitSeconds: trained.fitSeconds,
  };
  return finishBundle(
    manifest,
    {
      'pipeline.json': JSON.stringify(trained.pipeline) + '\n',
      'model.json': JSON.stringify(trained.model.toJSON()) + '\n',
    },
    { metrics: manifest.metrics },
    extras,
    trained.validation,
  );
}

/** Bundle files for a search result: the final model (ensemble or single best) with its pipelines inside. */
export function createSearchBundleFiles(
  result: SearchResult,
  dataset: BundleDataset,
  env: BundleEnvironment,
  extras: BundleExtras = {},
): Record<string, string> {
  const model = result.model;
  const inputs = new Map<string, SemanticType>();
  for (const p of model.pipelines)
    for (const c of p.inputs) if (!inputs.has(c.name)) inputs.set(c.name, c.type);
  const byNumber = new Map(result.trials.map((t) => [t.number, t]));
  const members: EnsembleMemberInfo[] = result.manifest.final.members.map((m) => {
    const t = byNumber.get(m.trial);
    return {
      trial: m.trial,
      family: t?.family ?? 'unknown',
      weight: m.weight,
      resource: m.resource,
      ...(t?.config ? { config: t.config } : {}),
    };
  });
  // Every metric of the task over the final model's out-of-fold predictions (the model card lists
  // them all), and the search metric exactly as the search scored it.
  const oof = result.validation;
  const allMetrics = oof ? evaluate(result.task, oof.y, oof.pred, result.classes?.length ?? 1) : {};
  const validation: Record<string, number> = {
    ...Object.fromEntries(Object.entries(allMetrics).filter(([, v]) => Number.isFinite(v))),
    [result.metric]: result.manifest.ensemble.used
      ? result.manifest.ensemble.score
      : (result.best.value ?? NaN),
  };
  const manifest: BundleManifest = {
    kind: 'automl-studio-model',
    formatVersion: BUNDLE_FORMAT_VERSION,
    createdAt: env.createdAt,
    app: { ...env.app, commit: env.app.commit ?? 'unknown' },
    dataset: manifestDataset(dataset),
    target: result.target,
    task: result.task,
    ...(result.classes ? { classes: result.classes } : {}),
    ...(result.task === 'binary' && result.classes ? { positiveClass: result.classes[1] } : {}),
    ...searchDecision(result, extras.decision),
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
    model: {
      file: 'model.json',
      family: model.family,
      config: { kind: result.kind, members },
      iterations: null,
      members,
    },
    seed: result.manifest.seed,
    backend: env.backend,
    metrics: { validation },
    signature: { inputs: [...inputs].map(([name, type]) => ({ name, type })) },
    libraries: env.libraries,
    environment: environmentOf(env),
    training: { command: 'automl', exclude: [...(extras.exclude ?? [])] },
    reproducibility: withNote(reproducibility(env.backend), clockNote(result.manifest)),
    droppedMissingTarget: result.manifest.droppedMissingTarget,
    fitSeconds: result.manifest.timings.totalSeconds,
  };
  const trials = result.trials.map((t) => ({
    number: t.number,
    family: t.family,
    state: t.state,
    value: t.value ?? null,
  }));
  return finishBundle(
    manifest,
    { 'model.json': JSON.stringify(model.toJSON()) + '\n' },
    { metric: result.metric, metrics: manifest.metrics, trials },
    extras,
    result.validation,
  );
}

// --- Binary decisions (issue 13) ---

function isDecision(d: Decision | DecisionRequest | null | undefined): d is Decision {
  return d !== undefined && d !== null && typeof (d as Decision).threshold === 'number';
}

/** The manifest's `decision` of a single fit: the caller's (a moved threshold) or the one training chose. */
function decisionOf(
  given: Decision | DecisionRequest | null | undefined,
  trained: Decision | undefined,
): { decision?: Decision } {
  if (given === null) return {};
  if (isDecision(given)) return { decision: given };
  return trained ? { decision: trained } : {};
}

/** A search's decision: given, or chosen on the final model's out-of-fold (or holdout) predictions. */
function searchDecision(
  result: SearchResult,
  given: Decision | DecisionRequest | null | undefined,
): { decision?: Decision } {
  if (result.task !== 'binary' || !result.classes || given === null) return {};
  if (isDecision(given)) return { decision: given };
  return {
    decision: chooseDecision(
      result.classes,
      result.validation.y,
      result.validation.pred,
      (given as DecisionRequest | undefined) ?? {},
    ),
  };
}

// --- end of binary decisions ---

/**
 * The reference profile of a model for monitoring: the training table's input columns and target,
 * the out-of-fold (or holdout) predictions, and the validation metrics.
 */
export function bundleReference(
  manifest: BundleManifest,
  table: Table,
  validation: { readonly y: Float64Array; readonly pred: Float64Array } | undefined,
): ReferenceProfile {
  const names = new Set(table.columns.map((c) => c.name));
  const rows = validation?.y.length ?? 0;
  return buildReference(table, {
    columns: manifest.signature.inputs.map((c) => c.name).filter((n) => names.has(n)),
    ...(names.has(manifest.target) ? { target: manifest.target } : {}),
    ...(rows > 0
      ? { predictions: predictionsColumn(manifest.task, manifest.classes, validation!.pred, rows) }
      : {}),
    metrics: Object.fromEntries(
      Object.entries(manifest.metrics.validation)
        .filter(([, v]) => typeof v === 'number' && Number.isFinite(v))
        .map(([k, v]) => [k, { mean: v }]),
    ),
    ...(rows > 0 && manifest.task !== 'regression'
      ? {
          calibration: fitCalibration(
            manifest.task,
            validation!.y,
            validation!.pred,
            manifest.classes?.length ?? 2,
          ),
        }
      : {}),
  });
}

/** Adds the derived files (metrics, signature, example, reference, card, scorer) and the manifest's file list. */
function finishBundle(
  base: BundleManifest,
  core: Record<string, string>,
  metrics: unknown,
  extras: BundleExtras,
  validation?: { readonly y: Float64Array; readonly pred: Float64Array },
): Record<string, string> {
  const derived: Record<string, string> = {
    'metrics.json': JSON.stringify(metrics, finite, 2) + '\n',
    'signature.json': JSON.stringify(signatureOf(base), null, 2) + '\n',
  };
  if (extras.table) {
    derived['input_example.csv'] = inputExampleCsv(extras.table, base.signature.inputs);
    derived[REFERENCE_FILE] = referenceJson(bundleReference(base, extras.table, validation));
  }
  const names = [...Object.keys(core), ...Object.keys(derived), 'MODEL_CARD.md'];
  if (extras.scorer !== undefined) names.push('predict.mjs');
  names.sort((a, b) => bundleFileOrder(a) - bundleFileOrder(b));
  const card = modelCard({ ...base, files: names });
  const content: Record<string, string> = {
    ...core,
    ...derived,
    'MODEL_CARD.md': card,
    ...(extras.scorer !== undefined ? { 'predict.mjs': extras.scorer } : {}),
  };
  const manifest: BundleManifest = { ...base, files: hashFiles(content, names) };
  const out: Record<string, string> = {
    'manifest.json': JSON.stringify(manifest, finite, 2) + '\n',
    ...content,
  };
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => bundleFileOrder(a) - bundleFileOrder(b)));
}

/** Position of a file in a bundle (BUNDLE_FILES order; unknown names last). */
export function bundleFileOrder(name: string): number {
  const i = BUNDLE_FILES.indexOf(name as (typeof BUNDLE_FILES)[number]);
  return i < 0 ? BUNDLE_FILES.length : i;
}

/** signature.json: what the model reads and what predictions look like. */
export function signatureOf(manifest: BundleManifest): unknown {
  const classes = manifest.classes;
  return {
    inputs: manifest.signature.inputs,
    target: manifest.target,
    task: manifest.task,
    outputs:
      manifest.task === 'regression' || !classes
        ? [{ name: 'prediction', type: 'numeric' }]
        : [
            ...classes.map((c) => ({ name: c, type: 'numeric', description: `probability of class ${c}` })),
            { name: 'prediction', type: 'categorical', description: 'predicted class label' },
          ],
  };
}

/** Plain RFC 4180 quoting (no formula escaping: this file is read back as data). */
function quoteCell(t: string): string {
  return /[",\n\r]/.test(t) || t !== t.trim() ? `"${t.replace(/"/g, '""')}"` : t;
}

/** The first rows of the input columns, written so that reading them with the signature types gives the same values. */
export function inputExampleCsv(
  table: Table,
  inputs: readonly { name: string; type: SemanticType }[],
  rows = INPUT_EXAMPLE_ROWS,
): string {
  const cols = inputs.map((c) => table.columns.find((t) => t.name === c.name));
  const lines = [inputs.map((c) => quoteCell(c.name)).join(',')];
  const n = Math.min(rows, table.nRows);
  for (let i = 0; i < n; i++) {
    lines.push(
      cols
        .map((col) => {
          if (!col) return '';
          switch (col.storage) {
            case 'float64':
              return Number.isNaN(col.values[i]) ? '' : String(col.values[i]);
            case 'datetime':
              return Number.isNaN(col.values[i]) ? '' : new Date(col.values[i]).toISOString();
            case 'bool':
              return col.values[i] > 1 ? '' : quoteCell(boolLabel(col, col.values[i]));
            case 'dict':
              return col.codes[i] < 0 ? '' : quoteCell(col.dictionary[col.codes[i]]);
          }
          return '';
        })
        .join(','),
    );
  }
  return lines.join('\n') + '\n';
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
    ...(dataset.warnings
      ? {
          warnings: dataset.warnings.map((w) => ({
            kind: w.kind,
            severity: w.severity,
            ...(w.column !== undefined ? { column: w.column } : {}),
            message: w.message,
          })),
        }
      : {}),
  };
}

function finite(_k: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? null : v;
}

export interface LoadedBundle {
  readonly manifest: BundleManifest;
  /** Whether the files were checked against the manifest's SHA-256 hashes (integrity.ts). */
  readonly integrity?: IntegrityResult;
  /** null for an ensemble: its members carry their pipelines. */
  readonly pipeline: FittedPipeline | null;
  readonly model: Fitted;
  /** The reference profile for monitoring (reference.json); absent in bundles made before it. */
  readonly reference?: ReferenceProfile;
}

function parseJson(text: string | undefined, file: string): unknown {
  if (text === undefined) throw new BundleError(`the bundle has no ${file}`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BundleError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}

export interface LoadOptions {
  /** Require every file the manifest lists (format 2) to be present (default false: a scorer or card may be left out). */
  readonly requireListedFiles?: boolean;
}

/** Deepest nesting of arrays and objects a manifest may have (the app writes fewer than 10 levels). */
export const MAX_MANIFEST_DEPTH = 64;

/** Throws when the JSON value nests deeper than `max` levels (checked without recursion). */
function checkDepth(value: unknown, max: number, file: string): void {
  const stack: [unknown, number, string][] = [[value, 0, '']];
  while (stack.length) {
    const [v, depth, path] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= max)
      throw new BundleError(
        `${file} nests deeper than ${max} levels (at ${path.length > 80 ? `${path.slice(0, 80)}…` : path || '(root)'})`,
      );
    if (Array.isArray(v)) v.forEach((x, i) => stack.push([x, depth + 1, `${path}[${i}]`]));
    else for (const [k, x] of Object.entries(v)) stack.push([x, depth + 1, path ? `${path}.${k}` : k]);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A format 1 manifest in the shape of format 2, for validation only: format 1 wrote every field format
 * 2 requires except `app.commit`, `training`, `reproducibility` and `files` (see `upgradeManifest` in
 * package.ts, which fills them in the same way on export).
 */
function format1AsFormat2(v1: Record<string, unknown>): Record<string, unknown> {
  return {
    ...v1,
    formatVersion: 2,
    app: isObject(v1.app) && v1.app.commit === undefined ? { ...v1.app, commit: 'unknown' } : v1.app,
    training: v1.training ?? { command: v1.search !== undefined ? 'automl' : 'fit', exclude: [] },
    reproducibility: v1.reproducibility ?? { tolerance: 0, deterministic: true, note: 'format 1' },
    files: v1.files ?? [],
  };
}

function schemaProblem(problems: readonly string[]): string {
  const more =
    problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
  return `${problems[0]}${more}`;
}

/**
 * The manifest checked on its own: kind, a readable format version, its nesting depth and the schema
 * (format 1: the fields format 1 always wrote, checked with the format 2 schema after filling in the
 * ones it never recorded).
 */
export function checkManifest(text: string | undefined): BundleManifest {
  const manifest = parseJson(text, 'manifest.json') as Partial<BundleManifest> | null;
  if (!isObject(manifest)) throw new BundleError('manifest.json is not a JSON object');
  if (manifest.kind !== 'automl-studio-model')
    throw new BundleError(
      'manifest.json is not an AutoML Studio model manifest (kind is not "automl-studio-model")',
    );
  if (!READABLE_FORMAT_VERSIONS.includes(manifest.formatVersion as number)) {
    throw new BundleError(
      `unsupported bundle format version ${JSON.stringify(manifest.formatVersion)} (this studio reads ${READABLE_FORMAT_VERSIONS.join(' and ')})`,
    );
  }
  checkDepth(manifest, MAX_MANIFEST_DEPTH, 'manifest.json');
  if (manifest.formatVersion === 2) {
    const problems = validateManifest(manifest);
    if (problems.length)
      throw new BundleError(`manifest.json does not match the format 2 schema: ${schemaProblem(problems)}`);
  } else {
    const problems = validateManifest(format1AsFormat2(manifest));
    const missing = problems.flatMap((p) => /^(\S+) is missing$/.exec(p)?.[1] ?? []);
    if (missing.length)
      throw new BundleError(
        `manifest.json (format 1) lacks ${missing.length === 1 ? 'a required field' : 'required fields'}: ${missing.join(', ')}`,
      );
    if (problems.length)
      throw new BundleError(`manifest.json (format 1) is not valid: ${schemaProblem(problems)}`);
  }
  return manifest as BundleManifest;
}

/** Output columns of a model per row: regression 1, binary 2, multiclass one per class. */
function outputWidth(model: Fitted): number {
  return predictionWidth(model.task, model.nClasses);
}

const listNames = (names: readonly string[], max = 5) =>
  names.length > max ? `${names.slice(0, max).join(', ')}, … (${names.length} in all)` : names.join(', ');

/** The fitted pipeline's output (its feature layout) must be the model's input. */
function checkPipelineWidth(pipeline: FittedPipeline, model: Fitted, pipeWhere: string, modelWhere: string) {
  const width = pipeline.layout.length;
  if (width !== model.nFeatures)
    throw new BundleError(
      `${pipeWhere} produces ${width} feature${width === 1 ? '' : 's'} (${listNames(pipeline.layout.map((f) => String((f as { name?: unknown } | null)?.name)))}) ` +
        `but ${modelWhere} takes ${model.nFeatures}`,
    );
  if (!Array.isArray(pipeline.sources) || pipeline.sources.length !== width)
    throw new BundleError(`${pipeWhere}: sources does not list one input column per feature`);
}

function pipelineInputs(pipeline: FittedPipeline, where: string): Map<string, string> {
  const inputs = pipeline.inputs as unknown;
  if (
    !Array.isArray(inputs) ||
    inputs.some((c) => !isObject(c) || typeof c.name !== 'string' || typeof c.type !== 'string')
  )
    throw new BundleError(`${where}: inputs is missing or is not a list of columns with a name and a type`);
  return new Map((inputs as { name: string; type: string }[]).map((c) => [c.name, c.type]));
}

/**
 * The manifest's signature (how a scoring file's columns are read) must be what the pipeline was
 * fitted on: the same columns with the same types. With several pipelines (an ensemble), every
 * pipeline's columns must be in the signature with its type, and every signature column read by one.
 */
function checkSignature(
  manifest: BundleManifest,
  pipelines: readonly { pipeline: FittedPipeline; where: string }[],
): void {
  const signature = new Map(manifest.signature.inputs.map((c) => [c.name, c.type]));
  const read = new Set<string>();
  for (const { pipeline, where } of pipelines) {
    for (const [name, type] of pipelineInputs(pipeline, where)) {
      read.add(name);
      const declared = signature.get(name);
      if (declared === undefined)
        throw new BundleError(
          `manifest.json signature.inputs lacks column ${JSON.stringify(name)}, which ${where} reads (as ${type})`,
        );
      if (declared !== type)
        throw new BundleError(
          `manifest.json signature.inputs reads column ${JSON.stringify(name)} as ${declared} ` +
            `but ${where} was fitted on it as ${type}`,
        );
    }
  }
  const unread = [...signature.keys()].filter((n) => !read.has(n));
  if (unread.length)
    throw new BundleError(
      `manifest.json signature.inputs lists column${unread.length === 1 ? '' : 's'} ${listNames(unread.map((n) => JSON.stringify(n)))} ` +
        `that ${pipelines.length === 1 ? pipelines[0].where : "no member's pipeline in model.json"} does not read`,
    );
}

/** What manifest.json says about the task and classes must be what model.json predicts. */
function checkManifestAgainstModel(manifest: BundleManifest, model: Fitted): void {
  if (manifest.model.family !== model.family)
    throw new BundleError(
      `manifest.json model.family is ${JSON.stringify(manifest.model.family)} but model.json is a ${JSON.stringify(model.family)} model`,
    );
  if (manifest.task !== model.task)
    throw new BundleError(
      `manifest.json task is ${JSON.stringify(manifest.task)} but model.json is a ${model.task} model`,
    );
  const classes = manifest.classes;
  if (model.task === 'regression') {
    if (classes !== undefined)
      throw new BundleError(
        `manifest.json lists classes (${listNames(classes.map((c) => JSON.stringify(c)))}) but its task is regression`,
      );
    return;
  }
  const width = outputWidth(model);
  if (classes === undefined)
    throw new BundleError(
      `manifest.json has no classes, but model.json is a ${model.task} model predicting ${width} classes`,
    );
  if (classes.length !== width)
    throw new BundleError(
      `manifest.json classes has ${classes.length} label${classes.length === 1 ? '' : 's'} ` +
        `(${listNames(classes.map((c) => JSON.stringify(c)))}) but model.json predicts ${width} classes`,
    );
  const seen = new Set<string>();
  const dup = classes.find((c) => seen.size === seen.add(c).size);
  if (dup !== undefined)
    throw new BundleError(`manifest.json classes lists the label ${JSON.stringify(dup)} twice`);
  if (
    model.task === 'binary' &&
    manifest.positiveClass !== undefined &&
    manifest.positiveClass !== classes[1]
  )
    throw new BundleError(
      `manifest.json positiveClass is ${JSON.stringify(manifest.positiveClass)} but the model predicts the probability ` +
        `of classes[1], ${JSON.stringify(classes[1])}`,
    );
  const d = manifest.decision;
  if (d !== undefined) {
    if (model.task !== 'binary')
      throw new BundleError(`manifest.json has a decision, but model.json is a ${model.task} model`);
    if (!classes.includes(d.positiveClass))
      throw new BundleError(
        `manifest.json decision.positiveClass is ${JSON.stringify(d.positiveClass)}, not one of the classes ` +
          `(${listNames(classes.map((c) => JSON.stringify(c)))})`,
      );
    if (!(d.threshold >= 0 && d.threshold <= 1))
      throw new BundleError(
        `manifest.json decision.threshold is ${d.threshold}; it must be a probability (0 to 1)`,
      );
  }
}

/**
 * Checks manifest.json, pipeline.json and model.json against each other, so that a bundle that loads
 * also scores: the task and classes, the pipeline's output width and the model's input width, and the
 * signature and the pipeline's input columns and types; for an ensemble, each member the same way.
 * Each failure names the file and the field that disagree.
 */
function checkBundleConsistency(
  manifest: BundleManifest,
  pipeline: FittedPipeline | null,
  model: Fitted,
): void {
  checkManifestAgainstModel(manifest, model);
  if (model instanceof EnsembleModel) {
    if (pipeline !== null)
      throw new BundleError(
        'manifest.json names pipeline.json, but model.json is an ensemble whose members carry their own pipelines',
      );
    const width = outputWidth(model);
    model.members.forEach((m, i) => {
      const where = `model.json members[${i}]`;
      if (outputWidth(m.model) !== width)
        throw new BundleError(
          `${where} (${m.model.family}) predicts ${outputWidth(m.model)} value${outputWidth(m.model) === 1 ? '' : 's'} per row ` +
            `but the ensemble predicts ${width}`,
        );
      checkPipelineWidth(model.pipelines[m.pipeline], m.model, `model.json pipelines[${m.pipeline}]`, where);
    });
    checkSignature(
      manifest,
      model.pipelines.map((p, k) => ({ pipeline: p, where: `model.json pipelines[${k}]` })),
    );
    return;
  }
  if (pipeline === null) return; // reported by loadBundle
  checkPipelineWidth(pipeline, model, 'pipeline.json', 'model.json');
  checkSignature(manifest, [{ pipeline, where: 'pipeline.json' }]);
}

/** Reads a bundle from its files' text; every problem is a BundleError naming the file. */
export function loadBundle(
  files: Readonly<Record<string, string | undefined>>,
  options: LoadOptions = {},
): LoadedBundle {
  const manifest = checkManifest(files['manifest.json']);
  if (manifest.formatVersion >= 2) {
    const listed = listedFiles(manifest);
    const required = options.requireListedFiles
      ? listed
      : listed.filter((f) => f === 'model.json' || f === 'pipeline.json');
    if (manifest.pipeline.file && !required.includes(manifest.pipeline.file))
      required.push(manifest.pipeline.file);
    if (!required.includes('model.json')) required.push('model.json');
    const missing = required.filter((f) => files[f] === undefined);
    if (missing.length)
      throw new BundleError(`the bundle lacks ${missing.join(', ')}, listed in manifest.json`);
  }
  // Every present file the manifest hashes must match (a mismatch names the file).
  const integrity = verifyFileHashes(manifest, files);
  let pipeline: FittedPipeline | null = null;
  if (manifest.pipeline.file !== null) {
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
  checkBundleConsistency(manifest, pipeline, model);
  let reference: ReferenceProfile | undefined;
  // Only a reference the manifest lists (and so hashes) is used; an unlisted one is ignored.
  const referenceText = listedFiles(manifest).includes(REFERENCE_FILE) ? files[REFERENCE_FILE] : undefined;
  if (referenceText !== undefined) {
    try {
      reference = parseReference(referenceText);
    } catch (err) {
      throw new BundleError(`${REFERENCE_FILE}: ${(err as Error).message}`);
    }
  }
  return { manifest, pipeline, model, integrity, ...(reference ? { reference } : {}) };
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
  const { decision, classes } = bundle.manifest;
  // Binary with a recorded decision: the positive class from its threshold; else argmax.
  if (bundle.manifest.task === 'binary' && decision && classes)
    return { values, labels: decideLabels(values, table.nRows, classes, decision), nRows: table.nRows };
  return { values, labels: argmaxRows(values, k), nRows: table.nRows };
}

/**
 * Predictions as CSV: one probability column per class (class labels as headers) + `prediction`, or
 * `prediction` alone. Faithful (labels exactly as trained, RFC 4180 quoting only); with
 * `spreadsheet`, formula-like cells get a leading apostrophe instead (csv-write.ts).
 */
export function predictionsCsv(
  bundle: LoadedBundle,
  p: Predictions,
  options: { readonly spreadsheet?: boolean } = {},
): string {
  const line = options.spreadsheet ? spreadsheetLine : csvLine;
  const lines: string[] = [];
  const classes = bundle.manifest.classes;
  if (bundle.manifest.task === 'regression' || !classes) {
    lines.push('prediction');
    for (let i = 0; i < p.nRows; i++) lines.push(String(p.values[i]));
  } else {
    const k = classes.length;
    lines.push(line([...classes, 'prediction']));
    for (let i = 0; i < p.nRows; i++) {
      const cells: string[] = [];
      for (let c = 0; c < k; c++) cells.push(String(p.values[i * k + c]));
      cells.push(classes[p.labels![i]]);
      lines.push(line(cells));
    }
  }
  return lines.join('\n') + '\n';
}
