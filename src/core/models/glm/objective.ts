/**
 * The linear family's objective, in float64, for a solver that converges to its optimum:
 *
 *   F(W, b) = Σᵢ ωᵢ ℓ(zᵢ, yᵢ) + l2·Σ W² + l1·Σ |W|,   zᵢ = xᵢ·W + b,   ωᵢ = wᵢ / Σ w (or 1 / n)
 *
 * the weighted mean loss plus the elastic-net penalty over the weights, the intercepts not penalised —
 * what `src/core/models/nn/train.ts` minimises with Adam for `hidden = []`. Losses:
 * - 'logistic' (binary, one output): max(z, 0) − z·y + log(1 + e^−|z|), y ∈ {0, 1};
 * - 'softmax' (K ≥ 2 outputs, one weight vector per class, no reference class): logΣₖe^zₖ − z_y;
 * - 'squared' (one output): ½(z − y)², y the standardised target;
 * - 'huber' (one output): ½·min(|d|, 1)² + |d| − min(|d|, 1), d = z − y (train.ts's, δ = 1).
 *
 * Parameters θ are one Float64Array: the weights row-major p × K (θ[j·K + k], the layout of a dense
 * layer's w in state.ts), then the K intercepts. The design X is column-major n × p (the layout of
 * `FeatureMatrix`): row i, column j at X[j·n + i]. exp and log are the portable ones (same bits in every
 * engine), so a fit gives the same numbers in Node and in every browser.
 */
import { exp, log } from '../../util/portable-math.ts';
import { ModelConfigError } from '../types.ts';

export type GlmLoss = 'logistic' | 'softmax' | 'squared' | 'huber';

export interface GlmProblem {
  /** Column-major n × p design (already standardised; no NaN). */
  readonly X: Float64Array;
  readonly nRows: number;
  readonly nCols: number;
  /** Class index (logistic, softmax) or target value (squared, huber), length n. */
  readonly y: Float64Array;
  readonly loss: GlmLoss;
  /** Outputs: K classes for softmax, 1 otherwise. */
  readonly nOutputs: number;
  /** Optional non-negative row weights (the mean is weighted by them). */
  readonly rowWeights?: Float64Array;
}

/** log(1 + t) for t ≥ 0, accurate for small t, from the portable log (the classic correction). */
export function log1pPortable(t: number): number {
  const u = 1 + t;
  if (u === 1) return t;
  return log(u) - (u - 1 - t) / u;
}

/** Checks a problem's shapes and values; throws ModelConfigError naming what is wrong. */
export function checkProblem(p: GlmProblem): void {
  const { X, nRows: n, nCols, y, loss, nOutputs: K } = p;
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(nCols) || nCols < 0)
    throw new ModelConfigError(`glm: invalid design shape ${n}×${nCols}`);
  if (X.length !== n * nCols)
    throw new ModelConfigError(`glm: design holds ${X.length} values, expected ${n}×${nCols}`);
  if (y.length !== n) throw new ModelConfigError(`glm: y has ${y.length} values, expected ${n}`);
  if (loss !== 'logistic' && loss !== 'softmax' && loss !== 'squared' && loss !== 'huber')
    throw new ModelConfigError(`glm: unknown loss '${String(loss)}'`);
  if (loss === 'softmax' ? !(Number.isInteger(K) && K >= 2) : K !== 1)
    throw new ModelConfigError(`glm: loss '${loss}' cannot have ${K} outputs`);
  for (let i = 0; i < X.length; i++)
    if (!Number.isFinite(X[i]))
      throw new ModelConfigError(
        `glm: design value at row ${i % n}, column ${Math.floor(i / n)} is ${X[i]}, not finite`,
      );
  for (let i = 0; i < n; i++) {
    const v = y[i];
    if (
      loss === 'logistic'
        ? v !== 0 && v !== 1
        : loss === 'softmax'
          ? !(Number.isInteger(v) && v >= 0 && v < K)
          : !Number.isFinite(v)
    )
      throw new ModelConfigError(`glm: y[${i}] = ${v} is not valid for loss '${loss}'`);
  }
  if (p.rowWeights) {
    const w = p.rowWeights;
    if (w.length !== n) throw new ModelConfigError(`glm: ${w.length} row weights for ${n} rows`);
    let s = 0;
    for (let i = 0; i < n; i++) {
      if (!(w[i] >= 0 && Number.isFinite(w[i])))
        throw new ModelConfigError(`glm: row weight ${i} is ${w[i]}, expected a finite number >= 0`);
      s += w[i];
    }
    if (!(s > 0)) throw new ModelConfigError('glm: row weights sum to 0');
  }
}

