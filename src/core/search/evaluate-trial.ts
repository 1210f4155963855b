/**
 * One trial's evaluation, as a pure function over a prepared `SearchContext`: fits the family on
 * every fold of the split plan, reports rung values (fold 0's validation loss at the rung resources)
 * through an async callback, honours a stop signal and a time limit, and returns the `TrialResult`
 * plus the out-of-fold (or holdout) predictions over `ctx.evalRows`.
 *
 * Halving decisions are taken here, synchronously, from the peer snapshot in the task (the rung
 * values of trials that had finished when this trial was asked): model training calls back
 * synchronously after every round, so a round trip to a coordinator cannot pause it. The same
 * decision is recomputed by the coordinator when it records the report, and a 'prune' answer from
 * `report` also stops the trial at its next round (it is awaited between folds). The function runs
 * unchanged in process and in a worker (see trial-endpoint.ts).
 */
import { METRICS, evaluate } from '../metrics/index.ts';
import { addImportance, importanceEvidence, type ImportanceEvidence } from '../tracking/evidence.ts';
import type { Fitted, RoundInfo } from '../models/types.ts';
import type { FittedPipeline } from '../pipeline/index.ts';
import { TF_FAMILIES, estimatorFor, type FamilyName } from '../train/families.ts';
import { halvingDecision, promotionDecision, type HalvingConfig, type HalvingDecision } from './halving.ts';
import { familySpace, trainingConfig } from './spaces.ts';
import { pipeKey, takeMatrixRows, type FoldData, type PipeKey, type SearchContext } from './context.ts';
import type { EndReason, RungRecord, TrialResult } from './study.ts';
import { levelNetPatience } from './subsample.ts';
import { crossFitRounds, holdoutHalves, stagedModel, type StagedModel } from './no-peek.ts';

/** What a worker needs to run one trial (structured-clone safe). */
export interface TrialTask {
  readonly id: string;
  readonly number: number;
  readonly family: FamilyName;
  /** The family config (resource excluded; the maximum resource is used, rungs cut it short). */
  readonly config: Readonly<Record<string, unknown>>;
  readonly seed: number;
  /** Rung resources (rounds/trees/epochs completed) where fold 0's validation loss is reported. */
  readonly rungs: readonly number[];
  /** Successive halving settings, or false (never prune). */
  readonly halving: false | Pick<HalvingConfig, 'reductionFactor' | 'minPeers'>;
  /**
   * Row-subsample levels (training rows, smallest first; `ctx.subsample.rows`): the trial trains on
   * each in turn and goes on to the next (then all rows) only when promoted at that row rung
   * (subsample.ts). Absent: it trains on all rows at once.
   */
  readonly rowLevels?: readonly number[];
  /**
   * Peer losses per rung resource (trials finished before this one was asked): the same family's at
   * round rungs, every family's at row rungs.
   */
  readonly peers: Readonly<Record<number, readonly number[]>>;
  /** Milliseconds from the start of the evaluation after which the trial stops ('deadline'). */
  readonly timeLimitMs?: number;
  /**
   * false: score boosted folds at their own early-stopping round (searches recorded before no-peek
   * scoring); absent or true: at the round the other folds choose (no-peek.ts).
   */
  readonly noPeek?: boolean;
  /** Return the fold-0 model of a holdout plan (as JSON across a worker boundary). */
  readonly keepHoldoutModel?: boolean;
  /**
   * false: a trial cut by the deadline returns no model. A cut model is only a fallback for a search in
   * which no trial completes, so it is not sent once one has; sending it cost more than the trial (a
   * 48-tree deep random forest cut on letter-sized data: 11 s of training, then the search phase ended
   * 20 s later while its model crossed the worker boundary as JSON).
   */
  readonly keepCutModel?: boolean;
  /**
   * true: a trial cut by the deadline (or a stop) returns without scoring the model it trained so far
   * (`CutPoint.unscored`). Set on big data (row-subsample levels) once a trial has completed, and in
   * a replay of a cut recorded unscored.
   */
  readonly skipCutScore?: boolean;
  /**
   * Replay of a recorded cut: stop exactly where the recorded trial was stopped by the clock or a
   * stop (in fold `fold` after `round` rounds/epochs; round 0: before the fold started), as if the
   * time limit / signal had fired there. The clock is not consulted.
   */
  readonly cut?: CutPoint;
}

