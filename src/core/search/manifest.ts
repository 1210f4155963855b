/**
 * What a search records (`manifest.search` of a bundle): the split plan, how trials were scheduled,
 * the budget, the ensemble and the final members, and what the clock (or a stop) decided
 * (`ClockRecord`), so a replay applies the same decisions without the clock. `searchManifest` puts a
 * finished search's parts together (its key order is part of the bundle's bytes: keep it);
 * `checkClockRecord` validates a recorded clock record before a replay uses it.
 */
import type { TimeOrder } from './time-split.ts';
import type { FamilyName } from '../train/families.ts';
import type { SubsamplePlan } from './subsample.ts';
import type { Study, TrialSpec } from './study.ts';
import type { SearchContext } from './context.ts';
import type { SearchOptions } from './runner.ts';
import type { TrialSchedule } from './schedule.ts';
import type { ModelChoice } from './select.ts';
import type { RefitOutcome } from './refit.ts';
import { SearchError } from './search-error.ts';

/** A trial ended early by the deadline or a stop: where (see `CutPoint`); no fold/round: it did not run. */
export interface TrialCut {
  readonly trial: number;
  readonly reason: 'deadline' | 'aborted';
  /** Trials with row-subsample levels: the level it was cut in (see `CutPoint.level`). */
  readonly level?: number;
  readonly fold?: number;
  readonly round?: number;
  /** The model trained so far was not scored (see `CutPoint.unscored`); a replay does the same. */
  readonly unscored?: true;
}

/** What happened to a chosen ensemble member at the refit. */
export interface RefitDecision {
  readonly trial: number;
  /**
   * 'refit': trained on all rows (`rounds`: the training callbacks after which the budget margin
   * stopped it); 'holdout': no time to refit, the holdout model is used as is; 'dropped': no time.
   */
  readonly action: 'refit' | 'holdout' | 'dropped';
  readonly rounds?: number;
}

/**
 * Everything the clock (or a stop) decided in a search, recorded so a replay applies the same
 * decisions without the clock (`manifest.search.clock`). The rest of a search is a pure function
 * of the data, the trial list and these records.
 */
export interface ClockRecord {
  /** Trial numbers in the order their results were told to the study. */
  readonly told: readonly number[];
  /**
   * Per trial (index = trial number): how many results had been told when it was asked. Its
   * halving peers are the rung values of the same family's trials among the first `asked[i]` of `told`.
   */
  readonly asked: readonly number[];
  /** Trials ended early by the deadline or a stop, and where. */
  readonly cuts: readonly TrialCut[];
  /**
   * Trials whose worker crashed (not a property of the trial): replayed as failed, not run, with the
   * rung values they had reported (they are later trials' halving peers; null: a non-finite value).
   */
  readonly crashed: readonly {
    readonly trial: number;
    readonly error: string;
    readonly rungs?: readonly { readonly budget: number; readonly value: number | null }[];
  }[];
  /** The refit of each chosen member, in order. */
  readonly refit: readonly RefitDecision[];
  /**
   * Set when no trial finished within the time budget and the model was rescued (see `RescueRecord`);
   * absent otherwise.
   */
  readonly rescue?: RescueRecord;
}

/**
 * A time-budgeted search in which no trial finished still gives a model (a budget that is merely
 * too small is never a failure): the fold-0 model of one trial after a minimum of work, used without
 * a refit on all rows.
 * - 'cut': a holdout trial cut at the deadline, its model as the deadline left it (after `rounds`
 *   training callbacks, also in `cuts`); a replay gets it by replaying the cut.
 * - 'fit': the lowest-numbered trial that did not fail (asked after the deadline if none was asked)
 *   trained after the search on fold 0's training rows (on big data the smallest row-subsample
 *   level: `level`) as a trial would, stopped by the budget
 *   margin once it has done `minRounds` callbacks (`rescueResource`) — `rounds`: where it was
 *   stopped; absent: it ended by itself (early stopping). A replay does the same fit and stops it
 *   there, without a clock.
 */
