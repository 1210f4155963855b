/**
 * The round allowance of a time-budgeted search (allowance.ts, issue 17): the rule itself, and the
 * throughput it gives on letter-sized data counted in trials on a cost model (no timing: a simulated
 * clock where a GBDT round costs what it measured on letter — 16,000 rows × 16 features, 26 classes).
 */
import { describe, expect, it } from 'vitest';
import {
  GROWTH,
  MARGIN_TRIALS,
  MIN_EPOCHS,
  MIN_ROUNDS,
  NET_MS_PER_BATCH,
  NET_MS_PER_MAC_ROW,
  TARGET_TRIALS,
  UNMEASURED_SAFETY,
  epochAllowance,
  epochsTrained,
  measuredNetScale,
  measuredRoundMs,
  netEpochMsEstimate,
  roundAllowance,
  roundMsEstimate,
  roundsTrained,
} from '../../../src/core/search/allowance.ts';
import { GBDT_MAX_ROUNDS, gbdtPatience, trainingConfig } from '../../../src/core/search/spaces.ts';
import type { Params } from '../../../src/core/search/space.ts';
import { CAPPED_RATE_ROUNDS, Study, capGbdtRounds, type Trial } from '../../../src/core/search/study.ts';
import { FAMILIES, type FamilyName } from '../../../src/core/train/families.ts';
import { runSearch, type SearchOptions } from '../../../src/core/search/runner.ts';
import { expectSameSearch, fakeClock, replayOf, wide } from './clock-helpers.ts';

/** A GBDT trial record that ended COMPLETE after `seconds`, best round `best`, cap `cap`. */
function gbdtTrial(number: number, cap: number, best: number, seconds: number, value = 1): Trial {
  return {
    id: `trial-${number}`,
    number,
    family: 'gbdt',
    params: { learningRate: 0.1, roundCap: cap },
    config: {},
    seed: 1,
    source: 'test',
    state: 'COMPLETE',
    rungs: [],
    value,
    resources: [best],
    durations: { total: seconds },
  };
}

describe('round allowance rule', () => {
  it('estimates a round from the data size: letter ≈ 60 ms, growing with rows, classes and features', () => {
    const letter = roundMsEstimate({ trainRows: 16_000, fits: 1, groups: 26, features: 16 });
    expect(letter).toBeGreaterThan(40);
    expect(letter).toBeLessThan(90);
    expect(roundMsEstimate({ trainRows: 32_000, fits: 1, groups: 26, features: 16 })).toBeCloseTo(2 * letter);
    expect(roundMsEstimate({ trainRows: 16_000, fits: 5, groups: 26, features: 16 })).toBeCloseTo(5 * letter);
    expect(roundMsEstimate({ trainRows: 16_000, fits: 1, groups: 1, features: 16 })).toBeCloseTo(letter / 26);
  });

  it('counts the rounds trained as best round + patience, at most the cap; the median cost per round', () => {
    const p = gbdtPatience(0.1);
    expect(roundsTrained(gbdtTrial(0, 2000, 100, 1))).toBe(100 + p);
    expect(roundsTrained(gbdtTrial(0, 50, 50, 1))).toBe(50);
    const ms = measuredRoundMs([gbdtTrial(0, 50, 50, 5), gbdtTrial(1, 50, 50, 1), gbdtTrial(2, 50, 50, 2)]);
    expect(ms).toBeCloseTo(40); // 2 s over 50 rounds
    expect(measuredRoundMs([])).toBeUndefined();
  });

  it('gives the even share of the time left among the trials still wanted, at least MIN_ROUNDS', () => {
    // 144 s left, nothing run, 12 trials planned (10 + a margin of 2): 12 s a trial; nothing measured
    // yet, so a round is taken to cost UNMEASURED_SAFETY × the 50 ms estimate = 150 ms: 80 rounds
    const planned = TARGET_TRIALS + MARGIN_TRIALS;
    expect(planned).toBe(12);
    expect(UNMEASURED_SAFETY).toBe(3);
    expect(
      roundAllowance({ trials: [], best: undefined, remainingMs: 144_000, concurrency: 1, estimateMs: 50 }),
    ).toBe(80);
    // two workers: twice the time
    expect(
      roundAllowance({ trials: [], best: undefined, remainingMs: 144_000, concurrency: 2, estimateMs: 50 }),
    ).toBe(160);
    // the measured cost replaces the estimate: 100 ms a round (5 s over 50 rounds), 11 trials wanted
    const t0 = gbdtTrial(0, 50, 10, 5);
    expect(
      roundAllowance({ trials: [t0], best: undefined, remainingMs: 44_000, concurrency: 1, estimateMs: 50 }),
    ).toBe(40);
    // little time left: never below MIN_ROUNDS; no data: at most GBDT_MAX_ROUNDS
    expect(
      roundAllowance({ trials: [], best: undefined, remainingMs: 100, concurrency: 1, estimateMs: 50 }),
    ).toBe(MIN_ROUNDS);
    expect(
      roundAllowance({ trials: [], best: undefined, remainingMs: 1e9, concurrency: 1, estimateMs: 1 }),
    ).toBe(GBDT_MAX_ROUNDS);
  });

  it('grows × GROWTH when the best trial used all of its cap, once TARGET_TRIALS finished', () => {
    const base = { remainingMs: 45_000, concurrency: 1, estimateMs: 50 };
    // before the target: the even share only (44 s / 11 wanted = 4 s = 80 rounds at 50 ms), used or not
    const used = gbdtTrial(0, 40, 40, 2); // 50 ms a round, all 40 rounds used
    expect(roundAllowance({ ...base, remainingMs: 44_000, trials: [used], best: used })).toBe(80);
    // after TARGET_TRIALS finished: 45 s / MIN_WANTED = 15 s = 300 rounds, grown to 3 × 200 = 600
    const many = Array.from({ length: TARGET_TRIALS }, (_, i) => gbdtTrial(i, 200, 200, 10));
    expect(roundAllowance({ ...base, trials: many, best: many[0] })).toBe(GROWTH * 200);
    // not grown when the best stopped early (140 of 400 rounds)
    const early = [gbdtTrial(0, 400, 100, 7), ...many.slice(1)];
    expect(roundAllowance({ ...base, trials: early, best: early[0] })).toBe(300);
    // as far as the time left holds: 20 s at 50 ms → 0.9 · 400 = 360
    expect(roundAllowance({ ...base, remainingMs: 20_000, trials: many, best: many[0] })).toBe(360);
  });
});

