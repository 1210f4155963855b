/**
 * Zero-shot portfolio: hand-picked configurations known to do well across many tabular datasets are
 * tried first, in order (as AutoGluon's presets and FLAML's zero-shot portfolios do); then the
 * sampler delegates to another (TPE by default). Entries that are not valid points of the space (e.g.
 * a family the user left out) are skipped. Entry i is used for the i-th trial of the study (running
 * trials count), so a pool of workers asking concurrently still walks the list in order.
 */
import { GBDT_DEFAULTS } from '../../models/gbdt/config.ts';
import type { Params } from '../space.ts';
import { checkParams } from '../space.ts';
import { FAMILY_PARAM, GBDT_MAX_ROUNDS, joinParams } from '../spaces.ts';
import type { Observation, Sampler } from './types.ts';
import { tpeSampler } from './tpe.ts';

/**
 * Default portfolio over the joint space of spaces.ts, hand-picked (in the spirit of AutoGluon's and
 * FLAML's zero-shot configurations, not copied from them). Order matters: on larger data only the
 * first handful run within a minute, so strong, fast and diverse configurations come first:
 *  0–1  GBDT near XGBoost's and LightGBM's defaults (fast, robust anywhere);
 *  2    a lightly regularised linear model (cheap; often the best on small, noisy data), solved to its
 *       optimum by the GLM solver (`solver: 'glm'`; the entry trained by Adam before issue #22);
 *  3    deep, strongly regularised GBDT (depth 10, min child weight 5, λ 20): the shape tuned XGBoost
 *       ends with on regression data (house prices, ridership, diamonds);
 *  4    an MLP at its family's defaults (slow on large data but diverse: it lifts ensembles);
 *  5    deep GBDT with light sampling and moderate L2 (depth 8, lr 0.08): another regression shape
 *       (daily ridership: lagged counts, weather, dates);
 *  6    shallow, slow GBDT with row/column sampling (depth 3, lr 0.025): the shape tuned XGBoost ends
 *       with on small binary tasks (credit, churn, medical);
 *  7    mid-depth GBDT with strong column sampling (col 0.35): high-dimensional data (pixels, DNA);
 *  8    extra trees (cheap, decorrelated from boosting: useful in the ensemble);
 *  9    a wide, regularised MLP (dropout, L2, small batches) for small data (the best single model
 *       on digits; on a few thousand rows it costs as much as dozens of GBDT trials);
 *  10   very shallow GBDT (depth 2) for near-additive signals;
 *  11   a random forest; 12 a large-leaf, heavily regularised lossguide GBDT; 13 a slow depth-5 GBDT
 *       with strong subsampling; 14 a strongly regularised linear model (also `solver: 'glm'`).
 */
/**
 * A GBDT entry of the joint space: uncapped (`roundCap` at the resource maximum) and with the GBDT
 * default `minDataPerGroup` unless it says otherwise.
 */
function gbdt(params: Params): Params {
  return joinParams('gbdt', {
    ...params,
    roundCap: params.roundCap ?? GBDT_MAX_ROUNDS,
    minDataPerGroup: params.minDataPerGroup ?? GBDT_DEFAULTS.minDataPerGroup,
  });
}

