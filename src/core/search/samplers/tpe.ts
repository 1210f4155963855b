/**
 * Tree-structured Parzen Estimator, following Optuna's `TPESampler` (univariate mode) — Bergstra,
 * Bardenet, Bengio & Kégl, "Algorithms for Hyper-Parameter Optimization", NeurIPS 2011; Akiba et al.,
 * "Optuna: A Next-generation Hyperparameter Optimization Framework", KDD 2019;
 * https://github.com/optuna/optuna/blob/master/optuna/samplers/_tpe/ (sampler.py, parzen_estimator.py).
 *
 * - The first `nStartupTrials` complete trials are sampled at random.
 * - Complete trials are split into the best γ(n) = min(⌈0.1·n⌉, 25) ("below", l(x)) and the rest
 *   ("above", g(x)); pruned trials count as "above", like Optuna's.
 * - Per parameter a Parzen mixture is fitted on each group's values: one truncated normal per
 *   observation (bandwidth from the distance to its neighbours, clipped by the "magic clip" to
 *   [range / min(100, 1 + kernels), range]) plus a prior kernel (mid-range, σ = range) of weight
 *   `priorWeight`; observations are weighted by Optuna's default weights (flat for < 25, older trials
 *   ramped down beyond). Log scales and integers work in the transformed space (ints ±0.5).
 * - Categorical parameters: one kernel per observation with mass 1 on the observed choice plus
 *   priorWeight / kernels spread over all choices (weighted counts with a prior).
 * - `nEiCandidates` (24) candidates are drawn from l(x); the one maximising log l(x) − log g(x)
 *   (expected improvement) is chosen.
 * - Conditional parameters: only the active ones are sampled, top-down; each parameter's estimators
 *   use only the trials (of each group) where it was active.
 */
import type { Rng } from '../../util/random.ts';
import type { ParamSpec, ParamValue, Params, SearchSpace } from '../space.ts';
import { clamp, isActive, sampleRandom } from '../space.ts';
import type { Observation, Sampler } from './types.ts';
// The engine's Math.log/exp differ in the last bit between runtimes: a proposal must not.
import { exp, log } from '../../util/portable-math.ts';

export interface TpeOptions {
  readonly nStartupTrials?: number;
  readonly nEiCandidates?: number;
  readonly priorWeight?: number;
  readonly considerEndpoints?: boolean;
  readonly considerMagicClip?: boolean;
  /** Size of the "below" group for n complete trials. */
  readonly gamma?: (n: number) => number;
}

export function defaultGamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/** Optuna's default_weights: flat below 25 observations, else a ramp for the older ones. */
export function defaultWeights(n: number): number[] {
  if (n === 0) return [];
  if (n < 25) return new Array<number>(n).fill(1);
  const ramp = n - 25;
  const out: number[] = [];
  for (let i = 0; i < ramp; i++) out.push(ramp === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (ramp - 1));
  for (let i = 0; i < 25; i++) out.push(1);
  return out;
}

const SQRT2 = Math.SQRT2;
const LOG_SQRT_2PI = 0.5 * log(2 * Math.PI);

/** erf, Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7). */
function erf(x: number): number {
  const s = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      exp(-a * a);
  return s * y;
}
function normCdf(z: number): number {
  return 0.5 * (1 + erf(z / SQRT2));
}

interface NumericParzen {
  readonly mus: number[];
  readonly sigmas: number[];
  readonly weights: number[];
  readonly logZ: number[];
  readonly low: number;
  readonly high: number;
}

