/**
 * Issue #21: on 1,000,000 rows in Chromium a 60 s search ran 66–70 s by its own count. The trial
 * running at the search deadline was an MLP cut after an epoch and then scored on all 50,000
 * holdout rows (4–10 s of plain-JavaScript predictions), although a trial had completed, so the cut
 * model could not be the fallback and its value was only shown. On big data (row-subsample levels)
 * such a trial (`skipCutScore`, set once a trial completed) is now PRUNED without a value, recorded
 * as `unscored` in the cut, and a replay does the same. Without levels nothing changes.
 */
import { describe, expect, it } from 'vitest';
import { evaluateTrial } from '../../../src/core/search/evaluate-trial.ts';
import { checkClockRecord } from '../../../src/core/search/manifest.ts';
import type { SearchOptions } from '../../../src/core/search/runner.ts';
import { runSearch } from '../../../src/core/search/runner.ts';
import {
  expectSameSearch,
  fakeClock,
  firstTrial,
  holdoutContext,
  mixedRows,
  replayOf,
  twoLaneExecutor,
} from './clock-helpers.ts';

const ctx = holdoutContext(['gbdt']);
// The data built beforehand: every trial below then reads the same clock (a build times its
// pipeline's fit with the trial's clock).
ctx.levelData('tree', 0);
ctx.foldData('tree', 0);
const task = firstTrial(
  'gbdt',
  { learningRate: 0.05, maxDepth: 3, minChildWeight: 1, lambda: 1, earlyStoppingRounds: 200 },
  { keepHoldoutModel: true },
);

/** A clock that advances 1 ms at every reading: the trial is cut after the same round every run. */
const ticking = () => fakeClock(1).now;

describe('a trial cut by the deadline', () => {
  for (const [name, levels] of [
    ['at a row-subsample level', [600]],
    ['in its fit on the holdout’s training rows', undefined],
  ] as const) {
    it(`${name}: scored unless skipCutScore`, async () => {
      const t = { ...task, timeLimitMs: 30, ...(levels ? { rowLevels: levels } : {}) };
      const kept = await evaluateTrial(ctx, t, {}, ticking());
      expect(kept.result.state).toBe('PRUNED');
      expect(kept.result.reason).toBe('deadline');
      expect(kept.result.value).toBeGreaterThan(0.5);
      expect(kept.pred).toBeDefined();
      expect(kept.result.cut?.unscored).toBeUndefined();
      const round = kept.result.cut!.round;
      expect(round).toBeGreaterThan(5);

      // keepCutModel false alone (small data): scored as before, no model returned
      const small = await evaluateTrial(ctx, { ...t, keepCutModel: false }, {}, ticking());
      expect(small.result.value).toBe(kept.result.value);
      expect(small.pred).toBeDefined();
      expect(small.holdout).toBeUndefined();

      const cut = await evaluateTrial(ctx, { ...t, keepCutModel: false, skipCutScore: true }, {}, ticking());
      expect(cut.result.state).toBe('PRUNED');
      expect(cut.result.reason).toBe('deadline');
      expect(cut.result.value).toBeUndefined();
      expect(cut.pred).toBeUndefined();
      expect(cut.holdout).toBeUndefined();
      expect(cut.result.cut).toEqual({ ...kept.result.cut, unscored: true });
      expect(cut.result.resources).toEqual(kept.result.resources);

      // a replay of the recorded cut, no clock: the same
      const { timeLimitMs: _, ...noClock } = t;
      const replay = await evaluateTrial(ctx, { ...noClock, skipCutScore: true, cut: cut.result.cut });
      expect(replay.result.value).toBeUndefined();
      expect(replay.result.cut).toEqual(cut.result.cut);
    });
  }

  it('in a search: the cut after a completed trial is recorded unscored, and the replay is the same search', async () => {
    const clock = fakeClock(1);
    const base: SearchOptions = {
      table: mixedRows(),
      target: 'y',
      task: 'binary',
      families: ['gbdt', 'random_forest'],
      seed: 4,
      timeBudgetSeconds: 5,
      folds: 1,
      subsample: { threshold: 800 },
      now: clock.now,
      executor: twoLaneExecutor(clock.now),
      roundAllowance: false,
    };
    const r = await runSearch(base);
    const cuts = r.manifest.clock.cuts;
    const unscored = cuts.filter((c) => c.unscored);
    expect(unscored.length).toBeGreaterThan(0);
    for (const c of unscored) {
      const trial = r.trials[c.trial];
      expect(trial.state).toBe('PRUNED');
      expect(trial.value).toBeUndefined();
    }
    checkClockRecord(r.manifest.clock, r.trials.length);
    expect(() =>
      checkClockRecord(
        { ...r.manifest.clock, cuts: [{ ...unscored[0], unscored: 1 as unknown as true }] },
        r.trials.length,
      ),
    ).toThrow(/unscored must be true/);
    expectSameSearch(r, await replayOf(r, base), base.table);
  }, 120_000);
});
