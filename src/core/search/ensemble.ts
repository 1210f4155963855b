/**
 * Greedy ensemble selection with replacement (Caruana, Niculescu-Mizil, Crew & Ksikes, "Ensemble
 * Selection from Libraries of Models", ICML 2004), over validation (out-of-fold) predictions, and the
 * resulting `ensemble` model: a weighted average of members' probabilities/values, each member with
 * its own fitted preprocessing pipeline. The selection starts from the best single model and keeps the
 * best ensemble seen, so on the selection data it is never worse than the best single model.
 */
import type { Table } from '../data/table.ts';
import {
  METRICS,
  binaryForPositive,
  binaryLogLoss,
  evaluate,
  mae,
  multiclassLogLoss,
  prAuc,
  r2,
  rmse,
  rocAuc,
} from '../metrics/index.ts';
import type { Estimator, FeatureMatrix, Fitted, SerializedModel, Task } from '../models/types.ts';
import { ModelConfigError, predictionWidth } from '../models/types.ts';
import { deserializeModel, registerEstimator } from '../models/registry.ts';
import type { FittedPipeline } from '../pipeline/index.ts';
import { parsePipeline, transformTable } from '../pipeline/index.ts';
import { ensureFamiliesRegistered } from '../train/families.ts';

export interface SelectionOptions {
  readonly task: Task;
  readonly nClasses: number;
  readonly metric: string;
  /** Greedy steps (models added, with replacement). Default 25. */
  readonly rounds?: number;
}

export interface Selection {
  /** Weight per candidate (count / total), summing to 1. */
  readonly weights: number[];
  /** Metric of the selected ensemble on the validation predictions. */
  readonly score: number;
  readonly bestSingle: { readonly index: number; readonly score: number };
  /** Score after each greedy step (index 0 = best single). */
  readonly trace: number[];
}

function score(opts: SelectionOptions, y: Float64Array, pred: Float64Array): number {
  const v = metricValue(opts.task, y, pred, opts.nClasses, opts.metric);
  return Number.isFinite(v) ? v : NaN;
}

/**
 * One metric of `evaluate` (the same function on the same inputs, so the same bits), computing only
 * that one where it can: the greedy selection scores (rounds + 1) × candidates blends, which on big
 * data took seconds when every metric of the task was computed each time.
 */
export function metricValue(
  task: Task,
  y: Float64Array,
  pred: Float64Array,
  nClasses: number,
  metric: string,
): number {
  if (task === 'binary' && (metric === 'roc_auc' || metric === 'pr_auc' || metric === 'log_loss')) {
    const { pos, score } = binaryForPositive(y, pred, 1);
    return metric === 'roc_auc'
      ? rocAuc(pos, score)
      : metric === 'pr_auc'
        ? prAuc(pos, score)
        : binaryLogLoss(pos, score);
  }
  if (task === 'multiclass' && metric === 'log_loss') return multiclassLogLoss(y, pred, nClasses);
  if (task === 'regression' && (metric === 'rmse' || metric === 'mae' || metric === 'r2'))
    return (metric === 'rmse' ? rmse : metric === 'mae' ? mae : r2)(y, pred);
  return evaluate(task, y, pred, nClasses)[metric];
}

/** Caruana's greedy selection with replacement over candidates' validation predictions. */
export function selectEnsemble(
  preds: readonly Float64Array[],
  y: Float64Array,
  opts: SelectionOptions,
): Selection {
  if (!preds.length) throw new Error('ensemble selection needs at least one candidate');
  const info = METRICS[opts.metric];
  if (!info) throw new Error(`unknown metric '${opts.metric}'`);
  const better = (a: number, b: number) =>
    !Number.isNaN(a) && (Number.isNaN(b) || (info.direction === 'maximize' ? a > b : a < b));
  const len = preds[0].length;
  for (const p of preds) if (p.length !== len) throw new Error('candidate predictions differ in length');
  const singles = preds.map((p) => score(opts, y, p));
  let first = 0;
  for (let i = 1; i < singles.length; i++) if (better(singles[i], singles[first])) first = i;
  const counts = new Array<number>(preds.length).fill(0);
  counts[first] = 1;
  let total = 1;
  const sum = Float64Array.from(preds[first]);
  let bestScore = singles[first];
  let bestCounts = counts.slice();
  const trace = [bestScore];
  const rounds = opts.rounds ?? 25;
  const trial = new Float64Array(len);
  for (let r = 0; r < rounds; r++) {
    let pick = -1;
    let pickScore = NaN;
    for (let m = 0; m < preds.length; m++) {
      const p = preds[m];
      for (let i = 0; i < len; i++) trial[i] = (sum[i] + p[i]) / (total + 1);
      const s = score(opts, y, trial);
      if (pick < 0 || better(s, pickScore)) {
        pick = m;
        pickScore = s;
      }
    }
    const p = preds[pick];
    for (let i = 0; i < len; i++) sum[i] += p[i];
    counts[pick]++;
    total++;
    trace.push(pickScore);
    if (better(pickScore, bestScore)) {
      bestScore = pickScore;
      bestCounts = counts.slice();
    }
  }
  const n = bestCounts.reduce((a, b) => a + b, 0);
  return {
    weights: bestCounts.map((c) => c / n),
    score: bestScore,
    bestSingle: { index: first, score: singles[first] },
    trace,
  };
}

