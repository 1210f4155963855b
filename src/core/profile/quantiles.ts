/**
 * Quantiles of sorted data with linear interpolation between closest ranks — numpy's default
 * (`method='linear'`, R type 7): for n values and probability p, h = (n − 1)·p and the quantile is
 * s[⌊h⌋] + (h − ⌊h⌋)·(s[⌊h⌋+1] − s[⌊h⌋]).
 */

/** The p-quantile (0 ≤ p ≤ 1) of ascending `sorted`; NaN when empty. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  if (!(p >= 0 && p <= 1)) throw new Error(`quantile probability must be in [0, 1], got ${p}`);
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo];
  const b = sorted[hi];
  const frac = h - lo;
  if (frac === 0 || a === b) return a;
  return a + frac * (b - a);
}
