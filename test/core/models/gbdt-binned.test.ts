/**
 * Trees applied through bins (forest.ts SplitBins / addTreeBinned, issue 17's kernel speed-up) reach
 * the same leaves as the raw traversal (leafOf / addTreesRaw), bit for bit: numeric splits with
 * missing values either way, ±Infinity, values between and beyond the training cuts, and categorical
 * splits with missing and unseen codes (read raw).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRng } from '../../../src/core/util/random.ts';
import { matrixFromColumns, type Task } from '../../../src/core/models/types.ts';
import { fitGbdt } from '../../../src/core/models/gbdt/index.ts';
import { SplitBins, addTreeBinned, addTreesRaw } from '../../../src/core/models/gbdt/forest.ts';
import { binColumns } from '../../../src/core/models/gbdt/binning.ts';

function table(n: number, seed: number, task: Task, shift: number) {
  const rng = createRng(seed);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  const c = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    a[i] = rng.next() < 0.1 ? NaN : rng.normal() + shift;
    b[i] = rng.next() < 0.05 ? (rng.next() < 0.5 ? Infinity : -Infinity) : Math.round(rng.normal() * 4);
    // categorical codes; a shifted table has codes the training never saw, and missing ones
    c[i] = rng.next() < 0.08 ? NaN : rng.int(shift ? 9 : 6);
    const s = (a[i] || 0) + 0.3 * (Number.isFinite(b[i]) ? b[i] : 0) + (c[i] === 2 ? 1 : 0) + rng.normal();
    y[i] = task === 'regression' ? s : task === 'binary' ? (s > 0 ? 1 : 0) : s < -0.5 ? 0 : s < 0.7 ? 1 : 2;
  }
  return {
    X: matrixFromColumns([a, b, c], { featureNames: ['a', 'b', 'c'], categorical: [false, false, true] }),
    y,
  };
}

describe('GBDT trees through bins', () => {
  it('give the raw traversal’s margins on new data, bit for bit (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e6 }),
        fc.constantFrom<Task>('binary', 'multiclass', 'regression'),
        fc.constantFrom(0.6, 1),
        (seed, task, subsample) => {
          const train = table(400, seed, task, 0);
          const test = table(300, seed + 1, task, 0.7);
          const m = fitGbdt(train.X, train.y, {
            task,
            config: { rounds: 12, maxDepth: 4, subsample, seed, learningRate: 0.3 },
          });
          const p = m.forest.pack();
          const raw = new Float64Array(m.nGroups * test.X.nRows);
          const bin = new Float64Array(m.nGroups * test.X.nRows);
          addTreesRaw(p, test.X, 0, p.nTrees, raw);
          const sb = new SplitBins();
          sb.update(p, (f) => (m.mapper.features[f].categorical ? null : m.mapper.features[f].cuts));
          const bins = binColumns(m.mapper, test.X);
          for (let t = 0; t < p.nTrees; t++)
            addTreeBinned(p, sb, t, bins, test.X, bin, p.treeGroup[t] * test.X.nRows, null);
          expect(Buffer.from(bin.buffer).equals(Buffer.from(raw.buffer))).toBe(true);
          // predictRaw (which takes the bin path here) agrees too
          const pr = m.predictRaw(test.X);
          const ref = new Float64Array(pr.length);
          for (let k = 0; k < m.nGroups; k++)
            ref.fill(m.baseScore[k], k * test.X.nRows, (k + 1) * test.X.nRows);
          addTreesRaw(p, test.X, 0, p.nTrees, ref);
          expect(Buffer.from(pr.buffer).equals(Buffer.from(ref.buffer))).toBe(true);
        },
      ),
      { numRuns: 12 },
    );
  });

  it('the validation curve a fit records is the loss of its own predictions at each round', () => {
    const train = table(500, 3, 'multiclass', 0);
    const valid = table(300, 4, 'multiclass', 0.5);
    const m = fitGbdt(train.X, train.y, {
      task: 'multiclass',
      config: { rounds: 15, maxDepth: 3, subsample: 0.7, seed: 5 },
      validation: { X: valid.X, y: valid.y },
    });
    const curve = m.history.valid;
    expect(curve.length).toBe(15);
    for (const r of [1, 7, 15]) {
      const raw = m.predictRaw(valid.X, r);
      expect(m.objective.loss(raw, valid.y, null, valid.X.nRows)).toBe(curve[r - 1]);
    }
    // and a split that sends an unseen code right and missing by its default was exercised
    expect(m.forest.pack().catBits.length).toBeGreaterThan(0);
  });
});
