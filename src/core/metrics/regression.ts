/** Regression metrics, with optional sample weights. */

export function rmse(y: ArrayLike<number>, pred: ArrayLike<number>, w?: ArrayLike<number>): number {
  let s = 0;
  let tw = 0;
  for (let i = 0; i < y.length; i++) {
    const wi = w ? w[i] : 1;
    const d = y[i] - pred[i];
    s += wi * d * d;
    tw += wi;
  }
  return Math.sqrt(s / tw);
}

export function mae(y: ArrayLike<number>, pred: ArrayLike<number>, w?: ArrayLike<number>): number {
  let s = 0;
  let tw = 0;
  for (let i = 0; i < y.length; i++) {
    const wi = w ? w[i] : 1;
    s += wi * Math.abs(y[i] - pred[i]);
    tw += wi;
  }
  return s / tw;
}

/** Coefficient of determination; NaN when the truth is constant. */
export function r2(y: ArrayLike<number>, pred: ArrayLike<number>, w?: ArrayLike<number>): number {
  let tw = 0;
  let mean = 0;
  for (let i = 0; i < y.length; i++) {
    const wi = w ? w[i] : 1;
    mean += wi * y[i];
    tw += wi;
  }
  mean /= tw;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < y.length; i++) {
    const wi = w ? w[i] : 1;
    ssRes += wi * (y[i] - pred[i]) ** 2;
    ssTot += wi * (y[i] - mean) ** 2;
  }
  return ssTot > 0 ? 1 - ssRes / ssTot : NaN;
}
