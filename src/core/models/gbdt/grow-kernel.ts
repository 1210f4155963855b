/**
 * The grow kernel: where a tree's rows, gradient pairs, bins and histograms live, and the loops over rows
 * the grower runs (histograms, subtraction, row partition, leaf values into the margins). One interface,
 * two implementations that give the same trees bit for bit (test/core/models/gbdt-wasm.test.ts):
 *
 * - `JsGrowKernel`: ordinary typed arrays and the JavaScript loops (histogram.ts and the row loops below),
 *   the fallback and the reference;
 * - `WasmGrowKernel`: the WebAssembly kernels (wasm/kernels.wat). Their memory holds the bins, the row
 *   lists, the gradient pairs of the tree being grown, the margins and a few histograms (the pool's first
 *   entries); JavaScript reads and writes the same data through views. A histogram outside that memory
 *   (more live ones than slots), or margins outside it, go through the JavaScript loops: same results.
 *   WebAssembly is fast from the first call, where the JavaScript loops first run unoptimised (most of a
 *   cold fit's extra time: telco_churn 0.175 → 0.105 s CPU).
 *
 * createGrowKernel picks WebAssembly when it is available (setWasmKernels, wasm/kernels.ts) and the bins
 * fit 16-bit global indices, else JavaScript.
 */
import type { BinMapper } from './binning.ts';
import { binColumns } from './binning.ts';
import type { FeatureMatrix } from '../types.ts';
import type { GrowParams } from './splitter.ts';
import { histStride } from './splitter.ts';
import {
  buildHist2,
  buildHist2All,
  buildHist3,
  buildHistG2,
  buildHistG2All,
  buildHistG3,
  subtractInto,
} from './histogram.ts';
import { KERNEL_BASE, createKernels } from './wasm/kernels.ts';
import type { KernelExports } from './wasm/kernels.ts';

const EMPTY_F64 = new Float64Array(0);
const EMPTY_U8 = new Uint8Array(0);

/**
 * What the grower needs from the memory its data lives in. Rows of a node are a contiguous range
 * idx[start..end) of the array rows() returns; histograms come from alloc() and go back by release().
 */
export interface GrowKernel {
  /** The column-major bins (binColumns of X), in the kernel's memory. */
  columnBins(): Uint8Array;
  /** The margins grow() adds leaf values to: a copy of `raw` in the kernel's memory (so that its loops add
   * them), or `raw` itself. */
  margins(raw: Float64Array): Float64Array;
  /** The targets for the objective's gradients: a copy of `y` in the kernel's memory (where its gradient
   * kernel reads them, with the margins and gradientPairs()), or `y`. */
  targets(y: Float64Array): Float64Array;
  /** An array for the gradient pairs of one group (2 per row): passing it back to grads() saves a copy
   * per tree. Not for values that must survive a grow(). */
  gradientPairs(): Float64Array;
  /** The tree's rows idxIn[0..m) where the kernel reads them: idxIn itself (then partitioned in place) or
   * a copy in its memory. */
  rows(idxIn: Int32Array, m: number): Int32Array;
  /** The tree's gradient pairs where the kernel reads them (ghIn itself or a copy). */
  grads(ghIn: Float64Array): Float64Array;
  /** Where leaf values go for the tree being grown: out[outOff + row]. */
  output(out: Float64Array, outOff: number): void;
  /** A histogram (zeroed by hist/rootHist before use). */
  alloc(): Float64Array;
  release(hist: Float64Array): void;
  /** hist = the histogram of the rows idx[0..m) of a tree's root. */
  rootHist(hist: Float64Array, idx: Int32Array, m: number, gh: Float64Array): void;
  /** hist = the histogram of the rows idx[start..end). */
  hist(hist: Float64Array, idx: Int32Array, start: number, end: number, gh: Float64Array): void;
  /** parent -= child (the subtraction trick: parent becomes the larger child's histogram). */
  subtract(parent: Float64Array, child: Float64Array): void;
  /** Lookup table bin → 1 when the bin goes left, for partition and addSplitValues (set by the grower). */
  readonly goLeft: Uint8Array;
  /** Stable partition of idx[start..end) by goLeft[bin of `feature`]; returns the first right position. */
  partition(idx: Int32Array, start: number, end: number, feature: number): number;
  /** Leaf value v to the output of the rows idx[start..end). */
  addValue(idx: Int32Array, start: number, end: number, v: number): void;
  /** A split into two leaves without partitioning: each row of idx[start..end) gets vL or vR by goLeft. */
  addSplitValues(idx: Int32Array, start: number, end: number, feature: number, vL: number, vR: number): void;
}

