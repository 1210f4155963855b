/**
 * Round allowance of a time-budgeted search (issue 17, FLAML's cost-frugal start applied by the
 * clock): each GBDT trial's round cap (`gbdt.roundCap`) is lowered, when it is asked, to what the
 * measured cost lets several trials fit in the budget, so the first trials finish instead of one
 * trial at hundreds of rounds being cut by the deadline (letter, 16,000 rows × 26 classes: trial 0 of
 * the portfolio ran 631 rounds and was cut, 0 trials finished in 60 s).
 *
 * - The cost of a round (ms) is measured on the GBDT trials that ended (their time over the rounds
 *   they trained: the best round plus the early-stopping patience, at most their cap; the median over
 *   trials); before any, it is estimated from the data's size (`roundMsEstimate`) × `UNMEASURED_SAFETY`.
 * - The even share: the time left before the search deadline (× the workers) over the trials still
 *   wanted to reach `TARGET_TRIALS` + `MARGIN_TRIALS` finished ones (at least `MIN_WANTED`); the allowance is the rounds that share
 *   holds at that cost, at least `MIN_ROUNDS`.
 * - Once `TARGET_TRIALS` trials finished, it grows to `GROWTH` × the best complete trial's cap when
 *   that trial used all of it (more rounds may pay), as far as the time left allows. Not before: on
 *   letter a growth from the second trial on (×3, or even to two shares) left 7 trials of the 10.
 * - Never more than one worker's time left can hold (a trial cut by the deadline is lost).
 *
 * A lowered cap also raises the trial's learning rate when cap × rate falls below
 * `CAPPED_RATE_ROUNDS` (30) (study.ts `capGbdtRounds`): the portfolio's slow learners (0.05–0.1) cut to a
 * few dozen rounds reached log loss 0.41–0.88 on letter, learning rate 0.3 at the same cost 0.25–0.26.
 *
 * Only the clock decides, so only a time-budgeted search applies it; the lowered cap is the trial's
 * recorded `gbdt.roundCap` parameter, so a replay trains exactly the same rounds (a search with a trial
 * cap and no time budget never calls this: unchanged and deterministic).
 */
import type { Table } from '../data/table.ts';
import { ONE_HOT_MAX } from '../pipeline/auto.ts';
import type { Params } from './space.ts';
import type { Trial } from './study.ts';
import type { FamilyName } from '../train/families.ts';
import { GBDT_MAX_ROUNDS, GLM_MAX_ITERATIONS, familySpace, gbdtPatience, trainsInRounds } from './spaces.ts';
import { levelNetPatience } from './subsample.ts';

/** Finished trials a budget should hold (issue 17: at least 10 in 60 s on letter-sized data). */
export const TARGET_TRIALS = 10;
/**
 * Shares planned beyond the target: the estimate is rough (configurations differ in cost per round)
 * and other families' trials are not capped, so the search aims at a few more than the target.
 */
export const MARGIN_TRIALS = 2;
/** The even share never exceeds this fraction of the time left (after the target too). */
export const MIN_WANTED = 3;
/** The smallest allowance (the space's lowest `roundCap`). */
export const MIN_ROUNDS = 30;
/** Growth of the allowance when the best trial used all of its cap. */
export const GROWTH = 3;

/**
 * Before any trial measured the cost, the size estimate is taken as this many times too optimistic:
 * the machine's speed and load are unknown (letter on the shared 2-core machine: 65 ms a round
 * estimated, 90 ms measured at load 2, 350 ms at load 20, where trial 0 at its estimated share took
 * 24 s of a 60 s budget). The first trials are then cheap (FLAML's low-cost start) and the measured
 * cost sizes the rest.
 */
export const UNMEASURED_SAFETY = 3;

/** Data sizes the first estimate reads. */
export interface CostShape {
  /** Training rows of a fit (a fold's, or the smallest subsample level's on big data). */
  readonly trainRows: number;
  /** Fits per trial (folds; 1 for a holdout). */
  readonly fits: number;
  /** Trees per round (classes for multiclass, else 1). */
  readonly groups: number;
  /** Feature columns. */
  readonly features: number;
  /**
   * Columns of the nets' encoded design (categories one-hot up to 50 levels, else target-encoded:
   * `denseWidth`), for the GLM iteration estimate; absent: `features`.
   */
  readonly denseFeatures?: number;
}

