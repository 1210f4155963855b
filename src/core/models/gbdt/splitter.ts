/**
 * Split finder (sklearn's _hist_gradient_boosting/splitting.pyx): the best split of a node from its
 * histogram (histogram.ts layout) — numeric thresholds with a learned missing-value direction,
 * categorical splits one-vs-rest or by categories sorted on gradient statistics (LightGBM-style), extra
 * trees' random thresholds, per-node feature subsampling — plus the leaf value and the "may this node
 * split" test the grower asks. Pure arithmetic on histograms: the same for either grow kernel.
 */
import type { Rng } from '../../util/random.ts';
import type { BinMapper } from './binning.ts';

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

export interface Split {
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

/** Histogram stride for these parameters: [g, h] per bin, or [g, h, count] when leaves need a row count. */
export function histStride(p: GrowParams): 2 | 3 {
  return p.minSamplesLeaf > 1 ? 3 : 2;
}

export class Splitter {
  private readonly offsets: Int32Array;
  private readonly nBins: Int32Array;
  private readonly isCat: Uint8Array;
  private readonly S: number;
  private readonly nodeFeats: Int32Array;

  constructor(
    mapper: BinMapper,
    private readonly p: GrowParams,
  ) {
    const F = mapper.features.length;
    this.offsets = mapper.offsets;
    this.nBins = Int32Array.from(mapper.features, (f) => f.nBins);
    this.isCat = Uint8Array.from(mapper.features, (f) => (f.categorical ? 1 : 0));
    this.S = histStride(p);
    this.nodeFeats = new Int32Array(F);
  }

  /** Whether a node at `depth` with hessian sum H and C rows may be split at all. */
  canSplit(depth: number, H: number, C: number): boolean {
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

  /** The best split of a node with totals G, H and C rows from its histogram, or null (none gains
   * enough). Features tried: treeFeats, subsampled per node; rng also draws extra trees' thresholds. */
  findSplit(
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
    this.extraRng = rng;
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

  private extraRng: Rng | null = null;
  private extraPick(n: number): number {
    return this.extraRng ? this.extraRng.int(n) : 0;
  }
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