/** The kernel for a grower of X binned by `mapper`; marginLen: length of the margins trees add to, when
 * they may live in the kernel's memory (see margins()). */
export function createGrowKernel(
  mapper: BinMapper,
  X: FeatureMatrix,
  p: GrowParams,
  marginLen: number,
): GrowKernel {
  return WasmGrowKernel.create(mapper, X, p, marginLen) ?? new JsGrowKernel(mapper, X, p);
}

/** The JavaScript kernel: the reference and the fallback. */
export class JsGrowKernel implements GrowKernel {
  readonly goLeft = new Uint8Array(256);
  private readonly F: number;
  private readonly n: number;
  private readonly offsets: Int32Array;
  private readonly S: number;
  private readonly histLen: number;
  private readonly pool: Float64Array[] = [];
  private readonly colBins: Uint8Array;
  /** Global bin index per row and feature (offsets[f] + bin), or null when it does not fit 16 bits. */
  private readonly gbin: Uint16Array | null;
  /** Row-major bins, only when gbin is null (the histogram loops then add the offsets themselves). */
  private readonly bins: Uint8Array;
  private readonly scratch: Int32Array;
  private out: Float64Array = EMPTY_F64;
  private outOff = 0;

  constructor(mapper: BinMapper, X: FeatureMatrix, p: GrowParams) {
    const F = mapper.features.length;
    const n = X.nRows;
    this.F = F;
    this.n = n;
    this.offsets = mapper.offsets;
    this.S = histStride(p);
    this.histLen = mapper.totalBins * this.S;
    this.colBins = binColumns(mapper, X);
    this.gbin = mapper.totalBins <= 65536 ? globalBins(this.colBins, n, F, this.offsets) : null;
    this.scratch = new Int32Array(n);
    this.bins = this.gbin ? EMPTY_U8 : rowBins(this.colBins, n, F);
  }

  columnBins(): Uint8Array {
    return this.colBins;
  }
  margins(raw: Float64Array): Float64Array {
    return raw;
  }
  targets(y: Float64Array): Float64Array {
    return y;
  }
  gradientPairs(): Float64Array {
    return new Float64Array(2 * this.n);
  }
  rows(idxIn: Int32Array): Int32Array {
    return idxIn;
  }
  grads(ghIn: Float64Array): Float64Array {
    return ghIn;
  }
  output(out: Float64Array, outOff: number): void {
    this.out = out;
    this.outOff = outOff;
  }
  alloc(): Float64Array {
    return this.pool.pop() ?? new Float64Array(this.histLen);
  }
  release(hist: Float64Array): void {
    this.pool.push(hist);
  }

  rootHist(hist: Float64Array, idx: Int32Array, m: number, gh: Float64Array): void {
    if (this.S === 2 && m === this.n && idx[0] === 0 && idx[m - 1] === m - 1) {
      // idx is sorted and holds every row exactly once, so it is 0..n-1.
      if (this.gbin) buildHistG2All(hist, this.gbin, this.F, m, gh);
      else buildHist2All(hist, this.bins, this.F, this.offsets, m, gh);
    } else this.hist(hist, idx, 0, m, gh);
  }

  hist(hist: Float64Array, idx: Int32Array, start: number, end: number, gh: Float64Array): void {
    const gbin = this.gbin;
    if (gbin) {
      if (this.S === 2) buildHistG2(hist, gbin, this.F, idx, start, end, gh);
      else buildHistG3(hist, gbin, this.F, idx, start, end, gh);
    } else if (this.S === 2) buildHist2(hist, this.bins, this.F, this.offsets, idx, start, end, gh);
    else buildHist3(hist, this.bins, this.F, this.offsets, idx, start, end, gh);
  }

  subtract(parent: Float64Array, child: Float64Array): void {
    subtractInto(parent, child);
  }

  partition(idx: Int32Array, start: number, end: number, feature: number): number {
    return partition(idx, this.scratch, start, end, this.colBins, feature * this.n, this.goLeft);
  }

  addValue(idx: Int32Array, start: number, end: number, v: number): void {
    addValue(this.out, this.outOff, idx, start, end, v);
  }

  addSplitValues(idx: Int32Array, start: number, end: number, feature: number, vL: number, vR: number): void {
    const o = feature * this.n;
    addSplitValues(this.out, this.outOff, idx, start, end, this.colBins, o, this.goLeft, vL, vR);
  }
}

