/**
 * Where trials run. `runSearch` hands every trial to a `TrialExecutor`: the in-process one below (the
 * default: trials run one at a time on the calling thread), or a worker pool (`createTrialPool` in
 * pool.ts; `createBrowserTrialPool` in workers/pool.ts, `createNodeTrialPool` in
 * src/cli/worker-pool.ts) that runs up to `concurrency` trials at once in workers.
 */
import type { Fitted, SerializedModel } from '../models/types.ts';
import type { SearchContext, SearchData } from './context.ts';
import { evaluateTrial, type TrialHooks, type TrialOutcome, type TrialTask } from './evaluate-trial.ts';

export interface TrialExecutor {
  /** How many trials it runs at once; the runner keeps at most this many in flight. */
  readonly concurrency: number;
  /**
   * Called once by `runSearch` before the first trial. `local` is the coordinator's own prepared
   * context (an in-process executor uses it; a pool sends `data` to each worker once).
   */
  init(data: SearchData, local: SearchContext): Promise<void>;
  /**
   * Runs one trial. Never rejects for a trial's own failure: errors and crashed workers come back
   * as a FAILED result with the reason. `hooks.signal` stops it ('aborted') within about a second.
   */
  evaluate(task: TrialTask, hooks: TrialHooks): Promise<TrialOutcome<Fitted | SerializedModel>>;
  /** Ends idle workers and releases everything. Safe to call more than once. */
  close(): Promise<void>;
}

/** Runs trials on the calling thread, one at a time (the behaviour before the pool). */
export function inProcessExecutor(options: { now?: () => number } = {}): TrialExecutor {
  let ctx: SearchContext | undefined;
  return {
    concurrency: 1,
    async init(_data, local) {
      ctx = local;
    },
    evaluate(task, hooks) {
      if (!ctx) throw new Error('inProcessExecutor: init() was not called');
      return evaluateTrial(ctx, task, hooks, options.now);
    },
    async close() {
      ctx = undefined;
    },
  };
}
