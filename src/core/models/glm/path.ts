/**
 * A regularisation path (glmnet's lambda search): elastic-net penalties λ·(r·Σ|W| + (1 − r)/2·ΣW²),
 * i.e. l1 = r·λ and l2 = (1 − r)·λ/2 in the linear family's terms (so λ is scikit-learn's ElasticNet
 * `alpha` and r its `l1_ratio`), for a decreasing geometric sequence of λ from λ_max, each fit
 * warm-started from the previous one, each scored on the caller's validation rows.
 *
 * λ_max: with r > 0 the smallest λ at which every weight is exactly 0 (max |∂ mean loss / ∂W| at the
 * intercept-only optimum, divided by r); for ridge (r = 0) glmnet's convention, that value for r = 0.001
 * (a penalty so large that the weights are ≈ 0).
 */
import type { FeatureMatrix, ValidationSet } from '../types.ts';
import { ModelConfigError, validateFitInputs } from '../types.ts';
import { log } from '../../util/portable-math.ts';
import { GlmObjective } from './objective.ts';
import { minimizeGlm } from './solver.ts';
import { glmProblem, glmTheta, predictGlm, solveGlm, type GlmFit, type GlmFitOptions } from './fit.ts';

export interface GlmPathOptions extends Omit<GlmFitOptions, 'l1' | 'l2' | 'warmStart'> {
  /** Rows that score each point of the path (raw features, as training). */
  readonly validation: ValidationSet;
  /** r in [0, 1]: 0 ridge, 1 lasso. Default 0. */
  readonly l1Ratio?: number;
  /** Points on the path. Default 30. */
  readonly nLambda?: number;
  /** λ_min / λ_max. Default 1e-4 when rows > features, else 1e-2 (glmnet's). */
  readonly lambdaMinRatio?: number;
  /** An explicit decreasing sequence of λ instead (then nLambda and lambdaMinRatio are ignored). */
  readonly lambdas?: readonly number[];
}

export interface GlmPathPoint {
  readonly lambda: number;
  readonly l1: number;
  readonly l2: number;
  /** Weighted mean validation loss: log loss (classification) or squared error in target units (regression). */
  readonly validLoss: number;
  /** Full training objective at the fit. */
  readonly objective: number;
  readonly iterations: number;
  readonly converged: boolean;
  /** Weights that are not exactly 0. */
  readonly nonZero: number;
}

export interface GlmPathResult {
  readonly lambdaMax: number;
  readonly points: readonly GlmPathPoint[];
  /** Index of the point with the lowest validation loss (the first, i.e. the largest λ, on ties). */
  readonly best: number;
  /** The fit at the best point. */
  readonly fit: GlmFit;
}

/** Weighted mean validation loss of a fit: log loss (probabilities clipped to 1e-15) or squared error. */
export function glmValidationLoss(fit: GlmFit, v: ValidationSet): number {
  const p = predictGlm(fit, v.X);
  const n = v.X.nRows;
  let total = 0;
  let wsum = 0;
  for (let i = 0; i < n; i++) {
    const w = v.weights ? v.weights[i] : 1;
    let l: number;
    if (fit.task === 'regression') l = (p[i] - v.y[i]) ** 2;
    else {
      const K = fit.nClasses;
      l = -log(Math.max(1e-15, p[i * K + v.y[i]]));
    }
    total += w * l;
    wsum += w;
  }
  return total / wsum;
}

/** The decreasing λ sequence of a path. */
export function lambdaSequence(lambdaMax: number, nLambda: number, minRatio: number): number[] {
  if (nLambda === 1) return [lambdaMax];
  return Array.from({ length: nLambda }, (_, t) => lambdaMax * Math.pow(minRatio, t / (nLambda - 1)));
}

export function glmPath(X: FeatureMatrix, y: Float64Array, opts: GlmPathOptions): GlmPathResult {
  const r = opts.l1Ratio ?? 0;
  if (!(r >= 0 && r <= 1)) throw new ModelConfigError(`glm path: l1Ratio must be in [0, 1], got ${r}`);
  const nLambda = opts.nLambda ?? 30;
  if (!(Number.isInteger(nLambda) && nLambda >= 1))
    throw new ModelConfigError(`glm path: nLambda must be a whole number >= 1, got ${nLambda}`);
  const minRatio = opts.lambdaMinRatio ?? (X.nRows > X.nCols ? 1e-4 : 1e-2);
  if (!(minRatio > 0 && minRatio < 1))
    throw new ModelConfigError(`glm path: lambdaMinRatio must be in (0, 1), got ${minRatio}`);
  const { problem, ...meta } = glmProblem(X, y, opts);
  const v = opts.validation;
  validateFitInputs(v.X, v.y, opts.task, meta.nClasses, v.weights, 'validation');
  if (v.X.nCols !== X.nCols)
    throw new ModelConfigError(`glm path: validation has ${v.X.nCols} features, training ${X.nCols}`);
  // λ_max from the gradient of the mean loss at the intercept-only optimum.
  const obj = new GlmObjective(problem, 0);
  const nul = minimizeGlm(obj, Infinity, undefined, { ...opts.solver, onIteration: undefined });
  const grad = new Float64Array(obj.nParams);
  obj.evaluate(nul.theta, grad);
  let gmax = 0;
  for (let j = 0; j < obj.nPenalised; j++) gmax = Math.max(gmax, Math.abs(grad[j]));
  const lambdaMax = (gmax > 0 ? gmax : 1e-12) / Math.max(r, 1e-3);
  let lambdas: readonly number[];
  if (opts.lambdas) {
    lambdas = opts.lambdas;
    if (
      lambdas.length === 0 ||
      lambdas.some((l, i) => !(l >= 0 && Number.isFinite(l)) || (i > 0 && l > lambdas[i - 1]))
    )
      throw new ModelConfigError(
        'glm path: lambdas must be a non-empty decreasing list of finite numbers >= 0',
      );
  } else lambdas = lambdaSequence(lambdaMax, nLambda, minRatio);
  const points: GlmPathPoint[] = [];
  let best = 0;
  let bestFit: GlmFit | undefined;
  let theta: Float64Array | undefined = nul.theta;
  for (const lambda of lambdas) {
    const penalties = { l1: r * lambda, l2: ((1 - r) * lambda) / 2 };
    const { fit, theta: t } = solveGlm(problem, { task: opts.task, ...meta }, penalties, opts.solver, theta);
    theta = t;
    const validLoss = glmValidationLoss(fit, v);
    let nonZero = 0;
    const w = glmTheta(fit);
    for (let j = 0; j < problem.nCols * problem.nOutputs; j++) if (w[j] !== 0) nonZero++;
    points.push({
      lambda,
      l1: penalties.l1,
      l2: penalties.l2,
      validLoss,
      objective: fit.objective,
      iterations: fit.iterations,
      converged: fit.converged,
      nonZero,
    });
    if (!bestFit || validLoss < points[best].validLoss) {
      best = points.length - 1;
      bestFit = fit;
    }
  }
  return { lambdaMax, points, best, fit: bestFit! };
}
