/**
 * Flat-array tree ensemble: every node of every tree lives in shared typed arrays (node ids are
 * global). A node is a leaf when left < 0. Numeric split: x <= threshold goes left, NaN follows
 * defaultLeft. Categorical split (catStart >= 0): codes whose bit is set in catBits go left, other codes
 * go right, missing (NaN / negative) follows defaultLeft.
 */
import type { FeatureMatrix } from '../types.ts';
import { b64, typedToBase64 } from '../../util/base64.ts';

class GrowF64 {
  a = new Float64Array(64);
  n = 0;
  push(v: number): number {
    if (this.n === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n] = v;
    return this.n++;
  }
  view(): Float64Array {
    return this.a.subarray(0, this.n);
  }
  /** Replaces the contents with `src` (converted as by Float64Array.set). */
  assign(src: ArrayLike<number>): void {
    this.a = new Float64Array(Math.max(64, src.length));
    this.a.set(src);
    this.n = src.length;
  }
}
class GrowI32 {
  a = new Int32Array(64);
  n = 0;
  push(v: number): number {
    if (this.n === this.a.length) {
      const b = new Int32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n] = v;
    return this.n++;
  }
  view(): Int32Array {
    return this.a.subarray(0, this.n);
  }
  /** Replaces the contents with `src` (converted as by Int32Array.set). */
  assign(src: ArrayLike<number>): void {
    this.a = new Int32Array(Math.max(64, src.length));
    this.a.set(src);
    this.n = src.length;
  }
}

export interface SerializedForest {
  nTrees: number;
  nNodes: number;
  treeRoot: string;
  treeGroup: string;
  feature: string;
  threshold: string;
  left: string;
  right: string;
  value: string;
  defaultLeft: string;
  catStart: string;
  catBits: string;
  gain: string;
  cover: string;
}

/**
 * `SerializedForest` with the arrays as typed arrays instead of base64 text (`Forest.toBinary`): the
 * form a trial worker hands a model back in, its buffers transferred (a 120-round forest of deep trees
 * is hundreds of MB of base64, seconds to encode). Read by `Forest.fromJSON` like the text form; never
 * written as JSON.
 */
export interface BinaryForest {
  nTrees: number;
  nNodes: number;
  treeRoot: Int32Array;
  treeGroup: Int32Array;
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
  defaultLeft: Uint8Array;
  catStart: Int32Array;
  catBits: Uint32Array;
  gain: Float64Array;
  cover: Float64Array;
}

type ForestArrays<T> = { [K in Exclude<keyof SerializedForest, 'nTrees' | 'nNodes'>]: T };

export class Forest {
  private feature_ = new GrowI32();
  private threshold_ = new GrowF64();
  private left_ = new GrowI32();
  private right_ = new GrowI32();
  private value_ = new GrowF64();
  private defaultLeft_ = new GrowI32();
  private catStart_ = new GrowI32();
  private gain_ = new GrowF64();
  private cover_ = new GrowF64();
  private catBits_: number[] = [];
  private treeRoot_ = new GrowI32();
  private treeGroup_ = new GrowI32();

  get nTrees(): number {
    return this.treeRoot_.n;
  }
  get nNodes(): number {
    return this.feature_.n;
  }

  /** Adds an unset node (a leaf of value 0) and returns its global id. */
  addNode(cover: number): number {
    this.feature_.push(-1);
    this.threshold_.push(0);
    this.left_.push(-1);
    this.right_.push(-1);
    this.value_.push(0);
    this.defaultLeft_.push(0);
    this.catStart_.push(-1);
    this.gain_.push(0);
    this.cover_.push(cover);
    return this.feature_.n - 1;
  }

  startTree(group: number): number {
    const root = this.addNode(0);
    this.treeRoot_.push(root);
    this.treeGroup_.push(group);
    return root;
  }

  setLeaf(node: number, value: number, cover: number): void {
    this.value_.a[node] = value;
    this.cover_.a[node] = cover;
  }

  setNumericSplit(
    node: number,
    feature: number,
    threshold: number,
    defaultLeft: boolean,
    gain: number,
    left: number,
    right: number,
  ): void {
    this.feature_.a[node] = feature;
    this.threshold_.a[node] = threshold;
    this.defaultLeft_.a[node] = defaultLeft ? 1 : 0;
    this.gain_.a[node] = gain;
    this.left_.a[node] = left;
    this.right_.a[node] = right;
  }