/**
 * The width of the design the nets' automatic pipeline builds from these feature columns, roughly
 * (pipeline/auto.ts): a categorical column one-hot (its categories, at most `ONE_HOT_MAX`) or, with
 * more, target-encoded (one column per class for multiclass), a date column 8 parts, a numeric column
 * with missing values 2 (the value and its missing indicator), anything else one column. For the GLM's
 * cost: soybean's 35 columns (integer codes, read as numbers, most with missing values) make ~70.
 */
export function denseWidth(table: Table, groups: number): number {
  let w = 0;
  for (const c of table.columns) {
    if (c.storage === 'dict') {
      const k = c.dictionary.length;
      w += k <= ONE_HOT_MAX ? Math.max(1, k) : Math.max(1, groups);
    } else if (c.storage === 'datetime') w += 8;
    else if (c.storage === 'float64') w += c.values.some(Number.isNaN) ? 2 : 1;
    else w += 1;
  }
  return w;
}

/**
 * A first estimate of a GBDT round's cost in ms, before any trial measured it: per training row and
 * tree, a fixed part (gradients, margins) and a part per feature (histograms), as measured on letter
 * (16,000 rows × 16 features, 26 classes: about 65 ms a round on a loaded 2-core machine).
 */
export function roundMsEstimate(s: CostShape): number {
  const perRowTreeUs = 0.05 + 0.006 * Math.max(1, s.features);
  return (Math.max(1, s.fits) * s.trainRows * Math.max(1, s.groups) * perRowTreeUs) / 1000;
}

/** Rounds a GBDT trial trained (per fit): its best round + the patience, at most its cap. */
export function roundsTrained(t: Trial): number | undefined {
  const res = t.resources;
  if (!res || res.length === 0) return undefined;
  const best = Math.max(...res);
  const lr = typeof t.params.learningRate === 'number' ? t.params.learningRate : 0.1;
  const cap = typeof t.params.roundCap === 'number' ? t.params.roundCap : GBDT_MAX_ROUNDS;
  return Math.max(1, Math.min(cap, best + gbdtPatience(lr)));
}

/**
 * Below this first estimate of a GBDT round (ms), the rounds' measured cost is mostly what does not
 * grow with the rows (split finding over the bins, per-trial messaging), which `roundMsEstimate`
 * does not describe: on diabetes (282 training rows, 5 folds) a round was estimated at 0.16 ms and
 * measured at 9.3 ms, a "load" of 60.
 */
export const RELIABLE_ROUND_ESTIMATE_MS = 10;

/**
 * The machine's speed and load as the GBDT rounds measured them against their first estimate
 * (measured / estimated ms per round), for the families that have not measured their own cost yet
 * (nets, forests); undefined before any GBDT trial ended. Where the estimate is too small to be
 * reliable (`RELIABLE_ROUND_ESTIMATE_MS`) the ratio is held to `UNMEASURED_SAFETY` — no more
 * pessimistic than knowing nothing: taken as it was, the 60 of small data made every net's first
 * epochs look like 40 s, so the search never started an MLP on it (issue 17: the 60 s bench on
 * diabetes, ames, letter and telco_churn skipped both of the portfolio's MLPs).
 */
export function gbdtLoadScale(trials: readonly Trial[], estimateMs: number | undefined): number | undefined {
  const roundMs = measuredRoundMs(trials);
  if (roundMs === undefined || estimateMs === undefined || !(estimateMs > 0)) return undefined;
  const ratio = roundMs / estimateMs;
  return estimateMs >= RELIABLE_ROUND_ESTIMATE_MS ? ratio : Math.min(ratio, UNMEASURED_SAFETY);
}

/** Measured ms per round of the GBDT trials that ended (median), or undefined before any. */
export function measuredRoundMs(trials: readonly Trial[]): number | undefined {
  const per: number[] = [];
  for (const t of trials) {
    if (t.family !== 'gbdt' || t.state === 'RUNNING' || t.durations.total === undefined) continue;
    if (t.state !== 'COMPLETE' && !(t.state === 'PRUNED' && t.reason === 'halving')) continue;
    const r = roundsTrained(t);
    if (r !== undefined && t.durations.total > 0) per.push((t.durations.total * 1000) / r);
  }
  if (per.length === 0) return undefined;
  per.sort((a, b) => a - b);
  const h = per.length >> 1;
  return per.length % 2 ? per[h] : (per[h - 1] + per[h]) / 2;
}

