/** GBDT and random-forest estimators ('gbdt', 'random_forest') on the shared histogram tree learner. */
import type { Estimator, FeatureMatrix, FitOptions, SerializedModel, Task } from '../types.ts';
import { ModelConfigError } from '../types.ts';
import type { GbdtConfig } from './config.ts';
import { GBDT_DEFAULTS, randomForestDefaults, resolveGbdtConfig } from './config.ts';
import { GbdtModel, fitGbdt } from './booster.ts';

export type { GbdtConfig, GbdtObjective, GrowPolicy, BoostMode } from './config.ts';
export { GBDT_DEFAULTS, randomForestDefaults, resolveGbdtConfig } from './config.ts';
export { GbdtModel, fitGbdt, GBDT_FORMAT_VERSION } from './booster.ts';
export type { LearningCurve, SerializedGbdt, TrainingData } from './booster.ts';
/** WebAssembly kernels on (default) or off: the same trees either way, bit for bit. */
export { setWasmKernels, wasmKernelsAvailable } from './wasm/kernels.ts';

function deserializeAs(family: string) {
  return (json: SerializedModel): GbdtModel => {
    if (json.family !== family)
      throw new ModelConfigError(`expected a '${family}' model, got '${json.family}'`);
    return GbdtModel.fromJSON(json);
  };
}

export const gbdtEstimator: Estimator<GbdtConfig> = {
  family: 'gbdt',
  defaultConfig: (): GbdtConfig => ({ ...GBDT_DEFAULTS }),
  resolveConfig: (config: Partial<GbdtConfig> | undefined, task: Task): GbdtConfig =>
    resolveGbdtConfig({ ...config, mode: 'boosting' }, { ...GBDT_DEFAULTS }, task),
  fit: (X: FeatureMatrix, y: Float64Array, opts: FitOptions<GbdtConfig>): GbdtModel => {
    if (opts.config?.mode === 'random_forest') {
      throw new ModelConfigError(
        `family 'gbdt' trains boosted trees; use family 'random_forest' for a forest`,
      );
    }
    return fitGbdt(X, y, { ...opts, config: { ...opts.config, mode: 'boosting' } });
  },
  deserialize: deserializeAs('gbdt'),
};

export const randomForestEstimator: Estimator<GbdtConfig> = {
  family: 'random_forest',
  defaultConfig: (task: Task): GbdtConfig => randomForestDefaults(task),
  resolveConfig: (config: Partial<GbdtConfig> | undefined, task: Task): GbdtConfig =>
    resolveGbdtConfig({ ...config, mode: 'random_forest' }, randomForestDefaults(task), task),
  fit: (X: FeatureMatrix, y: Float64Array, opts: FitOptions<GbdtConfig>): GbdtModel => {
    if (opts.config?.mode === 'boosting') {
      throw new ModelConfigError(`family 'random_forest' trains a forest; use family 'gbdt' for boosting`);
    }
    return fitGbdt(X, y, { ...opts, config: { ...opts.config, mode: 'random_forest' } });
  },
  deserialize: deserializeAs('random_forest'),
};
