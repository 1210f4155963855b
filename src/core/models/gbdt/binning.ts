/**
 * Bin mapper: numeric features → quantile bins (≤ 255 value bins, edges from a seeded row sample on
 * large data); categorical features → one bin per category (the most frequent ones when there are more
 * than fit, the rest share an "other" bin). Bin 0 of every feature holds missing values.
 *
 * Training bins the data column-major (binColumns: sequential writes, and what the row partition reads);
 * the grow kernel (grow-kernel.ts) transposes it once into row-major global bin indices for the histogram
 * builder (histogram.ts), which walks the rows of a node and touches every feature of a row in one cache
 * line (measured faster than column-major in bench/gbdt/layout.ts). binMatrix gives the row-major
 * Uint8Array.
 */
import type { FeatureMatrix } from '../types.ts';
import { createRng } from '../../util/random.ts';
import { KERNEL_BASE, createKernels } from './wasm/kernels.ts';
import type { Kernels } from './wasm/kernels.ts';

export interface FeatureBins {
  readonly categorical: boolean;
  /** Value bins, excluding the missing bin 0. Values occupy bins 1..nBins. */
  readonly nBins: number;
  /** Numeric: nBins-1 increasing upper bounds; value x goes to bin 1 + #{cuts < x}. */
  readonly cuts: Float64Array;
  /** Categorical: category code → bin (1..nBins); 0 for codes never seen in training. */
  readonly catToBin: Int32Array;
}

export interface BinMapper {
  readonly features: readonly FeatureBins[];
  /** Start of each feature's bins (missing bin first) in a histogram; length nFeatures + 1. */
  readonly offsets: Int32Array;
  readonly totalBins: number;
}

const EMPTY_F64 = new Float64Array(0);
const EMPTY_I32 = new Int32Array(0);

export function makeMapper(features: readonly FeatureBins[]): BinMapper {
  const offsets = new Int32Array(features.length + 1);
  for (let f = 0; f < features.length; f++) offsets[f + 1] = offsets[f] + features[f].nBins + 1;
  return { features, offsets, totalBins: offsets[features.length] };
}

/** Rows used to find bin edges: all rows, or a seeded sample of `sampleSize` (sorted). */
function sampleRows(n: number, sampleSize: number, seed: number): Int32Array | null {
  if (n <= sampleSize) return null;
  const rng = createRng(seed ^ 0x5bd1e995);
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = 0; i < sampleSize; i++) {
    const j = i + rng.int(n - i);
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  return perm.subarray(0, sampleSize).sort();
}

/* Loops live in small functions of their own: V8 compiles a long-running loop on-stack (OSR) before the
 * code after it has run, and that code then deoptimises for lack of type feedback (costly on a cold
 * start, where binning runs once per feature). */

/** Distinct values of sorted `values` into uniq, their counts into counts; returns how many. */
function distinctSorted(values: Float64Array, uniq: Float64Array, counts: Float64Array): number {
  const n = values.length;
  let u = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (u > 0 && uniq[u - 1] === v) counts[u - 1]++;
    else {
      uniq[u] = v;
      counts[u] = 1;
      u++;
    }
  }
  return u;
}

function midpoint(a: number, b: number): number {
  const m = a + (b - a) / 2;
  return m >= b || !Number.isFinite(m) ? a : m;
}

/** Greedy equal-frequency bins over distinct values (values heavier than a bin get their own). */
function equalFrequencyCuts(
  uniq: Float64Array,
  counts: Float64Array,
  nu: number,
  n: number,
  maxBins: number,
  cuts: Float64Array,
): number {
  let nc = 0;
  let remaining = n;
  let binsLeft = maxBins;
  let acc = 0;
  for (let i = 0; i + 1 < nu && binsLeft > 1; i++) {
    acc += counts[i];
    const target = remaining / binsLeft;
    // Close the bin when full, or early when the next value alone would overflow it badly.
    if (acc >= target || (acc > 0 && acc + counts[i + 1] > 1.5 * target && acc >= 0.5 * target)) {
      cuts[nc++] = midpoint(uniq[i], uniq[i + 1]);
      remaining -= acc;
      binsLeft--;
      acc = 0;
    }
  }
  return nc;
}

/** values: non-missing, sorted ascending; uniq, counts: scratch of at least values.length (allocated
 * once per fit, not per feature). */
