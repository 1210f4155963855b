/**
 * The trial worker's API, environment-free: `workers/trial.worker.ts` (browsers) and
 * `src/cli/trial-worker.ts` (Node worker_threads) expose it with comlink. `init` receives the search
 * data once (the table's buffers transferred), `evaluate` runs one trial with `evaluateTrial` and
 * returns the out-of-fold predictions (transferred back) and, for holdout plans, the fold-0 model in
 * its transferable form (`Fitted.toTransferable`: a forest's arrays as typed arrays, transferred — a
 * 120-round forest of deep trees took seconds to encode as base64 JSON), else as JSON. `stop` asks the running trial to end at its next round (a synchronous fit only sees it
 * between folds; the pool terminates a worker that does not answer in time).
 */
import type { Fitted, SerializedModel } from '../models/types.ts';
import { TF_FAMILIES, ensureFamiliesRegistered } from '../train/families.ts';
import { prepareSearchContext, type SearchContext, type SearchData } from './context.ts';
import { evaluateTrial, type ReportAnswer, type TrialOutcome, type TrialTask } from './evaluate-trial.ts';

export type ReportFn = (step: number, value: number) => ReportAnswer | void | Promise<ReportAnswer | void>;

/**
 * A trial's outcome as it crosses a worker boundary (the holdout model serialized: JSON, or its
 * transferable form with typed arrays; `deserializeModel` reads both).
 */
export type WireTrialOutcome = TrialOutcome<SerializedModel>;

export interface TrialWorkerApi {
  init(data: SearchData): Promise<void>;
  evaluate(task: TrialTask, report?: ReportFn): Promise<WireTrialOutcome>;
  stop(): void;
}

export interface TrialEndpointOptions {
  /** Starts the TensorFlow.js backend (browsers pass wasm paths); default selectBackend('auto'). */
  readonly prepareBackend?: () => Promise<unknown>;
  /** Releases a proxied report callback after the trial (comlink's releaseProxy). */
  readonly release?: (report: ReportFn) => void;
  /** Marks buffers for transfer on the way back (comlink's transfer). */
  readonly transfer?: <T>(value: T, buffers: Transferable[]) => T;
}

/**
 * A fitted model as it crosses the boundary: its transferable form when it has one and buffers can be
 * transferred (the buffers are added to `buffers`), else its JSON.
 */
export function wireModel(model: Fitted, buffers: ArrayBuffer[], transferable: boolean): SerializedModel {
  if (!transferable || !model.toTransferable) return model.toJSON();
  const t = model.toTransferable();
  buffers.push(...t.buffers);
  return t.json;
}

export function createTrialEndpoint(options: TrialEndpointOptions = {}): TrialWorkerApi {
  let ctx: SearchContext | undefined;
  let stopped = { aborted: false };
  return {
    async init(data) {
      ensureFamiliesRegistered();
      if (data.spec.families.some((f) => TF_FAMILIES.has(f))) {
        await (options.prepareBackend
          ? options.prepareBackend()
          : import('../models/nn/backend.ts').then((m) => m.selectBackend('auto')));
      }
      ctx = prepareSearchContext(data);
    },
    async evaluate(task, report) {
      if (!ctx) throw new Error('trial worker: init() was not called');
      stopped = { aborted: false };
      try {
        const out = await evaluateTrial(ctx, task, { report, signal: stopped });
        const buffers: ArrayBuffer[] = out.pred ? [out.pred.buffer as ArrayBuffer] : [];
        const wire: WireTrialOutcome = {
          result: out.result,
          ...(out.pred ? { pred: out.pred } : {}),
          ...(out.holdout && task.keepHoldoutModel
            ? {
                holdout: {
                  model: wireModel(out.holdout.model, buffers, options.transfer !== undefined),
                  resource: out.holdout.resource,
                  ...(out.holdout.pipeline ? { pipeline: out.holdout.pipeline } : {}),
                },
              }
            : {}),
          ...(out.importance ? { importance: out.importance } : {}),
        };
        return buffers.length && options.transfer ? options.transfer(wire, buffers) : wire;
      } finally {
        if (report && options.release) {
          try {
            options.release(report);
          } catch {
            // already released
          }
        }
      }
    },
    stop() {
      stopped.aborted = true;
    },
  };
}
