/**
 * OWL-QN (Andrew & Gao 2007, "Scalable training of L1-regularized log-linear models"): L-BFGS on the
 * smooth part with the l1 term handled by the pseudo-gradient, an orthant-projected direction and an
 * orthant-projected backtracking (Armijo) line search. With l1 = 0 it is plain L-BFGS with a
 * backtracking line search. Deterministic: no randomness, a fixed order of operations.
 *
 * Every accepted step decreases the full objective (Armijo condition on F = smooth + l1·Σ|W|), so the
 * objective never increases along the iterates; a weight whose step would cross 0 stops at exactly 0,
 * which is how l1 gives exact zeros.
 */
import { ModelConfigError } from '../types.ts';
import { GLM_MAX_ITERATIONS } from './defaults.ts';
import { l1Penalty, type GlmObjective } from './objective.ts';

export interface SolverOptions {
  /** Stop when the largest |pseudo-gradient| entry is ≤ this. Default 1e-8. */
  readonly gradientTolerance?: number;
  /** Stop when an accepted step changes the objective by ≤ this × max(|F|, 1). Default 1e-13. */
  readonly objectiveTolerance?: number;
  /** Iteration cap (each iteration is one or more passes over the data). Default `GLM_MAX_ITERATIONS` (1000). */
  readonly maxIterations?: number;
  /** L-BFGS memory (correction pairs kept). Default 30 (ill-conditioned fits, e.g. softmax with a small l2, took 3× the iterations with 10). */
  readonly memory?: number;
  /**
   * Called after every accepted step with the full objective; `false` stops the solver there (reason
   * 'stopped': e.g. a time budget's margin — deterministic, so a replay stopping at the same
   * iteration gets the same weights).
   */
  readonly onIteration?: (iteration: number, objective: number) => void | boolean;
}

export type StopReason = 'gradient' | 'objective' | 'line-search' | 'max-iterations' | 'stopped';

/** How the solver ended: kept in the fitted model (`GlmFit`) as well. */
export interface SolverStop {
  /** Full objective (mean loss + l2·ΣW² + l1·Σ|W|) at theta. */
  readonly objective: number;
  readonly iterations: number;
  /** Passes over the data (objective and gradient evaluations). */
  readonly evaluations: number;
  /** Largest |pseudo-gradient| entry at theta (0 at the exact optimum). */
  readonly gradientNorm: number;
  /** True when a tolerance was met (gradient or objective change), false at the iteration cap or a failed line search. */
  readonly converged: boolean;
  readonly reason: StopReason;
}

export interface SolverResult extends SolverStop {
  readonly theta: Float64Array;
}

/** Pseudo-gradient of F = f + l1·Σ|θⱼ| (j < nPen) at θ, given ∇f; writes `pg`, returns max |pgⱼ|. */
function pseudoGradient(
  theta: Float64Array,
  g: Float64Array,
  nPen: number,
  l1: number,
  pg: Float64Array,
): number {
  let norm = 0;
  for (let j = 0; j < theta.length; j++) {
    let v = g[j];
    if (j < nPen && l1 > 0) {
      const t = theta[j];
      if (t > 0) v = g[j] + l1;
      else if (t < 0) v = g[j] - l1;
      else if (g[j] + l1 < 0) v = g[j] + l1;
      else if (g[j] - l1 > 0) v = g[j] - l1;
      else v = 0;
    }
    pg[j] = v;
    const a = Math.abs(v);
    if (a > norm) norm = a;
  }
  return norm;
}

/**
 * The c minimising Σₖ l1·|vₖ − c| + l2·(vₖ − c)² (convex, piecewise quadratic): the best of the
 * breakpoints vₖ and of each piece's stationary point that lies in its piece.
 */
export function bestShift(v: ArrayLike<number>, l1: number, l2: number): number {
  const K = v.length;
  const h = (c: number): number => {
    let s = 0;
    for (let k = 0; k < K; k++) s += l1 * Math.abs(v[k] - c) + l2 * (v[k] - c) ** 2;
    return s;
  };
  const sorted = Array.from(v).sort((a, b) => a - b);
  let best = sorted[0];
  let bestH = h(best);
  const consider = (c: number) => {
    const hc = h(c);
    if (hc < bestH) {
      best = c;
      bestH = hc;
    }
  };
  for (const c of sorted) consider(c);
  if (l2 > 0) {
    let sum = 0;
    for (const x of sorted) sum += x;
    // On the piece with `below` values < c: h'(c) = l1·(2·below − K) − 2·l2·(sum − K·c) = 0.
    for (let below = 0; below <= K; below++) {
      const c = (sum - (l1 * (2 * below - K)) / (2 * l2)) / K;
      const lo = below === 0 ? -Infinity : sorted[below - 1];
      const hi = below === K ? Infinity : sorted[below];
      if (c > lo && c < hi) consider(c);
    }
  }
  return best;
}

