import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  formatMetricValue,
  formatNumber,
  formatProbability,
  formatValue,
  kindOfKey,
} from '../../src/ui/format.ts';
import { formatMetric, formatParam } from '../../src/ui/state/tracking-table.ts';
import { describeMetric, isSpreadMetric, metricLabel } from '../../src/core/metrics/labels.ts';

const significantDigits = (s: string): number => {
  const digits = s.replace(/^-/, '').split('e')[0].replace('.', '').replace(/,/g, '').replace(/^0+/, '');
  return digits.replace(/0+$/, '').length;
};

describe('one number formatter', () => {
  it('integers stay integers, in full, never in exponent form (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (n) => {
        for (const text of [
          formatNumber(n),
          formatValue(n, { kind: 'metric' }),
          formatValue(n, { kind: 'count' }),
          formatMetric(n),
          formatParam(n),
        ]) {
          expect(text).not.toMatch(/[e.]/i);
          expect(Number(text.replace(/,/g, ''))).toBe(n);
        }
      }),
    );
  });

  it('ids and seeds are never in exponent form nor grouped (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e300, noNaN: true }).map(Math.floor), (n) => {
        const text = formatValue(n, { kind: 'id' });
        expect(text).toMatch(/^\d+$/);
        expect(BigInt(text)).toBe(BigInt(n));
        expect(formatParam(n, 'seed')).toBe(text);
      }),
    );
    expect(formatParam(3962000000, 'seed')).toBe('3962000000');
    expect(formatMetric(3962000000)).toBe('3,962,000,000');
  });

  it('metrics to 4 significant digits, probabilities to 3 (4 near 0 and 1) (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.001, max: 0.999, noNaN: true }), (p) => {
        fc.pre(!Number.isInteger(p));
        const m = formatMetricValue('roc_auc', p);
        expect(significantDigits(m)).toBeLessThanOrEqual(4);
        expect(Math.abs(Number(m) - p)).toBeLessThanOrEqual(5e-4 * Math.max(p, 0.01));
        const q = formatProbability(p);
        expect(significantDigits(q)).toBeLessThanOrEqual(4);
        expect(q).not.toMatch(/e/);
      }),
    );
    expect(formatProbability(0.1234567890123456)).toBe('0.123');
    expect(formatProbability(0.99987654)).toBe('0.9999');
    expect(formatMetricValue('log_loss', 0.123456)).toBe('0.1235');
    expect(formatMetricValue('accuracy', 1)).toBe('1');
  });

  it('missing values and keys', () => {
    expect(formatNumber(undefined)).toBe('—');
    expect(formatMetric(undefined)).toBe('');
    expect(formatValue(Number.NaN, { empty: '' })).toBe('');
    expect(formatValue(Infinity)).toBe('∞');
    expect(kindOfKey('seed')).toBe('id');
    expect(kindOfKey('roc_auc_std')).toBe('metric');
    expect(kindOfKey('fit_seconds')).toBe('seconds');
    expect(formatNumber(1e-7)).toBe('1e-7');
    expect(formatNumber(123456.789)).toBe('123,460');
  });
});

describe('metric labels', () => {
  it('names metrics in words, spreads and folds too', () => {
    expect(metricLabel('balanced_accuracy')).toBe('Balanced accuracy');
    expect(metricLabel('roc_auc_std')).toContain('spread');
    expect(metricLabel('roc_auc_fold')).toBe('ROC AUC per fold');
    expect(metricLabel('valid_log_loss')).toBe('Log loss (validation)');
    expect(metricLabel('something_new')).toBe('something new');
    expect(describeMetric('r2').description).toMatch(/variance/);
    expect(isSpreadMetric('rmse_std')).toBe(true);
    expect(isSpreadMetric('rmse')).toBe(false);
  });
});
