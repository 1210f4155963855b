/**
 * State of the Data screen (Svelte 5 runes). One instance per app, shared through context.
 *
 * Big data never lives here: the worker holds the table; this keeps the summaries it sends back
 * (`$state.raw`, replaced wholesale, never deeply proxied).
 */
import { getContext, setContext } from 'svelte';
import type { SemanticType } from '../../core/data/table.ts';
import type { ColumnProfile, Task } from '../../core/profile/types.ts';
import type {
  LoadedDataset,
  LoadOptions,
  LoadProgress,
  PersistProgress,
  StoredDatasetSummary,
  TypeOverrides,
  WorkerFailure,
  WorkerResult,
} from '../../../workers/types.ts';
import {
  estimateMemory,
  memoryLimit,
  rowsWithin,
  SNIFF_BYTES,
  type MemoryEstimate,
} from '../../core/ingest/estimate.ts';
import { assetUrl, DataClient } from './data-client.ts';
import { setDefaultTableSource } from './train-client.ts';

/** localStorage key of the memory limit in MB (`?memoryLimitMB=` in the URL wins). */
export const MEMORY_LIMIT_KEY = 'automl.memoryLimitMB';
/** The seed of a sample when the user does not choose one. */
export const DEFAULT_SAMPLE_SEED = 42;

/** A file whose estimated memory is over the limit: load a sample of it, or all of it anyway. */
export interface SampleOffer {
  readonly file: File;
  readonly estimate: MemoryEstimate;
  readonly limit: number;
  /** Rows that fit under the limit (the suggested sample size). */
  readonly rows: number;
}

/** The memory limit in effect in this page. */
export function pageMemoryLimit(): number {
  const search = typeof location === 'undefined' ? undefined : location.search;
  let stored: string | null = null;
  try {
    stored = typeof localStorage === 'undefined' ? null : localStorage.getItem(MEMORY_LIMIT_KEY);
  } catch {
    // storage blocked
  }
  // navigator.deviceMemory: GiB, rounded and capped by Chromium; undefined in Firefox and Safari.
  const device =
    typeof navigator === 'undefined' ? undefined : (navigator as { deviceMemory?: number }).deviceMemory;
  return memoryLimit(search, stored, device);
}

export interface Sample {
  readonly name: string;
  readonly file: string;
  readonly description: string;
  readonly rows: number;
  readonly columns?: number;
  readonly license: string;
}

export interface LoadingState {
  readonly name: string;
  readonly what: 'load' | 'retype';
  readonly progress: LoadProgress | null;
}

export interface ScreenError extends WorkerFailure {
  /** What the user was doing, for the message heading. */
  readonly during: 'load' | 'retype' | 'profile' | 'samples';
  readonly file?: string;
}

export class DataStore {
  readonly #client: DataClient;
  #seq = 0;

  dataset = $state.raw<LoadedDataset | null>(null);
  loading = $state.raw<LoadingState | null>(null);
  error = $state.raw<ScreenError | null>(null);
  /** Informational notice (e.g. "loading cancelled"), not an error. */
  notice = $state<string | null>(null);
  profiling = $state(false);
  selectedColumn = $state<string | null>(null);
  samples = $state.raw<readonly Sample[]>([]);
  /**
   * The file behind `dataset` (a reference, not a copy). The training worker gets the data worker's
   * table instead (train-client.ts); after a dataset is reopened from storage this is an empty
   * stand-in File with the dataset's name (there is no file then).
   */
  file = $state.raw<File | null>(null);
  /** Datasets kept in the browser's storage (as columns), the last opened first. */
  stored = $state.raw<readonly StoredDatasetSummary[]>([]);
  storedError = $state<string | null>(null);
  /** Saving the loaded dataset to the browser's storage. */
  persisting = $state.raw<{ readonly name: string; readonly progress: PersistProgress | null } | null>(null);
  /** Reopening a stored dataset. */
  restoring = $state.raw<{ readonly name: string; readonly progress: PersistProgress | null } | null>(null);
  /** The file just dropped needs more memory than the limit: the choice offered. */
  offer = $state.raw<SampleOffer | null>(null);
  /** The stored copy of the dataset on screen (once kept, or when reopened), null when none. */
  storedId = $state<string | null>(null);
  #initialized = false;

  /** The chosen target / task as in effect in the profile. */
  readonly target = $derived(this.dataset?.profile.target);
  readonly task = $derived(this.dataset?.profile.task?.task);
  /** Whether the user chose the task (otherwise it is the detected one). */
  taskChosen = $state(false);