/** The WebAssembly kernel (wasm/kernels.wat); the pointers are byte offsets into its memory. */
export class WasmGrowKernel implements GrowKernel {
  readonly goLeft: Uint8Array;
  private readonly k: KernelExports;
  private readonly buf: ArrayBuffer;
  private readonly F: number;
  private readonly n: number;
  private readonly S: number;
  private readonly histLen: number;
  private readonly marginLen: number;
  private readonly pool: Float64Array[] = [];
  private readonly colBins: Uint8Array;
  private readonly gbin: Uint16Array;
  private readonly wIdx: Int32Array;
  private readonly wGh: Float64Array;
  private readonly wTargets: Float64Array;
  private readonly pGbin: number;
  private readonly pCol: number;
  private readonly pIdx: number;
  private readonly pScratch: number;
  private readonly pGh: number;
  private readonly pGoLeft: number;
  private readonly pMargins: number;
  private out: Float64Array = EMPTY_F64;
  private outOff = 0;
  /** Byte pointer of out[outOff] when `out` is in the kernel's memory (margins()), else -1. */
  private outPtr = -1;

  /** The kernel, or null when WebAssembly is off or unavailable, the bins do not fit 16-bit global
   * indices, or X is empty. */
  static create(
    mapper: BinMapper,
    X: FeatureMatrix,
    p: GrowParams,
    marginLen: number,
  ): WasmGrowKernel | null {
    const F = mapper.features.length;
    const n = X.nRows;
    if (!(mapper.totalBins <= 65536 && F > 0 && n > 0)) return null;
    const S = histStride(p);
    const histLen = mapper.totalBins * S;
    // Memory layout (bytes; after the kernels' constants at 0): offsets i32[F] | goLeft u8[256] |
    // targets f64[n] | col u8[n F] | gbin u16[n F] | idx i32[n] | scratch i32[n] | gh f64[2n] |
    // margins f64[marginLen] | histogram slots f64[histLen] each | aux (binning: a feature's cuts f64[nc]
    // and bucket table i32[4 nc + 2], or its category map i32; gh holds the column being binned).
    const nSlots = histSlots(p, histLen);
    const a8 = (x: number): number => (x + 7) & ~7;
    const pOffs = KERNEL_BASE;
    const pGoLeft = a8(pOffs + 4 * F);
    const pTargets = pGoLeft + 256;
    const pCol = pTargets + 8 * n;
    const pGbin = a8(pCol + n * F);
    const pIdx = a8(pGbin + 2 * n * F);
    const pScratch = pIdx + 4 * n;
    const pGh = a8(pScratch + 4 * n);
    const pMargins = pGh + 16 * n;
    const pHist = pMargins + 8 * marginLen;
    const pAux = pHist + nSlots * 8 * histLen;
    let aux = 0;
    for (const fb of mapper.features)
      aux = Math.max(aux, fb.categorical ? 4 * fb.catToBin.length : 24 * fb.cuts.length + 8);
    const wasm = createKernels(pAux + aux);
    if (!wasm) return null;
    const buf = wasm.memory.buffer;
    new Int32Array(buf, pOffs, F).set(mapper.offsets.subarray(0, F));
    wasmBinColumns(wasm.k, buf, mapper, X, pCol, pGh, pAux);
    wasm.k.globalBins(pCol, n, F, pOffs, pGbin);
    return new WasmGrowKernel(wasm.k, buf, {
      F,
      n,
      S,
      histLen,
      marginLen,
      nSlots,
      pGoLeft,
      pTargets,
      pCol,
      pGbin,
      pIdx,
      pScratch,
      pGh,
      pMargins,
      pHist,
    });
  }

  private constructor(
    k: KernelExports,
    buf: ArrayBuffer,
    l: {
      F: number;
      n: number;
      S: number;
      histLen: number;
      marginLen: number;
      nSlots: number;
      pGoLeft: number;
      pTargets: number;
      pCol: number;
      pGbin: number;
      pIdx: number;
      pScratch: number;
      pGh: number;
      pMargins: number;
      pHist: number;
    },
  ) {
    const { F, n } = l;
    this.k = k;
    this.buf = buf;
    this.F = F;
    this.n = n;
    this.S = l.S;
    this.histLen = l.histLen;
    this.marginLen = l.marginLen;
    this.colBins = new Uint8Array(buf, l.pCol, n * F);
    this.gbin = new Uint16Array(buf, l.pGbin, n * F);
    this.goLeft = new Uint8Array(buf, l.pGoLeft, 256);
    this.wIdx = new Int32Array(buf, l.pIdx, n);
    this.wGh = new Float64Array(buf, l.pGh, 2 * n);
    this.wTargets = new Float64Array(buf, l.pTargets, n);
    for (let i = l.nSlots - 1; i >= 0; i--)
      this.pool.push(new Float64Array(buf, l.pHist + i * 8 * l.histLen, l.histLen));
    this.pGbin = l.pGbin;
    this.pCol = l.pCol;
    this.pIdx = l.pIdx;
    this.pScratch = l.pScratch;
    this.pGh = l.pGh;
    this.pGoLeft = l.pGoLeft;
    this.pMargins = l.pMargins;
  }

