/**
 * The in-process AutoML runner: one seeded split plan for every trial, the ask/tell loop over the
 * study with successive halving on fold 0's learning curve, out-of-fold predictions kept for the
 * ensemble, a wall-clock and/or trial-count budget, then a refit of the chosen model(s) on all
 * training rows and greedy ensemble selection.
 *
 * Validation protocol: k-fold (5; 3 for budgets under 20 s or more than 2,000 cells per second of
 * budget, e.g. over 120k rows × columns at 60 s) when there are at most `kfoldMaxRows`
 * rows (default 5,000), else a 20% holdout; stratified for classification; the same plan (seed =
 * the search seed) for every trial. Each fold fits the automatic pipeline on its training rows only.
 *
 * Budget: the search phase stops early enough to leave a refit reserve — max(8% of the budget, the
 * estimated refit time of the top 2 trials), at most 40% of the budget. A trial running at the
 * search deadline is stopped at its next round/epoch and recorded PRUNED with reason 'deadline'.
 * Refits stop adding rounds at budget × (1 + marginFraction); ensemble members whose estimated refit
 * would pass that point are dropped. Stated margin: total ≤ budget × 1.10 (+ one round/epoch).
 *
 * Determinism: with a seed and `maxTrials` (no time budget) the trial list, order, seeds and scores
 * are identical run to run (no clock is consulted for any decision).
 */
import type { Table } from '../data/table.ts';
import { takeRows, withoutColumns } from '../data/select.ts';
import {
  DEFAULT_METRIC,
  evaluate,
  foldIndices,
  holdoutPlan,
  kFoldPlan,
  type SplitPlan,
} from '../metrics/index.ts';
import type { FeatureMatrix, Fitted, RoundInfo, Task } from '../models/types.ts';
import { predictionWidth } from '../models/types.ts';
import { buildAutoPipeline, fitPipeline, transformTable, type FittedPipeline } from '../pipeline/index.ts';
import { encodeTarget, TrainingError } from '../train/target.ts';
import {
  FAMILIES,
  TF_FAMILIES,
  ensureFamiliesRegistered,
  estimatorFor,
  familyKind,
  type FamilyName,
} from '../train/families.ts';
import type { Sampler } from './samplers/index.ts';
import { familySpace } from './spaces.ts';
import type { HalvingConfig } from './halving.ts';
import { Study, type EndReason, type Trial, type TrialResult, type TrialSpec } from './study.ts';
import { EnsembleModel, ensureEnsembleRegistered, selectEnsemble, type EnsembleMember } from './ensemble.ts';

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
  /** Largest row count that still uses k-fold (default 5000). */
  readonly kfoldMaxRows?: number;
  /** Holdout share on larger data (default 0.2). */
  readonly holdoutFraction?: number;
  /** Successive halving settings, or false to never prune. */
  readonly halving?: false | Pick<HalvingConfig, 'reductionFactor' | 'minPeers'>;
  /** How many of the best trials are ensemble candidates (default 10; 1 = no ensemble). */
  readonly ensembleSize?: number;
  /** Greedy ensemble steps (default 25). */
  readonly ensembleRounds?: number;
  /** Share of the time budget allowed beyond it for the final refit (default 0.1). */
  readonly marginFraction?: number;
  readonly exclude?: readonly string[];
  /** Trials to run first, as recorded by a previous search (`manifest.replay`). */
  readonly replay?: readonly TrialSpec[];
  /** Called after every finished trial (live leaderboards). */
  readonly onTrial?: (trial: Trial, study: Study) => void;
  /** Stop: running trials end at their next round; the best so far is refitted. */
  readonly signal?: AbortSignal;
  /** Clock in milliseconds (default performance.now). */
  readonly now?: () => number;
}

export interface SearchManifest {
  readonly split: {
    readonly strategy: 'kfold' | 'holdout';
    readonly folds: number;
    readonly stratified: boolean;
    readonly seed: number;
    readonly validFraction?: number;
    readonly rows: number;
  };
  readonly metric: string;
  readonly direction: 'maximize' | 'minimize';
  readonly seed: number;
  readonly families: readonly FamilyName[];
  readonly sampler: string;
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
}

