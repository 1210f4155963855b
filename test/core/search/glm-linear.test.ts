/**
 * Linear trials of a new search are solved by the GLM solver (issues #17, #22): the sampler and the
 * portfolio write `solver: 'glm'` (no learningRate / batchSize: Adam's only), the trial has no rungs
 * and no epoch allowance, its resource is the solver's iterations; a seeded search with a trial cap
 * replays bit-identically. A trial list recorded before the parameter existed still replays with Adam.
 */
import { describe, expect, it } from 'vitest';
import { runSearch, type SearchOptions } from '../../../src/core/search/runner.ts';
import { DEFAULT_PORTFOLIO } from '../../../src/core/search/samplers/portfolio.ts';
import { checkTrialParams, withLegacyDefaults } from '../../../src/core/search/spaces.ts';
import { expectSameSearch, replayOf, wide } from './clock-helpers.ts';

describe("search: linear trials with solver 'glm'", () => {
  it('the portfolio and the sampler write solver glm; the search replays bit-identically', async () => {
    const linearEntries = DEFAULT_PORTFOLIO.filter((e) => e.family === 'linear');
    expect(linearEntries).toHaveLength(2);
    for (const e of linearEntries) {
      expect(e['linear.solver']).toBe('glm');
      expect(e['linear.learningRate']).toBeUndefined();
      expect(e['linear.batchSize']).toBeUndefined();
    }
    const base: SearchOptions = {
      table: wide(240, 6, 5),
      target: 'y',
      task: 'binary',
      families: ['linear'],
      seed: 11,
      maxTrials: 4,
      folds: 3,
    };
    const r = await runSearch(base);
    expect(r.trials).toHaveLength(4);
    // entries 2 and 14 of the portfolio, then sampled points
    expect(r.trials.map((t) => t.source)).toEqual(['portfolio', 'portfolio', 'portfolio', 'portfolio']);
    for (const t of r.trials) {
      expect(t.state).toBe('COMPLETE');
      expect(t.params.solver).toBe('glm');
      expect(t.config.solver).toBe('glm');
      for (const k of ['learningRate', 'batchSize', 'epochCap']) expect(t.params[k]).toBeUndefined();
      // one solve: no rungs; the resource is the solver's iterations (not the epochs' maximum)
      expect(t.rungs).toEqual([]);
      expect(t.resources).toHaveLength(3);
      for (const it of t.resources!) expect(it).toBeGreaterThanOrEqual(1);
    }
    expect(r.manifest.replay.every((t) => t.params.solver === 'glm')).toBe(true);
    const again = await replayOf(r, base);
    expectSameSearch(r, again, base.table);
  }, 120_000);

  it('a trial list recorded before solver existed replays with Adam (legacy), rungs and all', async () => {
    const old = { learningRate: 0.05, l2: 1e-4, l1: 1e-8, batchSize: 256 };
    const filled = withLegacyDefaults('linear', old);
    expect(filled).toMatchObject({ solver: 'adam', classWeight: 'none' });
    expect(checkTrialParams('linear', filled)).toEqual([]);
    // a glm trial carrying Adam's parameters is not a valid point
    expect(checkTrialParams('linear', { ...old, solver: 'glm', classWeight: 'none' })).not.toEqual([]);
    const r = await runSearch({
      table: wide(240, 6, 5),
      target: 'y',
      task: 'binary',
      families: ['linear'],
      seed: 11,
      maxTrials: 1,
      folds: 3,
      replay: [{ family: 'linear', params: old, seed: 3414315434 }],
    });
    const t = r.trials[0];
    expect(t.state).toBe('COMPLETE');
    expect(t.params.solver).toBe('adam');
    expect(t.params.learningRate).toBe(0.05);
    // Adam: epochs, reported at the halving rungs (3, 9, ...) as before
    expect(t.rungs.length).toBeGreaterThan(0);
    expect(t.rungs[0].budget).toBe(3);
  }, 120_000);
});