  /** leftCodes: category codes that go left. */
  setCategoricalSplit(
    node: number,
    feature: number,
    leftCodes: readonly number[],
    defaultLeft: boolean,
    gain: number,
    left: number,
    right: number,
  ): void {
    let max = -1;
    for (const c of leftCodes) if (c > max) max = c;
    const nWords = (max >> 5) + 1;
    const start = this.catBits_.length;
    this.catBits_.push(nWords);
    for (let w = 0; w < nWords; w++) this.catBits_.push(0);
    for (const c of leftCodes) this.catBits_[start + 1 + (c >> 5)] |= 1 << (c & 31);
    for (let w = 0; w < nWords; w++) this.catBits_[start + 1 + w] >>>= 0;
    this.feature_.a[node] = feature;
    this.threshold_.a[node] = NaN;
    this.catStart_.a[node] = start;
    this.defaultLeft_.a[node] = defaultLeft ? 1 : 0;
    this.gain_.a[node] = gain;
    this.left_.a[node] = left;
    this.right_.a[node] = right;
  }

  private packed: PackedForest | null = null;

  /** Typed-array snapshot for prediction (cached until the forest changes). */
  pack(): PackedForest {
    if (this.packed && this.packed.nNodes === this.nNodes && this.packed.nTrees === this.nTrees)
      return this.packed;
    this.packed = {
      nTrees: this.nTrees,
      nNodes: this.nNodes,
      treeRoot: this.treeRoot_.view(),
      treeGroup: this.treeGroup_.view(),
      feature: this.feature_.view(),
      threshold: this.threshold_.view(),
      left: this.left_.view(),
      right: this.right_.view(),
      value: this.value_.view(),
      defaultLeft: this.defaultLeft_.view(),
      catStart: this.catStart_.view(),
      catBits: Uint32Array.from(this.catBits_),
      gain: this.gain_.view(),
      cover: this.cover_.view(),
    };
    return this.packed;
  }

  toJSON(): SerializedForest {
    const p = this.pack();
    return {
      nTrees: p.nTrees,
      nNodes: p.nNodes,
      treeRoot: typedToBase64(p.treeRoot),
      treeGroup: typedToBase64(p.treeGroup),
      feature: typedToBase64(p.feature),
      threshold: typedToBase64(p.threshold),
      left: typedToBase64(p.left),
      right: typedToBase64(p.right),
      value: typedToBase64(p.value),
      defaultLeft: typedToBase64(Uint8Array.from(p.defaultLeft)),
      catStart: typedToBase64(p.catStart),
      catBits: typedToBase64(p.catBits),
      gain: typedToBase64(p.gain),
      cover: typedToBase64(p.cover),
    };
  }

  /** The forest's arrays as copies (own buffers, safe to transfer): see `BinaryForest`. */
  toBinary(): BinaryForest {
    const p = this.pack();
    return {
      nTrees: p.nTrees,
      nNodes: p.nNodes,
      treeRoot: p.treeRoot.slice(),
      treeGroup: p.treeGroup.slice(),
      feature: p.feature.slice(),
      threshold: p.threshold.slice(),
      left: p.left.slice(),
      right: p.right.slice(),
      value: p.value.slice(),
      defaultLeft: Uint8Array.from(p.defaultLeft),
      catStart: p.catStart.slice(),
      catBits: p.catBits.slice(),
      gain: p.gain.slice(),
      cover: p.cover.slice(),
    };
  }