function numericParzen(
  obs: number[],
  obsWeights: number[],
  low: number,
  high: number,
  o: Required<Omit<TpeOptions, 'gamma'>>,
): NumericParzen {
  const n = obs.length;
  const range = high - low;
  const mus: number[] = [];
  const sigmas: number[] = [];
  if (n > 0) {
    const order = obs.map((_, i) => i).sort((a, b) => obs[a] - obs[b] || a - b);
    const sorted = order.map((i) => obs[i]);
    const withEnds = [low, ...sorted, high];
    const sortedSigmas: number[] = [];
    for (let k = 1; k <= n; k++) {
      sortedSigmas.push(Math.max(withEnds[k] - withEnds[k - 1], withEnds[k + 1] - withEnds[k]));
    }
    if (!o.considerEndpoints && withEnds.length >= 4) {
      sortedSigmas[0] = withEnds[2] - withEnds[1];
      sortedSigmas[n - 1] = withEnds[n] - withEnds[n - 1];
    }
    const sig = new Array<number>(n);
    order.forEach((i, k) => (sig[i] = sortedSigmas[k]));
    const maxSigma = range;
    const minSigma = o.considerMagicClip ? range / Math.min(100, 1 + (n + 1)) : 1e-12;
    for (let i = 0; i < n; i++) {
      mus.push(obs[i]);
      sigmas.push(clamp(sig[i], minSigma, maxSigma));
    }
  }
  mus.push((low + high) / 2);
  sigmas.push(range > 0 ? range : 1);
  const w = [...obsWeights, o.priorWeight];
  const total = w.reduce((a, b) => a + b, 0);
  const weights = w.map((x) => x / total);
  const logZ = mus.map((m, i) => {
    const z = normCdf((high - m) / sigmas[i]) - normCdf((low - m) / sigmas[i]);
    return log(Math.max(z, 1e-300));
  });
  return { mus, sigmas, weights, logZ, low, high };
}

function pickComponent(weights: readonly number[], rng: Rng): number {
  let u = rng.next();
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i];
    if (u < 0) return i;
  }
  return weights.length - 1;
}

function sampleNumeric(p: NumericParzen, rng: Rng): number {
  const i = pickComponent(p.weights, rng);
  if (p.high <= p.low) return p.low;
  for (let t = 0; t < 100; t++) {
    const x = p.mus[i] + p.sigmas[i] * rng.normal();
    if (x >= p.low && x <= p.high) return x;
  }
  return p.low + rng.next() * (p.high - p.low);
}

function logPdfNumeric(p: NumericParzen, x: number): number {
  let max = -Infinity;
  const terms: number[] = [];
  for (let i = 0; i < p.mus.length; i++) {
    const z = (x - p.mus[i]) / p.sigmas[i];
    const t = log(p.weights[i]) - 0.5 * z * z - LOG_SQRT_2PI - log(p.sigmas[i]) - p.logZ[i];
    terms.push(t);
    if (t > max) max = t;
  }
  if (max === -Infinity) return -Infinity;
  let s = 0;
  for (const t of terms) s += exp(t - max);
  return max + log(s);
}

/** Categorical mixture → a probability per choice. */
function categoricalProbs(obs: number[], obsWeights: number[], k: number, priorWeight: number): number[] {
  const n = obs.length;
  if (n === 0) return new Array<number>(k).fill(1 / k);
  const kernels = n + 1;
  const w = [...obsWeights, priorWeight];
  const total = w.reduce((a, b) => a + b, 0);
  const probs = new Array<number>(k).fill(0);
  for (let i = 0; i < kernels; i++) {
    const base = priorWeight / kernels;
    const rowSum = base * k + (i < n ? 1 : 0);
    for (let c = 0; c < k; c++) {
      const m = base + (i < n && obs[i] === c ? 1 : 0);
      probs[c] += (w[i] / total) * (m / rowSum);
    }
  }
  return probs;
}

interface Transform {
  readonly low: number;
  readonly high: number;
  to(v: number): number;
  from(x: number): number;
}

