/**
 * The refit of the chosen members on all training rows (runner.ts), on the calling thread: boosting
 * with the folds' mean best iteration × √(all rows / the rows a fold trained on) (at least × 1.1; a
 * trial that ended on a row subsample: √(n / its rows), at most 3), forests and nets with the folds'
 * mean trees / best epoch. Each refit stops adding rounds at the budget margin; a member whose
 * estimated refit (`refitEstimateMs`) would pass it keeps its holdout model (holdout plans) or is
 * dropped (only the first member is refitted regardless, and trains at least the rescue's minimum
 * of rounds; a later member stopped short of that minimum is treated as one that did not fit). A replay does what the recorded search did
 * (`ClockRecord.refit`), without the clock. Gives the final `EnsembleModel` (one member: a single
 * model) and the decisions to record.
 */
import type { FeatureMatrix, Fitted, SerializedModel } from '../models/types.ts';
import { deserializeModel } from '../models/registry.ts';
import type { FittedPipeline } from '../pipeline/index.ts';
import { estimatorFor } from '../train/families.ts';
import { familySpace, trainingConfig } from './spaces.ts';
import { epochsTrained, roundsTrained } from './allowance.ts';
import type { Trial } from './study.ts';
import { EnsembleModel, type EnsembleMember } from './ensemble.ts';
import { pipeKey, type PipeKey, type SearchContext } from './context.ts';
import { holdoutPipeline, rescueResource } from './evaluate-trial.ts';
import type { RefitDecision } from './manifest.ts';
import type { KeptModel } from './schedule.ts';
import type { SearchOptions } from './runner.ts';
import { SearchError } from './search-error.ts';

const isFitted = (m: Fitted | SerializedModel): m is Fitted =>
  typeof (m as { predict?: unknown }).predict === 'function';

const foldSeconds = (t: Trial) => {
  const fs = t.durations.folds ?? [];
  return fs.length ? fs.reduce((a, b) => a + b, 0) / fs.length : 0;
};

/**
 * A refit's time per training row and per round (epoch, tree) over a trial's fold time per row and
 * round: a trial also tracks the validation loss every round, scores the validation rows without
 * peeking and predicts them, which a refit does not. Measured on letter-sized data (20,000 rows, 26
 * classes, a 20% holdout; 2026-12-04, load 22): 0.44–0.58 for capped GBDT trials, 0.76 for an MLP —
 * where the former estimate (× 1.2, and every round the trial trained, patience included) reserved
 * about twice the refit's time and stopped the search early. 0.7 keeps some to spare; a refit that
 * runs late is still stopped at the budget margin (`refitMembers`).
 */
export const REFIT_TIME_FACTOR = 0.7;

/** Rows a fold of the plan trained on (a trial that ended on a row subsample: `t.rows`). */
function trialTrainRows(ctx: SearchContext, t: Trial): number {
  const n = ctx.y.length;
  const { nFolds } = ctx;
  const planRows = nFolds > 1 ? (n * (nFolds - 1)) / nFolds : (ctx.subsample?.trainRows ?? n * 0.8);
  return t.rows ?? planRows;
}

/**
 * The resource (rounds / trees / epochs) a trial's refit on all rows trains: boosting the folds' mean
 * best iteration × √(all rows / the rows a fold trained on) (at least × 1.1; a trial that ended on a
 * row subsample: √(n / its rows), at most 3), forests and nets the folds' mean trees / best epoch;
 * within 1 and twice the family's maximum.
 */
export function refitResource(ctx: SearchContext, t: Trial): number {
  const res = familySpace(t.family).resource;
  const n = ctx.y.length;
  const trainShare = ctx.nFolds > 1 ? (ctx.nFolds - 1) / ctx.nFolds : 1 - (ctx.plan.validFraction ?? 0.2);
  const used = (t.resources ?? []).filter((r) => Number.isFinite(r));
  const mean = used.length ? used.reduce((a, b) => a + b, 0) / used.length : res.max;
  const scale =
    t.family !== 'gbdt'
      ? 1
      : t.rows !== undefined
        ? Math.min(3, Math.max(1.1, Math.sqrt(n / t.rows)))
        : Math.max(1.1, Math.sqrt(1 / trainShare));
  return Math.max(1, Math.min(res.max * 2, Math.round(mean * scale)));
}

/**
 * Estimated time to fit a trial's pipeline on all n rows, ms: the fit its trial measured
 * (`TrialDurations.pipeline`: on a fold's or a row level's training rows) × n / those rows; 0 when
 * none was measured. Issue 21: in Chromium on 1,000,000 rows the first member's pipeline fit on all
 * 950,000 rows (and the GLM's standardised copy) ran past a 60 s budget's margin before its first
 * iteration, where the estimate counted the trial's fit only — its level's pipeline was cached.
 */
