/**
 * Tree learner on binned data: histogram builder (gradient/hessian sums per bin; the smaller child is
 * built, its sibling derived by subtraction from the parent), split finder (numeric thresholds with a
 * learned missing-value direction; categorical splits one-vs-rest or by categories sorted on gradient
 * statistics, LightGBM-style) and grower (depth-wise or leaf-wise with maxLeaves). Rows of a node are a
 * contiguous range of an index list, partitioned in place (stably, so rows stay sorted).
 *
 * The hot loops run in WebAssembly (wasm/kernels.wat) when it is available: here binning, histograms,
 * subtraction, partition and leaf values into the margins; in binning.ts the bin statistics, in
 * objective.ts the logloss gradients. WebAssembly is fast from the first call, where these JavaScript
 * loops first run unoptimised (most of a cold fit's extra time: telco_churn 0.175 → 0.105 s CPU). The
 * JavaScript kernels stay as the fallback and as the reference: both give the same trees, bit
 * for bit (test/core/models/gbdt-wasm.test.ts).
 */
import type { Rng } from '../../util/random.ts';
import type { BinMapper } from './binning.ts';
import { binColumns } from './binning.ts';
import type { FeatureMatrix } from '../types.ts';
import type { Forest } from './forest.ts';
import { KERNEL_BASE, createKernels } from './wasm/kernels.ts';
import type { KernelExports } from './wasm/kernels.ts';

const EMPTY_F64 = new Float64Array(0);
const EMPTY_U8 = new Uint8Array(0);

export interface GrowParams {
  readonly lambda: number;
  readonly alpha: number;
  readonly minChildWeight: number;
  readonly minSamplesLeaf: number;
  readonly minSplitGain: number;
  /** 0 = unlimited. */
  readonly maxDepth: number;
  /** 0 = unlimited. */
  readonly maxLeaves: number;
  readonly lossguide: boolean;
  /** Multiplies leaf values (shrinkage). */
  readonly learningRate: number;
  readonly maxCatToOnehot: number;
  readonly maxCatThreshold: number;
  readonly catSmooth: number;
  readonly catL2: number;
  /** 0: off; else LightGBM's min_data_per_group (see categoricalSplit). */
  readonly minDataPerGroup: number;
  readonly extraTrees: boolean;
  /** Fraction of the tree's features tried at each split (1 = all). */
  readonly colsampleByNode: number;
}

interface Split {
  feature: number;
  gain: number;
  /** Numeric: bins 1..thrBin go left. */
  thrBin: number;
  defaultLeft: boolean;
  /** Categorical: bins that go left. */
  catLeft: number[] | null;
  GL: number;
  HL: number;
  CL: number;
  GR: number;
  HR: number;
  CR: number;
}

interface Cand {
  node: number;
  start: number;
  end: number;
  depth: number;
  hist: Float64Array;
  split: Split;
}

/* Histogram kernels: rows of a node × all features, unrolled by 4 features (measured ~20% faster in
 * bench/gbdt/layout.ts). Interleaved [g, h] (stride 2) or [g, h, count] (stride 3) per bin. */
function buildHist2(
  hist: Float64Array,
  bins: Uint8Array,
  F: number,
  off: Int32Array,
  idx: Int32Array,
  start: number,
  end: number,
  gh: Float64Array,
): void {
  hist.fill(0);
  const F4 = F & ~3;
  for (let k = start; k < end; k++) {
    const r = idx[k];
    const g = gh[2 * r];
    const h = gh[2 * r + 1];
    const base = r * F;
    let f = 0;
    for (; f < F4; f += 4) {
      const j0 = (off[f] + bins[base + f]) << 1;
      const j1 = (off[f + 1] + bins[base + f + 1]) << 1;
      const j2 = (off[f + 2] + bins[base + f + 2]) << 1;
      const j3 = (off[f + 3] + bins[base + f + 3]) << 1;
      hist[j0] += g;
      hist[j0 + 1] += h;
      hist[j1] += g;
      hist[j1 + 1] += h;
      hist[j2] += g;
      hist[j2 + 1] += h;
      hist[j3] += g;
      hist[j3 + 1] += h;
    }
    for (; f < F; f++) {
      const j = (off[f] + bins[base + f]) << 1;
      hist[j] += g;
      hist[j + 1] += h;
    }
  }
}

/** Root with every row (idx = 0..n-1): sequential rows, no index indirection. */
function buildHist2All(
  hist: Float64Array,
  bins: Uint8Array,
  F: number,
  off: Int32Array,
  n: number,
  gh: Float64Array,
): void {
  hist.fill(0);
  const F4 = F & ~3;
  for (let r = 0; r < n; r++) {
    const g = gh[2 * r];
    const h = gh[2 * r + 1];
    const base = r * F;
    let f = 0;
    for (; f < F4; f += 4) {
      const j0 = (off[f] + bins[base + f]) << 1;
      const j1 = (off[f + 1] + bins[base + f + 1]) << 1;
      const j2 = (off[f + 2] + bins[base + f + 2]) << 1;
      const j3 = (off[f + 3] + bins[base + f + 3]) << 1;
      hist[j0] += g;
      hist[j0 + 1] += h;
      hist[j1] += g;
      hist[j1 + 1] += h;
      hist[j2] += g;
      hist[j2 + 1] += h;
      hist[j3] += g;
      hist[j3 + 1] += h;
    }
    for (; f < F; f++) {
      const j = (off[f] + bins[base + f]) << 1;
      hist[j] += g;
      hist[j + 1] += h;
    }
  }
}