  columnBins(): Uint8Array {
    return this.colBins;
  }

  margins(raw: Float64Array): Float64Array {
    if (raw.length !== this.marginLen) return raw;
    const m = new Float64Array(this.buf, this.pMargins, this.marginLen);
    m.set(raw);
    return m;
  }

  targets(y: Float64Array): Float64Array {
    if (y.length !== this.wTargets.length) return y;
    this.wTargets.set(y);
    return this.wTargets;
  }

  gradientPairs(): Float64Array {
    return this.wGh;
  }

  rows(idxIn: Int32Array, m: number): Int32Array {
    const idx = this.wIdx;
    idx.set(m === idxIn.length ? idxIn : idxIn.subarray(0, m));
    return idx;
  }

  grads(ghIn: Float64Array): Float64Array {
    // 2 values per row of the data.
    const gh = this.wGh;
    if (ghIn !== gh) gh.set(ghIn.length === gh.length ? ghIn : ghIn.subarray(0, gh.length));
    return gh;
  }

  output(out: Float64Array, outOff: number): void {
    this.out = out;
    this.outOff = outOff;
    this.outPtr = out.buffer === this.buf ? out.byteOffset + 8 * outOff : -1;
  }

  alloc(): Float64Array {
    return this.pool.pop() ?? new Float64Array(this.histLen);
  }
  release(hist: Float64Array): void {
    this.pool.push(hist);
  }

  rootHist(hist: Float64Array, idx: Int32Array, m: number, gh: Float64Array): void {
    this.hist(hist, idx, 0, m, gh);
  }

  /** idx and gh are the kernel's (rows(), grads()). */
  hist(hist: Float64Array, idx: Int32Array, start: number, end: number, gh: Float64Array): void {
    if (hist.buffer === this.buf) {
      const hb = hist.byteOffset;
      if (this.S === 2)
        this.k.hist2(hb, 8 * this.histLen, this.pGbin, this.F, this.pIdx, start, end, this.pGh);
      else this.k.hist3(hb, 8 * this.histLen, this.pGbin, this.F, this.pIdx, start, end, this.pGh);
    } else if (this.S === 2) buildHistG2(hist, this.gbin, this.F, idx, start, end, gh);
    else buildHistG3(hist, this.gbin, this.F, idx, start, end, gh);
  }

  subtract(parent: Float64Array, child: Float64Array): void {
    if (parent.buffer === this.buf && child.buffer === this.buf)
      this.k.subtract(parent.byteOffset, child.byteOffset, this.histLen);
    else subtractInto(parent, child);
  }

  partition(_idx: Int32Array, start: number, end: number, feature: number): number {
    const col = this.pCol + feature * this.n;
    return this.k.partition(this.pIdx, this.pScratch, start, end, col, this.pGoLeft);
  }

  addValue(idx: Int32Array, start: number, end: number, v: number): void {
    if (this.outPtr >= 0) this.k.addValue(this.outPtr, this.pIdx, start, end, v);
    else addValue(this.out, this.outOff, idx, start, end, v);
  }

  addSplitValues(idx: Int32Array, start: number, end: number, feature: number, vL: number, vR: number): void {
    const o = feature * this.n;
    if (this.outPtr >= 0)
      this.k.addSplitValues(this.outPtr, this.pIdx, start, end, this.pCol + o, this.pGoLeft, vL, vR);
    else addSplitValues(this.out, this.outOff, idx, start, end, this.colBins, o, this.goLeft, vL, vR);
  }
}

/** binColumns with the kernels, into col (column-major u8 bins): each column goes through `data` (f64[n])
 * and its cuts or category map through `aux`. */
