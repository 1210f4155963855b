import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  accuracy,
  balancedAccuracy,
  binaryLogLoss,
  confusionMatrix,
  evaluate,
  isBetter,
  macroF1,
  multiclassLogLoss,
  prAuc,
  r2,
  rmse,
  rocAuc,
  rocCurve,
} from '../../../src/core/metrics/index.ts';

/** AUC as the probability a random positive outranks a random negative (ties one half). */
function naiveAuc(y: number[], s: number[], w?: number[]): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 1) continue;
    for (let j = 0; j < y.length; j++) {
      if (y[j] === 1) continue;
      const ww = (w ? w[i] : 1) * (w ? w[j] : 1);
      den += ww;
      if (s[i] > s[j]) num += ww;
      else if (s[i] === s[j]) num += ww / 2;
    }
  }
  return num / den;
}

const labelsAndScores = fc
  .integer({ min: 2, max: 60 })
  .chain((n) =>
    fc.tuple(
      fc.array(fc.integer({ min: 0, max: 1 }), { minLength: n, maxLength: n }),
      // few distinct values so ties are common
      fc.array(
        fc.integer({ min: 0, max: 8 }).map((v) => v / 8),
        { minLength: n, maxLength: n },
      ),
      fc.array(fc.double({ min: 0.1, max: 3, noNaN: true }), { minLength: n, maxLength: n }),
    ),
  )
  .filter(([y]) => y.includes(0) && y.includes(1));

describe('binary ranking metrics', () => {
  it('ROC AUC equals the pairwise definition, with ties and weights', () => {
    fc.assert(
      fc.property(labelsAndScores, ([y, s, w]) => {
        expect(rocAuc(y, s)).toBeCloseTo(naiveAuc(y, s), 12);
        expect(rocAuc(y, s, w)).toBeCloseTo(naiveAuc(y, s, w), 10);
      }),
    );
  });

  it('matches the scikit-learn documentation examples', () => {
    const y = [0, 0, 1, 1];
    const s = [0.1, 0.4, 0.35, 0.8];
    expect(rocAuc(y, s)).toBeCloseTo(0.75, 12);
    expect(prAuc(y, s)).toBeCloseTo(0.8333333333, 9);
    // log_loss(["spam","ham","ham","spam"], [[.1,.9],[.9,.1],[.8,.2],[.35,.65]]) = 0.21616...
    expect(binaryLogLoss([1, 0, 0, 1], [0.9, 0.1, 0.2, 0.65])).toBeCloseTo(0.21616187, 7);
  });

  it('ROC curve runs from (0,0) to (1,1) and is monotone', () => {
    fc.assert(
      fc.property(labelsAndScores, ([y, s]) => {
        const pts = rocCurve(y, s);
        expect(pts[0]).toMatchObject({ fpr: 0, tpr: 0 });
        expect(pts[pts.length - 1]).toMatchObject({ fpr: 1, tpr: 1 });
        for (let k = 1; k < pts.length; k++) {
          expect(pts[k].fpr).toBeGreaterThanOrEqual(pts[k - 1].fpr);
          expect(pts[k].tpr).toBeGreaterThanOrEqual(pts[k - 1].tpr);
        }
      }),
    );
  });

  it('AUC is undefined (NaN) with a single class, and perfect ranking gives 1', () => {
    expect(rocAuc([1, 1, 1], [0.2, 0.5, 0.9])).toBeNaN();
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4])).toBe(1);
    expect(prAuc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4])).toBe(1);
  });
});

describe('class-label metrics', () => {
  const labels = fc
    .integer({ min: 1, max: 50 })
    .chain((n) =>
      fc.tuple(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: n, maxLength: n }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: n, maxLength: n }),
      ),
    );

  it('confusion matrix sums to n and its diagonal gives accuracy', () => {
    fc.assert(
      fc.property(labels, ([y, p]) => {
        const cm = confusionMatrix(y, p, 4);
        expect(cm.reduce((a, b) => a + b, 0)).toBe(y.length);
        const diag = cm[0] + cm[5] + cm[10] + cm[15];
        expect(accuracy(y, p)).toBeCloseTo(diag / y.length, 12);
      }),
    );
  });

  it('macro F1 and balanced accuracy agree with hand-computed values', () => {
    // truth 0,0,1,1,2,2 ; predicted 0,1,1,1,2,0
    const y = [0, 0, 1, 1, 2, 2];
    const p = [0, 1, 1, 1, 2, 0];
    // class 0: P=1/2 R=1/2 F1=1/2; class 1: P=2/3 R=1 F1=0.8; class 2: P=1 R=1/2 F1=2/3
    expect(macroF1(y, p, 3)).toBeCloseTo((0.5 + 0.8 + 2 / 3) / 3, 12);
    expect(balancedAccuracy(y, p, 3)).toBeCloseTo((0.5 + 1 + 0.5) / 3, 12);
  });

  it('multiclass log loss renormalises rows and equals binary log loss on two classes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.double({ min: 0.01, max: 0.99, noNaN: true })), {
          minLength: 1,
          maxLength: 40,
        }),
        (rows) => {
          const y = rows.map((r) => r[0]);
          const p1 = rows.map((r) => r[1]);
          const proba = rows.flatMap((r) => [1 - r[1], r[1]]);
          expect(multiclassLogLoss(y, proba, 2)).toBeCloseTo(binaryLogLoss(y, p1), 10);
          const halved = proba.map((v) => v / 2);
          expect(multiclassLogLoss(y, halved, 2)).toBeCloseTo(binaryLogLoss(y, p1), 10);
        },
      ),
    );
  });
});

describe('regression metrics', () => {
  it('R² is 1 for perfect predictions, 0 for the mean, and RMSE matches the formula', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.integer({ min: -1e5, max: 1e5 }).map((v) => v / 100),
          { minLength: 2, maxLength: 50 },
        ),
        (y) => {
          fc.pre(new Set(y).size > 1);
          const mean = y.reduce((a, b) => a + b, 0) / y.length;
          expect(r2(y, y)).toBe(1);
          expect(
            r2(
              y,
              y.map(() => mean),
            ),
          ).toBeCloseTo(0, 9);
          const shifted = y.map((v) => v + 2);
          expect(rmse(y, shifted)).toBeCloseTo(2, 9);
        },
      ),
    );
  });
});

describe('evaluate and metric directions', () => {
  it('accepts one- or two-column binary predictions alike', () => {
    const y = [0, 1, 1, 0, 1];
    const p = [0.2, 0.7, 0.4, 0.1, 0.9];
    const a = evaluate('binary', y, p);
    const b = evaluate(
      'binary',
      y,
      p.flatMap((v) => [1 - v, v]),
    );
    expect(a).toEqual(b);
    expect(a.accuracy).toBeCloseTo(4 / 5, 12);
  });

  it('rejects predictions of the wrong size with a clear message', () => {
    expect(() => evaluate('multiclass', [0, 1], [0.5, 0.5, 0.5], 3)).toThrow(/2×3 values, got 3/);
    expect(() => evaluate('regression', [0, 1], [0.5])).toThrow(/need 2 values/);
  });

  it('knows which direction is better', () => {
    expect(isBetter('roc_auc', 0.9, 0.8)).toBe(true);
    expect(isBetter('rmse', 0.9, 0.8)).toBe(false);
    expect(isBetter('log_loss', NaN, 0.8)).toBe(false);
    expect(isBetter('log_loss', 0.8, NaN)).toBe(true);
    expect(() => isBetter('nope', 1, 2)).toThrow(/unknown metric/);
  });
});
