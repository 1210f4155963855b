/**
 * Search spaces per model family, as data, and how a sampled point becomes a family config.
 *
 * Each family's parameters use the family's config key names (see models/gbdt/config.ts and
 * models/nn/config.ts) except where noted. The *resource* (boosting rounds, trees, epochs) is not
 * searched: trials train up to `resource.max` with early stopping on the fold's validation rows, and
 * successive halving (halving.ts) stops poor trials at the rungs `resource.min · η^k`.
 *
 * The joint space (`jointSpace`) puts the families under one categorical `family` parameter and
 * prefixes each family's parameters with `<family>.`, conditional on `family` — so one sampler (TPE)
 * chooses the family and its hyperparameters, fitting each parameter only on trials where it is active.
 */
import type { Task } from '../models/types.ts';
import type { FamilyName } from '../train/families.ts';
import { GLM_MAX_ITERATIONS } from '../models/glm/defaults.ts';
import {
  checkParams,
  type Condition,
  type ParamSpec,
  type ParamValue,
  type Params,
  type SearchSpace,
} from './space.ts';

export interface ResourceSpec {
  /** The config key the resource sets: boosting rounds / trees or epochs. */
  readonly key: 'rounds' | 'epochs';
  /** Upper bound per trial (early stopping usually ends sooner). */
  readonly max: number;
  /** First rung of successive halving. */
  readonly min: number;
}

/**
 * Class weighting (issue 13): 'balanced' weighs each row by total / (classes × its class's count),
 * so a rare class counts as much as a common one. GBDT/RF take it natively (`classWeight`), linear
 * and MLP as sample weights of their loss (train/families.ts). No effect on regression. Trials
 * recorded before it existed ran unweighted (legacy 'none').
 */
const CLASS_WEIGHT: ParamSpec = { name: 'classWeight', type: 'categorical', choices: ['none', 'balanced'] };

export interface FamilySpace {
  readonly family: FamilyName;
  readonly space: SearchSpace;
  /** Config values every trial of the family uses (besides the resource and the seed). */
  readonly fixed: Readonly<Record<string, ParamValue | readonly number[]>>;
  readonly resource: ResourceSpec;
  /**
   * Values of parameters added to the space after searches were first recorded: a replayed (enqueued)
   * trial that lacks one ran with this value (see `withLegacyDefaults`).
   */
  readonly legacy?: Params;
  /**
   * Parameters a trial may record beyond its sampled space: set by the search, never sampled (so
   * adding one changes no sampler's draws), checked when a recorded trial is replayed, absent from a
   * trial that did not need it. Nets: `epochCap`, the time-budgeted search's epoch allowance (a linear
   * trial solved by 'glm': `maxIterations`, its iteration allowance); random forests: `treeCap`, its
   * tree allowance (allowance.ts); absent = up to `resource.max` (glm: `GLM_MAX_ITERATIONS`).
   */
  readonly recorded?: readonly ParamSpec[];
}

/**
 * GBDT (boosting). Ranges follow common XGBoost/LightGBM tuning practice (and FLAML's space):
 * - learningRate: shrinkage, log-uniform [0.005, 0.3] (small rates with many rounds and early stopping
 *   are what tuned XGBoost usually ends with on small tabular data).
 * - growPolicy: 'depthwise' (XGBoost) or 'lossguide' (LightGBM, best-first);
 *   maxDepth [2, 12] only for depthwise, maxLeaves [4, 256] (log) only for lossguide.
 * - minChildWeight: minimum hessian sum per leaf, log [0.01, 50].
 * - lambda (L2, log [1e-3, 100]) and alpha (L1, log [1e-4, 10]) on leaf values.
 * - subsample (rows per round) [0.5, 1]; colsampleByTree (features per tree) [0.3, 1].
 * - roundCap: the most boosting rounds the trial may train, log [30, 2000] (2000 = the resource's
 *   maximum, i.e. no cap). The trial's cost knob, as FLAML searches n_estimators from a low-cost
 *   start: on data where a round is expensive (many rows × classes) cheap trials (few rounds at a
 *   high learning rate) come first (portfolio.ts) and the cap grows only when it pays. Trials
 *   recorded before it existed ran uncapped (legacy 2000).
 * - minDataPerGroup: LightGBM's regularisation of many-category splits, 0 (off) or 100 (the GBDT
 *   default since issue 17). A searched value, so every trial records the value it trained with and a
 *   default change never alters a replay; trials recorded before it was a parameter ran with the
 *   default of their day, 0 (legacy).
 * Fixed: early stopping on the fold's validation loss; its patience is scaled to the learning rate
 * (`gbdtPatience`: ≈ 2.5 / learningRate rounds, within [40, 250]) so a slow learner is not stopped on
 * a plateau it would have left. Resource: rounds up to 2000; halving rungs from 200 rounds
 * ([200, 600, 1800] with η = 3) — earlier rungs compare trials at equal rounds, which judges a small
 * learning rate long before it has converged and steers the search to large ones (fast learners
 * usually early-stop before round 200 on small data, so they are not judged at all).
 */