/**
 * A one-worker time-budgeted search simulated on a cost model of letter-sized data (what the
 * search measured there: a GBDT round 65 ms — 26 trees on 16,000 rows —, 0.3 s per trial besides;
 * a linear trial 2 s, a random forest 6 s), with the real study and default portfolio sampler (MLPs
 * left out: their epochs are not capped by the allowance yet). Each trial trains until its early stopping (best round 25 / learning rate) or its cap; a
 * trial that would pass the search deadline is cut. Returns the trials that finished.
 */
function simulate(opts: {
  allowance: boolean;
  budgetMs: number;
  workers?: number;
  /** Also the MLP (1.5 s an epoch: best epoch 12 + patience 8 = 30 s uncapped), and an epoch allowance? */
  mlp?: { epochAllowance: boolean };
}): Trial[] {
  const study = new Study({
    task: 'multiclass',
    metric: 'log_loss',
    families: opts.mlp ? ['gbdt', 'linear', 'random_forest', 'mlp'] : ['gbdt', 'linear', 'random_forest'],
    seed: 42,
    sampler: 'portfolio',
  });
  const shape = { trainRows: 16_000, fits: 1, groups: 26, features: 16 };
  const roundMs = 65;
  const estimateMs = roundMsEstimate({ trainRows: 16_000, fits: 1, groups: 26, features: 16 });
  // the search phase: the budget less a refit reserve of 25%
  const deadline = 0.75 * opts.budgetMs;
  const lanes = Array.from({ length: opts.workers ?? 1 }, () => 0);
  for (;;) {
    const lane = lanes.indexOf(Math.min(...lanes));
    const now = lanes[lane];
    if (now >= deadline) break;
    const roundCap = opts.allowance
      ? roundAllowance({
          trials: study.trials,
          best: study.ranked()[0],
          remainingMs: deadline - now,
          concurrency: lanes.length,
          estimateMs,
        })
      : undefined;
    const epochCap =
      opts.allowance && opts.mlp?.epochAllowance
        ? (family: FamilyName, params: Params) =>
            epochAllowance({
              trials: study.trials,
              remainingMs: deadline - now,
              concurrency: lanes.length,
              family,
              params,
              shape,
            })
        : undefined;
    const t = study.ask({
      ...(roundCap === undefined ? {} : { roundCap }),
      ...(epochCap ? { epochCap } : {}),
    });
    let ms: number;
    let best = 0;
    if (t.family === 'gbdt') {
      const lr = t.params.learningRate as number;
      const natural = Math.round(25 / lr);
      const cap = t.params.roundCap as number;
      best = Math.min(cap, natural);
      ms = 300 + roundMs * Math.min(cap, natural + gbdtPatience(lr));
    } else if (t.family === 'mlp') {
      const cap = (t.params.epochCap as number | undefined) ?? 120;
      best = Math.min(cap, 12);
      ms = 1500 * Math.min(cap, 12 + 8);
    } else ms = t.family === 'linear' ? 2000 : 6000;
    if (now + ms > deadline) {
      if (process.env.SIM_LOG) console.log(t.number, t.family, t.params.roundCap, best, now, ms);
      study.tell(t.id, { state: 'PRUNED', reason: 'deadline', durations: {} });
      lanes[lane] = deadline;
      continue;
    }
    lanes[lane] = now + ms;
    // more rounds help, up to the natural stop
    const value = t.family === 'gbdt' ? 0.25 + 20 / (best + 10) : 0.6;
    if (process.env.SIM_LOG) console.log(t.number, t.family, t.params.roundCap, best, now, ms);
    study.tell(t.id, {
      state: 'COMPLETE',
      value,
      ...(t.family === 'gbdt' || t.family === 'mlp' ? { resources: [best] } : {}),
      durations: { total: ms / 1000 },
    });
  }
  return study.trials.filter((t) => t.state === 'COMPLETE');
}

