/**
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
import type { PackedForest } from '../models/gbdt/forest.ts';
import type { FeatureMatrix } from '../models/types.ts';

/**
 * The unique path of Algorithm 2 as parallel arrays, one frame per depth of the current root-to-node
 * path (`Workspace.stride` apart). Plain functions over the arrays and hand-written copy loops: without
 * the memo, TreeSHAP's cost is these short loops, run once per node per row.
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
 *
 * Trees are the outer loop and rows the inner one (one tree's arrays stay in cache); every value is
 * added to the output in the order Algorithm 2 would add it (trees in order; within a tree the leaves
 * depth first, the row's own child before the other), so the result does not depend on the loop order.
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
  if (RECIP.length < maxDepth + 4) RECIP = reciprocals(maxDepth + 4);
  const ws = workspace(f.nNodes, maxDepth);
  for (let t = t0; t < t1; t++) explainTree(f, ws, f.treeRoot[t]!, f.treeGroup[t]!, X.data, n, G, width, out);
  for (let i = 0; i < n; i++) {
    for (let g = 0; g < G; g++) {
      const base = (i * G + g) * width;
      for (let j = 0; j < nF; j++) out[base + j] = out[base + j]! * scale;
      out[base + nF] = (expected[g]! + (options.baseScore?.[g] ?? 0)) * scale;
    }
  }
  return out;
}

/**
 * Row-independent work: a leaf's contributions depend on the row only through which child the row
 * takes at each of the leaf's ancestors (the path's `one` fractions; the `zero` fractions are the
 * covers'). So they are computed once per (leaf, pattern of those choices) — with exactly Algorithm 2's
 * operations on the same values, hence the same bits — and later rows with the same pattern add the
 * stored values (the idea of Yang's Fast TreeSHAP v2, computed lazily). The table has 2^depth slots per
 * leaf; trees whose table would be larger than this (deep random-forest trees) or than a few times the
 * rows' own work skip it and compute every leaf.
 */
const MEMO_MAX_SLOTS = 1 << 16;

/** Scratch state for one `treeShap` call, allocated once; per-node arrays are indexed by node id. */
interface Workspace {
  /** The path of Algorithm 2, one frame per depth of the current root-to-node path (`stride` apart). */
  readonly buf: PathBuffer;
  readonly stride: number;
  /** Per frame: its path length after the node's unwind, and the unwound element's fractions. */
  readonly frameD: Int32Array;
  readonly frameInZero: Float64Array;
  readonly frameInOne: Float64Array;
  /** The depth-first walk: an explicit stack of (node, pattern of hot choices, depth). */
  readonly stackNode: Int32Array;
  readonly stackPat: Int32Array;
  readonly stackDepth: Int32Array;
  /** The current path: its node and whether it is its parent's hot child, per depth. */
  readonly pathNode: Int32Array;
  readonly pathHot: Int32Array;
  /** Per node: its cover over its parent's (`hz`/`cz` of Algorithm 2, 0.5 when the parent has none). */
  readonly frac: Float64Array;
  /** Per leaf: first slot of its memo table, its feature list (start in `feats`) and length. */
  readonly leafSlot: Int32Array;
  readonly leafFeat: Int32Array;
  readonly leafCount: Int32Array;
  feats: Int32Array;
  /** Memo: slot → start of its values in `memoVal`, or -1. */
  memoIdx: Int32Array;
  memoVal: Float64Array;
  /** The number of nodes of the tree last prepared. */
  treeNodes: number;
}

function workspace(nNodes: number, maxDepth: number): Workspace {
  const frames = maxDepth + 2;
  const stride = maxDepth + 3;
  return {
    buf: pathBuffer(frames * stride),
    stride,
    frameD: new Int32Array(frames),
    frameInZero: new Float64Array(frames),
    frameInOne: new Float64Array(frames),
    stackNode: new Int32Array(frames + 1),
    stackPat: new Int32Array(frames + 1),
    stackDepth: new Int32Array(frames + 1),
    pathNode: new Int32Array(frames),
    pathHot: new Int32Array(frames),
    frac: new Float64Array(nNodes),
    leafSlot: new Int32Array(nNodes),
    leafFeat: new Int32Array(nNodes),
    leafCount: new Int32Array(nNodes),
    feats: new Int32Array(256),
    memoIdx: new Int32Array(0),
    memoVal: new Float64Array(1024),
    treeNodes: 0,
  };
}

