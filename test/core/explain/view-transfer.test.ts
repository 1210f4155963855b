import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { packJson, unpackJson } from '../../../src/core/explain/view-transfer.ts';

/** Sends the packed value through a real structured clone, transferring its buffers (as the worker does). */
function roundTrip(value: unknown): unknown {
  const packed = packJson(value);
  const cloned = structuredClone(packed, { transfer: packed.numbers.map((f) => f.buffer) });
  return unpackJson(cloned);
}

describe('packJson / unpackJson', () => {
  it('packs long arrays of numbers (with nulls) and strings, and restores the same value', () => {
    const n = 500;
    const view = {
      kind: 'automl-studio-explain-view',
      sample: {
        row: Array.from({ length: n }, (_, i) => i),
        values: [Array.from({ length: n }, (_, i) => (i % 7 ? i / 3 : null))],
        text: [Array.from({ length: n }, (_, i) => (i % 5 ? `v${i}` : ''))],
        categorical: [false],
      },
      short: [1, 2, null],
    };
    const packed = packJson(view);
    expect(packed.numbers).toHaveLength(2);
    expect(packed.strings).toHaveLength(1);
    expect(JSON.stringify(packed.value).length).toBeLessThan(400);
    expect(roundTrip(view)).toEqual(view);
  });

  it('leaves arrays of mixed types, and strings holding NUL, as they are', () => {
    const mixed = Array.from({ length: 100 }, (_, i) => (i % 2 ? i : `s${i}`));
    const nul = Array.from({ length: 100 }, (_, i) => `a\u0000${i}`);
    const packed = packJson({ mixed, nul });
    expect(packed.numbers).toHaveLength(0);
    expect(packed.strings).toHaveLength(0);
    expect(roundTrip({ mixed, nul })).toEqual({ mixed, nul });
  });

  it('round-trips any JSON value', () => {
    const longNums = fc.array(
      fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null)),
      {
        minLength: 60,
        maxLength: 200,
      },
    );
    const longStrs = fc.array(fc.string(), { minLength: 60, maxLength: 200 });
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.jsonValue({ maxDepth: 2 }),
        longNums,
        longStrs,
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(fc.string(), tie('value'), { maxKeys: 4 }),
      ),
    })).value;
    fc.assert(
      fc.property(json, (v) => {
        // JSON has no -0: compare as JSON would store it
        const stored = JSON.parse(JSON.stringify(v)) as unknown;
        expect(roundTrip(stored)).toEqual(stored);
      }),
      { numRuns: 200 },
    );
  });
});
