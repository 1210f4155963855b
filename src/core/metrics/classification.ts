/**
 * Classification metrics. Labels are class indices 0..K-1 in a Float64Array or Int32Array; scores
 * are probabilities. Binary scores are P(class 1) per row; multiclass probabilities are row-major
 * nRows × nClasses. Optional sample weights everywhere.
 */
import { log } from '../util/portable-math.ts';

export type Labels = ArrayLike<number>;

const EPS = 1e-15;

/** Row order of `score`, descending, ties kept in index order (stable). */
function orderDescending(score: ArrayLike<number>): Int32Array {
  const idx = new Int32Array(score.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  return idx.sort((a, b) => score[b] - score[a] || a - b);
}

export interface CurvePoint {
  readonly threshold: number;
  readonly fpr: number;
  readonly tpr: number;
}

/** ROC curve: one point per distinct threshold, from (0,0) to (1,1). */
export function rocCurve(y: Labels, score: ArrayLike<number>, w?: ArrayLike<number>): CurvePoint[] {
  const order = orderDescending(score);
  let P = 0;
  let N = 0;
  for (let i = 0; i < y.length; i++) {
    const wi = w ? w[i] : 1;
    if (y[i] === 1) P += wi;
    else N += wi;
  }
  const pts: CurvePoint[] = [{ threshold: Infinity, fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    const wi = w ? w[i] : 1;
    if (y[i] === 1) tp += wi;
    else fp += wi;
    const next = k + 1 < order.length ? score[order[k + 1]] : NaN;
    if (next !== score[i])
      pts.push({ threshold: score[i], fpr: N > 0 ? fp / N : 0, tpr: P > 0 ? tp / P : 0 });
  }
  return pts;
}

/**
 * Unweighted ROC AUC without building the curve: the positives' and negatives' scores sorted apart
 * (native numeric sorts) and merged from the top, one trapezoid per distinct score — the same points
 * in the same order with the same integer counts as `rocCurve`, so the same bits. The ensemble
 * selection scores hundreds of blends; building the curve (an index sort with a comparator and an
 * object per point) made that seconds on 50,000 rows. Undefined when a score is NaN (the caller
 * takes the curve path, whose order for NaN it keeps).
 */
function rocAucUnweighted(y: Labels, score: ArrayLike<number>): number | undefined {
  const n = y.length;
  let P = 0;
  for (let i = 0; i < n; i++) if (y[i] === 1) P++;
  const N = n - P;
  if (!(P > 0) || !(N > 0)) return NaN;
  const ps = new Float64Array(P);
  const ns = new Float64Array(N);
  let a = 0;
  let b = 0;
  for (let i = 0; i < n; i++) {
    const s = score[i];
    if (Number.isNaN(s)) return undefined;
    if (y[i] === 1) ps[a++] = s;
    else ns[b++] = s;
  }
  ps.sort();
  ns.sort();
  a = P - 1;
  b = N - 1;
  let tp = 0;
  let fp = 0;
  let prevF = 0;
  let prevT = 0;
  let area = 0;
  while (a >= 0 || b >= 0) {
    const v = a < 0 ? ns[b] : b < 0 ? ps[a] : ps[a] > ns[b] ? ps[a] : ns[b];
    while (a >= 0 && ps[a] === v) {
      tp++;
      a--;
    }
    while (b >= 0 && ns[b] === v) {
      fp++;
      b--;
    }
    const fpr = fp / N;
    const tpr = tp / P;
    area += ((fpr - prevF) * (tpr + prevT)) / 2;
    prevF = fpr;
    prevT = tpr;
  }
  return area;
}

/** Area under the ROC curve (ties count one half). NaN when only one class is present. */
export function rocAuc(y: Labels, score: ArrayLike<number>, w?: ArrayLike<number>): number {
  if (!w) {
    const fast = rocAucUnweighted(y, score);
    if (fast !== undefined) return fast;
  }
  const pts = rocCurve(y, score, w);
  const last = pts[pts.length - 1];
  if (!(last.fpr > 0) || !(last.tpr > 0)) return NaN;
  let area = 0;
  for (let k = 1; k < pts.length; k++) {
    area += ((pts[k].fpr - pts[k - 1].fpr) * (pts[k].tpr + pts[k - 1].tpr)) / 2;
  }
  return area;
}

export interface PrPoint {
  readonly threshold: number;
  readonly precision: number;
  readonly recall: number;
}

/** Precision-recall curve, one point per distinct threshold, recall increasing. */
export function prCurve(y: Labels, score: ArrayLike<number>, w?: ArrayLike<number>): PrPoint[] {
  const order = orderDescending(score);
  let P = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === 1) P += w ? w[i] : 1;
  const pts: PrPoint[] = [];
  let tp = 0;
  let all = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    const wi = w ? w[i] : 1;
    all += wi;
    if (y[i] === 1) tp += wi;
    const next = k + 1 < order.length ? score[order[k + 1]] : NaN;
    if (next !== score[i]) {
      pts.push({ threshold: score[i], precision: all > 0 ? tp / all : 1, recall: P > 0 ? tp / P : 0 });
    }
  }
  return pts;
}