export interface AllowanceInput {
  /** Trials so far (ended and running), in trial order. */
  readonly trials: readonly Trial[];
  /** Ranked best first among the complete trials (study.ranked()). */
  readonly best: Trial | undefined;
  /** Time left before the search deadline (ms). */
  readonly remainingMs: number;
  /** Trials run at once (executor slots). */
  readonly concurrency: number;
  /** The first estimate of a round's cost (roundMsEstimate), used until a trial measured it. */
  readonly estimateMs: number;
}

/** A trial that ended with a value to compare (complete, or stopped by halving). */
function finished(t: Trial): boolean {
  return t.state === 'COMPLETE' || (t.state === 'PRUNED' && t.reason === 'halving');
}

/** The even share (ms) of the time left among the trials still wanted (see the header). */
function evenShareMs(a: Pick<AllowanceInput, 'trials' | 'remainingMs' | 'concurrency'>): number {
  const done = a.trials.filter(finished).length;
  const running = a.trials.filter((t) => t.state === 'RUNNING').length;
  const wanted = Math.max(MIN_WANTED, TARGET_TRIALS + MARGIN_TRIALS - done - running);
  return (Math.max(0, a.remainingMs) * Math.max(1, a.concurrency)) / wanted;
}

/** The round allowance for the next GBDT trial (see the header). */
export function roundAllowance(a: AllowanceInput): number {
  const ms = Math.max(1e-3, measuredRoundMs(a.trials) ?? a.estimateMs * UNMEASURED_SAFETY);
  const done = a.trials.filter(finished).length;
  const share = evenShareMs(a);
  let rounds = Math.floor(share / ms);
  const b = a.best;
  if (b && b.family === 'gbdt' && typeof b.params.roundCap === 'number') {
    const used = roundsTrained(b);
    if (done >= TARGET_TRIALS && used !== undefined && used >= b.params.roundCap)
      rounds = Math.max(rounds, b.params.roundCap * GROWTH);
  }
  // never more than one worker's time left can hold (a trial cut by the deadline is lost)
  rounds = Math.min(rounds, Math.floor((0.9 * a.remainingMs) / ms));
  return Math.max(MIN_ROUNDS, Math.min(GBDT_MAX_ROUNDS, Math.round(rounds)));
}

/**
 * Epoch allowance (nets: linear and MLP). A net's epoch cannot be cut short and costs what its size
 * says (on letter an MLP of 128-64 units took 1.5–3 s an epoch, 12–30 s a trial: two GBDT trials'
 * time), so each net trial's epochs are capped, when it is asked, at the even share of the time left
 * (as the rounds of a GBDT trial) at the cost an epoch of that configuration is expected to take — at
 * least `MIN_EPOCHS`, never more than one worker's time left holds. Recorded as the trial's `epochCap`
 * (spaces.ts `recorded`), so a replay trains exactly the same epochs; a search with a trial cap and no
 * time budget never asks for it.
 *
 * The cost of an epoch: a model of the work — training rows × multiply-adds of the net (forward and
 * backward) plus a fixed cost per mini-batch (TensorFlow.js's per-operation overhead dominates small
 * nets: a linear epoch on letter is 63 batches of ~11 ms) — calibrated on a loaded 2-core machine
 * (`NET_MS_PER_MAC_ROW`, `NET_MS_PER_BATCH`), then scaled by what the net trials that ended measured
 * against the same model (the median ratio), so the machine's speed and load are learnt; before any
 * net ended, by how the GBDT rounds measured against their estimate (`loadScale`), else
 * `UNMEASURED_SAFETY`.
 */
/** The fewest epochs a capped net trains (the nets' first halving rung). */
export const MIN_EPOCHS = 3;
/** ms per training row × multiply-add of a net's layers (forward + backward), loaded 2-core machine. */
export const NET_MS_PER_MAC_ROW = 15e-6;
/** ms per mini-batch besides the arithmetic (TensorFlow.js overhead, Adam's updates). */
export const NET_MS_PER_BATCH = 10;

/** Layer widths of a net trial's parameters: inputs, hidden units (as spaces.ts builds them), outputs. */
function netWidths(family: FamilyName, params: Params, s: CostShape): number[] {
  const hidden: number[] = [];
  if (family === 'mlp') {
    const layers = Number(params.layers);
    const width = Number(params.width);
    for (let i = 0; i < layers; i++) hidden.push(Math.max(8, Math.round(width / 2 ** i)));
  }
  return [Math.max(1, s.features), ...hidden, Math.max(1, s.groups)];
}