/** Where a trial was stopped early (deadline or stop): the fold and the rounds/epochs it had run there. */
export interface CutPoint {
  readonly reason: 'deadline' | 'aborted';
  /**
   * Trials with row-subsample levels only: the level it was in (0 = smallest subsample;
   * `rowLevels.length` = all rows).
   */
  readonly level?: number;
  readonly fold: number;
  /** Training callbacks seen in that fold when it stopped (0: before the fold started). */
  readonly round: number;
  /**
   * The model trained so far was not scored: the trial had `skipCutScore` (big data, and a trial had
   * completed, so the cut one could not be the fallback), and scoring it was work past the deadline
   * (an MLP's predictions on 50,000 holdout rows: 4–10 s in Chromium on a loaded machine, issue 21).
   * The trial is PRUNED without a value; a replay is told the same (`TrialTask.skipCutScore`).
   */
  readonly unscored?: boolean;
}

/** Answer to a rung report. */
export type ReportAnswer = HalvingDecision;

export interface TrialHooks {
  /** A rung value (validation loss at `step` rounds/epochs); answering 'prune' stops the trial. */
  readonly report?: (step: number, value: number) => ReportAnswer | void | Promise<ReportAnswer | void>;
  /** Stop: the trial ends PRUNED with reason 'aborted' at its next round. */
  readonly signal?: { readonly aborted: boolean };
}

export interface TrialResultWithRungs extends TrialResult {
  readonly rungs: readonly RungRecord[];
  /** Set when the deadline or a stop ended the trial: where (recorded so a replay stops there too). */
  readonly cut?: CutPoint;
}

export interface TrialOutcome<M = Fitted> {
  readonly result: TrialResultWithRungs;
  /** Validation predictions over `ctx.evalRows` (row-major, `ctx.width` values per row). */
  readonly pred?: Float64Array;
  /**
   * Holdout plans: the model trained on the training rows (usable when a refit does not fit) and the
   * pipeline it reads (sent along so the coordinator need not fit it again: on 950,000 rows that
   * took up to 40 s, after the deadline).
   */
  readonly holdout?: { readonly model: M; readonly resource: number; readonly pipeline?: FittedPipeline };
  /** Feature importance by input column, summed over the folds (families that have one; COMPLETE only). */
  readonly importance?: ImportanceEvidence;
  /** Boosted trials: the validation curves and the round count each block was scored at (no-peek.ts). */
  readonly noPeek?: NoPeekRecord;
}

/**
 * Resource a fitted fold model actually used (`Fitted.iterationsUsed` — boosting: best iteration;
 * forest: trees; nets: best epoch, not the epochs run); NaN for a model without one.
 */
export function usedResource(model: Fitted): number {
  return model.iterationsUsed ?? NaN;
}

/** The fold-0 pipeline a holdout model was trained with. */
export function holdoutPipeline(
  ctx: SearchContext,
  family: FamilyName,
  config?: Readonly<Record<string, unknown>>,
  rows?: number,
): FittedPipeline {
  const key = pipeKey(family, config);
  // A model trained on a row-subsample level (`Trial.rows`) read that level's pipeline.
  const level = rows === undefined ? -1 : (ctx.subsample?.rows.indexOf(rows) ?? -1);
  if (rows !== undefined && level < 0) throw new Error(`no subsample level of ${rows} rows in this search`);
  return level >= 0 ? ctx.levelPipeline(key, level) : ctx.foldData(key, 0).pipeline;
}

