/**
 * Which model a finished search phase gives (runner.ts): the ensemble candidates — the top
 * `ensembleSize` complete trials plus the best 2 of each family — and a greedy ensemble selection
 * (Caruana) over their validation predictions; the blend is used when it beats the best single trial.
 * When no trial completed, a time-budgeted search still gives a model (`RescueRecord`): the best
 * deadline-cut holdout trial ('cut'), else one trial fitted on fold 0 after the search ('fit').
 */
import type { Study, Trial } from './study.ts';
import type { FamilyName } from '../train/families.ts';
import { blendWins, selectEnsemble, type Selection } from './ensemble.ts';
import { estimateGroups, selectionEstimate } from './estimate.ts';
import type { SearchContext } from './context.ts';
import { rescueFit, rescueResource, type RescueOutcome } from './evaluate-trial.ts';
import type { RescueRecord, SearchManifest } from './manifest.ts';
import type { TrialSchedule } from './schedule.ts';
import type { SearchOptions } from './runner.ts';
import { SearchError } from './search-error.ts';

/** How many of the best trials are ensemble candidates by default. */
export const DEFAULT_ENSEMBLE_SIZE = 16;
const DEFAULT_ENSEMBLE_ROUNDS = 40;
/**
 * Big data (row-subsample rungs on): each greedy ensemble step scores rows × candidates blends, so
 * the default number of steps is cut so that rows × candidates × steps stays under this (at least
 * 5 steps), about a second of ROC AUC on one core: 50,000 holdout rows with 4 candidates get 10
 * steps instead of 40 (16 s → 4 s on a loaded machine, after the search deadline). A function of
 * the data and the trials only, so a replay takes the same number of steps; smaller data keeps 40.
 */
const ENSEMBLE_MAX_CELLS = 2_000_000;
/**
 * The nested-selection estimate (estimate.ts) re-runs the selection once per group: about groups ×
 * the selection's cost, after the search. It runs when rows × prediction width × candidates × (steps
 * + 1) × groups stays under this — small and medium data, where the winner's curse is largest (a
 * 40,000-row regression with 18 candidates is about 150 million: seconds on a loaded machine). A
 * function of the data and the trials only, so a replay computes it too.
 */
export const ESTIMATE_MAX_CELLS = 60_000_000;
/** Best trials of each family kept as ensemble candidates besides the overall top `ensembleSize`. */
const DEFAULT_PER_FAMILY = 2;

/**
 * Ensemble candidates, best first: the top `ensembleSize` complete trials by value plus the best
 * `DEFAULT_PER_FAMILY` of each family (diversity: on small data the top trials are often near-copies
 * of one configuration, and a blend across families generalises better). A trial that leaves this set
 * never re-enters it, so the set does not depend on the order in which results arrive.
 */
export function ensembleCandidates(study: Study, ensembleSize: number): Trial[] {
  const all = study.ranked();
  if (ensembleSize <= 1) return all.slice(0, 1);
  const perFamily = new Map<FamilyName, number>();
  return all.filter((t, i) => {
    const k = perFamily.get(t.family) ?? 0;
    perFamily.set(t.family, k + 1);
    return i < ensembleSize || k < DEFAULT_PER_FAMILY;
  });
}

/** Greedy ensemble steps for `nCandidates` candidates: `rounds` when given, else 40 (fewer on big data). */
export function ensembleRoundsFor(
  rounds: number | undefined,
  ctx: SearchContext,
): (nCandidates: number) => number {
  const rowLevels = ctx.subsample?.rows;
  const { yEval } = ctx;
  return (nCandidates: number) =>
    rounds ??
    (rowLevels
      ? Math.max(
          5,
          Math.min(
            DEFAULT_ENSEMBLE_ROUNDS,
            Math.floor(ENSEMBLE_MAX_CELLS / (yEval.length * Math.max(1, nCandidates))),
          ),
        )
      : DEFAULT_ENSEMBLE_ROUNDS);
}

