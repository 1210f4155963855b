import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import {
  chooseThreshold,
  confusionAt,
  evaluate,
  gainsCurve,
  objectiveValue,
  perClassReport,
  confusionMatrix,
  type ThresholdObjective,
} from '../../../src/core/metrics/index.ts';

/** Naive objective at threshold t: count every row again, straight from the definitions. */
function naive(
  objective: ThresholdObjective,
  pos: number[],
  score: number[],
  t: number,
  costs: { fp: number; fn: number },
): number {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  pos.forEach((p, i) => {
    const yes = score[i] >= t;
    if (p === 1 && yes) tp++;
    else if (p === 1) fn++;
    else if (yes) fp++;
    else tn++;
  });
  if (objective === 'cost') return -(costs.fp * fp + costs.fn * fn);
  if (objective === 'f1') return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  const tpr = tp + fn ? tp / (tp + fn) : NaN;
  const tnr = tn + fp ? tn / (tn + fp) : NaN;
  if (Number.isNaN(tpr)) return tnr;
  if (Number.isNaN(tnr)) return tpr;
  return (tpr + tnr) / 2;
}

/** Best value over every threshold a probability can take: each distinct score, and above the top one. */
function bruteBest(
  objective: ThresholdObjective,
  pos: number[],
  score: number[],
  costs: { fp: number; fn: number },
): number {
  const ts = [...new Set(score)];
  const top = Math.max(...score);
  if (top < 1) ts.push((top + 1) / 2);
  return Math.max(...ts.map((t) => naive(objective, pos, score, t, costs)));
}

const rows = fc.integer({ min: 1, max: 60 }).chain((n) =>
  fc.tuple(
    fc.array(fc.integer({ min: 0, max: 1 }), { minLength: n, maxLength: n }),
    // Coarse scores so that ties are common; 0 and 1 included.
    fc.array(
      fc.oneof(
        fc.integer({ min: 0, max: 10 }).map((k) => k / 10),
        fc.double({ min: 0, max: 1, noNaN: true }),
      ),
      { minLength: n, maxLength: n },
    ),
  ),
);
const costsArb = fc.record({
  fp: fc.integer({ min: 0, max: 20 }),
  fn: fc.integer({ min: 1, max: 20 }),
});

describe('chooseThreshold', () => {
  for (const objective of ['f1', 'balanced_accuracy', 'cost'] as const) {
    it(`finds the best threshold for ${objective} (brute-force reference)`, () => {
      fc.assert(
        fc.property(rows, costsArb, ([pos, score], costs) => {
          const c = chooseThreshold(pos, score, objective, { costs });
          const best = bruteBest(objective, pos, score, costs);
          const got = naive(objective, pos, score, c.threshold, costs);
          expect(c.threshold).toBeGreaterThanOrEqual(0);
          expect(c.threshold).toBeLessThanOrEqual(1);
          // Applying the returned threshold reaches the brute-force optimum …
          if (Number.isNaN(best)) expect(got).toBeNaN();
          else expect(got).toBeCloseTo(best, 12);
          // … and the reported value and counts are those of the threshold.
          const counts = confusionAt(pos, score, c.threshold);
          expect(counts).toEqual(c.counts);
          const v = objectiveValue(objective, counts, costs);
          expect(objective === 'cost' ? -v : v).toBeCloseTo(c.value, 12);
        }),
        { numRuns: 300 },
      );
    });
  }

  it('picks a threshold between scores, not on one, where it can', () => {
    const c = chooseThreshold([0, 0, 1, 1], [0.1, 0.2, 0.6, 0.8], 'f1');
    expect(c.threshold).toBeCloseTo(0.4, 12);
    expect(c.value).toBe(1);
  });

  it('finds the rare class on an imbalanced set where 0.5 predicts none of it', () => {
    // 5% positives whose probabilities all stay under 0.5.
    const n = 400;
    const pos: number[] = [];
    const score: number[] = [];
    for (let i = 0; i < n; i++) {
      const p = i % 20 === 0 ? 1 : 0;
      pos.push(p);
      score.push(p ? 0.3 + (i / n) * 0.1 : (i / n) * 0.35);
    }
    expect(confusionAt(pos, score, 0.5).tp).toBe(0);
    const c = chooseThreshold(pos, score, 'f1');
    expect(c.threshold).toBeLessThan(0.5);
    expect(c.counts.tp).toBeGreaterThan(0);
    expect(c.counts.tp + c.counts.fp).toBeGreaterThan(0);
  });

  it('moves with the costs: expensive misses lower the threshold', () => {
    const pos = [0, 1, 0, 1, 0, 0, 1, 0, 1, 1];
    const score = [0.1, 0.2, 0.25, 0.4, 0.45, 0.5, 0.55, 0.7, 0.8, 0.9];
    const cheapMiss = chooseThreshold(pos, score, 'cost', { costs: { fp: 10, fn: 1 } });
    const dearMiss = chooseThreshold(pos, score, 'cost', { costs: { fp: 1, fn: 10 } });
    expect(dearMiss.threshold).toBeLessThan(cheapMiss.threshold);
  });

  it('rejects bad input with the reason', () => {
    expect(() => chooseThreshold([0, 1], [0.5], 'f1')).toThrow(/one score per row/);
    expect(() => chooseThreshold([0, 1], [0.5, NaN], 'f1')).toThrow(/row 1/);
    expect(() => chooseThreshold([0, 1], [0.2, 0.5], 'cost', { costs: { fp: 0, fn: 0 } })).toThrow(/costs/);
  });
});

