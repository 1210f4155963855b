/**
 * Row-subsample rungs for searches on big data (training-set size as the fidelity, as FLAML and the
 * Hyperband family do). When a holdout plan's training rows exceed `SUBSAMPLE_MIN_ROWS`, every trial
 * first trains on a seeded, class-stratified subsample of them and is scored on the plan's whole
 * validation holdout (the same rows for every trial and level, so values compare); only trials whose
 * value is in the top 1/η of all trials scored at that level (any family) are promoted to the next,
 * larger level, and only those that survive every level train on all the training rows. A trial that
 * is not promoted ends COMPLETE with the value, predictions and model of the last level it finished
 * (`Trial.rows` says how many rows that was); the final refit is on all rows, as always.
 *
 * Levels: m/η^k training rows for k = K…1 (η = 3, the round rungs' factor), K the largest k ≤ 4 with
 * m/η^k ≥ a fifth of the threshold (10,000 rows); e.g. 950,000 training rows (1,000,000 rows, a
 * 50,000-row holdout) → 11,729 / 35,186 / 105,556 / 316,667, then all 950,000; 250,000 → 27,778 /
 * 83,334. Why these: the smallest level is what every trial pays, so it has to be cheap enough for a
 * minute's search to try every family several times on a million rows (a boosted trial on 35,000
 * rows took 5–30 s on a loaded 2-core machine, one on 800,000 rows most of a minute), and large
 * enough that the validation ranking means something (FLAML's first sample is 10,000 rows too);
 * η = 3 between levels gives the usual successive-halving funnel, and no level is so close to the
 * full data that it costs nearly as much (the largest is a third of it).
 *
 * The subsample of each level is a pure function of the training rows, their labels (classification)
 * and the search seed: within each class a seeded shuffle, and each class gets its share of the level's
 * rows by largest remainder (so each class's count is within one row of its exact proportion). The
 * plan — threshold, levels, seed, stratified — is recorded in `manifest.search.split.subsample` and a
 * replay uses the recorded one (a manifest without it replays without subsampling).
 */
import { createRng } from '../util/random.ts';

/** Training rows above which trials start on row subsamples. */
export const SUBSAMPLE_MIN_ROWS = 50_000;
/** Smallest subsample level: a fifth of the threshold (10,000 rows by default). */
export const SUBSAMPLE_MIN_LEVEL_ROWS = Math.ceil(SUBSAMPLE_MIN_ROWS / 5);
/** Reduction factor between levels (η, as the round rungs). */
export const SUBSAMPLE_ETA = 3;
/** At most this many subsample levels below the full training rows. */
export const SUBSAMPLE_MAX_LEVELS = 4;

/**
 * Early-stopping patience (epochs) of a net's (linear, MLP) fit on a row-subsample level, when the
 * configuration's own is longer. A level fit only ranks the trial against the others at that level
 * (its best epoch's weights are kept, so a shorter wait changes the model only when the validation
 * loss would have improved again after 3 worse epochs); on 1,000,000 rows an MLP's level fit ran 12
 * epochs for a best epoch of 4 (patience 8: two thirds of the trial's training time, and the MLP
 * trials were 60% of a one-minute search in Chromium). A fit on all rows keeps the configuration's
 * patience. A pure function of the configuration and the level, so a replay trains the same epochs;
 * small data (no levels) is untouched.
 */
export const LEVEL_NET_PATIENCE = 3;

/** The patience a net trains a row-subsample level with (`LEVEL_NET_PATIENCE` at most; 0 = never stop, kept). */
export function levelNetPatience(patience: number): number {
  return patience > 0 ? Math.min(patience, LEVEL_NET_PATIENCE) : patience;
}

/** The recorded subsample plan (`manifest.search.split.subsample`). */
export interface SubsamplePlan {
  /** Training rows above which the plan applies (`SUBSAMPLE_MIN_ROWS` when made). */
  readonly threshold: number;
  /** Training rows of each subsample level, smallest first (all below `trainRows`). */
  readonly rows: readonly number[];
  /** All training rows of the plan (the level after the last subsample). */
  readonly trainRows: number;
  /** Seed of the subsamples (the search seed). */
  readonly seed: number;
  /** Stratified by class (classification). */
  readonly stratified: boolean;
}

