import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/util/random.ts';
import {
  checkParams,
  sampleRandom,
  SearchSpaceError,
  validateSpace,
  type SearchSpace,
} from '../../../src/core/search/space.ts';
import {
  FAMILY_SPACES,
  gbdtPatience,
  joinParams,
  jointSpace,
  splitJoint,
  toFamilyConfig,
} from '../../../src/core/search/spaces.ts';
import { DEFAULT_PORTFOLIO } from '../../../src/core/search/samplers/index.ts';
import { FAMILIES, estimatorFor } from '../../../src/core/train/families.ts';
import { Study } from '../../../src/core/search/study.ts';

describe('search spaces', () => {
  it('rejects malformed spaces', () => {
    const bad: SearchSpace[] = [
      { params: [{ name: 'a', type: 'float', low: 1, high: 0 }] },
      { params: [{ name: 'a', type: 'float', low: 0, high: 1, log: true }] },
      { params: [{ name: 'a', type: 'int', low: 0.5, high: 3 }] },
      { params: [{ name: 'a', type: 'categorical', choices: [] }] },
      {
        params: [
          { name: 'b', type: 'int', low: 0, high: 3, condition: { param: 'a', in: ['x'] } },
          { name: 'a', type: 'categorical', choices: ['x'] },
        ],
      },
      {
        params: [
          { name: 'a', type: 'int', low: 0, high: 3 },
          { name: 'a', type: 'int', low: 0, high: 3 },
        ],
      },
    ];
    for (const s of bad) expect(() => validateSpace(s)).toThrow(SearchSpaceError);
  });

  it('checkParams reports out-of-range, inactive, missing and unknown values', () => {
    const s: SearchSpace = {
      params: [
        { name: 'k', type: 'categorical', choices: ['a', 'b'] },
        { name: 'n', type: 'int', low: 1, high: 5, condition: { param: 'k', in: ['a'] } },
      ],
    };
    expect(checkParams(s, { k: 'a', n: 3 })).toEqual([]);
    expect(checkParams(s, { k: 'a' })).toHaveLength(1);
    expect(checkParams(s, { k: 'b', n: 3 })).toHaveLength(1);
    expect(checkParams(s, { k: 'a', n: 9 })).toHaveLength(1);
    expect(checkParams(s, { k: 'a', n: 2.5 })).toHaveLength(1);
    expect(checkParams(s, { k: 'c' })).toHaveLength(1);
    expect(checkParams(s, { k: 'b', z: 1 })).toHaveLength(1);
  });

  it.each(FAMILIES)('%s: every sampled point maps to a config its estimator accepts', (family) => {
    const fs = FAMILY_SPACES[family];
    validateSpace(fs.space);
    const est = estimatorFor(family);
    const rng = createRng(1);
    for (let i = 0; i < 50; i++) {
      const p = sampleRandom(fs.space, rng);
      expect(checkParams(fs.space, p)).toEqual([]);
      for (const task of ['binary', 'multiclass', 'regression'] as const) {
        const cfg = { ...toFamilyConfig(family, p), [fs.resource.key]: fs.resource.max, seed: 3 };
        expect(() => est.resolveConfig(cfg, task)).not.toThrow();
      }
    }
  });

  it('the joint space round-trips family points and holds every portfolio entry', () => {
    const space = jointSpace([...FAMILIES]);
    validateSpace(space);
    for (const entry of DEFAULT_PORTFOLIO) expect(checkParams(space, entry)).toEqual([]);
    const p = { learningRate: 0.1, l2: 1e-4, l1: 1e-8, batchSize: 256 };
    expect(splitJoint(joinParams('linear', p))).toEqual({ family: 'linear', params: p });
    expect(toFamilyConfig('mlp', { layers: 3, width: 256 }).hidden).toEqual([256, 128, 64]);
  });
});

describe('study (ask/tell)', () => {
  const make = () =>
    new Study({
      task: 'binary',
      metric: 'roc_auc',
      families: ['gbdt', 'linear'],
      seed: 5,
      sampler: 'random',
    });

  it('asks reproducible, frozen trials and ranks told values by the metric direction', () => {
    const a = make();
    const b = make();
    for (let i = 0; i < 4; i++) {
      const ta = a.ask();
      const tb = b.ask();
      expect(tb).toEqual(ta);
      expect(ta.state).toBe('RUNNING');
      expect(Object.isFrozen(ta) && Object.isFrozen(ta.params)).toBe(true);
      a.tell(ta.id, { state: 'COMPLETE', value: [0.7, 0.9, 0.8, 0.6][i] });
    }
    expect(a.best()!.number).toBe(1);
    expect(a.ranked().map((t) => t.number)).toEqual([1, 2, 0, 3]);
    expect(() => a.tell('trial-0', { state: 'COMPLETE', value: 1 })).toThrow(/already/);
    const t = a.ask();
    expect(() => a.tell(t.id, { state: 'COMPLETE' })).toThrow(/value/);
  });

  it('runs enqueued (replayed) trials first, with their seeds', () => {
    const s = make();
    s.enqueue({
      family: 'linear',
      params: { learningRate: 0.01, l2: 1e-3, l1: 1e-6, batchSize: 64 },
      seed: 99,
    });
    const t = s.ask();
    expect(t).toMatchObject({ family: 'linear', seed: 99, source: 'enqueued' });
    expect(() => s.enqueue({ family: 'gbdt', params: { learningRate: 5 } })).toThrow();
    expect(s.replayList()[0]).toEqual({ family: 'linear', params: t.params, seed: 99 });
  });
});

describe('gbdt early-stopping patience', () => {
  it('grows as the learning rate shrinks, within [40, 250], and is set in the trial config', () => {
    expect(gbdtPatience(0.3)).toBe(40);
    expect(gbdtPatience(0.05)).toBe(50);
    expect(gbdtPatience(0.01)).toBe(250);
    expect(gbdtPatience(0.005)).toBe(250);
    let last = Infinity;
    for (const lr of [0.005, 0.01, 0.02, 0.05, 0.1, 0.3]) {
      const p = gbdtPatience(lr);
      expect(p).toBeLessThanOrEqual(last);
      last = p;
    }
    const cfg = toFamilyConfig('gbdt', {
      learningRate: 0.025,
      growPolicy: 'depthwise',
      maxDepth: 3,
      minChildWeight: 1,
      lambda: 1,
      alpha: 1e-4,
      subsample: 0.8,
      colsampleByTree: 0.8,
    });
    expect(cfg.earlyStoppingRounds).toBe(100);
  });
});
