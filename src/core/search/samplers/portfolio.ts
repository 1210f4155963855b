/**
 * Zero-shot portfolio: hand-picked configurations known to do well across many tabular datasets are
 * tried first, in order (as AutoGluon's presets and FLAML's zero-shot portfolios do); then the
 * sampler delegates to another (TPE by default). Entries that are not valid points of the space (e.g.
 * a family the user left out) are skipped. Entry i is used for the i-th trial of the study (running
 * trials count), so a pool of workers asking concurrently still walks the list in order.
 */
import type { Params } from '../space.ts';
import { checkParams } from '../space.ts';
import { FAMILY_PARAM, joinParams } from '../spaces.ts';
import type { Observation, Sampler } from './types.ts';
import { tpeSampler } from './tpe.ts';

/**
 * Default portfolio over the joint space of spaces.ts, hand-picked (in the spirit of AutoGluon's and
 * FLAML's zero-shot configurations, not copied from them). Order matters: on larger data only the
 * first handful run within a minute, so strong, fast and diverse configurations come first:
 *  0–1  GBDT near XGBoost's and LightGBM's defaults (fast, robust anywhere);
 *  2    a lightly regularised linear model (cheap; often the best on small, noisy data);
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
 *       with strong subsampling; 14 a strongly regularised linear model.
 */
export const DEFAULT_PORTFOLIO: readonly Params[] = [
  joinParams('gbdt', {
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
  joinParams('gbdt', {
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
  joinParams('linear', { learningRate: 0.05, l2: 1e-4, l1: 1e-8, batchSize: 256, classWeight: 'none' }),
  joinParams('gbdt', {
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
  joinParams('gbdt', {
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
  joinParams('gbdt', {
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
  joinParams('gbdt', {
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
  joinParams('gbdt', {
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
  joinParams('gbdt', {
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
  joinParams('gbdt', {
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
  joinParams('linear', { learningRate: 0.02, l2: 1e-2, l1: 1e-6, batchSize: 128, classWeight: 'none' }),
];

export interface PortfolioOptions {
  readonly entries?: readonly Params[];
  /** Sampler used once the portfolio is exhausted (default: TPE with default options). */
  readonly fallback?: Sampler;
  /**
   * Each family's first entry first (in portfolio order), then the rest in order: on big data, where
   * a minute holds only a handful of trials, every chosen family gets one early (runner.ts).
   */
  readonly familiesFirst?: boolean;
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
    name: 'portfolio',
    sample(space, history: readonly Observation[], rng) {
      const fitting = entries.filter((e) => checkParams(space, e).length === 0);
      const valid = opts.familiesFirst ? familiesFirst(fitting) : fitting;
      const i = history.length;
      if (i < valid.length) return { ...valid[i] };
      return fallback.sample(space, history, rng);
    },
  };
}
