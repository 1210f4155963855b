import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { base64ToBytes, bytesToBase64, b64, typedToBase64 } from '../../../src/core/util/base64.ts';

describe('base64', () => {
  it('round-trips any bytes and matches the platform encoder', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const text = bytesToBase64(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64'));
        expect(Array.from(base64ToBytes(text))).toEqual(Array.from(bytes));
      }),
    );
  });

  it('round-trips float32 arrays bit for bit, NaN and -0 included', () => {
    fc.assert(
      fc.property(fc.float32Array({ maxLength: 100 }), (a) => {
        const back = b64.f32(typedToBase64(a));
        expect(new Uint8Array(back.buffer, back.byteOffset, back.byteLength)).toEqual(
          new Uint8Array(a.buffer),
        );
      }),
    );
  });

  it('rejects malformed text clearly', () => {
    expect(() => base64ToBytes('ab$d')).toThrow(/base64/);
    expect(() => base64ToBytes('abcde')).toThrow(/base64/);
    expect(() => b64.f32('AAE=')).toThrow(/not a multiple of 4/);
  });
});