/** The cost model's estimate of one epoch of a net trial (ms, all fits of the trial). */
export function netEpochMsEstimate(family: FamilyName, params: Params, s: CostShape): number {
  const w = netWidths(family, params, s);
  let macs = 0;
  for (let k = 0; k + 1 < w.length; k++) macs += w[k] * w[k + 1];
  const rows = Math.max(1, s.trainRows);
  const size = Number(params.batchSize) > 0 ? Number(params.batchSize) : 128;
  // as nn/train.ts: small data gets smaller batches (≥ ~10 updates an epoch)
  const batch = Math.max(1, Math.min(size, rows, Math.max(16, Math.ceil(rows / 10))));
  const one = rows * macs * NET_MS_PER_MAC_ROW + Math.ceil(rows / batch) * NET_MS_PER_BATCH;
  return Math.max(1, s.fits) * one;
}

/**
 * Epochs a net trial trained (per fit): its best epoch + the patience (the shorter one of a
 * row-subsample level when its outcome is a level's, `Trial.rows`), at most its cap. Undefined for
 * a linear trial solved by 'glm' (no epochs: its resource is the solver's iterations, whose cost the
 * epoch model does not describe, so it neither calibrates the nets' scale nor scales a refit).
 */
export function epochsTrained(t: Trial): number | undefined {
  if (!trainsInRounds(t.family, t.params)) return undefined;
  const res = t.resources;
  if (!res || res.length === 0 || !res.every((r) => Number.isFinite(r))) return undefined;
  const fs = familySpace(t.family);
  const fixed = Number(fs.fixed.patience ?? 0);
  const patience = t.rows !== undefined ? levelNetPatience(fixed) : fixed;
  const cap = typeof t.params.epochCap === 'number' ? t.params.epochCap : fs.resource.max;
  return Math.max(1, Math.min(cap, Math.max(...res) + patience));
}

const isNet = (f: FamilyName) => f === 'linear' || f === 'mlp';

/**
 * The median of measured / estimated time over the trials that ended (`estimateMs`: the cost model's
 * ms for what a trial trained, undefined when it does not apply to the trial), or undefined before any.
 */
function measuredScale(
  trials: readonly Trial[],
  estimateMs: (t: Trial) => number | undefined,
): number | undefined {
  const ratios: number[] = [];
  for (const t of trials) {
    if (!finished(t) || t.durations.total === undefined || !(t.durations.total > 0)) continue;
    const est = estimateMs(t);
    if (est !== undefined) ratios.push((t.durations.total * 1000) / est);
  }
  if (!ratios.length) return undefined;
  ratios.sort((a, b) => a - b);
  const h = ratios.length >> 1;
  return ratios.length % 2 ? ratios[h] : (ratios[h - 1] + ratios[h]) / 2;
}

/**
 * How much slower (> 1) or faster the net trials that ended ran than the cost model says (median
 * ratio), or undefined before any.
 */
export function measuredNetScale(trials: readonly Trial[], s: CostShape): number | undefined {
  return measuredScale(trials, (t) => {
    const e = isNet(t.family) ? epochsTrained(t) : undefined;
    return e === undefined ? undefined : e * netEpochMsEstimate(t.family, t.params, s);
  });
}

export interface EpochAllowanceInput extends Omit<AllowanceInput, 'best' | 'estimateMs'> {
  readonly family: FamilyName;
  readonly params: Params;
  readonly shape: CostShape;
  /**
   * Measured / estimated cost of the GBDT rounds so far (the machine's speed and load), used until a
   * net trial measured its own; absent: `UNMEASURED_SAFETY`.
   */
  readonly loadScale?: number;
}

/** The expected ms of one epoch of the next net trial: the cost model × the measured scale. */
function netEpochMs(a: EpochAllowanceInput): number {
  const scale = measuredNetScale(a.trials, a.shape) ?? a.loadScale ?? UNMEASURED_SAFETY;
  return Math.max(1e-3, netEpochMsEstimate(a.family, a.params, a.shape) * scale);
}

/**
 * The epochs of the next net trial that one worker's time left holds (90% of it) at the expected
 * cost, before the `MIN_EPOCHS` floor of the allowance: below `MIN_EPOCHS` the trial would be cut
 * by the deadline (schedule.ts then does not start it on big data).
 */
export function netEpochsThatFit(a: EpochAllowanceInput): number {
  return Math.floor((0.9 * Math.max(0, a.remainingMs)) / netEpochMs(a));
}

