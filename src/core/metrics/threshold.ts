/**
 * Binary decisions: a positive class, a decision threshold on its probability, and the charts that
 * explain them. Pure functions over typed arrays.
 *
 * Conventions: `pos` is 1 for rows of the positive class and 0 otherwise; `score` is the predicted
 * probability of the positive class; a row is predicted positive when `score >= threshold`.
 */

/** What the threshold is chosen for. `cost` minimises costFP·FP + costFN·FN. */
export type ThresholdObjective = 'f1' | 'balanced_accuracy' | 'cost';

export const THRESHOLD_OBJECTIVES: readonly ThresholdObjective[] = ['f1', 'balanced_accuracy', 'cost'];

export interface DecisionCosts {
  /** Cost of predicting positive for a negative row. */
  readonly fp: number;
  /** Cost of predicting negative for a positive row. */
  readonly fn: number;
}

export interface BinaryCounts {
  readonly tp: number;
  readonly fp: number;
  readonly tn: number;
  readonly fn: number;
}

/** Confusion counts when rows with `score >= threshold` are predicted positive. */
export function confusionAt(
  pos: ArrayLike<number>,
  score: ArrayLike<number>,
  threshold: number,
  w?: ArrayLike<number>,
): BinaryCounts {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < pos.length; i++) {
    const wi = w ? w[i] : 1;
    const predicted = score[i] >= threshold;
    if (pos[i] === 1) {
      if (predicted) tp += wi;
      else fn += wi;
    } else if (predicted) fp += wi;
    else tn += wi;
  }
  return { tp, fp, tn, fn };
}

export interface CountMetrics {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly specificity: number;
  readonly balancedAccuracy: number;
  readonly accuracy: number;
}

/** Precision, recall, F1, … from confusion counts (0 where a denominator is 0). */
export function countMetrics(c: BinaryCounts): CountMetrics {
  const precision = c.tp + c.fp > 0 ? c.tp / (c.tp + c.fp) : 0;
  const recall = c.tp + c.fn > 0 ? c.tp / (c.tp + c.fn) : 0;
  const specificity = c.tn + c.fp > 0 ? c.tn / (c.tn + c.fp) : 0;
  const hasP = c.tp + c.fn > 0;
  const hasN = c.tn + c.fp > 0;
  const balancedAccuracy =
    hasP && hasN ? (recall + specificity) / 2 : hasP ? recall : hasN ? specificity : NaN;
  const total = c.tp + c.fp + c.tn + c.fn;
  return {
    precision,
    recall,
    f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0,
    specificity,
    balancedAccuracy,
    accuracy: total > 0 ? (c.tp + c.tn) / total : NaN,
  };
}

/** Total cost of the errors in `c`. */
export function decisionCost(c: BinaryCounts, costs: DecisionCosts): number {
  return costs.fp * c.fp + costs.fn * c.fn;
}

/** The value an objective maximises (cost is negated, so larger is always better). */
export function objectiveValue(
  objective: ThresholdObjective,
  c: BinaryCounts,
  costs: DecisionCosts = { fp: 1, fn: 1 },
): number {
  if (objective === 'cost') return -decisionCost(c, costs);
  const m = countMetrics(c);
  return objective === 'f1' ? m.f1 : m.balancedAccuracy;
}

export interface ThresholdChoice {
  readonly threshold: number;
  readonly objective: ThresholdObjective;
  /** The objective's value at the threshold (for `cost`: the total cost, not negated). */
  readonly value: number;
  readonly counts: BinaryCounts;
}

/**
 * The threshold that is best for `objective` on these rows (out-of-fold or holdout predictions).
 * Every cut between two distinct scores is tried; the threshold returned is the midpoint of the
 * cut (between the lowest score predicted positive and the highest predicted negative), so it
 * generalises better than the score itself. Ties keep the highest threshold; "predict no row
 * positive" is a candidate only when it can be expressed (the highest score is below 1).
 */
