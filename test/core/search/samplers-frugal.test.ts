/**
 * The cost-frugal start (issue 17): cheap probes first, GBDT round caps that grow only when they pay,
 * and the round cap's replay rule (a trial recorded before the cap existed ran uncapped).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRng } from '../../../src/core/util/random.ts';
import { checkParams } from '../../../src/core/search/space.ts';
import type { Params } from '../../../src/core/search/space.ts';
import {
  createSampler,
  DEFAULT_PORTFOLIO,
  FRUGAL_PROBES,
  frugalAllowance,
  type Observation,
} from '../../../src/core/search/samplers/index.ts';
import {
  GBDT_MAX_ROUNDS,
  jointSpace,
  toFamilyConfig,
  withLegacyDefaults,
} from '../../../src/core/search/spaces.ts';
import { Study } from '../../../src/core/search/study.ts';
import { FAMILIES } from '../../../src/core/train/families.ts';
import { GBDT_DEFAULTS, fitGbdt, type GbdtConfig } from '../../../src/core/models/gbdt/index.ts';
import { synth } from '../models/synth.ts';
import { runSearch, type SearchResult } from '../../../src/core/search/runner.ts';
import { letterLikeTable } from '../../../bench/automl/letter-like.ts';

const SPACE = jointSpace([...FAMILIES]);

/** Runs a sampler for n trials, every trial COMPLETE with loss f(params, i). */
function drive(name: string, n: number, f: (p: Params, i: number) => number): Observation[] {
  const s = createSampler(name);
  const h: Observation[] = [];
  for (let i = 0; i < n; i++) {
    const params = s.sample(SPACE, h, createRng(i));
    expect(checkParams(SPACE, params)).toEqual([]);
    h.push({ number: i, params, state: 'COMPLETE', loss: f(params, i) });
  }
  return h;
}

const cap = (p: Params) => (p.family === 'gbdt' ? (p['gbdt.roundCap'] as number) : undefined);