/** What the selection chose. */
export interface ModelChoice {
  /** The candidates, best first (the rescued trial alone after a rescue). */
  readonly ranked: readonly Trial[];
  readonly selection: Pick<Selection, 'weights' | 'score' | 'bestSingle'>;
  /** Greedy steps taken (absent after a rescue: no selection ran). */
  readonly rounds?: number;
  /** The blend beats the best single trial and has more than one member. */
  readonly useEnsemble: boolean;
  /** The members with their weights, largest weight first (one member at weight 1 when not blended). */
  readonly chosen: readonly { readonly t: Trial; readonly w: number }[];
  /** The chosen combination's validation predictions over `ctx.evalRows` (empty after a rescue 'fit'). */
  readonly validationPred: Float64Array;
  readonly rescue?: Omit<RescueRecord, 'overrunSeconds'>;
  /**
   * The selection's honest estimate (estimate.ts): absent after a rescue, with one candidate, or when
   * its cost (`ESTIMATE_MAX_CELLS`) would be too large.
   */
  readonly estimate?: { readonly groups: number; readonly score: number };
  /** The rescue fit, when one ran. */
  readonly rescued?: RescueOutcome;
}

export interface SelectInput {
  readonly opts: SearchOptions;
  readonly ctx: SearchContext;
  readonly study: Study;
  readonly schedule: TrialSchedule;
  readonly clock: () => number;
  readonly budgetMs: number;
  readonly hardDeadline: number;
  readonly stoppedBy: SearchManifest['stoppedBy'];
  readonly ensembleRounds: (nCandidates: number) => number;
}

