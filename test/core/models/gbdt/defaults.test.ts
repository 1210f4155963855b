/** GBDT config defaults and validation: the round cap (issue 17, cost-frugal search). */
import { describe, expect, it } from 'vitest';
import { GBDT_DEFAULTS, fitGbdt, resolveGbdtConfig } from '../../../../src/core/models/gbdt/index.ts';
import { cappedRounds } from '../../../../src/core/models/gbdt/config.ts';
import { ModelConfigError } from '../../../../src/core/models/types.ts';
import { synth } from '../synth.ts';

describe('gbdt roundCap', () => {
  it('defaults to 0 (no cap), and is validated as a whole number >= 0', () => {
    expect(GBDT_DEFAULTS.roundCap).toBe(0);
    expect(resolveGbdtConfig({ roundCap: 25 }, GBDT_DEFAULTS, 'binary').roundCap).toBe(25);
    for (const bad of [-1, 2.5, NaN, '10']) {
      expect(() =>
        resolveGbdtConfig({ roundCap: bad as unknown as number }, GBDT_DEFAULTS, 'binary'),
      ).toThrow(ModelConfigError);
    }
    expect(() => resolveGbdtConfig({ roundCap: -1 }, GBDT_DEFAULTS, 'binary')).toThrow(/roundCap/);
  });

  it('bounds the rounds trained; 0 or a cap above rounds changes nothing', () => {
    expect(cappedRounds({ rounds: 50, roundCap: 0 })).toBe(50);
    expect(cappedRounds({ rounds: 50, roundCap: 7 })).toBe(7);
    expect(cappedRounds({ rounds: 50, roundCap: 80 })).toBe(50);
    const d = synth('multiclass', 300, 4);
    const fit = (roundCap: number) =>
      fitGbdt(d.X, d.y, { task: 'multiclass', config: { rounds: 30, roundCap, learningRate: 0.3, seed: 1 } });
    const capped = fit(7);
    expect(capped.iterationsRun).toBe(7);
    const free = fit(0);
    expect(free.iterationsRun).toBe(30);
    // the capped model is the uncapped one's first 7 rounds (same trees, same seed)
    expect(Array.from(capped.predict(d.X))).toEqual(Array.from(free.predict(d.X, { rounds: 7 })));
  });
});