export async function evaluateTrial(
  ctx: SearchContext,
  task: TrialTask,
  hooks: TrialHooks = {},
  now: () => number = () => performance.now(),
): Promise<TrialOutcome> {
  const { nFolds, width, nClasses, metric } = ctx;
  const start = now();
  const stopAt = task.timeLimitMs === undefined ? Infinity : start + task.timeLimitMs;
  const fam = task.family;
  const res = familySpace(fam).resource;
  const config = trainingConfig(fam, { ...task.config, seed: task.seed }, res.max);
  const rungSet = new Set(task.rungs);
  const est = estimatorFor(fam);
  const key = pipeKey(fam, task.config);
  const oneBased = TF_FAMILIES.has(fam);
  const pred = new Float64Array(ctx.evalRows.length * width);
  const foldValues: number[] = [];
  const resources: number[] = [];
  const foldDur: number[] = [];
  const rungs: RungRecord[] = [];
  const importance = new Map<string, number>();
  const pending: Promise<unknown>[] = [];
  let remotePrune = false;
  /** The pipeline fit of the data the outcome's model reads (`TrialDurations.pipeline`). */
  let pipeFit: { rows: number; secs: number } | undefined;
  /** Ms of pipeline fits this trial did itself (not cached), taken out of its fold's time. */
  let builtMs = 0;
  const timing = { now, built: (fit: { ms: number }) => void (builtMs += fit.ms) };
  /** Keeps the pipeline fit of the data a fit reads (a measured one over one built without a clock). */
  const notePipeline = ({ fit }: FoldData) => {
    if (fit.ms > 0 || !pipeFit) pipeFit = { rows: fit.rows, secs: fit.ms / 1000 };
  };
  /** The fit time of the fold that started at `from`, s: without the pipeline fits it did. */
  const fitSecs = (from: number, to = now()) => {
    const ms = to - from - builtMs;
    builtMs = 0;
    return Math.max(0, ms) / 1000;
  };
  const durations = () => ({
    total: (now() - start) / 1000,
    folds: foldDur.slice(),
    ...(pipeFit ? { pipeline: pipeFit } : {}),
  });
  let cutAt: CutPoint | undefined;
  const ended = (state: 'PRUNED' | 'FAILED', reason: EndReason, extra: Partial<TrialResult> = {}) => ({
    result: {
      state,
      reason,
      ...extra,
      rungs: rungs.slice(),
      durations: durations(),
      ...(cutAt && reason === cutAt.reason ? { cut: cutAt } : {}),
    },
  });
  /** A trial cut by the clock or a stop whose model is not scored (`CutPoint.unscored`). */
  const unscoredCut = (reason: EndReason, extra: Partial<TrialResult>): TrialOutcome => {
    if (cutAt) cutAt = { ...cutAt, unscored: true };
    return ended('PRUNED', reason, extra);
  };
  const replayCut = task.cut;
  /** Stop here? `round` = training callbacks seen in fold `f` (0 before it starts). */
  const levels = nFolds === 1 && ctx.subsample ? (task.rowLevels ?? []) : [];
  /** The level being trained (trials with row levels; `levels.length` = all rows). */
  let level: number | undefined = levels.length ? 0 : undefined;
  /**
   * `expectMs` (before a fit starts): how long it is expected to take; when it would end past the
   * time limit it is not started (a fit that cannot finish only delays the deadline: a net cannot
   * be stopped within an epoch, and a cut fit after a subsample level leaves that level's outcome).
   */
  const clockCut = (f: number, round: number, expectMs = 0): 'deadline' | 'aborted' | undefined => {
    let why: 'deadline' | 'aborted' | undefined;
    if (replayCut && replayCut.fold === f && replayCut.round === round && replayCut.level === level)
      why = replayCut.reason;
    else if (hooks.signal?.aborted) why = 'aborted';
    else if (!replayCut && now() + expectMs > stopAt) why = 'deadline';
    if (why) cutAt = { reason: why, ...(level !== undefined ? { level } : {}), fold: f, round };
    return why;
  };
  const report = (step: number, value: number): HalvingDecision => {
    const decide = levels.includes(step) ? promotionDecision : halvingDecision;
    const local: HalvingDecision =
      task.halving === false ? 'continue' : decide(value, task.peers[step] ?? [], task.halving);
    rungs.push({ budget: step, value, decision: local });
    if (hooks.report) {
      try {
        const answer = hooks.report(step, value);
        if (answer === 'prune') remotePrune = true;
        else if (answer && typeof (answer as Promise<unknown>).then === 'function') {
          pending.push(
            (answer as Promise<ReportAnswer | void>).then(
              (a) => void (a === 'prune' && (remotePrune = true)),
              () => undefined,
            ),
          );
        }
      } catch {
        // a failing listener does not fail the trial
      }
    }
    return remotePrune ? 'prune' : local;
  };
  let holdoutModel: TrialOutcome['holdout'];
  /** The last row-subsample level the trial finished (its outcome if it goes no further). */
  let done: TrialOutcome | undefined;
  /** Ends the trial with the last level it finished; `cut`: the clock or a stop ended the next. */
  const fromLevel = (d: TrialOutcome, withCut?: CutPoint): TrialOutcome => ({
    ...d,
    result: {
      ...d.result,
      rungs: rungs.slice(),
      durations: { ...durations(), folds: d.result.durations?.folds ?? [] },
      ...(withCut ? { cut: withCut } : {}),
    },
  });
  const direction = METRICS[metric]?.direction ?? 'minimize';
  /** Expected ms of a fit on `rows` training rows: the last level's fit time scaled by rows. */
  let lastFit: { rows: number; ms: number } | undefined;
  const expectedMs = (rows: number) => (lastFit ? (lastFit.ms * rows) / lastFit.rows : 0);
  for (; level !== undefined && level < levels.length; level++) {
    if (pending.length) await Promise.all(pending.splice(0));
    const before = clockCut(0, 0, expectedMs(levels[level]));
    if (before) return done ? fromLevel(done, cutAt) : ended('PRUNED', before);
    const lv = level;
    const fStart = now();
    let cut: EndReason | undefined;
    let calls = 0;
    let model: Fitted;
    let p: Float64Array;
    let value: number;
    let pipeline: FittedPipeline;
    const lvValues: number[] = [];
    const lvResources: number[] = [];
    const lvImportance = new Map<string, number>();
    try {
      const d = ctx.levelData(key, lv, timing);
      notePipeline(d);
      pipeline = d.pipeline;
      // building the level's data may take a while: the limit may have passed meanwhile
      const late = clockCut(0, 0);
      if (late) return done ? fromLevel(done, cutAt) : ended('PRUNED', late);
      model = await est.fit(d.Xtr, d.ytr, {
        task: ctx.task,
        nClasses: ctx.task === 'regression' ? undefined : nClasses,
        config: levelConfig(fam, config),
        validation: { X: d.Xstop, y: d.ystop },
        onRound: () => {
          const stop = clockCut(0, ++calls);
          if (!stop) return undefined;
          cut = stop;
          return false;
        },
      });
      if (cut && done) return fromLevel(done, cutAt);
      if (cut && task.skipCutScore === true) {
        model.dropTrainingState?.();
        foldDur.push(fitSecs(fStart));
        return unscoredCut(cut, { resources: [usedResource(model)], rows: levels[lv] });
      }
      const staged = cut || task.noPeek === false ? undefined : stagedModel(model);
      addImportance(lvImportance, model, d.pipeline.sources);
      if (staged) {
        p = new Float64Array(ctx.evalRows.length * width);
        scoreStaged(ctx, key, [{ model: staged, fold: 0 }], p, lvValues, lvResources, d);
        value = lvValues[0];
      } else {
        p = model.predict(d.Xva);
        value = evaluate(ctx.task, d.yva, p, nClasses)[metric];
        lvValues.push(value);
        lvResources.push(usedResource(model));
      }
      model.dropTrainingState?.();
    } catch (err) {
      return ended('FAILED', 'error', { error: (err as Error)?.message ?? String(err) });
    }
    const fEnd = now();
    // the next level's expected time counts its pipeline fit too; the fold's time does not
    lastFit = { rows: levels[lv], ms: fEnd - fStart };
    const secs = fitSecs(fStart, fEnd);
    if (cut) {
      // Smallest level cut by the deadline: scored as it is (PRUNED with a value), a fallback for
      // when no trial completes, as a cut holdout trial.
      foldDur.push(secs);
      return {
        ...ended('PRUNED', cut, { value, resources: [usedResource(model)], rows: levels[lv] }),
        pred: p,
        ...(task.keepCutModel !== false
          ? { holdout: { model, resource: usedResource(model), pipeline } }
          : {}),
      };
    }
    if (!Number.isFinite(value)) return ended('FAILED', 'error', { error: `non-finite ${metric}` });
    const imp = importanceEvidence(lvImportance);
    done = {
      result: {
        state: 'COMPLETE',
        value,
        foldValues: lvValues,
        resources: lvResources,
        rows: levels[lv],
        rungs: [],
        durations: { folds: [secs], ...(pipeFit ? { pipeline: pipeFit } : {}) },
      },
      pred: p,
      holdout: { model, resource: usedResource(model), pipeline },
      ...(imp ? { importance: imp } : {}),
    };
    // The row rung: the metric as a loss, judged against every family's trials at this level.
    if (report(levels[lv], direction === 'maximize' ? -value : value) === 'prune') return fromLevel(done);
  }
  const stagedFolds: { model: StagedModel; fold: number }[] = [];
  for (let f = 0; f < nFolds; f++) {
    if (pending.length) await Promise.all(pending.splice(0));
    // The full fit's expected time from its row count, without building its data: on big data the
    // full-rows pipeline is itself an uncuttable fit (seconds at 800,000 rows), which this check
    // must be able to skip (issue 21: a 2-worker search on 1,000,000 rows ran 84.8 s for 60 s).
    const before = clockCut(f, 0, f === 0 && done ? expectedMs(ctx.subsample?.trainRows ?? 0) : 0);
    if (before) return done ? fromLevel(done, cutAt) : ended('PRUNED', before);
    if (remotePrune) return done ? fromLevel(done) : ended('PRUNED', 'halving');
    const fStart = now();
    let cut: EndReason | undefined;
    let calls = 0;
    const onRound = (info: RoundInfo): boolean | void => {
      const stop = clockCut(f, ++calls);
      if (stop) {
        cut = stop;
        return false;
      }
      if (remotePrune) {
        cut = 'halving';
        return false;
      }
      const done = oneBased ? info.round : info.round + 1;
      if (f === 0 && info.valid !== undefined && rungSet.has(done)) {
        if (report(done, info.valid) === 'prune') {
          cut = 'halving';
          return false;
        }
      }
    };
    let model: Fitted;
    let p: Float64Array;
    try {
      const d = ctx.foldData(key, f, timing);
      if (f === 0) notePipeline(d);
      model = await est.fit(d.Xtr, d.ytr, {
        task: ctx.task,
        nClasses: ctx.task === 'regression' ? undefined : nClasses,
        config,
        validation: { X: d.Xva, y: d.yva },
        onRound,
      });
      // After row-subsample levels: a cut or pruned full fit leaves the last level's outcome.
      if (cut && done) return fromLevel(done, cut === 'halving' ? undefined : cutAt);
      if (cut && !(cut === 'deadline' && nFolds === 1)) {
        foldDur.push(fitSecs(fStart));
        return ended('PRUNED', cut);
      }
      if (cut && task.skipCutScore === true) {
        // Holdout cut by the deadline, skipCutScore: not scored (see CutPoint.unscored).
        model.dropTrainingState?.();
        foldDur.push(fitSecs(fStart));
        return unscoredCut(cut, { resources: [usedResource(model)] });
      }
      const staged = cut || task.noPeek === false ? undefined : stagedModel(model);
      if (staged) {
        // Scored after the last fold, at a round count the other folds choose (no-peek.ts).
        addImportance(importance, model, d.pipeline.sources);
        model.dropTrainingState?.();
        stagedFolds.push({ model: staged, fold: f });
        if (nFolds === 1 && task.keepHoldoutModel !== false)
          holdoutModel = { model, resource: usedResource(model), pipeline: d.pipeline };
        foldDur.push(fitSecs(fStart));
        continue;
      }
      p = model.predict(d.Xva);
      if (!cut) addImportance(importance, model, d.pipeline.sources);
      model.dropTrainingState?.();
      const value = evaluate(ctx.task, d.yva, p, nClasses)[metric];
      if (cut) {
        // Holdout cut by the deadline: the model trained so far is scored (PRUNED, with a value) and
        // kept as a fallback for when no trial completes.
        foldDur.push(fitSecs(fStart));
        return {
          ...ended('PRUNED', cut, { value, resources: [usedResource(model)] }),
          pred: p,
          ...(task.keepCutModel !== false
            ? { holdout: { model, resource: usedResource(model), pipeline: d.pipeline } }
            : {}),
        };
      }
      if (nFolds === 1 && task.keepHoldoutModel !== false)
        holdoutModel = { model, resource: usedResource(model), pipeline: d.pipeline };
      foldValues.push(value);
      resources.push(usedResource(model));
      for (let i = 0; i < d.valid.length; i++) {
        const at = ctx.posOf[d.valid[i]];
        for (let c = 0; c < width; c++) pred[at * width + c] = p[i * width + c];
      }
    } catch (err) {
      return ended('FAILED', 'error', { error: (err as Error)?.message ?? String(err) });
    }
    foldDur.push(fitSecs(fStart));
  }
  let noPeek: NoPeekRecord | undefined;
  if (stagedFolds.length) {
    try {
      noPeek = scoreStaged(ctx, key, stagedFolds, pred, foldValues, resources);
    } catch (err) {
      return ended('FAILED', 'error', { error: (err as Error)?.message ?? String(err) });
    }
  }
  const value = evaluate(ctx.task, ctx.yEval, pred, nClasses)[metric];
  if (!Number.isFinite(value)) return ended('FAILED', 'error', { error: `non-finite ${metric}` });
  const imp = importanceEvidence(importance);
  return {
    result: {
      state: 'COMPLETE',
      value,
      foldValues,
      resources,
      rungs: rungs.slice(),
      durations: durations(),
    },
    pred,
    ...(holdoutModel ? { holdout: holdoutModel } : {}),
    ...(imp ? { importance: imp } : {}),
    ...(noPeek ? { noPeek } : {}),
  };
}