export interface RescueRecord {
  readonly trial: number;
  readonly how: 'cut' | 'fit';
  readonly fold: 0;
  readonly minRounds?: number;
  readonly rounds?: number;
  /**
   * 'fit': trained without the trial's allowance caps (`roundCap`, `epochCap`, `treeCap`), up to the family's
   * maximum, so that it uses the time left; absent (rescues recorded before it): within its caps.
   */
  readonly uncapped?: boolean;
  /**
   * 'fit' on data with row-subsample rungs: trained on this level (the smallest, 0) rather than all
   * of fold 0's training rows; absent: all of them (also rescues recorded before it).
   */
  readonly level?: number;
  /** Seconds the run took beyond its time budget (0: within it; a replay keeps the recorded value). */
  readonly overrunSeconds: number;
}

export interface SearchManifest {
  readonly split: {
    readonly strategy: 'kfold' | 'holdout';
    readonly folds: number;
    readonly stratified: boolean;
    readonly seed: number;
    readonly validFraction?: number;
    readonly rows: number;
    /** Time-ordered (./time-split.ts): training rows always earlier; k folds are expanding windows. */
    readonly timeOrder?: TimeOrder;
    /**
     * Row-subsample rungs (subsample.ts): the levels' training rows; absent when every trial trained
     * on all the plan's training rows (small data, k-fold, or made before subsampling existed).
     */
    readonly subsample?: SubsamplePlan;
  };
  /** How trials were scheduled (see the header: batched = deterministic with a seed). */
  readonly execution: {
    readonly mode: 'batched' | 'async';
    readonly workers: number;
    readonly batchSize?: number;
  };
  readonly metric: string;
  readonly direction: 'maximize' | 'minimize';
  readonly seed: number;
  readonly families: readonly FamilyName[];
  readonly sampler: string;
  /** How boosted trials were scored (absent in manifests made before no-peek scoring: 'own-fold'). */
  readonly trialScoring?: TrialScoring;
  readonly halving:
    | false
    | {
        readonly reductionFactor: number;
        readonly minPeers: number;
        readonly rungs: Readonly<Record<string, number[]>>;
      };
  readonly budget: {
    readonly seconds?: number;
    readonly maxTrials?: number;
    readonly marginFraction: number;
    readonly statedMaxSeconds?: number;
  };
  readonly stoppedBy: 'maxTrials' | 'deadline' | 'aborted';
  readonly ensemble: {
    readonly candidates: readonly number[];
    readonly weights: readonly number[];
    readonly score: number;
    readonly bestSingleScore: number;
    readonly used: boolean;
    readonly droppedAtRefit: readonly number[];
    /** Greedy steps taken (fewer than 40 on big data: `ENSEMBLE_MAX_CELLS`); absent in older manifests. */
    readonly rounds?: number;
    /**
     * The selection's honest estimate (estimate.ts): the search metric of predictions for each group
     * of validation rows (the folds, or 5 groups of a holdout) by what the selection chose with that
     * group held out. `score` above is optimistic (the chosen model won on those rows). Absent after a
     * rescue, with one candidate, on data too big for it (`ESTIMATE_MAX_CELLS`), and in older manifests.
     */
    readonly estimate?: { readonly groups: number; readonly score: number };
  };
  readonly final: {
    readonly kind: 'single' | 'ensemble';
    readonly members: readonly { trial: number; weight: number; resource: number }[];
  };
  readonly timings: {
    /** Time spent for the same request before the search began (`SearchOptions.startedAt`), if given. */
    readonly setupSeconds?: number;
    readonly searchSeconds: number;
    readonly refitSeconds: number;
    readonly totalSeconds: number;
    /**
     * Where a time-budgeted search's time went after its search deadline (issue 17), seconds: the
     * refit reserve the search phase kept when it stopped asking (`reserveSeconds`, budget less the
     * search deadline) and what the tail took — from the stop to the last trial told (`windDown`), the
     * executor's close, the ensemble selection (with its nested estimate), and each member's refit
     * (its estimate, its pipeline's fit on all rows, its model's fit). Absent without a time budget.
     */
    readonly tail?: {
      readonly reserveSeconds?: number;
      /** The reserve's estimates at the stop: the refit of the two best trials, the selection. */
      readonly reserveRefitSeconds?: number;
      readonly reserveSelectSeconds?: number;
      readonly stopSeconds?: number;
      readonly windDownSeconds?: number;
      readonly closeSeconds?: number;
      readonly selectSeconds: number;
      readonly refits: readonly {
        readonly trial: number;
        readonly estimateSeconds: number;
        readonly pipelineSeconds: number;
        readonly fitSeconds: number;
      }[];
    };
  };
  readonly droppedMissingTarget: number;
  /** Executed trial list (family, parameters, seed) to replay the search without the clock. */
  readonly replay: readonly TrialSpec[];
  /** The clock's decisions, applied by a replay (absent in bundles made before it was recorded). */
  readonly clock: ClockRecord;
  /**
   * 'portable': the search's features used the portable sin/cos (src/core/util/portable-math.ts), the same
   * bits in every runtime; a replay does the same. Absent in older manifests: the engine's Math, which
   * a replay keeps (Chromium's and Node's differ in the last bit on a few % of angles).
   */
  readonly math?: 'portable';
}