/** The epoch allowance for the next net trial (see above), at most the family's maximum. */
export function epochAllowance(a: EpochAllowanceInput): number {
  const max = familySpace(a.family).resource.max;
  const ms = netEpochMs(a);
  let epochs = Math.floor(evenShareMs(a) / ms);
  epochs = Math.min(epochs, netEpochsThatFit(a));
  return Math.max(MIN_EPOCHS, Math.min(max, epochs));
}

/**
 * Tree allowance (random forests). A forest's trees are deep (depth up to 24, leaves of one row) and
 * were the one uncapped family: on letter-like data (16,000 training rows, 26 classes) a forest trained
 * 120 rounds of 26 trees in 21.4 s, a third of a 60 s budget. Each sampled forest trial's trees are now
 * capped, when it is asked, at the even share of the time left (as a GBDT trial's rounds and a net's
 * epochs) at the cost a round of trees of that configuration is expected to take — at least
 * `MIN_TREES`, never more than one worker's time left holds. Recorded as the trial's `treeCap`
 * (spaces.ts `recorded`), so a replay trains exactly the same trees; a search with a trial cap and no
 * time budget never asks for it.
 *
 * The cost of a round (one tree per class, all fits): the GBDT round estimate (`roundMsEstimate`: rows
 * × trees per round × features) × the levels a tree grows — min(maxDepth, log2(training rows /
 * minSamplesLeaf)) — over `FOREST_LEVELS_PER_ROUND`, calibrated on letter-like data (load 6: a round of
 * extra trees of depth 20 cost 231 ms, 3.8× the GBDT estimate, where the model says 3.5×; best splits
 * of depth 16, 109 ms; depth 8 with leaves of 8 rows, 66 ms: both below the model, which errs on the
 * safe side). Then scaled by what the forest trials that ended measured against the same model
 * (the median ratio); before any, by how the GBDT rounds measured against their estimate, else
 * `UNMEASURED_SAFETY`.
 */
/**
 * The fewest trees a capped forest trains: two halving rungs' worth (10, then 20). A forest's error
 * falls with the trees as the variance of their average; below ~20 it is still far from its plateau.
 */
export const MIN_TREES = 20;
/** Tree levels the GBDT round estimate stands for (see above). */
export const FOREST_LEVELS_PER_ROUND = 4;

/** The cost model's estimate of one round of trees of a forest trial (ms, all fits of the trial). */
export function forestRoundMsEstimate(params: Params, s: CostShape): number {
  const depth = Number(params.maxDepth) > 0 ? Number(params.maxDepth) : 16;
  const leaf = Math.max(1, Number(params.minSamplesLeaf) || 1);
  const levels = Math.max(1, Math.min(depth, Math.log2(Math.max(2, s.trainRows / leaf))));
  return (roundMsEstimate(s) * levels) / FOREST_LEVELS_PER_ROUND;
}

/** Rounds of trees a forest trial trained (per fit): its most, at most its cap. */
export function treesTrained(t: Trial): number | undefined {
  const res = t.resources;
  if (!res || res.length === 0 || !res.every((r) => Number.isFinite(r))) return undefined;
  const max = familySpace('random_forest').resource.max;
  const cap = typeof t.params.treeCap === 'number' ? t.params.treeCap : max;
  return Math.max(1, Math.min(cap, Math.max(...res)));
}

/**
 * How much slower (> 1) or faster the forest trials that ended ran than the cost model says (median
 * ratio), or undefined before any.
 */
export function measuredForestScale(trials: readonly Trial[], s: CostShape): number | undefined {
  return measuredScale(trials, (t) => {
    const n = t.family === 'random_forest' ? treesTrained(t) : undefined;
    return n === undefined ? undefined : n * forestRoundMsEstimate(t.params, s);
  });
}

export type TreeAllowanceInput = Omit<EpochAllowanceInput, 'family'>;

/** The tree allowance (rounds of trees) for the next forest trial (see above), at most the family's maximum. */
export function treeAllowance(a: TreeAllowanceInput): number {
  const max = familySpace('random_forest').resource.max;
  const scale = measuredForestScale(a.trials, a.shape) ?? a.loadScale ?? UNMEASURED_SAFETY;
  const ms = Math.max(1e-3, forestRoundMsEstimate(a.params, a.shape) * scale);
  let trees = Math.floor(evenShareMs(a) / ms);
  trees = Math.min(trees, Math.floor((0.9 * Math.max(0, a.remainingMs)) / ms));
  return Math.max(MIN_TREES, Math.min(max, trees));
}