export class SearchError extends Error {
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

interface FoldData {
  readonly pipeline: FittedPipeline;
  readonly Xtr: FeatureMatrix;
  readonly ytr: Float64Array;
  readonly Xva: FeatureMatrix;
  readonly yva: Float64Array;
  readonly valid: Int32Array;
}

interface TrialRun {
  result: TrialResult;
  /** Validation predictions over `evalRows`. */
  pred?: Float64Array;
  /** Holdout plans: the model trained on the training rows, usable when a refit does not fit in time. */
  holdout?: { model: Fitted; pipeline: FittedPipeline; resource: number };
}

type PipeKey = 'tree' | 'dense';
const pipeKey = (f: FamilyName): PipeKey => (familyKind(f) === 'tree' ? 'tree' : 'dense');

/** Resource a fitted fold model actually used (boosting: best iteration; forest: trees; nets: best epoch). */
function usedResource(model: Fitted): number {
  const m = model as unknown as { defaultRounds?: number; state?: { bestEpoch?: number } };
  if (typeof m.defaultRounds === 'number') return m.defaultRounds;
  if (m.state && typeof m.state.bestEpoch === 'number') return m.state.bestEpoch;
  return NaN;
}

function dropState(model: Fitted): void {
  const m = model as unknown as { dropTrainingState?: () => void };
  if (typeof m.dropTrainingState === 'function') m.dropTrainingState();
}

export async function runSearch(opts: SearchOptions): Promise<SearchResult> {
  const clock = opts.now ?? (() => performance.now());
  const t0 = clock();
  const budgetMs = opts.timeBudgetSeconds !== undefined ? opts.timeBudgetSeconds * 1000 : Infinity;
  if (!(budgetMs > 0)) throw new SearchError(`the time budget must be > 0 seconds`);
  if (opts.maxTrials === undefined && budgetMs === Infinity)
    throw new SearchError('a search needs a time budget, a maximum number of trials, or both');
  if (opts.maxTrials !== undefined && !(Number.isInteger(opts.maxTrials) && opts.maxTrials >= 1))
    throw new SearchError(`maxTrials must be a whole number >= 1, got ${opts.maxTrials}`);
  const margin = opts.marginFraction ?? 0.1;
  const deadline = t0 + budgetMs;
  const hardDeadline = t0 + budgetMs * (1 + margin);
  const seed = opts.seed ?? 0;
  const task = opts.task;
  const families = [...(opts.families ?? FAMILIES)];
  const metric = opts.metric ?? DEFAULT_METRIC[task];

  ensureFamiliesRegistered();
  ensureEnsembleRegistered();
  if (families.some((f) => TF_FAMILIES.has(f))) await ensureTfBackend();

  const enc = encodeTarget(opts.table, opts.target, task);
  const nClasses = enc.classes?.length ?? 1;
  const n = enc.rows.length;
  if (n < 4) throw new TrainingError('need at least 4 rows with a target value to search');
  const allFeatures = withoutColumns(opts.table, [opts.target]);
  const features = enc.droppedMissing > 0 ? takeRows(allFeatures, enc.rows) : allFeatures;
  const y = enc.y;
  const labels = task === 'regression' ? undefined : y;
  const kfoldMax = opts.kfoldMaxRows ?? 5000;
  let k: number;
  if (opts.folds !== undefined && opts.folds !== 'auto') k = opts.folds;
  else {
    // 5 folds on small data; 3 when the budget is short for the data size (cells per second of
    // budget), so that enough trials run; a holdout beyond kfoldMaxRows rows.
    const cells = n * Math.max(1, features.columns.length);
    const short = budgetMs < 20_000 || cells > 2 * budgetMs;
    k = n <= kfoldMax ? (short ? 3 : 5) : 1;
  }
  const plan: SplitPlan =
    k >= 2 && n >= k
      ? kFoldPlan(n, k, seed, labels)
      : holdoutPlan(n, opts.holdoutFraction ?? 0.2, seed, labels);
  const nFolds = plan.strategy === 'kfold' ? plan.folds : 1;
  const foldRows = Array.from({ length: nFolds }, (_, f) => foldIndices(plan, f));
  // Rows scored for the trial value and the ensemble: all rows (k-fold) or the holdout rows.
  const evalRows =
    plan.strategy === 'kfold' ? Int32Array.from({ length: n }, (_, i) => i) : foldRows[0].valid;
  const posOf = new Int32Array(n).fill(-1);
  evalRows.forEach((r, i) => (posOf[r] = i));
  const yEval = Float64Array.from(evalRows, (r) => y[r]);
  const width = predictionWidth(task, nClasses);

  const study = new Study({ task, metric, families, seed, sampler: opts.sampler, halving: opts.halving });
  if (opts.replay?.length) study.enqueue(...opts.replay);

  const foldCache = new Map<string, FoldData>();
  const pipelineFor = (key: PipeKey, table: Table, yy: Float64Array) => {
    const auto = buildAutoPipeline(table, {
      family: key === 'tree' ? 'tree' : 'neural',
      task,
      nClasses,
      exclude: opts.exclude,
    });
    return fitPipeline(auto.spec, table, { y: yy, task, seed });
  };
  const foldData = (key: PipeKey, f: number): FoldData => {
    const id = `${key}/${f}`;
    let d = foldCache.get(id);
    if (!d) {
      const { train, valid } = foldRows[f];
      const trTable = takeRows(features, train);
      const ytr = Float64Array.from(train, (i) => y[i]);
      const { pipeline, matrix } = pipelineFor(key, trTable, ytr);
      const Xva = transformTable(pipeline, takeRows(features, valid));
      d = { pipeline, Xtr: matrix, ytr, Xva, yva: Float64Array.from(valid, (i) => y[i]), valid };
      foldCache.set(id, d);
    }
    return d;
  };

  const oof = new Map<number, Float64Array>();
  const holdoutModels = new Map<number, NonNullable<TrialRun['holdout']>>();
  let fallback: { trial: Trial; pred: Float64Array; holdout: NonNullable<TrialRun['holdout']> } | undefined;
  const ensembleSize = Math.max(1, opts.ensembleSize ?? 10);
  const foldSeconds = (t: Trial) => {
    const fs = t.durations.folds ?? [];
    return fs.length ? fs.reduce((a, b) => a + b, 0) / fs.length : 0;
  };
  const refitEstimateMs = (t: Trial) =>
    foldSeconds(t) * 1000 * (nFolds > 1 ? nFolds / (nFolds - 1) : 1.25) * 1.2;
  const searchDeadline = (): number => {
    if (budgetMs === Infinity) return Infinity;
    // Reserve for the refit: the estimated refit time of the two best trials (the usual ensemble
    // core), at least 8% and at most 40% of the budget.
    const top = study.ranked().slice(0, 2);
    const est = top.reduce((a, t) => a + refitEstimateMs(t), 0);
    const reserve = Math.min(0.4 * budgetMs, Math.max(0.08 * budgetMs, est));
    return deadline - reserve;
  };

  const runTrial = async (trial: Trial): Promise<TrialRun> => {
    const start = clock();
    const stopAt = searchDeadline();
    const fam = trial.family;
    const res = familySpace(fam).resource;
    const config: Record<string, unknown> = { ...trial.config, seed: trial.seed, [res.key]: res.max };
    const rungs = new Set(study.rungs(fam));
    const est = estimatorFor(fam);
    const key = pipeKey(fam);
    const oneBased = TF_FAMILIES.has(fam);
    const pred = new Float64Array(evalRows.length * width);
    const foldValues: number[] = [];
    const resources: number[] = [];
    const foldDur: number[] = [];
    const durations = () => ({ total: (clock() - start) / 1000, folds: foldDur.slice() });
    let holdoutModel: TrialRun['holdout'];
    for (let f = 0; f < nFolds; f++) {
      if (opts.signal?.aborted)
        return { result: { state: 'PRUNED', reason: 'aborted', durations: durations() } };
      if (clock() > stopAt)
        return { result: { state: 'PRUNED', reason: 'deadline', durations: durations() } };
      const fStart = clock();
      let cut: EndReason | undefined;
      const onRound = (info: RoundInfo): boolean | void => {
        if (opts.signal?.aborted) {
          cut = 'aborted';
          return false;
        }
        if (clock() > stopAt) {
          cut = 'deadline';
          return false;
        }
        const done = oneBased ? info.round : info.round + 1;
        if (f === 0 && info.valid !== undefined && rungs.has(done)) {
          if (study.report(trial.id, done, info.valid) === 'prune') {
            cut = 'halving';
            return false;
          }
        }
      };
      let model: Fitted;
      let p: Float64Array;
      let d: FoldData;
      try {
        d = foldData(key, f);
        model = await est.fit(d.Xtr, d.ytr, {
          task,
          nClasses: task === 'regression' ? undefined : nClasses,
          config,
          validation: { X: d.Xva, y: d.yva },
          onRound,
        });
        if (cut && !(cut === 'deadline' && nFolds === 1)) {
          foldDur.push((clock() - fStart) / 1000);
          return { result: { state: 'PRUNED', reason: cut, durations: durations() } };
        }
        p = model.predict(d.Xva);
        dropState(model);
        if (cut) {
          // Holdout cut by the deadline: the model trained so far is scored (PRUNED, with a value) and
          // kept as a fallback for when no trial completes.
          foldDur.push((clock() - fStart) / 1000);
          const value = evaluate(task, d.yva, p, nClasses)[metric];
          return {
            result: {
              state: 'PRUNED',
              reason: cut,
              value,
              resources: [usedResource(model)],
              durations: durations(),
            },
            pred: p,
            holdout: { model, pipeline: d.pipeline, resource: usedResource(model) },
          };
        }
        if (nFolds === 1) holdoutModel = { model, pipeline: d.pipeline, resource: usedResource(model) };
      } catch (err) {
        return {
          result: {
            state: 'FAILED',
            reason: 'error',
            error: (err as Error).message ?? String(err),
            durations: durations(),
          },
        };
      }
      foldValues.push(evaluate(task, d.yva, p, nClasses)[metric]);
      resources.push(usedResource(model));
      for (let i = 0; i < d.valid.length; i++) {
        const at = posOf[d.valid[i]];
        for (let c = 0; c < width; c++) pred[at * width + c] = p[i * width + c];
      }
      foldDur.push((clock() - fStart) / 1000);
    }
    const value = evaluate(task, yEval, pred, nClasses)[metric];
    if (!Number.isFinite(value)) {
      return {
        result: { state: 'FAILED', reason: 'error', error: `non-finite ${metric}`, durations: durations() },
      };
    }
    return {
      result: { state: 'COMPLETE', value, foldValues, resources, durations: durations() },
      pred,
      holdout: holdoutModel,
    };
  };

  let stoppedBy: SearchManifest['stoppedBy'] = 'maxTrials';
  for (;;) {
    if (opts.signal?.aborted) {
      stoppedBy = 'aborted';
      break;
    }
    if (opts.maxTrials !== undefined && study.trials.length >= opts.maxTrials) break;
    if (clock() >= searchDeadline()) {
      stoppedBy = 'deadline';
      break;
    }
    const trial = study.ask();
    const { result, pred, holdout } = await runTrial(trial);
    const told = study.tell(trial.id, result);
    if (pred && told.state === 'COMPLETE') {
      oof.set(told.number, pred);
      if (holdout) holdoutModels.set(told.number, holdout);
      const keep = new Set(
        study
          .ranked()
          .slice(0, ensembleSize)
          .map((t) => t.number),
      );
      for (const num of [...oof.keys()]) if (!keep.has(num)) oof.delete(num);
      for (const num of [...holdoutModels.keys()]) if (!keep.has(num)) holdoutModels.delete(num);
    } else if (pred && holdout && told.value !== undefined && Number.isFinite(told.value)) {
      // A deadline-cut holdout trial: kept only while it is the best such fallback.
      if (!fallback || study.better(told.value, fallback.trial.value!))
        fallback = { trial: told, pred, holdout };
    }
    opts.onTrial?.(told, study);
  }
  const tSearch = clock();

  const ranked = study
    .ranked()
    .filter((t) => oof.has(t.number))
    .slice(0, ensembleSize);
  if (!ranked.length && fallback) {
    ranked.push(fallback.trial);
    oof.set(fallback.trial.number, fallback.pred);
    holdoutModels.set(fallback.trial.number, fallback.holdout);
  }
  if (!ranked.length) {
    const failed = study.trials.find((t) => t.state === 'FAILED');
    throw new SearchError(
      `no trial completed within the budget${failed ? ` (e.g. trial ${failed.number} failed: ${failed.error})` : ''}`,
    );
  }
  const sel = selectEnsemble(
    ranked.map((t) => oof.get(t.number)!),
    yEval,
    { task, nClasses, metric, rounds: opts.ensembleRounds ?? 25 },
  );
  const nonZero = sel.weights.filter((w) => w > 0).length;
  const useEnsemble = nonZero > 1 && study.better(sel.score, sel.bestSingle.score);
  const chosen = useEnsemble
    ? ranked
        .map((t, i) => ({ t, w: sel.weights[i] }))
        .filter((m) => m.w > 0)
        .sort((a, b) => b.w - a.w || a.t.number - b.t.number)
    : [{ t: ranked[sel.bestSingle.index], w: 1 }];

  // Refit on all training rows.
  const fullCache = new Map<PipeKey, { pipeline: FittedPipeline; matrix: FeatureMatrix }>();
  const fullData = (key: PipeKey) => {
    let d = fullCache.get(key);
    if (!d) {
      d = pipelineFor(key, features, y);
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
  for (const [i, { t, w }] of chosen.entries()) {
    const fits = budgetMs === Infinity || clock() + refitEstimateMs(t) <= hardDeadline;
    const kept = holdoutModels.get(t.number);
    if (!fits && kept) {
      // Holdout plan, no time to refit: use the model trained on the training rows.
      members.push({
        weight: w,
        pipeline: pipelineIndex(kept.pipeline),
        model: kept.model,
        trial: t.number,
        params: { family: t.family, ...t.params },
      });
      finalMembers.push({ trial: t.number, weight: w, resource: kept.resource, refit: false });
      continue;
    }
    if (i > 0 && !fits) {
      dropped.push(t.number);
      continue;
    }
    const res = familySpace(t.family).resource;
    const used = (t.resources ?? []).filter((r) => Number.isFinite(r));
    const mean = used.length ? used.reduce((a, b) => a + b, 0) / used.length : res.max;
    const resource = Math.max(1, Math.min(res.max * 2, Math.round(t.family === 'gbdt' ? mean * 1.1 : mean)));
    const { pipeline, matrix } = fullData(pipeKey(t.family));
    const est = estimatorFor(t.family);
    const model = await est.fit(matrix, y, {
      task,
      nClasses: task === 'regression' ? undefined : nClasses,
      config: { ...t.config, seed: t.seed, [res.key]: resource },
      onRound: () => (budgetMs !== Infinity && clock() > hardDeadline ? false : undefined),
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
    split: {
      strategy: plan.strategy,
      folds: nFolds,
      stratified: plan.stratified,
      seed,
      ...(plan.validFraction !== undefined ? { validFraction: plan.validFraction } : {}),
      rows: n,
    },
    metric,
    direction: study.direction,
    seed,
    families,
    sampler: study.sampler.name,
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
    droppedMissingTarget: enc.droppedMissing,
    replay: study.replayList(),
  };
  return {
    target: opts.target,
    task,
    ...(enc.classes ? { classes: enc.classes } : {}),
    metric,
    study,
    trials: study.trials,
    best,
    model,
    kind: manifest.final.kind,
    manifest,
  };
}