/** How boosted trials' folds are scored: see `SearchOptions.trialScoring`. */
export type TrialScoring = 'no-peek' | 'own-fold';

/** Throws a SearchError naming what is inconsistent in a recorded clock record for `n` trials. */
export function checkClockRecord(rec: ClockRecord, n: number): void {
  const bad = (what: string) => {
    throw new SearchError(`search.clock: ${what}`);
  };
  const isCount = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  if (typeof rec !== 'object' || rec === null) bad('must be an object');
  if (!Array.isArray(rec.told) || !Array.isArray(rec.asked) || !Array.isArray(rec.cuts))
    bad('told, asked and cuts must be lists');
  if (rec.asked.length !== n) bad(`asked has ${rec.asked.length} entries for ${n} trials`);
  const pos = new Map<number, number>();
  rec.told.forEach((num, i) => {
    if (!isCount(num) || num >= n) bad(`told[${i}] = ${num} is not a trial number below ${n}`);
    if (pos.has(num)) bad(`trial ${num} is told twice`);
    pos.set(num, i);
  });
  rec.asked.forEach((k, i) => {
    if (!isCount(k) || k > rec.told.length) bad(`asked[${i}] = ${k} is not a count of told trials`);
    const at = pos.get(i);
    if (at !== undefined && k > at) bad(`trial ${i} was asked after its own result was told`);
  });
  for (const c of rec.cuts) {
    if (!isCount(c.trial) || c.trial >= n) bad(`a cut names trial ${c.trial}, not one of the ${n} trials`);
    if (c.reason !== 'deadline' && c.reason !== 'aborted') bad(`cut of trial ${c.trial}: reason ${c.reason}`);
    if (
      (c.fold !== undefined && !isCount(c.fold)) ||
      (c.round !== undefined && !isCount(c.round)) ||
      (c.level !== undefined && !isCount(c.level))
    )
      bad(`cut of trial ${c.trial}: level, fold and round must be whole numbers`);
    if (c.unscored !== undefined && c.unscored !== true)
      bad(`cut of trial ${c.trial}: unscored must be true`);
  }
  for (const r of rec.refit ?? []) {
    if (!isCount(r.trial) || r.trial >= n) bad(`a refit names trial ${r.trial}, not one of the ${n} trials`);
    if (r.action !== 'refit' && r.action !== 'holdout' && r.action !== 'dropped')
      bad(`refit of trial ${r.trial}: action ${r.action}`);
    if (r.rounds !== undefined && !(isCount(r.rounds) && r.rounds >= 1))
      bad(`refit of trial ${r.trial}: rounds must be a whole number >= 1`);
  }
  for (const c of rec.crashed ?? [])
    if (!isCount(c.trial) || c.trial >= n) bad(`a crash names trial ${c.trial}, not one of the ${n} trials`);
  const r = rec.rescue;
  if (r !== undefined) {
    if (typeof r !== 'object' || r === null) bad('rescue must be an object');
    if (!isCount(r.trial) || r.trial >= n) bad(`rescue names trial ${r.trial}, not one of the ${n} trials`);
    if (r.how !== 'cut' && r.how !== 'fit') bad(`rescue.how must be 'cut' or 'fit', got ${r.how}`);
    if (r.fold !== 0) bad('rescue.fold must be 0');
    if (r.rounds !== undefined && !(isCount(r.rounds) && r.rounds >= 1))
      bad('rescue.rounds must be a whole number >= 1');
    if (r.minRounds !== undefined && !(isCount(r.minRounds) && r.minRounds >= 1))
      bad('rescue.minRounds must be a whole number >= 1');
    if (r.uncapped !== undefined && r.uncapped !== true) bad('rescue.uncapped must be true or absent');
    if (r.level !== undefined && !isCount(r.level)) bad('rescue.level must be a whole number >= 0');
    if (!(typeof r.overrunSeconds === 'number' && r.overrunSeconds >= 0))
      bad('rescue.overrunSeconds must be a number >= 0');
  }
}

