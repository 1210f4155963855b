/**
 * Probability calibration for the no-label performance estimate (CBPE, ./performance.ts).
 *
 * CBPE reads a predicted probability p as "this row is positive with probability p"; a model's raw
 * probabilities rarely mean that (boosted trees and networks are over-confident), and the estimate
 * then is too optimistic. As NannyML does, a calibration map is fitted at training time on the
 * model's out-of-fold (or holdout) predictions and their labels, stored in reference.json, and
 * applied to a batch's probabilities before CBPE.
 *
 * The map, chosen by the size of that reference:
 * - `isotonic` (pool-adjacent-violators, as scikit-learn's IsotonicRegression): at least
 *   `ISOTONIC_MIN_ROWS` rows with at least `ISOTONIC_MIN_CLASS` rows of each class (one-vs-rest for
 *   multiclass). The fitted step function is kept at the two ends of every block and read between
 *   them by linear interpolation, clipped to the end values outside the fitted range (sklearn's
 *   `out_of_bounds='clip'`, `np.interp`);
 * - `platt` (a logistic regression on the logit of the probability, with Platt's smoothed targets)
 *   when the reference is smaller but has at least `PLATT_MIN_CLASS` rows of each class;
 * - `none` otherwise (fewer rows, or a single class): the estimate is made on the raw probabilities
 *   and says so.
 * Multiclass: one map per class (one-vs-rest), then each row renormalised to sum to 1 (a row whose
 * calibrated values are all 0 keeps its raw probabilities). A class with too few rows of its own
 * keeps its raw probability (identity map) before the renormalisation.
 */

export const ISOTONIC_MIN_ROWS = 100;
export const ISOTONIC_MIN_CLASS = 10;
export const PLATT_MIN_CLASS = 2;

export type CalibrationMap =
  | { readonly kind: 'isotonic'; readonly x: readonly number[]; readonly y: readonly number[] }
  | { readonly kind: 'platt'; readonly a: number; readonly b: number }
  | { readonly kind: 'identity' };

export interface Calibration {
  readonly method: 'isotonic' | 'platt' | 'none';
  /** Rows of the reference predictions the maps were fitted on. */
  readonly rows: number;
  /** Binary: one map, for P(positive class); multiclass: one map per class (one-vs-rest). */
  readonly maps: readonly CalibrationMap[];
  /** Why this method, in words. */
  readonly reason: string;
  /**
   * What the map does to the probabilities on the rows it was fitted on (in-sample, so an optimistic
   * figure): log loss and Brier score before and after. Absent when no map was fitted (`none`) and
   * in reference profiles made before it was recorded.
   */
  readonly effect?: CalibrationEffect;
}

/** Log loss and Brier score of the raw and the calibrated probabilities on the same rows. */
export interface CalibrationEffect {
  readonly logLoss: { readonly before: number; readonly after: number };
  /** Binary: mean (p − y)² of P(class 1); multiclass: mean over rows of Σ_c (p_c − [y = c])². */
  readonly brier: { readonly before: number; readonly after: number };
}

/** Probabilities are clipped to [EPS, 1 − EPS] in the log loss (as scikit-learn's `log_loss`). */
const LOG_LOSS_EPS = 1e-15;

/**
 * Log loss and Brier score of `pred` (the layout of {@link fitCalibration}) on the rows `keep`,
 * whose class indices are `y`.
 */
export function probabilityScores(
  y: ArrayLike<number>,
  pred: ArrayLike<number>,
  keep: readonly number[],
  width: number,
  nClasses: number,
): { readonly logLoss: number; readonly brier: number } {
  let ll = 0;
  let brier = 0;
  for (const i of keep) {
    const yi = y[i]!;
    if (nClasses === 2) {
      // binary: P(class 1) is the one column or the second of two
      const p = pred[i * width + width - 1]!;
      const t = yi === 1 ? 1 : 0;
      const q = Math.min(1 - LOG_LOSS_EPS, Math.max(LOG_LOSS_EPS, t ? p : 1 - p));
      ll -= Math.log(q);
      brier += (p - t) ** 2;
    } else {
      let sum = 0;
      for (let c = 0; c < nClasses; c++) sum += pred[i * width + c]!;
      for (let c = 0; c < nClasses; c++) {
        const p = pred[i * width + c]!;
        const t = yi === c ? 1 : 0;
        if (t) ll -= Math.log(Math.min(1 - LOG_LOSS_EPS, Math.max(LOG_LOSS_EPS, sum > 0 ? p / sum : p)));
        brier += (p - t) ** 2;
      }
    }
  }
  const n = keep.length || 1;
  return { logLoss: ll / n, brier: brier / n };
}

