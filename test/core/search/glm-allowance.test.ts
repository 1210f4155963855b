/**
 * The iteration allowance of a time-budgeted search for linear trials solved by 'glm' (allowance.ts,
 * issue 17): a glm trial had no epochs, so no allowance, and ran to convergence (on soybean one took
 * 28.5 s of a 60 s search). The rule on the cost model, the cap recorded as the trial's
 * `maxIterations` and honoured by the solver, its fits and its replay, and an old record (no cap)
 * replayed unchanged.
 */
import { describe, expect, it } from 'vitest';
import {
  GLM_MS_PER_CELL,
  MIN_GLM_ITERATIONS,
  UNMEASURED_SAFETY,
  denseWidth,
  glmIterationAllowance,
  glmIterationMsEstimate,
  glmIterationsSolved,
  measuredGlmScale,
} from '../../../src/core/search/allowance.ts';
import { GLM_MAX_ITERATIONS, trainingConfig } from '../../../src/core/search/spaces.ts';
import type { Params } from '../../../src/core/search/space.ts';
import { Study, type Trial } from '../../../src/core/search/study.ts';
import { runSearch, type SearchOptions } from '../../../src/core/search/runner.ts';
import { inProcessExecutor, type TrialExecutor } from '../../../src/core/search/executor.ts';
import { linearEstimator } from '../../../src/core/models/nn/estimator.ts';
import { expectSameSearch, fakeClock, replayOf, wide } from './clock-helpers.ts';

/** Letter-like data: 16,000 training rows × 16 features, 26 classes, one holdout fit. */
const letter = { trainRows: 16_000, fits: 1, groups: 26, features: 16 };
const glm: Params = { solver: 'glm', l2: 1e-4, l1: 1e-8, classWeight: 'none' };

function glmTrial(number: number, params: Params, iterations: number[], seconds: number): Trial {
  return {
    id: `trial-${number}`,
    number,
    family: 'linear',
    params,
    config: {},
    seed: 1,
    source: 'test',
    state: 'COMPLETE',
    rungs: [],
    value: 1,
    resources: iterations,
    durations: { total: seconds },
  };
}

/**
 * An in-process executor on which every solver iteration (every round) of a linear trial "takes"
 * `ms` of the fake clock: the evaluation reads its stop signal once a round.
 */
function slowIterationExecutor(clock: ReturnType<typeof fakeClock>, ms: number): TrialExecutor {
  const inner = inProcessExecutor({ now: clock.now });
  return {
    concurrency: 1,
    init: (data, local) => inner.init(data, local),
    evaluate(task, hooks) {
      if (task.family !== 'linear') return inner.evaluate(task, hooks);
      const signal = hooks.signal;
      return inner.evaluate(task, {
        ...hooks,
        signal: {
          get aborted() {
            clock.jumpTo(clock.now() + ms);
            return signal?.aborted ?? false;
          },
        },
      });
    },
    close: () => inner.close(),
  };
}

