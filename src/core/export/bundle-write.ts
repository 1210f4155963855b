/**
 * Writes a model bundle (format in bundle-manifest.ts): its files as text, by name, from a single fit
 * (createBundleFiles) or a search result (createSearchBundleFiles); derived files (metrics, signature,
 * input example, reference profile, model card) and the manifest's SHA-256 file list are added here. The
 * CLI writes the files to disk or a zip, the browser zips them.
 */
import { boolLabel } from '../data/table.ts';
import type { SemanticType, Table } from '../data/table.ts';
import { describePipeline } from '../pipeline/index.ts';
import type { Fitted } from '../models/types.ts';
import type { TrainedModel } from '../train/train.ts';
import { evaluate } from '../metrics/evaluate.ts';
import { chooseDecision, decisionSpec } from '../train/decision.ts';
import type { Decision, DecisionRequest } from '../train/decision.ts';
import type { SearchResult } from '../search/runner.ts';
import { clockNote } from '../search/clock-note.ts';
import { modelCard } from './model-card.ts';
import { REFERENCE_FILE, buildReference, predictionsColumn, referenceJson } from '../monitor/reference.ts';
import type { ColumnReference, ReferenceProfile } from '../monitor/reference.ts';
import { fitCalibration, type Calibration } from '../monitor/calibration.ts';
import { hashFiles } from './integrity.ts';
import { FEATURES_FILE, type FeaturesRecord } from '../features/spec.ts';
import {
  BUNDLE_FORMAT_VERSION,
  INPUT_EXAMPLE_ROWS,
  WEBGPU_TOLERANCE,
  bundleFileOrder,
  signatureOf,
} from './bundle-manifest.ts';
import type {
  BundleEnvironment,
  BundleDataset,
  EnsembleMemberInfo,
  BundleManifest,
} from './bundle-manifest.ts';

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
  /** The table's column references, computed earlier (`ReferenceOptions.columnRefs`). */
  readonly columnRefs?: ReadonlyMap<string, ColumnReference>;
  /** Source of predict.mjs (built from scorer-entry.ts); without it the bundle has no scorer. */
  readonly scorer?: string;
  /**
   * Binary decisions: a decision to record as is (e.g. the user moved the threshold), or a request
   * (positive class, objective) for a search's decision, chosen on its out-of-fold predictions;
   * null: record none (replays of bundles made before decisions existed: argmax).
   */
  readonly decision?: Decision | DecisionRequest | null;
  /** The model reads recipe features: the record written as features.json (src/core/features/spec.ts). */
  readonly features?: FeaturesRecord;
  /**
   * A binary search's validation label metrics at classes[1] and 0.5, as bundles made before
   * `metrics.labelsAt` computed them (a replay of such a bundle compares like with like); by default
   * they are at the bundle's decision.
   */
  readonly legacyLabelMetrics?: boolean;
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

/**
 * The manifest's model.iterations, as bundles have always recorded it: for a tree model the rounds its
 * predictions use (early stopping's best round + 1), for a net the epochs it ran (past its best one when
 * it stopped early); null for a model without iterations (an ensemble).
 */
function iterationsOf(model: Fitted): number | null {
  const n = TREE_FAMILIES.has(model.family) ? model.iterationsUsed : model.iterationsRun;
  return typeof n === 'number' ? n : null;
}
const TREE_FAMILIES: ReadonlySet<string> = new Set(['gbdt', 'random_forest']);

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
    ...manifestHead(env, dataset, trained),
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
  const decided = searchDecision(result, extras.decision);
  // Binary: the label metrics (accuracy, F1, …) are those of the labels the bundle gives, at its decision.
  const atDecision = decided.decision && result.classes && !extras.legacyLabelMetrics;
  const allMetrics = oof
    ? evaluate(
        result.task,
        oof.y,
        oof.pred,
        result.classes?.length ?? 1,
        undefined,
        atDecision ? decisionSpec(result.classes!, decided.decision!) : undefined,
      )
    : {};
  const validation: Record<string, number> = {
    ...Object.fromEntries(Object.entries(allMetrics).filter(([, v]) => Number.isFinite(v))),
    [result.metric]: result.manifest.ensemble.used
      ? result.manifest.ensemble.score
      : (result.best.value ?? NaN),
  };
  const manifest: BundleManifest = {
    ...manifestHead(env, dataset, result),
    ...decided,
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
    metrics: { validation, ...(atDecision ? { labelsAt: 'decision' as const } : {}) },
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
  columnRefs?: ReadonlyMap<string, ColumnReference>,
): ReferenceProfile {
  const names = new Set(table.columns.map((c) => c.name));
  const rows = validation?.y.length ?? 0;
  return buildReference(table, {
    ...(columnRefs ? { columnRefs } : {}),
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
  plain: BundleManifest,
  core: Record<string, string>,
  metrics: unknown,
  extras: BundleExtras,
  validation?: { readonly y: Float64Array; readonly pred: Float64Array },
): Record<string, string> {
  const f = extras.features;
  const base: BundleManifest = f
    ? {
        ...plain,
        features: {
          file: FEATURES_FILE,
          recipe: { name: f.recipe.name, version: f.recipe.version, target: f.recipe.target },
          tables: f.tables,
          definitions: f.definitions,
        },
      }
    : plain;
  const derived: Record<string, string> = {
    'metrics.json': JSON.stringify(metrics, finite, 2) + '\n',
    'signature.json': JSON.stringify(signatureOf(base), null, 2) + '\n',
    ...(f ? { [FEATURES_FILE]: JSON.stringify(f, null, 2) + '\n' } : {}),
  };
  let calibration: Calibration | undefined;
  if (extras.table) {
    derived['input_example.csv'] = inputExampleCsv(extras.table, base.signature.inputs);
    const reference = bundleReference(base, extras.table, validation, extras.columnRefs);
    calibration = reference.calibration;
    derived[REFERENCE_FILE] = referenceJson(reference);
  }
  const names = [...Object.keys(core), ...Object.keys(derived), 'MODEL_CARD.md'];
  if (extras.scorer !== undefined) names.push('predict.mjs');
  names.sort((a, b) => bundleFileOrder(a) - bundleFileOrder(b));
  const card = modelCard({ ...base, files: names }, calibration ? { calibration } : {});
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

/** The fields every manifest starts with, in this order (a fitted model's and a search's alike). */
function manifestHead(
  env: BundleEnvironment,
  dataset: BundleDataset,
  of: {
    readonly target: string;
    readonly task: BundleManifest['task'];
    readonly classes?: readonly string[] | null;
  },
) {
  return {
    kind: 'automl-studio-model' as const,
    formatVersion: BUNDLE_FORMAT_VERSION,
    createdAt: env.createdAt,
    app: { ...env.app, commit: env.app.commit ?? 'unknown' },
    dataset: manifestDataset(dataset),
    target: of.target,
    task: of.task,
    ...(of.classes ? { classes: [...of.classes] } : {}),
    ...(of.task === 'binary' && of.classes ? { positiveClass: of.classes[1] } : {}),
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
