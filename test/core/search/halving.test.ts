import { describe, expect, it } from 'vitest';
import { halvingDecision, rungBudgets } from '../../../src/core/search/halving.ts';
import { Study } from '../../../src/core/search/study.ts';
import { createRng } from '../../../src/core/util/random.ts';

describe('successive halving', () => {
  it('places rungs at min · η^k below the maximum resource', () => {
    expect(rungBudgets({ minResource: 30, maxResource: 1500 })).toEqual([30, 90, 270, 810]);
    expect(rungBudgets({ minResource: 3, maxResource: 120, reductionFactor: 2 })).toEqual([
      3, 6, 12, 24, 48, 96,
    ]);
    expect(rungBudgets({ minResource: 10, maxResource: 10 })).toEqual([]);
  });

  it('continues until enough peers, then keeps only the top 1/η', () => {
    expect(halvingDecision(5, [1])).toBe('continue'); // 2 values < minPeers 3
    expect(halvingDecision(5, [1, 2])).toBe('prune'); // 3 values: only the best continues
    expect(halvingDecision(0.5, [1, 2])).toBe('continue');
    const peers = [1, 2, 3, 4, 5, 6, 7, 8, 9]; // n = 10 → top ⌊10/3⌋ = 3
    expect(halvingDecision(2.5, peers)).toBe('continue');
    expect(halvingDecision(3.5, peers)).toBe('prune');
    expect(halvingDecision(NaN, peers)).toBe('prune');
    expect(halvingDecision(3.5, peers, { reductionFactor: 2 })).toBe('continue'); // top 5
  });

  it('promotes about 1/η of a stream of trials at each rung', () => {
    const rng = createRng(1);
    const seen: number[] = [];
    let kept = 0;
    for (let i = 0; i < 300; i++) {
      const v = rng.next();
      if (halvingDecision(v, seen) === 'continue') kept++;
      seen.push(v);
    }
    // ASHA keeps a trial when it is in the top third of those seen so far: ≈ 1/3 of an iid stream.
    expect(kept / 300).toBeGreaterThan(0.2);
    expect(kept / 300).toBeLessThan(0.5);
  });

  it('is consulted by the study per family and rung, with the decision recorded', () => {
    const study = new Study({ task: 'binary', metric: 'roc_auc', families: ['gbdt', 'linear'], seed: 1 });
    const rungs = study.rungs('gbdt');
    expect(rungs).toEqual([200, 600, 1800]);
    const values = [0.3, 0.2, 0.5, 0.1];
    const decisions: string[] = [];
    for (const v of values) {
      let t = study.ask();
      while (t.family !== 'gbdt') {
        study.tell(t.id, { state: 'FAILED', error: 'skip' });
        t = study.ask();
      }
      decisions.push(study.report(t.id, 30, v));
      study.tell(t.id, { state: 'PRUNED', reason: 'halving' });
      expect(study.trials[t.number].rungs).toEqual([{ budget: 30, value: v, decision: decisions.at(-1) }]);
    }
    expect(decisions).toEqual(['continue', 'continue', 'prune', 'continue']);
    expect(Object.isFrozen(study.trials[0])).toBe(true);
  });

  it('never prunes when halving is off', () => {
    const study = new Study({
      task: 'regression',
      metric: 'rmse',
      families: ['gbdt'],
      seed: 1,
      halving: false,
    });
    expect(study.rungs('gbdt')).toEqual([]);
    for (let i = 0; i < 5; i++) {
      const t = study.ask();
      expect(study.report(t.id, 30, 10 - i + 100 * (i % 2))).toBe('continue');
    }
  });
});