  /**
   * Reads a forest back and checks it against the model it belongs to (`nFeatures` inputs, `nGroups`
   * output groups), so a damaged or tampered file fails here, naming the tree, node and field, instead
   * of making prediction loop forever or give garbage: see `checkForest`.
   */
  static fromJSON(s: SerializedForest | BinaryForest, model: ForestShape): Forest {
    const f = new Forest();
    for (const key of ['nTrees', 'nNodes'] as const) {
      const v = s[key];
      if (!(Number.isSafeInteger(v) && v >= 0))
        throw new Error(`serialized forest: ${key} is ${String(v)}, expected an integer >= 0`);
    }
    const fill = (g: GrowF64 | GrowI32, src: ArrayLike<number>, what: string, len: number): void => {
      if (src.length !== len)
        throw new Error(`serialized forest: ${what} has ${src.length} entries, expected ${len}`);
      g.assign(src);
    };
    // base64 text (files) or typed arrays of the right kind (a worker's hand-back: `toBinary`)
    const arrays = s as unknown as ForestArrays<string | ArrayLike<number>>;
    const read = <T>(
      key: keyof ForestArrays<unknown>,
      decode: (t: string) => T,
      kind: new (n: number) => T,
    ): T => {
      const v = arrays[key];
      if (typeof v === 'string') return decode(v);
      if (v instanceof kind) return v as T;
      throw new Error(`serialized forest: ${key} is neither base64 text nor a ${kind.name}`);
    };
    fill(f.treeRoot_, read('treeRoot', b64.i32, Int32Array), 'treeRoot', s.nTrees);
    fill(f.treeGroup_, read('treeGroup', b64.i32, Int32Array), 'treeGroup', s.nTrees);
    fill(f.feature_, read('feature', b64.i32, Int32Array), 'feature', s.nNodes);
    fill(f.threshold_, read('threshold', b64.f64, Float64Array), 'threshold', s.nNodes);
    fill(f.left_, read('left', b64.i32, Int32Array), 'left', s.nNodes);
    fill(f.right_, read('right', b64.i32, Int32Array), 'right', s.nNodes);
    fill(f.value_, read('value', b64.f64, Float64Array), 'value', s.nNodes);
    fill(f.defaultLeft_, read('defaultLeft', b64.u8, Uint8Array), 'defaultLeft', s.nNodes);
    fill(f.catStart_, read('catStart', b64.i32, Int32Array), 'catStart', s.nNodes);
    fill(f.gain_, read('gain', b64.f64, Float64Array), 'gain', s.nNodes);
    fill(f.cover_, read('cover', b64.f64, Float64Array), 'cover', s.nNodes);
    f.catBits_ = Array.from(read('catBits', b64.u32, Uint32Array));
    checkForest(f.pack(), model);
    return f;
  }
}

/** What a forest must fit: the model's number of input features and of output groups. */
export interface ForestShape {
  readonly nFeatures: number;
  /** Trees per round: tree t adds to group t mod nGroups. */
  readonly nGroups: number;
}

/**
 * Checks the structure the grower always produces, in O(nodes): tree t's nodes are the contiguous
 * range [treeRoot[t], treeRoot[t + 1]) (the last tree ends at nNodes), so tree 0 starts at node 0;
 * walking from the root reaches every node of that range exactly once (children inside the range, no
 * cycle, no node with two parents); tree t adds to group t mod nGroups; every split has a feature in
 * [0, nFeatures), defaultLeft 0 or 1, and either a numeric threshold that is not NaN (±Infinity is a
 * valid threshold) or a category set (catStart, -1 for numeric splits) inside catBits; every leaf value is
 * finite. Gain and cover only feed importances and are not checked. Throws `serialized forest: …`.
 */