/**
 * Per-node fractions of the tree at `root` and its leaves' memo slots; returns the number of slots,
 * or -1 when the table would exceed `maxSlots`.
 */
function prepareTree(f: PackedForest, ws: Workspace, root: number, maxSlots: number): number {
  const { left, right, cover } = f;
  const { frac, leafSlot, leafFeat, stackNode, stackDepth } = ws;
  let slots = 0;
  let nodes = 0;
  let sp = 0;
  stackNode[sp] = root;
  stackDepth[sp++] = 0;
  frac[root] = 1;
  while (sp > 0) {
    const node = stackNode[--sp]!;
    const depth = stackDepth[sp]!;
    nodes++;
    const l = left[node]!;
    if (l < 0) {
      leafFeat[node] = -1;
      if (slots >= 0) {
        if (depth > 24 || slots + (1 << depth) > maxSlots) slots = -1;
        else {
          leafSlot[node] = slots;
          slots += 1 << depth;
        }
      }
      continue;
    }
    const r = right[node]!;
    const c = cover[node]!;
    const cl = cover[l]!;
    const cr = cover[r]!;
    const total = c > 0 ? c : cl + cr;
    frac[l] = total > 0 ? cl / total : 0.5;
    frac[r] = total > 0 ? cr / total : 0.5;
    stackNode[sp] = r;
    stackDepth[sp++] = depth + 1;
    stackNode[sp] = l;
    stackDepth[sp++] = depth + 1;
  }
  ws.treeNodes = nodes;
  return slots;
}

/**
 * Brings the path frames `from`…`to` up to date for the current path (`pathNode`/`pathHot`): frame j is
 * Algorithm 2's path at node pathNode[j] after its extension and, for an inner node, after unwinding
 * an earlier split on the same feature — the same operations in the same order as its RECURSE.
 */
function computeFrames(f: PackedForest, ws: Workspace, from: number, to: number): void {
  const { buf, stride, frameD, frameInZero, frameInOne, pathNode, pathHot, frac } = ws;
  const bf = buf.feature;
  const bz = buf.zero;
  const bo = buf.one;
  const bw = buf.weight;
  for (let j = from; j <= to; j++) {
    const node = pathNode[j]!;
    const q = j * stride;
    let d = 0;
    if (j === 0) extend(buf, q, 0, 1, 1, -1);
    else {
      const p = q - stride;
      const dp = frameD[j - 1]!;
      for (let i = 0; i <= dp; i++) {
        bf[q + i] = bf[p + i]!;
        bz[q + i] = bz[p + i]!;
        bo[q + i] = bo[p + i]!;
        bw[q + i] = bw[p + i]!;
      }
      d = dp + 1;
      const zero = frac[node]! * frameInZero[j - 1]!;
      const one = pathHot[j] === 1 ? frameInOne[j - 1]! : 0;
      extend(buf, q, d, zero, one, f.feature[pathNode[j - 1]!]!);
    }
    let inZero = 1;
    let inOne = 1;
    if (f.left[node]! >= 0) {
      const split = f.feature[node]!;
      let k = 0;
      for (; k <= d; k++) if (bf[q + k] === split) break;
      if (k <= d) {
        inZero = bz[q + k]!;
        inOne = bo[q + k]!;
        unwind(buf, q, d, k);
        d -= 1;
      }
    }
    frameD[j] = d;
    frameInZero[j] = inZero;
    frameInOne[j] = inOne;
  }
}

