/**
 * Test-only reference: src/core/explain/treeshap.ts as it was before its per-(leaf, pattern) memo and
 * tree-major loop (2c425f6), kept verbatim so the new kernel can be checked bit for bit against it.
 *
 * Exact TreeSHAP (path-dependent) for our flat tree ensembles: the polynomial-time algorithm of
 * Lundberg, Erion & Lee, "Consistent individualized feature attribution for tree ensembles" (2018),
 * Algorithm 2. For one row and one tree it returns the Shapley values of the tree's output where a
 * feature outside the coalition is integrated out by following both children in proportion to their
 * training cover (the sum of hessians that reached them) — the same convention as XGBoost's
 * `pred_contribs=True`, so the two agree on the same trees.
 *
 * Splits are followed exactly as the predictor does (forest.ts `leafOf`): numeric x ≤ threshold goes
 * left, categorical codes whose bit is set go left, and a missing value follows the node's learned
 * default direction — so "hot" (the child the row takes) is always the predictor's path.
 *
 * The result explains the raw margin (log-odds for binary, per-class scores for multiclass, the value
 * for regression): for each row and output group, one value per feature plus the bias (the tree
 * ensemble's cover-weighted mean output plus the base score) in the last slot, summing to the raw
 * margin (additivity).
 */
import type { PackedForest } from '../../../src/core/models/gbdt/forest.ts';
import type { FeatureMatrix } from '../../../src/core/models/types.ts';

/**
 * The unique path of Algorithm 2 as parallel arrays, one frame per recursion depth (each frame right
 * after its parent's). Plain functions over the arrays and hand-written copy loops: TreeSHAP's cost is
 * these short loops, run once per node per row.
 */
interface PathBuffer {
  readonly feature: Int32Array;
  readonly zero: Float64Array;
  readonly one: Float64Array;
  readonly weight: Float64Array;
}

function pathBuffer(size: number): PathBuffer {
  return {
    feature: new Int32Array(size),
    zero: new Float64Array(size),
    one: new Float64Array(size),
    weight: new Float64Array(size),
  };
}

/** Adds an element to the path at `p` of current depth `d` (d elements before it) and updates weights. */
function extend(b: PathBuffer, p: number, d: number, zero: number, one: number, feature: number): void {
  const w = b.weight;
  b.feature[p + d] = feature;
  b.zero[p + d] = zero;
  b.one[p + d] = one;
  w[p + d] = d === 0 ? 1 : 0;
  const inv = 1 / (d + 1);
  for (let i = d - 1; i >= 0; i--) {
    const wi = w[p + i]!;
    w[p + i + 1] += one * wi * (i + 1) * inv;
    w[p + i] = zero * wi * (d - i) * inv;
  }
}

/** Removes element `k` from the path of depth `d` (elements 0..d), undoing its extension. */
function unwind(b: PathBuffer, p: number, d: number, k: number): void {
  const w = b.weight;
  const one = b.one[p + k]!;
  const zero = b.zero[p + k]!;
  let next = w[p + d]!;
  for (let i = d - 1; i >= 0; i--) {
    if (one !== 0) {
      const tmp = w[p + i]!;
      w[p + i] = (next * (d + 1)) / ((i + 1) * one);
      next = tmp - (w[p + i]! * zero * (d - i)) / (d + 1);
    } else {
      w[p + i] = (w[p + i]! * (d + 1)) / (zero * (d - i));
    }
  }
  const fe = b.feature;
  const ze = b.zero;
  const on = b.one;
  for (let i = p + k; i < p + d; i++) {
    fe[i] = fe[i + 1]!;
    ze[i] = ze[i + 1]!;
    on[i] = on[i + 1]!;
  }
}

/** 1 / k for path lengths (divisions are several times slower than multiplications). */
let RECIP = reciprocals(256);

function reciprocals(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, k) => (k === 0 ? 0 : 1 / k));
}

/** The total weight of the path of depth `d` with element `k` unwound (without changing it). */
function unwoundSum(b: PathBuffer, p: number, d: number, k: number): number {
  const w = b.weight;
  const one = b.one[p + k]!;
  const zero = b.zero[p + k]!;
  let next = w[p + d]!;
  let total = 0;
  const d1 = d + 1;
  const inv = RECIP[d1]!;
  if (one !== 0) {
    const scale = d1 / one;
    const zInv = zero * inv;
    for (let i = d - 1; i >= 0; i--) {
      const tmp = next * scale * RECIP[i + 1]!;
      total += tmp;
      next = w[p + i]! - tmp * zInv * (d - i);
    }
  } else if (zero !== 0) {
    const scale = d1 / zero;
    for (let i = d - 1; i >= 0; i--) total += w[p + i]! * scale * RECIP[d - i]!;
  }
  return total;
}

/** The child the row takes at `node` (the predictor's rule). */
function hotChild(f: PackedForest, node: number, x: number): number {
  const cs = f.catStart[node]!;
  let goLeft: boolean;
  if (cs < 0) {
    goLeft = x <= f.threshold[node]! || (x !== x && f.defaultLeft[node] === 1);
  } else if (!(x >= 0)) {
    goLeft = f.defaultLeft[node] === 1;
  } else {
    const c = Math.floor(x);
    const word = c >> 5;
    goLeft = word < f.catBits[cs]! && ((f.catBits[cs + 1 + word]! >>> (c & 31)) & 1) === 1;
  }
  return goLeft ? f.left[node]! : f.right[node]!;
}

