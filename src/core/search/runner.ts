/**
 * The AutoML runner: one seeded split plan for every trial, the ask/tell loop over the study with
 * successive halving on fold 0's learning curve, trials evaluated by a `TrialExecutor` (in process by
 * default, or a worker pool: up to `executor.concurrency` trials at once), out-of-fold predictions
 * kept for the ensemble, a wall-clock and/or trial-count budget, then a refit of the chosen model(s)
 * on all training rows (on the calling thread) and greedy ensemble selection.
 *
 * Validation protocol: k-fold (5; 3 for budgets under 20 s or more than 2,000 cells per second of
 * budget, e.g. over 120k rows × columns at 60 s) when there are at most `kfoldMaxRows`
 * rows (default 10,000), else a 20% holdout of at most 50,000 rows (context.ts); stratified for
 * classification; the same plan (seed = the search seed) for every trial. Each fold fits the
 * automatic pipeline on its training rows only. Big data: above 50,000 training rows of a holdout,
 * trials start on row subsamples and only promoted ones see all rows (subsample.ts); a trial not
 * promoted is COMPLETE with the score of its last level (`Trial.rows`).
 * Refits train on all rows: boosting with the folds' mean best iteration × √(all rows / fold training
 * rows) (at least × 1.1), forests and nets with the folds' mean trees/best epoch.
 *
 * Budget: the search phase stops early enough to leave a refit reserve — max(10% of the budget, the
 * estimated refit time of the top 2 trials (their fit time × all rows / the rows they trained on ×
 * the refit's rounds / the rounds they trained × `REFIT_TIME_FACTOR`, refit.ts;
 * on a holdout plan a refit estimated over 40% of the budget is not reserved for: the trial's own
 * model is kept) plus the estimated ensemble selection with its nested estimate (schedule.ts
 * `ensembleEstimateMs`: the selection's scores at the fastest measured score, × the groups of the
 * nested estimate, × `SELECT_TIME_FACTOR`)), at most 40% of the budget (the 10% floor
 * also covers the hand-back of a trial cut at the search deadline). With row-subsample rungs no new
 * trial is asked when the fastest complete trial would not finish before the search deadline.
 * A trial running at the search deadline is stopped at its next round/epoch and recorded PRUNED with
 * reason 'deadline'.
 * Refits stop adding rounds at budget × (1 + marginFraction); ensemble members whose estimated refit
 * would pass that point are dropped. Stated margin: total ≤ budget × 1.10 (+ one round/epoch).
 *
 * Scheduling and determinism. A trial's inputs are fixed when it is asked: its parameters and seed
 * (the sampler sees the trials asked before it; only finished ones carry a score) and its halving
 * peers (a snapshot of the rung values of the same family's trials that had FINISHED at that
 * moment). Its outcome depends on nothing else: not on the clock, the worker or the other trials
 * running beside it.
 * - With `maxTrials` and no time budget (deterministic mode) trials are asked in batches of
 *   `batchSize` (default 4; independent of the number of workers): batch b is asked only when every
 *   trial of batch b−1 has finished and been told, and its trials run concurrently. So with a seed
 *   the trial list, order, seeds, rungs and scores are the same run to run and for any executor
 *   (in process, 1 or N workers); only the timings differ. Changing `batchSize` changes the search.
 * - With a time budget the search is asynchronous: a new trial is asked whenever an executor slot
 *   is free (peers = trials finished at that moment). The clock decides where it stops.
 * Whatever the clock (or Stop, or a crashed worker) decided is recorded in `manifest.clock`
 * (`ClockRecord`): the order results were told, how many were told when each trial was asked (its
 * peers), where trials were cut, crashed trials and their rungs, and each member's refit. A replay
 * (`replay` + `replayClock`) runs the recorded trials with those peers, stops them where they were
 * stopped and refits as recorded, without a clock: the same ensemble and bits for any budget and
 * executor. Trials are dispatched in the recorded tell order, each once its peers are told.
 * Results are told to the study as trials finish (any order); the ensemble candidates are the top
 * `ensembleSize` by value (ties by trial number) plus the best 2 of each family, which does not
 * depend on that order.
 *
 * Live hooks: `onTrialStart` when a trial is dispatched (RUNNING), `onTrialReport` for each rung value,
 * `onTrial` when it ends (COMPLETE / PRUNED / FAILED with reason and error), `onPhase` at the start of
 * the search, ensemble selection and refit. Hooks are synchronous; exceptions from them are ignored.
 *
 * The parts, one idea per file: schedule.ts (the search phase: asking, dispatching and telling trials,
 * the refit reserve, the clock records), select.ts (ensemble candidates, greedy selection, the rescue
 * when no trial finished), refit.ts (the chosen members on all rows), manifest.ts (what is recorded,
 * and the check of a recorded clock record). One trial's evaluation is evaluate-trial.ts; the data and
 * split plan, context.ts. This file validates the options and runs the phases in order.
 */