function buildHist3(
  hist: Float64Array,
  bins: Uint8Array,
  F: number,
  off: Int32Array,
  idx: Int32Array,
  start: number,
  end: number,
  gh: Float64Array,
): void {
  hist.fill(0);
  const F4 = F & ~3;
  for (let k = start; k < end; k++) {
    const r = idx[k];
    const g = gh[2 * r];
    const h = gh[2 * r + 1];
    const base = r * F;
    let f = 0;
    for (; f < F4; f += 4) {
      const j0 = (off[f] + bins[base + f]) * 3;
      const j1 = (off[f + 1] + bins[base + f + 1]) * 3;
      const j2 = (off[f + 2] + bins[base + f + 2]) * 3;
      const j3 = (off[f + 3] + bins[base + f + 3]) * 3;
      hist[j0] += g;
      hist[j0 + 1] += h;
      hist[j0 + 2] += 1;
      hist[j1] += g;
      hist[j1 + 1] += h;
      hist[j1 + 2] += 1;
      hist[j2] += g;
      hist[j2 + 1] += h;
      hist[j2 + 2] += 1;
      hist[j3] += g;
      hist[j3 + 1] += h;
      hist[j3 + 2] += 1;
    }
    for (; f < F; f++) {
      const j = (off[f] + bins[base + f]) * 3;
      hist[j] += g;
      hist[j + 1] += h;
      hist[j + 2] += 1;
    }
  }
}

/* Kernels on the global bin index (offsets[f] + bin, precomputed per row and feature as Uint16): one load
 * per update instead of offset + bin (measured ~35% faster in bench/gbdt/layout.ts). */
function buildHistG2(
  hist: Float64Array,
  gbin: Uint16Array,
  F: number,
  idx: Int32Array,
  start: number,
  end: number,
  gh: Float64Array,
): void {
  hist.fill(0);
  const F4 = F & ~3;
  for (let k = start; k < end; k++) {
    const r = idx[k];
    const g = gh[2 * r];
    const h = gh[2 * r + 1];
    const base = r * F;
    let f = 0;
    for (; f < F4; f += 4) {
      const j0 = gbin[base + f] << 1;
      const j1 = gbin[base + f + 1] << 1;
      const j2 = gbin[base + f + 2] << 1;
      const j3 = gbin[base + f + 3] << 1;
      hist[j0] += g;
      hist[j0 + 1] += h;
      hist[j1] += g;
      hist[j1 + 1] += h;
      hist[j2] += g;
      hist[j2 + 1] += h;
      hist[j3] += g;
      hist[j3 + 1] += h;
    }
    for (; f < F; f++) {
      const j = gbin[base + f] << 1;
      hist[j] += g;
      hist[j + 1] += h;
    }
  }
}

/** Root with every row (idx = 0..n-1): sequential rows, no index indirection. */
function buildHistG2All(hist: Float64Array, gbin: Uint16Array, F: number, n: number, gh: Float64Array): void {
  hist.fill(0);
  const F4 = F & ~3;
  for (let r = 0; r < n; r++) {
    const g = gh[2 * r];
    const h = gh[2 * r + 1];
    const base = r * F;
    let f = 0;
    for (; f < F4; f += 4) {
      const j0 = gbin[base + f] << 1;
      const j1 = gbin[base + f + 1] << 1;
      const j2 = gbin[base + f + 2] << 1;
      const j3 = gbin[base + f + 3] << 1;
      hist[j0] += g;
      hist[j0 + 1] += h;
      hist[j1] += g;
      hist[j1 + 1] += h;
      hist[j2] += g;
      hist[j2 + 1] += h;
      hist[j3] += g;
      hist[j3 + 1] += h;
    }
    for (; f < F; f++) {
      const j = gbin[base + f] << 1;
      hist[j] += g;
      hist[j + 1] += h;
    }
  }
}

function buildHistG3(
  hist: Float64Array,
  gbin: Uint16Array,
  F: number,
  idx: Int32Array,
  start: number,
  end: number,
  gh: Float64Array,
): void {
  hist.fill(0);
  const F4 = F & ~3;
  for (let k = start; k < end; k++) {
    const r = idx[k];
    const g = gh[2 * r];
    const h = gh[2 * r + 1];
    const base = r * F;
    let f = 0;
    for (; f < F4; f += 4) {
      const j0 = gbin[base + f] * 3;
      const j1 = gbin[base + f + 1] * 3;
      const j2 = gbin[base + f + 2] * 3;
      const j3 = gbin[base + f + 3] * 3;
      hist[j0] += g;
      hist[j0 + 1] += h;
      hist[j0 + 2] += 1;
      hist[j1] += g;
      hist[j1 + 1] += h;
      hist[j1 + 2] += 1;
      hist[j2] += g;
      hist[j2 + 1] += h;
      hist[j2 + 2] += 1;
      hist[j3] += g;
      hist[j3 + 1] += h;
      hist[j3 + 2] += 1;
    }
    for (; f < F; f++) {
      const j = gbin[base + f] * 3;
      hist[j] += g;
      hist[j + 1] += h;
      hist[j + 2] += 1;
    }
  }
}

