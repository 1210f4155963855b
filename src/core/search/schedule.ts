/**
 * The search phase of `runSearch` (runner.ts): trials are asked from the study, run on the executor
 * and told, in one of three schedules (see the runner's header on determinism):
 * - a replay of recorded clock decisions: every recorded trial, each dispatched once the trials it
 *   was judged against are told, in the recorded tell order;
 * - batched (`maxTrials`, no time budget): batch b is asked once every trial of batch b−1 is told;
 * - asynchronous (a time budget): a new trial whenever an executor slot is free, until the search
 *   deadline — the budget less the refit reserve (`searchDeadline`).
 * What the clock decided is recorded as it happens (told, asked, cuts, crashed: `ClockRecord`), and
 * the validation predictions and holdout models of the ensemble candidates are kept (others are
 * dropped as they leave the candidate set), with the best deadline-cut holdout trial as a fallback
 * for when no trial completes.
 */
import type { Fitted, SerializedModel } from '../models/types.ts';
import type { FittedPipeline } from '../pipeline/index.ts';
import type { FamilyName } from '../train/families.ts';
import type { Params } from './space.ts';
import type { HalvingDecision } from './halving.ts';
import type { Study, Trial } from './study.ts';
import { metricValue } from './ensemble.ts';
import { pipeKey, type PipeKey, type SearchContext } from './context.ts';
import type { CutPoint, TrialOutcome, TrialResultWithRungs, TrialTask } from './evaluate-trial.ts';
import type { TrialExecutor } from './executor.ts';
import type { ClockRecord, SearchManifest, TrialCut, TrialScoring } from './manifest.ts';
import type { SearchOptions, TrialEvidenceData } from './runner.ts';
import { ESTIMATE_MAX_CELLS, ensembleCandidates } from './select.ts';
import { estimateGroups } from './estimate.ts';
import { refitEstimateMs } from './refit.ts';
import { trainsInRounds } from './spaces.ts';
import {
  MIN_EPOCHS,
  epochAllowance,
  gbdtLoadScale,
  glmIterationAllowance,
  netEpochsThatFit,
  roundAllowance,
  treeAllowance,
  type CostShape,
} from './allowance.ts';

/**
 * The selection's time over the time of its scores at the fastest measured (`ensembleEstimateMs`):
 * a greedy step also blends the candidates' predictions, and a loaded machine stretches seconds of
 * scores where a single half-millisecond score slips between its time slices (issue 17: on 2 cores at
 * load 18, under nice 19, the selection's wall time was 2.7–3.7 times its CPU time, one score's 1.0).
 */
export const SELECT_TIME_FACTOR = 2;

/** Nets not started in a row because they would not fit (see the async loop of `run`). */
export const MAX_NET_SKIPS = 3;

/** A model trained on the holdout plan's training rows, usable when its refit does not fit. */
export interface KeptModel {
  readonly family: FamilyName;
  readonly model: Fitted | SerializedModel;
  readonly resource: number;
  /** The pipeline it reads, when the trial sent it (else rebuilt: `holdoutPipeline`). */
  readonly pipeline?: FittedPipeline;
}

/** A deadline-cut holdout trial with a score: the model of a search in which no trial completed. */
export interface Fallback {
  readonly trial: Trial;
  readonly pred: Float64Array;
  readonly holdout: KeptModel;
}

export interface ScheduleSetup {
  readonly opts: SearchOptions;
  readonly ctx: SearchContext;
  readonly study: Study;
  readonly executor: TrialExecutor;
  readonly clock: () => number;
  readonly budgetMs: number;
  /** Start + budget (the search deadline is this less the refit reserve). */
  readonly deadline: number;
  readonly batchSize: number;
  readonly trialScoring: TrialScoring;
  /** How many of the best trials are ensemble candidates (`ensembleCandidates`). */
  readonly ensembleSize: number;
  /** Greedy ensemble steps for a number of candidates (select.ts). */
  readonly ensembleRounds: (nCandidates: number) => number;
  /** First estimate of a GBDT round's cost in ms (allowance.ts `roundMsEstimate`). */
  readonly roundMsEstimate?: number;
  /** The data's sizes for the nets' epoch allowance (allowance.ts `epochAllowance`); absent: none. */
  readonly costShape?: CostShape;
}