/**
 * The smooth part of the objective (mean loss + l2·ΣW²) and its gradient; the solver adds l1.
 * Work arrays are allocated once per problem.
 */
export class GlmObjective {
  readonly problem: GlmProblem;
  readonly l2: number;
  /** Number of parameters: p·K weights, then K intercepts. */
  readonly nParams: number;
  /** The first `nPenalised` parameters are the (penalised) weights. */
  readonly nPenalised: number;
  /** Normalised row weights ωᵢ (sum 1). */
  readonly omega: Float64Array;
  /** Logits, class-major: z[k·n + i]. */
  private readonly z: Float64Array;
  /** Work list of the columns with a nonzero weight. */
  private readonly cols: Int32Array;
  /** Evaluations so far (each one a pass over the design). */
  evaluations = 0;

  constructor(problem: GlmProblem, l2: number) {
    checkProblem(problem);
    if (!(l2 >= 0 && Number.isFinite(l2)))
      throw new ModelConfigError(`glm: l2 must be a finite number >= 0, got ${l2}`);
    this.problem = problem;
    this.l2 = l2;
    const { nRows: n, nCols: p, nOutputs: K } = problem;
    this.nPenalised = p * K;
    this.nParams = p * K + K;
    this.omega = new Float64Array(n);
    if (problem.rowWeights) {
      let s = 0;
      for (let i = 0; i < n; i++) s += problem.rowWeights[i];
      for (let i = 0; i < n; i++) this.omega[i] = problem.rowWeights[i] / s;
    } else this.omega.fill(1 / n);
    this.z = new Float64Array(n * K);
    this.cols = new Int32Array(p);
  }

  /** z = X·W + b into the work array. */
  private logits(theta: Float64Array): Float64Array {
    const { X, nRows: n, nCols: p, nOutputs: K } = this.problem;
    const z = this.z;
    const cols = this.cols;
    for (let k = 0; k < K; k++) {
      const zo = k * n;
      z.fill(theta[p * K + k], zo, zo + n);
      let m = 0;
      for (let j = 0; j < p; j++) if (theta[j * K + k] !== 0) cols[m++] = j;
      // Four columns per sweep: a quarter of the loads and stores of z (the pass is memory-bound).
      let t = 0;
      for (; t + 4 <= m; t += 4) {
        const b0 = cols[t] * n;
        const b1 = cols[t + 1] * n;
        const b2 = cols[t + 2] * n;
        const b3 = cols[t + 3] * n;
        const w0 = theta[cols[t] * K + k];
        const w1 = theta[cols[t + 1] * K + k];
        const w2 = theta[cols[t + 2] * K + k];
        const w3 = theta[cols[t + 3] * K + k];
        for (let i = 0; i < n; i++)
          z[zo + i] += X[b0 + i] * w0 + X[b1 + i] * w1 + X[b2 + i] * w2 + X[b3 + i] * w3;
      }
      for (; t < m; t++) {
        const b = cols[t] * n;
        const w = theta[cols[t] * K + k];
        for (let i = 0; i < n; i++) z[zo + i] += X[b + i] * w;
      }
    }
    return z;
  }

