import type { GbdtConfig } from '../../models/gbdt/config.ts';
import { PythonExportError } from './errors.ts';

const OBJECTIVES: Record<string, string> = {
  logloss: 'binary:logistic',
  softmax: 'multi:softprob',
  squared_error: 'reg:squarederror',
};

/** The XGBoost training parameters for our GBDT config (see explain/xgboost-json.ts for the model side). */
export function xgboostParams(
  cfg: GbdtConfig,
  objective: string,
  nClasses: number,
): Record<string, string | number> {
  const xgbObjective = OBJECTIVES[objective];
  if (!xgbObjective) {
    throw new PythonExportError(`the ${objective} objective has no XGBoost counterpart: not exported`);
  }
  const params: Record<string, string | number> = {
    objective: xgbObjective,
    tree_method: 'hist',
    eta: cfg.learningRate,
    max_depth: cfg.maxDepth,
    max_leaves: cfg.maxLeaves,
    grow_policy: cfg.growPolicy,
    min_child_weight: cfg.minChildWeight,
    lambda: cfg.lambda,
    alpha: cfg.alpha,
    gamma: cfg.minSplitGain,
    subsample: cfg.subsample,
    colsample_bytree: cfg.colsampleByTree,
    max_bin: cfg.maxBins,
    max_cat_to_onehot: cfg.maxCatToOnehot,
    max_cat_threshold: cfg.maxCatThreshold,
    seed: cfg.seed,
  };
  if (typeof cfg.colsampleByNode === 'number') params.colsample_bynode = cfg.colsampleByNode;
  if (xgbObjective === 'multi:softprob') params.num_class = nClasses;
  return params;
}