import type { Table } from '../data/table.ts';
import { DEFAULT_METRIC } from '../metrics/index.ts';
import type { Task } from '../models/types.ts';
import { FAMILIES, TF_FAMILIES, ensureFamiliesRegistered, type FamilyName } from '../train/families.ts';
import { portfolioSampler, type Sampler } from './samplers/index.ts';
import type { HalvingConfig } from './halving.ts';
import { Study, type Trial, type TrialSpec } from './study.ts';
import { ensureEnsembleRegistered, type EnsembleModel } from './ensemble.ts';
import { prepareSearchContext } from './context.ts';
import type { TrialOutcome } from './evaluate-trial.ts';
import { inProcessExecutor, type TrialExecutor } from './executor.ts';
import type { TimeOrder } from './time-split.ts';
import type { SubsampleOption } from './subsample.ts';
import { call, TrialSchedule } from './schedule.ts';
import { DEFAULT_ENSEMBLE_SIZE, ensembleRoundsFor, selectModel } from './select.ts';
import { refitMembers } from './refit.ts';
import { denseWidth, roundMsEstimate, type CostShape } from './allowance.ts';
import {
  checkClockRecord,
  searchManifest,
  splitRecord,
  type ClockRecord,
  type SearchManifest,
  type TrialScoring,
} from './manifest.ts';
import { SearchError } from './search-error.ts';
import type { MathMode } from '../util/portable-math.ts';

// What moved out of this file stays importable from it (the search's public face).
export { SearchError } from './search-error.ts';
export { checkClockRecord } from './manifest.ts';
export type {
  ClockRecord,
  RefitDecision,
  RescueRecord,
  SearchManifest,
  TrialCut,
  TrialScoring,
} from './manifest.ts';

/** Largest row count that still uses k-fold by default (see the header). */
const DEFAULT_KFOLD_MAX_ROWS = 10_000;

/** What `onTrial` gets for a COMPLETE trial (see src/core/tracking/evidence.ts). */
export interface TrialEvidenceData {
  readonly task: Task;
  readonly y: Float64Array;
  readonly pred: Float64Array;
  readonly classes?: readonly string[];
  readonly importance?: TrialOutcome['importance'];
}

/** Search phases reported by `onPhase`. */
export type SearchPhase = 'search' | 'ensemble' | 'refit';

/** What `onPhase('search', info)` tells: the validation protocol and how trials are scheduled. */
export interface SearchStartInfo {
  readonly split: SearchManifest['split'];
  readonly metric: string;
  readonly direction: 'maximize' | 'minimize';
  readonly sampler: string;
  readonly families: readonly FamilyName[];
  readonly execution: SearchManifest['execution'];
}

