/**
 * The typed boundary between the page and the bundle worker (`workers/bundle.worker.ts`): importing
 * a model bundle zip, scoring a CSV with it, zipping bundle files, and verifying a bundle by replay.
 *
 * Everything here crosses `postMessage`: plain structured-cloneable data, failures as a
 * {@link BundleFailure} value (never a thrown error), big arrays as transferred ArrayBuffers.
 */
import type { SemanticType } from '../src/core/data/table.ts';
import type { Task } from '../src/core/profile/types.ts';
import type { LoadInput } from './types.ts';
import type { TypeMismatch } from '../src/core/export/score.ts';
import type { ScoredEvaluation } from '../src/core/tracking/evidence.ts';
import type { MonitorBatchResult } from '../src/core/monitor/monitor-batch.ts';
import type { LineageEntry } from '../src/core/monitor/retrain.ts';
import type { MonitoringSummary } from '../src/core/tracking/types.ts';
import type { ExplainView } from '../src/core/explain/view.ts';

export type { MonitorBatchResult };

export interface MonitorOptions {
  /**
   * The training data, used only when the bundle has no reference profile (made before
   * reference.json existed): statistics are then computed on it.
   */
  readonly reference?: LoadInput;
  /** The date the user gave for the batch (epoch ms); the batch's date column comes first, the file's time after. */
  readonly userTime?: number;
  /** A model on recipe features: the related tables by name (see ScoreOptions.tables); the batch is its target table. */
  readonly tables?: Readonly<Record<string, LoadInput>>;
}

/** The training data plus labelled batches as one CSV, for retraining (src/core/monitor/retrain.ts). */
export interface CombinedTraining {
  readonly name: string;
  /** The CSV's bytes (transferred). */
  readonly bytes: ArrayBuffer;
  readonly rows: number;
  readonly lineage: readonly LineageEntry[];
  readonly notes: readonly string[];
}

/** A monitored batch: the full report, what a monitoring record keeps of it, the bundle's identity. */
export interface MonitorOutcome {
  readonly result: MonitorBatchResult;
  readonly summary: MonitoringSummary;
  /** SHA-256 of the bundle's manifest.json. */
  readonly bundleSha256: string;
}

export type { TypeMismatch };

export type { LoadInput };

/** A bundle's files as text, by name (what `readBundleZip` gives; what `loadBundle` takes). */
export type BundleFiles = Readonly<Record<string, string>>;

export type BundleErrorCode =
  /** Not a zip, damaged, unsafe (traversal, zip bomb, oversize), or a bad manifest / model file. */
  | 'bundle'
  /** The CSV lacks columns the model needs (`columns` names them). */
  | 'missing-columns'
  /** The CSV cannot be read (encoding, empty, not a CSV, …). */
  | 'data'
  /** The training data lacks the target column, or training on it failed. */
  | 'training'
  | 'internal'
  | 'worker-died'
  | 'cancelled';

export interface BundleFailure {
  readonly code: BundleErrorCode;
  /** One human line: what is wrong and where. */
  readonly message: string;
  /** For 'missing-columns': the columns the file lacks. */
  readonly columns?: readonly string[];
}

export type BundleResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: BundleFailure };

export interface BundleFileInfo {
  readonly name: string;
  /** UTF-8 size in bytes. */
  readonly bytes: number;
}

/** What the page shows about a bundle (the files themselves travel separately). */
export interface BundleSummary {
  /** The zip's file name, or a name the caller gave. */
  readonly source: string;
  readonly formatVersion: number;
  readonly createdAt: string;
  readonly app: { readonly name: string; readonly version: string; readonly commit?: string };
  /** How it was made: one model (`fit`) or a search (`automl`). */
  readonly training: 'fit' | 'automl';
  readonly family: string;
  /** Ensemble members (automl), with their weights. */
  readonly members: readonly { readonly trial: number; readonly family: string; readonly weight: number }[];
  readonly target: string;
  readonly task: Task;
  readonly classes?: readonly string[];
  readonly seed: number;
  readonly backend: string | null;
  readonly dataset: {
    readonly name: string;
    readonly sha256: string;
    readonly rows: number;
    readonly columns: number;
  };
  readonly metrics: Readonly<Record<string, number | null>>;
  /** The input columns the model reads, with the types they are read as. */
  readonly signature: readonly { readonly name: string; readonly type: SemanticType }[];
  /** Largest prediction difference a reproduction may show (0: bit-identical). */
  readonly tolerance: number;
  readonly files: readonly BundleFileInfo[];
  readonly hasScorer: boolean;
  /** "signed by <fingerprint> (this studio / known / unknown)" or "unsigned" (core/export/signing.ts). */
  readonly provenance?: string;
  /** Remarks about the bundle (format 1 upgraded, files it lacks that a format 2 bundle has, …). */
  readonly notes: readonly string[];
}