/** The GBDT resource's maximum: rounds a trial may train (early stopping usually ends it sooner). */
export const GBDT_MAX_ROUNDS = 2000;

const GBDT: FamilySpace = {
  family: 'gbdt',
  space: {
    params: [
      { name: 'learningRate', type: 'float', low: 0.005, high: 0.3, log: true },
      { name: 'growPolicy', type: 'categorical', choices: ['depthwise', 'lossguide'] },
      {
        name: 'maxDepth',
        type: 'int',
        low: 2,
        high: 12,
        condition: { param: 'growPolicy', in: ['depthwise'] },
      },
      {
        name: 'maxLeaves',
        type: 'int',
        low: 4,
        high: 256,
        log: true,
        condition: { param: 'growPolicy', in: ['lossguide'] },
      },
      { name: 'minChildWeight', type: 'float', low: 0.01, high: 50, log: true },
      { name: 'lambda', type: 'float', low: 1e-3, high: 100, log: true },
      { name: 'alpha', type: 'float', low: 1e-4, high: 10, log: true },
      { name: 'subsample', type: 'float', low: 0.5, high: 1 },
      { name: 'colsampleByTree', type: 'float', low: 0.3, high: 1 },
      CLASS_WEIGHT,
      { name: 'roundCap', type: 'int', low: 30, high: GBDT_MAX_ROUNDS, log: true },
      { name: 'minDataPerGroup', type: 'categorical', choices: [0, 100] },
    ],
  },
  fixed: { earlyStoppingRounds: 40 },
  resource: { key: 'rounds', max: GBDT_MAX_ROUNDS, min: 200 },
  legacy: { classWeight: 'none', roundCap: GBDT_MAX_ROUNDS, minDataPerGroup: 0 },
};

/**
 * Random forest / extra trees (bagged trees on the targets).
 * - extraTrees: random thresholds (extremely randomised trees) or best splits.
 * - featureFraction: features tried per split — 'sqrt' (√p) or a fraction; maps to colsampleByNode.
 * - maxDepth [4, 24]; minSamplesLeaf (log [1, 32]).
 * Fixed: bootstrap rows; resource: trees up to 120 (halving on the validation curve from 10 trees).
 * (Deep forests are slow in plain TypeScript; 120 trees of depth ≤ 24 keep a trial affordable.) A
 * time-budgeted search may record a lower `treeCap` (the tree allowance: allowance.ts).
 */
const RANDOM_FOREST: FamilySpace = {
  family: 'random_forest',
  space: {
    params: [
      { name: 'extraTrees', type: 'categorical', choices: [false, true] },
      { name: 'featureFraction', type: 'categorical', choices: ['sqrt', 0.2, 0.4, 0.6, 0.8, 1] },
      { name: 'maxDepth', type: 'int', low: 4, high: 24 },
      { name: 'minSamplesLeaf', type: 'int', low: 1, high: 32, log: true },
      CLASS_WEIGHT,
    ],
  },
  fixed: { bootstrap: true },
  resource: { key: 'rounds', max: 120, min: 10 },
  legacy: { classWeight: 'none' },
  recorded: [{ name: 'treeCap', type: 'int', low: 1, high: 120 }],
};