function subtractInto(parent: Float64Array, child: Float64Array): void {
  for (let j = 0; j < parent.length; j++) parent[j] -= child[j];
}

export class TreeGrower {
  private readonly F: number;
  private readonly offsets: Int32Array;
  private readonly nBins: Int32Array;
  private readonly isCat: Uint8Array;
  private readonly S: number;
  private readonly histLen: number;
  private readonly pool: Float64Array[] = [];
  private readonly scratch: Int32Array;
  private readonly goLeft: Uint8Array;
  private readonly nodeFeats: Int32Array;
  /** Global bin index per row and feature (offsets[f] + bin), or null when it does not fit 16 bits. */
  private readonly gbin: Uint16Array | null;
  /** Row-major bins, only when gbin is null (the histogram kernels then add the offsets themselves). */
  private readonly bins: Uint8Array;
  /** Leaf values of the tree being grown are added to out[outOff + row] (set by grow). */
  private out: Float64Array = EMPTY_F64;
  private outOff = 0;
  /** Column-major bins (binColumns): what the partition reads (a node's rows are ascending: sequential
   * reads). In the kernels' memory when they are used. */
  private readonly colBins: Uint8Array;

  /* WebAssembly kernels (wasm/kernels.wat), null when off or unavailable. Their memory holds the bins,
   * the row lists, the gradient pairs of the tree being grown and a few histograms (the pool's first
   * entries); the JavaScript code reads and writes the same data through views. A histogram outside that
   * memory (more live ones than slots) is built by the JavaScript kernels: same results. */
  private readonly wk: KernelExports | null = null;
  private readonly wbuf: ArrayBuffer | null = null;
  private readonly wIdx: Int32Array = new Int32Array(0);
  private readonly wGh: Float64Array = EMPTY_F64;
  private readonly pGbin: number = 0;
  private readonly pCol: number = 0;
  private readonly pIdx: number = 0;
  private readonly pScratch: number = 0;
  private readonly pGh: number = 0;
  private readonly pGoLeft: number = 0;
  private readonly pMargins: number = 0;
  private readonly wTargets: Float64Array = EMPTY_F64;
  private readonly marginLen: number;
  /** Byte pointer of out[outOff] when `out` is in the kernels' memory (margins()), else -1. */
  private outPtr = -1;

  /** Bins X (binColumns: column-major); marginLen: length of the margins the trees' values are added
   * to, when they may live in the kernels' memory (see margins()). */
  constructor(
    private readonly mapper: BinMapper,
    X: FeatureMatrix,
    private readonly p: GrowParams,
    marginLen = 0,
  ) {
    this.marginLen = marginLen;
    this.F = mapper.features.length;
    this.offsets = mapper.offsets;
    this.nBins = Int32Array.from(mapper.features, (f) => f.nBins);
    this.isCat = Uint8Array.from(mapper.features, (f) => (f.categorical ? 1 : 0));
    this.S = p.minSamplesLeaf > 1 ? 3 : 2;
    this.histLen = mapper.totalBins * this.S;
    this.nodeFeats = new Int32Array(this.F);
    const F = this.F;
    const n = X.nRows;
    if (X.nCols !== F) throw new Error(`bin mapper has ${F} features, matrix has ${X.nCols}`);
    // Memory layout (bytes; after the kernels' constants at 0): offsets i32[F] | goLeft u8[256] |
    // targets f64[n] | col u8[n F] | gbin u16[n F] | idx i32[n] | scratch i32[n] | gh f64[2n] |
    // margins f64[marginLen] | histogram slots f64[histLen] each | aux (binning: a feature's cuts f64[nc]
    // and bucket table i32[4 nc + 2], or its category map i32; gh holds the column being binned).
    const nSlots = histSlots(p, this.histLen);
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
    const pAux = pHist + nSlots * 8 * this.histLen;
    let aux = 0;
    for (const fb of mapper.features)
      aux = Math.max(aux, fb.categorical ? 4 * fb.catToBin.length : 24 * fb.cuts.length + 8);
    const wasm = mapper.totalBins <= 65536 && F > 0 && n > 0 ? createKernels(pAux + aux) : null;
    if (wasm) {
      const buf = wasm.memory.buffer;
      this.wk = wasm.k;
      this.wbuf = buf;
      new Int32Array(buf, pOffs, F).set(this.offsets.subarray(0, F));
      this.colBins = new Uint8Array(buf, pCol, n * F);
      wasmBinColumns(wasm.k, buf, mapper, X, pCol, pGh, pAux);
      wasm.k.globalBins(pCol, n, F, pOffs, pGbin);
      this.gbin = new Uint16Array(buf, pGbin, n * F);
      this.goLeft = new Uint8Array(buf, pGoLeft, 256);
      this.wIdx = new Int32Array(buf, pIdx, n);
      this.scratch = new Int32Array(buf, pScratch, n);
      this.wGh = new Float64Array(buf, pGh, 2 * n);
      for (let i = nSlots - 1; i >= 0; i--)
        this.pool.push(new Float64Array(buf, pHist + i * 8 * this.histLen, this.histLen));
      this.pGbin = pGbin;
      this.pCol = pCol;
      this.pIdx = pIdx;
      this.pScratch = pScratch;
      this.pGh = pGh;
      this.pGoLeft = pGoLeft;
      this.pMargins = pMargins;
      this.wTargets = new Float64Array(buf, pTargets, n);
    } else {
      this.colBins = binColumns(mapper, X);
      this.gbin = mapper.totalBins <= 65536 ? globalBins(this.colBins, n, F, this.offsets) : null;
      this.goLeft = new Uint8Array(256);
      this.scratch = new Int32Array(n);
    }
    this.bins = this.gbin ? EMPTY_U8 : rowBins(this.colBins, n, F);
  }