describe('metrics for the positive class', () => {
  it('are the metrics of the relabelled problem (class 0 as positive = flip labels and scores)', () => {
    fc.assert(
      fc.property(rows, fc.double({ min: 0.01, max: 0.99, noNaN: true }), ([y, p1], t) => {
        fc.pre(y.includes(0) && y.includes(1));
        const got = evaluate('binary', y, p1, 2, undefined, { positiveIndex: 0, threshold: t });
        const flipped = evaluate(
          'binary',
          y.map((v) => 1 - v),
          p1.map((v) => 1 - v),
          2,
          undefined,
          { positiveIndex: 1, threshold: t },
        );
        for (const k of Object.keys(flipped)) expect(got[k]).toBeCloseTo(flipped[k], 12);
        // F1 from the definition, for class 0.
        let tp = 0;
        let fp = 0;
        let fn = 0;
        y.forEach((v, i) => {
          const yes = 1 - p1[i] >= t;
          if (v === 0 && yes) tp++;
          else if (v === 0) fn++;
          else if (yes) fp++;
        });
        expect(got.f1).toBeCloseTo(tp ? (2 * tp) / (2 * tp + fp + fn) : 0, 12);
      }),
      { numRuns: 200 },
    );
  });

  it('the default spec (class 1, 0.5) gives the metrics as before', () => {
    const y = [0, 1, 1, 0, 1];
    const p = [0.2, 0.7, 0.4, 0.6, 0.9];
    expect(evaluate('binary', y, p, 2, undefined, { positiveIndex: 1, threshold: 0.5 })).toEqual(
      evaluate('binary', y, p),
    );
  });
});

describe('gainsCurve', () => {
  it('is monotone, ends at (1, 1) and its lift is gain / fraction', () => {
    fc.assert(
      fc.property(rows, fc.integer({ min: 1, max: 30 }), ([pos, score], bins) => {
        fc.pre(pos.includes(1));
        const g = gainsCurve(pos, score, bins);
        const last = g[g.length - 1];
        expect(last.fraction).toBe(1);
        expect(last.gain).toBeCloseTo(1, 12);
        for (let i = 1; i < g.length; i++) {
          expect(g[i].fraction).toBeGreaterThan(g[i - 1].fraction);
          expect(g[i].gain).toBeGreaterThanOrEqual(g[i - 1].gain);
        }
        for (const p of g) expect(p.lift).toBeCloseTo(p.gain / p.fraction, 12);
      }),
    );
  });

  it('a perfect ranking reaches all positives at their share of rows', () => {
    const pos = [1, 1, 0, 0, 0, 0, 0, 0, 0, 0];
    const score = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0];
    const g = gainsCurve(pos, score, 10);
    expect(g[1]).toEqual({ fraction: 0.2, gain: 1, lift: 5 });
  });
});

describe('perClassReport', () => {
  it('matches the confusion matrix definition', () => {
    const y = [0, 0, 1, 2, 2, 2];
    const p = [0, 1, 1, 2, 0, 2];
    const r = perClassReport(confusionMatrix(y, p, 3), 3);
    expect(r[0]).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(r[1].precision).toBe(0.5);
    expect(r[1].recall).toBe(1);
    expect(r[2].precision).toBe(1);
    expect(r[2].recall).toBeCloseTo(2 / 3, 12);
  });
});

describe('metrics for the positive class against scikit-learn', () => {
  const python = '/usr/bin/python3';
  const hasSklearn = (() => {
    try {
      execFileSync(python, ['-c', 'import sklearn'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  it.runIf(hasSklearn)('f1, balanced accuracy, accuracy, PR AUC (pos_label) match sklearn', () => {
    const cases = fc.sample(
      fc.tuple(rows, fc.integer({ min: 0, max: 1 }), fc.double({ min: 0.05, max: 0.95, noNaN: true })),
      { numRuns: 40, seed: 13 },
    );
    const input = cases
      .filter(([[y]]) => y.includes(0) && y.includes(1))
      .map(([[y, p1], k, t]) => ({ y, p1, k, t }));
    const script = `
import json, sys
from sklearn.metrics import f1_score, balanced_accuracy_score, accuracy_score, average_precision_score
out = []
for c in json.load(sys.stdin):
    k, t = c['k'], c['t']
    score = [p if k == 1 else 1 - p for p in c['p1']]
    truth = [1 if v == k else 0 for v in c['y']]
    hard = [1 if s >= t else 0 for s in score]
    out.append({'f1': f1_score(truth, hard, zero_division=0), 'balanced_accuracy': balanced_accuracy_score(truth, hard),
                'accuracy': accuracy_score(truth, hard), 'pr_auc': average_precision_score(truth, score)})
print(json.dumps(out))
`;
    const ref = JSON.parse(
      execFileSync(python, ['-c', script], { input: JSON.stringify(input), encoding: 'utf8' }),
    ) as Record<string, number>[];
    input.forEach((c, i) => {
      const got = evaluate('binary', c.y, c.p1, 2, undefined, { positiveIndex: c.k, threshold: c.t });
      for (const key of ['f1', 'balanced_accuracy', 'accuracy', 'pr_auc'])
        expect(got[key], `${key} case ${i}`).toBeCloseTo(ref[i][key], 9);
    });
  });
});
