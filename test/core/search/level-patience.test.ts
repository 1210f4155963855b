/**
 * Issue #21: on 1,000,000 rows in Chromium the MLP trials were 60% of a one-minute search, most of it
 * epochs past the best one (patience 8 on a 11,729-row level: 12 epochs for a best epoch of 4). A
 * net's fit on a row-subsample level waits `LEVEL_NET_PATIENCE` (3) epochs at most; its fit on all
 * rows, and every fit of a search without levels (small data), keep the configuration's patience.
 */
import { describe, expect, it } from 'vitest';
import { evaluateTrial, levelConfig } from '../../../src/core/search/evaluate-trial.ts';
import { LEVEL_NET_PATIENCE, levelNetPatience } from '../../../src/core/search/subsample.ts';
import { DEFAULT_PORTFOLIO } from '../../../src/core/search/samplers/portfolio.ts';
import { splitJoint } from '../../../src/core/search/spaces.ts';
import { Study } from '../../../src/core/search/study.ts';
import { epochsTrained } from '../../../src/core/search/allowance.ts';
import type { Fitted } from '../../../src/core/models/types.ts';
import { firstTrial, holdoutContext } from './clock-helpers.ts';

describe('the patience of a net on a row-subsample level', () => {
  it('nets wait 3 epochs at most on a level; other families and "never stop" (0) are untouched', () => {
    expect(LEVEL_NET_PATIENCE).toBe(3);
    expect([0, 1, 3, 4, 8, 20].map(levelNetPatience)).toEqual([0, 1, 3, 3, 3, 3]);
    expect(levelConfig('mlp', { patience: 8, learningRate: 0.003 })).toEqual({
      patience: 3,
      learningRate: 0.003,
    });
    expect(levelConfig('linear', { patience: 6 })).toEqual({ patience: 3 });
    const gbdt = { earlyStoppingRounds: 40, patience: 8 };
    expect(levelConfig('gbdt', gbdt)).toBe(gbdt);
    const never = { patience: 0 };
    expect(levelConfig('mlp', never)).toBe(never);
  });

  it('an MLP trial stops its level fit 3 epochs after its best, its fit on all rows 8 epochs after', async () => {
    const ctx = holdoutContext(['mlp']);
    const study = new Study({
      task: 'binary',
      metric: 'roc_auc',
      families: ['mlp'],
      seed: 0,
      sampler: 'portfolio',
    });
    const entry = DEFAULT_PORTFOLIO.find((p) => splitJoint(p).family === 'mlp')!;
    study.enqueue(splitJoint(entry));
    const tr = study.ask();
    expect(tr.config.patience).toBe(8);
    const task = firstTrial('mlp', tr.config, {
      id: tr.id,
      seed: tr.seed,
      rowLevels: [600],
      keepHoldoutModel: true,
    });
    const waited = (m: unknown) => {
      const f = m as Fitted & { iterationsRun?: number; iterationsUsed?: number };
      return f.iterationsRun! - f.iterationsUsed!;
    };
    // not promoted past the level: the outcome (and its model) is the level's
    const atLevel = await evaluateTrial(ctx, task, { report: () => 'prune' });
    expect(atLevel.result.rows).toBe(600);
    expect(waited(atLevel.holdout!.model)).toBe(3);
    // promoted: the fit on all rows keeps the configuration's patience
    const full = await evaluateTrial(ctx, task, { report: () => 'continue' });
    expect(full.result.rows).toBeUndefined();
    expect(waited(full.holdout!.model)).toBe(8);
    // the epoch allowance's count of the epochs a level trial trained uses the level's patience
    const trial = { ...tr, state: 'COMPLETE' as const, resources: [4], rows: 600 };
    expect(epochsTrained(trial)).toBe(4 + 3);
    expect(epochsTrained({ ...trial, rows: undefined })).toBe(4 + 8);
  }, 120_000);
});
