/**
 * The page's side of the data worker: creates it, wraps it with comlink, releases proxies, and
 * replaces it when it dies (a crash, or a cancel the worker does not honour in time).
 *
 * The client remembers the last successfully loaded File so that a replacement worker can be given
 * the dataset again before it is asked to re-profile it; the page itself never holds the table.
 */
import { proxy, releaseProxy, transfer, wrap, type Remote } from 'comlink';
import type {
  DataWorkerApi,
  LoadedDataset,
  LoadInput,
  LoadOptions,
  PersistProgress,
  ProfileSummary,
  ProgressCallback,
  StoredDatasetSummary,
  TypeOverrides,
  WorkerFailure,
  WorkerResult,
} from '../../../workers/types.ts';
import type { ColumnProfile, Task } from '../../core/profile/types.ts';

/** A URL of a bundled asset (e.g. a sample) relative to the app's base. */
export function assetUrl(path: string, baseUrl: string): string {
  return new URL(path, baseUrl).href;
}

/** How long a cancelled load may take to stop before the worker is terminated instead. */
const CANCEL_GRACE_MS = 2000;

export type WorkerFactory = () => Worker;

export const defaultWorkerFactory: WorkerFactory = () =>
  new Worker(new URL('../../../workers/data.worker.ts', import.meta.url), {
    type: 'module',
    name: 'data',
  });

interface Instance {
  readonly worker: Worker;
  readonly remote: Remote<DataWorkerApi>;
  /** Settles (never resolves) when the worker dies. */
  readonly died: Promise<never>;
  dead: boolean;
  /** Does this worker hold the last good dataset? */
  hasDataset: boolean;
}

interface Pending {
  readonly settle: () => void;
  timer?: ReturnType<typeof setTimeout>;
}

const fail = (code: WorkerFailure['code'], message: string): { ok: false; error: WorkerFailure } => ({
  ok: false,
  error: { code, message },
});

export class DataClient {
  #factory: WorkerFactory;
  #instance: Instance | null = null;
  #lastGood:
    { input: File; overrides: TypeOverrides; sample?: LoadOptions['sample'] } | { storedId: string } | null =
    null;
  /** The load in progress, which cancel() can settle; a newer load replaces it. */
  #pendingCancel: Pending | null = null;

  constructor(factory: WorkerFactory = defaultWorkerFactory) {
    this.#factory = factory;
  }