/** How a trial's boosted fold models were scored without peeking (see no-peek.ts). */
export interface NoPeekRecord {
  /** The validation curve of each block: a fold's (k-fold) or a half of the holdout's. */
  readonly curves: readonly (readonly number[])[];
  /** The round count each block was predicted with, chosen on the other blocks' curves. */
  readonly rounds: readonly number[];
  /** Rounds each block's model had (the cap). */
  readonly caps: readonly number[];
  /** Holdout: the positions (in the holdout's validation rows) of each half. */
  readonly halves?: readonly Int32Array[];
}

/**
 * Scores the staged fold models of a finished trial: k-fold — fold f at the round count minimising the
 * mean curve of the other folds; holdout — each half of the holdout at the round count minimising the
 * other half's curve. Fills the out-of-fold predictions, fold values and resources (the rounds used).
 */
function scoreStaged(
  ctx: SearchContext,
  key: PipeKey,
  folds: readonly { readonly model: StagedModel; readonly fold: number }[],
  pred: Float64Array,
  foldValues: number[],
  resources: number[],
  /** The data of a single fold when it is not `ctx.foldData(key, fold)` (a row-subsample level). */
  single?: FoldData,
): NoPeekRecord {
  const { width, nClasses, metric } = ctx;
  const put = (valid: Int32Array, p: Float64Array) => {
    for (let i = 0; i < valid.length; i++) {
      const at = ctx.posOf[valid[i]];
      for (let c = 0; c < width; c++) pred[at * width + c] = p[i * width + c];
    }
  };
  if (folds.length === 1) {
    const { model } = folds[0];
    const d = single ?? ctx.foldData(key, folds[0].fold);
    const halves = holdoutHalves(d.valid.length);
    const curves = model.stagedLoss(d.Xva, d.yva, halves);
    const caps = [model.rounds, model.rounds];
    const rounds = crossFitRounds(curves, caps);
    const p = new Float64Array(d.valid.length * width);
    for (let h = 0; h < 2; h++) {
      // each half predicted at its own round count (only its rows: prediction is per row)
      const ph = model.predictAt(takeMatrixRows(d.Xva, halves[h]), rounds[h]);
      halves[h].forEach((i, j) => {
        for (let c = 0; c < width; c++) p[i * width + c] = ph[j * width + c];
      });
    }
    put(d.valid, p);
    foldValues.push(evaluate(ctx.task, d.yva, p, nClasses)[metric]);
    // The refit's round count: the holdout's whole curve (the refit is not scored).
    resources.push(argminRound(model.curve));
    return { curves, rounds, caps, halves };
  }
  const curves = folds.map((f) => f.model.curve);
  const caps = folds.map((f) => f.model.rounds);
  const rounds = crossFitRounds(curves, caps);
  folds.forEach(({ model, fold }, j) => {
    const d = ctx.foldData(key, fold);
    const p = model.predictAt(d.Xva, rounds[j]);
    put(d.valid, p);
    foldValues.push(evaluate(ctx.task, d.yva, p, nClasses)[metric]);
    resources.push(rounds[j]);
  });
  return { curves, rounds, caps };
}

