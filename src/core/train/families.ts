/** The model families the studio trains, registered under stable names, with their pipeline kind. */
import { getEstimator, registerEstimator } from '../models/registry.ts';
import type { Estimator, Fitted } from '../models/types.ts';
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

let registered = false;
export function ensureFamiliesRegistered(): void {
  if (registered) return;
  for (const est of [gbdtEstimator, randomForestEstimator, linearEstimator, mlpEstimator] as Estimator[])
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
    const rounds = (model as Fitted & { defaultRounds?: number }).defaultRounds ?? Number(config.rounds);
    const iterations = Math.max(1, rounds);
    return { config: { ...config, rounds: iterations, earlyStoppingRounds: 0 }, iterations };
  }
  const state = (model as Fitted & { state?: { bestEpoch?: number } }).state;
  const iterations = Math.max(1, state?.bestEpoch ?? Number(config.epochs));
  return { config: { ...config, epochs: iterations, patience: 0 }, iterations };
}