describe('frugal sampler', () => {
  it('starts with the cheap probes (at most 100 rounds), valid points of the joint space', () => {
    for (const p of FRUGAL_PROBES) {
      expect(checkParams(SPACE, p)).toEqual([]);
      expect(cap(p)).toBeLessThanOrEqual(100);
    }
    const h = drive('frugal', FRUGAL_PROBES.length, () => 1);
    expect(h.map((o) => o.params)).toEqual(FRUGAL_PROBES);
  });

  it('keeps the portfolio capped while cheap trials win, and grows the cap ×3 each time it pays', () => {
    // Losses that do not depend on the cap: the first trial stays best, the cap grows once (100 → 300).
    const flat = drive('frugal', DEFAULT_PORTFOLIO.length + FRUGAL_PROBES.length, (_p, i) =>
      i === 0 ? 0 : 1,
    );
    const flatCaps = flat.map((o) => cap(o.params)).filter((c) => c !== undefined);
    expect(Math.max(...flatCaps)).toBe(300);
    // Losses that fall with more rounds: every larger cap wins, so the allowance reaches "uncapped".
    const paying = drive('frugal', DEFAULT_PORTFOLIO.length + FRUGAL_PROBES.length, (p) =>
      p.family === 'gbdt' ? 1 / (p['gbdt.roundCap'] as number) : 1,
    );
    const caps = paying.map((o) => cap(o.params)).filter((c): c is number => c !== undefined);
    expect(caps.slice(0, 2)).toEqual([100, 100]);
    expect(caps).toContain(300);
    expect(caps).toContain(900);
    expect(caps).toContain(GBDT_MAX_ROUNDS);
    for (let i = 1; i < caps.length; i++)
      if (caps[i] < caps[i - 1]) expect(caps[i]).toBeGreaterThanOrEqual(100);
  });

  it('is the default portfolio with caps: same entries, in order, after the probes', () => {
    const h = drive('frugal', DEFAULT_PORTFOLIO.length + FRUGAL_PROBES.length, () => 1);
    const rest = h.slice(FRUGAL_PROBES.length).map((o) => o.params);
    const uncap = (p: Params) => (p.family === 'gbdt' ? { ...p, 'gbdt.roundCap': 0 } : p);
    expect(rest.map(uncap)).toEqual(DEFAULT_PORTFOLIO.map(uncap));
  });

  it('the allowance (property): within [100, max], never shrinks as trials are added, 100 without a GBDT win', () => {
    const obs = fc.record({
      gbdt: fc.boolean(),
      cap: fc.integer({ min: 30, max: GBDT_MAX_ROUNDS }),
      state: fc.constantFrom('COMPLETE', 'PRUNED', 'RUNNING', 'FAILED'),
      loss: fc.double({ min: -5, max: 5, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(obs, { maxLength: 30 }), (list) => {
        const h: Observation[] = list.map((o, i) => ({
          number: i,
          params: (o.gbdt ? { family: 'gbdt', 'gbdt.roundCap': o.cap } : { family: 'linear' }) as Params,
          state: o.state as Observation['state'],
          ...(o.state === 'COMPLETE' ? { loss: o.loss } : {}),
        }));
        let last = 100;
        for (let k = 0; k <= h.length; k++) {
          const a = frugalAllowance(h.slice(0, k));
          expect(a).toBeGreaterThanOrEqual(last);
          expect(a).toBeLessThanOrEqual(GBDT_MAX_ROUNDS);
          last = a;
        }
        if (!list.some((o) => o.gbdt && o.state === 'COMPLETE')) expect(last).toBe(100);
      }),
    );
  });
});

describe('roundCap and replay', () => {
  const recorded = {
    learningRate: 0.1,
    growPolicy: 'depthwise',
    maxDepth: 6,
    minChildWeight: 1,
    lambda: 1,
    alpha: 1e-4,
    subsample: 0.8,
    colsampleByTree: 0.8,
    classWeight: 'none',
  } as const;

  it('a trial recorded before the cap existed replays uncapped, with the config it had', () => {
    const legacy = withLegacyDefaults('gbdt', recorded);
    expect(legacy.roundCap).toBe(GBDT_MAX_ROUNDS);
    // the config it trains with is the one made before the cap existed (no roundCap key at all)
    // (plus minDataPerGroup 0, the default of its day, now explicit: see the next test)
    expect(toFamilyConfig('gbdt', legacy)).toEqual({
      ...toFamilyConfig('gbdt', recorded),
      minDataPerGroup: 0,
    });
    expect('roundCap' in toFamilyConfig('gbdt', legacy)).toBe(false);
    const study = new Study({ task: 'binary', metric: 'roc_auc', families: ['gbdt'], seed: 1 });
    study.enqueue({ family: 'gbdt', params: recorded, seed: 7 });
    const t = study.ask();
    expect(t.params.roundCap).toBe(GBDT_MAX_ROUNDS);
    expect(t.config.roundCap).toBeUndefined();
    // the manifest's replay list records the value used, so the next replay does not depend on legacy
    expect(study.replayList()[0].params.roundCap).toBe(GBDT_MAX_ROUNDS);
  });

  it('minDataPerGroup: new trials record the default (100); older trials replay with 0, the default of their day', async () => {
    expect(GBDT_DEFAULTS.minDataPerGroup).toBe(100);
    const study = new Study({ task: 'binary', metric: 'roc_auc', families: ['gbdt'], seed: 1 });
    study.enqueue({ family: 'gbdt', params: recorded, seed: 7 });
    const old = study.ask();
    expect(old.params.minDataPerGroup).toBe(0);
    expect(old.config.minDataPerGroup).toBe(0);
    const fresh = study.ask(); // the portfolio's first entry
    expect(fresh.params.minDataPerGroup).toBe(100);
    expect(study.replayList().map((s) => s.params.minDataPerGroup)).toEqual([0, 100]);
    // the model trained from the old trial's config has the old setting, not today's default
    const d = synth('binary', 200, 3);
    const m = fitGbdt(d.X, d.y, {
      task: 'binary',
      config: { ...old.config, rounds: 3 } as Partial<GbdtConfig>,
    });
    expect(m.config.minDataPerGroup).toBe(0);
    expect(m.config.roundCap).toBe(0);
  });

  it('a capped trial records its cap and trains with it', () => {
    const study = new Study({
      task: 'multiclass',
      metric: 'log_loss',
      families: ['gbdt', 'linear'],
      seed: 1,
      sampler: 'frugal',
    });
    const t = study.ask();
    expect(t).toMatchObject({ family: 'gbdt', params: { roundCap: 100 } });
    expect(t.config.roundCap).toBe(100);
    expect(study.replayList()[0]).toMatchObject({ family: 'gbdt', params: { roundCap: 100 } });
  });
});

describe('frugal search on a letter-shaped set (26 classes)', () => {
  it('caps its first trials at 100 rounds and is deterministic with a seed and a trial cap', async () => {
    // letter's shape (16 integer columns, 26 classes) at 40 rows a class, to keep the test short;
    // bench/automl/throughput.ts runs the 20,000-row set against the clock.
    const table = letterLikeTable({ rows: 1_040, seed: 5 });
    const search = () =>
      runSearch({
        table,
        target: 'letter',
        task: 'multiclass',
        seed: 3,
        maxTrials: 3,
        folds: 3,
        families: ['gbdt'],
        sampler: 'frugal',
        ensembleSize: 1,
      });
    const a = await search();
    const b = await search();
    expect(a.manifest.sampler).toBe('frugal');
    const gbdt = a.trials.filter((t) => t.family === 'gbdt');
    expect(gbdt.length).toBeGreaterThanOrEqual(2);
    for (const t of a.trials.slice(0, 2)) {
      expect(t).toMatchObject({ family: 'gbdt', params: { roundCap: 100 }, state: 'COMPLETE' });
      for (const r of t.resources ?? []) expect(r).toBeLessThanOrEqual(100);
    }
    const strip = (r: SearchResult) =>
      r.trials.map((t) => ({ params: t.params, seed: t.seed, value: t.value, resources: t.resources }));
    expect(strip(b)).toEqual(strip(a));
    expect(b.manifest.replay).toEqual(a.manifest.replay);
  }, 240_000);
});