function numericBins(
  values: Float64Array,
  maxBins: number,
  uniq: Float64Array,
  counts: Float64Array,
): FeatureBins {
  const n = values.length;
  if (n === 0) return { categorical: false, nBins: 0, cuts: EMPTY_F64, catToBin: EMPTY_I32 };
  const nu = distinctSorted(values, uniq, counts);
  const cuts = new Float64Array(Math.min(nu, maxBins));
  let nc = 0;
  if (nu <= maxBins) {
    for (let i = 0; i + 1 < nu; i++) cuts[nc++] = midpoint(uniq[i], uniq[i + 1]);
  } else nc = equalFrequencyCuts(uniq, counts, nu, n, maxBins, cuts);
  return { categorical: false, nBins: nc + 1, cuts: cuts.slice(0, nc), catToBin: EMPTY_I32 };
}

function countCodes(codes: Float64Array, counts: Float64Array): void {
  for (let i = 0; i < codes.length; i++) counts[codes[i]]++;
}

function categoricalBins(codes: Float64Array, nCategories: number, maxBins: number): FeatureBins {
  const counts = new Float64Array(nCategories);
  countCodes(codes, counts);
  return categoricalBinsOf(counts, nCategories, maxBins);
}

/** categoricalBins from the category counts. */
function categoricalBinsOf(counts: Float64Array, nCategories: number, maxBins: number): FeatureBins {
  const seen: number[] = [];
  for (let c = 0; c < nCategories; c++) if (counts[c] > 0) seen.push(c);
  const catToBin = new Int32Array(nCategories);
  if (seen.length <= maxBins) {
    seen.forEach((c, i) => (catToBin[c] = i + 1));
    return { categorical: true, nBins: seen.length, cuts: EMPTY_F64, catToBin };
  }
  // High cardinality: the maxBins-1 most frequent categories keep a bin; the rest share "other".
  const byFreq = seen.slice().sort((a, b) => counts[b] - counts[a] || a - b);
  const kept = byFreq.slice(0, maxBins - 1).sort((a, b) => a - b);
  kept.forEach((c, i) => (catToBin[c] = i + 1));
  for (const c of byFreq.slice(maxBins - 1)) catToBin[c] = maxBins;
  return { categorical: true, nBins: maxBins, cuts: EMPTY_F64, catToBin };
}

export function isMissingCategory(x: number): boolean {
  return !(x >= 0);
}

/** Non-missing values of a column (rows: the sample, or null for all m rows) into buf; returns how many. */
function gatherNumbers(
  data: Float32Array | Float64Array,
  base: number,
  rows: Int32Array | null,
  m: number,
  buf: Float64Array,
): number {
  let k = 0;
  for (let i = 0; i < m; i++) {
    const v = data[base + (rows ? rows[i] : i)];
    if (v === v) buf[k++] = v;
  }
  return k;
}

function gatherCodes(
  data: Float32Array | Float64Array,
  base: number,
  rows: Int32Array | null,
  m: number,
  buf: Float64Array,
): number {
  let k = 0;
  for (let i = 0; i < m; i++) {
    const v = data[base + (rows ? rows[i] : i)];
    if (!isMissingCategory(v)) buf[k++] = Math.floor(v);
  }
  return k;
}

/** Largest of `vals` and `init` (a function of its own: a loop inside fitBinMapper got compiled on-stack
 * while binning a categorical column and deoptimised at the next numeric one). */
function maxOf(vals: Float64Array, init: number): number {
  let m = init;
  for (let i = 0; i < vals.length; i++) if (vals[i] > m) m = vals[i];
  return m;
}

/** Fits the bin edges / category bins on X (a seeded sample of rows when large). */
export function fitBinMapper(X: FeatureMatrix, maxBins: number, sampleSize: number, seed: number): BinMapper {
  const n = X.nRows;
  const rows = sampleRows(n, sampleSize, seed);
  const m = rows ? rows.length : n;
  const features: FeatureBins[] = [];
  const buf = new Float64Array(m);
  const uniq = new Float64Array(m);
  const counts = new Float64Array(m);
  const bk = rows === null && m > 0 ? binKernels(m, maxBins) : null;
  for (let f = 0; f < X.nCols; f++) {
    const base = f * n;
    const cat = X.categorical?.[f] === true;
    if (bk !== null) {
      const fb = cat ? wasmCategoricalBins(bk, X, f, maxBins) : wasmNumericBins(bk, X, f, maxBins);
      if (fb !== null) {
        features.push(fb);
        continue;
      }
    }
    const k = cat ? gatherCodes(X.data, base, rows, m, buf) : gatherNumbers(X.data, base, rows, m, buf);
    const vals = buf.subarray(0, k);
    if (cat) {
      const nCat = Math.max(X.nCategories?.[f] ?? 0, maxOf(vals, -1) + 1);
      features.push(categoricalBins(vals, nCat, maxBins));
    } else {
      sortFloats(vals);
      features.push(numericBins(vals, maxBins, uniq, counts));
    }
  }
  return makeMapper(features);
}

