/**
 * One comlink-wrapped worker at a time, shared by the page's worker clients (train, bundle): the
 * worker is created on first use, a crash or an unreadable message kills it with a clear failure
 * value (the next call starts a new one), a kill releases the proxy and terminates the worker, and
 * every call races the worker's death so it always settles with a result, never a thrown error.
 */
import { releaseProxy, wrap, type Remote } from 'comlink';

/** What a client's calls resolve with when they fail (each client has its own codes). */
export interface SlotFailure {
  readonly code: string;
  readonly message: string;
}

export interface WorkerInstance<Api, F extends SlotFailure> {
  readonly worker: Worker;
  readonly remote: Remote<Api>;
  /** Rejects (never resolves) with the failure when the worker dies or is terminated. */
  readonly died: Promise<never>;
  dead: boolean;
  /** Terminate the worker; calls racing `died` settle with `failure`. */
  kill(failure: F): void;
}

export interface WorkerSlotOptions {
  /** How the worker is named in messages: "The {label} worker stopped unexpectedly…". */
  readonly label: string;
  /** What to tell the user after the crash message (default "Try again."). */
  readonly afterCrash?: string;
}

export class WorkerSlot<Api, F extends SlotFailure> {
  readonly #factory: () => Worker;
  readonly #label: string;
  readonly #afterCrash: string;
  #instance: WorkerInstance<Api, F> | null = null;

  constructor(factory: () => Worker, options: WorkerSlotOptions) {
    this.#factory = factory;
    this.#label = options.label;
    this.#afterCrash = options.afterCrash ?? 'Try again.';
  }

  /** The live worker, if there is one (never starts one). */
  get current(): WorkerInstance<Api, F> | null {
    return this.#instance && !this.#instance.dead ? this.#instance : null;
  }

  /** The live worker, started if there is none. */
  get(): WorkerInstance<Api, F> {
    if (!this.#instance || this.#instance.dead) this.#instance = this.#spawn();
    return this.#instance;
  }

  /** Kill the live worker, if any. */
  kill(failure: F): void {
    this.#instance?.kill(failure);
  }

  /**
   * Run a call on `inst`, settling with a failure value when the worker dies first or the call
   * throws (a thrown `{ code, message }` is passed on as it is; anything else becomes 'internal').
   */
  async call<R>(
    inst: WorkerInstance<Api, F>,
    run: () => Promise<R>,
  ): Promise<R | { readonly ok: false; readonly error: F }> {
    try {
      return await Promise.race([run(), inst.died]);
    } catch (err) {
      if (err && typeof err === 'object' && 'code' in err && 'message' in err)
        return { ok: false, error: err as F };
      const reason = err instanceof Error ? err.message : String(err);
      return {
        ok: false,
        error: { code: 'internal', message: `The ${this.#label} worker failed: ${reason}` } as F,
      };
    }
  }

  #spawn(): WorkerInstance<Api, F> {
    const worker = this.#factory();
    let reject!: (f: F) => void;
    const died = new Promise<never>((_, r) => (reject = r));
    died.catch(() => {}); // observed by the calls racing it
    const inst: WorkerInstance<Api, F> = {
      worker,
      remote: wrap<Api>(worker),
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
    const crash = (message: string) => inst.kill({ code: 'worker-died', message } as F);
    worker.addEventListener('error', (e) => {
      e.preventDefault();
      crash(
        `The ${this.#label} worker stopped unexpectedly${e.message ? `: ${e.message}` : ''}. ${this.#afterCrash}`,
      );
    });
    worker.addEventListener('messageerror', () =>
      crash(`The ${this.#label} worker sent a message that could not be read.`),
    );
    return inst;
  }
}
