/**
 * Honest trial scores (issue 17): a boosted trial's score never uses a round count chosen on the fold
 * it scores. Each fold (k-fold) or half of the holdout is predicted at the round count that minimises
 * the mean validation curve of the OTHER blocks (src/core/search/no-peek.ts).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { crossFitRounds, holdoutHalves } from '../../../src/core/search/no-peek.ts';
import { evaluateTrial, type TrialTask } from '../../../src/core/search/evaluate-trial.ts';
import { prepareSearchContext } from '../../../src/core/search/context.ts';
import { fitGbdt } from '../../../src/core/models/gbdt/index.ts';
import { evaluate } from '../../../src/core/metrics/index.ts';
import { runSearch } from '../../../src/core/search/runner.ts';
import { wide } from './clock-helpers.ts';

/** Brute force: argmin over r ≤ cap of the mean of the other curves (last value carried forward). */
function reference(curves: number[][], caps: number[], f: number): number {
  let best = 1;
  let bestMean = Infinity;
  for (let r = 1; r <= caps[f]; r++) {
    const others = curves.filter((_, g) => g !== f).map((c) => c[Math.min(r, c.length) - 1]);
    const mean = others.reduce((a, b) => a + b, 0) / others.length;
    if (mean < bestMean) {
      bestMean = mean;
      best = r;
    }
  }
  return best;
}

const curve = fc.array(fc.double({ min: 0, max: 10, noNaN: true }), { minLength: 1, maxLength: 40 });

describe('crossFitRounds', () => {
  it('is the argmin of the other blocks’ mean curve, within the block’s own rounds', () => {
    fc.assert(
      fc.property(fc.array(curve, { minLength: 2, maxLength: 6 }), (curves) => {
        const caps = curves.map((c) => c.length);
        const rounds = crossFitRounds(curves, caps);
        curves.forEach((_, f) => {
          expect(rounds[f]).toBe(reference(curves, caps, f));
          expect(rounds[f]).toBeGreaterThanOrEqual(1);
          expect(rounds[f]).toBeLessThanOrEqual(caps[f]);
        });
      }),
    );
  });

  it('a block’s round does not depend on its own curve (the no-peek rule)', () => {
    fc.assert(
      fc.property(
        fc.array(curve, { minLength: 2, maxLength: 6 }),
        fc.nat(),
        fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 40, maxLength: 40 }),
        (curves, pick, noise) => {
          const f = pick % curves.length;
          const caps = curves.map((c) => c.length);
          const changed = curves.map((c, g) => (g === f ? c.map((_, i) => noise[i]) : c));
          expect(crossFitRounds(changed, caps)[f]).toBe(crossFitRounds(curves, caps)[f]);
        },
      ),
    );
  });

  it('leaves non-finite values out and refuses a single block', () => {
    expect(
      crossFitRounds([
        [3, 2, 1],
        [5, NaN, 4, 9],
        [1, 0.5, 2],
      ]),
    ).toEqual([2, 2, 2]);
    expect(
      crossFitRounds([
        [3, 2, 1],
        [9, 8, 7, 6, 1],
      ]),
    ).toEqual([3, 3]);
    expect(() => crossFitRounds([[1, 2]])).toThrow(/at least 2 blocks/);
  });

  it('holdout halves interleave and cover every position once', () => {
    const [a, b] = holdoutHalves(7);
    expect(Array.from(a)).toEqual([0, 2, 4, 6]);
    expect(Array.from(b)).toEqual([1, 3, 5]);
  });
});

const CONFIG = {
  learningRate: 0.3,
  maxDepth: 4,
  minChildWeight: 1,
  lambda: 1,
  earlyStoppingRounds: 15,
};
const task = (over: Partial<TrialTask> = {}): TrialTask => ({
  id: 't0',
  number: 0,
  family: 'gbdt',
  config: CONFIG,
  seed: 3,
  rungs: [],
  halving: false,
  peers: {},
  ...over,
});