/* Binning statistics with the WebAssembly kernels (fast from the first column, where these loops ran
 * unoptimised: most of binning's cost in a cold fit). Same results, bit for bit; the sort stays the
 * built-in one (native code). */
const CAT_COUNTS_MAX = 1 << 16;

interface BinKernels {
  readonly kern: Kernels;
  /** Memory layout (f64 arrays): column[n] | vals[n] | uniq[n] | counts[max(n, CAT_COUNTS_MAX)] | cuts[maxBins]. */
  readonly column: Float64Array;
  readonly vals: Float64Array;
  readonly pVals: number;
  readonly pUniq: number;
  readonly pCounts: number;
  readonly pCuts: number;
}

/** Kernels for binning the n rows of X, or null (no WebAssembly). */
function binKernels(n: number, maxBins: number): BinKernels | null {
  const pVals = KERNEL_BASE + 8 * n;
  const pUniq = pVals + 8 * n;
  const pCounts = pUniq + 8 * n;
  const pCuts = pCounts + 8 * Math.max(n, CAT_COUNTS_MAX);
  const kern = createKernels(pCuts + 8 * maxBins);
  if (kern === null) return null;
  const buf = kern.memory.buffer;
  const column = new Float64Array(buf, KERNEL_BASE, n);
  return { kern, column, vals: new Float64Array(buf, pVals, n), pVals, pUniq, pCounts, pCuts };
}

/** categoricalBins of column f (all rows) with the kernels, or null when its codes do not fit them. */
function wasmCategoricalBins(
  b: BinKernels,
  X: FeatureMatrix,
  f: number,
  maxBins: number,
): FeatureBins | null {
  const n = X.nRows;
  b.column.set(X.data.subarray(f * n, (f + 1) * n));
  const k = b.kern.k;
  const nCat = Math.max(X.nCategories?.[f] ?? 0, k.catMax(KERNEL_BASE, n) + 1);
  if (!(nCat <= CAT_COUNTS_MAX)) return null;
  const counts = new Float64Array(b.kern.memory.buffer, b.pCounts, nCat);
  counts.fill(0);
  k.catCount(KERNEL_BASE, n, b.pCounts);
  return categoricalBinsOf(counts, nCat, maxBins); // counts is only read during the call
}

/** numericBins of column f (all rows) with the kernels. */
function wasmNumericBins(b: BinKernels, X: FeatureMatrix, f: number, maxBins: number): FeatureBins {
  const n = X.nRows;
  b.column.set(X.data.subarray(f * n, (f + 1) * n));
  const k = b.kern.k;
  const m = k.gatherNumbers(KERNEL_BASE, n, b.pVals);
  if (m === 0) return { categorical: false, nBins: 0, cuts: EMPTY_F64, catToBin: EMPTY_I32 };
  sortFloats(b.vals.subarray(0, m));
  const nu = k.distinctSorted(b.pVals, m, b.pUniq, b.pCounts);
  const nc = k.numericCuts(b.pUniq, b.pCounts, nu, m, maxBins, b.pCuts);
  const cuts = new Float64Array(b.kern.memory.buffer, b.pCuts, nc).slice();
  return { categorical: false, nBins: nc + 1, cuts, catToBin: EMPTY_I32 };
}

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * Sorts non-NaN values ascending, in the order of Float64Array.prototype.sort (-0 before +0). Large
 * inputs: LSD radix sort, 8 bits a pass, on order-preserving transforms of the IEEE bits (faster than the
 * built-in sort once JIT-compiled). Below RADIX_MIN the built-in sort (native code) wins: a fit sorts
 * each column once, so the radix loops run mostly unoptimised there (measured in fresh processes: 9
 * telco columns of 5.6k values 2 ms native vs 15 ms radix; 6 diamonds columns of 43k 13 vs 25 ms;
 * crossover near 50k values).
 */