export function checkForest(p: PackedForest, model: ForestShape): void {
  const { nTrees, nNodes, treeRoot, treeGroup, feature, threshold, left, right, value } = p;
  const { defaultLeft, catStart, catBits } = p;
  const { nFeatures, nGroups } = model;
  const bad = (where: string, what: string): never => {
    throw new Error(`serialized forest: ${where}: ${what}`);
  };
  if (nTrees === 0 && nNodes > 0) bad('nodes', `${nNodes} nodes but no trees`);
  for (let t = 0; t < nTrees; t++) {
    const g = treeGroup[t];
    if (!(g >= 0 && g < nGroups)) bad(`tree ${t}`, `treeGroup ${g} is outside [0, ${nGroups})`);
    if (g !== t % nGroups) {
      bad(`tree ${t}`, `treeGroup is ${g}, expected ${t % nGroups} (trees take the output groups in turn)`);
    }
    const r = treeRoot[t];
    if (!(r >= 0 && r < nNodes)) bad(`tree ${t}`, `treeRoot ${r} is outside [0, ${nNodes})`);
    if (t === 0 && r !== 0) bad('tree 0', `treeRoot is ${r}, expected 0 (tree 0 starts at node 0)`);
    if (t > 0 && r <= treeRoot[t - 1]) {
      bad(`tree ${t}`, `treeRoot ${r} does not come after tree ${t - 1}'s root ${treeRoot[t - 1]}`);
    }
  }
  const visited = new Uint8Array(nNodes);
  const stack = new Int32Array(nNodes);
  for (let t = 0; t < nTrees; t++) {
    const tree = `tree ${t}`;
    const lo = treeRoot[t];
    const hi = t + 1 < nTrees ? treeRoot[t + 1] : nNodes;
    let sp = 0;
    let reached = 1;
    visited[lo] = 1;
    stack[sp++] = lo;
    while (sp > 0) {
      const node = stack[--sp];
      if (defaultLeft[node] > 1)
        bad(`${tree}, node ${node}`, `defaultLeft is ${defaultLeft[node]}, expected 0 or 1`);
      if (left[node] < 0) {
        if (!Number.isFinite(value[node]))
          bad(`${tree}, node ${node}`, `leaf value ${value[node]} is not finite`);
        continue;
      }
      const f = feature[node];
      if (!(f >= 0 && f < nFeatures))
        bad(`${tree}, node ${node}`, `split feature ${f} is outside [0, ${nFeatures})`);
      const cs = catStart[node];
      if (cs === -1) {
        if (Number.isNaN(threshold[node])) bad(`${tree}, node ${node}`, 'numeric split threshold is NaN');
      } else if (!(cs >= 0 && cs < catBits.length && cs + 1 + catBits[cs] <= catBits.length)) {
        bad(
          `${tree}, node ${node}`,
          `catStart ${cs} does not point at a category set inside catBits (${catBits.length} words)`,
        );
      }
      for (let side = 0; side < 2; side++) {
        const c = side === 0 ? left[node] : right[node];
        const which = side === 0 ? 'left' : 'right';
        if (!(c >= lo && c < hi))
          bad(`${tree}, node ${node}`, `${which} child ${c} is outside the tree's nodes [${lo}, ${hi})`);
        if (visited[c] === 1)
          bad(
            `${tree}, node ${node}`,
            `${which} child ${c} is reached twice (a cycle, or a node with two parents)`,
          );
        visited[c] = 1;
        reached++;
        stack[sp++] = c;
      }
    }
    if (reached !== hi - lo)
      bad(tree, `${hi - lo - reached} of its nodes [${lo}, ${hi}) are not reachable from its root`);
  }
}

export interface PackedForest {
  readonly nTrees: number;
  readonly nNodes: number;
  readonly treeRoot: Int32Array;
  readonly treeGroup: Int32Array;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly value: Float64Array;
  readonly defaultLeft: Int32Array;
  /** Index into catBits of [nWords, word0, word1, ...], or -1 for numeric splits. */
  readonly catStart: Int32Array;
  readonly catBits: Uint32Array;
  readonly gain: Float64Array;
  readonly cover: Float64Array;
}

/** Leaf reached by row i of X (column-major) in the tree rooted at `root`. */
export function leafOf(
  p: PackedForest,
  root: number,
  data: Float32Array | Float64Array,
  nRows: number,
  i: number,
): number {
  const { feature, threshold, left, right, defaultLeft, catStart, catBits } = p;
  let node = root;
  while (left[node] >= 0) {
    const x = data[feature[node] * nRows + i];
    const cs = catStart[node];
    let goLeft: boolean;
    if (cs < 0) {
      goLeft = x <= threshold[node] || (x !== x && defaultLeft[node] === 1);
    } else if (!(x >= 0)) {
      goLeft = defaultLeft[node] === 1;
    } else {
      const c = Math.floor(x);
      const word = c >> 5;
      goLeft = word < catBits[cs] && ((catBits[cs + 1 + word] >>> (c & 31)) & 1) === 1;
    }
    node = goLeft ? left[node] : right[node];
  }
  return node;
}

/**
 * Adds trees [t0, t1) to raw margins `out` (class-major: out[group * nRows + i]).
 */
export function addTreesRaw(
  p: PackedForest,
  X: FeatureMatrix,
  t0: number,
  t1: number,
  out: Float64Array,
): void {
  const n = X.nRows;
  const data = X.data;
  const value = p.value;
  for (let t = t0; t < t1; t++) {
    const root = p.treeRoot[t];
    const base = p.treeGroup[t] * n;
    for (let i = 0; i < n; i++) out[base + i] += value[leafOf(p, root, data, n, i)];
  }
}