/** Adds the SHAP values of tree `root` (output group `g`) for every row of `data` into `out`. */
function explainTree(
  f: PackedForest,
  ws: Workspace,
  root: number,
  g: number,
  data: Float32Array | Float64Array,
  n: number,
  G: number,
  width: number,
  out: Float64Array,
): void {
  const { left, right, feature, threshold, defaultLeft, catStart, catBits, value } = f;
  const { buf, stride, frameD, stackNode, stackPat, stackDepth, pathNode, pathHot } = ws;
  const { leafSlot, leafFeat, leafCount } = ws;
  const bf = buf.feature;
  const bz = buf.zero;
  const bo = buf.one;
  const slots = prepareTree(f, ws, root, MEMO_MAX_SLOTS);
  // the table pays off when it is small against the rows' walk over the tree (n rows × its nodes)
  const memo = slots >= 0 && slots <= 4 * n * ws.treeNodes;
  if (memo) {
    if (ws.memoIdx.length < slots) ws.memoIdx = new Int32Array(Math.max(slots, 2 * ws.memoIdx.length));
    ws.memoIdx.fill(-1, 0, slots);
  }
  const memoIdx = ws.memoIdx;
  let memoLen = 0;
  let featsLen = 0;
  for (let i = 0; i < n; i++) {
    const phiBase = (i * G + g) * width;
    // frames 0…valid-1 are the current path's (Algorithm 2's path at those nodes, for this row)
    let valid = 0;
    stackNode[0] = root;
    stackPat[0] = 0;
    stackDepth[0] = 0;
    let sp = 1;
    while (sp > 0) {
      sp--;
      const node = stackNode[sp]!;
      const pat = stackPat[sp]!;
      const dep = stackDepth[sp]!;
      pathNode[dep] = node;
      pathHot[dep] = pat & 1;
      if (valid > dep) valid = dep;
      const l = left[node]!;
      if (l >= 0) {
        const x = data[feature[node]! * n + i]!;
        const cs = catStart[node]!;
        let goLeft: boolean;
        if (cs < 0) {
          goLeft = x <= threshold[node]! || (x !== x && defaultLeft[node] === 1);
        } else if (!(x >= 0)) {
          goLeft = defaultLeft[node] === 1;
        } else {
          const c = Math.floor(x);
          const word = c >> 5;
          goLeft = word < catBits[cs]! && ((catBits[cs + 1 + word]! >>> (c & 31)) & 1) === 1;
        }
        const p2 = pat << 1;
        stackNode[sp] = goLeft ? right[node]! : l;
        stackPat[sp] = p2;
        stackDepth[sp++] = dep + 1;
        stackNode[sp] = goLeft ? l : right[node]!;
        stackPat[sp] = p2 | 1;
        stackDepth[sp++] = dep + 1;
        continue;
      }
      const v = value[node]!;
      if (!memo) {
        computeFrames(f, ws, valid, dep);
        valid = dep + 1;
        const q = dep * stride;
        const d = frameD[dep]!;
        for (let k = 1; k <= d; k++) {
          const w = unwoundSum(buf, q, d, k);
          out[phiBase + bf[q + k]!] += w * (bo[q + k]! - bz[q + k]!) * v;
        }
        continue;
      }
      const slot = leafSlot[node]! + pat;
      let e = memoIdx[slot]!;
      if (e < 0) {
        computeFrames(f, ws, valid, dep);
        valid = dep + 1;
        const q = dep * stride;
        const d = frameD[dep]!;
        if (memoLen + d > ws.memoVal.length) {
          const grown = new Float64Array(2 * (memoLen + d));
          grown.set(ws.memoVal.subarray(0, memoLen));
          ws.memoVal = grown;
        }
        if (leafFeat[node]! < 0) {
          if (featsLen + d > ws.feats.length) {
            const grown = new Int32Array(2 * (featsLen + d));
            grown.set(ws.feats.subarray(0, featsLen));
            ws.feats = grown;
          }
          for (let k = 1; k <= d; k++) ws.feats[featsLen + k - 1] = bf[q + k]!;
          leafFeat[node] = featsLen;
          leafCount[node] = d;
          featsLen += d;
        }
        const mv = ws.memoVal;
        for (let k = 1; k <= d; k++) {
          const w = unwoundSum(buf, q, d, k);
          mv[memoLen + k - 1] = w * (bo[q + k]! - bz[q + k]!) * v;
        }
        e = memoLen;
        memoLen += d;
        memoIdx[slot] = e;
      }
      const mv = ws.memoVal;
      const feats = ws.feats;
      const fs = leafFeat[node]!;
      const cnt = leafCount[node]!;
      for (let k = 0; k < cnt; k++) out[phiBase + feats[fs + k]!] += mv[e + k]!;
    }
  }
}