const RADIX_MIN = 65536;

export function sortFloats(a: Float64Array): void {
  const n = a.length;
  if (n < RADIX_MIN || !LITTLE_ENDIAN || a.byteOffset % 4 !== 0) {
    a.sort();
    return;
  }
  const u = new Uint32Array(a.buffer, a.byteOffset, 2 * n);
  let lo = new Uint32Array(n);
  let hi = new Uint32Array(n);
  toSortKeys(u, lo, hi, n);
  let lo2 = new Uint32Array(n);
  let hi2 = new Uint32Array(n);
  const count = new Int32Array(256);
  for (let pass = 0; pass < 8; pass++) {
    const word = pass < 4 ? lo : hi;
    const shift = (pass & 3) * 8;
    if (!radixCount(word, shift, n, count)) continue; // every key has the same digit
    radixScatter(word, shift, n, count, lo, hi, lo2, hi2);
    const tl = lo;
    lo = lo2;
    lo2 = tl;
    const th = hi;
    hi = hi2;
    hi2 = th;
  }
  fromSortKeys(u, lo, hi, n);
}

function toSortKeys(u: Uint32Array, lo: Uint32Array, hi: Uint32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const h = u[2 * i + 1];
    const l = u[2 * i];
    if (h >= 0x80000000) {
      hi[i] = ~h >>> 0;
      lo[i] = ~l >>> 0;
    } else {
      hi[i] = (h | 0x80000000) >>> 0;
      lo[i] = l;
    }
  }
}

function fromSortKeys(u: Uint32Array, lo: Uint32Array, hi: Uint32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const h = hi[i];
    if (h >= 0x80000000) {
      u[2 * i + 1] = h & 0x7fffffff;
      u[2 * i] = lo[i];
    } else {
      u[2 * i + 1] = ~h >>> 0;
      u[2 * i] = ~lo[i] >>> 0;
    }
  }
}

/** Digit counts turned into start offsets; false when one digit holds every key (nothing to do). */
function radixCount(word: Uint32Array, shift: number, n: number, count: Int32Array): boolean {
  count.fill(0);
  for (let i = 0; i < n; i++) count[(word[i] >>> shift) & 255]++;
  let acc = 0;
  for (let d = 0; d < 256; d++) {
    const c = count[d];
    if (c === n) return false;
    count[d] = acc;
    acc += c;
  }
  return true;
}

function radixScatter(
  word: Uint32Array,
  shift: number,
  n: number,
  start: Int32Array,
  lo: Uint32Array,
  hi: Uint32Array,
  lo2: Uint32Array,
  hi2: Uint32Array,
): void {
  for (let i = 0; i < n; i++) {
    const j = start[(word[i] >>> shift) & 255]++;
    lo2[j] = lo[i];
    hi2[j] = hi[i];
  }
}

/** Lower-bound binary search: number of cuts strictly below x. */
export function numericBin(cuts: Float64Array, x: number): number {
  return lowerBound(cuts, 0, cuts.length, x) + 1;
}