/**
 * Whether a selection's blend is used rather than its best single candidate: it has more than one
 * member and beats that candidate in the study's order (`better`). The search (select.ts) and its
 * nested estimate (estimate.ts) decide alike.
 */
export function blendWins(
  sel: Pick<Selection, 'weights' | 'score' | 'bestSingle'>,
  better: (a: number, b: number) => boolean,
): boolean {
  return sel.weights.filter((w) => w > 0).length > 1 && better(sel.score, sel.bestSingle.score);
}

/** Weighted average of predictions (weights need not be normalised). */
export function blend(preds: readonly Float64Array[], weights: readonly number[]): Float64Array {
  const out = new Float64Array(preds[0].length);
  let total = 0;
  for (let m = 0; m < preds.length; m++) {
    const w = weights[m];
    if (!w) continue;
    total += w;
    const p = preds[m];
    for (let i = 0; i < out.length; i++) out[i] += w * p[i];
  }
  for (let i = 0; i < out.length; i++) out[i] /= total;
  return out;
}

export const ENSEMBLE_FORMAT_VERSION = 1;

export interface EnsembleMember {
  readonly weight: number;
  /** Index into `pipelines`. */
  readonly pipeline: number;
  readonly model: Fitted;
  /** Provenance: the trial it came from, its family and parameters. */
  readonly trial?: number;
  readonly params?: Readonly<Record<string, unknown>>;
}

export interface SerializedEnsemble extends SerializedModel {
  readonly family: 'ensemble';
  readonly formatVersion: number;
  readonly task: Task;
  readonly nClasses: number;
  readonly pipelines: readonly FittedPipeline[];
  readonly members: readonly {
    readonly weight: number;
    readonly pipeline: number;
    readonly model: SerializedModel;
    readonly trial?: number;
    readonly params?: Readonly<Record<string, unknown>>;
  }[];
}

/**
 * The final model of a search: one or more members, each predicting through its own pipeline.
 * `predictTable(table)` is the usual path. As a `Fitted`, `predict(X)` takes the member pipelines'
 * feature blocks side by side (`transform(table)` builds that matrix), so it predicts like any model.
 */
export class EnsembleModel implements Fitted {
  readonly family = 'ensemble';
  readonly task: Task;
  readonly nClasses: number;
  readonly nFeatures: number;
  readonly pipelines: readonly FittedPipeline[];
  readonly members: readonly EnsembleMember[];
  private readonly offsets: number[];

  constructor(
    task: Task,
    nClasses: number,
    pipelines: readonly FittedPipeline[],
    members: readonly EnsembleMember[],
  ) {
    if (!members.length) throw new ModelConfigError('an ensemble needs at least one member');
    if (task !== 'binary' && task !== 'multiclass' && task !== 'regression')
      throw new ModelConfigError(`unknown ensemble task '${String(task)}'`);
    members.forEach((m, k) => {
      if (!(m.weight >= 0 && Number.isFinite(m.weight)))
        throw new ModelConfigError(`ensemble member ${k}: weight ${m.weight} must be a finite number >= 0`);
      if (!(Number.isInteger(m.pipeline) && m.pipeline >= 0 && m.pipeline < pipelines.length))
        throw new ModelConfigError(`ensemble member ${k}: pipeline index ${m.pipeline} out of range`);
      if (m.model.task !== task)
        throw new ModelConfigError(`ensemble member ${k}: task ${m.model.task} is not ${task}`);
      if (task !== 'regression' && m.model.nClasses !== nClasses)
        throw new ModelConfigError(
          `ensemble member ${k}: ${m.model.nClasses} classes, the ensemble ${nClasses}`,
        );
    });
    const total = members.reduce((a, m) => a + m.weight, 0);
    if (!(total > 0)) throw new ModelConfigError('ensemble weights must sum to more than 0');
    // Finite weights can still overflow their sum (1e308 + 1e308), which would make every weight 0.
    if (!Number.isFinite(total))
      throw new ModelConfigError(`ensemble weights sum to ${total}: too large to normalise`);
    this.task = task;
    this.nClasses = task === 'regression' ? 1 : nClasses;
    this.pipelines = pipelines;
    this.members = members.map((m) => ({ ...m, weight: m.weight / total }));
    this.offsets = [];
    let off = 0;
    for (const p of pipelines) {
      this.offsets.push(off);
      off += p.layout.length;
    }
    this.nFeatures = off;
  }

