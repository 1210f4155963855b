/**
 * The AutoML runner: one seeded split plan for every trial, the ask/tell loop over the study with
 * successive halving on fold 0's learning curve, trials evaluated by a `TrialExecutor` (in process by
 * default, or a worker pool: up to `executor.concurrency` trials at once), out-of-fold predictions
 * kept for the ensemble, a wall-clock and/or trial-count budget, then a refit of the chosen model(s)
 * on all training rows (on the calling thread) and greedy ensemble selection.
 *
 * Validation protocol: k-fold (5; 3 for budgets under 20 s or more than 2,000 cells per second of
 * budget, e.g. over 120k rows × columns at 60 s) when there are at most `kfoldMaxRows`
 * rows (default 10,000), else a 20% holdout; stratified for classification; the same plan (seed =
 * the search seed) for every trial. Each fold fits the automatic pipeline on its training rows only.
 * Refits train on all rows: boosting with the folds' mean best iteration × √(all rows / fold training
 * rows) (at least × 1.1), forests and nets with the folds' mean trees/best epoch.
 *
 * Budget: the search phase stops early enough to leave a refit reserve — max(10% of the budget, the
 * estimated refit time of the top 2 trials), at most 40% of the budget (the 10% floor also covers the
 * hand-back of a trial cut at the search deadline, e.g. a large holdout model sent from a worker).
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
 */
import { StudioError } from '../errors.ts';
import type { Table } from '../data/table.ts';
import { DEFAULT_METRIC } from '../metrics/index.ts';
import type { FeatureMatrix, Fitted, SerializedModel, Task } from '../models/types.ts';
import { deserializeModel } from '../models/registry.ts';
import type { FittedPipeline } from '../pipeline/index.ts';
import {
  FAMILIES,
  TF_FAMILIES,
  ensureFamiliesRegistered,
  estimatorFor,
  type FamilyName,
} from '../train/families.ts';
import type { Sampler } from './samplers/index.ts';
import { familySpace } from './spaces.ts';
import type { HalvingConfig, HalvingDecision } from './halving.ts';
import { Study, type Trial, type TrialSpec } from './study.ts';
import { EnsembleModel, ensureEnsembleRegistered, selectEnsemble, type EnsembleMember } from './ensemble.ts';
import { pipeKey, prepareSearchContext, type PipeKey } from './context.ts';
import {
  dropState,
  holdoutPipeline,
  rescueFit,
  rescueResource,
  type RescueOutcome,
  type TrialOutcome,
  type CutPoint,
  type TrialResultWithRungs,
  type TrialTask,
} from './evaluate-trial.ts';
import { inProcessExecutor, type TrialExecutor } from './executor.ts';
import type { TimeOrder } from './time-split.ts';

/** Policy defaults (see the header). */
const DEFAULT_KFOLD_MAX_ROWS = 10_000;
const DEFAULT_ENSEMBLE_SIZE = 16;
const DEFAULT_ENSEMBLE_ROUNDS = 40;
/** Best trials of each family kept as ensemble candidates besides the overall top `ensembleSize`. */
const DEFAULT_PER_FAMILY = 2;

const isFitted = (m: Fitted | SerializedModel): m is Fitted =>
  typeof (m as { predict?: unknown }).predict === 'function';

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
  /** Successive halving settings, or false to never prune. */
  readonly halving?: false | Pick<HalvingConfig, 'reductionFactor' | 'minPeers'>;
  /**
   * How a boosted trial's folds are scored (no-peek.ts): 'no-peek' (default) — at the round count the
   * other folds choose; 'own-fold' — at the fold's own early-stopping round, as searches recorded
   * before no-peek scoring did (a replay of such a manifest uses it).
   */
  readonly trialScoring?: TrialScoring;
  /** How many of the best trials are ensemble candidates (default 16; 1 = no ensemble). */
  readonly ensembleSize?: number;
  /** Greedy ensemble steps (default 40). */
  readonly ensembleRounds?: number;
  /** Share of the time budget allowed beyond it for the final refit (default 0.1). */
  readonly marginFraction?: number;
  readonly exclude?: readonly string[];
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

