/**
 * The decision of a binary model: which class is positive, and the threshold on its probability
 * above which a row is predicted positive. Chosen from held-out predictions (a single fit's
 * validation holdout, a search's out-of-fold predictions of the final model), recorded in the
 * bundle's manifest (`decision`) and applied by every predictor. Probabilities are never changed:
 * only the predicted label follows the threshold.
 */
import {
  binaryForPositive,
  chooseThreshold,
  type DecisionCosts,
  type ThresholdObjective,
} from '../metrics/index.ts';
import { suggestPositiveClass } from '../profile/target.ts';
import { TrainingError } from './target.ts';

/**
 * What the threshold was chosen for: a metric on held-out rows; `default`: 0.5 (argmax), not chosen
 * from data; `manual`: set by the user.
 */
export type DecisionObjective = ThresholdObjective | 'default' | 'manual';

export interface Decision {
  readonly positiveClass: string;
  readonly threshold: number;
  readonly chosenFor: DecisionObjective;
  /** The costs the threshold minimises (chosenFor `cost`). */
  readonly costs?: DecisionCosts;
  /** Why this class is positive, in words. */
  readonly positiveReason?: string;
}

/** What the user asked for; everything is optional. */
export interface DecisionRequest {
  readonly positiveClass?: string;
  /** Default: `f1` when the classes are unbalanced (minority < 20%), else `default` (0.5). */
  readonly objective?: ThresholdObjective | 'default';
  readonly costs?: DecisionCosts;
}

/** Minority share under which the threshold is chosen for F1 by default (and class weights are searched). */
export const IMBALANCED_SHARE = 0.2;

/** The share of the smaller class among class indices 0/1. */
export function minorityShare(y: ArrayLike<number>): number {
  let ones = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === 1) ones++;
  return y.length ? Math.min(ones, y.length - ones) / y.length : 0.5;
}

/** Checks a user-given positive class against the labels; returns its index. */
export function positiveIndexOf(classes: readonly string[], positiveClass: string): number {
  const k = classes.indexOf(positiveClass);
  if (k < 0)
    throw new TrainingError(
      `positive class '${positiveClass}' is not a class of the target (classes: ${classes.join(', ')})`,
    );
  return k;
}

/** The positive class (the user's, or the default) with the reason, from the encoded target. */
export function resolvePositiveClass(
  classes: readonly string[],
  y: ArrayLike<number>,
  requested?: string,
): { label: string; index: number; reason: string } {
  if (requested !== undefined) {
    const index = positiveIndexOf(classes, requested);
    return { label: requested, index, reason: `${requested} (chosen by the user)` };
  }
  let ones = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === 1) ones++;
  const s = suggestPositiveClass(
    [
      { value: classes[0], count: y.length - ones },
      { value: classes[1], count: ones },
    ],
    classes,
  )!;
  return { label: s.label, index: classes.indexOf(s.label), reason: s.reason };
}

/**
 * The decision for a binary model from held-out truth `y` (class indices) and the model's
 * predictions `pred` (P(class 1) per row, or two columns per row).
 */
export function chooseDecision(
  classes: readonly string[],
  y: ArrayLike<number>,
  pred: ArrayLike<number>,
  request: DecisionRequest = {},
): Decision {
  if (classes.length !== 2) throw new TrainingError('a decision threshold needs a binary target');
  const positive = resolvePositiveClass(classes, y, request.positiveClass);
  const objective = request.objective ?? (minorityShare(y) < IMBALANCED_SHARE ? 'f1' : ('default' as const));
  const base = { positiveClass: positive.label, positiveReason: positive.reason };
  if (objective === 'default') return { ...base, threshold: 0.5, chosenFor: 'default' };
  const { pos, score } = binaryForPositive(y, pred, positive.index);
  const costs = objective === 'cost' ? (request.costs ?? { fp: 1, fn: 1 }) : undefined;
  const choice = chooseThreshold(pos, score, objective, costs ? { costs } : {});
  return { ...base, threshold: choice.threshold, chosenFor: objective, ...(costs ? { costs } : {}) };
}

