/**
 * The typed boundary between the page and the data worker (`workers/data.worker.ts`).
 *
 * Everything here crosses `postMessage`, so it is plain structured-cloneable data: no classes, no
 * functions (the progress callback is a comlink proxy), no `Error` instances (failures come back as
 * a {@link WorkerFailure} value, never as a thrown error, so the code survives the trip).
 */
import type { SemanticType } from '../src/core/data/table.ts';
import type { StoredRecipe, StoredRecipeSummary } from '../src/core/features/store.ts';
import type {
  ColumnSchema,
  DatasetFingerprint,
  Dialect,
  Fixup,
  IngestErrorCode,
  IngestResult,
} from '../src/core/ingest/types.ts';
import type { ColumnProfile, DatasetProfile, TargetAssociation, Task } from '../src/core/profile/types.ts';
import type { PipelineSpec } from '../src/core/pipeline/types.ts';
import type { DecisionRequest } from '../src/core/train/decision.ts';
import type { RoundPoint, TrainCharts } from '../src/core/jobs/charts.ts';
import type {
  Cutoff,
  FeatureAssociation,
  Recipe,
  Relationship,
  RelationshipProposals,
} from '../src/core/features/index.ts';

/** What the page hands over: a File (read in the worker, never on the main thread) or raw bytes. */
export type LoadInput = File | { readonly name: string; readonly bytes: ArrayBuffer };

export type TypeOverrides = Readonly<Record<string, SemanticType>>;

/**
 * The data worker's parsed dataset handed to the training worker (issue 21), so that the training
 * worker never reads the file again: the columns' buffers are transferred (a copy made for it, the
 * data screen keeps its own) or shared (`SharedArrayBuffer`, when the page is cross-origin isolated).
 * Without `data` it names the table the training worker already holds (see `heldTable`).
 */
export interface TableInput {
  readonly kind: 'table';
  /** The file's SHA-256 and the type choices: which table this is. */
  readonly key: string;
  readonly name: string;
  readonly data?: IngestResult;
  /** The file's bytes when small enough to be kept with a tracked run (see workers/tracking.ts). */
  readonly raw?: ArrayBuffer;
  /** True when the columns are SharedArrayBuffers (no copy was made). */
  readonly shared?: boolean;
  /**
   * The port the data worker posted `{ ok, value: TableInput }` on (a MessageChannel between the two
   * workers: the table never passes through the page's main thread).
   */
  readonly port?: MessagePort;
}

/** What a training job reads: the data worker's table, else a file (read in the training worker). */
export type JobInput = LoadInput | TableInput;

/**
 * A run on a project's recipe features (issue 20): the recipe, and where the features worker kept the
 * project's tables (ids of the dataset store, `src/store/datasets.ts`). The training worker trains on
 * the target table as read from its file (kept with it) and computes the features itself with the
 * recipe, so the bundle records the recipe and the related tables' fingerprints as the CLI does.
 */
export interface RecipeRun {
  readonly recipe: Recipe;
  /** The target table: its name in the recipe and its stored id (kept with its file's bytes). */
  readonly target: { readonly name: string; readonly id: string };
  /** Each related table the recipe reads → its stored id. */
  readonly tables: Readonly<Record<string, string>>;
}

export function isTableInput(input: unknown): input is TableInput {
  return !!input && typeof input === 'object' && (input as { kind?: unknown }).kind === 'table';
}

/** A dataset kept in the browser's storage (the Data screen lists them). */
export interface StoredDatasetSummary {
  readonly id: string;
  readonly name: string;
  readonly rows: number;
  readonly columns: number;
  readonly storedBytes: number;
  readonly sourceBytes: number;
  readonly savedAt: number;
  readonly openedAt: number;
}

export interface PersistProgress {
  readonly written: number;
  readonly total: number;
}

/** Sample rows instead of loading a whole file that would not fit in memory. */
export interface SampleRequest {
  readonly rows: number;
  readonly seed: number;
  /** Keep each class of this column in proportion (stratified). */
  readonly stratifyOn?: string;
}

export interface LoadOptions {
  readonly typeOverrides?: TypeOverrides;
  /** Target / task to profile against; absent = the suggested target and the detected task. */
  readonly target?: string;
  readonly task?: Task;
  /** Load a seeded sample of rows instead of the whole file. */
  readonly sample?: SampleRequest;
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
  /** Present when the dataset was reopened from the browser's storage (no file behind it). */
  readonly stored?: StoredDatasetSummary;
  /** Present when only a sample of the file's rows was loaded. */
  readonly sampled?: {
    readonly rows: number;
    readonly ofRows: number;
    readonly seed: number;
    readonly stratifyOn?: string;
  };
}