describe('iteration allowance (linear trials solved by glm)', () => {
  it('estimates an iteration from rows × (encoded features + 1) × outputs × fits', () => {
    expect(glmIterationMsEstimate(letter)).toBeCloseTo(16_000 * 17 * 26 * GLM_MS_PER_CELL, 9);
    expect(glmIterationMsEstimate({ ...letter, fits: 3 })).toBeCloseTo(3 * glmIterationMsEstimate(letter), 9);
    expect(glmIterationMsEstimate({ ...letter, denseFeatures: 33 })).toBeCloseTo(
      2 * glmIterationMsEstimate(letter),
      9,
    );
    // the nets' design: 6 numeric columns with missing values (and their indicators), a category of
    // 4 one-hot, a category of 60 target-encoded
    const t = wide(100, 6, 1);
    const many = {
      name: 'm',
      type: 'categorical' as const,
      storage: 'dict' as const,
      codes: Int32Array.from({ length: 100 }, (_, i) => i % 60),
      dictionary: Array.from({ length: 60 }, (_, i) => `k${i}`),
    };
    const features = { nRows: 100, columns: [...t.columns.slice(0, 7), many] };
    expect(denseWidth(features, 1)).toBe(12 + 4 + 1);
    expect(denseWidth(features, 5)).toBe(12 + 4 + 5);
  });

  it('gives the even share of the time left at the expected cost, between MIN_GLM_ITERATIONS and the solver cap', () => {
    const per = glmIterationMsEstimate(letter);
    const a = { trials: [] as Trial[], remainingMs: 48_000, concurrency: 1, shape: letter };
    // 48 s left, 12 trials planned: a 4 s share; nothing measured yet: the estimate × 3
    expect(glmIterationAllowance(a)).toBe(Math.floor(4000 / (UNMEASURED_SAFETY * per)));
    expect(glmIterationAllowance({ ...a, loadScale: 1 })).toBe(Math.floor(4000 / per));
    expect(glmIterationAllowance({ ...a, loadScale: 2 })).toBe(Math.floor(4000 / (2 * per)));
    // GBDT rounds cheaper than their estimate (small data) do not make a glm iteration cheaper
    expect(glmIterationAllowance({ ...a, loadScale: 0.3 })).toBe(Math.floor(4000 / per));
    expect(glmIterationAllowance({ ...a, remainingMs: 100 })).toBe(MIN_GLM_ITERATIONS);
    expect(glmIterationAllowance({ ...a, remainingMs: 1e9 })).toBe(GLM_MAX_ITERATIONS);
    // a glm trial that solved 100 iterations a fold twice as slowly as the model says: half the
    // iterations (its own measure before the GBDT rounds')
    const slow = glmTrial(0, glm, [90, 110], (2 * 100 * per) / 1000);
    expect(glmIterationsSolved(slow)).toBe(100);
    expect(measuredGlmScale([slow], letter)).toBeCloseTo(2);
    // 440 s left, 11 still wanted (one finished): 40 s a trial
    expect(glmIterationAllowance({ ...a, remainingMs: 440_000, trials: [slow], loadScale: 1 })).toBe(
      Math.floor(40_000 / (2 * per)),
    );
    // an Adam linear trial (epochs) is not a glm measure
    expect(glmIterationsSolved(glmTrial(1, { ...glm, solver: 'adam' }, [10], 1))).toBeUndefined();
  });

  it('records the cap as the glm trial’s maxIterations, which its fits keep and a rescue drops', () => {
    const make = () =>
      new Study({ task: 'binary', metric: 'roc_auc', families: ['linear'], seed: 1, sampler: 'random' });
    const study = make();
    const t = study.ask({ epochCap: () => 40 });
    expect(t.params.solver).toBe('glm');
    expect(t.params.maxIterations).toBe(40);
    expect(t.params.epochCap).toBeUndefined();
    expect(trainingConfig('linear', { ...t.config, seed: 1 }, 100).maxIterations).toBe(40);
    expect(
      'maxIterations' in trainingConfig('linear', { ...t.config, seed: 1 }, 100, { uncapped: true }),
    ).toBe(false);
    // no cap at or above the solver's own (an epoch-sized answer is a real cap for a glm trial)
    expect(study.ask({ epochCap: () => GLM_MAX_ITERATIONS }).params.maxIterations).toBeUndefined();
    expect(study.ask({ epochCap: () => 500 }).params.maxIterations).toBe(500);
    // the sampled parameters are the same with and without the cap (the cap is never sampled)
    const plain = make().ask();
    const { maxIterations: _cap, ...sampled } = t.params;
    expect(sampled).toEqual(plain.params);
    // a replayed trial keeps its recorded cap; a bad one is refused
    const replay = make();
    replay.enqueue({ family: 'linear', params: t.params, seed: t.seed });
    expect(replay.ask({ epochCap: () => 3 }).params.maxIterations).toBe(40);
    expect(() => replay.enqueue({ family: 'linear', params: { ...t.params, maxIterations: 0 } })).toThrow(
      /maxIterations/,
    );
    // an old record (no cap) replays uncapped
    const old = make();
    old.enqueue({ family: 'linear', params: sampled, seed: 3 });
    expect(old.ask({ epochCap: () => 20 }).params.maxIterations).toBeUndefined();
  });

  it('stops the solver at maxIterations: the model reached so far, the same as a solve stopped there', async () => {
    const tbl = wide(300, 6, 2);
    const n = tbl.nRows;
    const X = {
      nRows: n,
      nCols: 6,
      data: new Float64Array(n * 6),
      featureNames: Array.from({ length: 6 }, (_, j) => `x${j}`),
    };
    for (let j = 0; j < 6; j++) {
      const col = tbl.columns[j];
      if (col.storage !== 'float64') throw new Error('numeric column expected');
      X.data.set(col.values, j * n);
    }
    const yc = tbl.columns[7];
    if (yc.storage !== 'dict') throw new Error('categorical target expected');
    const y = Float64Array.from(yc.codes);
    const cfg = { solver: 'glm' as const, l2: 1e-7, l1: 0 };
    const full = await linearEstimator.fit(X, y, { task: 'binary', config: cfg });
    expect(full.iterationsRun).toBeGreaterThan(5);
    const capped = await linearEstimator.fit(X, y, { task: 'binary', config: { ...cfg, maxIterations: 5 } });
    expect(capped.iterationsRun).toBe(5);
    // the same weights as the uncapped solve stopped after 5 iterations by its round callback
    let rounds = 0;
    const stopped = await linearEstimator.fit(X, y, {
      task: 'binary',
      config: cfg,
      onRound: () => ++rounds < 5,
    });
    expect(Array.from(capped.predict(X))).toEqual(Array.from(stopped.predict(X)));
    expect(Array.from(capped.predict(X))).not.toEqual(Array.from(full.predict(X)));
    await expect(
      linearEstimator.fit(X, y, { task: 'binary', config: { l2: 1e-7, maxIterations: 5 } }),
    ).rejects.toThrow(/maxIterations is for solver 'glm'/);
  });

  it('caps the glm trials of a time-budgeted search once one measured slow, and the replay solves the same iterations', async () => {
    const clock = fakeClock(1);
    // Every solver iteration "takes" 10 ms of the fake clock: the first glm trial (uncapped: its
    // size estimate is tiny) takes 40% of the budget (~100 iterations a fold); the ones after it
    // are capped at a share of the time left at the cost it measured (before: uncapped, as long).
    const executor = slowIterationExecutor(clock, 10);
    const base: SearchOptions = {
      table: wide(400, 40, 5),
      target: 'y',
      task: 'binary',
      families: ['linear'],
      seed: 3,
      timeBudgetSeconds: 10,
      folds: 3,
      now: clock.now,
      executor,
    };
    const r = await runSearch(base);
    const lin = r.trials.filter((t) => t.family === 'linear' && t.params.solver === 'glm');
    expect(lin.length).toBeGreaterThanOrEqual(2);
    // the first one ran uncapped and measured the cost
    expect(lin[0].params.maxIterations).toBeUndefined();
    const first = lin[0].durations.total ?? 0;
    expect(first).toBeGreaterThan(3);
    const capped = lin.filter((t) => t.params.maxIterations !== undefined && t.resources?.length);
    expect(capped.length).toBeGreaterThanOrEqual(1);
    for (const t of capped) {
      expect(t.params.maxIterations as number).toBeGreaterThanOrEqual(MIN_GLM_ITERATIONS);
      expect(t.params.maxIterations as number).toBeLessThan(GLM_MAX_ITERATIONS);
      expect(Math.max(...t.resources!)).toBeLessThanOrEqual(t.params.maxIterations as number);
      // a share of the time left, not another run as long as the first (~100 iterations a fold)
      expect(t.durations.total ?? Infinity).toBeLessThan(first / 2);
    }
    const listed = r.manifest.replay.filter((t) => t.family === 'linear').map((t) => t.params.maxIterations);
    expect(listed).toEqual(lin.map((t) => t.params.maxIterations));
    const again = await replayOf(r, { ...base, executor: slowIterationExecutor(fakeClock(1), 20) });
    expectSameSearch(r, again, base.table);
    // without the allowance no glm trial is capped
    const off = await runSearch({
      ...base,
      now: fakeClock(1).now,
      executor: undefined,
      roundAllowance: false,
    });
    for (const t of off.trials) expect(t.params.maxIterations).toBeUndefined();
  }, 300_000);
});
