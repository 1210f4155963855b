/**
 * Fast ascending sort of a Float64Array without NaN (callers drop missing values first).
 *
 * `Float64Array#sort()` costs ~100 ms per million doubles in V8, too slow for profiling dozens of
 * columns of a million rows. Values that are all k-decimal numbers (k ≤ 4, as CSV data usually is)
 * within a modest range are counting-sorted; anything else goes through an LSD radix sort on the
 * high word of the IEEE-754 bits (three 11-bit digits; passes where every key has the same digit
 * are skipped), with ties on the high word finished by a comparison sort.
 * -0 is normalised to +0 so that equal numbers are adjacent. The result is exactly the multiset
 * of the input, in ascending order.
 */

/** Largest integer range (after scaling) handled by counting sort, unless n is larger. */
const COUNTING_RANGE = 1 << 20;
const SCALES = [1, 10, 100, 1000, 10000];

/** Sorts `values` in place and returns it. `values` must not contain NaN. */
export function sortFloat64(values: Float64Array, scratch: SortScratch = {}): Float64Array {
  const n = values.length;
  let min = Infinity;
  let max = -Infinity;
  let scaleIdx = 0; // index into SCALES, or SCALES.length when no scale fits
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === 0) values[i] = 0; // -0 → +0
    if (v < min) min = v;
    if (v > max) max = v;
    while (scaleIdx < SCALES.length) {
      const s = SCALES[scaleIdx];
      if (Math.round(v * s) / s === v) break;
      scaleIdx++;
    }
  }
  if (n < 2) return values;
  if (scaleIdx < SCALES.length && Number.isFinite(min) && Number.isFinite(max)) {
    const s = SCALES[scaleIdx];
    const lo = Math.round(min * s);
    const range = Math.round(max * s) - lo + 1;
    if (range <= Math.max(COUNTING_RANGE, n)) return countingSort(values, s, lo, range);
  }
  if (n < 256) return values.sort();
  return radixSort(values, scratch);
}

function countingSort(values: Float64Array, scale: number, lo: number, range: number): Float64Array {
  const counts = new Uint32Array(range);
  const n = values.length;
  for (let i = 0; i < n; i++) counts[Math.round(values[i] * scale) - lo]++;
  let k = 0;
  for (let r = 0; r < range; r++) {
    const c = counts[r];
    if (c === 0) continue;
    // Same expression as the fit test in sortFloat64, so the double is reproduced exactly.
    values.fill((r + lo) / scale, k, k + c);
    k += c;
  }
  return values;
}

const BITS = 11;
const RADIX = 1 << BITS;
const MASK = RADIX - 1;

/** Reusable buffers for sorting many columns of the same length. */
export interface SortScratch {
  keys?: Uint32Array;
  keys2?: Uint32Array;
  vals2?: Float64Array;
}

/**
 * LSD radix sort on the high 32 bits of the order-preserving key (sign, exponent and top 20
 * mantissa bits; three 11-bit passes), moving the doubles along; runs sharing a high word are
 * then finished by insertion sort (or the built-in sort for long runs).
 */
function radixSort(values: Float64Array, scratch: SortScratch): Float64Array {
  const n = values.length;
  // Little-endian layout (every browser and Node target): word 2i+1 is the high half.
  const words = new Uint32Array(values.buffer, values.byteOffset, n * 2);
  if (!scratch.keys || scratch.keys.length < n) {
    scratch.keys = new Uint32Array(n);
    scratch.keys2 = new Uint32Array(n);
    scratch.vals2 = new Float64Array(n);
  }
  let k1 = scratch.keys.subarray(0, n);
  let k2 = scratch.keys2!.subarray(0, n);
  let v1 = values;
  let v2 = scratch.vals2!.subarray(0, n);
  const hist = new Uint32Array(3 * RADIX);
  for (let i = 0; i < n; i++) {
    const w = words[2 * i + 1];
    // Order-preserving map: negative numbers flip all bits, positive ones flip the sign bit.
    const h = w & 0x80000000 ? ~w >>> 0 : (w | 0x80000000) >>> 0;
    k1[i] = h;
    hist[h & MASK]++;
    hist[RADIX + ((h >>> BITS) & MASK)]++;
    hist[2 * RADIX + (h >>> (2 * BITS))]++;
  }
  let swapped = false;
  for (let pass = 0; pass < 3; pass++) {
    const base = pass * RADIX;
    let skip = false;
    for (let d = 0; d < RADIX; d++) {
      const c = hist[base + d];
      if (c === n) skip = true;
      if (c !== 0) break;
    }
    if (skip) continue;
    let sum = 0;
    for (let d = 0; d < RADIX; d++) {
      const c = hist[base + d];
      hist[base + d] = sum;
      sum += c;
    }
    const shift = pass * BITS;
    for (let i = 0; i < n; i++) {
      const k = k1[i];
      const pos = hist[base + ((k >>> shift) & MASK)]++;
      k2[pos] = k;
      v2[pos] = v1[i];
    }
    const tk = k1;
    k1 = k2;
    k2 = tk;
    const tv = v1;
    v1 = v2;
    v2 = tv;
    swapped = !swapped;
  }
  for (let i = 0; i < n;) {
    const k = k1[i];
    let j = i + 1;
    while (j < n && k1[j] === k) j++;
    if (j - i > 16) v1.subarray(i, j).sort();
    else if (j - i > 1) {
      for (let a = i + 1; a < j; a++) {
        const v = v1[a];
        let b = a - 1;
        while (b >= i && v1[b] > v) {
          v1[b + 1] = v1[b];
          b--;
        }
        v1[b + 1] = v;
      }
    }
    i = j;
  }
  if (swapped) values.set(v1);
  return values;
}