  /** The margins grow() adds leaf values to: a copy of `raw` in the kernels' memory (so that the kernels
   * add them), or `raw` itself. */
  margins(raw: Float64Array): Float64Array {
    if (this.wbuf === null || raw.length !== this.marginLen) return raw;
    const m = new Float64Array(this.wbuf, this.pMargins, this.marginLen);
    m.set(raw);
    return m;
  }

  /** The column-major bins (binColumns of X), in the kernels' memory when they are used. */
  columnBins(): Uint8Array {
    return this.colBins;
  }

  /** The targets for the objective's gradients: a copy of `y` in the kernels' memory (where its kernel
   * reads them, with the margins and gradientPairs()), or `y`. */
  targets(y: Float64Array): Float64Array {
    if (this.wbuf === null || y.length !== this.wTargets.length) return y;
    this.wTargets.set(y);
    return this.wTargets;
  }

  /** An array for the gradient pairs of one group (2 per row): grow() reads them from the kernels' memory,
   * so passing this one back to grow() saves a copy per tree. Not for values that must survive a grow(). */
  gradientPairs(): Float64Array {
    return this.wbuf !== null ? this.wGh : new Float64Array(2 * this.scratch.length);
  }

  private alloc(): Float64Array {
    return this.pool.pop() ?? new Float64Array(this.histLen);
  }
  private release(h: Float64Array): void {
    this.pool.push(h);
  }

  /** Builds a histogram of rows idx[start..end). With the kernels, idx and gh are their memory's. */
  private build(hist: Float64Array, idx: Int32Array, start: number, end: number, gh: Float64Array): void {
    const gbin = this.gbin;
    const wk = this.wk;
    if (wk !== null && hist.buffer === this.wbuf) {
      const hb = hist.byteOffset;
      if (this.S === 2) wk.hist2(hb, 8 * this.histLen, this.pGbin, this.F, this.pIdx, start, end, this.pGh);
      else wk.hist3(hb, 8 * this.histLen, this.pGbin, this.F, this.pIdx, start, end, this.pGh);
    } else if (gbin) {
      if (this.S === 2) buildHistG2(hist, gbin, this.F, idx, start, end, gh);
      else buildHistG3(hist, gbin, this.F, idx, start, end, gh);
    } else if (this.S === 2) buildHist2(hist, this.bins, this.F, this.offsets, idx, start, end, gh);
    else buildHist3(hist, this.bins, this.F, this.offsets, idx, start, end, gh);
  }

  private canSplit(depth: number, H: number, C: number): boolean {
    const p = this.p;
    return (
      (p.maxDepth === 0 || depth < p.maxDepth) &&
      H >= 2 * p.minChildWeight &&
      C >= 2 * p.minSamplesLeaf &&
      C >= 2
    );
  }

  private score(g: number, h: number, lambda: number): number {
    const a = this.p.alpha;
    const t = a > 0 ? (g > a ? g - a : g < -a ? g + a : 0) : g;
    return (t * t) / (h + lambda);
  }

  leafValue(G: number, H: number): number {
    const a = this.p.alpha;
    const t = a > 0 ? (G > a ? G - a : G < -a ? G + a : 0) : G;
    const denom = H + this.p.lambda;
    return denom > 0 ? (-t / denom) * this.p.learningRate : 0;
  }