function transformOf(spec: Exclude<ParamSpec, { type: 'categorical' }>): Transform {
  const isInt = spec.type === 'int';
  const lo = isInt ? spec.low - 0.5 : spec.low;
  const hi = isInt ? spec.high + 0.5 : spec.high;
  const fwd = spec.log ? log : (v: number) => v;
  const back = spec.log ? exp : (x: number) => x;
  return {
    low: fwd(lo),
    high: fwd(hi),
    to: (v) => fwd(v),
    from: (x) => {
      const v = back(x);
      return clamp(isInt ? Math.round(v) : v, spec.low, spec.high);
    },
  };
}

export function tpeSampler(options: TpeOptions = {}): Sampler {
  const o = {
    nStartupTrials: options.nStartupTrials ?? 10,
    nEiCandidates: options.nEiCandidates ?? 24,
    priorWeight: options.priorWeight ?? 1,
    considerEndpoints: options.considerEndpoints ?? false,
    considerMagicClip: options.considerMagicClip ?? true,
  };
  const gamma = options.gamma ?? defaultGamma;

  function sample(space: SearchSpace, history: readonly Observation[], rng: Rng): Params {
    const complete = history
      .filter((h) => h.state === 'COMPLETE' && h.loss !== undefined && Number.isFinite(h.loss))
      .slice()
      .sort((a, b) => a.number - b.number);
    if (complete.length < o.nStartupTrials) return sampleRandom(space, rng);
    const ranked = complete.slice().sort((a, b) => a.loss! - b.loss! || a.number - b.number);
    const nBelow = Math.max(1, Math.min(gamma(complete.length), complete.length));
    const belowSet = new Set(ranked.slice(0, nBelow).map((h) => h.number));
    const below = complete.filter((h) => belowSet.has(h.number));
    const above = history
      .filter(
        (h) =>
          (h.state === 'COMPLETE' && !belowSet.has(h.number) && h.loss !== undefined) || h.state === 'PRUNED',
      )
      .slice()
      .sort((a, b) => a.number - b.number);

    const out: Record<string, ParamValue> = {};
    for (const spec of space.params) {
      if (!isActive(spec, out)) continue;
      out[spec.name] = sampleParam(spec, below, above, rng);
    }
    return out;
  }

  function sampleParam(
    spec: ParamSpec,
    below: readonly Observation[],
    above: readonly Observation[],
    rng: Rng,
  ): ParamValue {
    const values = (group: readonly Observation[]) =>
      group.map((h) => h.params[spec.name]).filter((v): v is ParamValue => v !== undefined);
    const bVals = values(below);
    const aVals = values(above);
    if (spec.type === 'categorical') {
      const idx = (vals: ParamValue[]) => vals.map((v) => spec.choices.indexOf(v)).filter((i) => i >= 0);
      const bi = idx(bVals);
      const ai = idx(aVals);
      const k = spec.choices.length;
      const l = categoricalProbs(bi, defaultWeights(bi.length), k, o.priorWeight);
      const g = categoricalProbs(ai, defaultWeights(ai.length), k, o.priorWeight);
      let best = -1;
      let bestScore = -Infinity;
      for (let c = 0; c < o.nEiCandidates; c++) {
        const cand = pickComponent(l, rng);
        const score = log(l[cand]) - log(g[cand]);
        if (score > bestScore) {
          bestScore = score;
          best = cand;
        }
      }
      return spec.choices[best];
    }
    const tr = transformOf(spec);
    const bx = bVals.map((v) => tr.to(v as number));
    const ax = aVals.map((v) => tr.to(v as number));
    const l = numericParzen(bx, defaultWeights(bx.length), tr.low, tr.high, o);
    const g = numericParzen(ax, defaultWeights(ax.length), tr.low, tr.high, o);
    let best = l.mus[l.mus.length - 1];
    let bestScore = -Infinity;
    for (let c = 0; c < o.nEiCandidates; c++) {
      const x = sampleNumeric(l, rng);
      const score = logPdfNumeric(l, x) - logPdfNumeric(g, x);
      if (score > bestScore) {
        bestScore = score;
        best = x;
      }
    }
    return tr.from(best);
  }

  return { name: 'tpe', sample };
}