  constructor(client: DataClient = new DataClient()) {
    this.#client = client;
    setDefaultTableSource(client);
  }

  /** Once per page: list the stored datasets and reopen the last one (unless a file came first). */
  async init(): Promise<void> {
    if (this.#initialized) return;
    this.#initialized = true;
    const seq = this.#seq;
    const list = await this.#client.storedDatasets();
    if (!list.ok) {
      this.storedError = list.error.message;
      return;
    }
    this.stored = list.value;
    if (list.value.length && seq === this.#seq && !this.dataset) await this.openStored(list.value[0].id);
  }

  async refreshStored(): Promise<void> {
    const list = await this.#client.storedDatasets();
    if (list.ok) {
      this.stored = list.value;
      this.storedError = null;
    } else this.storedError = list.error.message;
  }

  /** Reopen a stored dataset: its columns and profile, no file and no parsing. */
  async openStored(id: string): Promise<void> {
    const seq = ++this.#seq;
    const name = this.stored.find((d) => d.id === id)?.name ?? 'the stored dataset';
    this.error = null;
    this.notice = null;
    this.restoring = { name, progress: null };
    const res = await this.#client.restore(id, (p) => {
      if (seq === this.#seq && this.restoring) this.restoring = { name, progress: p };
    });
    this.restoring = null;
    if (seq !== this.#seq) return; // a newer load or open won
    if (res.ok && res.value) {
      this.dataset = res.value;
      this.storedId = res.value.stored?.id ?? null;
      this.file = new File([], res.value.sourceName, { type: 'text/csv' });
      this.taskChosen = false;
      this.selectedColumn = null;
      void this.refreshStored();
    } else if (!res.ok) this.error = { ...res.error, during: 'load', file: name };
  }

  async deleteStored(id: string): Promise<void> {
    const res = await this.#client.deleteStored(id);
    if (!res.ok) this.storedError = res.error.message;
    if (this.storedId === id) this.storedId = null;
    await this.refreshStored();
  }

  /** Keep the loaded dataset in the browser's storage (progress in `persisting`; cancelPersist stops it). */
  async persist(): Promise<void> {
    const ds = this.dataset;
    if (!ds) return;
    const name = ds.sourceName;
    this.persisting = { name, progress: null };
    const res = await this.#client.persist((p) => {
      if (this.persisting?.name === name) this.persisting = { name, progress: p };
    });
    this.persisting = null;
    if (res.ok) {
      // Not `dataset` itself: replacing it would render the whole Data screen (and what derives from it) again.
      if (this.dataset === ds) this.storedId = res.value.id;
      this.storedError = null;
      await this.refreshStored();
    } else if (res.error.code === 'cancelled')
      this.notice = `${name} was not kept in the browser (cancelled).`;
    else this.storedError = `${name} could not be kept in the browser: ${res.error.message}`;
  }