/** A trial ended early by the deadline or a stop: where (see `CutPoint`); no fold/round: it did not run. */
export interface TrialCut {
  readonly trial: number;
  readonly reason: 'deadline' | 'aborted';
  readonly fold?: number;
  readonly round?: number;
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
 *   trained after the search on fold 0's training rows as a trial would, stopped by the budget
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
  };
  readonly final: {
    readonly kind: 'single' | 'ensemble';
    readonly members: readonly { trial: number; weight: number; resource: number }[];
  };
  readonly timings: {
    readonly searchSeconds: number;
    readonly refitSeconds: number;
    readonly totalSeconds: number;
  };
  readonly droppedMissingTarget: number;
  /** Executed trial list (family, parameters, seed) to replay the search without the clock. */
  readonly replay: readonly TrialSpec[];
  /** The clock's decisions, applied by a replay (absent in bundles made before it was recorded). */
  readonly clock: ClockRecord;
}

/** How boosted trials' folds are scored: see `SearchOptions.trialScoring`. */
export type TrialScoring = 'no-peek' | 'own-fold';

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

export class SearchError extends StudioError {
  readonly kind = 'training';
  constructor(message: string) {
    super(message);
    this.name = 'SearchError';
  }
}

let backendReady: Promise<unknown> | null = null;
async function ensureTfBackend(): Promise<void> {
  if (!backendReady) {
    backendReady = import('../models/nn/backend.ts').then((m) => m.selectBackend('auto'));
  }
  await backendReady;
}

interface KeptModel {
  readonly family: FamilyName;
  readonly model: Fitted | SerializedModel;
  readonly resource: number;
}

function call(fn: () => void): void {
  try {
    fn();
  } catch {
    // a failing listener does not stop the search
  }
}

/** Runs `fn` over `items` in order with at most `limit` at once. */
async function inOrderLimited<T>(items: readonly T[], limit: number, fn: (x: T) => Promise<void>) {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
}