export const DEFAULT_PORTFOLIO: readonly Params[] = [
  gbdt({
    learningRate: 0.1,
    growPolicy: 'depthwise',
    maxDepth: 6,
    minChildWeight: 1,
    lambda: 1,
    alpha: 1e-4,
    subsample: 0.8,
    colsampleByTree: 0.8,
    classWeight: 'none',
  }),
  gbdt({
    learningRate: 0.05,
    growPolicy: 'lossguide',
    maxLeaves: 31,
    minChildWeight: 1,
    lambda: 1,
    alpha: 1e-4,
    subsample: 0.8,
    colsampleByTree: 0.7,
    classWeight: 'none',
  }),
  joinParams('linear', { solver: 'glm', l2: 1e-4, l1: 1e-8, classWeight: 'none' }),
  gbdt({
    learningRate: 0.05,
    growPolicy: 'depthwise',
    maxDepth: 10,
    minChildWeight: 5,
    lambda: 20,
    alpha: 1e-3,
    subsample: 0.75,
    colsampleByTree: 0.6,
    classWeight: 'none',
  }),
  joinParams('mlp', {
    layers: 2,
    width: 128,
    activation: 'relu',
    dropout: 0.1,
    learningRate: 0.003,
    l2: 1e-5,
    batchSize: 128,
    embeddings: false,
    classWeight: 'none',
  }),
  gbdt({
    learningRate: 0.08,
    growPolicy: 'depthwise',
    maxDepth: 8,
    minChildWeight: 3,
    lambda: 10,
    alpha: 1e-4,
    subsample: 0.9,
    colsampleByTree: 0.8,
    classWeight: 'none',
  }),
  gbdt({
    learningRate: 0.025,
    growPolicy: 'depthwise',
    maxDepth: 3,
    minChildWeight: 3,
    lambda: 3,
    alpha: 1e-4,
    subsample: 0.65,
    colsampleByTree: 0.45,
    classWeight: 'none',
  }),
  gbdt({
    learningRate: 0.04,
    growPolicy: 'depthwise',
    maxDepth: 6,
    minChildWeight: 1,
    lambda: 0.1,
    alpha: 1e-4,
    subsample: 0.85,
    colsampleByTree: 0.35,
    classWeight: 'none',
  }),
  joinParams('random_forest', {
    extraTrees: true,
    featureFraction: 'sqrt',
    maxDepth: 20,
    minSamplesLeaf: 1,
    classWeight: 'none',
  }),
  joinParams('mlp', {
    layers: 2,
    width: 256,
    activation: 'gelu',
    dropout: 0.25,
    learningRate: 0.002,
    l2: 1e-4,
    batchSize: 64,
    embeddings: false,
    classWeight: 'none',
  }),
  gbdt({
    learningRate: 0.05,
    growPolicy: 'depthwise',
    maxDepth: 2,
    minChildWeight: 1,
    lambda: 0.03,
    alpha: 1e-4,
    subsample: 0.6,
    colsampleByTree: 0.6,
    classWeight: 'none',
  }),
  joinParams('random_forest', {
    extraTrees: false,
    featureFraction: 'sqrt',
    maxDepth: 16,
    minSamplesLeaf: 1,
    classWeight: 'none',
  }),
  gbdt({
    learningRate: 0.02,
    growPolicy: 'lossguide',
    maxLeaves: 128,
    minChildWeight: 10,
    lambda: 10,
    alpha: 0.1,
    subsample: 0.6,
    colsampleByTree: 0.4,
    classWeight: 'none',
  }),
  gbdt({
    learningRate: 0.012,
    growPolicy: 'depthwise',
    maxDepth: 5,
    minChildWeight: 0.5,
    lambda: 0.1,
    alpha: 1e-4,
    subsample: 0.6,
    colsampleByTree: 0.45,
    classWeight: 'none',
  }),
  joinParams('linear', { solver: 'glm', l2: 1e-2, l1: 1e-6, classWeight: 'none' }),
];

/**
 * Cost-frugal probes (FLAML's low-cost start, `costFrugal`): configurations that cost a few dozen
 * rounds wherever they run, tried before the portfolio — XGBoost's default shape (learning rate 0.3,
 * depth 6, at most 100 rounds: the baseline a search has to reach, at the price of 100 rounds), and a
 * LightGBM-like 31-leaf tree at the same cost — then the cheap linear model.
 */
export const FRUGAL_PROBES: readonly Params[] = [
  gbdt({
    learningRate: 0.3,
    growPolicy: 'depthwise',
    maxDepth: 6,
    minChildWeight: 1,
    lambda: 1,
    alpha: 1e-4,
    subsample: 0.8,
    colsampleByTree: 0.8,
    classWeight: 'none',
    roundCap: 100,
  }),
  gbdt({
    learningRate: 0.2,
    growPolicy: 'lossguide',
    maxLeaves: 31,
    minChildWeight: 1,
    lambda: 1,
    alpha: 1e-4,
    subsample: 0.8,
    colsampleByTree: 0.7,
    classWeight: 'none',
    roundCap: 100,
  }),
];