/**
 * Moves each feature's K softmax weights by their best common shift (the loss does not change; the
 * penalty can only fall), updating the gradient's l2 part; returns the change of the objective (≤ 0).
 */
function centreSoftmax(
  theta: Float64Array,
  g: Float64Array,
  p: number,
  K: number,
  l1: number,
  l2: number,
): number {
  let delta = 0;
  const row = new Float64Array(K);
  for (let j = 0; j < p; j++) {
    let before = 0;
    for (let k = 0; k < K; k++) {
      row[k] = theta[j * K + k];
      before += l1 * Math.abs(row[k]) + l2 * row[k] * row[k];
    }
    const c = bestShift(row, l1, l2);
    if (c === 0) continue;
    let after = 0;
    for (let k = 0; k < K; k++) {
      const w = row[k] - c;
      after += l1 * Math.abs(w) + l2 * w * w;
    }
    if (!(after < before)) continue;
    for (let k = 0; k < K; k++) {
      const w = row[k] - c;
      g[j * K + k] += 2 * l2 * (w - row[k]);
      theta[j * K + k] = w;
    }
    delta += after - before;
  }
  return delta;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * Minimises objective.evaluate(θ) + l1·Σ|θⱼ| over the weights, from `start` (warm start; default all
 * zeros). l1 = ∞ fits the intercepts alone (every weight stays exactly 0).
 */
export function minimizeGlm(
  objective: GlmObjective,
  l1: number,
  start?: Float64Array,
  opts: SolverOptions = {},
): SolverResult {
  if (!(l1 >= 0)) throw new ModelConfigError(`glm: l1 must be a number >= 0, got ${l1}`);
  const gtol = opts.gradientTolerance ?? 1e-8;
  const ftol = opts.objectiveTolerance ?? 1e-13;
  const maxIter = opts.maxIterations ?? GLM_MAX_ITERATIONS;
  const m = opts.memory ?? 30;
  if (
    !(gtol >= 0) ||
    !(ftol >= 0) ||
    !(Number.isInteger(maxIter) && maxIter >= 0) ||
    !(Number.isInteger(m) && m >= 1)
  )
    throw new ModelConfigError(
      `glm solver: tolerances must be >= 0, maxIterations a whole number >= 0 and memory >= 1 (got ${gtol}, ${ftol}, ${maxIter}, ${m})`,
    );
  const nP = objective.nParams;
  const nPen = objective.nPenalised;
  const interceptOnly = l1 === Infinity;
  const K = objective.problem.nOutputs;
  // Softmax has no reference class: shifting a feature's K weights by a common c leaves the loss as it
  // is, so along those directions only the penalty curves (2·l2, tiny) and, with l1, is not smooth —
  // OWL-QN crawls there. Each such block is minimised exactly after every step instead.
  const shiftClasses = objective.problem.loss === 'softmax' && !interceptOnly;
  // Huber's second derivative jumps where a residual crosses ±δ, so its curvature pairs can describe
  // a model the loss no longer follows: the line search then takes ever smaller steps and the
  // objective test stops the solver away from the optimum (a weight stuck at −1.44 where l1 zeroes
  // it). For Huber a stall with the pseudo-gradient above its tolerance restarts from steepest
  // descent instead, as long as the last restart was followed by progress. The smooth losses keep
  // their stopping rule as it was, so their fits (and replays) are unchanged.
  const restartOnStall = objective.problem.loss === 'huber';
  let restartF = Infinity;
  if (start && start.length !== nP)
    throw new ModelConfigError(`glm: start has ${start.length} values, expected ${nP}`);
  let theta = start ? Float64Array.from(start) : new Float64Array(nP);
  if (interceptOnly) theta.fill(0, 0, nPen);
  let g = new Float64Array(nP);
  let F = objective.evaluate(theta, g, interceptOnly) + l1Penalty(theta, nPen, l1);
  const pg = new Float64Array(nP);
  const d = new Float64Array(nP);
  let thetaNew = new Float64Array(nP);
  let gNew = new Float64Array(nP);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(m);
  /** Drops the curvature pairs: the next direction is steepest descent. */
  const forgetCurvature = (): void => {
    S.length = 0;
    Y.length = 0;
    rho.length = 0;
  };
  let pgNorm = pseudoGradient(theta, g, nPen, l1, pg);
  let iter = 0;
  let reason: StopReason = 'max-iterations';
  let converged = false;
  let flat = 0;
  const evals0 = objective.evaluations - 1;
  if (!Number.isFinite(F)) throw new ModelConfigError(`glm: the objective at the start is ${F}`);
  for (;;) {
    if (pgNorm <= gtol) {
      reason = 'gradient';
      converged = true;
      break;
    }
    if (iter >= maxIter) break;
    // Direction: −H·pg by the two-loop recursion.
    for (let j = 0; j < nP; j++) d[j] = -pg[j];
    const h = S.length;
    for (let c = h - 1; c >= 0; c--) {
      alpha[c] = rho[c] * dot(S[c], d);
      const y = Y[c];
      for (let j = 0; j < nP; j++) d[j] -= alpha[c] * y[j];
    }
    if (h > 0) {
      const gamma = dot(S[h - 1], Y[h - 1]) / dot(Y[h - 1], Y[h - 1]);
      for (let j = 0; j < nP; j++) d[j] *= gamma;
    }
    for (let c = 0; c < h; c++) {
      const beta = rho[c] * dot(Y[c], d);
      const s = S[c];
      for (let j = 0; j < nP; j++) d[j] += (alpha[c] - beta) * s[j];
    }
    // A weight at 0 moves only into the orthant its pseudo-gradient points to (OWL-QN). Unlike the
    // original, a nonzero weight keeps the quasi-Newton component even when it disagrees with −pg: in
    // its orthant F is smooth, the line search stays in the orthant, and the Armijo test on F keeps
    // every step a descent (the original's projection made ill-conditioned fits 2–4× slower).
    if (l1 > 0) for (let j = 0; j < nPen; j++) if (theta[j] === 0 && d[j] * pg[j] >= 0) d[j] = 0;
    let slope = dot(d, pg);
    if (!(slope < 0)) {
      // Not a descent direction (curvature pairs gone stale): restart from steepest descent.
      forgetCurvature();
      for (let j = 0; j < nP; j++) d[j] = -pg[j];
      slope = dot(d, pg);
    }
    // Backtracking line search on F over the orthant-projected point.
    let step = h === 0 ? Math.min(1, 1 / Math.sqrt(-slope)) : 1;
    let Fnew = Infinity;
    let accepted = false;
    for (let bt = 0; bt < 60; bt++) {
      for (let j = 0; j < nP; j++) {
        let t = theta[j] + step * d[j];
        if (j < nPen && l1 > 0) {
          const orth = theta[j] !== 0 ? Math.sign(theta[j]) : -Math.sign(pg[j]);
          if (Math.sign(t) !== orth) t = 0;
        }
        thetaNew[j] = t;
      }
      const fNew = objective.evaluate(thetaNew, gNew, interceptOnly);
      Fnew = fNew + l1Penalty(thetaNew, nPen, l1);
      // Armijo on the pseudo-gradient: F(θ') ≤ F(θ) + 1e-4·pg·(θ' − θ)
      let dec = 0;
      for (let j = 0; j < nP; j++) dec += pg[j] * (thetaNew[j] - theta[j]);
      if (Fnew <= F + 1e-4 * dec) {
        accepted = Fnew <= F;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) {
      reason = 'line-search';
      break;
    }
    iter++;
    if (shiftClasses) Fnew += centreSoftmax(thetaNew, gNew, objective.problem.nCols, K, l1, objective.l2);
    // Curvature pair from the smooth gradient.
    const s = new Float64Array(nP);
    const y = new Float64Array(nP);
    for (let j = 0; j < nP; j++) {
      s[j] = thetaNew[j] - theta[j];
      y[j] = gNew[j] - g[j];
    }
    const sy = dot(s, y);
    if (sy > 1e-16 * dot(y, y) && sy > 0) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    const Fold = F;
    [theta, thetaNew] = [thetaNew, theta];
    [g, gNew] = [gNew, g];
    F = Fnew;
    pgNorm = pseudoGradient(theta, g, nPen, l1, pg);
    if (opts.onIteration?.(iter, F) === false) {
      reason = 'stopped';
      break;
    }
    // Converged on the objective when two steps in a row barely change it (one small step can be a
    // short line search in a curved valley).
    const fTiny = ftol * Math.max(Math.abs(F), 1);
    if (Fold - F <= fTiny) {
      if (++flat >= 2 && restartOnStall && pgNorm > gtol && S.length > 0 && restartF - F > fTiny) {
        forgetCurvature();
        flat = 0;
        restartF = F;
      } else if (flat >= 2) {
        reason = pgNorm <= gtol ? 'gradient' : 'objective';
        converged = true;
        break;
      }
    } else flat = 0;
  }
  return {
    theta,
    objective: F,
    iterations: iter,
    evaluations: objective.evaluations - evals0,
    gradientNorm: pgNorm,
    converged,
    reason,
  };
}