/** The split plan as recorded (`manifest.split`; also told by `onPhase('search')`). */
export function splitRecord(
  ctx: SearchContext,
  seed: number,
  timeOrder?: TimeOrder,
): SearchManifest['split'] {
  const { plan } = ctx;
  return {
    strategy: plan.strategy,
    folds: ctx.nFolds,
    stratified: plan.stratified,
    seed,
    ...(plan.validFraction !== undefined ? { validFraction: plan.validFraction } : {}),
    rows: ctx.y.length,
    ...(timeOrder ? { timeOrder: { column: timeOrder.column } } : {}),
    ...(ctx.subsample ? { subsample: ctx.subsample } : {}),
  };
}

/** The parts of a finished search that its manifest records. */
export interface ManifestParts {
  readonly opts: Pick<SearchOptions, 'halving' | 'timeBudgetSeconds' | 'maxTrials' | 'replayClock'>;
  readonly ctx: SearchContext;
  readonly study: Study;
  readonly split: SearchManifest['split'];
  readonly metric: string;
  readonly seed: number;
  readonly families: readonly FamilyName[];
  readonly trialScoring: TrialScoring;
  readonly marginFraction: number;
  readonly stoppedBy: SearchManifest['stoppedBy'];
  readonly schedule: Pick<TrialSchedule, 'execution' | 'told' | 'asked' | 'cuts' | 'crashed' | 'marks'>;
  readonly choice: ModelChoice;
  readonly refit: RefitOutcome;
  /** Clock readings: start, end of the search phase, end of the refit (ms); the time budget (ms). */
  readonly times: {
    /** When the budget started (`startedAt`, else t0). */
    readonly tStart: number;
    readonly t0: number;
    readonly tSearch: number;
    /** End of the ensemble selection (start of the refit). */
    readonly tSelect: number;
    readonly tEnd: number;
    readonly budgetMs: number;
  };
}