export interface ImportedBundle {
  readonly summary: BundleSummary;
  readonly files: BundleFiles;
}

/** How many predictions the page gets as a ready-made table. */
export const SCORE_PREVIEW_ROWS = 100;

export interface ScoreOutcome {
  readonly source: string;
  readonly task: Task;
  readonly classes?: readonly string[];
  readonly nRows: number;
  /** Probabilities (row-major, one column per class) or values; transferred. */
  readonly values: Float64Array;
  /** Predicted class index per row (classification); transferred. */
  readonly labels?: Int32Array;
  /** predictions.csv (formula-escaped), the same bytes as `cli predict`. */
  /** predictions.csv, faithful: labels exactly as trained (csv-write.ts). */
  readonly csv: string;
  /** The same for a spreadsheet: formula-like cells prefixed with an apostrophe. */
  readonly spreadsheetCsv: string;
  /** The columns of predictions.csv. */
  readonly header: readonly string[];
  /** The first {@link SCORE_PREVIEW_ROWS} rows of predictions.csv as display text (not escaped). */
  readonly preview: readonly (readonly string[])[];
  /** Columns the model does not use (besides the target): ignored. */
  readonly ignored: readonly string[];
  readonly mismatches: readonly TypeMismatch[];
  /** Everything worth telling, in words (ignored columns, repairs made while reading, mismatches). */
  readonly notes: readonly string[];
  /** Every column of the scored file (e.g. to keep ID columns in the output). */
  readonly columns: readonly string[];
  /** The file had the model's target: metrics (and confusion matrix / residuals) of the predictions. */
  readonly evaluation?: ScoredEvaluation;
  /** With ScoreOptions.reasons: the reasons (also in both CSVs as columns). */
  readonly reasons?: ScoreReasons;
}

export interface ScoreOptions {
  /** Columns of the scored file written in front of the predictions (e.g. IDs). */
  readonly keep?: readonly string[];
  /** Add the top N reasons per row (src/core/explain/reasons.ts), as `cli predict --explain --top N`. */
  readonly reasons?: number;
  /**
   * A model on recipe features (issue 20): the related tables by the names its recipe uses (the CSV
   * scored is the recipe's target table); the features are computed as in training.
   */
  readonly tables?: Readonly<Record<string, LoadInput>>;
}

/** The reasons added to a score (ScoreOptions.reasons). */
export interface ScoreReasons {
  /** The method and what the contributions add up to, in words. */
  readonly description: string;
  readonly notes: readonly string[];
  /** Per preview row: the class explained (classification) and the top reasons. */
  readonly preview: readonly {
    readonly explainedClass?: string;
    readonly reasons: readonly {
      readonly column: string;
      readonly value: string;
      readonly contribution: number;
    }[];
  }[];
}

/** Options of the Explain view (src/core/explain/view.ts). */
export interface ExplainViewRequest {
  readonly rows?: number;
  readonly seed?: number;
  /** A model on recipe features: its related tables by the recipe's names (the CSV is its target table). */
  readonly tables?: Readonly<Record<string, LoadInput>>;
}

export type VerifyPhase = 'load' | 'read' | 'backend' | 'refit' | 'compare';

export interface VerifyProgress {
  readonly phase: VerifyPhase;
  /** While reading: bytes read so far / in total. */
  readonly bytesRead?: number;
  readonly totalBytes?: number;
  /**
   * While training a search again (phase 'refit'): the recorded trial being replayed (`index` of
   * `total`, 1-based), or `step: 'final'` for the refit of the final model.
   */
  readonly replay?:
    | {
        readonly step: 'trial';
        readonly trial: number;
        readonly family: string;
        readonly index: number;
        readonly total: number;
      }
    | { readonly step: 'final' };
}

export type VerifyProgressCallback = (p: VerifyProgress) => void;