  /** Member pipelines' features side by side (the input of `predict`). */
  transform(table: Table): FeatureMatrix {
    const blocks = this.pipelines.map((p) => transformTable(p, table));
    const nRows = table.nRows;
    const data = new Float64Array(nRows * this.nFeatures);
    const featureNames: string[] = [];
    const categorical: boolean[] = [];
    const nCategories: number[] = [];
    blocks.forEach((b, k) => {
      if (b.nCols !== this.pipelines[k].layout.length)
        throw new ModelConfigError(
          `pipeline ${k} gave ${b.nCols} features, expected ${this.pipelines[k].layout.length}`,
        );
      data.set(b.data, this.offsets[k] * nRows);
      for (let j = 0; j < b.nCols; j++) {
        featureNames.push(`p${k}:${b.featureNames?.[j] ?? `f${j}`}`);
        categorical.push(b.categorical?.[j] ?? false);
        nCategories.push(b.nCategories?.[j] ?? 0);
      }
    });
    return { nRows, nCols: this.nFeatures, data, featureNames, categorical, nCategories };
  }

  private block(X: FeatureMatrix, k: number): FeatureMatrix {
    const width = this.pipelines[k].layout.length;
    const start = this.offsets[k] * X.nRows;
    const slice = (a: readonly unknown[] | undefined) => a?.slice(this.offsets[k], this.offsets[k] + width);
    return {
      nRows: X.nRows,
      nCols: width,
      data: X.data.subarray(start, start + width * X.nRows),
      featureNames: slice(X.featureNames) as string[] | undefined,
      categorical: slice(X.categorical) as boolean[] | undefined,
      nCategories: slice(X.nCategories) as number[] | undefined,
    };
  }

  predict(X: FeatureMatrix): Float64Array {
    if (X.nCols !== this.nFeatures)
      throw new ModelConfigError(`ensemble expects ${this.nFeatures} features, got ${X.nCols}`);
    const blocks = this.pipelines.map((_, k) => this.block(X, k));
    return this.combine((m) => m.model.predict(blocks[m.pipeline]), X.nRows);
  }

  predictTable(table: Table): Float64Array {
    const blocks = this.pipelines.map((p) => transformTable(p, table));
    return this.combine((m) => m.model.predict(blocks[m.pipeline]), table.nRows);
  }

  private combine(pred: (m: EnsembleMember) => Float64Array, nRows: number): Float64Array {
    const out = new Float64Array(nRows * predictionWidth(this.task, this.nClasses));
    for (const m of this.members) {
      if (m.weight === 0) continue;
      const p = pred(m);
      if (p.length !== out.length)
        throw new ModelConfigError(`member gave ${p.length} values, expected ${out.length}`);
      for (let i = 0; i < out.length; i++) out[i] += m.weight * p[i];
    }
    return out;
  }

  toJSON(): SerializedEnsemble {
    return {
      family: 'ensemble',
      formatVersion: ENSEMBLE_FORMAT_VERSION,
      task: this.task,
      nClasses: this.nClasses,
      pipelines: this.pipelines,
      members: this.members.map((m) => ({
        weight: m.weight,
        pipeline: m.pipeline,
        model: m.model.toJSON(),
        ...(m.trial !== undefined ? { trial: m.trial } : {}),
        ...(m.params ? { params: m.params } : {}),
      })),
    };
  }

  static fromJSON(json: SerializedModel): EnsembleModel {
    if (json.family !== 'ensemble')
      throw new ModelConfigError(`expected an 'ensemble' model, got '${json.family}'`);
    if (json.formatVersion !== ENSEMBLE_FORMAT_VERSION)
      throw new ModelConfigError(`unsupported ensemble format version ${json.formatVersion}`);
    const j = json as SerializedEnsemble;
    if (!Array.isArray(j.pipelines) || !Array.isArray(j.members))
      throw new ModelConfigError('malformed ensemble: needs pipelines and members');
    ensureFamiliesRegistered();
    const pipelines = j.pipelines.map((p) => parsePipeline(p));
    return new EnsembleModel(
      j.task,
      j.nClasses,
      pipelines,
      j.members.map((m) => ({
        weight: m.weight,
        pipeline: m.pipeline,
        model: deserializeModel(m.model),
        ...(m.trial !== undefined ? { trial: m.trial } : {}),
        ...(m.params ? { params: m.params } : {}),
      })),
    );
  }
}

/** Registered so `deserializeModel` reads ensembles; ensembles are built by the search, not `fit`. */
export const ensembleEstimator: Estimator<Record<string, never>> = {
  family: 'ensemble',
  defaultConfig: () => ({}),
  resolveConfig: () => ({}),
  fit: () => {
    throw new ModelConfigError(
      "'ensemble' models are built by the AutoML search (runSearch), not fitted directly",
    );
  },
  deserialize: (json) => EnsembleModel.fromJSON(json),
};

let registered = false;
export function ensureEnsembleRegistered(): void {
  if (registered) return;
  registerEstimator(ensembleEstimator);
  registered = true;
}