  /**
   * Smooth objective value; with `grad`, also its gradient (written into grad, length nParams).
   * `skipWeightGradient`: leave the weights' gradient at 0 (intercept-only fits).
   */
  evaluate(theta: Float64Array, grad?: Float64Array, skipWeightGradient = false): number {
    this.evaluations++;
    const { X, nRows: n, nCols: p, nOutputs: K, y, loss } = this.problem;
    const omega = this.omega;
    const z = this.logits(theta);
    // Per-row loss, then overwrite z with ωᵢ·∂ℓ/∂z (the residuals) when a gradient is wanted.
    let total = 0;
    if (loss === 'softmax') {
      for (let i = 0; i < n; i++) {
        let max = -Infinity;
        for (let k = 0; k < K; k++) if (z[k * n + i] > max) max = z[k * n + i];
        const c = y[i];
        const zc = z[c * n + i];
        // e^(zₖ − max) once per class, kept in z until the residuals replace it.
        let s = 0;
        for (let k = 0; k < K; k++) {
          const e = exp(z[k * n + i] - max);
          z[k * n + i] = e;
          s += e;
        }
        total += omega[i] * (log(s) + max - zc);
        if (grad) {
          const scale = omega[i] / s;
          for (let k = 0; k < K; k++) z[k * n + i] *= scale;
          z[c * n + i] -= omega[i];
        }
      }
    } else {
      for (let i = 0; i < n; i++) {
        const zi = z[i];
        let li: number;
        let di: number;
        if (loss === 'logistic') {
          const e = exp(-Math.abs(zi));
          li = (zi > 0 ? zi : 0) - zi * y[i] + log1pPortable(e);
          di = (zi >= 0 ? 1 / (1 + e) : e / (1 + e)) - y[i];
        } else if (loss === 'squared') {
          di = zi - y[i];
          li = 0.5 * di * di;
        } else {
          const d = zi - y[i];
          const a = Math.abs(d);
          const m = a < 1 ? a : 1;
          li = 0.5 * m * m + (a - m);
          di = d > 1 ? 1 : d < -1 ? -1 : d;
        }
        total += omega[i] * li;
        if (grad) z[i] = omega[i] * di;
      }
    }
    const l2 = this.l2;
    let pen = 0;
    for (let j = 0; j < this.nPenalised; j++) pen += theta[j] * theta[j];
    total += l2 * pen;
    if (grad) {
      for (let k = 0; k < K; k++) {
        let s = 0;
        const zo = k * n;
        for (let i = 0; i < n; i++) s += z[zo + i];
        grad[p * K + k] = s;
      }
      if (skipWeightGradient) grad.fill(0, 0, p * K);
      else {
        const tl2 = 2 * l2;
        for (let k = 0; k < K; k++) {
          const zo = k * n;
          let j = 0;
          for (; j + 4 <= p; j += 4) {
            const b0 = j * n;
            const b1 = b0 + n;
            const b2 = b1 + n;
            const b3 = b2 + n;
            let s0 = 0;
            let s1 = 0;
            let s2 = 0;
            let s3 = 0;
            for (let i = 0; i < n; i++) {
              const r = z[zo + i];
              s0 += X[b0 + i] * r;
              s1 += X[b1 + i] * r;
              s2 += X[b2 + i] * r;
              s3 += X[b3 + i] * r;
            }
            grad[j * K + k] = s0 + tl2 * theta[j * K + k];
            grad[(j + 1) * K + k] = s1 + tl2 * theta[(j + 1) * K + k];
            grad[(j + 2) * K + k] = s2 + tl2 * theta[(j + 2) * K + k];
            grad[(j + 3) * K + k] = s3 + tl2 * theta[(j + 3) * K + k];
          }
          for (; j < p; j++) {
            const b = j * n;
            let s = 0;
            for (let i = 0; i < n; i++) s += X[b + i] * z[zo + i];
            grad[j * K + k] = s + tl2 * theta[j * K + k];
          }
        }
      }
    }
    return total;
  }

  /** The full objective: smooth part + l1·Σ|W| (terms with W = 0 add nothing, so l1 = ∞ is allowed). */
  objective(theta: Float64Array, l1: number): number {
    return this.evaluate(theta) + l1Penalty(theta, this.nPenalised, l1);
  }
}

/** l1·Σ|θⱼ| over the first `nPenalised` parameters; 0 when they are all 0, whatever l1 (even ∞). */
export function l1Penalty(theta: Float64Array, nPenalised: number, l1: number): number {
  let s = 0;
  for (let j = 0; j < nPenalised; j++) s += Math.abs(theta[j]);
  return s === 0 ? 0 : l1 * s;
}