describe('throughput on letter-sized data (cost model)', () => {
  it(`finishes at least ${TARGET_TRIALS} trials in 60 s with the allowance, 2 without`, () => {
    const without = simulate({ allowance: false, budgetMs: 60_000 });
    const withIt = simulate({ allowance: true, budgetMs: 60_000 });
    expect(without.length).toBeLessThan(TARGET_TRIALS);
    expect(withIt.length).toBeGreaterThanOrEqual(TARGET_TRIALS);
    // several families, and every GBDT trial capped below the uncapped maximum
    expect(new Set(withIt.map((t) => t.family)).size).toBeGreaterThanOrEqual(2);
    for (const t of withIt.filter((t) => t.family === 'gbdt'))
      expect(t.params.roundCap as number).toBeLessThan(GBDT_MAX_ROUNDS);
  });

  it(`with the MLP in the portfolio: ${TARGET_TRIALS} trials only with its epochs capped too`, () => {
    // the portfolio's MLP (entry 4) uncapped: 30 s of a 45 s search phase
    const uncapped = simulate({ allowance: true, budgetMs: 60_000, mlp: { epochAllowance: false } });
    const capped = simulate({ allowance: true, budgetMs: 60_000, mlp: { epochAllowance: true } });
    expect(uncapped.length).toBeLessThan(TARGET_TRIALS);
    expect(capped.length).toBeGreaterThanOrEqual(TARGET_TRIALS);
    const mlp = capped.filter((t) => t.family === 'mlp');
    expect(mlp.length).toBeGreaterThanOrEqual(1);
    for (const t of mlp) expect(t.params.epochCap as number).toBeLessThan(20);
    expect(new Set(capped.map((t) => t.family)).size).toBeGreaterThanOrEqual(3);
  });

  it('still finishes the target with two workers, and a long budget lets the caps grow', () => {
    expect(simulate({ allowance: true, budgetMs: 60_000, workers: 2 }).length).toBeGreaterThanOrEqual(
      TARGET_TRIALS,
    );
    const long = simulate({ allowance: true, budgetMs: 600_000 });
    const caps = long.filter((t) => t.family === 'gbdt').map((t) => t.params.roundCap as number);
    expect(Math.max(...caps)).toBeGreaterThan(3 * Math.min(...caps));
  });

  it('records the lowered cap in the trial (what a replay trains), and never raises a cap', () => {
    const study = new Study({
      task: 'multiclass',
      metric: 'log_loss',
      families: [...FAMILIES],
      seed: 1,
      sampler: 'frugal',
    });
    const a = study.ask({ roundCap: 40 });
    expect(a.family).toBe('gbdt');
    expect(a.params.roundCap).toBe(40);
    expect(a.config.roundCap).toBe(40);
    const b = study.ask({ roundCap: 1500 }); // the frugal probe's own cap (100) stays
    expect(b.params.roundCap).toBe(100);
  });

  it('raises a capped trial’s learning rate so that cap × rate ≥ CAPPED_RATE_ROUNDS, at most 0.3', () => {
    const p = { family: 'gbdt', 'gbdt.learningRate': 0.05, 'gbdt.roundCap': 2000 };
    expect(capGbdtRounds(p, 1000)).toEqual({ ...p, 'gbdt.roundCap': 1000 }); // 50 ≥ 15: unchanged
    expect(capGbdtRounds(p, 100)['gbdt.learningRate']).toBeCloseTo(CAPPED_RATE_ROUNDS / 100);
    expect(capGbdtRounds(p, 30)['gbdt.learningRate']).toBe(0.3);
    expect(capGbdtRounds({ ...p, 'gbdt.learningRate': 0.3 }, 30)['gbdt.learningRate']).toBe(0.3);
    // through the study: the recorded parameters and the config (patience follows the rate)
    const study = new Study({
      task: 'binary',
      metric: 'log_loss',
      families: ['gbdt'],
      seed: 1,
      sampler: 'portfolio',
    });
    const t = study.ask({ roundCap: 50 }); // portfolio entry 0: learning rate 0.1
    expect(t.params).toMatchObject({ roundCap: 50, learningRate: 0.3 });
    expect(t.config).toMatchObject({
      roundCap: 50,
      learningRate: 0.3,
      earlyStoppingRounds: gbdtPatience(0.3),
    });
  });
});

