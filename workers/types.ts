/**
 * The typed boundary between the page and the data worker (`workers/data.worker.ts`).
 *
 * Everything here crosses `postMessage`, so it is plain structured-cloneable data: no classes, no
 * functions (the progress callback is a comlink proxy), no `Error` instances (failures come back as
 * a {@link WorkerFailure} value, never as a thrown error, so the code survives the trip).
 */
import type { SemanticType } from '../src/core/data/table.ts';
import type {
  ColumnSchema,
  DatasetFingerprint,
  Dialect,
  Fixup,
  IngestErrorCode,
} from '../src/core/ingest/types.ts';
import type { ColumnProfile, DatasetProfile, TargetAssociation, Task } from '../src/core/profile/types.ts';

/** What the page hands over: a File (read in the worker, never on the main thread) or raw bytes. */
export type LoadInput = File | { readonly name: string; readonly bytes: ArrayBuffer };

export type TypeOverrides = Readonly<Record<string, SemanticType>>;

export interface LoadOptions {
  readonly typeOverrides?: TypeOverrides;
  /** Target / task to profile against; absent = the suggested target and the detected task. */
  readonly target?: string;
  readonly task?: Task;
}

export interface LoadProgress {
  readonly bytesRead: number;
  readonly totalBytes: number | undefined;
  readonly rows: number;
  readonly phase: 'parse' | 'reparse' | 'hash' | 'profile';
}

export type ProgressCallback = (p: LoadProgress) => void;

/** The first rows of the table as display text, column-wise (`columns[c][r]`). */
export interface Preview {
  readonly names: readonly string[];
  readonly columns: readonly (readonly string[])[];
  readonly rows: number;
  /** Total number of columns in the dataset (the preview may hold fewer). */
  readonly totalColumns: number;
}

/** A column's line in the schema table; the full {@link ColumnProfile} is fetched when opened. */
export interface ColumnSummary {
  readonly name: string;
  readonly type: SemanticType;
  readonly count: number;
  readonly missing: number;
  readonly missingPct: number;
  readonly distinct: number;
  /** At most {@link SPARK_BARS} bar heights for the inline distribution sparkline. */
  readonly spark: readonly number[];
}

export const SPARK_BARS = 24;
/** How many target associations the page gets (strongest first). */
export const MAX_TARGET_ASSOCIATIONS = 50;

/**
 * The profile as the page gets it: small whatever the width of the table (20,000 columns is a few
 * MB, not tens): per-column summaries, no pairwise matrix, the strongest target associations.
 */
export interface ProfileSummary extends Omit<
  DatasetProfile,
  'columns' | 'associations' | 'targetAssociations'
> {
  readonly columns: readonly ColumnSummary[];
  readonly targetAssociations?: readonly TargetAssociation[];
}

/** What the page keeps of a loaded dataset: small summaries only, never the table. */
export interface LoadedDataset {
  readonly sourceName: string;
  readonly schema: readonly ColumnSchema[];
  readonly dialect: Dialect;
  readonly fingerprint: DatasetFingerprint;
  readonly fixups: readonly Fixup[];
  readonly preview: Preview;
  readonly profile: ProfileSummary;
  readonly typeOverrides: TypeOverrides;
}

export type WorkerErrorCode = IngestErrorCode | 'no-dataset' | 'unknown-column' | 'internal' | 'worker-died';

/** A failure as plain data: `message` is one human line (what is wrong and where). */
export interface WorkerFailure {
  readonly code: WorkerErrorCode;
  readonly message: string;
}

export type WorkerResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: WorkerFailure };

/** The API the worker exposes through comlink. */
export interface DataWorkerApi {
  /** Read and profile a file. On failure the previously loaded dataset (if any) stays loaded. */
  load(
    input: LoadInput,
    options: LoadOptions,
    onProgress?: ProgressCallback,
  ): Promise<WorkerResult<LoadedDataset>>;
  /** Profile the loaded dataset again against another target / task. */
  reprofile(options: { target?: string; task?: Task }): Promise<WorkerResult<ProfileSummary>>;
  /** The full profile of one column (histogram, top values, statistics) for the detail panel. */
  column(name: string): Promise<WorkerResult<ColumnProfile>>;
  /** Read the kept file again with these type choices (they replace the previous ones). */
  setTypeOverrides(
    overrides: TypeOverrides,
    options: { target?: string; task?: Task },
    onProgress?: ProgressCallback,
  ): Promise<WorkerResult<LoadedDataset>>;
  /** Stop the load in progress (it resolves with code 'cancelled'); the previous dataset stays. */
  cancel(): void;
}