  cancelPersist(): void {
    this.#client.cancelPersist();
  }
  async loadSamples(baseUrl: string): Promise<void> {
    try {
      const res = await fetch(assetUrl('samples/index.json', baseUrl));
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body = (await res.json()) as { samples?: Sample[] };
      this.samples = body.samples ?? [];
    } catch (err) {
      this.error = {
        code: 'io',
        during: 'samples',
        message: `Could not read the list of bundled samples: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
  }

  async loadSample(sample: Sample, baseUrl: string): Promise<void> {
    let file: File;
    try {
      const res = await fetch(assetUrl(`samples/${encodeURIComponent(sample.file)}`, baseUrl));
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      file = new File([await res.blob()], sample.file, { type: 'text/csv' });
    } catch (err) {
      this.error = {
        code: 'io',
        during: 'load',
        file: sample.file,
        message: `Could not open the sample ${sample.name}: ${err instanceof Error ? err.message : String(err)}`,
      };
      return;
    }
    await this.loadFile(file);
  }

  /**
   * Load a file. A file whose estimated memory (from its size and its first bytes) is over the limit
   * is not loaded: `offer` asks whether to load a sample of it or all of it anyway.
   */
  async loadFile(
    file: File,
    options: { whole?: boolean; sample?: LoadOptions['sample'] } = {},
  ): Promise<void> {
    const seq = ++this.#seq;
    this.offer = null;
    if (!options.whole && !options.sample) {
      const limit = pageMemoryLimit();
      try {
        const head = new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer());
        const estimate = estimateMemory(file.size, head);
        if (seq !== this.#seq) return;
        if (estimate.bytes > limit) {
          this.offer = { file, estimate, limit, rows: Math.min(estimate.rows, rowsWithin(estimate, limit)) };
          return;
        }
      } catch {
        // unreadable here: the worker's load gives the clear error
      }
    }
    this.error = null;
    this.notice = null;
    this.loading = { name: file.name, what: 'load', progress: null };
    // Progress comes over its own port and may arrive after the result: ignore it once settled.
    let settled = false;
    const res = await this.#client.load(file, options.sample ? { sample: options.sample } : {}, (p) => {
      if (!settled && seq === this.#seq) this.loading = { name: file.name, what: 'load', progress: p };
    });
    settled = true;
    if (seq !== this.#seq) return; // superseded by a newer load
    this.loading = null;
    if (res.ok) {
      this.dataset = res.value;
      this.storedId = null;
      this.file = file;
      this.taskChosen = false;
      this.selectedColumn = null;
      void this.persist();
    } else if (res.error.code === 'cancelled') {
      this.notice = `Loading ${file.name} was cancelled.`;
    } else {
      this.error = { ...res.error, during: 'load', file: file.name };
    }
  }

  cancel(): void {
    this.#client.cancel();
  }

  async setTarget(target: string): Promise<void> {
    this.taskChosen = false;
    await this.#reprofile({ target });
  }

  async setTask(task: Task): Promise<void> {
    this.taskChosen = true;
    await this.#reprofile({ target: this.target, task });
  }

  async #reprofile(options: { target?: string; task?: Task }): Promise<void> {
    const ds = this.dataset;
    if (!ds) return;
    const seq = ++this.#seq;
    this.error = null;
    this.profiling = true;
    const res = await this.#client.reprofile(options);
    if (seq !== this.#seq) return;
    this.profiling = false;
    if (res.ok) this.dataset = { ...ds, profile: res.value };
    else this.error = { ...res.error, during: 'profile' };
  }

  /** The full profile of one column, from the worker (for the detail panel). */
  columnProfile(name: string): Promise<WorkerResult<ColumnProfile>> {
    return this.#client.column(name, this.target, this.taskChosen ? this.task : undefined);
  }

  async setType(column: string, type: SemanticType): Promise<void> {
    const ds = this.dataset;
    if (!ds) return;
    const col = ds.schema.find((c) => c.name === column);
    const overrides: Record<string, SemanticType> = { ...ds.typeOverrides };
    if (col && type === col.inferredType) delete overrides[column];
    else overrides[column] = type;
    await this.#retype(ds, overrides);
  }

  async #retype(ds: LoadedDataset, overrides: TypeOverrides): Promise<void> {
    const seq = ++this.#seq;
    this.error = null;
    this.notice = null;
    this.loading = { name: ds.sourceName, what: 'retype', progress: null };
    const options = { target: this.target, task: this.taskChosen ? this.task : undefined };
    let settled = false;
    const res = await this.#client.setTypeOverrides(overrides, options, (p) => {
      if (!settled && seq === this.#seq) this.loading = { name: ds.sourceName, what: 'retype', progress: p };
    });
    settled = true;
    if (seq !== this.#seq) return;
    this.loading = null;
    if (res.ok) {
      this.dataset = res.value;
      this.storedId = null;
      void this.persist();
    } else if (res.error.code === 'cancelled')
      this.notice = 'Changing the type was cancelled; nothing changed.';
    else this.error = { ...res.error, during: 'retype', file: ds.sourceName };
  }

  /** Load a seeded sample of the offered file (stratified on a column when given). */
  async loadOfferedSample(rows: number, stratifyOn?: string, seed = DEFAULT_SAMPLE_SEED): Promise<void> {
    const offer = this.offer;
    if (!offer) return;
    await this.loadFile(offer.file, {
      sample: { rows, seed, ...(stratifyOn ? { stratifyOn } : {}) },
    });
  }

  /** Load all of the offered file anyway. */
  async loadWhole(): Promise<void> {
    const offer = this.offer;
    if (offer) await this.loadFile(offer.file, { whole: true });
  }

  dismissOffer(): void {
    this.offer = null;
  }

  dismissError(): void {
    this.error = null;
  }

  dispose(): void {
    this.#client.dispose();
  }
}

const KEY = Symbol('data-store');

export function setDataStore(store: DataStore): DataStore {
  return setContext(KEY, store);
}

export function getDataStore(): DataStore {
  const store = getContext<DataStore | undefined>(KEY);
  if (!store) throw new Error('DataStore missing from context');
  return store;
}