/** Options that turn the plan on or off (`SearchOptions.subsample`): false = never subsample. */
export type SubsampleOption = false | { readonly threshold?: number; readonly rows?: readonly number[] };

/**
 * The subsample levels for `trainRows` training rows: empty at or below `threshold`, else
 * m/η^k (rounded up) for k = K…1 while at least a fifth of the threshold, as in the header.
 */
export function subsampleLevels(trainRows: number, threshold = SUBSAMPLE_MIN_ROWS): number[] {
  if (!(Number.isInteger(trainRows) && trainRows >= 0))
    throw new Error(`bad training row count ${trainRows}`);
  if (!(threshold > 0)) throw new Error(`the subsample threshold must be > 0, got ${threshold}`);
  if (trainRows <= threshold) return [];
  const minLevel = Math.ceil(threshold / 5);
  const out: number[] = [];
  for (let k = 1; k <= SUBSAMPLE_MAX_LEVELS; k++) {
    const r = Math.ceil(trainRows / SUBSAMPLE_ETA ** k);
    if (r < minLevel) break;
    out.unshift(r);
  }
  return out;
}

/** Checks a recorded plan against the data it is replayed on; throws with what differs. */
export function checkSubsamplePlan(plan: SubsamplePlan, trainRows: number): void {
  if (plan.trainRows !== trainRows)
    throw new Error(
      `split.subsample was made for ${plan.trainRows} training rows, the data gives ${trainRows}`,
    );
  let prev = 0;
  for (const r of plan.rows) {
    if (!(Number.isInteger(r) && r > prev && r < trainRows))
      throw new Error(`split.subsample.rows must grow and stay below ${trainRows} training rows, got ${r}`);
    prev = r;
  }
}

/**
 * `count` of the `train` rows, seeded and (with `labels`) stratified: each class gets its share by
 * largest remainder, taken from a seeded shuffle of the class's rows. Returned sorted ascending.
 */
export function subsampleRows(
  train: ArrayLike<number>,
  count: number,
  seed: number,
  labels?: ArrayLike<number>,
): Int32Array {
  const m = train.length;
  if (!(Number.isInteger(count) && count >= 0 && count <= m))
    throw new Error(`a subsample of ${count} rows out of ${m} is not possible`);
  // Groups: one per class (in order of first appearance), or one for all rows.
  const groupOf = new Map<number, number[]>();
  const groups: number[][] = [];
  for (let i = 0; i < m; i++) {
    const key = labels ? labels[train[i]] : 0;
    let g = groupOf.get(key);
    if (!g) {
      g = [];
      groupOf.set(key, g);
      groups.push(g);
    }
    g.push(train[i]);
  }
  // Largest-remainder quotas (ties: the earlier group), so sum = count and |quota − exact| < 1.
  const exact = groups.map((g) => (g.length * count) / Math.max(1, m));
  const quota = exact.map(Math.floor);
  let left = count - quota.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => i).sort((a, b) => exact[b] - quota[b] - (exact[a] - quota[a]) || a - b);
  for (const i of order) {
    if (left <= 0) break;
    if (quota[i] < groups[i].length) {
      quota[i]++;
      left--;
    }
  }
  const rng = createRng(seed ^ 0x53554253); // 'SUBS': independent of the split's own stream
  const out = new Int32Array(count);
  let at = 0;
  groups.forEach((g, gi) => {
    // Partial Fisher–Yates: the first quota[gi] entries are a uniform sample of the group.
    const q = quota[gi];
    for (let j = 0; j < q; j++) {
      const k = j + rng.int(g.length - j);
      const t = g[j];
      g[j] = g[k];
      g[k] = t;
      out[at++] = g[j];
    }
  });
  return out.sort();
}