export function pipelineEstimateMs(ctx: SearchContext, t: Trial): number {
  const p = t.durations.pipeline;
  if (!p || !(p.secs > 0) || !(p.rows > 0)) return 0;
  return p.secs * 1000 * (ctx.y.length / p.rows);
}

/**
 * Estimated refit time of a trial, ms: a fold's fit time (its pipeline's fit excluded) scaled by all
 * n rows / the rows it trained on (a fold's training rows, or its row subsample), by the rounds the
 * refit trains / the rounds the fold trained (boosting: best round + patience, at most the cap — the
 * refit trains the scaled best round, at most the cap; nets: best epoch + patience, at most the cap),
 * and by `REFIT_TIME_FACTOR`; plus its pipeline's fit on all rows (`pipelineEstimateMs`) unless that
 * pipeline is already fitted (`pipelineFitted`: an earlier member with the same pipeline key).
 */
export function refitEstimateMs(ctx: SearchContext, t: Trial, pipelineFitted = false): number {
  const n = ctx.y.length;
  const pipe = pipelineFitted ? 0 : pipelineEstimateMs(ctx, t);
  const fold = foldSeconds(t) * 1000 * (n / trialTrainRows(ctx, t));
  if (!(fold > 0)) return pipe;
  let work = 1;
  const refit = refitResource(ctx, t);
  if (t.family === 'gbdt') {
    const trained = roundsTrained(t);
    const cap = typeof t.params.roundCap === 'number' ? t.params.roundCap : Infinity;
    if (trained !== undefined) work = Math.min(refit, cap) / trained;
  } else if (t.family === 'linear' || t.family === 'mlp') {
    const trained = epochsTrained(t);
    if (trained !== undefined) work = refit / trained;
  }
  return pipe + fold * work * REFIT_TIME_FACTOR;
}

export interface RefitInput {
  readonly opts: SearchOptions;
  readonly ctx: SearchContext;
  /** The chosen members and their weights, in order (select.ts). */
  readonly chosen: readonly { readonly t: Trial; readonly w: number }[];
  /** Holdout models of the candidates (schedule.ts). */
  readonly holdoutModels: ReadonlyMap<number, KeptModel>;
  /** A rescued model is used as is (its fold-0 model, no refit on all rows). */
  readonly rescued: boolean;
  readonly clock: () => number;
  readonly budgetMs: number;
  readonly hardDeadline: number;
}

export interface RefitOutcome {
  readonly model: EnsembleModel;
  /** `manifest.final.members`. */
  readonly finalMembers: readonly { trial: number; weight: number; resource: number; refit: boolean }[];
  /** Chosen members dropped for lack of time. */
  readonly dropped: readonly number[];
  /** What happened to each chosen member (`ClockRecord.refit`). */
  readonly decisions: readonly RefitDecision[];
  /** Per member refitted: its estimate, its pipeline's fit on all rows and its model's fit, ms. */
  readonly times: readonly RefitTime[];
}

/** How long one member's refit took against its estimate (`timings.tail.refits`). */
export interface RefitTime {
  readonly trial: number;
  readonly estimateMs: number;
  readonly pipelineMs: number;
  readonly fitMs: number;
}