describe('epoch allowance rule (nets)', () => {
  const letter = { trainRows: 16_000, fits: 1, groups: 26, features: 16 };
  const mlp = { layers: 2, width: 128, batchSize: 128 };
  it('estimates an epoch from the net’s multiply-adds per row and its batches', () => {
    // 16·128 + 128·64 + 64·26 multiply-adds a row, 125 batches of 128
    const macs = 16 * 128 + 128 * 64 + 64 * 26;
    expect(netEpochMsEstimate('mlp', mlp, letter)).toBeCloseTo(
      16_000 * macs * NET_MS_PER_MAC_ROW + 125 * NET_MS_PER_BATCH,
    );
    expect(netEpochMsEstimate('linear', { batchSize: 256 }, letter)).toBeCloseTo(
      16_000 * 16 * 26 * NET_MS_PER_MAC_ROW + 63 * NET_MS_PER_BATCH,
    );
    expect(netEpochMsEstimate('mlp', mlp, { ...letter, fits: 3 })).toBeCloseTo(
      3 * netEpochMsEstimate('mlp', mlp, letter),
    );
    expect(netEpochMsEstimate('mlp', { ...mlp, width: 512, layers: 3 }, letter)).toBeGreaterThan(
      5 * netEpochMsEstimate('mlp', mlp, letter),
    );
  });

  it('gives the even share at the expected cost, at least MIN_EPOCHS, learning the speed from ended net trials', () => {
    const per = netEpochMsEstimate('mlp', mlp, letter);
    const a = {
      trials: [],
      remainingMs: 480_000,
      concurrency: 1,
      family: 'mlp' as const,
      params: mlp,
      shape: letter,
      loadScale: 1,
    };
    // 480 s left, 12 trials planned: a 40 s share (the estimate: ≈ 4 s an epoch on letter, loaded)
    expect(per).toBeGreaterThan(2000);
    expect(per).toBeLessThan(6000);
    expect(epochAllowance(a)).toBe(Math.floor(40_000 / per));
    // the GBDT rounds measured twice their estimate: so is a net's epoch; nothing measured: × 3
    expect(epochAllowance({ ...a, loadScale: 2 })).toBe(Math.floor(40_000 / (2 * per)));
    expect(epochAllowance({ ...a, loadScale: undefined })).toBe(
      Math.floor(40_000 / (UNMEASURED_SAFETY * per)),
    );
    expect(epochAllowance({ ...a, remainingMs: 100 })).toBe(MIN_EPOCHS);
    expect(epochAllowance({ ...a, remainingMs: 1e9 })).toBe(120);
    // an MLP trial that ran twice as slow as the model says: half the epochs
    const slow: Trial = {
      id: 'trial-0',
      number: 0,
      family: 'mlp',
      params: { ...mlp, epochCap: 10 },
      config: {},
      seed: 1,
      source: 'test',
      state: 'COMPLETE',
      rungs: [],
      value: 1,
      resources: [10],
      durations: { total: (2 * 10 * per) / 1000 },
    };
    expect(epochsTrained(slow)).toBe(10);
    expect(measuredNetScale([slow], letter)).toBeCloseTo(2);
    expect(epochAllowance({ ...a, remainingMs: 440_000, trials: [slow] })).toBe(
      Math.floor(40_000 / (2 * per)),
    );
  });

  it('records the cap as the net trial’s epochCap; the fit trains min(resource, cap) epochs', () => {
    const study = new Study({
      task: 'multiclass',
      metric: 'log_loss',
      families: ['mlp'],
      seed: 1,
      sampler: 'portfolio',
    });
    const t = study.ask({ epochCap: () => 7 });
    expect(t.params.epochCap).toBe(7);
    expect(t.config.epochCap).toBe(7);
    const fit = trainingConfig('mlp', { ...t.config, seed: 1 }, 120);
    expect(fit.epochs).toBe(7);
    expect('epochCap' in fit).toBe(false);
    expect(trainingConfig('mlp', { ...t.config, seed: 1 }, 120, { uncapped: true }).epochs).toBe(120);
    // no cap at or above the maximum; an enqueued (replayed) trial keeps its recorded cap
    expect(study.ask({ epochCap: () => 500 }).params.epochCap).toBeUndefined();
    const replay = new Study({
      task: 'multiclass',
      metric: 'log_loss',
      families: ['mlp'],
      seed: 1,
      sampler: 'portfolio',
    });
    replay.enqueue({ family: 'mlp', params: t.params, seed: t.seed });
    expect(replay.ask({ epochCap: () => 3 }).params.epochCap).toBe(7);
    expect(() => replay.enqueue({ family: 'mlp', params: { ...t.params, epochCap: 0 } })).toThrow(/epochCap/);
  });
});

