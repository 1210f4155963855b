/**
 * Issue #21 (a 2-worker search on 1,000,000 rows ran 84.8 s for a 60 s budget): after a trial's last
 * row-subsample level, whether the fit on all rows can finish before the trial's time limit is judged
 * from the rows it would train on, without building its data first — building the full-rows pipeline
 * is itself an uncuttable fit (seconds on 800,000 rows) that the check exists to avoid.
 */
import { describe, expect, it } from 'vitest';
import type { SearchContext } from '../../../src/core/search/context.ts';
import { evaluateTrial } from '../../../src/core/search/evaluate-trial.ts';
import { fakeClock, firstTrial, holdoutContext } from './clock-helpers.ts';

const task = firstTrial(
  'gbdt',
  { learningRate: 0.3, maxDepth: 3, minChildWeight: 1, lambda: 1, earlyStoppingRounds: 10 },
  { timeLimitMs: 250 },
);

describe('the time check before a trial’s fit on all rows', () => {
  it('does not build the full-rows data when the fit would not finish in time; the trial keeps its level', async () => {
    const base = holdoutContext(['gbdt']);
    expect(base.subsample?.rows).toEqual([600]);
    // A fake clock: only building a level's data takes time (100 ms), so the level's fit "took"
    // 100 ms and the fit on all 2,400 training rows is expected to take 400 ms: past the 250 ms limit.
    let t = 0;
    const foldCalls: number[] = [];
    const ctx: SearchContext = {
      ...base,
      levelData: (key, level) => {
        t += 100;
        return base.levelData(key, level);
      },
      foldData: (key, f) => {
        foldCalls.push(f);
        return base.foldData(key, f);
      },
    };
    const out = await evaluateTrial(ctx, { ...task, rowLevels: [600] }, {}, () => t);
    expect(out.result.state).toBe('COMPLETE');
    expect(out.result.rows).toBe(600);
    expect(out.result.cut).toMatchObject({ reason: 'deadline', level: 1, fold: 0, round: 0 });
    expect(foldCalls).toEqual([]); // the full-rows pipeline was never built
  });

  it('with time to spare the trial goes on to all rows', async () => {
    const ctx = holdoutContext(['gbdt']);
    const out = await evaluateTrial(ctx, { ...task, rowLevels: [600], timeLimitMs: undefined }, {}, () => 0);
    expect(out.result.state).toBe('COMPLETE');
    expect(out.result.rows).toBeUndefined();
  });
});

describe('a holdout trial cut by the deadline', () => {
  it('returns its model as a fallback only while no trial has completed (keepCutModel)', async () => {
    const ctx = holdoutContext(['gbdt'], { rows: 1500, levels: false });
    const cutAfter = async (keepCutModel?: boolean) => {
      // every clock reading is 1 ms: a 20 ms limit cuts the fit after a few rounds
      const out = await evaluateTrial(
        ctx,
        { ...task, timeLimitMs: 20, ...(keepCutModel === undefined ? {} : { keepCutModel }) },
        {},
        fakeClock(1).now,
      );
      expect(out.result).toMatchObject({ state: 'PRUNED', reason: 'deadline' });
      expect(out.pred).toBeDefined();
      return out;
    };
    expect((await cutAfter()).holdout).toBeDefined();
    expect((await cutAfter(false)).holdout).toBeUndefined();
  });
});
