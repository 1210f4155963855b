/**
 * The tree allowance of a time-budgeted search (allowance.ts, issues 17/21): random forests were the
 * one family without a cap. The rule itself on a cost model, the cap recorded as the trial's `treeCap`
 * and honoured by its fits and its replay, and an old record (no `treeCap`) replayed unchanged.
 */
import { describe, expect, it } from 'vitest';
import {
  FOREST_LEVELS_PER_ROUND,
  MIN_TREES,
  UNMEASURED_SAFETY,
  forestRoundMsEstimate,
  measuredForestScale,
  roundMsEstimate,
  treeAllowance,
  treesTrained,
} from '../../../src/core/search/allowance.ts';
import { familySpace, trainingConfig } from '../../../src/core/search/spaces.ts';
import type { Params } from '../../../src/core/search/space.ts';
import { Study, type Trial } from '../../../src/core/search/study.ts';
import { runSearch, type SearchOptions } from '../../../src/core/search/runner.ts';
import { expectSameSearch, fakeClock, replayOf, wide, slowFamilyExecutor } from './clock-helpers.ts';

/** Letter-like data: 16,000 training rows × 16 features, 26 classes, one holdout fit. */
const letter = { trainRows: 16_000, fits: 1, groups: 26, features: 16 };
/** The portfolio's first forest. */
const forest: Params = {
  extraTrees: true,
  featureFraction: 'sqrt',
  maxDepth: 20,
  minSamplesLeaf: 1,
  classWeight: 'none',
};
const MAX_TREES = familySpace('random_forest').resource.max;

function forestTrial(number: number, params: Params, trees: number, seconds: number): Trial {
  return {
    id: `trial-${number}`,
    number,
    family: 'random_forest',
    params,
    config: {},
    seed: 1,
    source: 'test',
    state: 'COMPLETE',
    rungs: [],
    value: 1,
    resources: [trees],
    durations: { total: seconds },
  };
}