describe('round allowance in a time-budgeted search', () => {
  it('lowers the GBDT caps by the clock, records them, and the replay trains the same trials', async () => {
    const clock = fakeClock(1);
    const base: SearchOptions = {
      table: wide(300, 8, 3),
      target: 'y',
      task: 'binary',
      families: ['gbdt', 'linear'],
      seed: 7,
      timeBudgetSeconds: 3,
      folds: 3,
      now: clock.now,
    };
    const r = await runSearch(base);
    const gbdt = r.trials.filter((t) => t.family === 'gbdt');
    // the size estimate lets trial 0 run uncapped (300 rows); its measured cost (on the fake clock, a
    // reading per round) lowers the caps of the trials after it
    const lowered = gbdt.filter((t) => (t.params.roundCap as number) < GBDT_MAX_ROUNDS);
    expect(lowered.length).toBeGreaterThanOrEqual(3);
    for (const t of lowered) expect(t.config.roundCap).toBe(t.params.roundCap);
    // the manifest's trial list holds the caps a replay trains with
    const listed = r.manifest.replay.filter((t) => t.family === 'gbdt').map((t) => t.params.roundCap);
    expect(listed).toEqual(gbdt.map((t) => t.params.roundCap));
    // the linear trials are solved by the GLM solver (issue #22): no epochs, so no epoch allowance
    const linear = r.trials.filter((t) => t.family === 'linear');
    expect(linear.length).toBeGreaterThanOrEqual(1);
    for (const t of linear) {
      expect(t.params.solver).toBe('glm');
      expect(t.params.epochCap).toBeUndefined();
    }
    expect(r.manifest.replay.filter((t) => t.family === 'linear').map((t) => t.params.epochCap)).toEqual(
      linear.map(() => undefined),
    );
    const again = await replayOf(r, base);
    expectSameSearch(r, again, base.table);
    // without the allowance the same search runs the portfolio's uncapped entries
    const clock2 = fakeClock(1);
    const off = await runSearch({ ...base, now: clock2.now, roundAllowance: false });
    expect(off.trials.find((t) => t.family === 'gbdt')!.params.roundCap).toBe(GBDT_MAX_ROUNDS);
  }, 120_000);
});