export interface SearchOptions {
  readonly table: Table;
  readonly target: string;
  readonly task: Task;
  /** Families to search (default all: gbdt, random_forest, linear, mlp). */
  readonly families?: readonly FamilyName[];
  /** Metric to optimise (default: roc_auc / log_loss / rmse by task). */
  readonly metric?: string;
  readonly seed?: number;
  /** Wall-clock budget for the whole run (search + refit), seconds. */
  readonly timeBudgetSeconds?: number;
  /**
   * The `now()` reading at which the time budget started (default: when `runSearch` is called). A
   * caller that did work for the same request first — read the file, started the workers — passes the
   * time the request began, so that work counts against the budget and the whole call holds it. Its
   * duration is recorded as `timings.setupSeconds`.
   */
  readonly startedAt?: number;
  /** Maximum number of trials. At least one of the two budgets is required. */
  readonly maxTrials?: number;
  /** Sampler or registered name (default 'portfolio', which continues with TPE). */
  readonly sampler?: Sampler | string;
  /** Number of folds, or 'auto' (default). */
  readonly folds?: number | 'auto';
  /** Largest row count that still uses k-fold (default 10000). */
  readonly kfoldMaxRows?: number;
  /** Holdout share on larger data (default 0.2). */
  readonly holdoutFraction?: number;
  /**
   * Time-ordered validation by this column (./time-split.ts): a holdout of the latest rows, or
   * expanding-window folds; recorded in the manifest's split so a replay splits the same way.
   */
  readonly timeOrder?: TimeOrder;
  /** Successive halving settings, or false to never prune (and never subsample rows). */
  readonly halving?: false | Pick<HalvingConfig, 'reductionFactor' | 'minPeers'>;
  /**
   * Row-subsample rungs on big data (subsample.ts): default on above `SUBSAMPLE_MIN_ROWS` training
   * rows of a holdout plan; false = off; a replay passes the recorded `split.subsample` (or false
   * when the manifest has none).
   */
  readonly subsample?: SubsampleOption;
  /**
   * How a boosted trial's folds are scored (no-peek.ts): 'no-peek' (default) — at the round count the
   * other folds choose; 'own-fold' — at the fold's own early-stopping round, as searches recorded
   * before no-peek scoring did (a replay of such a manifest uses it).
   */
  readonly trialScoring?: TrialScoring;
  /**
   * Time-budgeted searches: lower each sampled GBDT trial's round cap to the allowance the measured
   * cost leaves, and cap each sampled net's epochs and forest's trees likewise (allowance.ts; recorded
   * as the trial's `roundCap` / `epochCap` / `treeCap`, so replays are exact). Default true; false runs
   * the sampler's caps as they are, nets up to their maximum epochs and forests up to their maximum trees.
   */
  readonly roundAllowance?: boolean;
  /** How many of the best trials are ensemble candidates (default 16; 1 = no ensemble). */
  readonly ensembleSize?: number;
  /** Greedy ensemble steps (default 40). */
  readonly ensembleRounds?: number;
  /** Share of the time budget allowed beyond it for the final refit (default 0.1). */
  readonly marginFraction?: number;
  readonly exclude?: readonly string[];
  /** Cyclic date features with the portable sin/cos (default; recorded) or the engine's (a replay of an older record). */
  readonly math?: MathMode;
  /** Trials to run first, as recorded by a previous search (`manifest.replay`). */
  readonly replay?: readonly TrialSpec[];
  /**
   * With `replay`: what the clock decided in the recorded search (`manifest.clock`). The search
   * then runs exactly the `replay` trials, each with its recorded halving peers and stopped where it
   * was stopped, and refits as recorded — no clock, no time budget (see the header).
   */
  readonly replayClock?: ClockRecord;
  /**
   * Where trials run (default: in process, one at a time). A pool runs up to `concurrency` trials
   * at once; `runSearch` calls `init` before the first trial and `close` when the search phase ends.
   */
  readonly executor?: TrialExecutor;
  /**
   * Starts TensorFlow.js on the calling thread (refits of linear/MLP members run there). Default:
   * `selectBackend('auto')` once. In a browser pass one with the app's wasm paths, e.g.
   * `() => selectBackend('wasm', { wasmPaths })` (workers/train.worker.ts shows how to get them).
   */
  readonly tfBackend?: () => Promise<unknown>;
  /** Deterministic mode (maxTrials, no time budget): trials asked per batch (default 4). */
  readonly batchSize?: number;
  /** A trial was dispatched (state RUNNING). */
  readonly onTrialStart?: (trial: Trial, study: Study) => void;
  /** A rung value of a running trial (fold 0's validation loss after `step` rounds/epochs). */
  readonly onTrialReport?: (trial: Trial, step: number, value: number) => void;
  /**
   * Called after every finished trial (live leaderboards): COMPLETE, PRUNED or FAILED. A COMPLETE
   * trial comes with its evidence: validation predictions over the evaluated rows (out-of-fold for
   * k-fold), their true values and classes, and feature importance where the family has it.
   */
  readonly onTrial?: (trial: Trial, study: Study, evidence?: TrialEvidenceData) => void;
  /** The run enters a phase; 'search' comes with the split plan and the scheduling. */
  readonly onPhase?: (phase: SearchPhase, info?: SearchStartInfo) => void;
  /** Stop: running trials end at their next round; the best so far is refitted. */
  readonly signal?: AbortSignal;
  /** Clock in milliseconds (default performance.now). */
  readonly now?: () => number;
  /** With `replayClock`: the recorded search's `stoppedBy`, kept in the replay's manifest. */
  readonly replayStoppedBy?: SearchManifest['stoppedBy'];
}