describe('a boosted trial is scored without peeking', () => {
  it('k-fold: fold f is predicted at the round the other folds’ mean curve chooses', async () => {
    const table = wide(400, 6, 7);
    const ctx = prepareSearchContext({
      table,
      spec: { target: 'y', task: 'binary', seed: 9, metric: 'roc_auc', families: ['gbdt'], folds: 4 },
    });
    const out = await evaluateTrial(ctx, task());
    expect(out.result.state).toBe('COMPLETE');
    const np = out.noPeek!;
    expect(np.curves).toHaveLength(4);
    for (let f = 0; f < 4; f++) {
      // An independent fit of fold f gives the recorded curve; its score is that model at rounds[f].
      const d = ctx.foldData('tree', f);
      const m = fitGbdt(d.Xtr, d.ytr, {
        task: 'binary',
        nClasses: 2,
        config: { ...CONFIG, seed: 3, rounds: 2000 },
        validation: { X: d.Xva, y: d.yva },
      });
      expect(m.history.valid).toEqual(np.curves[f]);
      const others = np.curves.map((c, g) => (g === f ? c.map(() => Math.random()) : c)) as number[][];
      expect(crossFitRounds(others, np.caps)[f]).toBe(np.rounds[f]); // chosen without fold f's curve
      const p = m.predict(d.Xva, { rounds: np.rounds[f] });
      expect(out.result.foldValues![f]).toBe(evaluate('binary', d.yva, p, 2).roc_auc);
      for (let i = 0; i < d.valid.length; i++)
        expect(out.pred![ctx.posOf[d.valid[i]] * 2 + 1]).toBe(p[2 * i + 1]);
      expect(out.result.resources![f]).toBe(np.rounds[f]);
      // Peeking (the fold's own best round) could only look better on the fold's own loss.
      const own = Math.min(...np.curves[f]);
      expect(np.curves[f][np.rounds[f] - 1]).toBeGreaterThanOrEqual(own);
    }
    // On this noisy set at least one fold's round differs from its own best: the rule changes scores.
    const ownBest = np.curves.map((c) => c.indexOf(Math.min(...c)) + 1);
    expect(np.rounds.some((r, f) => r !== ownBest[f])).toBe(true);
  });

  it('holdout: each half is predicted at the round the other half’s curve chooses', async () => {
    const table = wide(500, 6, 8);
    const ctx = prepareSearchContext({
      table,
      spec: { target: 'y', task: 'binary', seed: 9, metric: 'log_loss', families: ['gbdt'], folds: 1 },
    });
    const out = await evaluateTrial(ctx, task());
    expect(out.result.state).toBe('COMPLETE');
    const np = out.noPeek!;
    const d = ctx.foldData('tree', 0);
    const [a, b] = np.halves!;
    expect(a.length + b.length).toBe(d.valid.length);
    const m = fitGbdt(d.Xtr, d.ytr, {
      task: 'binary',
      nClasses: 2,
      config: { ...CONFIG, seed: 3, rounds: 2000 },
      validation: { X: d.Xva, y: d.yva },
    });
    const argmin = (c: readonly number[], cap: number) => {
      let best = 1;
      for (let r = 2; r <= cap; r++) if (c[r - 1] < c[best - 1]) best = r;
      return best;
    };
    expect(np.rounds[0]).toBe(argmin(np.curves[1], m.nRounds));
    expect(np.rounds[1]).toBe(argmin(np.curves[0], m.nRounds));
    const pa = m.predict(d.Xva, { rounds: np.rounds[0] });
    const pb = m.predict(d.Xva, { rounds: np.rounds[1] });
    for (const i of a) expect(out.pred![i * 2 + 1]).toBe(pa[2 * i + 1]);
    for (const i of b) expect(out.pred![i * 2 + 1]).toBe(pb[2 * i + 1]);
    // the staged loss of the whole holdout is the training curve
    const [whole] = m.stagedLoss(d.Xva, d.yva, [Int32Array.from(d.valid, (_, i) => i)]);
    whole.forEach((v, r) => expect(v).toBeCloseTo(m.history.valid[r], 12));
    // the refit uses the holdout's own best round (the refit is not scored)
    expect(out.result.resources).toEqual([m.bestIteration + 1]);
  });

  it('noPeek: false (replays of searches recorded before it) scores each fold at its own best round', async () => {
    const table = wide(300, 5, 4);
    const ctx = prepareSearchContext({
      table,
      spec: { target: 'y', task: 'binary', seed: 2, metric: 'roc_auc', families: ['gbdt'], folds: 3 },
    });
    const out = await evaluateTrial(ctx, task({ noPeek: false }));
    expect(out.noPeek).toBeUndefined();
    for (let f = 0; f < 3; f++) {
      const d = ctx.foldData('tree', f);
      const m = fitGbdt(d.Xtr, d.ytr, {
        task: 'binary',
        nClasses: 2,
        config: { ...CONFIG, seed: 3, rounds: 2000 },
        validation: { X: d.Xva, y: d.yva },
      });
      expect(out.result.resources![f]).toBe(m.bestIteration + 1);
      expect(out.result.foldValues![f]).toBe(evaluate('binary', d.yva, m.predict(d.Xva), 2).roc_auc);
    }
  });

  it('the search records its trial scoring; an unknown one is refused', async () => {
    const table = wide(200, 4, 6);
    const base = {
      table,
      target: 'y',
      task: 'binary' as const,
      families: ['gbdt' as const],
      seed: 1,
      maxTrials: 2,
      folds: 3,
    };
    const r = await runSearch(base);
    expect(r.manifest.trialScoring).toBe('no-peek');
    const old = await runSearch({ ...base, trialScoring: 'own-fold' });
    expect(old.manifest.trialScoring).toBe('own-fold');
    expect(old.trials.map((t) => t.value)).not.toEqual(r.trials.map((t) => t.value));
    await expect(runSearch({ ...base, trialScoring: 'peek' as never })).rejects.toThrow(
      /unknown trialScoring/,
    );
  });

  it('is deterministic: the same trial twice gives the same bits', async () => {
    const table = wide(300, 5, 4);
    const spec = {
      target: 'y',
      task: 'binary' as const,
      seed: 2,
      metric: 'roc_auc',
      families: ['gbdt' as const],
      folds: 3,
    };
    const a = await evaluateTrial(prepareSearchContext({ table, spec }), task());
    const b = await evaluateTrial(prepareSearchContext({ table, spec }), task());
    expect(a.result.value).toBe(b.result.value);
    expect(Array.from(a.pred!)).toEqual(Array.from(b.pred!));
  });
});