export function chooseThreshold(
  pos: ArrayLike<number>,
  score: ArrayLike<number>,
  objective: ThresholdObjective,
  options: { costs?: DecisionCosts; w?: ArrayLike<number> } = {},
): ThresholdChoice {
  const n = pos.length;
  if (score.length !== n) throw new Error(`need one score per row: ${n} rows, ${score.length} scores`);
  const costs = options.costs ?? { fp: 1, fn: 1 };
  if (objective === 'cost' && !(costs.fp >= 0 && costs.fn >= 0 && costs.fp + costs.fn > 0))
    throw new Error(`decision costs must be ≥ 0 and not both 0 (got FP ${costs.fp}, FN ${costs.fn})`);
  const w = options.w;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(score[i])) throw new Error(`score of row ${i} is not a finite number`);
    order[i] = i;
  }
  order.sort((a, b) => score[b] - score[a] || a - b);
  let P = 0;
  let N = 0;
  for (let i = 0; i < n; i++) {
    if (pos[i] === 1) P += w ? w[i] : 1;
    else N += w ? w[i] : 1;
  }
  let tp = 0;
  let fp = 0;
  const at = (): BinaryCounts => ({ tp, fp, tn: N - fp, fn: P - tp });
  let best: { value: number; threshold: number; counts: BinaryCounts } | null = null;
  const consider = (threshold: number) => {
    const counts = at();
    const value = objectiveValue(objective, counts, costs);
    if (best === null || value > best.value) best = { value, threshold, counts };
  };
  if (n === 0) return { threshold: 0.5, objective, value: NaN, counts: at() };
  const top = score[order[0]];
  if (top < 1) consider(cut(1, top));
  for (let k = 0; k < n; k++) {
    const i = order[k];
    if (pos[i] === 1) tp += w ? w[i] : 1;
    else fp += w ? w[i] : 1;
    const next = k + 1 < n ? score[order[k + 1]] : null;
    if (next === score[i]) continue;
    consider(next === null ? Math.max(0, cut(score[i], Math.min(0, score[i]))) : cut(score[i], next));
  }
  const b = best!;
  const value = objective === 'cost' ? -b.value : b.value;
  return { threshold: b.threshold, objective, value, counts: b.counts };
}

/** A threshold t with lo < t <= hi (the midpoint where floating point allows). */
function cut(hi: number, lo: number): number {
  const mid = lo + (hi - lo) / 2;
  return mid > lo && mid <= hi ? mid : hi;
}

export interface GainsPoint {
  /** Share of rows taken, highest scores first (0..1). */
  readonly fraction: number;
  /** Share of all positives among the rows taken (cumulative gains, 0..1). */
  readonly gain: number;
  /** gain / fraction: how many times better than picking rows at random. */
  readonly lift: number;
}

/**
 * Cumulative gains and lift at `bins` evenly spaced shares of the rows (ranked by score, ties in
 * row order), from the first bin to all rows.
 */
export function gainsCurve(pos: ArrayLike<number>, score: ArrayLike<number>, bins = 20): GainsPoint[] {
  const n = pos.length;
  if (n === 0) return [];
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => score[b] - score[a] || a - b);
  let P = 0;
  for (let i = 0; i < n; i++) if (pos[i] === 1) P++;
  const out: GainsPoint[] = [];
  let taken = 0;
  let hits = 0;
  for (let b = 1; b <= bins; b++) {
    const upto = Math.round((b / bins) * n);
    while (taken < upto) {
      if (pos[order[taken]] === 1) hits++;
      taken++;
    }
    if (taken === 0 || (out.length && out[out.length - 1].fraction === taken / n)) continue;
    const fraction = taken / n;
    const gain = P > 0 ? hits / P : 0;
    out.push({ fraction, gain, lift: fraction > 0 ? gain / fraction : 0 });
  }
  return out;
}

/** Per-class precision, recall and support from a row-major K×K confusion matrix (row = truth). */
export function perClassReport(
  cm: ArrayLike<number>,
  nClasses: number,
): { precision: number; recall: number; f1: number; support: number }[] {
  const out = [];
  for (let c = 0; c < nClasses; c++) {
    let col = 0;
    let row = 0;
    for (let j = 0; j < nClasses; j++) {
      col += cm[j * nClasses + c];
      row += cm[c * nClasses + j];
    }
    const tp = cm[c * nClasses + c];
    const precision = col > 0 ? tp / col : 0;
    const recall = row > 0 ? tp / row : 0;
    out.push({
      precision,
      recall,
      f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0,
      support: row,
    });
  }
  return out;
}
