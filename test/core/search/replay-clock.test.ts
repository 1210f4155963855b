/**
 * Replay of what the clock decided (issue #12): a time-budgeted search on a fake clock (every
 * reading advances it, so the deadline falls at the same point every run) cuts trials at the
 * deadline; the replay with `replayClock` and no clock at all gives the same trials, the same
 * ensemble and bit-identical predictions.
 */
import { describe, expect, it } from 'vitest';
import {
  checkClockRecord,
  runSearch,
  SearchError,
  type SearchOptions,
} from '../../../src/core/search/runner.ts';
import { expectSameSearch, fakeClock, replayOf, twoLaneExecutor, wide } from './clock-helpers.ts';
import { rescueResource } from '../../../src/core/search/evaluate-trial.ts';

describe('replay of a time-budgeted search (recorded clock decisions)', () => {
  it('k-fold, two trials at once: deadline cuts mid-fold, asynchronous halving peers, a refit stopped at the margin, members dropped', async () => {
    const clock = fakeClock(1);
    const budget = 4;
    const base: SearchOptions = {
      table: wide(300, 8, 3),
      target: 'y',
      task: 'binary',
      families: ['gbdt', 'random_forest'],
      seed: 7,
      timeBudgetSeconds: budget,
      folds: 3,
      halving: { reductionFactor: 3, minPeers: 2 },
      now: clock.now,
      executor: twoLaneExecutor(clock.now),
      // uncapped trials, so that some are cut mid-fold (the round allowance would make them fit)
      roundAllowance: false,
      // the refit starts just before the budget margin: the first member stops after a few rounds
      onPhase: (phase) => phase === 'refit' && clock.jumpTo(budget * 1000 * 1.1 - 5),
    };
    const r = await runSearch(base);
    const c = r.manifest.clock;
    expect(r.manifest.stoppedBy).toBe('deadline');
    expect(r.manifest.execution).toMatchObject({ mode: 'async', workers: 2 });
    expect(c.cuts.some((x) => x.reason === 'deadline' && (x.round ?? 0) > 0)).toBe(true);
    expect(c.told).not.toEqual([...c.told].sort((a, b) => a - b)); // results arrived out of order
    expect(c.refit[0]).toMatchObject({ action: 'refit' });
    expect(c.refit[0].rounds).toBeGreaterThanOrEqual(1);
    // ... but not before the rescue's minimum (a refit cut after a round or two is worse than none)
    const first = r.manifest.final.members[0];
    const t0 = r.trials[first.trial];
    expect(first.trial).toBe(c.refit[0].trial);
    expect(c.refit[0].rounds ?? first.resource).toBeGreaterThanOrEqual(
      Math.min(first.resource, rescueResource(t0.family, t0.config)),
    );
    expect(c.refit.some((x) => x.action === 'dropped')).toBe(true);
    // trials asked while others ran: their halving peers were a partial snapshot
    expect(c.asked.some((k, i) => k < i)).toBe(true);
    expect(r.trials.some((t) => t.rungs.length > 0)).toBe(true);
    const again = await replayOf(r, base);
    expectSameSearch(r, again, base.table);
    expect(again.manifest.execution.mode).toBe('batched');
  }, 120_000);

  it('holdout: a trial cut at the deadline is the fallback model, used without a refit', async () => {
    const clock = fakeClock(1);
    const base: SearchOptions = {
      table: wide(400, 6, 5),
      target: 'y',
      task: 'binary',
      families: ['gbdt'],
      seed: 3,
      timeBudgetSeconds: 0.04,
      folds: 1,
      now: clock.now,
    };
    const r = await runSearch(base);
    const c = r.manifest.clock;
    expect(r.trials.every((t) => t.state !== 'COMPLETE')).toBe(true);
    expect(c.cuts[0]).toMatchObject({ trial: 0, reason: 'deadline', fold: 0 });
    expect(c.refit).toEqual([{ trial: 0, action: 'holdout' }]);
    expect(c.rescue).toMatchObject({ trial: 0, how: 'cut', fold: 0, rounds: c.cuts[0].round });
    // the cut model is the only candidate: no greedy selection steps (seconds on big data, issue 21)
    expect(r.manifest.ensemble.rounds).toBeUndefined();
    expect(r.manifest.ensemble).toMatchObject({ candidates: [0], weights: [1], score: r.trials[0].value });
    const again = await replayOf(r, base);
    expectSameSearch(r, again, base.table);
  }, 60_000);

  it('rejects an inconsistent clock record with what is wrong', () => {
    const ok = { told: [1, 0], asked: [0, 0], cuts: [], crashed: [], refit: [] };
    expect(() => checkClockRecord(ok, 2)).not.toThrow();
    expect(() => checkClockRecord({ ...ok, asked: [0] }, 2)).toThrow(/asked has 1 entries for 2 trials/);
    expect(() => checkClockRecord({ ...ok, told: [0, 0] }, 2)).toThrow(/trial 0 is told twice/);
    expect(() => checkClockRecord({ ...ok, asked: [2, 0] }, 2)).toThrow(/trial 0 was asked after/);
    expect(() =>
      checkClockRecord({ ...ok, cuts: [{ trial: 5, reason: 'deadline', fold: 0, round: 1 }] }, 2),
    ).toThrow(SearchError);
  });
});