/**
 * Weighted isotonic (non-decreasing) regression of y on x by pool-adjacent-violators. Returns the
 * fitted value of every input row (in input order). Equal x values are pooled first (their fitted
 * values are equal, as in scikit-learn).
 */
export function isotonicFit(x: ArrayLike<number>, y: ArrayLike<number>, w?: ArrayLike<number>): Float64Array {
  const n = x.length;
  if (y.length !== n || (w && w.length !== n))
    throw new Error('isotonic fit: x, y and weights differ in length');
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a]! - x[b]! || a - b);
  // Equal x values are pooled first into one point (weighted mean of y, summed weight).
  const px: number[] = [];
  const py: number[] = [];
  const pw: number[] = [];
  const pStart: number[] = [];
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    const wi = w ? w[i]! : 1;
    if (!(wi >= 0) || !Number.isFinite(x[i]!) || !Number.isFinite(y[i]!))
      throw new Error(`isotonic fit: row ${i} has a non-finite value or a negative weight`);
    const last = px.length - 1;
    if (last >= 0 && px[last] === x[i]) {
      const wt = pw[last]! + wi;
      py[last] = wt > 0 ? (py[last]! * pw[last]! + y[i]! * wi) / wt : py[last]!;
      pw[last] = wt;
    } else {
      px.push(x[i]!);
      py.push(y[i]!);
      pw.push(wi);
      pStart.push(k);
    }
  }
  // Pool adjacent violators: blocks of points with their weighted mean and weight.
  const mean: number[] = [];
  const weight: number[] = [];
  const start: number[] = [];
  for (let j = 0; j < px.length; j++) {
    mean.push(py[j]!);
    weight.push(pw[j]!);
    start.push(pStart[j]!);
    while (mean.length > 1 && mean[mean.length - 2]! > mean[mean.length - 1]!) {
      const b = mean.length - 1;
      const wt = weight[b - 1]! + weight[b]!;
      mean[b - 1] =
        wt > 0 ? (mean[b - 1]! * weight[b - 1]! + mean[b]! * weight[b]!) / wt : (mean[b - 1]! + mean[b]!) / 2;
      weight[b - 1] = wt;
      mean.pop();
      weight.pop();
      start.pop();
    }
  }
  const out = new Float64Array(n);
  for (let b = 0; b < mean.length; b++) {
    const end = b + 1 < start.length ? start[b + 1]! : n;
    for (let k = start[b]!; k < end; k++) out[order[k]!] = mean[b]!;
  }
  return out;
}

/** The isotonic map of probabilities p to outcomes t (0/1): block ends and their values. */
export function isotonicMap(p: ArrayLike<number>, t: ArrayLike<number>): CalibrationMap {
  const fitted = isotonicFit(p, t);
  const order = Array.from({ length: p.length }, (_, i) => i).sort((a, b) => p[a]! - p[b]!);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    if (k > 0 && p[i] === p[order[k - 1]!]) continue;
    xs.push(p[i]!);
    ys.push(fitted[i]!);
  }
  // Keep only the ends of runs of equal fitted values (the map is unchanged).
  const x: number[] = [];
  const y: number[] = [];
  for (let k = 0; k < xs.length; k++) {
    const interior = k > 0 && k < xs.length - 1 && ys[k - 1] === ys[k] && ys[k + 1] === ys[k];
    if (!interior) {
      x.push(xs[k]!);
      y.push(ys[k]!);
    }
  }
  return { kind: 'isotonic', x, y };
}