export async function selectModel(input: SelectInput): Promise<ModelChoice> {
  const { opts, ctx, study, schedule, clock, budgetMs, hardDeadline, stoppedBy, ensembleRounds } = input;
  const { oof, holdoutModels, cuts, fallback } = schedule;
  const { yEval, nClasses } = ctx;
  const task = opts.task;
  const metric = ctx.metric;
  const replayClock = opts.replayClock;
  const ranked = schedule.candidates().filter((t) => oof.has(t.number));
  // No trial finished: a time-budgeted search still gives a model (see RescueRecord).
  let rescue: Omit<RescueRecord, 'overrunSeconds'> | undefined;
  let rescued: RescueOutcome | undefined;
  if (!ranked.length && fallback) {
    ranked.push(fallback.trial);
    oof.set(fallback.trial.number, fallback.pred);
    holdoutModels.set(fallback.trial.number, fallback.holdout);
    const at = cuts.find((c) => c.trial === fallback.trial.number);
    rescue = {
      trial: fallback.trial.number,
      how: 'cut',
      fold: 0,
      rounds: at?.round ?? fallback.holdout.resource,
    };
  }
  const recordedRescue = replayClock?.rescue;
  const mayRescue = replayClock
    ? recordedRescue?.how === 'fit'
    : budgetMs !== Infinity && !opts.signal?.aborted;
  if (!ranked.length && mayRescue) {
    let t: Trial | undefined = recordedRescue
      ? study.trials[recordedRescue.trial]
      : study.trials.find((x) => x.state !== 'FAILED');
    // The deadline came before any trial was asked (e.g. a budget of a fraction of a second): the
    // first trial is asked now and recorded as cut before it started, so a replay asks it too.
    if (!t && !study.trials.length) t = schedule.tellNeverRun(schedule.askTrial());
    if (t) {
      const minRounds = recordedRescue?.minRounds ?? rescueResource(t.family, t.config);
      // The time actually left, not the trial's allowance: its caps are dropped (a rescue recorded
      // before this kept them; its replay does too).
      const uncapped = recordedRescue ? recordedRescue.uncapped === true : true;
      // Big data: on the smallest row-subsample level, not all of the training rows (an uncuttable
      // minimum of rounds on 250,000 rows took 92 s past a 60 s budget at load 25; issue 21).
      const level = recordedRescue ? recordedRescue.level : ctx.subsample ? 0 : undefined;
      try {
        rescued = await rescueFit(
          ctx,
          t,
          recordedRescue
            ? recordedRescue.rounds !== undefined
              ? { rounds: recordedRescue.rounds }
              : {}
            : { minRounds, pastDeadline: () => clock() > hardDeadline },
          uncapped,
          level,
        );
      } catch (err) {
        throw new SearchError(
          `no trial finished within the budget, and training trial ${t.number} (${t.family}) on one fold ` +
            `failed: ${(err as Error)?.message ?? String(err)}`,
        );
      }
      if (replayClock && opts.signal?.aborted) throw new SearchError('the replay was cancelled');
      if (t.state !== 'PRUNED')
        throw new SearchError(`search.clock.rescue names trial ${t.number}, which is ${t.state}, not PRUNED`);
      t = study.rescued(t.id, {
        value: rescued.value,
        resources: [rescued.resource],
        ...(rescued.trainRows !== undefined ? { rows: rescued.trainRows } : {}),
      });
      ranked.push(t);
      holdoutModels.set(t.number, {
        family: t.family,
        model: rescued.model,
        resource: rescued.resource,
        ...(rescued.pipeline ? { pipeline: rescued.pipeline } : {}),
      });
      rescue = {
        trial: t.number,
        how: 'fit',
        fold: 0,
        minRounds,
        ...(rescued.stoppedAt !== undefined ? { rounds: rescued.stoppedAt } : {}),
        ...(uncapped ? { uncapped: true } : {}),
        ...(level !== undefined ? { level } : {}),
      };
    }
  }
  if (!ranked.length) {
    const failed = study.trials.find((t) => t.state === 'FAILED');
    throw new SearchError(
      (stoppedBy === 'aborted'
        ? 'the search was stopped before any trial finished'
        : 'no trial completed within the budget') +
        (failed ? ` (e.g. trial ${failed.number} failed: ${failed.error})` : ''),
    );
  }
  // A rescued model is the only candidate: no selection steps. A greedy selection over one candidate
  // can only pick it, and on big data (50,000 holdout rows) its 40 blends × a ROC AUC took 12–15 s at
  // load 27, after the search deadline (issue 21: a 300,000-row search overran its limit by that).
  const only = rescued ? rescued.value : rescue?.how === 'cut' ? ranked[0].value : undefined;
  const rounds = only !== undefined ? undefined : ensembleRounds(ranked.length);
  const sel =
    only !== undefined
      ? { weights: [1], score: only, bestSingle: { index: 0, score: only } }
      : selectEnsemble(
          ranked.map((t) => oof.get(t.number)!),
          yEval,
          { task, nClasses, metric, rounds },
        );
  const useEnsemble = blendWins(sel, (a, b) => study.better(a, b));
  const chosen = useEnsemble
    ? ranked
        .map((t, i) => ({ t, w: sel.weights[i] }))
        .filter((m) => m.w > 0)
        .sort((a, b) => b.w - a.w || a.t.number - b.t.number)
    : [{ t: ranked[sel.bestSingle.index], w: 1 }];

  const validationPred = new Float64Array(yEval.length * ctx.width);
  for (const { t, w } of rescued ? [] : chosen) {
    const p = oof.get(t.number)!;
    for (let i = 0; i < p.length; i++) validationPred[i] += w * p[i];
  }
  if (useEnsemble) {
    const total = chosen.reduce((a, c) => a + c.w, 0);
    if (total > 0 && total !== 1) for (let i = 0; i < validationPred.length; i++) validationPred[i] /= total;
  }
  let estimate: ModelChoice['estimate'];
  if (only === undefined && rounds !== undefined && ranked.length > 1) {
    const { groups, n: nGroups } = estimateGroups(ctx.evalRows, ctx.plan.foldOf, ctx.nFolds);
    const cells = yEval.length * ctx.width * ranked.length * (rounds + 1) * nGroups;
    if (cells <= ESTIMATE_MAX_CELLS) {
      const e = selectionEstimate(
        ranked.map((t) => oof.get(t.number)!),
        yEval,
        groups,
        nGroups,
        { task, nClasses, metric, rounds, width: ctx.width, direction: study.direction },
      );
      if (e && Number.isFinite(e.score)) estimate = { groups: e.groups, score: e.score };
    }
  }
  return {
    ranked,
    selection: sel,
    ...(estimate ? { estimate } : {}),
    ...(rounds !== undefined ? { rounds } : {}),
    useEnsemble,
    chosen,
    validationPred,
    ...(rescue ? { rescue } : {}),
    ...(rescued ? { rescued } : {}),
  };
}
