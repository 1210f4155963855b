/** The model families the studio trains, registered under stable names, with their pipeline kind. */
import { getEstimator, registerEstimator } from '../models/registry.ts';
import type { Estimator } from '../models/types.ts';
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
