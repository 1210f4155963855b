/** The model families the studio trains, registered under stable names, with their pipeline kind. */
import { getEstimator, registerEstimator } from '../models/registry.ts';
import { ModelConfigError, type Estimator, type Fitted, type FitOptions } from '../models/types.ts';
import { gbdtEstimator, randomForestEstimator } from '../models/gbdt/index.ts';
import { linearEstimator, mlpEstimator } from '../models/nn/estimator.ts';
import type { FamilyKind } from '../pipeline/auto.ts';
import { TrainingError } from './target.ts';

export const FAMILIES = ['gbdt', 'random_forest', 'linear', 'mlp'] as const;
export type FamilyName = (typeof FAMILIES)[number];

/** Short names accepted on the command line. */
export const FAMILY_ALIASES: Readonly<Record<string, FamilyName>> = {
  gbdt: 'gbdt',
  rf: 'random_forest',
  random_forest: 'random_forest',
  linear: 'linear',
  mlp: 'mlp',
};

const KIND: Record<FamilyName, FamilyKind> = {
  gbdt: 'tree',
  random_forest: 'tree',
  linear: 'linear',
  mlp: 'neural',
};

/** Families that train with TensorFlow.js (need a backend selected first). */
export const TF_FAMILIES: ReadonlySet<FamilyName> = new Set(['linear', 'mlp']);

/** `classWeight`: 'balanced' weighs each row by total / (classes present × its class's count). */
export const CLASS_WEIGHTS = ['none', 'balanced'] as const;
export type ClassWeight = (typeof CLASS_WEIGHTS)[number];

/** Balanced class weights (scikit-learn's `class_weight='balanced'`) times `base` weights. */
export function balancedWeights(
  y: ArrayLike<number>,
  nClasses: number,
  base?: ArrayLike<number>,
): Float64Array {
  const cnt = new Float64Array(nClasses);
  for (let i = 0; i < y.length; i++) cnt[y[i]] += base ? base[i] : 1;
  let present = 0;
  let total = 0;
  for (let k = 0; k < nClasses; k++) {
    if (cnt[k] > 0) present++;
    total += cnt[k];
  }
  const out = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) out[i] = (base ? base[i] : 1) * (total / (present * cnt[y[i]]));
  return out;
}

/**
 * Linear models and MLPs with the `classWeight` hyperparameter the tree families have natively
 * (GBDT/RF `classWeight`): 'balanced' becomes sample weights of the (weighted) loss. The key is kept
 * in the resolved config only when given, so configs recorded before it existed resolve as before.
 */
function withClassWeight(est: Estimator): Estimator {
  const split = (config: Record<string, unknown> | undefined) => {
    const { classWeight, ...rest } = config ?? {};
    if (classWeight !== undefined && !CLASS_WEIGHTS.includes(classWeight as ClassWeight))
      throw new ModelConfigError(
        `classWeight must be one of ${CLASS_WEIGHTS.join(', ')}, got ${JSON.stringify(classWeight)}`,
      );
    return { classWeight: classWeight as ClassWeight | undefined, rest };
  };
  return {
    family: est.family,
    defaultConfig: (task) => est.defaultConfig(task),
    resolveConfig(config, task) {
      const { classWeight, rest } = split(config as Record<string, unknown>);
      const resolved = est.resolveConfig(rest, task);
      return classWeight === undefined ? resolved : { ...resolved, classWeight };
    },
    fit(X, y, opts: FitOptions) {
      const { classWeight, rest } = split(opts.config as Record<string, unknown>);
      const balanced = classWeight === 'balanced' && opts.task !== 'regression';
      const k = opts.task === 'binary' ? 2 : (opts.nClasses ?? 0);
      return est.fit(X, y, {
        ...opts,
        config: rest,
        ...(balanced ? { weights: balancedWeights(y, k, opts.weights) } : {}),
      });
    },
    deserialize: (json) => est.deserialize(json),
  };
}

let registered = false;
export function ensureFamiliesRegistered(): void {
  if (registered) return;
  for (const est of [
    gbdtEstimator,
    randomForestEstimator,
    withClassWeight(linearEstimator as Estimator),
    withClassWeight(mlpEstimator as Estimator),
  ] as Estimator[])
    registerEstimator(est);
  registered = true;
}

export function resolveFamily(name: string): FamilyName {
  const f = FAMILY_ALIASES[name];
  if (!f)
    throw new TrainingError(
      `unknown model family '${name}' (choose one of ${Object.keys(FAMILY_ALIASES).join(', ')})`,
    );
  return f;
}

export function familyKind(f: FamilyName): FamilyKind {
  return KIND[f];
}

export function estimatorFor(f: FamilyName): Estimator {
  ensureFamiliesRegistered();
  return getEstimator(f);
}

/**
 * Settings for refitting on all rows: the rounds/epochs the validation set chose, with early stopping
 * off (there is no validation set left).
 */
export function refitConfig(
  family: FamilyName,
  model: Fitted,
  config: Readonly<Record<string, unknown>>,
): { config: Record<string, unknown>; iterations: number } {
  if (family === 'gbdt' || family === 'random_forest') {
    const iterations = Math.max(1, model.iterationsUsed ?? Number(config.rounds));
    return { config: { ...config, rounds: iterations, earlyStoppingRounds: 0 }, iterations };
  }
  const iterations = Math.max(1, model.iterationsUsed ?? Number(config.epochs));
  return { config: { ...config, epochs: iterations, patience: 0 }, iterations };
}