const EPS = 1e-12;
const logit = (p: number) => {
  const q = Math.min(1 - 1e-7, Math.max(1e-7, p));
  return Math.log(q / (1 - q));
};
const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/**
 * Platt scaling on the logit of p: P(t = 1) = σ(a · logit(p) + b), fitted by Newton's method on the
 * log loss with Platt's smoothed targets ((n₊ + 1)/(n₊ + 2) and 1/(n₋ + 2)).
 */
export function plattMap(p: ArrayLike<number>, t: ArrayLike<number>): CalibrationMap {
  const n = p.length;
  let nPos = 0;
  for (let i = 0; i < n; i++) nPos += t[i]! > 0.5 ? 1 : 0;
  const hi = (nPos + 1) / (nPos + 2);
  const lo = 1 / (n - nPos + 2);
  const z = Float64Array.from({ length: n }, (_, i) => logit(p[i]!));
  const target = Float64Array.from({ length: n }, (_, i) => (t[i]! > 0.5 ? hi : lo));
  const loss = (a: number, b: number) => {
    let l = 0;
    for (let i = 0; i < n; i++) {
      // −[t log σ(s) + (1 − t) log(1 − σ(s))] = log(1 + e^s) − t·s, computed stably.
      const s = a * z[i]! + b;
      l += (s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s))) - target[i]! * s;
    }
    return l;
  };
  // Newton's method with step halving (a plain Newton step can overshoot on saturated rows).
  let a = 1;
  let b = 0;
  let current = loss(a, b);
  for (let it = 0; it < 100; it++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-9;
    let hab = 0;
    let hbb = 1e-9;
    for (let i = 0; i < n; i++) {
      const q = sigmoid(a * z[i]! + b);
      const r = q - target[i]!;
      const v = Math.max(q * (1 - q), EPS);
      ga += r * z[i]!;
      gb += r;
      haa += v * z[i]! * z[i]!;
      hab += v * z[i]!;
      hbb += v;
    }
    const det = haa * hbb - hab * hab;
    if (!(Math.abs(det) > 0)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    let step = 1;
    let next = loss(a - da, b - db);
    while (!(next <= current) && step > 1e-10) {
      step /= 2;
      next = loss(a - step * da, b - step * db);
    }
    if (!(next <= current)) break;
    a -= step * da;
    b -= step * db;
    const gain = current - next;
    current = next;
    if (step * (Math.abs(da) + Math.abs(db)) < 1e-10 || gain < 1e-12 * Math.max(1, current)) break;
  }
  if (!Number.isFinite(a) || !Number.isFinite(b)) return { kind: 'identity' };
  return { kind: 'platt', a, b };
}

/** A probability through a map. */
export function calibrate(map: CalibrationMap, p: number): number {
  switch (map.kind) {
    case 'identity':
      return p;
    case 'platt':
      return sigmoid(map.a * logit(p) + map.b);
    case 'isotonic': {
      const { x, y } = map;
      if (!x.length) return p;
      if (p <= x[0]!) return y[0]!;
      if (p >= x[x.length - 1]!) return y[y.length - 1]!;
      let lo = 0;
      let hi = x.length - 1;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (x[mid]! <= p) lo = mid;
        else hi = mid;
      }
      const span = x[hi]! - x[lo]!;
      return span > 0 ? y[lo]! + ((y[hi]! - y[lo]!) * (p - x[lo]!)) / span : y[lo]!;
    }
  }
}

function fitOne(p: Float64Array, t: Float64Array): { map: CalibrationMap; method: Calibration['method'] } {
  let nPos = 0;
  for (const v of t) nPos += v;
  const minority = Math.min(nPos, t.length - nPos);
  if (t.length >= ISOTONIC_MIN_ROWS && minority >= ISOTONIC_MIN_CLASS)
    return { map: isotonicMap(p, t), method: 'isotonic' };
  if (minority >= PLATT_MIN_CLASS) {
    const map = plattMap(p, t);
    return { map, method: map.kind === 'platt' ? 'platt' : 'none' };
  }
  return { map: { kind: 'identity' }, method: 'none' };
}

/**
 * Fits the calibration of a classifier from its out-of-fold (or holdout) predictions `pred`
 * (row-major, one column per class, or one column of P(class 1) for binary) and the class indices
 * `y` (NaN = unknown, left out). See the header for the choice of method.
 */