describe('tree allowance (random forests)', () => {
  it('estimates a round of deep trees from the data size and the tree depth', () => {
    const per = forestRoundMsEstimate(forest, letter);
    // depth 20 on 16,000 rows grows ≈ log2(16,000) = 14 levels: 3.5 × the GBDT round estimate
    // (measured on letter-like data: 3.8 ×)
    expect(per / roundMsEstimate(letter)).toBeCloseTo(Math.log2(16_000) / FOREST_LEVELS_PER_ROUND, 5);
    // a shallow forest with big leaves costs less
    expect(forestRoundMsEstimate({ ...forest, maxDepth: 6, minSamplesLeaf: 8 }, letter)).toBeLessThan(
      per / 2,
    );
  });

  it('gives the even share of the time left at the expected cost, at least MIN_TREES', () => {
    const per = forestRoundMsEstimate(forest, letter);
    const a = { trials: [] as Trial[], remainingMs: 48_000, concurrency: 1, params: forest, shape: letter };
    // 48 s left, 12 trials planned: a 4 s share; nothing measured yet: the estimate × 3
    expect(treeAllowance(a)).toBe(Math.max(MIN_TREES, Math.floor(4000 / (UNMEASURED_SAFETY * per))));
    // the GBDT rounds measured at their estimate: the forest's round too
    expect(treeAllowance({ ...a, remainingMs: 120_000, loadScale: 1 })).toBe(Math.floor(10_000 / per));
    expect(treeAllowance({ ...a, remainingMs: 100 })).toBe(MIN_TREES);
    expect(treeAllowance({ ...a, remainingMs: 1e9 })).toBe(MAX_TREES);
    // a forest trial that ran twice as slow as the model says: half the trees
    const slow = forestTrial(0, { ...forest, treeCap: 30 }, 30, (2 * 30 * per) / 1000);
    expect(treesTrained(slow)).toBe(30);
    expect(measuredForestScale([slow], letter)).toBeCloseTo(2);
    // 440 s left, 11 still wanted (one finished): 40 s a trial
    expect(treeAllowance({ ...a, remainingMs: 440_000, trials: [slow], loadScale: 1 })).toBe(
      Math.floor(40_000 / (2 * per)),
    );
  });

  it('records the cap as the forest trial’s treeCap; the fit trains min(resource, cap) trees', () => {
    const make = () =>
      new Study({
        task: 'binary',
        metric: 'roc_auc',
        families: ['random_forest'],
        seed: 1,
        sampler: 'random',
      });
    const study = make();
    const t = study.ask({ treeCap: () => 25 });
    expect(t.params.treeCap).toBe(25);
    const fit = trainingConfig('random_forest', { ...t.config, seed: 1 }, MAX_TREES);
    expect(fit.rounds).toBe(25);
    expect('treeCap' in fit).toBe(false);
    expect(
      trainingConfig('random_forest', { ...t.config, seed: 1 }, MAX_TREES, { uncapped: true }).rounds,
    ).toBe(MAX_TREES);
    // no cap at or above the maximum; the other families' options do not touch a forest
    expect(study.ask({ treeCap: () => 500 }).params.treeCap).toBeUndefined();
    expect(study.ask({ epochCap: () => 3, roundCap: 30 }).params.treeCap).toBeUndefined();
    // the sampled parameters are the same with and without the cap (the cap is never sampled)
    const plain = make().ask();
    const { treeCap: _cap, ...sampled } = t.params;
    expect(sampled).toEqual(plain.params);
    // a replayed trial keeps its recorded cap; a bad one is refused
    const replay = make();
    replay.enqueue({ family: 'random_forest', params: t.params, seed: t.seed });
    expect(replay.ask({ treeCap: () => 3 }).params.treeCap).toBe(25);
    expect(() => replay.enqueue({ family: 'random_forest', params: { ...t.params, treeCap: 0 } })).toThrow(
      /treeCap/,
    );
    // an old record (no treeCap) replays uncapped: all the trees it trained
    const old = make();
    old.enqueue({ family: 'random_forest', params: sampled, seed: 3 });
    const o = old.ask({ treeCap: () => 20 });
    expect(o.params.treeCap).toBeUndefined();
    expect(trainingConfig('random_forest', { ...o.config, seed: 3 }, MAX_TREES).rounds).toBe(MAX_TREES);
  });

  it('caps the forests of a time-budgeted search, records the caps, and the replay trains the same trees', async () => {
    const clock = fakeClock(1);
    // Each forest trial "takes" 0.3 s of the fake clock more: the forests after the first are
    // measured slow and capped.
    const executor = slowFamilyExecutor(clock, 'random_forest', 300);
    const base: SearchOptions = {
      table: wide(400, 6, 5),
      target: 'y',
      task: 'binary',
      families: ['gbdt', 'random_forest'],
      seed: 3,
      timeBudgetSeconds: 6,
      folds: 3,
      now: clock.now,
      executor,
    };
    const r = await runSearch(base);
    const rf = r.trials.filter(
      (t) => t.family === 'random_forest' && t.resources?.length && t.params.treeCap !== undefined,
    );
    expect(rf.length).toBeGreaterThanOrEqual(1);
    for (const t of rf) {
      expect(t.params.treeCap as number).toBeGreaterThanOrEqual(MIN_TREES);
      expect(t.params.treeCap as number).toBeLessThan(MAX_TREES);
      expect(Math.max(...t.resources!)).toBeLessThanOrEqual(t.params.treeCap as number);
    }
    const listed = r.manifest.replay.filter((t) => t.family === 'random_forest').map((t) => t.params.treeCap);
    expect(listed).toEqual(r.trials.filter((t) => t.family === 'random_forest').map((t) => t.params.treeCap));
    const again = await replayOf(r, base);
    expectSameSearch(r, again, base.table);
    // without the allowance the forests are uncapped
    const off = await runSearch({ ...base, now: fakeClock(1).now, roundAllowance: false });
    for (const t of off.trials.filter((x) => x.family === 'random_forest'))
      expect(t.params.treeCap).toBeUndefined();
  }, 300_000);
});