/** Calls a listener; a failing listener does not stop the search. */
export function call(fn: () => void): void {
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

export class TrialSchedule {
  // The clock's decisions (see ClockRecord).
  readonly told: number[] = [];
  readonly asked: number[] = [];
  readonly cuts: TrialCut[] = [];
  readonly crashed: ClockRecord['crashed'][number][] = [];
  /** Validation predictions of the ensemble candidates, by trial number. */
  readonly oof = new Map<number, Float64Array>();
  /** Holdout models of the ensemble candidates, by trial number. */
  readonly holdoutModels = new Map<number, KeptModel>();
  fallback: Fallback | undefined;
  stoppedBy: SearchManifest['stoppedBy'] = 'maxTrials';
  readonly concurrency: number;
  /** `maxTrials` and no time budget: seeded batches (see the runner's header). */
  readonly deterministic: boolean;
  readonly execution: SearchManifest['execution'];
  private readonly replayCuts: Map<number, TrialCut>;
  /** Net trials asked when the time left did not hold their fewest epochs (`askTrial`). */
  private readonly netWontFit = new Set<number>();
  private readonly replayCrashed: Map<number, ClockRecord['crashed'][number]>;
  /** Groups of the selection's nested estimate (estimate.ts `estimateGroups`). */
  private readonly estimateGroups: number;
  // Ensemble selection scores (rounds + 1) × candidates blends on the evaluated rows: on big data
  // (50,000 holdout rows, 18 candidates, ROC AUC) that is seconds, so the reserve includes it, from
  // the time one score of a trial's predictions took (`ensembleEstimateMs`).
  private scoreMs: number | undefined;
  /**
   * Clock readings of the search phase's end (`timings.tail`): when it stopped asking (the reserve it
   * kept then), when the last trial was told and when the executor was closed.
   */
  readonly marks: {
    stopAsking?: number;
    reserveMs?: number;
    /** The reserve's estimates at the stop (`reserve`). */
    parts?: { refitMs: number; ensembleMs: number };
    lastTold?: number;
    closed?: number;
  } = {};

  constructor(private readonly s: ScheduleSetup) {
    const replayClock = s.opts.replayClock;
    this.concurrency = Math.max(1, Math.floor(s.executor.concurrency));
    this.deterministic = s.budgetMs === Infinity;
    this.execution = {
      mode: this.deterministic ? 'batched' : 'async',
      workers: this.concurrency,
      ...(this.deterministic ? { batchSize: s.batchSize } : {}),
    };
    this.replayCuts = new Map((replayClock?.cuts ?? []).map((c) => [c.trial, c]));
    this.replayCrashed = new Map((replayClock?.crashed ?? []).map((c) => [c.trial, c]));
    this.estimateGroups = estimateGroups(s.ctx.evalRows, s.ctx.plan.foldOf, s.ctx.nFolds).n;
  }

  /** The ensemble candidates so far, best first (select.ts). */
  candidates(): Trial[] {
    return ensembleCandidates(this.s.study, this.s.ensembleSize);
  }

  askTrial(): Trial {
    this.asked.push(this.told.length);
    const { study, budgetMs, clock } = this.s;
    if (budgetMs === Infinity || this.s.opts.replayClock || this.s.opts.roundAllowance === false)
      return study.ask();
    // A time budget: the GBDT round allowance the measured cost leaves (allowance.ts), recorded as the
    // trial's roundCap, a net's epoch allowance, recorded as its epochCap, and a forest's tree
    // allowance, recorded as its treeCap. Not for a trial asked past the search deadline (it never runs, or is rescued).
    const remainingMs = this.searchDeadline() - clock();
    if (!(remainingMs > 0)) return study.ask();
    const roundCap = roundAllowance({
      trials: study.trials,
      best: study.ranked()[0],
      concurrency: this.concurrency,
      remainingMs,
      estimateMs: this.s.roundMsEstimate ?? 0,
    });
    // Nets: the epochs that share holds at the configuration's expected cost (recorded as `epochCap`).
    const shape = this.s.costShape;
    const loadScale = gbdtLoadScale(study.trials, this.s.roundMsEstimate);
    let wontFit = false;
    const epochCap = shape
      ? (family: FamilyName, params: Params) => {
          const input = {
            trials: study.trials,
            concurrency: this.concurrency,
            remainingMs,
            family,
            params,
            shape,
            ...(loadScale !== undefined ? { loadScale } : {}),
          };
          // a linear trial solved by 'glm': its solver's iterations (recorded as `maxIterations`)
          if (!trainsInRounds(family, params)) return glmIterationAllowance(input);
          wontFit = netEpochsThatFit(input) < MIN_EPOCHS;
          return epochAllowance(input);
        }
      : undefined;
    // Forests: the rounds of trees that share holds at the configuration's expected cost (`treeCap`).
    const treeCap = shape
      ? (params: Params) =>
          treeAllowance({
            trials: study.trials,
            concurrency: this.concurrency,
            remainingMs,
            params,
            shape,
            ...(loadScale !== undefined ? { loadScale } : {}),
          })
      : undefined;
    const trial = study.ask({ roundCap, ...(epochCap && treeCap ? { epochCap, treeCap } : {}) });
    if (wontFit) this.netWontFit.add(trial.number);
    return trial;
  }

  /** Peers of a replayed trial: the same family's rung values among the trials told before it was asked. */
  private recordedPeers(trial: Trial, rec: ClockRecord): Record<number, number[]> {
    return this.s.study.peersAmong(trial.family, rec.told.slice(0, rec.asked[trial.number]));
  }

  /**
   * The estimated time of the ensemble selection after the search (select.ts), ms: the greedy
   * selection scores (steps + 1) × candidates blends, and its nested estimate (estimate.ts) re-runs
   * it once per group of validation rows on the other groups' rows — (groups − 1) selections' worth —
   * when its size allows (`ESTIMATE_MAX_CELLS`); × `SELECT_TIME_FACTOR` for the blends and the spread.
   * Issue 17: the reserve left out the nested estimate (twice the selection on a 3-fold plan), and a
   * 10 s search's 1 s reserve met a 1.7–2.4 s selection (telco_churn, stackoverflow, load 15).
   */
  private ensembleEstimateMs(): number {
    const { scoreMs } = this;
    if (scoreMs === undefined || this.s.ensembleSize <= 1) return 0;
    const c = this.candidates().length;
    const rounds = this.s.ensembleRounds(c);
    const { yEval, width } = this.s.ctx;
    const g = this.estimateGroups;
    const nested = c > 1 && yEval.length * width * c * (rounds + 1) * g <= ESTIMATE_MAX_CELLS ? g - 1 : 0;
    return scoreMs * (rounds + 1) * c * (1 + nested) * SELECT_TIME_FACTOR;
  }

  /**
   * The refit reserve, ms, with its parts: the estimated refit time of the two best trials (the usual
   * ensemble core) and of the ensemble selection (`ensembleEstimateMs`); their sum, at least 10% and
   * at most 40% of the (finite) budget.
   */
  private reserve(): { ms: number; parts: { refitMs: number; ensembleMs: number } } {
    const { budgetMs, study, ctx } = this.s;
    const top = study.ranked().slice(0, 2);
    // Holdout plans: a refit that would not fit in 40% of the budget is not reserved for (big data on
    // a short budget): the refit then keeps the trial's holdout model, and the search uses the time.
    // A member's pipeline on all rows is fitted once (an earlier member with the same key fits it).
    const keys = new Set<PipeKey>();
    let refitMs = 0;
    for (const t of top) {
      const key = pipeKey(t.family, t.config);
      const ms = refitEstimateMs(ctx, t, keys.has(key));
      if (ctx.nFolds > 1 || ms <= 0.4 * budgetMs) {
        refitMs += ms;
        keys.add(key);
      }
    }
    const ensembleMs = this.ensembleEstimateMs();
    const ms = Math.min(0.4 * budgetMs, Math.max(0.1 * budgetMs, refitMs + ensembleMs));
    return { ms, parts: { refitMs, ensembleMs } };
  }

  /** When the search phase stops asking and cuts running trials: the deadline less the refit reserve. */
  searchDeadline(): number {
    return this.s.budgetMs === Infinity ? Infinity : this.s.deadline - this.reserve().ms;
  }

  /** Duration of the fastest complete trial so far (0 when none completed yet). */
  private fastestMs(): number {
    let ms = Infinity;
    for (const t of this.s.study.trials)
      if (t.state === 'COMPLETE' && t.durations.total !== undefined)
        ms = Math.min(ms, t.durations.total * 1000);
    return ms === Infinity ? 0 : ms;
  }

  /** Runs one asked trial to its end and tells the study. */
  private async runTrial(trial: Trial, peers: Record<number, number[]>): Promise<void> {
    const { opts, ctx, study, executor, clock, budgetMs, trialScoring } = this.s;
    const { nFolds, yEval, nClasses } = ctx;
    const task = opts.task;
    const metric = ctx.metric;
    const rowLevels = ctx.subsample?.rows;
    const current = (t: Trial) => study.trials[t.number];
    const stopAt = this.searchDeadline();
    const recordedCut = this.replayCuts.get(trial.number);
    const recordedCrash = this.replayCrashed.get(trial.number);
    let result: TrialResultWithRungs;
    let pred: Float64Array | undefined;
    let holdout: { model: Fitted | SerializedModel; resource: number; pipeline?: FittedPipeline } | undefined;
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
        (recordedCut.fold + recordedCut.round === 0 && !recordedCut.level))
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
        ...(rowLevels ? { rowLevels } : {}),
        halving: study.halving,
        peers,
        ...(stopAt !== Infinity ? { timeLimitMs: Math.max(0, stopAt - clock()) } : {}),
        keepHoldoutModel: nFolds === 1,
        // a trial completed: a cut model can no longer be the fallback (see TrialTask.keepCutModel)
        ...(nFolds === 1 && study.ranked().length > 0 ? { keepCutModel: false } : {}),
        // …and on big data it is not scored either; a replay does what the recorded cut says
        // (`TrialCut.unscored`)
        ...((
          recordedCut ? recordedCut.unscored === true : rowLevels && nFolds === 1 && study.ranked().length > 0
        )
          ? { skipCutScore: true }
          : {}),
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
    // A cut is recorded also when it left the trial COMPLETE at a row-subsample level (`result.cut`).
    const cutReason =
      result.reason === 'deadline' || result.reason === 'aborted' ? result.reason : result.cut?.reason;
    if (cutReason) {
      const at = result.cut ?? (recordedCut?.reason === cutReason ? recordedCut : undefined);
      this.cuts.push({
        trial: trial.number,
        reason: cutReason,
        ...(at?.level !== undefined ? { level: at.level } : {}),
        ...(at?.fold !== undefined && at.round !== undefined ? { fold: at.fold, round: at.round } : {}),
        ...(at && 'unscored' in at && at.unscored ? { unscored: true as const } : {}),
      });
    }
    if (result.state === 'FAILED' && result.error?.startsWith('worker crashed'))
      this.crashed.push({
        trial: trial.number,
        error: result.error,
        rungs: current(trial).rungs.map((r) => ({
          budget: r.budget,
          value: Number.isFinite(r.value) ? r.value : null,
        })),
      });
    this.told.push(trial.number);
    const done = study.tell(trial.id, result);
    if (pred && done.state === 'COMPLETE') {
      if (budgetMs !== Infinity) {
        // the fastest of these timings (the first runs before the code is optimised)
        const t = clock();
        metricValue(task, yEval, pred, nClasses, metric);
        this.scoreMs = Math.min(this.scoreMs ?? Infinity, clock() - t);
      }
      this.oof.set(done.number, pred);
      if (holdout) this.holdoutModels.set(done.number, { family: done.family, ...holdout });
      const keep = new Set(this.candidates().map((t) => t.number));
      for (const num of [...this.oof.keys()]) if (!keep.has(num)) this.oof.delete(num);
      for (const num of [...this.holdoutModels.keys()]) if (!keep.has(num)) this.holdoutModels.delete(num);
    } else if (pred && holdout && done.value !== undefined && Number.isFinite(done.value)) {
      // A deadline-cut holdout trial: kept only while it is the best such fallback (ties: the lower
      // trial number, so the choice does not depend on the order results arrive in).
      const fb = this.fallback?.trial;
      if (!fb || study.better(done.value, fb.value!) || (done.value === fb.value && done.number < fb.number))
        this.fallback = { trial: done, pred, holdout: { family: done.family, ...holdout } };
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
  }

  /** Tells an asked trial that never ran: cut by the deadline before it started. */
  tellNeverRun(trial: Trial): Trial {
    const { study, opts } = this.s;
    this.cuts.push({ trial: trial.number, reason: 'deadline' });
    this.told.push(trial.number);
    const done = study.tell(trial.id, { state: 'PRUNED', reason: 'deadline', durations: {} });
    call(() => opts.onTrial?.(done, study));
    return done;
  }

  /**
   * The search phase: initialises the executor, runs trials until the schedule ends (replay: every
   * recorded trial; batched: `maxTrials`; async: the search deadline or `maxTrials`) or a stop, and
   * closes the executor.
   */
  async run(): Promise<void> {
    const { opts, ctx, study, executor, clock, batchSize } = this.s;
    const { concurrency } = this;
    const replayClock = opts.replayClock;
    const rowLevels = ctx.subsample?.rows;
    const maxTrials = opts.maxTrials ?? Infinity;
    try {
      await executor.init({ table: opts.table, spec: ctx.spec }, ctx);
      if (replayClock) {
        // Replay: every recorded trial, each dispatched once the trials it was judged against are told.
        const trials = (opts.replay ?? []).map(() => study.ask());
        this.asked.push(...replayClock.asked);
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
          const p: Promise<void> = this.runTrial(trial, this.recordedPeers(trial, replayClock)).finally(
            () => {
              inflight.delete(p);
              finished.add(num);
              for (const w of waiting.splice(0)) w();
            },
          );
          inflight.add(p);
        }
        await Promise.all(inflight);
      } else if (this.deterministic) {
        while (study.trials.length < maxTrials && !opts.signal?.aborted) {
          const k = Math.min(batchSize, maxTrials - study.trials.length);
          const batch = Array.from({ length: k }, () => {
            const trial = this.askTrial();
            return { trial, peers: study.peerSnapshot(trial.family) };
          });
          await inOrderLimited(batch, concurrency, (b) => this.runTrial(b.trial, b.peers));
        }
      } else {
        const inflight = new Set<Promise<void>>();
        let skipped = 0;
        for (;;) {
          if (opts.signal?.aborted || study.trials.length >= maxTrials) break;
          // Big data: no new trial when not even the fastest complete trial so far would finish before
          // the search deadline (a cut trial's work is lost, and its uncuttable start — the pipeline of
          // a level, a net's epoch — would push the run past its limit).
          const now = clock();
          const reserve = this.s.budgetMs === Infinity ? undefined : this.reserve();
          if (reserve && now + (rowLevels ? this.fastestMs() : 0) >= this.s.deadline - reserve.ms) {
            this.stoppedBy = 'deadline';
            this.marks.stopAsking = now;
            this.marks.reserveMs = reserve.ms;
            this.marks.parts = reserve.parts;
            break;
          }
          if (inflight.size >= concurrency) {
            await Promise.race(inflight);
            continue;
          }
          const trial = this.askTrial();
          // A net whose fewest epochs (`MIN_EPOCHS`) the time left does not hold at its expected cost
          // is not started (told PRUNED by the deadline, as a trial asked past it; a replay does the
          // same from the recorded cut): it would only be cut, its work lost, while cheaper trials fit
          // (issue 21: in Chromium on 1,000,000 rows a wide MLP started 13 s before the search
          // deadline ran 14 s and was cut, about five boosted trials' time; issue 17: on diamonds at
          // 10 s the wide MLP asked 1.5 s before the deadline ran one 6 s epoch, the whole search
          // 15 s). At most `MAX_NET_SKIPS` in a row. Clock decisions only: a trial-capped search has
          // no time left to compare with and is unchanged.
          if (this.netWontFit.has(trial.number) && skipped < MAX_NET_SKIPS) {
            skipped++;
            this.tellNeverRun(trial);
            continue;
          }
          skipped = 0;
          const p: Promise<void> = this.runTrial(trial, study.peerSnapshot(trial.family)).finally(() =>
            inflight.delete(p),
          );
          inflight.add(p);
          // Let a synchronous in-process trial finish before asking again.
          if (inflight.size >= concurrency) await Promise.race(inflight);
        }
        await Promise.all(inflight);
      }
      this.marks.lastTold = clock();
    } finally {
      await executor.close();
      this.marks.closed = clock();
    }
  }
}