/** 1-based round with the lowest value (the first of equals). */
function argminRound(curve: readonly number[]): number {
  let best = 1;
  for (let r = 2; r <= curve.length; r++) if (curve[r - 1] < curve[best - 1]) best = r;
  return best;
}

/**
 * The least work a rescue fit does before the clock may stop it (see `rescueFit`), in training
 * callbacks of the family (boosting rounds, trees, epochs): boosting ≈ 5 / learning rate rounds
 * within [50, 200] (enough for the shrinkage to learn something), 10 trees of a forest, 5 epochs of
 * a linear model or an MLP.
 */
export function rescueResource(family: FamilyName, config: Readonly<Record<string, unknown>>): number {
  switch (family) {
    case 'gbdt': {
      const lr = Number(config.learningRate);
      return lr > 0 ? Math.max(50, Math.min(200, Math.round(5 / lr))) : 50;
    }
    case 'random_forest':
      return 10;
    default:
      return 5;
  }
}

/** What a rescue fit gives: fold 0's model and its validation predictions. */
export interface RescueOutcome {
  readonly model: Fitted;
  /** The model's predictions over fold 0's validation rows (`width` per row). */
  readonly pred: Float64Array;
  /** Those rows (indices among the rows that have a target) and their targets. */
  readonly rows: Int32Array;
  readonly y: Float64Array;
  /** The search metric over those rows. */
  readonly value: number;
  /** Resource the model used (best iteration for boosting, trees, best epoch). */
  readonly resource: number;
  /** Training callbacks after which the clock (or `stop.rounds`) stopped it; undefined: it ran to its end. */
  readonly stoppedAt?: number;
  /** Trained on a row-subsample level: its rows and the level's pipeline (the model reads it). */
  readonly trainRows?: number;
  readonly pipeline?: FittedPipeline;
}

