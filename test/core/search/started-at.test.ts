/**
 * `startedAt` (issue #17, "the wall clock stays within budget + 10%"): a caller that read the file and
 * started its workers for the same request passes the time the request began; that time counts
 * against the budget, so the search's deadlines move earlier by it, and the manifest records it as
 * `timings.setupSeconds` (and in `totalSeconds`). A fake clock (every reading advances it by 1 ms)
 * makes the deadlines fall at the same point every run.
 */
import { describe, expect, it } from 'vitest';
import { runSearch, SearchError, type SearchOptions } from '../../../src/core/search/runner.ts';
import { fakeClock, wide } from './clock-helpers.ts';

const budget = 3;
function options(now: () => number): SearchOptions {
  return {
    table: wide(300, 6, 21),
    target: 'y',
    task: 'binary',
    families: ['gbdt', 'linear'],
    seed: 4,
    timeBudgetSeconds: budget,
    folds: 3,
    now,
  };
}

describe('a time budget that started before the search (startedAt)', () => {
  it('the time before the search counts: earlier deadlines, fewer trials, recorded as setupSeconds', async () => {
    const plain = await runSearch(options(fakeClock(1).now));
    const setupMs = 2000;
    const early = await runSearch({ ...options(fakeClock(1).now), startedAt: -setupMs });
    const p = plain.manifest.timings;
    const e = early.manifest.timings;
    expect(p.setupSeconds).toBeUndefined();
    expect(e.setupSeconds).toBeCloseTo(setupMs / 1000 + 0.001, 6);
    // the plain search used more of the clock than the early one had left
    expect(p.searchSeconds).toBeGreaterThan(budget - setupMs / 1000);
    expect(plain.manifest.stoppedBy).toBe('deadline');
    // the early one stopped its search sooner (its deadlines are 2 s earlier), and the whole call held the
    // budget + 10%, setup included
    expect(e.setupSeconds! + e.searchSeconds).toBeLessThanOrEqual(budget + 0.05);
    expect(e.searchSeconds).toBeLessThan(p.searchSeconds - 1);
    expect(e.totalSeconds).toBeCloseTo(e.setupSeconds! + e.searchSeconds + e.refitSeconds, 9);
    expect(e.totalSeconds).toBeLessThanOrEqual(budget * 1.1 + 0.05);
    expect(early.trials.length).toBeLessThan(plain.trials.length);
  }, 120_000);

  it('a budget already spent before the search: the rescue says by how much, setup included', async () => {
    const r = await runSearch({ ...options(fakeClock(1).now), startedAt: -(budget * 1000 + 500) });
    const m = r.manifest;
    expect(m.clock.rescue).toBeDefined();
    expect(m.clock.rescue!.overrunSeconds).toBeGreaterThan(0.5);
    expect(m.timings.setupSeconds).toBeGreaterThan(budget);
  }, 60_000);

  it('refuses a start in the future or not a number', async () => {
    const clock = fakeClock(1);
    await expect(runSearch({ ...options(clock.now), startedAt: 1e9 })).rejects.toThrow(SearchError);
    await expect(runSearch({ ...options(clock.now), startedAt: Number.NaN })).rejects.toThrow(
      /startedAt must be a clock reading no later than now/,
    );
  });
});
