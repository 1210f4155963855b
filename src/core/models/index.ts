/** Model families. Importing this module registers the built-in families. */
import { registerEstimator } from './registry.ts';
import { gbdtEstimator, randomForestEstimator } from './gbdt/index.ts';

export * from './types.ts';
export { registerEstimator, getEstimator, listEstimators, deserializeModel } from './registry.ts';
export { gbdtEstimator, randomForestEstimator } from './gbdt/index.ts';

registerEstimator(gbdtEstimator);
registerEstimator(randomForestEstimator);