function wasmBinColumns(
  k: KernelExports,
  buf: ArrayBuffer,
  mapper: BinMapper,
  X: FeatureMatrix,
  col: number,
  data: number,
  aux: number,
): void {
  const n = X.nRows;
  const column = new Float64Array(buf, data, n);
  for (let f = 0; f < mapper.features.length; f++) {
    const fb = mapper.features[f];
    if (!fb.categorical && fb.nBins === 0) continue; // bin 0 (memory starts zeroed)
    column.set(X.data.subarray(f * n, (f + 1) * n));
    if (fb.categorical) {
      new Int32Array(buf, aux, fb.catToBin.length).set(fb.catToBin);
      k.binCategorical(data, n, aux, fb.catToBin.length, col + f * n);
    } else {
      const nc = fb.cuts.length;
      new Float64Array(buf, aux, nc).set(fb.cuts);
      k.binNumeric(data, n, aux, nc, col + f * n, aux + 8 * nc);
    }
  }
}

/** Histograms kept in the kernels' memory: as many as can be live at once for depth-wise growth to a
 * maximum depth (the stack holds one pending sibling per level), else a few dozen (more spill to
 * ordinary arrays); at most ~64 MB of them. */
function histSlots(p: GrowParams, histLen: number): number {
  const want = p.maxDepth > 0 && !p.lossguide && p.maxLeaves === 0 ? p.maxDepth + 3 : 32;
  return Math.max(2, Math.min(want, Math.floor(2 ** 23 / Math.max(1, histLen))));
}

/** Stable in-place partition of idx[start..end) by goLeft[bin] (col = column-major bins, o = the
 * feature's column start); returns the first right position. */
function partition(
  idx: Int32Array,
  scratch: Int32Array,
  start: number,
  end: number,
  col: Uint8Array,
  o: number,
  goLeft: Uint8Array,
): number {
  const l = splitRows(idx, scratch, start, end, col, o, goLeft);
  copyBack(idx, scratch, l, end - l);
  return l;
}

/* The loops of partition are functions of their own that end with their loop: V8 compiles a long loop
 * on-stack (OSR) before the code after it has run, and such code then deoptimises for lack of feedback. */

/** Left rows of idx[start..end) to idx[start..l) in order, right rows to scratch[0..end-l); returns l. */
function splitRows(
  idx: Int32Array,
  scratch: Int32Array,
  start: number,
  end: number,
  col: Uint8Array,
  o: number,
  goLeft: Uint8Array,
): number {
  // Branchless: write the row to both sides, advance one (the branch is unpredictable).
  let l = start;
  let r = 0;
  for (let k = start; k < end; k++) {
    const row = idx[k];
    const gl = goLeft[col[o + row]];
    idx[l] = row;
    scratch[r] = row;
    l += gl;
    r += 1 - gl;
  }
  return l;
}

/** out[off + idx[q]] += v for q in [start, end): a leaf's rows get its value. */
function addValue(
  out: Float64Array,
  off: number,
  idx: Int32Array,
  start: number,
  end: number,
  v: number,
): void {
  for (let q = start; q < end; q++) out[off + idx[q]] += v;
}

/** A split into two leaves, without partitioning: each row of idx[start..end) gets vL or vR. */
function addSplitValues(
  out: Float64Array,
  off: number,
  idx: Int32Array,
  start: number,
  end: number,
  col: Uint8Array,
  o: number,
  goLeft: Uint8Array,
  vL: number,
  vR: number,
): void {
  for (let q = start; q < end; q++) {
    const row = idx[q];
    out[off + row] += goLeft[col[o + row]] === 1 ? vL : vR;
  }
}

/** Row-major bins (r * F + f) from column-major ones. */
function rowBins(col: Uint8Array, n: number, F: number): Uint8Array {
  const out = new Uint8Array(n * F);
  for (let r = 0; r < n; r++) {
    for (let f = 0; f < F; f++) out[r * F + f] = col[f * n + r];
  }
  return out;
}

/** idx[l..l+r) = scratch[0..r): a loop, not idx.set(scratch.subarray(..)) (no view per node). */
function copyBack(idx: Int32Array, scratch: Int32Array, l: number, r: number): void {
  for (let q = 0; q < r; q++) idx[l + q] = scratch[q];
}

/** Row-major global bin indices offsets[f] + bin (r * F + f), from column-major bins. */
function globalBins(col: Uint8Array, n: number, F: number, offsets: Int32Array): Uint16Array {
  const out = new Uint16Array(n * F);
  for (let f = 0; f < F; f++) transposeColumn(col, f * n, n, out, f, F, offsets[f]);
  return out;
}

/** out[f + r * F] = col[base + r] + add for the n rows of one column. */
function transposeColumn(
  col: Uint8Array,
  base: number,
  n: number,
  out: Uint16Array,
  f: number,
  F: number,
  add: number,
): void {
  for (let r = 0; r < n; r++) out[f + r * F] = col[base + r] + add;
}