/**
 * Bin form of a forest's numeric splits, for applying trees to rows already binned with the mapper the
 * trees were grown on (`binColumns`): a row with bin b (0 = missing) goes right at node j exactly when
 * b > hi[j] or b < lo[j]. For a numeric split with threshold cuts[t − 1] (the grower's), bin(x) ≤ t ⇔
 * x ≤ threshold (bin(x) = 1 + the number of cuts below x), and lo is 0 when missing goes left, else 1 —
 * so the decision is leafOf's, bit for bit. Categorical splits (whose unseen codes the bins do not
 * tell apart from missing) and leaves have hi = −1: the traversal reads the raw value there.
 */
export class SplitBins {
  hi = new Int32Array(0);
  lo = new Int32Array(0);
  private n = 0;

  /** Extends the arrays to the forest's nodes (nodes added since the last call). */
  update(p: PackedForest, cutsOf: (feature: number) => Float64Array | null): void {
    if (this.hi.length < p.nNodes) {
      const cap = Math.max(p.nNodes, 2 * this.hi.length, 64);
      const hi = new Int32Array(cap);
      const lo = new Int32Array(cap);
      hi.set(this.hi.subarray(0, this.n));
      lo.set(this.lo.subarray(0, this.n));
      this.hi = hi;
      this.lo = lo;
    }
    for (let j = this.n; j < p.nNodes; j++) {
      const cuts = p.left[j] >= 0 && p.catStart[j] < 0 ? cutsOf(p.feature[j]) : null;
      if (!cuts) {
        this.hi[j] = -1;
        this.lo[j] = 0;
        continue;
      }
      // the number of cuts strictly below the threshold, + 1 (cuts ascend; Infinity: every bin)
      let a = 0;
      let b = cuts.length;
      const thr = p.threshold[j];
      while (a < b) {
        const mid = (a + b) >>> 1;
        if (cuts[mid] < thr) a = mid + 1;
        else b = mid;
      }
      this.hi[j] = a + 1;
      this.lo[j] = p.defaultLeft[j] === 1 ? 0 : 1;
    }
    this.n = p.nNodes;
  }
}

/**
 * Adds tree `t`'s leaf values to out[off + i] for the rows i of a column-major bin matrix `bins`
 * (nRows × nFeatures, feature f of row i at f · nRows + i; X holds the same rows' raw values, read at
 * categorical splits) — every row, or only those with skip[i] === 0. Same leaves as leafOf (see
 * SplitBins), with a branch-free step at numeric splits.
 */
export function addTreeBinned(
  p: PackedForest,
  sb: SplitBins,
  t: number,
  bins: Uint8Array,
  X: FeatureMatrix,
  out: Float64Array,
  off: number,
  skip: Uint8Array | null,
): void {
  const n = X.nRows;
  const data = X.data;
  const { feature, left, right, value } = p;
  const hi = sb.hi;
  const lo = sb.lo;
  const root = p.treeRoot[t];
  for (let i = 0; i < n; i++) {
    if (skip !== null && skip[i] !== 0) continue;
    let node = root;
    let l = left[node];
    while (l >= 0) {
      const h = hi[node];
      if (h < 0) {
        node = leafStep(p, node, data, n, i);
      } else {
        const b = bins[feature[node] * n + i];
        const goRight = Number(b > h) | Number(b < lo[node]);
        node = l + ((right[node] - l) & -goRight);
      }
      l = left[node];
    }
    out[off + i] += value[node];
  }
}

/** One step of leafOf from `node` (a split) for row i. */
function leafStep(
  p: PackedForest,
  node: number,
  data: Float32Array | Float64Array,
  nRows: number,
  i: number,
): number {
  const { feature, threshold, left, right, defaultLeft, catStart, catBits } = p;
  const x = data[feature[node] * nRows + i];
  const cs = catStart[node];
  let goLeft: boolean;
  if (cs < 0) {
    goLeft = x <= threshold[node] || (x !== x && defaultLeft[node] === 1);
  } else if (!(x >= 0)) {
    goLeft = defaultLeft[node] === 1;
  } else {
    const c = Math.floor(x);
    const word = c >> 5;
    goLeft = word < catBits[cs] && ((catBits[cs + 1 + word] >>> (c & 31)) & 1) === 1;
  }
  return goLeft ? left[node] : right[node];
}
