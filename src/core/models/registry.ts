/** Estimator registry keyed by stable family names ('gbdt', 'random_forest', ...). */
import type { Estimator, Fitted, SerializedModel } from './types.ts';
import { ModelConfigError } from './types.ts';

const registry = new Map<string, Estimator>();

/** Registers a family. Re-registering the same object is a no-op; another object under a taken name throws. */
export function registerEstimator<C extends object>(est: Estimator<C>): void {
  if (!/^[a-z][a-z0-9_]*$/.test(est.family)) {
    throw new Error(`estimator family name '${est.family}' must be snake_case ([a-z][a-z0-9_]*)`);
  }
  const prev = registry.get(est.family);
  if (prev && prev !== (est as unknown as Estimator)) {
    throw new Error(`estimator family '${est.family}' is already registered`);
  }
  registry.set(est.family, est as unknown as Estimator);
}

export function getEstimator<C extends object = object>(family: string): Estimator<C> {
  const est = registry.get(family);
  if (!est) {
    throw new ModelConfigError(
      `unknown model family '${family}'; registered: ${[...registry.keys()].sort().join(', ') || '(none)'}`,
    );
  }
  return est as unknown as Estimator<C>;
}

export function listEstimators(): string[] {
  return [...registry.keys()].sort();
}

/** Turns `Fitted.toJSON()` output (possibly after JSON.stringify/parse) back into a model. */
export function deserializeModel(json: SerializedModel | string): Fitted {
  const obj = (typeof json === 'string' ? JSON.parse(json) : json) as SerializedModel;
  if (!obj || typeof obj !== 'object' || typeof obj.family !== 'string') {
    throw new ModelConfigError('serialized model needs a string "family" field');
  }
  return getEstimator(obj.family).deserialize(obj);
}
