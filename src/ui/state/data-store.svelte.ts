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
  LoadProgress,
  TypeOverrides,
  WorkerFailure,
  WorkerResult,
} from '../../../workers/types.ts';
import { assetUrl, DataClient } from './data-client.ts';

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
  /** The file behind `dataset` (a reference, not a copy): the training worker reads it again. */
  file = $state.raw<File | null>(null);

  /** The chosen target / task as in effect in the profile. */
  readonly target = $derived(this.dataset?.profile.target);
  readonly task = $derived(this.dataset?.profile.task?.task);
  /** Whether the user chose the task (otherwise it is the detected one). */
  taskChosen = $state(false);

  constructor(client: DataClient = new DataClient()) {
    this.#client = client;
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

  async loadFile(file: File): Promise<void> {
    const seq = ++this.#seq;
    this.error = null;
    this.notice = null;
    this.loading = { name: file.name, what: 'load', progress: null };
    // Progress comes over its own port and may arrive after the result: ignore it once settled.
    let settled = false;
    const res = await this.#client.load(file, {}, (p) => {
      if (!settled && seq === this.#seq) this.loading = { name: file.name, what: 'load', progress: p };
    });
    settled = true;
    if (seq !== this.#seq) return; // superseded by a newer load
    this.loading = null;
    if (res.ok) {
      this.dataset = res.value;
      this.file = file;
      this.taskChosen = false;
      this.selectedColumn = null;
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
    if (res.ok) this.dataset = res.value;
    else if (res.error.code === 'cancelled')
      this.notice = 'Changing the type was cancelled; nothing changed.';
    else this.error = { ...res.error, during: 'retype', file: ds.sourceName };
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
