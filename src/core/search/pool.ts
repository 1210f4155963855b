/**
 * A pool of trial workers behind the `TrialExecutor` interface, independent of the worker technology:
 * `spawn()` returns a `TrialWorkerHandle` (a comlink-wrapped Web Worker in workers/pool.ts, a
 * worker_threads Worker in src/cli/worker-pool.ts, or a fake in tests).
 *
 * - Workers start lazily (at most `size`), get the search data once (`init`) and then run one trial
 *   at a time; further trials wait for a free worker.
 * - A worker that dies (uncaught error, exit, failed start) fails only the trial it was running
 *   (state FAILED, reason 'error', error 'worker crashed: …'); it is dropped and a new worker is
 *   spawned the next time one is needed, so the search goes on.
 * - Stop (`hooks.signal`): the worker is asked to stop; if it has not answered within
 *   `stopGraceMs` (default 500 ms; a synchronous boosting fold cannot hear the message) it is
 *   terminated and the trial ends PRUNED 'aborted'.
 * - `close()` terminates every worker (idle ones at the end of a search).
 */
import type { SearchContext, SearchData } from './context.ts';
import type { TrialHooks, TrialTask } from './evaluate-trial.ts';
import type { TrialExecutor } from './executor.ts';
import type { RungRecord } from './study.ts';
import type { ReportFn, WireTrialOutcome } from './trial-endpoint.ts';

/** One worker as the pool drives it. */
export interface TrialWorkerHandle {
  init(data: SearchData): Promise<void>;
  /** The report callback is a plain function; the handle proxies it across the boundary. */
  evaluate(task: TrialTask, report: ReportFn): Promise<WireTrialOutcome>;
  /** Best effort: asks the running trial to stop at its next round. */
  stop(): void;
  /** Ends the worker now (releases proxies first). */
  terminate(): void;
  /** Resolves (never rejects) with a reason when the worker dies on its own. */
  readonly died: Promise<string>;
}

export interface TrialPoolOptions {
  /** Number of workers (≥ 1). */
  readonly size: number;
  readonly spawn: () => TrialWorkerHandle;
  /** How long a stopped trial may take to answer before its worker is terminated (default 500). */
  readonly stopGraceMs?: number;
}

export interface TrialPool extends TrialExecutor {
  /**
   * Terminates the worker running trial `trialId`, which fails with 'worker crashed: <why>'; a new
   * worker replaces it. False when no worker runs that trial.
   */
  kill(trialId: string, why?: string): boolean;
  /** Workers started and workers lost so far. */
  readonly stats: { readonly spawned: number; readonly crashed: number; readonly alive: number };
}

interface Slot {
  readonly handle: TrialWorkerHandle;
  ready: Promise<void>;
  dead: string | null;
  trial: string | null;
  kill?: (why: string) => void;
}

/** Default pool size for a machine: cores − 1, at least 1. */
export function defaultPoolSize(cores: number | undefined): number {
  return Math.max(1, Math.floor((cores ?? 2) - 1));
}

