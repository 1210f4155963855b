import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { association, foldsOption } from '../../src/ui/charts/tracking-options.ts';

const hasScipy = (() => {
  try {
    return (
      existsSync('/usr/bin/python3') &&
      !execFileSync('/usr/bin/python3', ['-c', 'import scipy'], { stdio: 'pipe' }).length
    );
  } catch {
    return false;
  }
})();

describe('association of a parameter with the metric', () => {
  it.skipIf(!hasScipy)('numbers: |Pearson r| as SciPy computes it', () => {
    const x = [0.01, 0.05, 0.1, 0.2, 0.3, 0.5];
    const y = [0.81, 0.86, 0.9, 0.88, 0.84, 0.8];
    const ref = Number(
      execFileSync(
        '/usr/bin/python3',
        [
          '-c',
          `from scipy.stats import pearsonr; print(abs(pearsonr(${JSON.stringify(x)}, ${JSON.stringify(y)})[0]))`,
        ],
        {
          encoding: 'utf8',
        },
      ),
    );
    expect(association(x, y)).toBeCloseTo(ref, 10);
  });

  it('categories: the correlation ratio; 1 when the category decides the metric, 0 without spread', () => {
    expect(association(['a', 'a', 'b', 'b'], [1, 1, 2, 2])).toBeCloseTo(1, 12);
    expect(association(['a', 'b', 'a', 'b'], [1, 1, 1, 1])).toBe(0);
    expect(association([1, 1, 1], [1, 2, 3])).toBe(0);
    expect(association([1, 2], [1, 2])).toBe(0); // too few runs to say
  });

  it('is within 0…1 and unchanged by shifting or scaling the metric (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: -10, max: 10 })), {
          minLength: 3,
          maxLength: 30,
        }),
        (pairs) => {
          const xs = pairs.map((p) => p[0]);
          const ys = pairs.map((p) => p[1]);
          const a = association(xs, ys);
          expect(a).toBeGreaterThanOrEqual(0);
          expect(a).toBeLessThanOrEqual(1 + 1e-9);
          const b = association(
            xs,
            ys.map((v) => 3 * v + 7),
          );
          if (a > 1e-6 && b > 1e-6) expect(b).toBeCloseTo(a, 6);
        },
      ),
    );
  });
});

describe('per-fold results', () => {
  it('are drawn on a fold axis (categories), one bar series per run', () => {
    const o = foldsOption(
      [
        { name: 'trial 1', folds: [0, 1, 2], values: [0.9, 0.8, 0.85] },
        { name: 'trial 2', folds: [0, 2], values: [0.7, 0.75] },
      ],
      'ROC AUC per fold',
    ) as { xAxis: { type: string; data: string[] }; series: { type: string; data: (number | null)[] }[] };
    expect(o.xAxis.type).toBe('category');
    expect(o.xAxis.data).toEqual(['fold 1', 'fold 2', 'fold 3']);
    expect(o.series.map((s) => s.type)).toEqual(['bar', 'bar']);
    expect(o.series[1].data).toEqual([0.7, null, 0.75]);
  });
});
