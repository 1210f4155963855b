/**
 * The page's side of the training worker: creates it on first use, wraps it with comlink, releases
 * proxies, turns a dead worker into a clear error (the next call starts a new one), and stops a
 * training that does not honour Stop in time (a synchronous GBDT fit only sees messages at the end)
 * by terminating the worker.
 */
import { proxy } from 'comlink';
import { WorkerSlot, type WorkerInstance } from './worker-slot.ts';
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

type Instance = WorkerInstance<TrainWorkerApi, TrainFailure>;

export class TrainClient {
  readonly #slot: WorkerSlot<TrainWorkerApi, TrainFailure>;
  #stopTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(factory: TrainWorkerFactory = defaultTrainWorkerFactory) {
    this.#slot = new WorkerSlot(factory, { label: 'training' });
  }

  #get(): Instance {
    return this.#slot.get();
  }

  #call<T>(inst: Instance, run: () => Promise<TrainResult<T>>): Promise<TrainResult<T>> {
    return this.#slot.call(inst, run);
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
    void this.#slot.current?.remote.stop().catch(() => {});
  }

  /** End whatever the worker is doing now, by terminating it (nothing is kept). */
  cancel(message: string): void {
    this.#slot.kill({ code: 'stopped', message });
  }

  /** Stop the training in progress: gracefully, or by terminating the worker after a grace period. */
  stop(): void {
    const inst = this.#slot.current;
    if (!inst || this.#stopTimer !== undefined) return;
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
    this.#slot.kill({ code: 'worker-died', message: 'closed' });
  }
}
