/**
 * The beeswarm's colours (issue 18): each sampled row's value, per column, as the bin of its rank among
 * the column's known values — 0 (lowest) … BINS − 1 (highest), BINS for a missing value. Computed
 * once per stored view in the explain-parse worker (workers/explain-parse.worker.ts), so the page only
 * reads a Uint8Array per column; the page computes them itself for a view it did not parse there.
 */

/** Colour bins from low (blue) to high (red); the bin `COLOUR_BINS` is "missing" (grey). */
export const COLOUR_BINS = 9;

/**
 * Per value: its rank's bin. The rank of v is (known values < v) / (known values − 1), in [0, 1] (one or
 * no known value: 0.5); the bin is ⌊rank × bins⌋, the highest value in the last bin.
 */
export function colourBins(values: ArrayLike<number | null>, bins = COLOUR_BINS): Uint8Array {
  const n = values.length;
  let k = 0;
  const known = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v !== null && v !== undefined && !Number.isNaN(v)) known[k++] = v;
  }
  // a typed array's numeric sort (no comparator calls)
  const sorted = known.subarray(0, k).sort();
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined || Number.isNaN(v)) {
      out[i] = bins;
      continue;
    }
    let r: number;
    if (k < 2) r = 0.5;
    else {
      let lo = 0;
      let hi = k;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sorted[mid]! < v) lo = mid + 1;
        else hi = mid;
      }
      r = lo / (k - 1);
    }
    out[i] = Math.min(bins - 1, Math.floor(r * bins));
  }
  return out;
}
