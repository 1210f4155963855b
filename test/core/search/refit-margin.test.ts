/**
 * Issue #21: in Chromium on 1,000,000 rows the first member's refit (a GLM on 950,000 rows) went on
 * past the budget margin to the rescue's minimum of iterations, and the search ended at 71 s of its
 * 66 s limit. With a holdout model to fall back on, the first member stops at the margin like the
 * others and, stopped short of that minimum, is used as its holdout model. Without one (k-fold) it
 * still trains the minimum: see replay-clock.test.
 */
import { describe, expect, it } from 'vitest';
import { runSearch, type SearchOptions } from '../../../src/core/search/runner.ts';
import { expectSameSearch, fakeClock, replayOf, wide } from './clock-helpers.ts';

describe('the first member of a holdout search at the budget margin', () => {
  it('stops at the margin and is used as its holdout model; the replay is the same search', async () => {
    const inner = fakeClock(1);
    const budget = 4;
    const margin = budget * 1000 * 1.1;
    // Once the refit has started (and decided to refit its first member, with time to spare), the
    // clock's 5th reading finds the margin passed: the first member's refit is past it after a round.
    let refitReadings = -1;
    const now = () => {
      const t = inner.now();
      if (refitReadings < 0 || ++refitReadings !== 5) return t;
      inner.jumpTo(margin + 1);
      return inner.now();
    };
    const base: SearchOptions = {
      table: wide(600, 6, 9),
      target: 'y',
      task: 'binary',
      families: ['gbdt'],
      seed: 5,
      timeBudgetSeconds: budget,
      folds: 1,
      now,
      onPhase: (phase) => void (phase === 'refit' && (refitReadings = 0)),
    };
    const r = await runSearch(base);
    const c = r.manifest.clock;
    expect(refitReadings).toBeGreaterThan(5);
    expect(r.manifest.split.strategy).toBe('holdout');
    // the first member: not refitted past the margin to the rescue's minimum, but its holdout model
    expect(c.refit[0]).toEqual({ trial: r.manifest.final.members[0].trial, action: 'holdout' });
    expect(c.refit.every((x) => x.action !== 'refit' || (x.rounds ?? Infinity) < 10)).toBe(true);
    // the clock read past the margin only for the round that found it passed
    expect(inner.now() - margin).toBeLessThan(200);
    expectSameSearch(r, await replayOf(r, base), base.table);
  }, 120_000);
});
