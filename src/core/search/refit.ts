/**
 * The refit of the chosen members on all training rows (runner.ts), on the calling thread: boosting
 * with the folds' mean best iteration × √(all rows / the rows a fold trained on) (at least × 1.1; a
 * trial that ended on a row subsample: √(n / its rows), at most 3), forests and nets with the folds'
 * mean trees / best epoch. Each refit stops adding rounds at the budget margin; a member whose
 * estimated refit (`refitEstimateMs`) would pass it keeps its holdout model (holdout plans) or is
 * dropped (only the first member is refitted regardless). A replay does what the recorded search did
 * (`ClockRecord.refit`), without the clock. Gives the final `EnsembleModel` (one member: a single
 * model) and the decisions to record.
 */
import type { FeatureMatrix, Fitted, SerializedModel } from '../models/types.ts';
import { deserializeModel } from '../models/registry.ts';
import type { FittedPipeline } from '../pipeline/index.ts';
import { estimatorFor } from '../train/families.ts';
import { familySpace, trainingConfig } from './spaces.ts';
import type { Trial } from './study.ts';
import { EnsembleModel, type EnsembleMember } from './ensemble.ts';
import { pipeKey, type PipeKey, type SearchContext } from './context.ts';
import { holdoutPipeline } from './evaluate-trial.ts';
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
 * Estimated refit time of a trial, ms: a refit trains on all n rows, so the trial's fit time scaled by
 * n / the rows it trained on (a fold's training rows, or its row subsample), with 20% to spare.
 */
export function refitEstimateMs(ctx: SearchContext, t: Trial): number {
  const { nFolds } = ctx;
  const n = ctx.y.length;
  const trainRows = nFolds > 1 ? (n * (nFolds - 1)) / nFolds : (ctx.subsample?.trainRows ?? n * 0.8);
  return foldSeconds(t) * 1000 * (n / (t.rows ?? trainRows)) * 1.2;
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
}

export async function refitMembers(input: RefitInput): Promise<RefitOutcome> {
  const { opts, ctx, chosen, holdoutModels, rescued, clock, budgetMs, hardDeadline } = input;
  const { plan, nFolds, y, features, nClasses } = ctx;
  const task = opts.task;
  const n = y.length;
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
  // Boosting rounds for the refit: the folds' mean best iteration scaled to the larger training set,
  // √(all rows / rows a fold trained on) — 1.12 for 5 folds or a 20% holdout, 1.22 for 3 folds —
  // and at least 1.1.
  const trainShare = nFolds > 1 ? (nFolds - 1) / nFolds : 1 - (plan.validFraction ?? 0.2);
  // A trial that ended on a row subsample trained on `rows` of them: √(n / rows), at most 3 (its best
  // iteration on a 30th of the data says little about how many rounds all of it supports).
  const gbdtRefitScale = (t: Trial) =>
    t.rows !== undefined
      ? Math.min(3, Math.max(1.1, Math.sqrt(n / t.rows)))
      : Math.max(1.1, Math.sqrt(1 / trainShare));
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
  const recordedRefit = replayClock ? new Map(replayClock.refit.map((r) => [r.trial, r])) : undefined;
  for (const [i, { t, w }] of chosen.entries()) {
    const recorded = recordedRefit?.get(t.number);
    // A rescued model is used as is (its fold-0 model, no refit on all rows).
    const fits = rescued
      ? false
      : recorded
        ? recorded.action === 'refit'
        : budgetMs === Infinity || clock() + refitEstimateMs(ctx, t) <= hardDeadline;
    const kept = holdoutModels.get(t.number);
    if (recorded?.action === 'holdout' && !kept)
      throw new SearchError(
        `the replay has no holdout model of trial ${t.number}, which the recorded search used without a refit`,
      );
    if (!fits && kept) {
      // Holdout plan, no time to refit: use the model trained on the training rows (fold 0's
      // pipeline, which the coordinator rebuilds identically when the trial ran in a worker).
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
      continue;
    }
    if (!fits && (i > 0 || recorded?.action === 'dropped')) {
      dropped.push(t.number);
      refitDecisions.push({ trial: t.number, action: 'dropped' });
      continue;
    }
    const res = familySpace(t.family).resource;
    const used = (t.resources ?? []).filter((r) => Number.isFinite(r));
    const mean = used.length ? used.reduce((a, b) => a + b, 0) / used.length : res.max;
    const scale = t.family === 'gbdt' ? gbdtRefitScale(t) : 1;
    const resource = Math.max(1, Math.min(res.max * 2, Math.round(mean * scale)));
    const { pipeline, matrix } = fullData(pipeKey(t.family, t.config));
    const est = estimatorFor(t.family);
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
          : budgetMs !== Infinity && clock() > hardDeadline;
        if (!stop) return undefined;
        stoppedAt = rounds;
        return false;
      },
    });
    if (replayClock && opts.signal?.aborted) throw new SearchError('the replay was cancelled');
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
  };
}
