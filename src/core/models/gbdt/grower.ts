/**
 * Tree grower on binned data (sklearn's _hist_gradient_boosting/grower.py): depth-wise or leaf-wise
 * (lossguide, maxLeaves) growth of one tree. The histogram of a node's smaller child is built, its
 * sibling's derived by subtraction from the parent's; the split finder (splitter.ts) picks each node's
 * split from its histogram; rows of a node are a contiguous range of an index list, partitioned in place
 * (stably, so rows stay sorted).
 *
 * Where the data lives and the loops over rows (histograms, subtraction, partition, leaf values into the
 * margins) are the grow kernel's (grow-kernel.ts): WebAssembly when available, else JavaScript, behind
 * one interface; both give the same trees, bit for bit (test/core/models/gbdt-wasm.test.ts).
 */
import type { Rng } from '../../util/random.ts';
import type { BinMapper } from './binning.ts';
import type { FeatureMatrix } from '../types.ts';
import type { Forest } from './forest.ts';
import { createGrowKernel } from './grow-kernel.ts';
import type { GrowKernel } from './grow-kernel.ts';
import { Splitter, histStride } from './splitter.ts';
import type { GrowParams, Split } from './splitter.ts';

export type { GrowParams } from './splitter.ts';

interface Cand {
  node: number;
  start: number;
  end: number;
  depth: number;
  hist: Float64Array;
  split: Split;
}

export class TreeGrower {
  private readonly S: number;
  private readonly offsets: Int32Array;
  private readonly nBins0: number;
  private readonly k: GrowKernel;
  private readonly splitter: Splitter;

  /** Bins X (binColumns: column-major); marginLen: length of the margins the trees' values are added
   * to, when they may live in the kernel's memory (see margins()). */
  constructor(
    private readonly mapper: BinMapper,
    X: FeatureMatrix,
    private readonly p: GrowParams,
    marginLen = 0,
  ) {
    const F = mapper.features.length;
    if (X.nCols !== F) throw new Error(`bin mapper has ${F} features, matrix has ${X.nCols}`);
    this.S = histStride(p);
    this.offsets = mapper.offsets;
    this.nBins0 = F > 0 ? mapper.features[0].nBins : 0;
    this.splitter = new Splitter(mapper, p);
    this.k = createGrowKernel(mapper, X, p, marginLen);
  }

  /** The margins grow() adds leaf values to: a copy of `raw` in the kernel's memory (so that the kernel
   * adds them), or `raw` itself. */
  margins(raw: Float64Array): Float64Array {
    return this.k.margins(raw);
  }

  /** The column-major bins (binColumns of X), in the kernel's memory. */
  columnBins(): Uint8Array {
    return this.k.columnBins();
  }

  /** The targets for the objective's gradients: a copy of `y` in the kernel's memory (where its kernel
   * reads them, with the margins and gradientPairs()), or `y`. */
  targets(y: Float64Array): Float64Array {
    return this.k.targets(y);
  }

  /** An array for the gradient pairs of one group (2 per row): grow() reads them from the kernel's memory,
   * so passing this one back to grow() saves a copy per tree. Not for values that must survive a grow(). */
  gradientPairs(): Float64Array {
    return this.k.gradientPairs();
  }