/**
 * Linear / logistic / softmax regression with an elastic-net penalty.
 * - solver: 'glm' — the converged elastic-net solver (models/glm, OWL-QN): the penalised objective
 *   solved to its optimum on the fold's training rows, the same model scikit-learn's solvers find
 *   (issues #17, #22). The only value sampled; trials recorded before the parameter existed trained
 *   by Adam (legacy 'adam': a replay trains them so, with their learningRate and batchSize).
 * - l2 log [1e-7, 0.1]; l1 log [1e-8, 0.01].
 * - learningRate log [1e-3, 0.3] and batchSize in {64..512}: Adam only (conditional on solver 'adam').
 * Fixed: patience 6 epochs (Adam); resource: epochs up to 100 (Adam: a time-budgeted search may record
 * a lower `epochCap`: allowance.ts). A glm trial has no rounds: no rungs, no epoch allowance; its
 * resource is the solver's iterations, which a time-budgeted search may cap by recording
 * `maxIterations` (the iteration allowance: allowance.ts `glmIterationAllowance`), which its refit is
 * held to as well; without it the solver runs to convergence (at most `GLM_MAX_ITERATIONS`).
 */
export { GLM_MAX_ITERATIONS };

const LINEAR: FamilySpace = {
  family: 'linear',
  space: {
    params: [
      { name: 'solver', type: 'categorical', choices: ['glm'] },
      {
        name: 'learningRate',
        type: 'float',
        low: 1e-3,
        high: 0.3,
        log: true,
        condition: { param: 'solver', in: ['adam'] },
      },
      { name: 'l2', type: 'float', low: 1e-7, high: 0.1, log: true },
      { name: 'l1', type: 'float', low: 1e-8, high: 0.01, log: true },
      {
        name: 'batchSize',
        type: 'categorical',
        choices: [64, 128, 256, 512],
        condition: { param: 'solver', in: ['adam'] },
      },
      CLASS_WEIGHT,
    ],
  },
  fixed: { patience: 6 },
  resource: { key: 'epochs', max: 100, min: 3 },
  legacy: { classWeight: 'none', solver: 'adam' },
  recorded: [
    { name: 'epochCap', type: 'int', low: 1, high: 100 },
    { name: 'maxIterations', type: 'int', low: 1, high: GLM_MAX_ITERATIONS },
  ],
};

/**
 * True when a trial of `family` with these (own) parameters trains in rounds (boosting rounds, trees,
 * epochs) that rungs, allowances and refits count; false for a linear model solved by 'glm' (one
 * solve to convergence: a single-resource trial).
 */
export function trainsInRounds(family: FamilyName, params: Params): boolean {
  return !(family === 'linear' && params.solver === 'glm');
}

/**
 * The recorded parameter that holds a net trial's time allowance, and its uncapped value: `epochCap`
 * (up to the family's epochs) for a net trained in epochs, `maxIterations` (up to the solver's
 * `GLM_MAX_ITERATIONS`) for a linear trial solved by 'glm'; undefined for the other families.
 */
export function netAllowanceParam(
  family: FamilyName,
  params: Params,
): { readonly name: 'epochCap' | 'maxIterations'; readonly max: number } | undefined {
  const fs = familySpace(family);
  if (!fs.recorded?.some((p) => p.name === 'epochCap')) return undefined;
  return trainsInRounds(family, params)
    ? { name: 'epochCap', max: fs.resource.max }
    : { name: 'maxIterations', max: GLM_MAX_ITERATIONS };
}

/**
 * Multi-layer perceptron.
 * - layers [1, 3] and width log [16, 512] → hidden = width repeated `layers` times, halving per layer
 *   (e.g. layers 2, width 256 → [256, 128]); activation relu/gelu; dropout [0, 0.5];
 *   learningRate log [1e-4, 1e-2]; l2 log [1e-8, 1e-2]; batchSize in {64..512};
 *   embeddings false/true: categorical columns one-hot/target encoded, or as codes for learned
 *   embedding tables (the trial then reads its own automatic pipeline, `pipeKey` 'embed').
 * Fixed: patience 8 epochs; resource: epochs up to 120 (a time-budgeted search may record a lower
 * `epochCap`: allowance.ts).
 */
