/**
 * Association measures between two columns, on typed arrays, using the rows where both are present:
 * - Pearson r for numeric × numeric (centred two-pass sums);
 * - Cramér's V for categorical × categorical, bias-corrected by default (Bergsma 2013);
 * - correlation ratio η for numeric × categorical: √(between-group SS / total SS).
 * Each returns NaN when undefined (fewer than 2 complete rows, or a side without variation).
 * Numeric missing = NaN; categorical codes are 0..k−1 with −1 = missing.
 */

export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (y.length !== n) throw new Error(`pearson: arrays differ in length (${n} vs ${y.length})`);
  let m = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    const a = x[i];
    const b = y[i];
    if (a !== a || b !== b) continue;
    m++;
    sx += a;
    sy += b;
  }
  if (m < 2) return NaN;
  const mx = sx / m;
  const my = sy / m;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const a = x[i];
    const b = y[i];
    if (a !== a || b !== b) continue;
    const dx = a - mx;
    const dy = b - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  if (!(sxx > 0 && syy > 0)) return NaN;
  return clamp(sxy / Math.sqrt(sxx * syy), -1, 1);
}

/** Contingency counts (row-major, ka × kb) of two code arrays over rows where both are present. */
export function contingency(a: Int32Array, ka: number, b: Int32Array, kb: number): Float64Array {
  if (a.length !== b.length)
    throw new Error(`contingency: arrays differ in length (${a.length} vs ${b.length})`);
  const t = new Float64Array(ka * kb);
  for (let i = 0; i < a.length; i++) {
    const u = a[i];
    const v = b[i];
    if (u < 0 || v < 0) continue;
    t[u * kb + v]++;
  }
  return t;
}

/**
 * Cramér's V from a contingency table of counts (rows × cols, row-major). Empty rows and columns
 * are ignored. With `biasCorrected`: φ²₊ = max(0, φ² − (k−1)(r−1)/(n−1)), r̃ = r − (r−1)²/(n−1),
 * k̃ = k − (k−1)²/(n−1), V = √(φ²₊ / min(k̃−1, r̃−1)).
 */
export function cramersVFromCounts(
  counts: ArrayLike<number>,
  rows: number,
  cols: number,
  biasCorrected = true,
): number {
  if (counts.length !== rows * cols) {
    throw new Error(`cramersV: expected ${rows}×${cols} = ${rows * cols} counts, got ${counts.length}`);
  }
  const rs = new Float64Array(rows);
  const cs = new Float64Array(cols);
  let n = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const c = counts[i * cols + j];
      rs[i] += c;
      cs[j] += c;
      n += c;
    }
  }
  let r = 0;
  let k = 0;
  for (let i = 0; i < rows; i++) if (rs[i] > 0) r++;
  for (let j = 0; j < cols; j++) if (cs[j] > 0) k++;
  if (n < 2 || r < 2 || k < 2) return NaN;
  let chi2 = 0;
  for (let i = 0; i < rows; i++) {
    if (rs[i] === 0) continue;
    for (let j = 0; j < cols; j++) {
      if (cs[j] === 0) continue;
      const e = (rs[i] * cs[j]) / n;
      const d = counts[i * cols + j] - e;
      chi2 += (d * d) / e;
    }
  }
  const phi2 = chi2 / n;
  if (!biasCorrected) return clamp(Math.sqrt(phi2 / (Math.min(r, k) - 1)), 0, 1);
  const phi2c = Math.max(0, phi2 - ((k - 1) * (r - 1)) / (n - 1));
  const rc = r - ((r - 1) * (r - 1)) / (n - 1);
  const kc = k - ((k - 1) * (k - 1)) / (n - 1);
  const denom = Math.min(kc - 1, rc - 1);
  if (!(denom > 0)) return NaN;
  return clamp(Math.sqrt(phi2c / denom), 0, 1);
}

export function cramersV(a: Int32Array, ka: number, b: Int32Array, kb: number, biasCorrected = true): number {
  return cramersVFromCounts(contingency(a, ka, b, kb), ka, kb, biasCorrected);
}

/** Correlation ratio η of numeric `x` grouped by `codes` (0..k−1, −1 missing). */
export function correlationRatio(x: ArrayLike<number>, codes: Int32Array, k: number): number {
  const n = x.length;
  if (codes.length !== n)
    throw new Error(`correlationRatio: arrays differ in length (${n} vs ${codes.length})`);
  const sums = new Float64Array(k);
  const counts = new Float64Array(k);
  let m = 0;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    const c = codes[i];
    if (v !== v || c < 0) continue;
    sums[c] += v;
    counts[c]++;
    m++;
    s += v;
  }
  if (m < 2) return NaN;
  const mean = s / m;
  let sst = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    if (v !== v || codes[i] < 0) continue;
    const d = v - mean;
    sst += d * d;
  }
  if (!(sst > 0)) return NaN;
  let ssb = 0;
  for (let g = 0; g < k; g++) {
    if (counts[g] === 0) continue;
    const d = sums[g] / counts[g] - mean;
    ssb += counts[g] * d * d;
  }
  return clamp(Math.sqrt(ssb / sst), 0, 1);
}

/**
 * How purely the levels of a categorical feature map to single target classes, over the levels
 * seen at least twice: `purity` is the share of those rows whose class is their level's majority
 * class, `coverage` the share of complete rows they make up, `levels` how many such levels there are.
 */
export function levelPurity(
  feature: Int32Array,
  kf: number,
  target: Int32Array,
  kt: number,
): { purity: number; coverage: number; levels: number } {
  const t = contingency(feature, kf, target, kt);
  let total = 0;
  let covered = 0;
  let pure = 0;
  let levels = 0;
  for (let f = 0; f < kf; f++) {
    let sum = 0;
    let best = 0;
    for (let c = 0; c < kt; c++) {
      const v = t[f * kt + c];
      sum += v;
      if (v > best) best = v;
    }
    total += sum;
    if (sum < 2) continue;
    levels++;
    covered += sum;
    pure += best;
  }
  return {
    purity: covered === 0 ? NaN : pure / covered,
    coverage: total === 0 ? 0 : covered / total,
    levels,
  };
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