  leafValue(G: number, H: number): number {
    return this.splitter.leafValue(G, H);
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
    const v = this.splitter.leafValue(g, h);
    forest.setLeaf(node, v, h);
    this.k.addValue(idx, start, end, v);
  }

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
    const kernel = this.k;
    const splitter = this.splitter;
    // The tree's rows and gradient pairs where the kernel reads them.
    const idx = kernel.rows(idxIn, m);
    const gh = kernel.grads(ghIn);
    kernel.output(out, outOff);
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
    const rootHist = kernel.alloc();
    kernel.rootHist(rootHist, idx, m, gh);
    let G = 0;
    let H = 0;
    for (let b = 0, o = this.offsets[0]; b <= this.nBins0; b++) {
      G += rootHist[(o + b) * S];
      H += rootHist[(o + b) * S + 1];
    }
    const rootSplit = splitter.canSplit(0, H, m)
      ? splitter.findSplit(rootHist, G, H, m, treeFeats, rng)
      : null;
    forest.setLeaf(root, splitter.leafValue(G, H), H);
    if (!rootSplit) {
      kernel.release(rootHist);
      this.makeLeaf(forest, root, G, H, idx, 0, m);
      return;
    }
    const cands: Cand[] = [{ node: root, start: 0, end: m, depth: 0, hist: rootHist, split: rootSplit }];
    let head = 0; // FIFO pointer for breadth-first order
    const fifo = !p.lossguide && p.maxLeaves > 0;
    let nLeaves = 1;
    const goLeft = kernel.goLeft;
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
      if (p.maxDepth > 0 && c.depth + 1 >= p.maxDepth) {
        // Both children are leaves at the maximum depth: no partition (no node below needs their rows as
        // ranges); one pass adds each row's leaf value.
        const vL = splitter.leafValue(s.GL, s.HL);
        const vR = splitter.leafValue(s.GR, s.HR);
        forest.setLeaf(L, vL, s.HL);
        forest.setLeaf(R, vR, s.HR);
        kernel.addSplitValues(idx, c.start, c.end, f, vL, vR);
        kernel.release(c.hist);
        continue;
      }
      const mid = kernel.partition(idx, c.start, c.end, f);
      const nL = mid - c.start;
      const nR = c.end - mid;
      const CL = S === 3 ? s.CL : nL;
      const CR = S === 3 ? s.CR : nR;
      const lCan = splitter.canSplit(c.depth + 1, s.HL, CL);
      const rCan = splitter.canSplit(c.depth + 1, s.HR, CR);
      forest.setLeaf(L, splitter.leafValue(s.GL, s.HL), s.HL);
      forest.setLeaf(R, splitter.leafValue(s.GR, s.HR), s.HR);
      if (!lCan && !rCan) {
        kernel.release(c.hist);
        this.makeLeaf(forest, L, s.GL, s.HL, idx, c.start, mid);
        this.makeLeaf(forest, R, s.GR, s.HR, idx, mid, c.end);
        continue;
      }
      const smallLeft = nL <= nR;
      const small = kernel.alloc();
      if (smallLeft) kernel.hist(small, idx, c.start, mid, gh);
      else kernel.hist(small, idx, mid, c.end, gh);
      let large: Float64Array | null = null;
      if (smallLeft ? rCan : lCan) {
        kernel.subtract(c.hist, small);
        large = c.hist;
      } else kernel.release(c.hist);
      const lHist = smallLeft ? small : large;
      const rHist = smallLeft ? large : small;
      const depth = c.depth + 1;
      let sp: Split | null = null;
      if (lCan && lHist) sp = splitter.findSplit(lHist, s.GL, s.HL, S === 3 ? CL : nL, treeFeats, rng);
      if (sp && lHist) cands.push({ node: L, start: c.start, end: mid, depth, hist: lHist, split: sp });
      else {
        if (lHist) kernel.release(lHist);
        this.makeLeaf(forest, L, s.GL, s.HL, idx, c.start, mid);
      }
      sp = null;
      if (rCan && rHist) sp = splitter.findSplit(rHist, s.GR, s.HR, S === 3 ? CR : nR, treeFeats, rng);
      if (sp && rHist) cands.push({ node: R, start: mid, end: c.end, depth, hist: rHist, split: sp });
      else {
        if (rHist) kernel.release(rHist);
        this.makeLeaf(forest, R, s.GR, s.HR, idx, mid, c.end);
      }
    }
    for (let i = p.lossguide || !fifo ? 0 : head; i < cands.length; i++) {
      const c = cands[i];
      kernel.release(c.hist);
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