const MLP: FamilySpace = {
  family: 'mlp',
  space: {
    params: [
      { name: 'layers', type: 'int', low: 1, high: 3 },
      { name: 'width', type: 'int', low: 16, high: 512, log: true },
      { name: 'activation', type: 'categorical', choices: ['relu', 'gelu'] },
      { name: 'dropout', type: 'float', low: 0, high: 0.5 },
      { name: 'learningRate', type: 'float', low: 1e-4, high: 1e-2, log: true },
      { name: 'l2', type: 'float', low: 1e-8, high: 1e-2, log: true },
      { name: 'batchSize', type: 'categorical', choices: [64, 128, 256, 512] },
      { name: 'embeddings', type: 'categorical', choices: [false, true] },
      CLASS_WEIGHT,
    ],
  },
  fixed: { patience: 8 },
  resource: { key: 'epochs', max: 120, min: 3 },
  legacy: { embeddings: false, classWeight: 'none' },
  recorded: [{ name: 'epochCap', type: 'int', low: 1, high: 120 }],
};

export const FAMILY_SPACES: Readonly<Record<FamilyName, FamilySpace>> = {
  gbdt: GBDT,
  random_forest: RANDOM_FOREST,
  linear: LINEAR,
  mlp: MLP,
};

export function familySpace(family: FamilyName): FamilySpace {
  const s = FAMILY_SPACES[family];
  if (!s) throw new Error(`no search space for family '${String(family)}'`);
  return s;
}

/** Name of the family parameter in the joint space. */
export const FAMILY_PARAM = 'family';

/** One space over several families: `family` first, then `<family>.<param>` conditional on it. */
export function jointSpace(families: readonly FamilyName[]): SearchSpace {
  if (!families.length) throw new Error('a search needs at least one model family');
  const params: ParamSpec[] = [{ name: FAMILY_PARAM, type: 'categorical', choices: [...families] }];
  for (const f of families) {
    for (const p of familySpace(f).space.params) {
      const condition: Condition = p.condition
        ? { param: `${f}.${p.condition.param}`, in: p.condition.in }
        : { param: FAMILY_PARAM, in: [f] };
      params.push({ ...p, name: `${f}.${p.name}`, condition });
    }
  }
  return { params };
}

/** The family and its own (unprefixed) parameters of a joint-space point. */
export function splitJoint(params: Params): { family: FamilyName; params: Params } {
  const family = params[FAMILY_PARAM] as FamilyName;
  const own: Record<string, ParamValue> = {};
  const prefix = `${family}.`;
  for (const [k, v] of Object.entries(params)) if (k.startsWith(prefix)) own[k.slice(prefix.length)] = v;
  return { family, params: own };
}

/** Joint-space point from a family and its own parameters. */
export function joinParams(family: FamilyName, params: Params): Params {
  const out: Record<string, ParamValue> = { [FAMILY_PARAM]: family };
  for (const [k, v] of Object.entries(params)) out[`${family}.${k}`] = v;
  return out;
}

/** `params` with the family's legacy defaults filled in where missing (replays of older records). */
export function withLegacyDefaults(family: FamilyName, params: Params): Params {
  const legacy = familySpace(family).legacy;
  if (!legacy) return params;
  const out: Record<string, ParamValue> = { ...params };
  for (const [k, v] of Object.entries(legacy)) if (out[k] === undefined) out[k] = v;
  return out;
}

/** GBDT early-stopping patience for a learning rate: ≈ 2.5 / learningRate rounds, within [40, 250]. */
export function gbdtPatience(learningRate: number): number {
  if (!(learningRate > 0)) return 40;
  return Math.max(40, Math.min(250, Math.round(2.5 / learningRate)));
}

/**
 * The family config for a point of the family's space (without resource and seed). Mappings beyond
 * 1:1 keys: gbdt lossguide → maxDepth 0 (unlimited), gbdt earlyStoppingRounds from the learning rate
 * (`gbdtPatience`), gbdt roundCap at the resource maximum → no cap (absent: the config of a trial
 * recorded before the cap existed is unchanged); random_forest featureFraction → colsampleByNode; mlp layers/width → hidden.
 */
