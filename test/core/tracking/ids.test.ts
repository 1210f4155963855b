import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createIdGenerator, idTime, ID_PATTERN } from '../../../src/core/tracking/ids.ts';
import { createRng } from '../../../src/core/util/random.ts';

describe('time-ordered ids', () => {
  it('are 26-char Crockford base32, encode the clock, and are reproducible with a seed', () => {
    const a = createIdGenerator({ now: () => 1_700_000_000_123, rng: createRng(5) });
    const b = createIdGenerator({ now: () => 1_700_000_000_123, rng: createRng(5) });
    const id = a();
    expect(id).toMatch(ID_PATTERN);
    expect(idTime(id)).toBe(1_700_000_000_123);
    expect(b()).toBe(id);
    expect(createIdGenerator({ now: () => 1_700_000_000_123, rng: createRng(6) })()).not.toBe(id);
  });

  it('sort in creation order, even within one millisecond and when the clock goes back', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -3, max: 5 }), { minLength: 1, maxLength: 200 }),
        fc.integer(),
        (deltas, seed) => {
          let t = 1_700_000_000_000;
          const gen = createIdGenerator({ now: () => (t += deltas.shift() ?? 0), rng: createRng(seed) });
          const ids = Array.from({ length: 200 }, () => gen());
          expect([...ids].sort()).toEqual(ids);
          expect(new Set(ids).size).toBe(ids.length);
        },
      ),
    );
  });

  it('rejects a bad clock and a malformed id clearly', () => {
    expect(() => createIdGenerator({ now: () => NaN })()).toThrow(/id clock returned NaN/);
    expect(() => idTime('not-an-id')).toThrow(/not a time-ordered id/);
  });
});