/**
 * Predicted class index per row of binary model output (`values`: P(class 1) per row or two
 * columns per row) under a decision: the positive class when its probability >= threshold.
 */
export function decideLabels(
  values: ArrayLike<number>,
  nRows: number,
  classes: readonly string[],
  decision: Pick<Decision, 'positiveClass' | 'threshold'>,
): Int32Array {
  const k = positiveIndexOf(classes, decision.positiveClass);
  const wide = values.length === 2 * nRows;
  const out = new Int32Array(nRows);
  for (let i = 0; i < nRows; i++) {
    const p1 = wide ? values[2 * i + 1] : values[i];
    const p = k === 1 ? p1 : 1 - p1; // as binaryForPositive, which chose the threshold
    out[i] = p >= decision.threshold ? k : 1 - k;
  }
  return out;
}

/** Decision metrics spec for `evaluate`. */
export function decisionSpec(
  classes: readonly string[],
  d: Pick<Decision, 'positiveClass' | 'threshold'>,
): { positiveIndex: number; threshold: number } {
  return { positiveIndex: positiveIndexOf(classes, d.positiveClass), threshold: d.threshold };
}

/**
 * What the results view needs to move the threshold live: the held-out rows' truth (1 = positive
 * class) and P(positive class), at most `maxRows` of them (evenly spaced when there are more).
 */
export interface DecisionChartData {
  readonly classes: readonly string[];
  readonly decision: Decision;
  /** 1 for rows of `decision.positiveClass`, else 0. */
  readonly pos: readonly number[];
  /** P(decision.positiveClass) per row. */
  readonly score: readonly number[];
  /** Held-out rows in all (`pos` may be a sample of them). */
  readonly total: number;
}

export const MAX_DECISION_ROWS = 50_000;

export function decisionChartData(
  classes: readonly string[],
  y: ArrayLike<number>,
  pred: ArrayLike<number>,
  decision: Decision,
  maxRows = MAX_DECISION_ROWS,
): DecisionChartData {
  const { pos, score } = binaryForPositive(y, pred, positiveIndexOf(classes, decision.positiveClass));
  const n = pos.length;
  const step = n > maxRows ? n / maxRows : 1;
  const m = Math.min(n, maxRows);
  const p: number[] = new Array(m);
  const s: number[] = new Array(m);
  for (let k = 0; k < m; k++) {
    const i = Math.floor(k * step);
    p[k] = pos[i];
    s[k] = score[i];
  }
  return { classes, decision, pos: p, score: s, total: n };
}

/**
 * The bundle files with another decision (the user moved the threshold or chose another positive
 * class after training): manifest.json's `decision` replaced, every other file unchanged.
 */
export function withBundleDecision(
  files: Readonly<Record<string, string>>,
  decision: Decision,
): Record<string, string> {
  const manifest = JSON.parse(files['manifest.json']) as Record<string, unknown>;
  if (manifest.task !== 'binary') return { ...files };
  const out: Record<string, unknown> = {};
  // Keep the key order of the manifest (decision after positiveClass, as written).
  for (const [k, v] of Object.entries(manifest)) out[k] = k === 'decision' ? decision : v;
  if (!('decision' in out)) out.decision = decision;
  return { ...files, 'manifest.json': JSON.stringify(out, null, 2) + '\n' };
}

/**
 * The request that chooses `decision` again on the same held-out predictions (for a replay): its
 * positive class, and its objective unless the threshold was set by hand.
 */
export function requestOf(decision: Decision | undefined): DecisionRequest | undefined {
  if (!decision) return undefined;
  const objective = decision.chosenFor === 'manual' ? undefined : decision.chosenFor;
  return {
    positiveClass: decision.positiveClass,
    ...(objective ? { objective } : {}),
    ...(decision.costs ? { costs: decision.costs } : {}),
  };
}