export type WorkerErrorCode =
  | IngestErrorCode
  | 'no-dataset'
  | 'unknown-column'
  | 'internal'
  | 'worker-died'
  /** A recipe or relationship the tables do not support (src/core/features FeatureError). */
  | 'features';

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
  /** Which table is loaded (the file's SHA-256 and type choices), null when none. */
  tableKey(): Promise<string | null>;
  /**
   * Post the loaded table for the training worker on `port` (a copy, transferred, or shared buffers);
   * resolves with its key once posted.
   */
  sendTable(port: MessagePort): Promise<WorkerResult<{ readonly key: string }>>;
  /** Keep the loaded dataset in the browser's storage (as columns), with progress; cancel stops it. */
  persist(onProgress?: (p: PersistProgress) => void): Promise<WorkerResult<StoredDatasetSummary>>;
  cancelPersist(): void;
  /** Datasets kept in the browser's storage, the last opened first. */
  storedDatasets(): Promise<WorkerResult<readonly StoredDatasetSummary[]>>;
  /** Open a stored dataset (the latest when no id) without its file and without parsing. */
  restore(
    id?: string,
    onProgress?: (p: PersistProgress) => void,
  ): Promise<WorkerResult<LoadedDataset | null>>;
  deleteStored(id: string): Promise<WorkerResult<true>>;
}

// ---------------------------------------------------------------------------------------------
// The training worker (`workers/train.worker.ts`).

export type FamilyName = 'gbdt' | 'random_forest' | 'linear' | 'mlp';
export type BackendPreference = 'auto' | 'webgpu' | 'wasm' | 'cpu';

/** What a WebGPU probe found (no tfjs started). */
export interface AdapterReport {
  readonly vendor?: string;
  readonly architecture?: string;
  readonly description?: string;
  readonly isFallbackAdapter?: boolean;
}

/** The backend a run used, and why (trees always run in plain TypeScript: 'cpu'). */
export interface BackendReport {
  readonly name: string;
  readonly reason: string;
  readonly adapter?: AdapterReport;
  readonly failures?: readonly { readonly name: string; readonly error: string }[];
}

/**
 * One training run. The worker reads the file itself with the same type choices as the data
 * screen (a File crosses postMessage by reference, so nothing is copied on the page).
 */
export interface TrainJob {
  readonly input: JobInput;
  readonly typeOverrides: TypeOverrides;
  readonly target: string;
  readonly task: Task;
  readonly family: FamilyName;
  readonly backend: BackendPreference;
  readonly seed: number;
  /** Hyperparameters; missing keys take the family's defaults. */
  readonly params?: Readonly<Record<string, unknown>>;
  readonly validFraction?: number;
  /** Metric the run is judged by (default: the task's default); reported first and recorded. */
  readonly metric?: string;
  /** Columns the user excluded from the features. */
  readonly exclude?: readonly string[];
  /** The preprocessing to use (as edited on the Train screen); absent = the automatic pipeline. */
  readonly pipeline?: PipelineSpec;
  /** Binary: positive class and what the threshold is chosen for (issue 13). */
  readonly decision?: DecisionRequest;
  /** Train on a project's recipe features: `input` is then not read (see RecipeRun). */
  readonly features?: RecipeRun;
}

/** What the automatic preprocessing for a family would be, before training (the Train screen shows it). */
export interface PipelineRequest {
  readonly input: JobInput;
  readonly typeOverrides: TypeOverrides;
  readonly target: string;
  readonly task: Task;
  readonly family: FamilyName;
  readonly exclude?: readonly string[];
}

export interface PipelinePreview {
  readonly spec: PipelineSpec;
  /** Why columns were dropped or treated specially, in plain words. */
  readonly notes: readonly string[];
  /** The feature columns (every column but the target), for the exclusion list. */
  readonly columns: readonly string[];
}

export type TrainPhase = 'read' | 'backend' | 'fit' | 'evaluate';

