/**
 * The "search" part of an exported project's settings.json, read by tune.py: the experiment's search
 * space (families and ranges as recorded in src/core/search/spaces.ts), its metric and its split plan,
 * with the XGBoost parameters every trial shares. A bundle made by `fit` has no search: tune.py then
 * searches its family's space with the studio's default metric and a 5-fold plan, seeded by the bundle.
 */
import type { LoadedBundle } from '../bundle.ts';
import { GBDT_DEFAULTS, type GbdtConfig } from '../../models/gbdt/config.ts';
import { DEFAULT_METRIC, METRICS } from '../../metrics/evaluate.ts';
import { MLP_DEFAULTS } from '../../models/nn/config.ts';
import type { ParamSpec } from '../../search/space.ts';
import { FAMILY_SPACES, gbdtPatience } from '../../search/spaces.ts';
import { xgboostParams } from './xgboost-params.ts';

/**
 * The linear family's parameters an exact solver uses: learningRate and batchSize only steer the
 * studio's Adam, so tune.py does not sample them.
 */
const LINEAR_PARAMS = ['l1', 'l2', 'classWeight'];

/**
 * A family's searched parameters for tune.py: its space in src/core/search/spaces.ts, without
 * classWeight for regression (it has no effect there, spaces.ts), without `drop`.
 */
function searched(
  family: keyof typeof FAMILY_SPACES,
  regression: boolean,
  drop: readonly string[] = [],
): ParamSpec[] {
  return FAMILY_SPACES[family].space.params.filter(
    (p) => !drop.includes(p.name) && !(regression && p.name === 'classWeight'),
  );
}

export interface TuneSettings {
  /** 'automl': the bundle's recorded search; 'default': no search recorded (a `fit` bundle). */
  readonly from: 'automl' | 'default';
  readonly metric: string;
  readonly direction: 'maximize' | 'minimize';
  readonly seed: number;
  readonly split: {
    readonly strategy: 'kfold' | 'holdout';
    readonly folds: number;
    readonly stratified: boolean;
    readonly seed: number;
    readonly validFraction?: number;
  };
  readonly families: Record<string, TuneFamily>;
  /** Families the experiment searched that tune.py cannot search (each named with its reason). */
  readonly leftOut: readonly string[];
}

export interface TuneFamily {
  /** The family's parameters, as src/core/search/space.ts records them (names, types, ranges, conditions). */
  readonly params: readonly unknown[];
  /** gbdt: XGBoost parameters every trial of the family starts from (the searched ones replace theirs). */
  readonly xgboost?: Record<string, string | number>;
  /** gbdt: rounds a trial trains at most; early stopping on the fold's validation rows ends it sooner. */
  readonly maxRounds?: number;
  /** gbdt: early-stopping patience, round(perLearningRate / learningRate) within [min, max]. */
  readonly patience?: { readonly perLearningRate: number; readonly min: number; readonly max: number };
  /** random_forest: trees per trial (the studio's resource maximum) and the fixed settings. */
  readonly trees?: number;
  readonly bootstrap?: boolean;
  /** mlp: epochs a trial trains at most, stopped after `patience` epochs without a better validation loss. */
  readonly maxEpochs?: number;
  readonly epochPatience?: number;
  /** mlp: the settings the space does not sample (l1, the loss). */
  readonly l1?: number;
}

/**
 * The search tune.py runs for a bundle: every trial uses the exported pipeline, so the linear and MLP
 * families are searched only when that pipeline leaves no categorical features (`categorical`).
 */
export function tuneSettings(
  bundle: LoadedBundle,
  objective: string,
  nClasses: number,
  categorical: boolean,
): TuneSettings {
  const m = bundle.manifest;
  const search = m.search;
  const task = m.task;
  const families0: readonly string[] = search ? search.families : [m.model.family];
  const families: Record<string, TuneFamily> = {};
  const leftOut: string[] = [];
  const regression = task === 'regression';
  const seed = search?.seed ?? m.seed;
  const noCategories = (f: string): boolean => {
    if (categorical)
      leftOut.push(`${f} (the exported pipeline leaves categorical features, which it cannot take)`);
    return !categorical;
  };
  for (const f of families0) {
    if (f === 'linear') {
      if (noCategories(f))
        families.linear = {
          params: searched('linear', regression).filter((p) => LINEAR_PARAMS.includes(p.name)),
        };
    } else if (f === 'random_forest') {
      const space = FAMILY_SPACES.random_forest;
      families.random_forest = {
        params: searched('random_forest', regression),
        trees: space.resource.max,
        bootstrap: space.fixed.bootstrap === true,
      };
    } else if (f === 'mlp') {
      // learned embeddings have no translation in train.py: the space's `embeddings` stays false
      const space = FAMILY_SPACES.mlp;
      if (noCategories(f))
        families.mlp = {
          params: searched('mlp', regression, ['embeddings']),
          maxEpochs: space.resource.max,
          epochPatience: Number(space.fixed.patience),
          l1: MLP_DEFAULTS.l1,
        };
    } else if (f === 'gbdt') {
      const space = FAMILY_SPACES.gbdt;
      const base: GbdtConfig = { ...GBDT_DEFAULTS, seed };
      families.gbdt = {
        params: searched('gbdt', regression),
        xgboost: xgboostParams(base, objective, nClasses),
        maxRounds: space.resource.max,
        // gbdtPatience: ≈ 2.5 / learningRate rounds, within [40, 250]
        patience: { perLearningRate: 2.5, min: gbdtPatience(1e9), max: gbdtPatience(1e-9) },
      };
    } else leftOut.push(`${f} (no faithful translation in this project)`);
  }
  const metric = search?.metric ?? DEFAULT_METRIC[task];
  const split = search
    ? {
        strategy: search.split.strategy,
        folds: search.split.folds,
        stratified: search.split.stratified,
        seed: search.split.seed,
        ...(search.split.validFraction !== undefined ? { validFraction: search.split.validFraction } : {}),
      }
    : { strategy: 'kfold' as const, folds: 5, stratified: task !== 'regression', seed: m.seed };
  return {
    from: search ? 'automl' : 'default',
    metric,
    direction: search?.direction ?? METRICS[metric]?.direction ?? 'maximize',
    seed,
    split,
    families,
    leftOut,
  };
}