export function createTrialPool(options: TrialPoolOptions): TrialPool {
  if (!(Number.isInteger(options.size) && options.size >= 1))
    throw new Error(`a trial pool needs size ≥ 1, got ${options.size}`);
  const size = options.size;
  const grace = options.stopGraceMs ?? 500;
  let data: SearchData | undefined;
  let closed = false;
  const all = new Set<Slot>();
  const idle: Slot[] = [];
  const waiters: ((s: Slot) => void)[] = [];
  const stats = { spawned: 0, crashed: 0 };

  const bury = (slot: Slot, reason: string) => {
    if (slot.dead === null) slot.dead = reason;
    all.delete(slot);
    const at = idle.indexOf(slot);
    if (at >= 0) idle.splice(at, 1);
  };

  const spawnSlot = (): Slot => {
    if (!data) throw new Error('trial pool: init() was not called');
    const handle = options.spawn();
    stats.spawned++;
    const slot: Slot = { handle, ready: Promise.resolve(), dead: null, trial: null };
    void handle.died.then((reason) => {
      if (slot.dead === null) stats.crashed++;
      bury(slot, reason);
    });
    const d = data;
    slot.ready = Promise.race([handle.init(d), handle.died.then((r) => Promise.reject(new Error(r)))]);
    slot.ready.catch(() => undefined);
    all.add(slot);
    return slot;
  };

  const acquire = (): Promise<Slot> => {
    while (idle.length) {
      const s = idle.shift()!;
      if (s.dead === null) return Promise.resolve(s);
    }
    if (all.size < size) return Promise.resolve(spawnSlot());
    return new Promise((resolve) => waiters.push(resolve));
  };

  const release = (slot: Slot) => {
    slot.trial = null;
    slot.kill = undefined;
    if (closed) {
      slot.handle.terminate();
      bury(slot, 'closed');
      return;
    }
    if (slot.dead !== null) {
      bury(slot, slot.dead);
      const next = waiters.shift();
      if (next) next(spawnSlot());
      return;
    }
    const next = waiters.shift();
    if (next) next(slot);
    else idle.push(slot);
  };

  const now = () => performance.now();
  /** What a trial still waiting for a worker gets after close(): it ends 'aborted' at once. */
  const closedSlot = (): Slot => ({
    handle: {
      init: async () => undefined,
      evaluate: () => new Promise<WireTrialOutcome>(() => undefined),
      stop: () => undefined,
      terminate: () => undefined,
      died: new Promise<string>(() => undefined),
    },
    ready: Promise.resolve(),
    dead: 'closed',
    trial: null,
  });

  return {
    concurrency: size,
    get stats() {
      return { ...stats, alive: all.size };
    },
    async init(d: SearchData, _local: SearchContext) {
      data = d;
      closed = false;
    },
    kill(trialId, why = 'killed') {
      for (const s of all) {
        if (s.trial === trialId && s.kill) {
          s.kill(why);
          return true;
        }
      }
      return false;
    },
    async evaluate(task: TrialTask, hooks: TrialHooks): Promise<WireTrialOutcome> {
      const start = now();
      const rungs: RungRecord[] = [];
      const failed = (error: string): WireTrialOutcome => ({
        result: {
          state: 'FAILED',
          reason: 'error',
          error,
          rungs: rungs.slice(),
          durations: { total: (now() - start) / 1000 },
        },
      });
      const aborted = (): WireTrialOutcome => ({
        result: {
          state: 'PRUNED',
          reason: 'aborted',
          rungs: rungs.slice(),
          durations: { total: (now() - start) / 1000 },
        },
      });
      if (closed) return aborted();
      const slot = await acquire();
      slot.trial = task.id;
      try {
        if (hooks.signal?.aborted || (closed && slot.dead !== null)) return aborted();
        try {
          await slot.ready;
        } catch (err) {
          slot.handle.terminate();
          if (slot.dead === null) stats.crashed++;
          slot.dead ??= 'failed to start';
          return failed(`worker crashed: ${(err as Error).message ?? String(err)}`);
        }
        // Time spent waiting for a worker (and its start) counts against the trial's time limit.
        const waited = now() - start;
        const sent: TrialTask =
          task.timeLimitMs === undefined
            ? task
            : { ...task, timeLimitMs: Math.max(0, task.timeLimitMs - waited) };
        const report: ReportFn = (step, value) => {
          const answer = hooks.report?.(step, value);
          const record = (a: unknown) => {
            rungs.push({ budget: step, value, decision: a === 'prune' ? 'prune' : 'continue' });
            return a as ReturnType<ReportFn>;
          };
          return answer && typeof (answer as Promise<unknown>).then === 'function'
            ? (answer as Promise<unknown>).then(record)
            : record(answer);
        };
        return await new Promise<WireTrialOutcome>((resolve) => {
          let done = false;
          let stopTimer: ReturnType<typeof setTimeout> | undefined;
          let poll: ReturnType<typeof setInterval> | undefined;
          const finish = (o: WireTrialOutcome) => {
            if (done) return;
            done = true;
            if (stopTimer !== undefined) clearTimeout(stopTimer);
            if (poll !== undefined) clearInterval(poll);
            sig?.removeEventListener?.('abort', onAbort);
            resolve(o);
          };
          const onAbort = () => {
            if (done || stopTimer !== undefined) return;
            try {
              slot.handle.stop();
            } catch {
              // the worker is gone; `died` settles it
            }
            stopTimer = setTimeout(() => {
              slot.dead ??= 'stopped';
              slot.handle.terminate();
              finish(aborted());
            }, grace);
          };
          slot.kill = (why) => {
            if (slot.dead === null) stats.crashed++;
            slot.dead ??= why;
            slot.handle.terminate();
            finish(failed(`worker crashed: ${why}`));
          };
          const sig = hooks.signal as
            | (TrialHooks['signal'] & {
                addEventListener?: (t: 'abort', f: () => void) => void;
                removeEventListener?: (t: 'abort', f: () => void) => void;
              })
            | undefined;
          if (sig?.addEventListener) sig.addEventListener('abort', onAbort);
          else if (sig) poll = setInterval(() => sig.aborted && onAbort(), 100);
          slot.handle.evaluate(sent, report).then(finish, (err: unknown) => {
            // A rejected call: the trial's own error, or the worker went away mid-call.
            if (slot.dead !== null) finish(failed(`worker crashed: ${slot.dead}`));
            else finish(failed((err as Error)?.message ?? String(err)));
          });
          void slot.handle.died.then((reason) => finish(failed(`worker crashed: ${reason}`)));
        });
      } finally {
        release(slot);
      }
    },
    async close() {
      closed = true;
      for (const s of [...all]) {
        if (s.trial === null) {
          s.handle.terminate();
          bury(s, 'closed');
        }
      }
      for (const w of waiters.splice(0)) w(closedSlot());
    },
  };
}