/** Progress: a phase change, the backend chosen, and/or new learning-curve points since the last call. */
export interface TrainProgress {
  readonly phase: TrainPhase;
  readonly backend?: BackendReport;
  /** Name of the loss in `rounds` (e.g. 'loss', 'logloss'). */
  readonly metric?: string;
  readonly rounds?: readonly RoundPoint[];
}

export type TrainProgressCallback = (p: TrainProgress) => void;

export type { RoundPoint, TrainCharts } from '../src/core/jobs/charts.ts';

export interface TrainOutcome {
  readonly target: string;
  readonly task: Task;
  readonly family: FamilyName;
  readonly classes?: readonly string[];
  /** The metric the run is judged by. */
  readonly metric: string;
  readonly metrics: Readonly<Record<string, number>>;
  readonly backend: BackendReport;
  readonly split: { readonly trainRows: number; readonly validRows: number; readonly validFraction: number };
  readonly fitSeconds: number;
  /** Rounds / epochs run in the validation fit. */
  readonly rounds: number;
  /** Present when the final model was refitted on all rows with the rounds / epochs validation chose. */
  readonly refit?: { readonly rows: number; readonly iterations: number };
  /** True when the user stopped training early (the model is what was learned so far). */
  readonly stopped: boolean;
  readonly pipelineSteps: readonly string[];
  readonly pipelineNotes: readonly string[];
  readonly charts: TrainCharts;
  /** The model bundle: manifest.json, pipeline.json, model.json as text. */
  readonly bundle: Readonly<Record<string, string>>;
  /** The tracking run of this training and its experiment, when it was recorded. */
  readonly runId?: string;
  readonly experimentId?: string;
  /** Why tracking did not record it (storage unavailable, quota), when it did not. */
  readonly trackingError?: string;
}

export type TrainErrorCode = WorkerErrorCode | 'training' | 'bundle' | 'stopped';

export interface TrainFailure {
  readonly code: TrainErrorCode;
  readonly message: string;
}

export type TrainResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: TrainFailure };

export interface TrainWorkerApi {
  /** Look for a WebGPU adapter (for the backend selector's explanation); null when there is none. */
  probe(): Promise<AdapterReport | null>;
  /** The automatic preprocessing for a family on the file (read once and kept for training). */
  pipeline(request: PipelineRequest): Promise<TrainResult<PipelinePreview>>;
  /** Read the file, select the backend, train, evaluate, and build the bundle. */
  train(job: TrainJob, onProgress?: TrainProgressCallback): Promise<TrainResult<TrainOutcome>>;
  /** Run an AutoML search (trials in a pool of trial workers), recorded in the tracking store. */
  search(job: SearchJob, onProgress?: SearchProgressCallback): Promise<TrainResult<SearchOutcome>>;
  /** Ask the running training or search to stop (a search then refits the best so far). */
  stop(): void;
  /** The key of the table this worker holds from the data worker, null when none. */
  heldTable(): Promise<string | null>;
  /** How this worker got its data: files it parsed itself, tables handed over by the data worker. */
  dataStats(): Promise<{ readonly fileReads: number; readonly tableInputs: number }>;
}

// ---------------------------------------------------------------------------------------------
// AutoML search in the training worker (`search`): trials run in a pool of trial workers, the
// search is recorded in the tracking store as it runs, and the page gets a live leaderboard.

/** An AutoML search as the Train screen starts it. */
export interface SearchJob {
  readonly input: JobInput;
  readonly typeOverrides: TypeOverrides;
  readonly target: string;
  readonly task: Task;
  readonly metric?: string;
  readonly families: readonly FamilyName[];
  /** Wall-clock budget in seconds (search + final refit). */
  readonly budgetSeconds?: number;
  /** Stop after this many trials (with a seed: the same trials and scores every time). */
  readonly maxTrials?: number;
  readonly seed: number;
  readonly backend: BackendPreference;
  readonly exclude?: readonly string[];
  /** Trial workers (default: hardwareConcurrency − 1, at least 1). */
  readonly workers?: number;
  /** Record the search in the browser's tracking store (default true). */
  readonly track?: boolean;
  /** Binary: positive class and what the threshold is chosen for (issue 13). */
  readonly decision?: DecisionRequest;
  /** Train on a project's recipe features: `input` is then not read (see RecipeRun). */
  readonly features?: RecipeRun;
}

export type TrialRowState = 'RUNNING' | 'COMPLETE' | 'PRUNED' | 'FAILED';