export async function refitMembers(input: RefitInput): Promise<RefitOutcome> {
  const { opts, ctx, chosen, holdoutModels, rescued, clock, budgetMs, hardDeadline } = input;
  const { y, features, nClasses } = ctx;
  const task = opts.task;
  const replayClock = opts.replayClock;
  const refitDecisions: RefitDecision[] = [];
  const fullCache = new Map<PipeKey, { pipeline: FittedPipeline; matrix: FeatureMatrix }>();
  const fullData = (key: PipeKey) => {
    let d = fullCache.get(key);
    if (!d) {
      d = ctx.pipelineFor(key, features, y);
      fullCache.set(key, d);
    }
    return d;
  };
  const pipelines: FittedPipeline[] = [];
  const members: EnsembleMember[] = [];
  const finalMembers: { trial: number; weight: number; resource: number; refit: boolean }[] = [];
  const dropped: number[] = [];
  const pipelineIndex = (p: FittedPipeline) => {
    const at = pipelines.indexOf(p);
    return at >= 0 ? at : pipelines.push(p) - 1;
  };
  // One pipeline object per pipeline key and row level, whichever member brought it.
  const keptPipes = new Map<string, FittedPipeline>();
  const keptPipeline = (t: Trial, kept: KeptModel): FittedPipeline => {
    const id = `${pipeKey(t.family, t.config)}/${t.rows ?? 'all'}`;
    let p = keptPipes.get(id);
    if (!p) {
      p = kept.pipeline ?? holdoutPipeline(ctx, kept.family, t.config, t.rows);
      keptPipes.set(id, p);
    }
    return p;
  };
  const times: RefitTime[] = [];
  const recordedRefit = replayClock ? new Map(replayClock.refit.map((r) => [r.trial, r])) : undefined;
  for (const [i, { t, w }] of chosen.entries()) {
    const recorded = recordedRefit?.get(t.number);
    const estimateMs = refitEstimateMs(ctx, t, fullCache.has(pipeKey(t.family, t.config)));
    // A rescued model is used as is (its fold-0 model, no refit on all rows).
    const fits = rescued
      ? false
      : recorded
        ? recorded.action === 'refit'
        : budgetMs === Infinity || clock() + estimateMs <= hardDeadline;
    const kept = holdoutModels.get(t.number);
    if (recorded?.action === 'holdout' && !kept)
      throw new SearchError(
        `the replay has no holdout model of trial ${t.number}, which the recorded search used without a refit`,
      );
    // Holdout plan, no time to refit: use the model trained on the training rows (fold 0's
    // pipeline, which the coordinator rebuilds identically when the trial ran in a worker).
    const useHoldout = (kept: KeptModel) => {
      const keptModel = isFitted(kept.model) ? kept.model : deserializeModel(kept.model);
      members.push({
        weight: w,
        pipeline: pipelineIndex(keptPipeline(t, kept)),
        model: keptModel,
        trial: t.number,
        params: { family: t.family, ...t.params },
      });
      finalMembers.push({ trial: t.number, weight: w, resource: kept.resource, refit: false });
      refitDecisions.push({ trial: t.number, action: 'holdout' });
    };
    if (!fits && kept) {
      useHoldout(kept);
      continue;
    }
    if (!fits && (i > 0 || recorded?.action === 'dropped')) {
      dropped.push(t.number);
      refitDecisions.push({ trial: t.number, action: 'dropped' });
      continue;
    }
    const resource = refitResource(ctx, t);
    const tPipe = clock();
    const { pipeline, matrix } = fullData(pipeKey(t.family, t.config));
    const tFit = clock();
    const est = estimatorFor(t.family);
    // A refit cut at the margin after a round or two gives a model worse than no refit (a 1-tree
    // forest scored 0.60 AUC where its trial scored 0.75; issue 17): a member stopped short of the
    // rescue's minimum is used as its holdout model, or dropped without one — except the first member
    // without a holdout model, which trains that minimum past the margin (the search must give a
    // model). With a holdout model the first member stops at the margin too: in Chromium on 1,000,000
    // rows the first member's refit, a GLM on 950,000 rows, went on to its 5 iterations past the margin
    // and the search ended at 71 s of a 66 s limit (issue 21).
    const floor = recorded ? 0 : Math.min(resource, rescueResource(t.family, t.config));
    let rounds = 0;
    let stoppedAt: number | undefined;
    const model = await est.fit(matrix, y, {
      task,
      nClasses: task === 'regression' ? undefined : nClasses,
      config: trainingConfig(t.family, { ...t.config, seed: t.seed }, resource),
      // Refits stop adding rounds at the budget margin (a replay: where the recorded refit stopped).
      onRound: () => {
        rounds++;
        const stop = recorded
          ? recorded.rounds === rounds || opts.signal?.aborted === true
          : budgetMs !== Infinity &&
            clock() > hardDeadline &&
            (i > 0 || kept !== undefined || rounds >= floor);
        if (!stop) return undefined;
        stoppedAt = rounds;
        return false;
      },
    });
    times.push({
      trial: t.number,
      estimateMs,
      pipelineMs: tFit - tPipe,
      fitMs: clock() - tFit,
    });
    if (replayClock && opts.signal?.aborted) throw new SearchError('the replay was cancelled');
    if (stoppedAt !== undefined && stoppedAt < floor) {
      if (kept) useHoldout(kept);
      else {
        dropped.push(t.number);
        refitDecisions.push({ trial: t.number, action: 'dropped' });
      }
      continue;
    }
    refitDecisions.push({
      trial: t.number,
      action: 'refit',
      ...(stoppedAt !== undefined ? { rounds: stoppedAt } : {}),
    });
    model.dropTrainingState?.();
    members.push({
      weight: w,
      pipeline: pipelineIndex(pipeline),
      model,
      trial: t.number,
      params: { family: t.family, ...t.params },
    });
    finalMembers.push({ trial: t.number, weight: w, resource, refit: true });
  }
  return {
    model: new EnsembleModel(task, nClasses, pipelines, members),
    finalMembers,
    dropped,
    decisions: refitDecisions,
    times,
  };
}
