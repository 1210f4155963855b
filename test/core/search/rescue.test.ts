/**
 * A time-budgeted search always gives a model (issue #12): when no trial finishes before the
 * deadline, one trial is trained on fold 0 with a minimum of rounds after the search
 * (`clock.rescue`), and a replay without the clock gives the same model, bit for bit. A fake clock
 * (every reading advances it) puts the deadline at the same point every run.
 */
import { describe, expect, it } from 'vitest';
import { runSearch, SearchError, type SearchOptions } from '../../../src/core/search/runner.ts';
import { budgetNote, clockNote } from '../../../src/core/search/clock-note.ts';
import { rescueResource } from '../../../src/core/search/evaluate-trial.ts';
import { joinParams } from '../../../src/core/search/spaces.ts';
import { mixedTable } from '../../../bench/search-scale/table.ts';
import { portfolioSampler } from '../../../src/core/search/samplers/index.ts';
import { expectSameSearch, fakeClock, replayOf, twoLaneExecutor, wide } from './clock-helpers.ts';

describe('a search in which no trial finishes before the deadline', () => {
  it('deadline before the first trial is asked: trial 0 is asked, recorded as never run, and rescued', async () => {
    const clock = fakeClock(1);
    const base: SearchOptions = {
      table: wide(300, 6, 11),
      target: 'y',
      task: 'binary',
      families: ['gbdt', 'random_forest'],
      seed: 5,
      timeBudgetSeconds: 0.001,
      folds: 3,
      now: clock.now,
    };
    const r = await runSearch(base);
    const m = r.manifest;
    expect(r.trials).toHaveLength(1);
    const t = r.trials[0];
    expect(t).toMatchObject({ number: 0, state: 'PRUNED', reason: 'deadline' });
    expect(Number.isFinite(t.value)).toBe(true);
    expect(r.best.number).toBe(0);
    const rounds = rescueResource(t.family, t.config);
    // the clock was past the margin: stopped after the minimum of rounds
    expect(m.clock.rescue).toMatchObject({ trial: 0, how: 'fit', fold: 0, minRounds: rounds, rounds });
    expect(m.clock.rescue!.overrunSeconds).toBeGreaterThan(0);
    expect(m.clock.cuts).toEqual([{ trial: 0, reason: 'deadline' }]);
    expect(m.clock.told).toEqual([0]);
    expect(m.clock.refit).toEqual([{ trial: 0, action: 'holdout' }]);
    expect(m.final).toMatchObject({ kind: 'single', members: [{ trial: 0, weight: 1 }] });
    expect(m.final.members[0].resource).toBeLessThanOrEqual(rounds);
    // validation: fold 0's validation rows only (a third of the rows), scored with the search metric
    expect(r.validation.rows.length).toBeGreaterThan(80);
    expect(r.validation.rows.length).toBeLessThan(120);
    expect(r.validation.pred.length).toBe(2 * r.validation.rows.length); // two class probabilities
    const p = r.model.predictTable(base.table);
    expect(p.length).toBe(600);
    expect(p.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(new Set(p).size).toBeGreaterThan(10); // it learned something: not one constant
    // the user is told, in words, with the overrun
    const note = budgetNote(m)!;
    expect(note).toMatch(
      /^the time budget of 0.001 s was too small: no trial finished in time, so the model is trial 0/,
    );
    expect(note).toMatch(
      new RegExp(
        `training rows \\(${m.final.members[0].resource} rounds\\), not refitted on all rows; the run took [\\d.]+ s more than the budget`,
      ),
    );
    expect(clockNote(m)).toContain(note);

    const again = await replayOf(r, base);
    expectSameSearch(r, again, base.table);
    expect(again.manifest.clock.rescue!.overrunSeconds).toBe(m.clock.rescue!.overrunSeconds);
  }, 60_000);

  it('every trial cut mid-fold (two at once): the lowest-numbered trial is rescued; the replay reproduces it', async () => {
    const clock = fakeClock(4);
    const base: SearchOptions = {
      table: wide(400, 8, 13),
      target: 'y',
      task: 'binary',
      families: ['gbdt', 'linear'],
      seed: 9,
      timeBudgetSeconds: 0.3,
      folds: 3,
      now: clock.now,
      executor: twoLaneExecutor(clock.now),
    };
    const r = await runSearch(base);
    const m = r.manifest;
    expect(r.trials.every((t) => t.state !== 'COMPLETE')).toBe(true);
    expect(m.clock.cuts.some((c) => c.reason === 'deadline' && (c.round ?? 0) > 0)).toBe(true);
    const first = r.trials.find((t) => t.state !== 'FAILED')!;
    expect(m.clock.rescue).toMatchObject({ trial: first.number, how: 'fit', fold: 0 });
    expect(r.best.number).toBe(first.number);
    const again = await replayOf(r, base);
    expectSameSearch(r, again, base.table);
  }, 60_000);

  it('time left before the budget margin: the rescue fit runs to its end, within the budget', async () => {
    const clock = fakeClock(1);
    const budget = 10;
    const base: SearchOptions = {
      table: wide(300, 6, 17),
      target: 'y',
      task: 'binary',
      families: ['gbdt'],
      seed: 2,
      timeBudgetSeconds: budget,
      folds: 3,
      now: clock.now,
      // the first trial starts just before the search deadline (90% of the budget): cut at once
      onTrialStart: () => clock.jumpTo(budget * 1000 * 0.9 - 3),
    };
    const r = await runSearch(base);
    const m = r.manifest;
    expect(r.trials.every((t) => t.state === 'PRUNED' && t.reason === 'deadline')).toBe(true);
    expect(m.clock.cuts[0]).toMatchObject({ trial: 0, reason: 'deadline', fold: 0 });
    // the rescue ended by itself (early stopping) before the margin: no stop round, no overrun
    expect(m.clock.rescue).toEqual({
      trial: 0,
      how: 'fit',
      fold: 0,
      minRounds: 50,
      uncapped: true,
      overrunSeconds: 0,
    });
    expect(m.final.members[0].resource).toBeGreaterThanOrEqual(1); // its best iteration
    expect(budgetNote(m)).toMatch(
      /; the run stayed within the budget\. A larger budget gives a better model$/,
    );
    const again = await replayOf(r, base);
    expectSameSearch(r, again, base.table);
  }, 60_000);

  it('the rescue uses the time left, not the trial’s round cap (issue 17); a rescue recorded before replays within the cap', async () => {
    // one slow learner capped at 30 rounds (as the round allowance caps a trial on a short budget)
    const capped = joinParams('gbdt', {
      learningRate: 0.02,
      growPolicy: 'depthwise',
      maxDepth: 3,
      minChildWeight: 1,
      lambda: 1,
      alpha: 1e-4,
      subsample: 1,
      colsampleByTree: 1,
      classWeight: 'none',
      roundCap: 30,
      minDataPerGroup: 0,
    });
    const clock = fakeClock(1);
    const budget = 10;
    const base: SearchOptions = {
      table: wide(300, 6, 17),
      target: 'y',
      task: 'binary',
      families: ['gbdt'],
      seed: 2,
      timeBudgetSeconds: budget,
      folds: 3,
      sampler: portfolioSampler({ entries: [capped] }),
      now: clock.now,
      onTrialStart: () => clock.jumpTo(budget * 1000 * 0.9 - 3),
    };
    const r = await runSearch(base);
    const m = r.manifest;
    expect(r.trials[0].params.roundCap).toBe(30);
    expect(m.clock.rescue).toMatchObject({ trial: 0, how: 'fit', uncapped: true });
    // a slow learner given the time left trains past the cap (its best round is beyond 30)
    expect(m.final.members[0].resource).toBeGreaterThan(30);
    const again = await replayOf(r, base);
    expectSameSearch(r, again, base.table);
    // the same record without `uncapped` (a rescue recorded before it): the replay keeps the cap
    const legacy = { ...r, manifest: { ...m, clock: { ...m.clock, rescue: { ...m.clock.rescue! } } } };
    delete (legacy.manifest.clock.rescue as { uncapped?: boolean }).uncapped;
    const old = await replayOf(legacy, base);
    expect(old.manifest.clock.rescue?.uncapped).toBeUndefined();
    expect(old.manifest.final.members[0].resource).toBeLessThanOrEqual(30);
  }, 60_000);

  it('big data: the rescue trains on the smallest row-subsample level, not all training rows (issue 21); the replay reproduces it', async () => {
    const clock = fakeClock(1);
    const budget = 10;
    const base: SearchOptions = {
      table: mixedTable(3000, 10, 7),
      target: 'y',
      task: 'binary',
      families: ['gbdt'],
      seed: 4,
      timeBudgetSeconds: budget,
      folds: 1,
      subsample: { threshold: 800 },
      now: clock.now,
      // trial 0 starts past the search deadline: cut before its first level, no model to fall back on
      onTrialStart: () => clock.jumpTo(budget * 1000 * 0.9 + 1),
    };
    const r = await runSearch(base);
    const m = r.manifest;
    const levels = m.split.subsample!.rows;
    expect(r.trials[0]).toMatchObject({ state: 'PRUNED', reason: 'deadline' });
    expect(m.clock.rescue).toMatchObject({ trial: 0, how: 'fit', level: 0 });
    // the rescued model (and its value) come from the smallest level's rows, read through its pipeline
    expect(r.best.rows).toBe(levels[0]);
    expect(m.clock.refit).toEqual([{ trial: 0, action: 'holdout' }]);
    const again = await replayOf(r, base);
    expectSameSearch(r, again, base.table);
  }, 60_000);

  it('a stop before any trial finished is still an error, in words', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(
      runSearch({
        table: wide(200, 4, 1),
        target: 'y',
        task: 'binary',
        families: ['gbdt'],
        timeBudgetSeconds: 5,
        signal: ac.signal,
      }),
    ).rejects.toThrow(new SearchError('the search was stopped before any trial finished'));
  });

  it('a budget of 0 or less is refused', async () => {
    await expect(
      runSearch({ table: wide(50, 4, 1), target: 'y', task: 'binary', timeBudgetSeconds: 0 }),
    ).rejects.toThrow(/the time budget must be > 0 seconds/);
  });
});
