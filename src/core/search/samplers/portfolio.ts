/**
 * Zero-shot portfolio: hand-picked configurations known to do well across many tabular datasets are
 * tried first, in order (as AutoGluon's presets and FLAML's zero-shot portfolios do); then the
 * sampler delegates to another (TPE by default). Entries that are not valid points of the space (e.g.
 * a family the user left out) are skipped. Entry i is used for the i-th trial of the study (running
 * trials count), so a pool of workers asking concurrently still walks the list in order.
 */
import type { Params } from '../space.ts';
import { checkParams } from '../space.ts';
import { joinParams } from '../spaces.ts';
import type { Observation, Sampler } from './types.ts';
import { tpeSampler } from './tpe.ts';

/**
 * Default portfolio over the joint space of spaces.ts, hand-picked: GBDT entries near XGBoost's and
 * LightGBM's defaults plus slower, more regularised variants (in the spirit of AutoGluon's and FLAML's
 * zero-shot configurations, not copied from them); a random forest and extra trees of moderate depth;
 * the nets at their families' defaults. Order matters: cheap, strong configurations come first.
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
  }),
  joinParams('linear', { learningRate: 0.05, l2: 1e-4, l1: 1e-8, batchSize: 256 }),
  joinParams('gbdt', {
    learningRate: 0.03,
    growPolicy: 'depthwise',
    maxDepth: 4,
    minChildWeight: 3,
    lambda: 5,
    alpha: 1e-4,
    subsample: 0.7,
    colsampleByTree: 0.5,
  }),
  joinParams('mlp', {
    layers: 2,
    width: 128,
    activation: 'relu',
    dropout: 0.1,
    learningRate: 0.003,
    l2: 1e-5,
    batchSize: 128,
  }),
  joinParams('random_forest', {
    extraTrees: false,
    featureFraction: 'sqrt',
    maxDepth: 16,
    minSamplesLeaf: 1,
  }),
  joinParams('random_forest', { extraTrees: true, featureFraction: 'sqrt', maxDepth: 20, minSamplesLeaf: 1 }),
  joinParams('gbdt', {
    learningRate: 0.1,
    growPolicy: 'depthwise',
    maxDepth: 3,
    minChildWeight: 1,
    lambda: 0.1,
    alpha: 1e-4,
    subsample: 0.9,
    colsampleByTree: 0.9,
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
  }),
];

export interface PortfolioOptions {
  readonly entries?: readonly Params[];
  /** Sampler used once the portfolio is exhausted (default: TPE with default options). */
  readonly fallback?: Sampler;
}

export function portfolioSampler(opts: PortfolioOptions = {}): Sampler {
  const entries = opts.entries ?? DEFAULT_PORTFOLIO;
  const fallback = opts.fallback ?? tpeSampler();
  return {
    name: 'portfolio',
    sample(space, history: readonly Observation[], rng) {
      const valid = entries.filter((e) => checkParams(space, e).length === 0);
      const i = history.length;
      if (i < valid.length) return { ...valid[i] };
      return fallback.sample(space, history, rng);
    },
  };
}