export function toFamilyConfig(family: FamilyName, params: Params, _task?: Task): Record<string, unknown> {
  const fs = familySpace(family);
  const cfg: Record<string, unknown> = { ...fs.fixed };
  for (const [k, v] of Object.entries(params)) cfg[k] = v;
  if (family === 'gbdt' && params.growPolicy === 'lossguide') cfg.maxDepth = 0;
  if (family === 'gbdt' && typeof params.learningRate === 'number')
    cfg.earlyStoppingRounds = gbdtPatience(params.learningRate);
  // A cap at the resource's maximum is no cap: the refit may go past it (mean best round × √ scale).
  if (family === 'gbdt' && typeof params.roundCap === 'number' && params.roundCap >= fs.resource.max)
    delete cfg.roundCap;
  if (family === 'random_forest') {
    cfg.colsampleByNode = params.featureFraction;
    delete cfg.featureFraction;
  }
  if (family === 'mlp') {
    const layers = Number(params.layers);
    const width = Number(params.width);
    cfg.hidden = Array.from({ length: layers }, (_, i) => Math.max(8, Math.round(width / 2 ** i)));
    delete cfg.layers;
    delete cfg.width;
  }
  return cfg;
}

/**
 * The family's space as a replay checks it: a categorical parameter also accepts its legacy value
 * (linear `solver` 'adam': sampled no more, but what older trials trained with).
 */
function replayableSpace(fs: FamilySpace): SearchSpace {
  const legacy = fs.legacy ?? {};
  return {
    params: fs.space.params.map((p) =>
      p.type === 'categorical' && legacy[p.name] !== undefined && !p.choices.includes(legacy[p.name])
        ? { ...p, choices: [...p.choices, legacy[p.name]] }
        : p,
    ),
  };
}

/**
 * Problems with a recorded trial's own parameters (a replay): its sampled space's rules, and the
 * family's `recorded` parameters (allowance caps) checked only where present.
 */
export function checkTrialParams(family: FamilyName, params: Params): string[] {
  const fs = familySpace(family);
  const sampled: Record<string, ParamValue> = {};
  const extra: Record<string, ParamValue> = {};
  const recorded = new Set((fs.recorded ?? []).map((p) => p.name));
  for (const [k, v] of Object.entries(params)) (recorded.has(k) ? extra : sampled)[k] = v;
  const problems = checkParams(replayableSpace(fs), sampled);
  for (const p of fs.recorded ?? []) {
    if (extra[p.name] === undefined) continue;
    problems.push(...checkParams({ params: [p] }, { [p.name]: extra[p.name] }));
  }
  return problems;
}

/**
 * The config a fit of a trial trains with: its family config with the resource (rounds/trees/epochs)
 * set, a net's recorded `epochCap` bounding its epochs and a forest's `treeCap` its trees (both
 * removed: the estimators do not know them; a glm trial's `maxIterations` is the solver's own option and
 * stays). `uncapped`: the allowance caps are ignored (a rescue fit uses the time actually left: a GBDT
 * trial's `roundCap`, a net's `epochCap`, a glm trial's `maxIterations` and a forest's `treeCap` are
 * dropped).
 */
export function trainingConfig(
  family: FamilyName,
  config: Readonly<Record<string, unknown>>,
  resource: number,
  opts: { readonly uncapped?: boolean } = {},
): Record<string, unknown> {
  const key = familySpace(family).resource.key;
  const { epochCap, treeCap, ...rest } = config;
  const out: Record<string, unknown> = { ...rest, [key]: resource };
  const cap = typeof epochCap === 'number' ? epochCap : typeof treeCap === 'number' ? treeCap : undefined;
  if (cap !== undefined && !opts.uncapped) out[key] = Math.min(resource, cap);
  if (opts.uncapped && family === 'gbdt') delete out.roundCap;
  if (opts.uncapped && family === 'linear') delete out.maxIterations;
  return out;
}