/** A fit's configuration on a row-subsample level: nets wait `LEVEL_NET_PATIENCE` epochs at most (subsample.ts). */
export function levelConfig(family: FamilyName, config: Record<string, unknown>): Record<string, unknown> {
  if (!TF_FAMILIES.has(family) || typeof config.patience !== 'number') return config;
  const patience = levelNetPatience(config.patience);
  return patience === config.patience ? config : { ...config, patience };
}

/** When a rescue fit stops: live (the clock, after a minimum) or as recorded (a replay). */
export type RescueStop =
  { readonly minRounds: number; readonly pastDeadline: () => boolean } | { readonly rounds?: number };

/**
 * The rescue of a time-budgeted search in which no trial finished (select.ts): trains one trial's
 * family and parameters on fold 0 of the split plan (its training rows; for a holdout plan, the
 * holdout's training rows) as a trial would (up to its cap, or with `uncapped` the family's maximum resource; early stopping on
 * fold 0's validation rows, no halving), and scores it on those validation rows. Live, the clock may
 * stop it once it has done `minRounds` training callbacks; a replay stops it after the recorded
 * `rounds` (or lets it run to its end), so it gives the same bits.
 */
export async function rescueFit(
  ctx: SearchContext,
  trial: {
    readonly family: FamilyName;
    readonly config: Readonly<Record<string, unknown>>;
    readonly seed: number;
  },
  stop: RescueStop,
  /**
   * Ignore the trial's allowance caps (`roundCap`, `epochCap`, `treeCap`): the rescue uses the time actually
   * left, up to the family's maximum, rather than the share the trial was given (spaces.ts
   * `trainingConfig`).
   */
  uncapped = false,
  /**
   * Train on this row-subsample level (`ctx.subsample.rows[level]` rows, early stopping on the level's
   * stopping rows, as a trial's level fit) instead of all of fold 0's training rows: on big data a fit
   * on all rows is exactly what the budget did not hold.
   */
  level?: number,
): Promise<RescueOutcome> {
  const res = familySpace(trial.family).resource;
  const key = pipeKey(trial.family, trial.config);
  const lv = level !== undefined ? ctx.levelData(key, level) : undefined;
  const d = lv ?? ctx.foldData(key, 0);
  let calls = 0;
  let stoppedAt: number | undefined;
  const model = await estimatorFor(trial.family).fit(d.Xtr, d.ytr, {
    task: ctx.task,
    nClasses: ctx.task === 'regression' ? undefined : ctx.nClasses,
    config: ((c) => (lv ? levelConfig(trial.family, c) : c))(
      trainingConfig(trial.family, { ...trial.config, seed: trial.seed }, res.max, { uncapped }),
    ),
    validation: lv ? { X: lv.Xstop, y: lv.ystop } : { X: d.Xva, y: d.yva },
    onRound: () => {
      calls++;
      const halt =
        'minRounds' in stop ? calls >= stop.minRounds && stop.pastDeadline() : stop.rounds === calls;
      if (!halt) return undefined;
      stoppedAt = calls;
      return false;
    },
  });
  const pred = model.predict(d.Xva);
  model.dropTrainingState?.();
  const value = evaluate(ctx.task, d.yva, pred, ctx.nClasses)[ctx.metric];
  const used = usedResource(model);
  return {
    model,
    pred,
    rows: Int32Array.from(d.valid),
    y: d.yva,
    value,
    resource: Number.isFinite(used) ? used : calls,
    ...(stoppedAt !== undefined ? { stoppedAt } : {}),
    ...(lv ? { trainRows: lv.ytr.length, pipeline: lv.pipeline } : {}),
  };
}