/** Average precision (area under the PR curve as a step function, like scikit-learn). */
export function prAuc(y: Labels, score: ArrayLike<number>, w?: ArrayLike<number>): number {
  const pts = prCurve(y, score, w);
  if (pts.length === 0 || !(pts[pts.length - 1].recall > 0)) return NaN;
  let ap = 0;
  let prevRecall = 0;
  for (const p of pts) {
    ap += (p.recall - prevRecall) * p.precision;
    prevRecall = p.recall;
  }
  return ap;
}

/**
 * Log loss for binary (p = P(class 1)) with probabilities clipped to [1e-15, 1-1e-15]. With the portable
 * log (the same bits in every engine, and bit for bit Node's Math.log), so a search scores and selects
 * alike in Node and in the browser.
 */
export function binaryLogLoss(y: Labels, p: ArrayLike<number>, w?: ArrayLike<number>): number {
  let s = 0;
  let tw = 0;
  for (let i = 0; i < y.length; i++) {
    const wi = w ? w[i] : 1;
    const pi = Math.min(1 - EPS, Math.max(EPS, p[i]));
    s -= wi * (y[i] === 1 ? log(pi) : log(1 - pi));
    tw += wi;
  }
  return s / tw;
}

/** Multiclass log loss over row-major probabilities; each row clipped and renormalised. */
export function multiclassLogLoss(
  y: Labels,
  proba: ArrayLike<number>,
  nClasses: number,
  w?: ArrayLike<number>,
): number {
  let s = 0;
  let tw = 0;
  for (let i = 0; i < y.length; i++) {
    let rowSum = 0;
    for (let c = 0; c < nClasses; c++) rowSum += Math.min(1 - EPS, Math.max(EPS, proba[i * nClasses + c]));
    const pi = Math.min(1 - EPS, Math.max(EPS, proba[i * nClasses + y[i]])) / rowSum;
    const wi = w ? w[i] : 1;
    s -= wi * log(pi);
    tw += wi;
  }
  return s / tw;
}

/** Confusion matrix, row = true class, column = predicted class (row-major nClasses²). */
export function confusionMatrix(
  y: Labels,
  pred: Labels,
  nClasses: number,
  w?: ArrayLike<number>,
): Float64Array {
  const m = new Float64Array(nClasses * nClasses);
  for (let i = 0; i < y.length; i++) m[y[i] * nClasses + pred[i]] += w ? w[i] : 1;
  return m;
}

export function accuracy(y: Labels, pred: Labels, w?: ArrayLike<number>): number {
  let ok = 0;
  let tw = 0;
  for (let i = 0; i < y.length; i++) {
    const wi = w ? w[i] : 1;
    if (y[i] === pred[i]) ok += wi;
    tw += wi;
  }
  return ok / tw;
}

function perClass(cm: Float64Array, k: number): { precision: number[]; recall: number[]; support: number[] } {
  const precision: number[] = [];
  const recall: number[] = [];
  const support: number[] = [];
  for (let c = 0; c < k; c++) {
    let colSum = 0;
    let rowSum = 0;
    for (let j = 0; j < k; j++) {
      colSum += cm[j * k + c];
      rowSum += cm[c * k + j];
    }
    const tp = cm[c * k + c];
    precision.push(colSum > 0 ? tp / colSum : 0);
    recall.push(rowSum > 0 ? tp / rowSum : 0);
    support.push(rowSum);
  }
  return { precision, recall, support };
}

function f1Of(p: number, r: number): number {
  return p + r > 0 ? (2 * p * r) / (p + r) : 0;
}

/** F1 of the positive class (1) for binary labels. */
export function f1(y: Labels, pred: Labels, w?: ArrayLike<number>): number {
  const { precision, recall } = perClass(confusionMatrix(y, pred, 2, w), 2);
  return f1Of(precision[1], recall[1]);
}

/** Unweighted mean of per-class F1 over classes present in the truth or the predictions. */
export function macroF1(y: Labels, pred: Labels, nClasses: number, w?: ArrayLike<number>): number {
  const cm = confusionMatrix(y, pred, nClasses, w);
  const { precision, recall, support } = perClass(cm, nClasses);
  let s = 0;
  let n = 0;
  for (let c = 0; c < nClasses; c++) {
    let predicted = 0;
    for (let j = 0; j < nClasses; j++) predicted += cm[j * nClasses + c];
    if (support[c] === 0 && predicted === 0) continue;
    s += f1Of(precision[c], recall[c]);
    n++;
  }
  return n ? s / n : NaN;
}

/** Mean recall over classes present in the truth. */
export function balancedAccuracy(y: Labels, pred: Labels, nClasses: number, w?: ArrayLike<number>): number {
  const { recall, support } = perClass(confusionMatrix(y, pred, nClasses, w), nClasses);
  let s = 0;
  let n = 0;
  for (let c = 0; c < nClasses; c++) {
    if (support[c] === 0) continue;
    s += recall[c];
    n++;
  }
  return n ? s / n : NaN;
}

/** Arg-max class per row of row-major probabilities (first maximum wins). */
export function argmaxRows(proba: ArrayLike<number>, nClasses: number): Int32Array {
  const n = Math.floor(proba.length / nClasses);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < nClasses; c++) if (proba[i * nClasses + c] > proba[i * nClasses + best]) best = c;
    out[i] = best;
  }
  return out;
}
