import { describe, expect, it } from 'vitest';
import { exp, log, tanh } from '../../../src/core/util/portable-math.ts';

describe('portable exp and tanh', () => {
  it('are within 1 ulp of Math.exp / 2e-16 of Math.tanh, over the whole range', () => {
    let x = 0.5;
    for (let i = 0; i < 20_000; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      const v = (x / 2147483648 - 0.5) * 1400;
      const a = exp(v);
      const b = Math.exp(v);
      expect(Math.abs(a - b)).toBeLessThanOrEqual(Math.abs(b) * 2.3e-16);
      expect(Math.abs(tanh(v / 100) - Math.tanh(v / 100))).toBeLessThanOrEqual(3e-16);
    }
  });

  it('gives fixed bits (fdlibm) and handles the edges', () => {
    expect(exp(1)).toBe(2.7182818284590455);
    expect(exp(-1)).toBe(0.36787944117144233);
    expect(exp(0)).toBe(1);
    expect(exp(10)).toBe(22026.465794806718);
    expect(exp(-740)).toBe(4.2e-322);
    expect(exp(710)).toBe(Infinity);
    expect(exp(-800)).toBe(0);
    expect(exp(-Infinity)).toBe(0);
    expect(exp(NaN)).toBeNaN();
    expect(tanh(0)).toBe(0);
    expect(tanh(30)).toBe(1);
    expect(tanh(-30)).toBe(-1);
  });
});

describe('portable log', () => {
  it('matches fdlibm (and so V8 in Node) bit for bit over normal and subnormal ranges', () => {
    let x = 0.25;
    for (let i = 0; i < 20_000; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      const u = x / 2147483648;
      for (const v of [u * 10, Math.exp((u - 0.5) * 1400), u * 1e-310]) {
        if (v > 0) expect(log(v)).toBe(Math.log(v));
      }
    }
  });

  it('handles the edges', () => {
    expect(log(1)).toBe(0);
    expect(log(0)).toBe(-Infinity);
    expect(log(-1)).toBeNaN();
    expect(log(NaN)).toBeNaN();
    expect(log(Infinity)).toBe(Infinity);
    expect(log(5e-324)).toBe(-744.4400719213812);
    expect(log(2)).toBe(0.6931471805599453);
  });
});