export function fitCalibration(
  task: 'binary' | 'multiclass',
  y: ArrayLike<number>,
  pred: ArrayLike<number>,
  nClasses: number,
): Calibration {
  const n = y.length;
  const width = n ? pred.length / n : 1;
  if (
    n &&
    (!Number.isInteger(width) || (width !== 1 && width !== nClasses) || (width === 1 && task !== 'binary'))
  )
    throw new Error(`calibration: ${pred.length} predictions for ${n} rows and ${nClasses} classes`);
  const keep: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = y[i]!;
    if (Number.isInteger(v) && v >= 0 && v < nClasses) keep.push(i);
  }
  const rows = keep.length;
  const prob = (i: number, c: number) =>
    width === 1 ? (c === 1 ? pred[i]! : 1 - pred[i]!) : pred[i * width + c]!;
  const classes = task === 'binary' ? [1] : Array.from({ length: nClasses }, (_, c) => c);
  const maps: CalibrationMap[] = [];
  const methods = new Set<Calibration['method']>();
  for (const c of classes) {
    const p = Float64Array.from(keep, (i) => prob(i, c));
    const t = Float64Array.from(keep, (i) => (y[i] === c ? 1 : 0));
    const fit = fitOne(p, t);
    maps.push(fit.map);
    methods.add(fit.method);
  }
  const method: Calibration['method'] = methods.has('isotonic')
    ? 'isotonic'
    : methods.has('platt')
      ? 'platt'
      : 'none';
  const reason =
    method === 'none'
      ? `the reference predictions (${rows} rows) are too few or of a single class to fit a calibration map: probabilities are used as they are`
      : method === 'isotonic'
        ? `isotonic regression (pool-adjacent-violators) on ${rows} out-of-fold/holdout predictions${methods.size > 1 ? '; classes with too few rows use Platt scaling or none' : ''}`
        : `Platt scaling (too few rows for isotonic regression: ${rows}, under ${ISOTONIC_MIN_ROWS} or fewer than ${ISOTONIC_MIN_CLASS} of a class)`;
  const cal: Calibration = {
    method,
    rows,
    maps: method === 'none' ? maps.map(() => ({ kind: 'identity' })) : maps,
    reason,
  };
  if (method === 'none' || rows === 0) return cal;
  const before = probabilityScores(y, pred, keep, width, nClasses);
  const calibrated = applyCalibration(cal, task, Float64Array.from(pred), n, nClasses);
  const after = probabilityScores(y, calibrated, keep, width, nClasses);
  return {
    ...cal,
    effect: {
      logLoss: { before: before.logLoss, after: after.logLoss },
      brier: { before: before.brier, after: after.brier },
    },
  };
}

/**
 * A batch's probabilities through the calibration (same layout as given: one column of P(class 1),
 * or one column per class). Multiclass rows are renormalised to sum to 1.
 */
export function applyCalibration(
  cal: Calibration,
  task: 'binary' | 'multiclass',
  pred: Float64Array,
  nRows: number,
  nClasses: number,
): Float64Array {
  if (cal.method === 'none') return pred;
  const width = nRows ? pred.length / nRows : 1;
  const out = new Float64Array(pred.length);
  if (task === 'binary') {
    const map = cal.maps[0] ?? { kind: 'identity' };
    for (let i = 0; i < nRows; i++) {
      const p = calibrate(map, pred[i * width + width - 1]!);
      out[i * width + width - 1] = p;
      if (width === 2) out[i * width] = 1 - p;
    }
    return out;
  }
  if (cal.maps.length !== nClasses || width !== nClasses)
    throw new Error(`calibration: ${cal.maps.length} class maps for a model of ${nClasses} classes`);
  for (let i = 0; i < nRows; i++) {
    let sum = 0;
    for (let c = 0; c < nClasses; c++) {
      const v = calibrate(cal.maps[c]!, pred[i * nClasses + c]!);
      out[i * nClasses + c] = v;
      sum += v;
    }
    for (let c = 0; c < nClasses; c++) {
      out[i * nClasses + c] = sum > 0 ? out[i * nClasses + c]! / sum : pred[i * nClasses + c]!;
    }
  }
  return out;
}