export interface SearchResult {
  readonly target: string;
  readonly task: Task;
  readonly classes?: readonly string[];
  readonly metric: string;
  readonly study: Study;
  readonly trials: readonly Trial[];
  readonly best: Trial;
  /** The final model: the ensemble, or the best trial alone (one member). */
  readonly model: EnsembleModel;
  readonly kind: 'single' | 'ensemble';
  readonly manifest: SearchManifest;
  /**
   * Out-of-fold (k-fold) or holdout predictions of the chosen combination (the ensemble weights over
   * the members' validation predictions, or the best trial's), for charts and metrics: `pred` holds
   * `width` values per row of `rows` (indices among the rows that have a target), `y` their targets.
   */
  readonly validation: { readonly y: Float64Array; readonly pred: Float64Array; readonly rows: Int32Array };
}

let backendReady: Promise<unknown> | null = null;
async function ensureTfBackend(): Promise<void> {
  if (!backendReady) {
    backendReady = import('../models/nn/backend.ts').then((m) => m.selectBackend('auto'));
  }
  await backendReady;
}

export async function runSearch(opts: SearchOptions): Promise<SearchResult> {
  const clock = opts.now ?? (() => performance.now());
  const t0 = clock();
  const tStart = opts.startedAt ?? t0;
  if (!(Number.isFinite(tStart) && tStart <= t0))
    throw new SearchError(`startedAt must be a clock reading no later than now, got ${opts.startedAt}`);
  const budgetMs = opts.timeBudgetSeconds !== undefined ? opts.timeBudgetSeconds * 1000 : Infinity;
  if (!(budgetMs > 0)) throw new SearchError(`the time budget must be > 0 seconds`);
  if (opts.replayClock && budgetMs !== Infinity)
    throw new SearchError('a replay of recorded clock decisions runs without a time budget');
  if (opts.maxTrials === undefined && budgetMs === Infinity && !opts.replayClock)
    throw new SearchError('a search needs a time budget, a maximum number of trials, or both');
  if (opts.maxTrials !== undefined && !(Number.isInteger(opts.maxTrials) && opts.maxTrials >= 1))
    throw new SearchError(`maxTrials must be a whole number >= 1, got ${opts.maxTrials}`);
  const batchSize = opts.batchSize ?? 4;
  if (!(Number.isInteger(batchSize) && batchSize >= 1))
    throw new SearchError(`batchSize must be a whole number >= 1, got ${opts.batchSize}`);
  const margin = opts.marginFraction ?? 0.1;
  const replayClock = opts.replayClock;
  const trialScoring: TrialScoring = opts.trialScoring ?? 'no-peek';
  if (trialScoring !== 'no-peek' && trialScoring !== 'own-fold')
    throw new SearchError(`unknown trialScoring '${String(trialScoring)}' (no-peek or own-fold)`);
  if (replayClock) checkClockRecord(replayClock, opts.replay?.length ?? 0);
  const deadline = tStart + budgetMs;
  const hardDeadline = tStart + budgetMs * (1 + margin);
  const seed = opts.seed ?? 0;
  const task = opts.task;
  const families = [...(opts.families ?? FAMILIES)];
  const metric = opts.metric ?? DEFAULT_METRIC[task];

  ensureFamiliesRegistered();
  ensureEnsembleRegistered();
  if (families.some((f) => TF_FAMILIES.has(f))) await (opts.tfBackend ? opts.tfBackend() : ensureTfBackend());

  // The data: the target, the split plan, and the pipelines per fold (built on first use).
  const ctx = prepareSearchContext({
    table: opts.table,
    spec: {
      target: opts.target,
      task,
      seed,
      metric,
      families,
      ...(opts.exclude ? { exclude: [...opts.exclude] } : {}),
      folds: opts.folds ?? 'auto',
      kfoldMaxRows: opts.kfoldMaxRows ?? DEFAULT_KFOLD_MAX_ROWS,
      ...(opts.holdoutFraction !== undefined ? { holdoutFraction: opts.holdoutFraction } : {}),
      ...(opts.timeOrder ? { timeOrder: { column: opts.timeOrder.column } } : {}),
      budgetMs,
      ...((opts.math ?? 'portable') === 'portable' ? { math: 'portable' as const } : {}),
      ...(opts.subsample !== undefined || opts.halving === false
        ? { subsample: opts.halving === false ? false : opts.subsample }
        : {}),
    },
  });

  const rowLevels = ctx.subsample?.rows;
  const study = new Study({
    task,
    metric,
    families,
    seed,
    // Big data: the portfolio gives each family its first trial before any family's second.
    sampler:
      rowLevels && (opts.sampler === undefined || opts.sampler === 'portfolio')
        ? portfolioSampler({ familiesFirst: true })
        : opts.sampler,
    halving: opts.halving,
    ...(rowLevels ? { rowRungs: rowLevels } : {}),
  });
  if (opts.replay?.length) study.enqueue(...opts.replay);

  // Search: trials until the budget, the trial count or a stop (schedule.ts).
  const costShape: CostShape = {
    trainRows: ctx.subsample
      ? ctx.subsample.rows[0]
      : ctx.nFolds > 1
        ? (ctx.y.length * (ctx.nFolds - 1)) / ctx.nFolds
        : ctx.y.length - ctx.evalRows.length,
    fits: ctx.subsample ? 1 : ctx.nFolds,
    groups: opts.task === 'multiclass' ? ctx.nClasses : 1,
    features: ctx.features.columns.length,
    denseFeatures: denseWidth(ctx.features, opts.task === 'multiclass' ? ctx.nClasses : 1),
  };
  const ensembleRounds = ensembleRoundsFor(opts.ensembleRounds, ctx);
  const schedule = new TrialSchedule({
    opts,
    ctx,
    study,
    executor: opts.executor ?? inProcessExecutor({ now: clock }),
    clock,
    budgetMs,
    deadline,
    batchSize,
    trialScoring,
    ensembleSize: Math.max(1, opts.ensembleSize ?? DEFAULT_ENSEMBLE_SIZE),
    ensembleRounds,
    roundMsEstimate: roundMsEstimate(costShape),
    costShape,
  });
  const split = splitRecord(ctx, seed, opts.timeOrder);
  call(() =>
    opts.onPhase?.('search', {
      split,
      metric,
      direction: study.direction,
      sampler: study.sampler.name,
      families,
      execution: schedule.execution,
    }),
  );
  await schedule.run();
  let stoppedBy = schedule.stoppedBy;
  if (opts.signal?.aborted) {
    if (replayClock) throw new SearchError('the replay was cancelled');
    stoppedBy = 'aborted';
  }
  if (replayClock) stoppedBy = opts.replayStoppedBy ?? stoppedBy;
  const tSearch = clock();

  // Select: the ensemble of the candidates, the best trial, or a rescued model (select.ts).
  call(() => opts.onPhase?.('ensemble'));
  const choice = await selectModel({
    opts,
    ctx,
    study,
    schedule,
    clock,
    budgetMs,
    hardDeadline,
    stoppedBy,
    ensembleRounds,
  });

  const tSelect = clock();

  // Refit the chosen members on all training rows (refit.ts).
  call(() => opts.onPhase?.('refit'));
  const refit = await refitMembers({
    opts,
    ctx,
    chosen: choice.chosen,
    holdoutModels: schedule.holdoutModels,
    rescued: choice.rescued !== undefined,
    clock,
    budgetMs,
    hardDeadline,
  });
  const tEnd = clock();

  // Record (manifest.ts).
  const manifest = searchManifest({
    opts,
    ctx,
    study,
    split,
    metric,
    seed,
    families,
    trialScoring,
    marginFraction: margin,
    stoppedBy,
    schedule,
    choice,
    refit,
    times: { tStart, t0, tSearch, tSelect, tEnd, budgetMs },
  });
  const { rescued } = choice;
  return {
    target: opts.target,
    task,
    ...(ctx.classes ? { classes: ctx.classes } : {}),
    metric,
    study,
    trials: study.trials,
    best: choice.ranked[choice.selection.bestSingle.index],
    model: refit.model,
    kind: manifest.final.kind,
    manifest,
    validation: rescued
      ? { y: rescued.y, pred: rescued.pred, rows: rescued.rows }
      : { y: ctx.yEval, pred: choice.validationPred, rows: ctx.evalRows },
  };
}