function treeDepth(f: PackedForest, node: number): number {
  return f.left[node]! < 0 ? 0 : 1 + Math.max(treeDepth(f, f.left[node]!), treeDepth(f, f.right[node]!));
}

/** The cover-weighted mean output of the subtree at `node`: the tree's expected value. */
export function expectedValue(f: PackedForest, node: number): number {
  if (f.left[node]! < 0) return f.value[node]!;
  const l = f.left[node]!;
  const r = f.right[node]!;
  const cl = f.cover[l]!;
  const cr = f.cover[r]!;
  const c = cl + cr;
  if (!(c > 0)) return (expectedValue(f, l) + expectedValue(f, r)) / 2;
  return (cl * expectedValue(f, l) + cr * expectedValue(f, r)) / c;
}

export interface TreeShapOptions {
  /** Trees [t0, t1) of the forest (default all). */
  readonly trees?: readonly [number, number];
  /** Number of output groups (classes for multiclass, else 1). */
  readonly nGroups: number;
  /** Per-group base score added to the bias. */
  readonly baseScore?: ArrayLike<number>;
  /** Multiplies every contribution and the bias (e.g. 1 / rounds for a random forest's average). */
  readonly scale?: number;
}

/**
 * SHAP values of every row of `X` (column-major, as the models read it): a Float64Array laid out as
 * [row][group][feature…, bias] — (nFeatures + 1) values per row and group, as XGBoost's
 * `pred_contribs` (whose output for multiclass is rows × groups × (features + 1)).
 */
export function treeShap(f: PackedForest, X: FeatureMatrix, options: TreeShapOptions): Float64Array {
  const nF = X.nCols;
  const n = X.nRows;
  const G = options.nGroups;
  const [t0, t1] = options.trees ?? [0, f.nTrees];
  const scale = options.scale ?? 1;
  const width = nF + 1;
  const out = new Float64Array(n * G * width);
  let maxDepth = 0;
  const expected = new Float64Array(G);
  for (let t = t0; t < t1; t++) {
    maxDepth = Math.max(maxDepth, treeDepth(f, f.treeRoot[t]!));
    expected[f.treeGroup[t]!]! += expectedValue(f, f.treeRoot[t]!);
  }
  // Frames of depth 0 … maxDepth + 1, each starting right after its parent's (as in Algorithm 2).
  const frames = maxDepth + 2;
  if (RECIP.length < frames + 2) RECIP = reciprocals(frames + 2);
  const buf = pathBuffer((frames * (frames + 1)) / 2 + frames + 2);
  const bf = buf.feature;
  const bz = buf.zero;
  const bo = buf.one;
  const bw = buf.weight;
  const row = new Float64Array(nF);
  const data = X.data;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < nF; j++) row[j] = data[j * n + i]!;
    for (let t = t0; t < t1; t++) {
      const g = f.treeGroup[t]!;
      const phiBase = (i * G + g) * width;
      recurse(f.treeRoot[t]!, 0, 0, 1, 1, -1, phiBase);
    }
    for (let g = 0; g < G; g++) {
      const base = (i * G + g) * width;
      for (let j = 0; j < nF; j++) out[base + j] = out[base + j]! * scale;
      out[base + nF] = (expected[g]! + (options.baseScore?.[g] ?? 0)) * scale;
    }
  }
  return out;

  /**
   * Algorithm 2's RECURSE: `p` is the offset of the parent's path frame, `d` its depth (number of
   * elements); this call's frame starts right after it.
   */
  function recurse(
    node: number,
    p: number,
    d: number,
    zero: number,
    one: number,
    feature: number,
    phiBase: number,
  ): void {
    const q = p + d + 1;
    for (let i = 0; i <= d; i++) {
      bf[q + i] = bf[p + i]!;
      bz[q + i] = bz[p + i]!;
      bo[q + i] = bo[p + i]!;
      bw[q + i] = bw[p + i]!;
    }
    extend(buf, q, d, zero, one, feature);
    if (f.left[node]! < 0) {
      const v = f.value[node]!;
      for (let k = 1; k <= d; k++) {
        const w = unwoundSum(buf, q, d, k);
        out[phiBase + bf[q + k]!] += w * (bo[q + k]! - bz[q + k]!) * v;
      }
      return;
    }
    const split = f.feature[node]!;
    const hot = hotChild(f, node, row[split]!);
    const cold = hot === f.left[node] ? f.right[node]! : f.left[node]!;
    const cover = f.cover[node]!;
    const ch = f.cover[hot]!;
    const cc = f.cover[cold]!;
    const total = cover > 0 ? cover : ch + cc;
    let inZero = 1;
    let inOne = 1;
    let depth = d;
    let k = 0;
    for (; k <= depth; k++) if (bf[q + k] === split) break;
    if (k <= depth) {
      inZero = bz[q + k]!;
      inOne = bo[q + k]!;
      unwind(buf, q, depth, k);
      depth -= 1;
    }
    const hz = total > 0 ? ch / total : 0.5;
    const cz = total > 0 ? cc / total : 0.5;
    recurse(hot, q, depth + 1, hz * inZero, inOne, split, phiBase);
    recurse(cold, q, depth + 1, cz * inZero, 0, split, phiBase);
  }
}