/** One line of the live leaderboard. */
export interface TrialRow {
  readonly number: number;
  readonly family: FamilyName;
  /** The trial's hyperparameters (plain values). */
  readonly params: Readonly<Record<string, string | number | boolean>>;
  readonly state: TrialRowState;
  /** Validation metric (out-of-fold / holdout). */
  readonly value?: number;
  /** Standard deviation of the metric over the folds. */
  readonly std?: number;
  readonly seconds?: number;
  /** Why it was pruned or failed ('halving', 'deadline', 'aborted', 'error', or the error text). */
  readonly reason?: string;
  /** Seconds since the search started when the trial ended. */
  readonly endedAt?: number;
  /** Seconds since the search started when the trial started (running trials: the live clock). */
  readonly startedAt?: number;
}

export type SearchPhase = 'read' | 'backend' | 'search' | 'refit' | 'bundle';

export interface SearchProgress {
  readonly phase: SearchPhase;
  /** Seconds since the search started. */
  readonly elapsed: number;
  /** Trials that started or changed since the last message. */
  readonly trials?: readonly TrialRow[];
  readonly backend?: BackendReport;
  /** How the candidates are validated, in words ("5-fold, stratified, seed 42"). */
  readonly validation?: string;
  readonly workers?: number;
  /** The tracking run of this search (parent run id), once recorded. */
  readonly runId?: string;
}

export type SearchProgressCallback = (p: SearchProgress) => void;

export interface SearchOutcome {
  readonly target: string;
  readonly task: Task;
  readonly classes?: readonly string[];
  readonly metric: string;
  readonly direction: 'maximize' | 'minimize';
  readonly trials: readonly TrialRow[];
  readonly best: number;
  readonly kind: 'single' | 'ensemble';
  readonly members: readonly {
    readonly trial: number;
    readonly family: FamilyName;
    readonly weight: number;
  }[];
  /** The final model's out-of-fold (validation) metrics. */
  readonly metrics: Readonly<Record<string, number>>;
  readonly validation: string;
  readonly stoppedBy: 'maxTrials' | 'deadline' | 'aborted';
  /**
   * When the budget was too small for any trial to finish: what the search did instead, in words
   * (`budgetNote` of src/core/search/clock-note.ts, as `cli automl` prints it).
   */
  readonly budgetNote?: string;
  readonly timings: {
    readonly searchSeconds: number;
    readonly refitSeconds: number;
    readonly totalSeconds: number;
  };
  readonly budgetSeconds?: number;
  readonly statedMaxSeconds?: number;
  readonly workers: number;
  readonly backend: BackendReport;
  readonly charts: TrainCharts;
  readonly bundle: Readonly<Record<string, string>>;
  /** The tracking run of this search and its experiment, when it was recorded. */
  readonly runId?: string;
  readonly experimentId?: string;
  /** Why tracking did not record this search (storage unavailable, quota), when it did not. */
  readonly trackingError?: string;
}

// --- Feature engineering across tables (issue 20): workers/features.worker.ts.

/** One table of a multi-table project, as the page lists it (the table itself stays in the worker). */
export interface FeatureTableSummary {
  /** The name recipes use (the file's name without its extension). */
  readonly name: string;
  readonly file: string;
  readonly rows: number;
  readonly columns: readonly { readonly name: string; readonly type: SemanticType }[];
  /** Columns that read as dates (time index and cutoff candidates) and the proposed time index. */
  readonly dateColumns: readonly string[];
  readonly timeIndex: string | null;
  /** Repairs made while reading (e.g. padded rows), in words. */
  readonly fixups: readonly string[];
}

/** A link as the page shows it: proposed by the engine (with its match rate) or added by the user. */
export interface FeatureLink {
  readonly child: string;
  readonly childColumn: string;
  readonly parent: string;
  readonly parentColumn: string;
  readonly origin: 'proposed' | 'added';
  readonly confirmed: boolean;
  /** Share of child keys found in the parent (null for a link added by the user, until built). */
  readonly matchRate: number | null;
  readonly text: string;
}

/** The multi-table project the Data screen edits; kept in IndexedDB beside the datasets. */
export interface FeatureProjectState {
  readonly tables: readonly FeatureTableSummary[];
  readonly target: string | null;
  readonly label: string | null;
  readonly links: readonly FeatureLink[];
  /** The engine's refusals (many-to-many, cycles, low match), in words. */
  readonly refused: readonly { readonly reason: string; readonly text: string }[];
  /** Time index per table (table name → date column, or null for none). */
  readonly timeIndex: Readonly<Record<string, string | null>>;
  readonly cutoff: Cutoff | null;
  /** The recipe whose feature table is the dataset in use, and that dataset's name. */
  readonly recipe: Recipe | null;
  readonly builtName: string | null;
}

