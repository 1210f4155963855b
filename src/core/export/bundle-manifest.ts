/**
 * Model bundle, format version 2 (this module: the manifest's types and the format's constants): a
 * folder, or the same files in a zip (see zip.ts).
 *   manifest.json       what was trained on what, how, with which seeds and libraries, how well it did
 *                       and how to reproduce it (schema: manifest-schema.ts)
 *   pipeline.json       the fitted preprocessing pipeline (absent for a search result: an ensemble's
 *                       members carry their own pipelines inside model.json)
 *   model.json          the fitted model (family + format version + learned state)
 *   metrics.json        validation (and holdout) metrics; for a search the trial scores
 *   signature.json      input columns and types, target, output columns
 *   input_example.csv   the first rows of the training data's input columns
 *   features.json       (models trained on recipe features) the feature recipe and each related table's
 *                       name, row and column counts and content fingerprint — never its rows
 *                       (src/core/features/spec.ts)
 *   reference.json      the reference profile for monitoring (monitor/reference.ts): binned
 *                       distributions of the inputs, the out-of-fold predictions and the target; no rows
 *   MODEL_CARD.md       model card (model-card.ts)
 *   predict.mjs         standalone scorer: `node predict.mjs data.csv > predictions.csv` (scorer-entry.ts)
 * Format version 1 folders (manifest, pipeline, model) still load.
 * Writing: bundle-write.ts; reading and checking: bundle-load.ts; scoring: bundle-predict.ts; bundle.ts
 * re-exports all four.
 */
import type { ColumnSchema, DatasetFingerprint } from '../ingest/types.ts';
import type { SemanticType } from '../data/table.ts';
import type { Task } from '../models/types.ts';
import type { TrainedModel } from '../train/train.ts';
import type { Decision } from '../train/decision.ts';
import type { SearchManifest } from '../search/runner.ts';
import type { ProfileWarning } from '../profile/types.ts';
import { REFERENCE_FILE } from '../monitor/reference.ts';
import { SIGNATURE_FILE } from './integrity.ts';
import { FEATURES_FILE, type FeatureDefinition, type TableRecord } from '../features/spec.ts';
import type { ManifestFiles } from './integrity.ts';

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
  FEATURES_FILE,
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
    /**
     * 'decision': a binary search's label metrics (accuracy, F1, balanced accuracy, PR AUC) are those
     * of the labels `decision` gives. Absent in a search bundle made before it: classes[1] at 0.5. A
     * fit's are at its decision either way.
     */
    readonly labelsAt?: 'decision';
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
  /**
   * The model reads features computed by a recipe from related tables: the recipe in features.json
   * (listed and hashed in `files`), summarised here for the model card. Absent: the model reads the
   * data file's own columns only.
   */
  readonly features?: {
    readonly file: typeof FEATURES_FILE;
    readonly recipe: { readonly name: string; readonly version: number; readonly target: string };
    readonly tables: Readonly<Record<string, TableRecord>>;
    readonly definitions: readonly FeatureDefinition[];
  };
  readonly droppedMissingTarget: number;
  readonly fitSeconds: number;
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