/**
 * Iteration allowance (linear trials solved by 'glm'). The GLM solver has no epochs, so no rungs and,
 * before this, no allowance: a glm trial ran to convergence (up to 1000 iterations a fit). On soybean
 * (683 rows, 35 categorical columns one-hot, 19 classes, 3 folds) the portfolio's glm trial took
 * 377–526 iterations a fold, 3.1 s on a quiet machine and 28.5 s of a 60 s search at a high load;
 * 10–15 s on letter. Each sampled glm trial's iterations are now capped, when it is asked, at the even
 * share of the time left (as a GBDT trial's rounds, a net's epochs and a forest's trees) at the cost
 * an iteration is expected to take — at least `MIN_GLM_ITERATIONS`, never more than one worker's
 * time left holds. Recorded as the trial's `maxIterations` (spaces.ts `recorded`), so a replay
 * solves exactly the same iterations (the solver is deterministic); a glm stopped there is the model
 * the iterations reached (scored as it is, not converged); its refit is held to the same cap. A
 * search with a trial cap and no time budget never asks for it.
 *
 * The cost of an iteration (all fits): training rows × (encoded features + 1: `denseWidth`) × outputs
 * (classes for softmax, else 1) × `GLM_MS_PER_CELL` — an accepted step is about one evaluation (logits
 * and gradient, two passes over the standardised design); measured on letter (16,000 rows × 16
 * features × 26 classes: 24–26 ms an iteration at load 2–8, 3.4–3.6e-6 ms a cell) and soybean (5
 * folds of 546 rows, 35 columns and their missing indicators, 19 classes: 14–33 ms an iteration at
 * load 8–9, where the 35 columns alone say 6.5 ms: the portfolio's glm was allowed 865 iterations and
 * ran 460 a fold, 14.8 s). Then scaled by what the glm trials that ended measured against
 * the same model (the median ratio); before any, by how the GBDT rounds measured against their
 * estimate when that is above 1 (else 1), else `UNMEASURED_SAFETY`.
 */
/** The fewest iterations a capped glm trial solves. */
export const MIN_GLM_ITERATIONS = 20;
/** ms per training row × (feature + 1) × output of one GLM solver iteration. */
export const GLM_MS_PER_CELL = 3.5e-6;

/** The cost model's estimate of one GLM solver iteration of a trial (ms, all fits of the trial). */
export function glmIterationMsEstimate(s: CostShape): number {
  const p = s.denseFeatures ?? s.features;
  const cells = Math.max(1, s.trainRows) * (Math.max(0, p) + 1) * Math.max(1, s.groups);
  return Math.max(1, s.fits) * cells * GLM_MS_PER_CELL;
}

/** Iterations a glm trial solved per fit (the mean over its fits), or undefined. */
export function glmIterationsSolved(t: Trial): number | undefined {
  if (t.family !== 'linear' || trainsInRounds(t.family, t.params)) return undefined;
  const res = t.resources;
  if (!res || res.length === 0 || !res.every((r) => Number.isFinite(r) && r >= 0)) return undefined;
  return Math.max(1, res.reduce((a, b) => a + b, 0) / res.length);
}

/**
 * How much slower (> 1) or faster the glm trials that ended ran than the cost model says (median
 * ratio), or undefined before any.
 */
export function measuredGlmScale(trials: readonly Trial[], s: CostShape): number | undefined {
  return measuredScale(trials, (t) => {
    const it = glmIterationsSolved(t);
    return it === undefined ? undefined : it * glmIterationMsEstimate(s);
  });
}

export type GlmAllowanceInput = Omit<EpochAllowanceInput, 'family' | 'params'>;

/** The iteration allowance for the next glm trial (see above), at most the solver's own cap. */
export function glmIterationAllowance(a: GlmAllowanceInput): number {
  // The GBDT rounds' ratio counts only when it says slower: on small data it is mostly the rounds'
  // fixed costs, which say nothing of a glm iteration (soybean, load 8: 0.87).
  const scale =
    measuredGlmScale(a.trials, a.shape) ??
    (a.loadScale !== undefined ? Math.max(1, a.loadScale) : UNMEASURED_SAFETY);
  const ms = Math.max(1e-3, glmIterationMsEstimate(a.shape) * scale);
  let iterations = Math.floor(evenShareMs(a) / ms);
  iterations = Math.min(iterations, Math.floor((0.9 * Math.max(0, a.remainingMs)) / ms));
  return Math.max(MIN_GLM_ITERATIONS, Math.min(GLM_MAX_ITERATIONS, iterations));
}
