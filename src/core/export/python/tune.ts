/**
 * The "search" part of an exported project's settings.json, read by tune.py: the experiment's search
 * space (families and ranges as recorded in src/core/search/spaces.ts), its metric and its split plan,
 * with the XGBoost parameters every trial shares. A bundle made by `fit` has no search: tune.py then
 * searches its family's space with the studio's default metric and a 5-fold plan, seeded by the bundle.
 */
import type { LoadedBundle } from '../bundle.ts';
import { GBDT_DEFAULTS, type GbdtConfig } from '../../models/gbdt/config.ts';
import { DEFAULT_METRIC, METRICS } from '../../metrics/evaluate.ts';
import { FAMILY_SPACES, gbdtPatience } from '../../search/spaces.ts';
import { xgboostParams } from './xgboost-params.ts';

/**
 * The linear family's parameters an exact solver uses: learningRate and batchSize only steer the
 * studio's Adam, so tune.py does not sample them.
 */
const LINEAR_PARAMS = ['l1', 'l2', 'classWeight'];

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
  /** Families the experiment searched that tune.py cannot (gbdt and linear have trial functions). */
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
}

/**
 * The search tune.py runs for a bundle: every trial uses the exported pipeline, so a linear family is
 * searched only when that pipeline leaves no categorical features (`categorical`).
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
  const searched: readonly string[] = search ? search.families : [m.model.family];
  const families: Record<string, TuneFamily> = {};
  const leftOut: string[] = [];
  for (const f of searched) {
    if (f === 'linear') {
      if (categorical) {
        leftOut.push('linear (the exported pipeline leaves categorical features, which it cannot take)');
        continue;
      }
      families.linear = {
        params: FAMILY_SPACES.linear.space.params.filter((p) => LINEAR_PARAMS.includes(p.name)),
      };
      continue;
    }
    if (f !== 'gbdt') {
      leftOut.push(`${f} (no faithful translation in this project)`);
      continue;
    }
    const space = FAMILY_SPACES.gbdt;
    const base: GbdtConfig = { ...GBDT_DEFAULTS, seed: search?.seed ?? m.seed };
    families.gbdt = {
      params: space.space.params,
      xgboost: xgboostParams(base, objective, nClasses),
      maxRounds: space.resource.max,
      // gbdtPatience: ≈ 2.5 / learningRate rounds, within [40, 250]
      patience: { perLearningRate: 2.5, min: gbdtPatience(1e9), max: gbdtPatience(1e-9) },
    };
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
    seed: search?.seed ?? m.seed,
    split,
    families,
    leftOut,
  };
}