/**
 * Cost-frugal growth (`costFrugal`): the round allowance of the portfolio's GBDT entries starts at
 * `FRUGAL_START_ROUNDS` and grows by `FRUGAL_GROWTH` (up to the uncapped maximum) each time it pays:
 * when the best complete trial so far is a GBDT trial that ran at the current allowance (the most
 * expensive level tried is the one winning, so more rounds may win more). An entry is proposed with
 * roundCap = min(its own, the allowance). A pure function of the history's parameters and losses, so
 * a seeded search with a trial cap stays deterministic.
 */
export const FRUGAL_START_ROUNDS = 100;
export const FRUGAL_GROWTH = 3;

/** The round allowance after `history` (see FRUGAL_START_ROUNDS). */
export function frugalAllowance(history: readonly Observation[]): number {
  let allowance = FRUGAL_START_ROUNDS;
  let best: Observation | undefined;
  for (const o of history) {
    if (o.state !== 'COMPLETE' || o.loss === undefined || !Number.isFinite(o.loss)) continue;
    if (best && !(o.loss < best.loss!)) continue;
    best = o;
    const cap = o.params['gbdt.roundCap'];
    if (o.params[FAMILY_PARAM] === 'gbdt' && typeof cap === 'number' && cap >= allowance)
      allowance = Math.min(GBDT_MAX_ROUNDS, Math.max(allowance, cap) * FRUGAL_GROWTH);
  }
  return allowance;
}

/** `entry` with its GBDT round cap lowered to `allowance` (other families unchanged). */
export function capEntry(entry: Params, allowance: number): Params {
  const cap = entry['gbdt.roundCap'];
  if (entry[FAMILY_PARAM] !== 'gbdt' || typeof cap !== 'number' || cap <= allowance) return entry;
  return { ...entry, 'gbdt.roundCap': Math.min(GBDT_MAX_ROUNDS, Math.round(allowance)) };
}

export interface PortfolioOptions {
  readonly entries?: readonly Params[];
  /** Sampler used once the portfolio is exhausted (default: TPE with default options). */
  readonly fallback?: Sampler;
  /**
   * Each family's first entry first (in portfolio order), then the rest in order: on big data, where
   * a minute holds only a handful of trials, every chosen family gets one early (runner.ts).
   */
  readonly familiesFirst?: boolean;
  /**
   * FLAML-style cost-frugal start: `FRUGAL_PROBES` first, then the entries with their GBDT round cap
   * bounded by the allowance that grows only when it pays (`frugalAllowance`). For data where a round
   * is expensive (many rows × classes): on letter (16,000 rows, 26 classes) the portfolio's first
   * entry alone took a minute.
   */
  readonly costFrugal?: boolean;
}

/** `entries` with each family's first entry moved to the front (stable otherwise). */
export function familiesFirst(entries: readonly Params[]): Params[] {
  const seen = new Set<unknown>();
  const first: Params[] = [];
  const rest: Params[] = [];
  for (const e of entries) {
    const f = e[FAMILY_PARAM];
    if (seen.has(f)) rest.push(e);
    else {
      seen.add(f);
      first.push(e);
    }
  }
  return [...first, ...rest];
}

export function portfolioSampler(opts: PortfolioOptions = {}): Sampler {
  const entries = opts.entries ?? DEFAULT_PORTFOLIO;
  const fallback = opts.fallback ?? tpeSampler();
  return {
    name: opts.costFrugal ? 'frugal' : 'portfolio',
    sample(space, history: readonly Observation[], rng) {
      const all = opts.costFrugal ? [...FRUGAL_PROBES, ...entries] : entries;
      const fitting = all.filter((e) => checkParams(space, e).length === 0);
      const valid = opts.familiesFirst ? familiesFirst(fitting) : fitting;
      const i = history.length;
      if (i < valid.length)
        return opts.costFrugal ? { ...capEntry(valid[i], frugalAllowance(history)) } : { ...valid[i] };
      return fallback.sample(space, history, rng);
    },
  };
}