/** `manifest.search` of a finished search (the key order is part of the bundle's bytes). */
export function searchManifest(p: ManifestParts): SearchManifest {
  const { opts, study, families, choice, refit, schedule, times } = p;
  const { ranked, selection: sel, rescue } = choice;
  const { tStart, t0, tSearch, tSelect, tEnd, budgetMs } = times;
  const marks = schedule.marks;
  const sec = (ms: number) => Math.round(ms) / 1000;
  const recordedRescue = opts.replayClock?.rescue;
  const halvingInfo: SearchManifest['halving'] =
    opts.halving === false
      ? false
      : {
          reductionFactor: opts.halving?.reductionFactor ?? 3,
          minPeers: opts.halving?.minPeers ?? 3,
          rungs: Object.fromEntries(families.map((f) => [f, study.rungs(f)])),
        };
  return {
    split: p.split,
    execution: schedule.execution,
    metric: p.metric,
    direction: study.direction,
    seed: p.seed,
    families,
    sampler: study.sampler.name,
    trialScoring: p.trialScoring,
    halving: halvingInfo,
    budget: {
      ...(opts.timeBudgetSeconds !== undefined
        ? {
            seconds: opts.timeBudgetSeconds,
            statedMaxSeconds: opts.timeBudgetSeconds * (1 + p.marginFraction),
          }
        : {}),
      ...(opts.maxTrials !== undefined ? { maxTrials: opts.maxTrials } : {}),
      marginFraction: p.marginFraction,
    },
    stoppedBy: p.stoppedBy,
    ensemble: {
      candidates: ranked.map((t) => t.number),
      weights: sel.weights,
      score: sel.score,
      bestSingleScore: sel.bestSingle.score,
      used: choice.useEnsemble,
      droppedAtRefit: refit.dropped,
      ...(choice.rounds !== undefined ? { rounds: choice.rounds } : {}),
      ...(choice.estimate ? { estimate: choice.estimate } : {}),
    },
    final: { kind: refit.model.members.length > 1 ? 'ensemble' : 'single', members: refit.finalMembers },
    timings: {
      ...(tStart < t0 ? { setupSeconds: (t0 - tStart) / 1000 } : {}),
      searchSeconds: (tSearch - t0) / 1000,
      refitSeconds: (tEnd - tSearch) / 1000,
      totalSeconds: (tEnd - tStart) / 1000,
      ...(budgetMs !== Infinity
        ? {
            tail: {
              ...(marks.reserveMs !== undefined ? { reserveSeconds: sec(marks.reserveMs) } : {}),
              ...(marks.parts
                ? {
                    reserveRefitSeconds: sec(marks.parts.refitMs),
                    reserveSelectSeconds: sec(marks.parts.ensembleMs),
                  }
                : {}),
              ...(marks.stopAsking !== undefined ? { stopSeconds: sec(marks.stopAsking - tStart) } : {}),
              ...(marks.stopAsking !== undefined && marks.lastTold !== undefined
                ? { windDownSeconds: sec(marks.lastTold - marks.stopAsking) }
                : {}),
              ...(marks.lastTold !== undefined && marks.closed !== undefined
                ? { closeSeconds: sec(marks.closed - marks.lastTold) }
                : {}),
              selectSeconds: sec(tSelect - tSearch),
              refits: refit.times.map((r) => ({
                trial: r.trial,
                estimateSeconds: sec(r.estimateMs),
                pipelineSeconds: sec(r.pipelineMs),
                fitSeconds: sec(r.fitMs),
              })),
            },
          }
        : {}),
    },
    droppedMissingTarget: p.ctx.droppedMissing,
    replay: study.replayList(),
    clock: {
      told: schedule.told,
      asked: schedule.asked,
      cuts: schedule.cuts,
      crashed: schedule.crashed,
      refit: refit.decisions,
      ...(rescue
        ? {
            rescue: {
              ...rescue,
              overrunSeconds:
                recordedRescue?.overrunSeconds ?? Math.round(Math.max(0, tEnd - tStart - budgetMs)) / 1000,
            },
          }
        : {}),
    },
    ...(p.ctx.spec.math === 'portable' ? { math: 'portable' as const } : {}),
  };
}