/** First index in [lo, hi) whose cut is >= x (cuts ascending). */
function lowerBound(cuts: Float64Array, lo: number, hi: number, x: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cuts[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Bins X into a row-major Uint8Array (nRows × nFeatures: row r, feature f at r * nFeatures + f). */
export function binMatrix(mapper: BinMapper, X: FeatureMatrix): Uint8Array {
  return binInto(mapper, X, false);
}

/**
 * Bins X column-major (feature f, row r at f * nRows + r): what training uses. Writes are sequential
 * (row-major binning writes with a stride of nFeatures), and the grow kernel derives its row-major
 * global-bin matrix from it in one pass.
 */
export function binColumns(mapper: BinMapper, X: FeatureMatrix): Uint8Array {
  return binInto(mapper, X, true);
}

function binInto(mapper: BinMapper, X: FeatureMatrix, columnMajor: boolean): Uint8Array {
  const n = X.nRows;
  const F = mapper.features.length;
  if (X.nCols !== F) throw new Error(`bin mapper has ${F} features, matrix has ${X.nCols}`);
  const out = new Uint8Array(n * F);
  const stride = columnMajor ? 1 : F;
  for (let f = 0; f < F; f++) {
    const fb = mapper.features[f];
    const o = columnMajor ? f * n : f;
    if (fb.categorical) binCategorical(X.data, f * n, n, fb.catToBin, out, o, stride);
    else if (fb.nBins > 0) binNumeric(X.data, f * n, n, fb.cuts, out, o, stride);
  }
  return out;
}

/* The binning kernels write value i's bin to out[o + i * stride] (one function for both layouts keeps
 * them monomorphic and warm across features). */
function binCategorical(
  data: Float32Array | Float64Array,
  base: number,
  n: number,
  map: Int32Array,
  out: Uint8Array,
  o: number,
  stride: number,
): void {
  for (let i = 0; i < n; i++) {
    const v = data[base + i];
    const c = Math.floor(v);
    out[o + i * stride] = v >= 0 && c < map.length ? map[c] : 0;
  }
}

function binNumeric(
  data: Float32Array | Float64Array,
  base: number,
  n: number,
  cuts: Float64Array,
  out: Uint8Array,
  o: number,
  stride: number,
): void {
  const nc = cuts.length;
  const lo0 = nc > 0 ? cuts[0] : 0;
  const scale = nc >= 16 ? (4 * nc) / (cuts[nc - 1] - lo0) : 0;
  if (!(scale > 0 && scale < Infinity)) binNumericSearch(data, base, n, cuts, out, o, stride);
  else {
    const B = 4 * nc;
    binNumericBuckets(data, base, n, cuts, out, o, stride, lo0, scale, B, bucketStarts(cuts, lo0, scale, B));
  }
}

/* The two loops of binNumeric are functions of their own (ending with their loop): compiled on-stack
 * while binning one feature, code around them deoptimised at the next feature that took the other path. */

function binNumericSearch(
  data: Float32Array | Float64Array,
  base: number,
  n: number,
  cuts: Float64Array,
  out: Uint8Array,
  o: number,
  stride: number,
): void {
  for (let i = 0; i < n; i++) {
    const v = data[base + i];
    out[o + i * stride] = v === v ? numericBin(cuts, v) : 0;
  }
}

/**
 * Bucket table: value v → bucket floor((v - cuts[0]) * scale) (monotonic in v), start[b] = first cut in
 * bucket >= b. Cuts in lower buckets are < v, cuts in higher buckets > v: only v's own bucket is
 * searched, so the bin is exactly numericBin's.
 */
function binNumericBuckets(
  data: Float32Array | Float64Array,
  base: number,
  n: number,
  cuts: Float64Array,
  out: Uint8Array,
  o: number,
  stride: number,
  lo0: number,
  scale: number,
  B: number,
  start: Int32Array,
): void {
  for (let i = 0; i < n; i++) {
    const v = data[base + i];
    let bin = 0;
    if (v === v) {
      const t = Math.floor((v - lo0) * scale);
      const b = t < 0 ? 0 : t > B ? B : t;
      let k = start[b];
      const e = start[b + 1];
      if (e - k > 8) k = lowerBound(cuts, k, e, v);
      else while (k < e && cuts[k] < v) k++;
      bin = k + 1;
    }
    out[o + i * stride] = bin;
  }
}

function bucketStarts(cuts: Float64Array, lo0: number, scale: number, B: number): Int32Array {
  const nc = cuts.length;
  const start = new Int32Array(B + 2);
  let k = 0;
  for (let b = 0; b <= B + 1; b++) {
    while (k < nc && bucketOf(cuts[k], lo0, scale, B) < b) k++;
    start[b] = k;
  }
  return start;
}

function bucketOf(v: number, lo0: number, scale: number, B: number): number {
  const t = Math.floor((v - lo0) * scale);
  return t < 0 ? 0 : t > B ? B : t;
}

export interface SerializedFeatureBins {
  categorical: boolean;
  nBins: number;
  cuts?: number[];
  catToBin?: number[];
}

export function serializeMapper(m: BinMapper): SerializedFeatureBins[] {
  return m.features.map((f) =>
    f.categorical
      ? { categorical: true, nBins: f.nBins, catToBin: Array.from(f.catToBin) }
      : { categorical: false, nBins: f.nBins, cuts: Array.from(f.cuts) },
  );
}

export function deserializeMapper(s: SerializedFeatureBins[]): BinMapper {
  return makeMapper(
    s.map((f) => ({
      categorical: f.categorical,
      nBins: f.nBins,
      cuts: f.cuts ? Float64Array.from(f.cuts) : EMPTY_F64,
      catToBin: f.catToBin ? Int32Array.from(f.catToBin) : EMPTY_I32,
    })),
  );
}