  /** Features tried at a node: the tree's features, subsampled when colsampleByNode < 1. */
  private pickNodeFeatures(treeFeats: Int32Array, rng: Rng): number {
    const nf = treeFeats.length;
    const out = this.nodeFeats;
    out.set(treeFeats);
    if (this.p.colsampleByNode >= 1) return nf;
    const k = Math.max(1, Math.round(this.p.colsampleByNode * nf));
    for (let i = 0; i < k; i++) {
      const j = i + rng.int(nf - i);
      const t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    out.subarray(0, k).sort();
    return k;
  }

  // Best split found so far in findSplit (scalars: no allocation per improvement).
  private bF = -1;
  private bGain = 0;
  private bT = 0;
  private bDL = false;
  private bCat: number[] | null = null;
  private bGL = 0;
  private bHL = 0;
  private bCL = 0;

  private offer(
    f: number,
    gain: number,
    t: number,
    dl: boolean,
    cat: number[] | null,
    GL: number,
    HL: number,
    CL: number,
  ): void {
    this.bF = f;
    this.bGain = gain;
    this.bT = t;
    this.bDL = dl;
    this.bCat = cat;
    this.bGL = GL;
    this.bHL = HL;
    this.bCL = CL;
  }

  private findSplit(
    hist: Float64Array,
    G: number,
    H: number,
    C: number,
    treeFeats: Int32Array,
    rng: Rng,
  ): Split | null {
    const p = this.p;
    const S = this.S;
    const lam = p.lambda;
    const alpha = p.alpha;
    const mcw = p.minChildWeight;
    const msl = p.minSamplesLeaf;
    const counted = S === 3;
    const parent = this.score(G, H, lam);
    this.bF = -1;
    this.bGain = Math.max(p.minSplitGain, 1e-10 * Math.abs(parent));
    const nf = this.pickNodeFeatures(treeFeats, rng);
    const feats = this.nodeFeats;
    for (let fi = 0; fi < nf; fi++) {
      const f = feats[fi];
      const o = this.offsets[f];
      const nb = this.nBins[f];
      const mg = hist[o * S];
      const mh = hist[o * S + 1];
      const mc = counted ? hist[o * S + 2] : 0;
      const hasMissing = mh > 0 || mc > 0;
      if (this.isCat[f] === 1) {
        this.categoricalSplit(hist, f, o, nb, G, H, C, mg, mh, mc, hasMissing);
        continue;
      }
      let tLo = 1;
      let tHi = hasMissing ? nb : nb - 1;
      if (p.extraTrees) {
        let lo = -1;
        let hi = -1;
        for (let b = 1; b <= nb; b++) {
          if (hist[(o + b) * S + 1] > 0 || (counted && hist[(o + b) * S + 2] > 0)) {
            if (lo < 0) lo = b;
            hi = b;
          }
        }
        if (lo < 0) continue;
        const t = lo < hi ? lo + rng.int(hi - lo) : hasMissing ? hi : -1;
        if (t < 0) continue;
        tLo = t;
        tHi = t;
      }
      let gl = 0;
      let hl = 0;
      let cl = 0;
      for (let b = 1; b < tLo; b++) {
        const j = (o + b) * S;
        gl += hist[j];
        hl += hist[j + 1];
        if (counted) cl += hist[j + 2];
      }
      for (let t = tLo; t <= tHi; t++) {
        const j = (o + t) * S;
        gl += hist[j];
        hl += hist[j + 1];
        if (counted) cl += hist[j + 2];
        // Candidates of this threshold: missing values right, then left (ties keep the earlier one).
        // One offer() call site for both: an offer taken only for missing-left splits had no type
        // feedback when findSplit was optimised, and deoptimised it when first taken.
        let best = this.bGain;
        let side = -1; // 0: missing values right, 1: left
        let oG = 0;
        let oH = 0;
        let oC = 0;
        const hr = H - hl;
        if (hl >= mcw && hr >= mcw && hl > 0 && hr > 0 && (!counted || (cl >= msl && C - cl >= msl))) {
          const gr = G - gl;
          const gain =
            alpha > 0
              ? this.score(gl, hl, lam) + this.score(gr, hr, lam) - parent
              : (gl * gl) / (hl + lam) + (gr * gr) / (hr + lam) - parent;
          if (gain > best) {
            best = gain;
            side = 0;
            oG = gl;
            oH = hl;
            oC = cl;
          }
        }
        if (hasMissing && t < nb) {
          const GL = gl + mg;
          const HL = hl + mh;
          const CL = cl + mc;
          const HR = H - HL;
          if (HL >= mcw && HR >= mcw && HL > 0 && HR > 0 && (!counted || (CL >= msl && C - CL >= msl))) {
            const gain = this.score(GL, HL, lam) + this.score(G - GL, HR, lam) - parent;
            if (gain > best) {
              best = gain;
              side = 1;
              oG = GL;
              oH = HL;
              oC = CL;
            }
          }
        }
        if (side >= 0) this.offer(f, best, t, side === 1, null, oG, oH, oC);
      }
    }
    if (this.bF < 0) return null;
    const HR = H - this.bHL;
    // No missing values reached this node (numeric split): send unseen missing values to the heavier
    // child. Decided before the Split is built: a rarely taken store into it after construction made
    // the optimised findSplit deoptimise (no feedback for it).
    const defaultLeft =
      this.bCat === null && !hasMissingIn(hist, this.offsets[this.bF], S) ? this.bHL >= HR : this.bDL;
    return split(
      this.bF,
      this.bGain,
      this.bT,
      defaultLeft,
      this.bCat,
      this.bGL,
      this.bHL,
      this.bCL,
      G - this.bGL,
      HR,
      C - this.bCL,
    );
  }

  private categoricalSplit(
    hist: Float64Array,
    f: number,
    o: number,
    nb: number,
    G: number,
    H: number,
    C: number,
    mg: number,
    mh: number,
    mc: number,
    hasMissing: boolean,
  ): void {
    const p = this.p;
    const S = this.S;
    const counted = S === 3;
    const oneHot = nb <= p.maxCatToOnehot;
    const lam = oneHot ? p.lambda : p.lambda + p.catL2;
    const parent = this.score(G, H, lam);
    // Context for considerCat (fields, not a closure: no allocation per feature and node).
    this.cf = f;
    this.cG = G;
    this.cH = H;
    this.cC = C;
    this.cmg = mg;
    this.cmh = mh;
    this.cmc = mc;
    this.cSides = hasMissing ? 2 : 1;
    this.cLam = lam;
    this.cParent = parent;
    if (oneHot || p.extraTrees) {
      let nCats = 0;
      for (let b = 1; b <= nb; b++)
        if (hist[(o + b) * S + 1] > 0 || (counted && hist[(o + b) * S + 2] > 0)) nCats++;
      if (nCats + (hasMissing ? 1 : 0) < 2) return;
      if (p.extraTrees && !oneHot) {
        let pick = this.extraPick(nCats);
        for (let b = 1; b <= nb; b++) {
          if (hist[(o + b) * S + 1] > 0 || (counted && hist[(o + b) * S + 2] > 0)) {
            if (pick-- === 0) {
              const j = (o + b) * S;
              this.considerCat(null, b, hist[j], hist[j + 1], counted ? hist[j + 2] : 0);
              break;
            }
          }
        }
        return;
      }
      for (let b = 1; b <= nb; b++) {
        const j = (o + b) * S;
        if (hist[j + 1] > 0 || (counted && hist[j + 2] > 0))
          this.considerCat(null, b, hist[j], hist[j + 1], counted ? hist[j + 2] : 0);
      }
      return;
    }
    // LightGBM's regularisation of many-category splits (minDataPerGroup > 0): only categories with
    // at least catSmooth rows are sorted and can go left (rarer ones stay right, with unseen ones);
    // at most half of them go left; a split is tried only once the categories added to the left
    // since the last try hold minDataPerGroup rows, and the right side keeps at least that many.
    // Row counts are the histogram's, or hessian × (rows / hessian sum) without one (as LightGBM).
    const group = p.minDataPerGroup;
    const perH = counted || !(H > 0) ? 0 : C / H;
    const countOf = (j: number) => (counted ? hist[j + 2] : hist[j + 1] * perH);
    const cats: number[] = [];
    for (let b = 1; b <= nb; b++) {
      const j = (o + b) * S;
      if (!(hist[j + 1] > 0 || (counted && hist[j + 2] > 0))) continue;
      if (group > 0 && countOf(j) < p.catSmooth) continue;
      cats.push(b);
    }
    if (cats.length + (hasMissing ? 1 : 0) < 2 && group === 0) return;
    if (cats.length === 0) return;
    const ratio = this.catRatio;
    for (const b of cats) ratio[b] = hist[(o + b) * S] / (hist[(o + b) * S + 1] + p.catSmooth);
    const sorted = cats.sort(this.byCatRatio);
    const maxK =
      group > 0
        ? Math.min(p.maxCatThreshold, Math.max(1, (sorted.length + 1) >> 1))
        : Math.min(p.maxCatThreshold, sorted.length - 1 + (hasMissing ? 1 : 0));
    const total = counted ? C : H * perH;
    for (const dir of [1, -1]) {
      let gl = 0;
      let hl = 0;
      let cl = 0;
      let nl = 0;
      let sinceTry = 0;
      const left: number[] = [];
      for (let k = 0; k < maxK && k < sorted.length; k++) {
        const b = dir === 1 ? sorted[k] : sorted[sorted.length - 1 - k];
        const j = (o + b) * S;
        gl += hist[j];
        hl += hist[j + 1];
        if (counted) cl += hist[j + 2];
        left.push(b);
        if (group > 0) {
          const c = countOf(j);
          nl += c;
          sinceTry += c;
          if (total - nl < group) break;
          if (sinceTry < group) continue;
          sinceTry = 0;
        }
        this.considerCat(left, 0, gl, hl, cl);
      }
    }
  }

  private cf = 0;
  private cG = 0;
  private cH = 0;
  private cC = 0;
  private cmg = 0;
  private cmh = 0;
  private cmc = 0;
  private cSides = 1;
  private cLam = 0;
  private cParent = 0;
  private readonly catRatio = new Float64Array(257);
  private readonly byCatRatio = (a: number, b: number): number =>
    this.catRatio[a] - this.catRatio[b] || a - b;

  /** A categorical split: `left` bins (or the single bin `one` when left is null) go left. */
  private considerCat(left: number[] | null, one: number, gl: number, hl: number, cl: number): void {
    const p = this.p;
    const counted = this.S === 3;
    const H = this.cH;
    const C = this.cC;
    for (let side = 0; side < this.cSides; side++) {
      const GL = side === 1 ? gl + this.cmg : gl;
      const HL = side === 1 ? hl + this.cmh : hl;
      const CL = side === 1 ? cl + this.cmc : cl;
      const HR = H - HL;
      if (HL < p.minChildWeight || HR < p.minChildWeight || !(HL > 0) || !(HR > 0)) continue;
      if (counted && (CL < p.minSamplesLeaf || C - CL < p.minSamplesLeaf)) continue;
      const gain = this.score(GL, HL, this.cLam) + this.score(this.cG - GL, HR, this.cLam) - this.cParent;
      if (gain > this.bGain) {
        this.offer(this.cf, gain, 0, side === 1, left === null ? [one] : left.slice(), GL, HL, CL);
      }
    }
  }

  /** Makes `node` a leaf and adds its value to the output of its rows idx[start..end). */
  private makeLeaf(
    forest: Forest,
    node: number,
    g: number,
    h: number,
    idx: Int32Array,
    start: number,
    end: number,
  ): void {
    const v = this.leafValue(g, h);
    forest.setLeaf(node, v, h);
    if (this.outPtr >= 0 && this.wk !== null) this.wk.addValue(this.outPtr, this.pIdx, start, end, v);
    else addValue(this.out, this.outOff, idx, start, end, v);
  }

  private extraRng: Rng | null = null;
  private extraPick(n: number): number {
    return this.extraRng ? this.extraRng.int(n) : 0;
  }

  /**
   * Grows one tree into `forest` (group = output group) on rows idx[0..m) with gradient pairs `gh`,
   * and adds each row's leaf value to out[outOff + row] (what the booster's margins need; no leaf
   * list). `idx` is permuted (partitioned) in place, or, with the WebAssembly kernels, a copy of it.
   */
  grow(
    forest: Forest,
    group: number,
    idxIn: Int32Array,
    m: number,
    ghIn: Float64Array,
    treeFeats: Int32Array,
    rng: Rng,
    out: Float64Array,
    outOff: number,
  ): void {
    let idx = idxIn;
    let gh = ghIn;
    if (this.wk !== null) {
      // The tree's rows and gradient pairs into the kernels' memory (gh: 2 values per row of the data).
      idx = this.wIdx;
      idx.set(m === idxIn.length ? idxIn : idxIn.subarray(0, m));
      gh = this.wGh;
      if (ghIn !== gh) gh.set(ghIn.length === gh.length ? ghIn : ghIn.subarray(0, gh.length));
    }
    this.extraRng = rng;
    this.out = out;
    this.outOff = outOff;
    this.outPtr = this.wk !== null && out.buffer === this.wbuf ? out.byteOffset + 8 * outOff : -1;
    const p = this.p;
    const S = this.S;
    const root = forest.startTree(group);
    if (m === 0 || treeFeats.length === 0) {
      let G = 0;
      let H = 0;
      for (let k = 0; k < m; k++) {
        G += gh[2 * idx[k]];
        H += gh[2 * idx[k] + 1];
      }
      this.makeLeaf(forest, root, G, H, idx, 0, m);
      return;
    }
    // Root totals from the root histogram (all rows fall in some bin of feature 0).
    const rootHist = this.alloc();
    if (this.wk !== null) this.build(rootHist, idx, 0, m, gh);
    else if (this.S === 2 && m === this.scratch.length && idx[0] === 0 && idx[m - 1] === m - 1) {
      // idx is sorted and holds every row exactly once, so it is 0..n-1.
      if (this.gbin) buildHistG2All(rootHist, this.gbin, this.F, m, gh);
      else buildHist2All(rootHist, this.bins, this.F, this.offsets, m, gh);
    } else this.build(rootHist, idx, 0, m, gh);
    let G = 0;
    let H = 0;
    for (let b = 0, o = this.offsets[0]; b <= this.nBins[0]; b++) {
      G += rootHist[(o + b) * S];
      H += rootHist[(o + b) * S + 1];
    }
    const rootSplit = this.canSplit(0, H, m) ? this.findSplit(rootHist, G, H, m, treeFeats, rng) : null;
    forest.setLeaf(root, this.leafValue(G, H), H);
    if (!rootSplit) {
      this.release(rootHist);
      this.makeLeaf(forest, root, G, H, idx, 0, m);
      return;
    }
    const cands: Cand[] = [{ node: root, start: 0, end: m, depth: 0, hist: rootHist, split: rootSplit }];
    let head = 0; // FIFO pointer for breadth-first order
    const fifo = !p.lossguide && p.maxLeaves > 0;
    let nLeaves = 1;
    const goLeft = this.goLeft;
    while (cands.length > head) {
      if (p.maxLeaves > 0 && nLeaves >= p.maxLeaves) break;
      let c: Cand;
      if (p.lossguide) {
        let bi = 0;
        for (let i = 1; i < cands.length; i++) if (cands[i].split.gain > cands[bi].split.gain) bi = i;
        c = cands[bi];
        cands[bi] = cands[cands.length - 1];
        cands.pop();
      } else if (fifo) {
        c = cands[head++];
      } else {
        c = cands.pop() as Cand;
      }
      nLeaves++;
      const s = c.split;
      const f = s.feature;
      // Partition rows: lookup table bin → goes left.
      goLeft.fill(0);
      goLeft[0] = s.defaultLeft ? 1 : 0;
      if (s.catLeft) for (const b of s.catLeft) goLeft[b] = 1;
      else for (let b = 1; b <= s.thrBin; b++) goLeft[b] = 1;
      const L = forest.addNode(s.HL);
      const R = forest.addNode(s.HR);
      const fb = this.mapper.features[f];
      if (s.catLeft) {
        const codes: number[] = [];
        for (let code = 0; code < fb.catToBin.length; code++) {
          const b = fb.catToBin[code];
          if (b > 0 && goLeft[b] === 1) codes.push(code);
        }
        forest.setCategoricalSplit(c.node, f, codes, s.defaultLeft, s.gain, L, R);
      } else {
        const thr = s.thrBin <= fb.nBins - 1 ? fb.cuts[s.thrBin - 1] : Infinity;
        forest.setNumericSplit(c.node, f, thr, s.defaultLeft, s.gain, L, R);
      }
      const colStart = f * this.scratch.length;
      if (p.maxDepth > 0 && c.depth + 1 >= p.maxDepth) {
        // Both children are leaves at the maximum depth: no partition (no node below needs their rows as
        // ranges); one pass adds each row's leaf value.
        const vL = this.leafValue(s.GL, s.HL);
        const vR = this.leafValue(s.GR, s.HR);
        forest.setLeaf(L, vL, s.HL);
        forest.setLeaf(R, vR, s.HR);
        if (this.outPtr >= 0 && this.wk !== null) {
          const pc = this.pCol + colStart;
          this.wk.addSplitValues(this.outPtr, this.pIdx, c.start, c.end, pc, this.pGoLeft, vL, vR);
        } else
          addSplitValues(this.out, this.outOff, idx, c.start, c.end, this.colBins, colStart, goLeft, vL, vR);
        this.release(c.hist);
        continue;
      }
      const mid =
        this.wk !== null
          ? this.wk.partition(this.pIdx, this.pScratch, c.start, c.end, this.pCol + colStart, this.pGoLeft)
          : partition(idx, this.scratch, c.start, c.end, this.colBins, colStart, goLeft);
      const nL = mid - c.start;
      const nR = c.end - mid;
      const CL = S === 3 ? s.CL : nL;
      const CR = S === 3 ? s.CR : nR;
      const lCan = this.canSplit(c.depth + 1, s.HL, CL);
      const rCan = this.canSplit(c.depth + 1, s.HR, CR);
      forest.setLeaf(L, this.leafValue(s.GL, s.HL), s.HL);
      forest.setLeaf(R, this.leafValue(s.GR, s.HR), s.HR);
      if (!lCan && !rCan) {
        this.release(c.hist);
        this.makeLeaf(forest, L, s.GL, s.HL, idx, c.start, mid);
        this.makeLeaf(forest, R, s.GR, s.HR, idx, mid, c.end);
        continue;
      }
      const smallLeft = nL <= nR;
      const small = this.alloc();
      if (smallLeft) this.build(small, idx, c.start, mid, gh);
      else this.build(small, idx, mid, c.end, gh);
      let large: Float64Array | null = null;
      if (smallLeft ? rCan : lCan) {
        if (this.wk !== null && c.hist.buffer === this.wbuf && small.buffer === this.wbuf)
          this.wk.subtract(c.hist.byteOffset, small.byteOffset, this.histLen);
        else subtractInto(c.hist, small);
        large = c.hist;
      } else this.release(c.hist);
      const lHist = smallLeft ? small : large;
      const rHist = smallLeft ? large : small;
      const depth = c.depth + 1;
      let sp: Split | null = null;
      if (lCan && lHist) sp = this.findSplit(lHist, s.GL, s.HL, S === 3 ? CL : nL, treeFeats, rng);
      if (sp && lHist) cands.push({ node: L, start: c.start, end: mid, depth, hist: lHist, split: sp });
      else {
        if (lHist) this.release(lHist);
        this.makeLeaf(forest, L, s.GL, s.HL, idx, c.start, mid);
      }
      sp = null;
      if (rCan && rHist) sp = this.findSplit(rHist, s.GR, s.HR, S === 3 ? CR : nR, treeFeats, rng);
      if (sp && rHist) cands.push({ node: R, start: mid, end: c.end, depth, hist: rHist, split: sp });
      else {
        if (rHist) this.release(rHist);
        this.makeLeaf(forest, R, s.GR, s.HR, idx, mid, c.end);
      }
    }
    for (let i = p.lossguide || !fifo ? 0 : head; i < cands.length; i++) {
      const c = cands[i];
      this.release(c.hist);
      const node = c.node;
      // Its stats: recompute from the rows (cheap, only for unexpanded candidates).
      let g = 0;
      let h = 0;
      for (let k = c.start; k < c.end; k++) {
        g += gh[2 * idx[k]];
        h += gh[2 * idx[k] + 1];
      }
      this.makeLeaf(forest, node, g, h, idx, c.start, c.end);
    }
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

function split(
  feature: number,
  gain: number,
  thrBin: number,
  defaultLeft: boolean,
  catLeft: number[] | null,
  GL: number,
  HL: number,
  CL: number,
  GR: number,
  HR: number,
  CR: number,
): Split {
  return { feature, gain, thrBin, defaultLeft, catLeft, GL, HL, CL, GR, HR, CR };
}

function hasMissingIn(hist: Float64Array, o: number, S: number): boolean {
  return hist[o * S + 1] > 0 || (S === 3 && hist[o * S + 2] > 0);
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
