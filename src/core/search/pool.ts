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
 * - Start-up under a clock (a task with `timeLimitMs`: a time-budgeted search): workers start one at
 *   a time, and a further worker only when its start-up fits — the slowest start-up measured so far
 *   at most 1 / `STARTUP_FIT` of the time the trial has left; otherwise the trial waits for a busy
 *   worker. A worker's start (its thread, the modules, the table copied in, the split plan) cannot be
 *   cut by the clock: two of them started together on a loaded 2-core machine (load 12–20, 300,000
 *   rows) took most of a 60 s search phase, both first trials were cut before their first level and
 *   the rescue fit after the deadline took the run to 90 s. Without a clock (trial-count searches)
 *   workers start as before: all at once.
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

/**
 * A further worker starts only when the slowest start-up so far fits this many times in the time the
 * trial has left (so that at least as much again is left for the trial itself once it started).
 */
export const STARTUP_FIT = 2;

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
  /**
   * Workers started and lost so far, and how long each start took (spawn to ready, ms; in start
   * order; failed starts not counted).
   */
  readonly stats: {
    readonly spawned: number;
    readonly crashed: number;
    readonly alive: number;
    readonly startupMs: readonly number[];
  };
}

interface Slot {
  readonly handle: TrialWorkerHandle;
  ready: Promise<void>;
  /** Until its start-up ended (ready or failed). */
  starting: boolean;
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
  // Trials waiting for a worker; `done` once served (by a freed worker, or a start-up that ended).
  const waiters: { give: (s: Slot | null) => void; done: boolean }[] = [];
  const stats = { spawned: 0, crashed: 0 };
  const startupMs: number[] = [];

  const bury = (slot: Slot, reason: string) => {
    if (slot.dead === null) slot.dead = reason;
    all.delete(slot);
    const at = idle.indexOf(slot);
    if (at >= 0) idle.splice(at, 1);
  };

  const spawnSlot = (): Slot => {
    if (!data) throw new Error('trial pool: init() was not called');
    const t0 = now();
    const handle = options.spawn();
    stats.spawned++;
    const slot: Slot = { handle, ready: Promise.resolve(), starting: true, dead: null, trial: null };
    void handle.died.then((reason) => {
      if (slot.dead === null) stats.crashed++;
      bury(slot, reason);
    });
    const d = data;
    slot.ready = Promise.race([handle.init(d), handle.died.then((r) => Promise.reject(new Error(r)))]);
    slot.ready.then(
      () => startupMs.push(now() - t0),
      () => undefined,
    );
    void slot.ready
      .catch(() => undefined)
      .then(() => {
        slot.starting = false;
        // a trial waiting for this start-up to end may now start a worker of its own
        for (const w of waiters.splice(0)) {
          if (w.done) continue;
          w.done = true;
          w.give(null);
        }
      });
    all.add(slot);
    return slot;
  };

  /** Whether a further worker's start-up fits in the time a trial started at `start` has left. */
  const startupFits = (task: TrialTask, start: number): boolean => {
    if (task.timeLimitMs === undefined) return true;
    if (!startupMs.length) return false;
    const left = task.timeLimitMs - (now() - start);
    return left > STARTUP_FIT * Math.max(...startupMs);
  };

  /** Waits for a freed worker, or for a start-up under way to end (null: look again). */
  const wait = (): Promise<Slot | null> =>
    new Promise((resolve) => waiters.push({ give: resolve, done: false }));

  const acquire = async (task: TrialTask, start: number): Promise<Slot> => {
    for (;;) {
      if (closed) return closedSlot();
      while (idle.length) {
        const s = idle.shift()!;
        if (s.dead === null) return s;
      }
      if (all.size < size) {
        // no clock: start at once; a clock: one start-up at a time, a further one only when it fits
        const clocked = task.timeLimitMs !== undefined;
        if (all.size === 0 || !clocked) return spawnSlot();
        const starting = [...all].some((s) => s.starting);
        if (!starting && startupFits(task, start)) return spawnSlot();
        if (starting) {
          const got = await wait();
          if (got) return got;
          continue;
        }
      }
      const got = await wait();
      if (got) return got;
    }
  };

  /** Hands a worker to the first trial still waiting; false when none is. */
  const handOff = (slot: Slot): boolean => {
    while (waiters.length) {
      const w = waiters.shift()!;
      if (w.done) continue;
      w.done = true;
      w.give(slot);
      return true;
    }
    return false;
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
      // a lost worker is replaced for the next trial waiting
      if (waiters.some((w) => !w.done)) handOff(spawnSlot());
      return;
    }
    if (!handOff(slot)) idle.push(slot);
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
    starting: false,
    dead: 'closed',
    trial: null,
  });

  return {
    concurrency: size,
    get stats() {
      return { ...stats, alive: all.size, startupMs: startupMs.slice() };
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
      const slot = await acquire(task, start);
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
      for (const w of waiters.splice(0)) {
        if (w.done) continue;
        w.done = true;
        w.give(closedSlot());
      }
    },
  };
}