export interface FeatureSuggestRequest {
  readonly target: string;
  readonly label?: string;
  readonly cutoff?: Cutoff;
  readonly relationships: readonly Relationship[];
  readonly timeIndex: Readonly<Record<string, string | null>>;
  readonly maxFeatures?: number;
}

export interface FeatureSuggestResult {
  readonly recipe: Recipe;
  readonly features: readonly FeatureAssociation[];
  readonly candidates: number;
}

export interface FeaturePreviewResult {
  readonly preview: Preview;
  /** Per relationship used: match rate and child rows without a time, in words. */
  readonly relationships: readonly string[];
  readonly missingCutoff: number;
  readonly warnings: readonly string[];
}

/** A table written as CSV bytes (the data worker reads it as it reads a dropped file). */
export interface FeatureCsv {
  readonly name: string;
  readonly bytes: ArrayBuffer;
  readonly rows: number;
  readonly columns: number;
}

/** A recipe kept in the feature store (src/core/features/store.ts) and whether this save created it. */
export interface StoredRecipeInfo {
  readonly stored: StoredRecipe;
  readonly created: boolean;
}

/** A stored recipe's feature table as CSV, and whether it was the kept one. */
export interface StoredBuild {
  readonly csv: FeatureCsv;
  readonly recipe: Recipe;
  readonly reused: boolean;
  /** When the reused table was computed (epoch ms). */
  readonly computedAt: number;
  readonly warnings: readonly string[];
}

export interface FeaturesWorkerApi {
  /**
   * Read a CSV into the project, named after the file without its extension (a table of that name is
   * replaced); on failure nothing changes.
   */
  addTable(input: LoadInput): Promise<WorkerResult<FeatureTableSummary>>;
  removeTable(name: string): Promise<WorkerResult<true>>;
  /** The engine's proposals (src/core/features proposeRelationships) with `target` as the target table. */
  propose(target: string | null): Promise<WorkerResult<RelationshipProposals>>;
  suggest(request: FeatureSuggestRequest): Promise<WorkerResult<FeatureSuggestResult>>;
  /** The first `rows` rows of the target table with the recipe's features. */
  preview(recipe: Recipe, rows: number): Promise<WorkerResult<FeaturePreviewResult>>;
  /** The target table with the recipe's features, as CSV (transferred). */
  build(recipe: Recipe, name: string): Promise<WorkerResult<FeatureCsv>>;
  /** One table of the project as CSV (to profile it when its file is gone, e.g. after a reload). */
  tableCsv(name: string): Promise<WorkerResult<FeatureCsv>>;
  /** The kept files of the project's tables (their bytes as dropped), e.g. to verify a model by replay. */
  keptFiles(
    names: readonly string[],
  ): Promise<WorkerResult<Readonly<Record<string, { readonly name: string; readonly bytes: ArrayBuffer }>>>>;
  /** Where the recipe's tables are kept, for a training run on its features (issue 20). */
  recipeRun(recipe: Recipe): Promise<WorkerResult<RecipeRun>>;
  /** Keep a recipe in the feature store under `name` (the same content is the same version). */
  storeRecipe(name: string, recipe: Recipe): Promise<WorkerResult<StoredRecipeInfo>>;
  /** The feature store's recipes, by name, each version with its target and features. */
  storedRecipes(): Promise<WorkerResult<readonly StoredRecipeSummary[]>>;
  /**
   * The target table with the features of stored recipe `name@version`, as CSV: the feature table
   * kept for this version on the project's tables (`reused`), else computed and kept.
   */
  buildStored(name: string, version: number, csvName: string): Promise<WorkerResult<StoredBuild>>;
  /** Keep the project (and its tables, already stored as they were added) in IndexedDB. */
  save(state: FeatureProjectState): Promise<WorkerResult<true>>;
  /** The kept project with its tables reloaded into the worker, or null. */
  restore(): Promise<WorkerResult<FeatureProjectState | null>>;
  /** Forget the project and its stored tables. */
  clear(): Promise<WorkerResult<true>>;
}
