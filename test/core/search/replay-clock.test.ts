/**
 * Replay of what the clock decided (issue #12): a time-budgeted search on a fake clock (every
 * reading advances it, so the deadline falls at the same point every run) cuts trials at the
 * deadline; the replay with `replayClock` and no clock at all gives the same trials, the same
 * ensemble and bit-identical predictions.
 */
import { describe, expect, it } from 'vitest';
import type { Table } from '../../../src/core/data/table.ts';
import { createRng } from '../../../src/core/util/random.ts';
import {
  checkClockRecord,
  runSearch,
  SearchError,
  type SearchOptions,
  type SearchResult,
} from '../../../src/core/search/runner.ts';
import { inProcessExecutor, type TrialExecutor } from '../../../src/core/search/executor.ts';

/** A binary target over `p` numeric columns (a few informative) and a category. */
function wide(n: number, p: number, seed: number): Table {
  const rng = createRng(seed);
  const cols: Table['columns'][number][] = [];
  const xs: Float64Array[] = [];
  for (let j = 0; j < p; j++) {
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = i % (19 + j) === 0 ? NaN : rng.normal();
    xs.push(v);
    cols.push({ name: `x${j}`, type: 'numeric', storage: 'float64', values: v });
  }
  const codes = new Int32Array(n);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    codes[i] = rng.int(4);
    const s =
      (xs[0][i] || 0) -
      0.8 * (xs[1][i] || 0) ** 2 +
      0.6 * (xs[2][i] || 0) * (xs[3][i] || 0) +
      (codes[i] === 2 ? 0.7 : 0) +
      0.8 * rng.normal();
    y[i] = s > 0 ? 1 : 0;
  }
  cols.push({ name: 'c', type: 'categorical', storage: 'dict', codes, dictionary: ['a', 'b', 'c', 'd'] });
  cols.push({ name: 'y', type: 'categorical', storage: 'dict', codes: y, dictionary: ['no', 'yes'] });
  return { nRows: n, columns: cols };
}

/**
 * A clock that advances `step` ms at every reading (so trials are cut at the deadline at the same
 * point every run), and can jump ahead (e.g. to the budget margin when the refit starts).
 */
function fakeClock(step: number) {
  let t = 0;
  return { now: () => (t += step), jumpTo: (to: number) => void (t = Math.max(t, to)) };
}

/**
 * An executor that runs two trials at once in process, each after a delay that depends on its
 * number: results arrive out of order, so halving peers are asynchronous snapshots.
 */
function twoLaneExecutor(now: () => number): TrialExecutor {
  const inner = inProcessExecutor({ now });
  return {
    concurrency: 2,
    init: (data, local) => inner.init(data, local),
    async evaluate(task, hooks) {
      await new Promise((r) => setTimeout(r, task.number % 2 === 0 ? 40 : 0));
      return inner.evaluate(task, hooks);
    },
    close: () => inner.close(),
  };
}

const summary = (r: SearchResult) =>
  r.trials.map((t) => ({
    number: t.number,
    family: t.family,
    params: t.params,
    seed: t.seed,
    state: t.state,
    reason: t.reason,
    value: t.value,
    foldValues: t.foldValues,
    rungs: t.rungs,
    resources: t.resources,
  }));

/** Replays a search result as `reproduce` does: the recorded trials and clock decisions, no budget. */
function replayOf(r: SearchResult, base: SearchOptions): Promise<SearchResult> {
  const m = r.manifest;
  return runSearch({
    table: base.table,
    target: base.target,
    task: base.task,
    families: m.families,
    metric: m.metric,
    seed: m.seed,
    sampler: m.sampler,
    folds: m.split.strategy === 'kfold' ? m.split.folds : 1,
    ...(m.split.validFraction !== undefined ? { holdoutFraction: m.split.validFraction } : {}),
    halving:
      m.halving === false
        ? false
        : { reductionFactor: m.halving.reductionFactor, minPeers: m.halving.minPeers },
    marginFraction: m.budget.marginFraction,
    replay: m.replay,
    replayClock: JSON.parse(JSON.stringify(m.clock)),
    replayStoppedBy: m.stoppedBy,
  });
}

function expectSameSearch(a: SearchResult, b: SearchResult, table: Table): void {
  expect(summary(b)).toEqual(summary(a));
  expect(b.manifest.ensemble).toEqual(a.manifest.ensemble);
  expect(b.manifest.final).toEqual(a.manifest.final);
  expect(b.manifest.clock.cuts).toEqual(a.manifest.clock.cuts);
  expect(b.manifest.clock.refit).toEqual(a.manifest.clock.refit);
  expect(Array.from(b.validation.pred)).toEqual(Array.from(a.validation.pred));
  expect(Array.from(b.model.predictTable(table))).toEqual(Array.from(a.model.predictTable(table)));
}

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