export async function runSearch(opts: SearchOptions): Promise<SearchResult> {
  const clock = opts.now ?? (() => performance.now());
  const t0 = clock();
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
  const deadline = t0 + budgetMs;
  const hardDeadline = t0 + budgetMs * (1 + margin);
  const seed = opts.seed ?? 0;
  const task = opts.task;
  const families = [...(opts.families ?? FAMILIES)];
  const metric = opts.metric ?? DEFAULT_METRIC[task];

  ensureFamiliesRegistered();
  ensureEnsembleRegistered();
  if (families.some((f) => TF_FAMILIES.has(f))) await (opts.tfBackend ? opts.tfBackend() : ensureTfBackend());

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
    },
  });
  const { plan, nFolds, y, yEval, features, nClasses } = ctx;
  const n = y.length;

  const study = new Study({ task, metric, families, seed, sampler: opts.sampler, halving: opts.halving });
  if (opts.replay?.length) study.enqueue(...opts.replay);

  const executor = opts.executor ?? inProcessExecutor({ now: clock });
  const concurrency = Math.max(1, Math.floor(executor.concurrency));
  const deterministic = budgetMs === Infinity;

  // The clock's decisions (see ClockRecord).
  const told: number[] = [];
  const asked: number[] = [];
  const cuts: TrialCut[] = [];
  const crashed: ClockRecord['crashed'][number][] = [];
  const refitDecisions: RefitDecision[] = [];
  const replayCuts = new Map((replayClock?.cuts ?? []).map((c) => [c.trial, c]));
  const replayCrashed = new Map((replayClock?.crashed ?? []).map((c) => [c.trial, c]));
  const askTrial = (): Trial => {
    asked.push(told.length);
    return study.ask();
  };
  /** Peers of a replayed trial: the same family's rung values among the trials told before it was asked. */
  const recordedPeers = (trial: Trial, rec: ClockRecord): Record<number, number[]> => {
    const before = rec.told.slice(0, rec.asked[trial.number]).sort((a, b) => a - b);
    const out: Record<number, number[]> = {};
    for (const num of before) {
      const o = study.trials[num];
      if (o.family !== trial.family) continue;
      for (const r of o.rungs) (out[r.budget] ??= []).push(r.value);
    }
    return out;
  };

  const oof = new Map<number, Float64Array>();
  const holdoutModels = new Map<number, KeptModel>();
  let fallback: { trial: Trial; pred: Float64Array; holdout: KeptModel } | undefined;
  const ensembleSize = Math.max(1, opts.ensembleSize ?? DEFAULT_ENSEMBLE_SIZE);
  const foldSeconds = (t: Trial) => {
    const fs = t.durations.folds ?? [];
    return fs.length ? fs.reduce((a, b) => a + b, 0) / fs.length : 0;
  };
  const refitEstimateMs = (t: Trial) =>
    foldSeconds(t) * 1000 * (nFolds > 1 ? nFolds / (nFolds - 1) : 1.25) * 1.2;
  const searchDeadline = (): number => {
    if (budgetMs === Infinity) return Infinity;
    // Reserve for the refit: the estimated refit time of the two best trials (the usual ensemble
    // core), at least 10% and at most 40% of the budget.
    const top = study.ranked().slice(0, 2);
    const est = top.reduce((a, t) => a + refitEstimateMs(t), 0);
    const reserve = Math.min(0.4 * budgetMs, Math.max(0.1 * budgetMs, est));
    return deadline - reserve;
  };
  const current = (t: Trial) => study.trials[t.number];
  /**
   * Ensemble candidates, best first: the top `ensembleSize` complete trials by value plus the best
   * `DEFAULT_PER_FAMILY` of each family (diversity: on small data the top trials are often near-copies
   * of one configuration, and a blend across families generalises better). A trial that leaves this set
   * never re-enters it, so the set does not depend on the order in which results arrive.
   */
  const candidates = (): Trial[] => {
    const all = study.ranked();
    if (ensembleSize <= 1) return all.slice(0, 1);
    const perFamily = new Map<FamilyName, number>();
    return all.filter((t, i) => {
      const k = perFamily.get(t.family) ?? 0;
      perFamily.set(t.family, k + 1);
      return i < ensembleSize || k < DEFAULT_PER_FAMILY;
    });
  };

  const splitInfo: SearchManifest['split'] = {
    strategy: plan.strategy,
    folds: nFolds,
    stratified: plan.stratified,
    seed,
    ...(plan.validFraction !== undefined ? { validFraction: plan.validFraction } : {}),
    rows: n,
    ...(opts.timeOrder ? { timeOrder: { column: opts.timeOrder.column } } : {}),
  };
  const execution: SearchManifest['execution'] = {
    mode: deterministic ? 'batched' : 'async',
    workers: concurrency,
    ...(deterministic ? { batchSize } : {}),
  };
  call(() =>
    opts.onPhase?.('search', {
      split: splitInfo,
      metric,
      direction: study.direction,
      sampler: study.sampler.name,
      families,
      execution,
    }),
  );

  /** Runs one asked trial to its end and tells the study. */
  const runTrial = async (trial: Trial, peers: Record<number, number[]>): Promise<void> => {
    const stopAt = searchDeadline();
    const recordedCut = replayCuts.get(trial.number);
    const recordedCrash = replayCrashed.get(trial.number);
    let result: TrialResultWithRungs;
    let pred: Float64Array | undefined;
    let holdout: { model: Fitted | SerializedModel; resource: number } | undefined;
    let importance: TrialOutcome['importance'];
    const reported = new Set<number>();
    const record = (step: number, value: number): HalvingDecision => {
      const live = current(trial);
      if (live.state !== 'RUNNING' || reported.has(step)) return 'continue';
      reported.add(step);
      const decision = study.report(trial.id, step, value, peers[step] ?? []);
      call(() => opts.onTrialReport?.(current(trial), step, value));
      return decision;
    };
    if (opts.signal?.aborted) {
      result = { state: 'PRUNED', reason: 'aborted', rungs: [], durations: {} };
    } else if (
      recordedCut &&
      (recordedCut.fold === undefined ||
        recordedCut.round === undefined ||
        recordedCut.fold + recordedCut.round === 0)
    ) {
      // replay: the recorded trial never trained (stopped before it started, or where is unknown)
      result = { state: 'PRUNED', reason: recordedCut.reason, rungs: [], durations: {} };
    } else if (recordedCrash !== undefined) {
      result = {
        state: 'FAILED',
        reason: 'error',
        error: recordedCrash.error,
        rungs: (recordedCrash.rungs ?? []).map((r) => ({
          budget: r.budget,
          value: r.value ?? NaN,
          decision: 'continue' as const,
        })),
        durations: {},
      };
    } else if (clock() > stopAt) {
      result = {
        state: 'PRUNED',
        reason: 'deadline',
        rungs: [],
        durations: {},
        cut: { reason: 'deadline', fold: 0, round: 0 },
      };
    } else {
      call(() => opts.onTrialStart?.(trial, study));
      const fam = trial.family;
      const taskSpec: TrialTask = {
        id: trial.id,
        number: trial.number,
        family: fam,
        config: trial.config,
        seed: trial.seed,
        rungs: study.rungs(fam),
        halving: study.halving,
        peers,
        ...(stopAt !== Infinity ? { timeLimitMs: Math.max(0, stopAt - clock()) } : {}),
        keepHoldoutModel: nFolds === 1,
        ...(trialScoring === 'own-fold' ? { noPeek: false } : {}),
        ...(recordedCut ? { cut: recordedCut as CutPoint } : {}),
      };
      let out;
      try {
        out = await executor.evaluate(taskSpec, { report: record, signal: opts.signal });
      } catch (err) {
        out = {
          result: {
            state: 'FAILED' as const,
            reason: 'error' as const,
            error: (err as Error)?.message ?? String(err),
            rungs: [],
            durations: {},
          },
        };
      }
      result = out.result;
      pred = out.pred;
      holdout = out.holdout;
      importance = (out as { importance?: TrialOutcome['importance'] }).importance;
    }
    // Rungs the live channel did not deliver (e.g. a worker that died right after reporting).
    for (const r of result.rungs) record(r.budget, r.value);
    if (result.reason === 'deadline' || result.reason === 'aborted') {
      const at = result.cut ?? (recordedCut?.reason === result.reason ? recordedCut : undefined);
      cuts.push({
        trial: trial.number,
        reason: result.reason,
        ...(at?.fold !== undefined && at.round !== undefined ? { fold: at.fold, round: at.round } : {}),
      });
    }
    if (result.state === 'FAILED' && result.error?.startsWith('worker crashed'))
      crashed.push({
        trial: trial.number,
        error: result.error,
        rungs: current(trial).rungs.map((r) => ({
          budget: r.budget,
          value: Number.isFinite(r.value) ? r.value : null,
        })),
      });
    told.push(trial.number);
    const done = study.tell(trial.id, result);
    if (pred && done.state === 'COMPLETE') {
      oof.set(done.number, pred);
      if (holdout) holdoutModels.set(done.number, { family: done.family, ...holdout });
      const keep = new Set(candidates().map((t) => t.number));
      for (const num of [...oof.keys()]) if (!keep.has(num)) oof.delete(num);
      for (const num of [...holdoutModels.keys()]) if (!keep.has(num)) holdoutModels.delete(num);
    } else if (pred && holdout && done.value !== undefined && Number.isFinite(done.value)) {
      // A deadline-cut holdout trial: kept only while it is the best such fallback (ties: the lower
      // trial number, so the choice does not depend on the order results arrive in).
      const fb = fallback?.trial;
      if (!fb || study.better(done.value, fb.value!) || (done.value === fb.value && done.number < fb.number))
        fallback = { trial: done, pred, holdout: { family: done.family, ...holdout } };
    }
    const evidence: TrialEvidenceData | undefined =
      pred && done.state === 'COMPLETE'
        ? {
            task,
            y: yEval,
            pred,
            ...(ctx.classes ? { classes: ctx.classes } : {}),
            ...(importance ? { importance } : {}),
          }
        : undefined;
    call(() => opts.onTrial?.(done, study, evidence));
  };

  /** Tells an asked trial that never ran: cut by the deadline before it started. */
  const tellNeverRun = (trial: Trial): Trial => {
    cuts.push({ trial: trial.number, reason: 'deadline' });
    told.push(trial.number);
    const done = study.tell(trial.id, { state: 'PRUNED', reason: 'deadline', durations: {} });
    call(() => opts.onTrial?.(done, study));
    return done;
  };

  let stoppedBy: SearchManifest['stoppedBy'] = 'maxTrials';
  const maxTrials = opts.maxTrials ?? Infinity;
  try {
    await executor.init({ table: opts.table, spec: ctx.spec }, ctx);
    if (replayClock) {
      // Replay: every recorded trial, each dispatched once the trials it was judged against are told.
      const trials = (opts.replay ?? []).map(() => study.ask());
      asked.push(...replayClock.asked);
      const order = [...replayClock.told, ...trials.map((t) => t.number)].filter(
        (num, i, all) => num < trials.length && all.indexOf(num) === i,
      );
      const finished = new Set<number>();
      const waiting: (() => void)[] = [];
      const inflight = new Set<Promise<void>>();
      for (const num of order) {
        const trial = trials[num];
        const need = replayClock.told.slice(0, replayClock.asked[num]);
        while (inflight.size >= concurrency || need.some((k) => !finished.has(k)))
          await new Promise<void>((resolve) => waiting.push(resolve));
        const p: Promise<void> = runTrial(trial, recordedPeers(trial, replayClock)).finally(() => {
          inflight.delete(p);
          finished.add(num);
          for (const w of waiting.splice(0)) w();
        });
        inflight.add(p);
      }
      await Promise.all(inflight);
    } else if (deterministic) {
      while (study.trials.length < maxTrials && !opts.signal?.aborted) {
        const k = Math.min(batchSize, maxTrials - study.trials.length);
        const batch = Array.from({ length: k }, () => {
          const trial = askTrial();
          return { trial, peers: study.peerSnapshot(trial.family) };
        });
        await inOrderLimited(batch, concurrency, (b) => runTrial(b.trial, b.peers));
      }
    } else {
      const inflight = new Set<Promise<void>>();
      for (;;) {
        if (opts.signal?.aborted || study.trials.length >= maxTrials) break;
        if (clock() >= searchDeadline()) {
          stoppedBy = 'deadline';
          break;
        }
        if (inflight.size >= concurrency) {
          await Promise.race(inflight);
          continue;
        }
        const trial = askTrial();
        const p: Promise<void> = runTrial(trial, study.peerSnapshot(trial.family)).finally(() =>
          inflight.delete(p),
        );
        inflight.add(p);
        // Let a synchronous in-process trial finish before asking again.
        if (inflight.size >= concurrency) await Promise.race(inflight);
      }
      await Promise.all(inflight);
    }
  } finally {
    await executor.close();
  }
  if (opts.signal?.aborted) {
    if (replayClock) throw new SearchError('the replay was cancelled');
    stoppedBy = 'aborted';
  }
  if (replayClock) stoppedBy = opts.replayStoppedBy ?? stoppedBy;
  const tSearch = clock();

  call(() => opts.onPhase?.('ensemble'));
  const ranked = candidates().filter((t) => oof.has(t.number));
  // No trial finished: a time-budgeted search still gives a model (see RescueRecord).
  let rescue: Omit<RescueRecord, 'overrunSeconds'> | undefined;
  let rescued: RescueOutcome | undefined;
  if (!ranked.length && fallback) {
    ranked.push(fallback.trial);
    oof.set(fallback.trial.number, fallback.pred);
    holdoutModels.set(fallback.trial.number, fallback.holdout);
    const at = cuts.find((c) => c.trial === fallback!.trial.number);
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
    if (!t && !study.trials.length) t = tellNeverRun(askTrial());
    if (t) {
      const minRounds = recordedRescue?.minRounds ?? rescueResource(t.family, t.config);
      try {
        rescued = await rescueFit(
          ctx,
          t,
          recordedRescue
            ? recordedRescue.rounds !== undefined
              ? { rounds: recordedRescue.rounds }
              : {}
            : { minRounds, pastDeadline: () => clock() > hardDeadline },
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
      t = study.rescued(t.id, { value: rescued.value, resources: [rescued.resource] });
      ranked.push(t);
      holdoutModels.set(t.number, { family: t.family, model: rescued.model, resource: rescued.resource });
      rescue = {
        trial: t.number,
        how: 'fit',
        fold: 0,
        minRounds,
        ...(rescued.stoppedAt !== undefined ? { rounds: rescued.stoppedAt } : {}),
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
  const sel = rescued
    ? { weights: [1], score: rescued.value, bestSingle: { index: 0, score: rescued.value } }
    : selectEnsemble(
        ranked.map((t) => oof.get(t.number)!),
        yEval,
        { task, nClasses, metric, rounds: opts.ensembleRounds ?? DEFAULT_ENSEMBLE_ROUNDS },
      );
  const nonZero = sel.weights.filter((w) => w > 0).length;
  const useEnsemble = nonZero > 1 && study.better(sel.score, sel.bestSingle.score);
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

  // Refit on all training rows.
  call(() => opts.onPhase?.('refit'));
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
  const gbdtRefitScale = Math.max(1.1, Math.sqrt(1 / trainShare));
  const pipelines: FittedPipeline[] = [];
  const members: EnsembleMember[] = [];
  const finalMembers: { trial: number; weight: number; resource: number; refit: boolean }[] = [];
  const dropped: number[] = [];
  const pipelineIndex = (p: FittedPipeline) => {
    const at = pipelines.indexOf(p);
    return at >= 0 ? at : pipelines.push(p) - 1;
  };
  const recordedRefit = replayClock ? new Map(replayClock.refit.map((r) => [r.trial, r])) : undefined;
  for (const [i, { t, w }] of chosen.entries()) {
    const recorded = recordedRefit?.get(t.number);
    // A rescued model is used as is (its fold-0 model, no refit on all rows).
    const fits = rescued
      ? false
      : recorded
        ? recorded.action === 'refit'
        : budgetMs === Infinity || clock() + refitEstimateMs(t) <= hardDeadline;
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
        pipeline: pipelineIndex(holdoutPipeline(ctx, kept.family, t.config)),
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
    const scale = t.family === 'gbdt' ? gbdtRefitScale : 1;
    const resource = Math.max(1, Math.min(res.max * 2, Math.round(mean * scale)));
    const { pipeline, matrix } = fullData(pipeKey(t.family, t.config));
    const est = estimatorFor(t.family);
    let rounds = 0;
    let stoppedAt: number | undefined;
    const model = await est.fit(matrix, y, {
      task,
      nClasses: task === 'regression' ? undefined : nClasses,
      config: { ...t.config, seed: t.seed, [res.key]: resource },
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
    dropState(model);
    members.push({
      weight: w,
      pipeline: pipelineIndex(pipeline),
      model,
      trial: t.number,
      params: { family: t.family, ...t.params },
    });
    finalMembers.push({ trial: t.number, weight: w, resource, refit: true });
  }
  const model = new EnsembleModel(task, nClasses, pipelines, members);
  const tEnd = clock();
  const best = ranked[sel.bestSingle.index];

  const halvingInfo: SearchManifest['halving'] =
    opts.halving === false
      ? false
      : {
          reductionFactor: opts.halving?.reductionFactor ?? 3,
          minPeers: opts.halving?.minPeers ?? 3,
          rungs: Object.fromEntries(families.map((f) => [f, study.rungs(f)])),
        };
  const manifest: SearchManifest = {
    split: splitInfo,
    execution,
    metric,
    direction: study.direction,
    seed,
    families,
    sampler: study.sampler.name,
    trialScoring,
    halving: halvingInfo,
    budget: {
      ...(opts.timeBudgetSeconds !== undefined
        ? { seconds: opts.timeBudgetSeconds, statedMaxSeconds: opts.timeBudgetSeconds * (1 + margin) }
        : {}),
      ...(opts.maxTrials !== undefined ? { maxTrials: opts.maxTrials } : {}),
      marginFraction: margin,
    },
    stoppedBy,
    ensemble: {
      candidates: ranked.map((t) => t.number),
      weights: sel.weights,
      score: sel.score,
      bestSingleScore: sel.bestSingle.score,
      used: useEnsemble,
      droppedAtRefit: dropped,
    },
    final: { kind: members.length > 1 ? 'ensemble' : 'single', members: finalMembers },
    timings: {
      searchSeconds: (tSearch - t0) / 1000,
      refitSeconds: (tEnd - tSearch) / 1000,
      totalSeconds: (tEnd - t0) / 1000,
    },
    droppedMissingTarget: ctx.droppedMissing,
    replay: study.replayList(),
    clock: {
      told,
      asked,
      cuts,
      crashed,
      refit: refitDecisions,
      ...(rescue
        ? {
            rescue: {
              ...rescue,
              overrunSeconds:
                recordedRescue?.overrunSeconds ?? Math.round(Math.max(0, tEnd - t0 - budgetMs)) / 1000,
            },
          }
        : {}),
    },
  };
  return {
    target: opts.target,
    task,
    ...(ctx.classes ? { classes: ctx.classes } : {}),
    metric,
    study,
    trials: study.trials,
    best,
    model,
    kind: manifest.final.kind,
    manifest,
    validation: rescued
      ? { y: rescued.y, pred: rescued.pred, rows: rescued.rows }
      : { y: yEval, pred: validationPred, rows: ctx.evalRows },
  };
}

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
    if ((c.fold !== undefined && !isCount(c.fold)) || (c.round !== undefined && !isCount(c.round)))
      bad(`cut of trial ${c.trial}: fold and round must be whole numbers`);
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
    if (!(typeof r.overrunSeconds === 'number' && r.overrunSeconds >= 0))
      bad('rescue.overrunSeconds must be a number >= 0');
  }
}