  #spawn(): Instance {
    const worker = this.#factory();
    let onDeath!: (reason: WorkerFailure) => void;
    const died = new Promise<never>((_, reject) => (onDeath = reject));
    died.catch(() => {}); // observed by the calls racing it
    const inst: Instance = {
      worker,
      remote: wrap<DataWorkerApi>(worker),
      died,
      dead: false,
      hasDataset: false,
    };
    const kill = (message: string): void => {
      if (inst.dead) return;
      inst.dead = true;
      onDeath({ code: 'worker-died', message });
      this.#dispose(inst);
    };
    worker.addEventListener('error', (e) => {
      e.preventDefault();
      kill(
        `The data worker stopped unexpectedly${e.message ? `: ${e.message}` : ''}. Your data is still on screen; try again.`,
      );
    });
    worker.addEventListener('messageerror', () =>
      kill('The data worker sent a message that could not be read.'),
    );
    return inst;
  }

  #dispose(inst: Instance): void {
    inst.dead = true;
    try {
      inst.remote[releaseProxy]();
    } catch {
      // already released
    }
    inst.worker.terminate();
    if (this.#instance === inst) this.#instance = null;
  }

  #get(): Instance {
    if (!this.#instance || this.#instance.dead) this.#instance = this.#spawn();
    return this.#instance;
  }

  async #call<T>(inst: Instance, run: () => Promise<WorkerResult<T>>): Promise<WorkerResult<T>> {
    try {
      return await Promise.race([run(), inst.died]);
    } catch (err) {
      if (err && typeof err === 'object' && 'code' in err && 'message' in err) {
        return { ok: false, error: err as WorkerFailure };
      }
      return fail('internal', `The data worker failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Read a file in the worker. Bytes inputs are transferred (not copied) and cannot be re-read later. */
  async load(
    input: LoadInput,
    options: LoadOptions,
    onProgress?: ProgressCallback,
  ): Promise<WorkerResult<LoadedDataset>> {
    const inst = this.#get();
    const cb = onProgress ? proxy(onProgress) : undefined;
    const arg = input instanceof Blob ? input : transfer(input, [input.bytes]);
    const [cancelled, pending] = this.#cancellable<LoadedDataset>(`Loading ${input.name} was cancelled`);
    const res = await Promise.race([this.#call(inst, () => inst.remote.load(arg, options, cb)), cancelled]);
    this.#settled(pending);
    if (res.ok) {
      this.#markLoaded(inst, input, res.value.typeOverrides, options.sample);
    }
    return res;
  }

  #markLoaded(
    inst: Instance,
    input: LoadInput,
    overrides: TypeOverrides,
    sample?: LoadOptions['sample'],
  ): void {
    inst.hasDataset = true;
    this.#lastGood = input instanceof File ? { input, overrides, ...(sample ? { sample } : {}) } : null;
  }

  /** Make sure the current worker holds the last good dataset (after a replacement). */
  async #ensureDataset(inst: Instance, target?: string, task?: Task): Promise<WorkerResult<true>> {
    if (inst.hasDataset) return { ok: true, value: true };
    const last = this.#lastGood;
    if (!last) return fail('no-dataset', 'The dataset is no longer in memory: load the file again.');
    if ('storedId' in last) {
      const res = await this.#call(inst, () => inst.remote.restore(last.storedId));
      if (!res.ok) return res;
      if (!res.value) return fail('no-dataset', 'The stored dataset is gone: load the file again.');
      inst.hasDataset = true;
      return { ok: true, value: true };
    }
    const { input, overrides, sample } = last;
    const res = await this.#call(inst, () =>
      inst.remote.load(input, { typeOverrides: overrides, target, task, ...(sample ? { sample } : {}) }),
    );
    if (!res.ok) return res;
    inst.hasDataset = true;
    return { ok: true, value: true };
  }

  async column(name: string, target?: string, task?: Task): Promise<WorkerResult<ColumnProfile>> {
    const inst = this.#get();
    const ready = await this.#ensureDataset(inst, target, task);
    if (!ready.ok) return ready;
    return this.#call(inst, () => inst.remote.column(name));
  }

  async reprofile(options: { target?: string; task?: Task }): Promise<WorkerResult<ProfileSummary>> {
    const inst = this.#get();
    const ready = await this.#ensureDataset(inst, options.target, options.task);
    if (!ready.ok) return ready;
    return this.#call(inst, () => inst.remote.reprofile(options));
  }

  async setTypeOverrides(
    overrides: TypeOverrides,
    options: { target?: string; task?: Task },
    onProgress?: ProgressCallback,
  ): Promise<WorkerResult<LoadedDataset>> {
    const inst = this.#get();
    const last = this.#lastGood;
    if (!inst.hasDataset && last && 'input' in last) {
      // A fresh worker: read the kept file directly with the new choices.
      return this.load(
        last.input,
        { ...options, typeOverrides: overrides, ...(last.sample ? { sample: last.sample } : {}) },
        onProgress,
      );
    }
    const cb = onProgress ? proxy(onProgress) : undefined;
    const [cancelled, pending] = this.#cancellable<LoadedDataset>('Re-reading the file was cancelled');
    const res = await Promise.race([
      this.#call(inst, () => inst.remote.setTypeOverrides(overrides, options, cb)),
      cancelled,
    ]);
    this.#settled(pending);
    if (res.ok && this.#lastGood && 'input' in this.#lastGood)
      this.#lastGood = { ...this.#lastGood, overrides: res.value.typeOverrides };
    return res;
  }

  // --- The table for the training worker, and datasets kept in the browser's storage (issue 21).

  /** The key of the loaded table (file SHA-256, type choices, sample), null when none is loaded. */
  async tableKey(): Promise<string | null> {
    const inst = this.#instance;
    if (!inst || inst.dead || !inst.hasDataset) return null;
    try {
      return await Promise.race([inst.remote.tableKey(), inst.died]);
    } catch {
      return null;
    }
  }

  /**
   * Have the data worker post the loaded table (a copy, or shared buffers) on `port`, the other end of
   * which goes to the training worker: the table never passes through this thread.
   */
  async sendTable(port: MessagePort): Promise<WorkerResult<{ readonly key: string }>> {
    const inst = this.#get();
    const ready = await this.#ensureDataset(inst);
    if (!ready.ok) return ready;
    return this.#call(inst, () => inst.remote.sendTable(transfer(port, [port])));
  }

  /** Keep the loaded dataset in the browser's storage, as columns (cancel with cancelPersist). */
  async persist(onProgress?: (p: PersistProgress) => void): Promise<WorkerResult<StoredDatasetSummary>> {
    const inst = this.#get();
    const ready = await this.#ensureDataset(inst);
    if (!ready.ok) return ready;
    const res = await this.#call(inst, () => inst.remote.persist(onProgress ? proxy(onProgress) : undefined));
    if (res.ok && this.#lastGood === null) this.#lastGood = { storedId: res.value.id };
    return res;
  }

  cancelPersist(): void {
    void this.#instance?.remote.cancelPersist().catch(() => {});
  }

  async storedDatasets(): Promise<WorkerResult<readonly StoredDatasetSummary[]>> {
    const inst = this.#get();
    return this.#call(inst, () => inst.remote.storedDatasets());
  }

  /** Reopen a stored dataset (the last opened when no id); null value when none is stored. */
  async restore(
    id?: string,
    onProgress?: (p: PersistProgress) => void,
  ): Promise<WorkerResult<LoadedDataset | null>> {
    const inst = this.#get();
    const res = await this.#call(inst, () =>
      inst.remote.restore(id, onProgress ? proxy(onProgress) : undefined),
    );
    if (res.ok && res.value?.stored) {
      inst.hasDataset = true;
      this.#lastGood = { storedId: res.value.stored.id };
    }
    return res;
  }

  async deleteStored(id: string): Promise<WorkerResult<true>> {
    const inst = this.#get();
    const res = await this.#call(inst, () => inst.remote.deleteStored(id));
    if (res.ok && this.#lastGood && 'storedId' in this.#lastGood && this.#lastGood.storedId === id)
      this.#lastGood = null;
    return res;
  }

  #cancellable<T>(message: string): [Promise<WorkerResult<T>>, Pending] {
    let pending!: Pending;
    const promise = new Promise<WorkerResult<T>>((resolve) => {
      pending = { settle: () => resolve(fail('cancelled', message)) };
    });
    this.#pendingCancel = pending;
    return [promise, pending];
  }

  #settled(pending: Pending): void {
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    if (this.#pendingCancel === pending) this.#pendingCancel = null;
  }

  /** Cancel the load in progress. If the worker does not stop in time it is replaced. */
  cancel(): void {
    const inst = this.#instance;
    const pending = this.#pendingCancel;
    if (!inst || !pending || pending.timer !== undefined) return;
    void inst.remote.cancel().catch(() => {});
    pending.timer = setTimeout(() => {
      if (this.#pendingCancel !== pending) return;
      // The worker is stuck in a long synchronous step: replace it (the File is kept for later).
      this.#dispose(inst);
      pending.settle();
    }, CANCEL_GRACE_MS);
  }

  dispose(): void {
    if (this.#instance) this.#dispose(this.#instance);
  }
}