/** The same verdict as `cli reproduce` (src/core/export/reproduce.ts). */
export interface VerifyReport {
  readonly verdict: 'reproduced' | 'not reproduced';
  readonly reproduced: boolean;
  readonly fingerprint: {
    readonly same: boolean;
    readonly expected: string;
    readonly got: string;
    readonly expectedRows: number;
    readonly gotRows: number;
  };
  readonly tolerance: number;
  readonly firstDifference:
    | { readonly row: number; readonly column: string; readonly expected: string; readonly got: string }
    | {
        readonly classes: {
          readonly expected: readonly string[] | null;
          readonly got: readonly string[] | null;
        };
      }
    | null;
  readonly maxDifference: number;
  readonly metrics: readonly {
    readonly metric: string;
    readonly expected: number | null;
    readonly got: number | null;
  }[];
  readonly rows: number;
  readonly notes: readonly string[];
  /** When not reproduced: why, in plain words (what differs and the likely cause). */
  readonly explanation: readonly string[];
  /** The report in words, ending with `verdict: …` (what `cli reproduce` prints). */
  readonly lines: readonly string[];
  readonly seconds: number;
  /** Who signed the bundle: "signed by <fingerprint> (this studio / known: name / unknown)" or "unsigned". */
  readonly provenance: string;
}

export interface ZipOptions {
  /**
   * Complete the bundle first, as `cli export` does: a format 1 manifest upgraded to format 2, the
   * derived files it lacks (metrics, signature, model card) added, and predict.mjs (the app's own
   * build) when it has none. The manifest is rewritten, so the bytes differ from a plain zip.
   */
  readonly complete?: boolean;
  /**
   * With `complete`: files whose content replaces the stored one after the integrity check (e.g. the
   * model card with the owner's intended use); the manifest then hashes the new content.
   */
  readonly replace?: Readonly<Record<string, string>>;
  /**
   * Sign the bundle with this studio's key (manifest.sig; always done with `complete`). Leave it off
   * to keep a bundle as it is, e.g. an imported one with its own signer's signature.
   */
  readonly sign?: boolean;
}

export interface BundleWorkerApi {
  /** Read and validate a bundle zip (names, sizes, zip bombs, CRCs, manifest schema, model files). */
  readZip(bytes: ArrayBuffer, name: string): Promise<BundleResult<ImportedBundle>>;
  /** Validate bundle files already in memory (e.g. from the tracking store). */
  inspect(files: BundleFiles, name: string): Promise<BundleResult<ImportedBundle>>;
  /** Score a CSV file with a bundle: checks the columns against the signature, predicts, writes the CSV. */
  score(files: BundleFiles, csv: LoadInput, options?: ScoreOptions): Promise<BundleResult<ScoreOutcome>>;
  /** Zip bundle files (deterministic bytes); the buffer is transferred. */
  zip(
    files: Readonly<Record<string, string | Uint8Array>>,
    options?: ZipOptions,
  ): Promise<BundleResult<ArrayBuffer>>;
  /**
   * The bundle as one ONNX graph (like `cli export --format onnx`: the same bytes); the buffer is
   * transferred. A model or step without a faithful translation is a 'bundle' failure naming it.
   */
  onnx(files: BundleFiles): Promise<BundleResult<ArrayBuffer>>;
  /**
   * The bundle as a runnable Python project (the files `cli export --format python` writes for a bundle
   * called `source`), zipped under one folder `folder/`; the buffer is transferred. A family or step
   * without a Python translation is a 'bundle' failure naming it.
   */
  pythonProject(files: BundleFiles, source: string, folder: string): Promise<BundleResult<ArrayBuffer>>;
  /** Check a batch against the bundle's reference (like `cli monitor`): drift, quality, performance. */
  monitor(
    files: BundleFiles,
    csv: LoadInput,
    options?: MonitorOptions,
  ): Promise<BundleResult<MonitorOutcome>>;
  /** The Explain view's data on a seeded sample of the CSV's rows (src/core/explain/view.ts). */
  explain(
    files: BundleFiles,
    csv: LoadInput,
    options?: ExplainViewRequest,
  ): Promise<BundleResult<ExplainView>>;
  /**
   * The bundle's training data plus labelled batches as one CSV (read with the training's column
   * types), with the lineage of every input file, for "Retrain with new data".
   */
  combineTraining(
    files: BundleFiles,
    training: LoadInput,
    batches: readonly { readonly input: LoadInput; readonly batchTime?: number }[],
  ): Promise<BundleResult<CombinedTraining>>;
  /** Train the bundle's model again from its manifest on the data and compare (like `cli reproduce`). */
  verify(
    files: BundleFiles,
    trainCsv: LoadInput,
    onProgress?: VerifyProgressCallback,
    /** A model on recipe features: the related tables by name (see ScoreOptions.tables). */
    tables?: Readonly<Record<string, LoadInput>>,
  ): Promise<BundleResult<VerifyReport>>;
}
