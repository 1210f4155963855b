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
import { evaluate } from '../metrics/index.ts';
import { addImportance, importanceEvidence, type ImportanceEvidence } from '../tracking/evidence.ts';
import type { Fitted, RoundInfo } from '../models/types.ts';
import type { FittedPipeline } from '../pipeline/index.ts';
import { TF_FAMILIES, estimatorFor, type FamilyName } from '../train/families.ts';
import { halvingDecision, type HalvingConfig, type HalvingDecision } from './halving.ts';
import { familySpace } from './spaces.ts';
import { pipeKey, type SearchContext } from './context.ts';
import type { EndReason, RungRecord, TrialResult } from './study.ts';

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
  /** Peer losses per rung resource (same family, trials finished before this one was asked). */
  readonly peers: Readonly<Record<number, readonly number[]>>;
  /** Milliseconds from the start of the evaluation after which the trial stops ('deadline'). */
  readonly timeLimitMs?: number;
  /** Return the fold-0 model of a holdout plan (as JSON across a worker boundary). */
  readonly keepHoldoutModel?: boolean;
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
  readonly fold: number;
  /** Training callbacks seen in that fold when it stopped (0: before the fold started). */
  readonly round: number;
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
  /** Holdout plans: the model trained on the training rows (usable when a refit does not fit). */
  readonly holdout?: { readonly model: M; readonly resource: number };
  /** Feature importance by input column, summed over the folds (families that have one; COMPLETE only). */
  readonly importance?: ImportanceEvidence;
}

/** Resource a fitted fold model actually used (boosting: best iteration; forest: trees; nets: best epoch). */
export function usedResource(model: Fitted): number {
  const m = model as unknown as { defaultRounds?: number; state?: { bestEpoch?: number } };
  if (typeof m.defaultRounds === 'number') return m.defaultRounds;
  if (m.state && typeof m.state.bestEpoch === 'number') return m.state.bestEpoch;
  return NaN;
}

export function dropState(model: Fitted): void {
  const m = model as unknown as { dropTrainingState?: () => void };
  if (typeof m.dropTrainingState === 'function') m.dropTrainingState();
}

/** The fold-0 pipeline a holdout model was trained with. */
export function holdoutPipeline(
  ctx: SearchContext,
  family: FamilyName,
  config?: Readonly<Record<string, unknown>>,
): FittedPipeline {
  return ctx.foldData(pipeKey(family, config), 0).pipeline;
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
  const config: Record<string, unknown> = { ...task.config, seed: task.seed, [res.key]: res.max };
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
  const durations = () => ({ total: (now() - start) / 1000, folds: foldDur.slice() });
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
  const replayCut = task.cut;
  /** Stop here? `round` = training callbacks seen in fold `f` (0 before it starts). */
  const clockCut = (f: number, round: number): 'deadline' | 'aborted' | undefined => {
    let why: 'deadline' | 'aborted' | undefined;
    if (replayCut && replayCut.fold === f && replayCut.round === round) why = replayCut.reason;
    else if (hooks.signal?.aborted) why = 'aborted';
    else if (!replayCut && now() > stopAt) why = 'deadline';
    if (why) cutAt = { reason: why, fold: f, round };
    return why;
  };
  const report = (step: number, value: number): HalvingDecision => {
    const local: HalvingDecision =
      task.halving === false ? 'continue' : halvingDecision(value, task.peers[step] ?? [], task.halving);
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
  for (let f = 0; f < nFolds; f++) {
    if (pending.length) await Promise.all(pending.splice(0));
    const before = clockCut(f, 0);
    if (before) return ended('PRUNED', before);
    if (remotePrune) return ended('PRUNED', 'halving');
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
      const d = ctx.foldData(key, f);
      model = await est.fit(d.Xtr, d.ytr, {
        task: ctx.task,
        nClasses: ctx.task === 'regression' ? undefined : nClasses,
        config,
        validation: { X: d.Xva, y: d.yva },
        onRound,
      });
      if (cut && !(cut === 'deadline' && nFolds === 1)) {
        foldDur.push((now() - fStart) / 1000);
        return ended('PRUNED', cut);
      }
      p = model.predict(d.Xva);
      if (!cut) addImportance(importance, model, d.pipeline.sources);
      dropState(model);
      const value = evaluate(ctx.task, d.yva, p, nClasses)[metric];
      if (cut) {
        // Holdout cut by the deadline: the model trained so far is scored (PRUNED, with a value) and
        // kept as a fallback for when no trial completes.
        foldDur.push((now() - fStart) / 1000);
        return {
          ...ended('PRUNED', cut, { value, resources: [usedResource(model)] }),
          pred: p,
          holdout: { model, resource: usedResource(model) },
        };
      }
      if (nFolds === 1 && task.keepHoldoutModel !== false)
        holdoutModel = { model, resource: usedResource(model) };
      foldValues.push(value);
      resources.push(usedResource(model));
      for (let i = 0; i < d.valid.length; i++) {
        const at = ctx.posOf[d.valid[i]];
        for (let c = 0; c < width; c++) pred[at * width + c] = p[i * width + c];
      }
    } catch (err) {
      return ended('FAILED', 'error', { error: (err as Error)?.message ?? String(err) });
    }
    foldDur.push((now() - fStart) / 1000);
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
  };
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
}

/** When a rescue fit stops: live (the clock, after a minimum) or as recorded (a replay). */
export type RescueStop =
  { readonly minRounds: number; readonly pastDeadline: () => boolean } | { readonly rounds?: number };

/**
 * The rescue of a time-budgeted search in which no trial finished (runner.ts): trains one trial's
 * family and parameters on fold 0 of the split plan (its training rows; for a holdout plan, the
 * holdout's training rows) as a trial would (up to the family's maximum resource, early stopping on
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
): Promise<RescueOutcome> {
  const res = familySpace(trial.family).resource;
  const d = ctx.foldData(pipeKey(trial.family, trial.config), 0);
  let calls = 0;
  let stoppedAt: number | undefined;
  const model = await estimatorFor(trial.family).fit(d.Xtr, d.ytr, {
    task: ctx.task,
    nClasses: ctx.task === 'regression' ? undefined : ctx.nClasses,
    config: { ...trial.config, seed: trial.seed, [res.key]: res.max },
    validation: { X: d.Xva, y: d.yva },
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
  dropState(model);
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
  };
}
