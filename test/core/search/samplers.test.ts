/** One shared suite run against every registered sampler, plus TPE-vs-random on a known objective. */
import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/util/random.ts';
import type { Params, SearchSpace } from '../../../src/core/search/space.ts';
import { checkParams, validateSpace } from '../../../src/core/search/space.ts';
import { createSampler, listSamplers } from '../../../src/core/search/samplers/index.ts';
import type { Observation, Sampler } from '../../../src/core/search/samplers/index.ts';
import { jointSpace } from '../../../src/core/search/spaces.ts';

const SPACE: SearchSpace = {
  params: [
    { name: 'x', type: 'float', low: -5, high: 5 },
    { name: 'lr', type: 'float', low: 1e-4, high: 1, log: true },
    { name: 'n', type: 'int', low: 1, high: 64, log: true },
    { name: 'kind', type: 'categorical', choices: ['a', 'b', 'c'] },
    { name: 'depth', type: 'int', low: 2, high: 9, condition: { param: 'kind', in: ['a', 'b'] } },
    { name: 'leaves', type: 'int', low: 4, high: 40, condition: { param: 'depth', in: [2, 3, 4] } },
    { name: 'flag', type: 'categorical', choices: [true, false], condition: { param: 'kind', in: ['c'] } },
  ],
};

function objective(p: Params): number {
  const x = p.x as number;
  const lr = Math.log10(p.lr as number);
  return (x - 1.3) ** 2 + (lr + 2) ** 2 + (p.kind === 'b' ? 0 : 1) + (p.depth === 5 ? 0 : 0.2);
}

/** Entries for the portfolio sampler on SPACE (one invalid: it must be skipped). */
const ENTRIES: Params[] = [
  { x: 0, lr: 0.01, n: 8, kind: 'b', depth: 5 },
  { x: 9, lr: 0.01, n: 8, kind: 'b', depth: 5 },
  { x: 1, lr: 0.1, n: 2, kind: 'c', flag: true },
];

const FACTORIES: Record<string, () => Sampler> = {
  random: () => createSampler('random'),
  tpe: () => createSampler('tpe', { nStartupTrials: 5 }),
  portfolio: () => createSampler('portfolio', { entries: ENTRIES }),
  frugal: () => createSampler('frugal', { entries: ENTRIES }),
};

function run(sampler: Sampler, space: SearchSpace, n: number, seed: number, f = objective): Observation[] {
  const history: Observation[] = [];
  for (let i = 0; i < n; i++) {
    const params = sampler.sample(space, history, createRng(seed * 7919 + i));
    history.push({ number: i, params, state: 'COMPLETE', loss: f(params) });
  }
  return history;
}

it('every registered sampler is covered by the shared suite', () => {
  expect(listSamplers()).toEqual(Object.keys(FACTORIES).sort());
});

describe.each(Object.keys(FACTORIES))('sampler %s', (name) => {
  const make = FACTORIES[name];

  it('has its registered name', () => {
    expect(make().name).toBe(name);
  });

  it('is reproducible with a seed and differs across seeds', () => {
    const a = run(make(), SPACE, 30, 3).map((h) => h.params);
    const b = run(make(), SPACE, 30, 3).map((h) => h.params);
    const c = run(make(), SPACE, 30, 4).map((h) => h.params);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('respects bounds, types and conditions', () => {
    validateSpace(SPACE);
    for (const seed of [1, 2]) {
      const hist = run(make(), SPACE, 40, seed);
      for (const h of hist) expect(checkParams(SPACE, h.params)).toEqual([]);
      // conditional parameters do appear (and only when active)
      expect(hist.some((h) => h.params.leaves !== undefined)).toBe(true);
      expect(hist.some((h) => h.params.flag !== undefined)).toBe(true);
    }
  });

  it('samples valid points of the joint family space with pruned and running trials around', () => {
    const space = jointSpace(['gbdt', 'random_forest', 'linear', 'mlp']);
    const s = make();
    const history: Observation[] = [];
    for (let i = 0; i < 25; i++) {
      const params = s.sample(space, history, createRng(i));
      expect(checkParams(space, params)).toEqual([]);
      const state = i % 5 === 3 ? 'PRUNED' : i % 7 === 6 ? 'FAILED' : 'COMPLETE';
      history.push({ number: i, params, state, loss: state === 'COMPLETE' ? (i * 37) % 11 : undefined });
    }
    history.push({ number: 25, params: history[0].params, state: 'RUNNING' });
    expect(checkParams(space, s.sample(space, history, createRng(99)))).toEqual([]);
  });
});

describe('portfolio', () => {
  it('tries its valid entries first, in order, then delegates', () => {
    const hist = run(FACTORIES.portfolio(), SPACE, 6, 1);
    expect(hist[0].params).toEqual(ENTRIES[0]);
    expect(hist[1].params).toEqual(ENTRIES[2]);
    expect(hist[2].params).not.toEqual(ENTRIES[0]);
  });
});

describe('tpe', () => {
  it('beats random search on a shifted quadratic (median best-after-40 over 9 seeds)', () => {
    const best = (s: () => Sampler, seed: number) =>
      Math.min(...run(s(), SPACE, 40, seed).map((h) => h.loss!));
    const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const seeds = [11, 12, 13, 14, 15, 16, 17, 18, 19];
    const tpe = seeds.map((s) => best(FACTORIES.tpe, s));
    const rnd = seeds.map((s) => best(FACTORIES.random, s));
    expect(median(tpe)).toBeLessThan(median(rnd));
    // and wins on most seeds
    expect(seeds.filter((_, i) => tpe[i] < rnd[i]).length).toBeGreaterThanOrEqual(5);
  });

  it('concentrates on the good categorical choice', () => {
    const hist = run(FACTORIES.tpe(), SPACE, 60, 5);
    const late = hist.slice(30);
    expect(late.filter((h) => h.params.kind === 'b').length).toBeGreaterThan(late.length / 2);
  });
});
