/**
 * The page's side of the training worker: creates it on first use, wraps it with comlink, releases
 * proxies, turns a dead worker into a clear error (the next call starts a new one), and stops a
 * training that does not honour Stop in time (a synchronous GBDT fit only sees messages at the end)
 * by terminating the worker.
 */
import { proxy, releaseProxy, wrap, type Remote } from 'comlink';
import type {
  AdapterReport,
  PipelinePreview,
  PipelineRequest,
  SearchJob,
  SearchOutcome,
  SearchProgressCallback,
  TrainFailure,
  TrainJob,
  TrainOutcome,
  TrainProgressCallback,
  TrainResult,
  TrainWorkerApi,
} from '../../../workers/types.ts';

/** How long Stop waits for the worker to finish the current round before terminating it. */
const STOP_GRACE_MS = 3000;

export type TrainWorkerFactory = () => Worker;

export const defaultTrainWorkerFactory: TrainWorkerFactory = () =>
  new Worker(new URL('../../../workers/train.worker.ts', import.meta.url), {
    type: 'module',
    name: 'train',
  });

interface Instance {
  readonly worker: Worker;
  readonly remote: Remote<TrainWorkerApi>;
  /** Rejects (never resolves) when the worker dies or is terminated. */
  readonly died: Promise<never>;
  kill(failure: TrainFailure): void;
  dead: boolean;
}

export class TrainClient {
  readonly #factory: TrainWorkerFactory;
  #instance: Instance | null = null;
  #stopTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(factory: TrainWorkerFactory = defaultTrainWorkerFactory) {
    this.#factory = factory;
  }

  #spawn(): Instance {
    const worker = this.#factory();
    let reject!: (f: TrainFailure) => void;
    const died = new Promise<never>((_, r) => (reject = r));
    died.catch(() => {});
    const inst: Instance = {
      worker,
      remote: wrap<TrainWorkerApi>(worker),
      died,
      dead: false,
      kill: (failure) => {
        if (inst.dead) return;
        inst.dead = true;
        reject(failure);
        try {
          inst.remote[releaseProxy]();
        } catch {
          // already released
        }
        worker.terminate();
        if (this.#instance === inst) this.#instance = null;
      },
    };
    worker.addEventListener('error', (e) => {
      e.preventDefault();
      inst.kill({
        code: 'worker-died',
        message: `The training worker stopped unexpectedly${e.message ? `: ${e.message}` : ''}. Try again.`,
      });
    });
    worker.addEventListener('messageerror', () =>
      inst.kill({
        code: 'worker-died',
        message: 'The training worker sent a message that could not be read.',
      }),
    );
    return inst;
  }

  #get(): Instance {
    if (!this.#instance || this.#instance.dead) this.#instance = this.#spawn();
    return this.#instance;
  }

  async #call<T>(inst: Instance, run: () => Promise<TrainResult<T>>): Promise<TrainResult<T>> {
    try {
      return await Promise.race([run(), inst.died]);
    } catch (err) {
      if (err && typeof err === 'object' && 'code' in err && 'message' in err)
        return { ok: false, error: err as TrainFailure };
      return {
        ok: false,
        error: { code: 'internal', message: `The training worker failed: ${(err as Error)?.message ?? err}` },
      };
    }
  }

  async probe(): Promise<AdapterReport | null> {
    const inst = this.#get();
    try {
      return await Promise.race([inst.remote.probe(), inst.died]);
    } catch {
      return null;
    }
  }

  async train(job: TrainJob, onProgress?: TrainProgressCallback): Promise<TrainResult<TrainOutcome>> {
    const inst = this.#get();
    const cb = onProgress ? proxy(onProgress) : undefined;
    try {
      return await this.#call(inst, () => inst.remote.train(job, cb));
    } finally {
      if (this.#stopTimer !== undefined) clearTimeout(this.#stopTimer);
      this.#stopTimer = undefined;
    }
  }

  /**
   * Run an AutoML search in the worker. Stop ends the search (running trials stop at their next
   * round) and the best model so far is refitted; `cancel()` ends it at once, keeping nothing.
   */
  async search(job: SearchJob, onProgress?: SearchProgressCallback): Promise<TrainResult<SearchOutcome>> {
    const inst = this.#get();
    const cb = onProgress ? proxy(onProgress) : undefined;
    return this.#call(inst, () => inst.remote.search(job, cb));
  }

  /** Ask the search in progress to stop gracefully (no forced termination: the refit follows). */
  stopSearch(): void {
    const inst = this.#instance;
    if (inst && !inst.dead) void inst.remote.stop().catch(() => {});
  }

  /** End whatever the worker is doing now, by terminating it (nothing is kept). */
  cancel(message: string): void {
    this.#instance?.kill({ code: 'stopped', message });
  }

  /** Stop the training in progress: gracefully, or by terminating the worker after a grace period. */
  stop(): void {
    const inst = this.#instance;
    if (!inst || inst.dead || this.#stopTimer !== undefined) return;
    void inst.remote.stop().catch(() => {});
    this.#stopTimer = setTimeout(() => {
      this.#stopTimer = undefined;
      inst.kill({
        code: 'stopped',
        message: 'Training was stopped before it finished a round; no model was kept.',
      });
    }, STOP_GRACE_MS);
  }

  async pipeline(request: PipelineRequest): Promise<TrainResult<PipelinePreview>> {
    const inst = this.#get();
    return this.#call(inst, () => inst.remote.pipeline(request));
  }

  dispose(): void {
    if (this.#stopTimer !== undefined) clearTimeout(this.#stopTimer);
    this.#instance?.kill({ code: 'worker-died', message: 'closed' });
  }
}
