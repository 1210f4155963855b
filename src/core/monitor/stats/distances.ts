/**
 * Distances between a reference and a batch distribution:
 * - `wasserstein1(u, v)`: the first Wasserstein (earth mover's) distance between two samples'
 *   empirical distributions, ∫|F_u − F_v|, as SciPy's `wasserstein_distance(u, v)` (unweighted);
 *   the drift test divides it by the reference's standard deviation (the "normed" distance);
 * - `jensenShannon(p, q)`: SciPy's `jensenshannon(p, q)` — the square root of the Jensen–Shannon
 *   divergence with natural logarithms, p and q normalised to sum 1 first (range [0, √ln 2]);
 * - `psi(expected, actual)`: the population stability index Σ (a − e)·ln(a / e) over shares, with
 *   empty shares replaced by `epsilon` (default 1e-4) so that a category missing on one side counts.
 */

function sortedFinite(x: ArrayLike<number>): Float64Array {
  const out: number[] = [];
  for (let i = 0; i < x.length; i++) if (!Number.isNaN(x[i]!)) out.push(x[i]!);
  return Float64Array.from(out).sort();
}

export function wasserstein1(u: ArrayLike<number>, v: ArrayLike<number>): number {
  const a = sortedFinite(u);
  const b = sortedFinite(v);
  const n = a.length;
  const m = b.length;
  if (!n || !m) throw new RangeError('wasserstein1 needs at least one non-missing value in each sample');
  // Walk the pooled sorted values; between consecutive values both ECDFs are constant.
  let i = 0;
  let j = 0;
  let prev = Math.min(a[0]!, b[0]!);
  let dist = 0;
  while (i < n || j < m) {
    const v = j >= m || (i < n && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    dist += Math.abs(i / n - j / m) * (v - prev);
    prev = v;
    while (i < n && a[i]! <= v) i++;
    while (j < m && b[j]! <= v) j++;
  }
  return dist;
}

/** Population standard deviation (ddof = 0) of the non-missing values. */
export function stdDev(x: ArrayLike<number>): number {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (Number.isNaN(v)) continue;
    n++;
    const d = v - mean;
    mean += d / n;
    m2 += d * (v - mean);
  }
  return n ? Math.sqrt(m2 / n) : NaN;
}

function normalised(p: ArrayLike<number>): Float64Array {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    if (!(p[i]! >= 0)) throw new RangeError(`a distribution has a negative or missing weight: ${p[i]}`);
    s += p[i]!;
  }
  if (!(s > 0)) throw new RangeError('a distribution has no mass');
  return Float64Array.from(p, (v) => v / s);
}

function relEntr(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y);
  if (x === 0 && y >= 0) return 0;
  return Infinity;
}

export function jensenShannon(p: ArrayLike<number>, q: ArrayLike<number>): number {
  if (p.length !== q.length) throw new RangeError('jensenShannon: distributions of different lengths');
  const a = normalised(p);
  const b = normalised(q);
  let left = 0;
  let right = 0;
  for (let i = 0; i < a.length; i++) {
    const m = (a[i]! + b[i]!) / 2;
    left += relEntr(a[i]!, m);
    right += relEntr(b[i]!, m);
  }
  return Math.sqrt(Math.max(0, (left + right) / 2));
}

export function psi(expected: ArrayLike<number>, actual: ArrayLike<number>, epsilon = 1e-4): number {
  if (expected.length !== actual.length) throw new RangeError('psi: distributions of different lengths');
  const e = normalised(expected);
  const a = normalised(actual);
  let s = 0;
  for (let i = 0; i < e.length; i++) {
    const ei = e[i]! || epsilon;
    const ai = a[i]! || epsilon;
    s += (ai - ei) * Math.log(ai / ei);
  }
  return s;
}
