import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { selectBackend } from '../../../src/core/models/nn/backend.ts';
import { trainModel } from '../../../src/core/train/train.ts';
import {
  chooseDecision,
  decideLabels,
  requestOf,
  resolvePositiveClass,
  withBundleDecision,
} from '../../../src/core/train/decision.ts';
import { balancedWeights, estimatorFor } from '../../../src/core/train/families.ts';
import { suggestPositiveClass } from '../../../src/core/profile/target.ts';
import { evaluate } from '../../../src/core/metrics/index.ts';
import { createRng } from '../../../src/core/util/random.ts';
import { cat, num, table } from '../../helpers/table.ts';
import type { FeatureMatrix } from '../../../src/core/models/types.ts';

beforeAll(async () => {
  await selectBackend('auto');
});

describe('positive class default', () => {
  const two = (a: string, na: number, b: string, nb: number) => [
    { value: a, count: na },
    { value: b, count: nb },
  ];
  it('is the minority class when the classes are clearly unbalanced, whatever the names', () => {
    expect(suggestPositiveClass(two('good', 950, 'bad', 50))).toEqual({
      label: 'bad',
      reason: 'bad (the minority class, 5%)',
    });
    // "1" reads as positive but is 90% of the rows: the rare "0" is what there is to find.
    expect(suggestPositiveClass(two('1', 900, '0', 100))!.label).toBe('0');
    expect(suggestPositiveClass(two('No', 97, 'Yes', 3))!.reason).toBe('Yes (the minority class, 3%)');
  });
  it('is a label that reads as positive when the classes are near balance', () => {
    expect(suggestPositiveClass(two('yes', 55, 'no', 45))).toEqual({
      label: 'yes',
      reason: 'yes (reads as the positive outcome, 55%)',
    });
    expect(suggestPositiveClass(two('benign', 50, 'Malignant', 48))!.label).toBe('Malignant');
  });
  it('else the minority, else the second label', () => {
    expect(suggestPositiveClass(two('a', 55, 'b', 45))!.label).toBe('b');
    expect(suggestPositiveClass(two('b', 50, 'a', 50))!.label).toBe('b');
    expect(suggestPositiveClass(two('p', 1, 'q', 1), ['q', 'p'])!.label).toBe('p');
    expect(suggestPositiveClass([{ value: 'a', count: 3 }])).toBeNull();
  });
  it('a user choice must be a class', () => {
    expect(resolvePositiveClass(['No', 'Yes'], [0, 1], 'No')).toMatchObject({ label: 'No', index: 0 });
    expect(() => resolvePositiveClass(['No', 'Yes'], [0, 1], 'Maybe')).toThrow(
      "positive class 'Maybe' is not a class of the target (classes: No, Yes)",
    );
  });
});

describe('chooseDecision / decideLabels', () => {
  it('labels follow the threshold on P(positive class), for either class as positive', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 1 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (p1, k, t) => {
          const wide = p1.flatMap((p) => [1 - p, p]);
          const classes = ['a', 'b'];
          const labels = decideLabels(wide, p1.length, classes, { positiveClass: classes[k], threshold: t });
          p1.forEach((p, i) => {
            const pk = k === 1 ? p : 1 - p;
            expect(labels[i]).toBe(pk >= t ? k : 1 - k);
          });
        },
      ),
    );
  });

  it('defaults: F1 on unbalanced data, 0.5 on balanced data', () => {
    const rng = createRng(3);
    const y: number[] = [];
    const p: number[] = [];
    for (let i = 0; i < 500; i++) {
      const pos = i % 20 === 0 ? 1 : 0;
      y.push(pos);
      p.push(Math.min(1, Math.max(0, 0.1 + 0.25 * pos + 0.15 * rng.next())));
    }
    const d = chooseDecision(['good', 'bad'], y, p);
    expect(d).toMatchObject({ positiveClass: 'bad', chosenFor: 'f1' });
    expect(d.threshold).toBeLessThan(0.5);
    // The chosen threshold finds the rare class; 0.5 finds none.
    const f1At = (t: number) => evaluate('binary', y, p, 2, undefined, { positiveIndex: 1, threshold: t }).f1;
    expect(f1At(0.5)).toBe(0);
    expect(f1At(d.threshold)).toBeGreaterThan(0.5);

    const balanced = chooseDecision(['no', 'yes'], [0, 1, 0, 1], [0.2, 0.4, 0.3, 0.9]);
    expect(balanced).toMatchObject({ positiveClass: 'yes', threshold: 0.5, chosenFor: 'default' });
    // requestOf chooses it again.
    const again = chooseDecision(['good', 'bad'], y, p, requestOf(d));
    expect({ ...again, positiveReason: d.positiveReason }).toEqual(d);
  });

  it('withBundleDecision replaces only the manifest decision', () => {
    const files = {
      'manifest.json': JSON.stringify({
        task: 'binary',
        positiveClass: 'b',
        decision: { threshold: 0.2 },
        seed: 1,
      }),
      'model.json': '{}',
    };
    const out = withBundleDecision(files, { positiveClass: 'a', threshold: 0.7, chosenFor: 'manual' });
    expect(out['model.json']).toBe('{}');
    const m = JSON.parse(out['manifest.json']);
    expect(Object.keys(m)).toEqual(['task', 'positiveClass', 'decision', 'seed']);
    expect(m.decision).toEqual({ positiveClass: 'a', threshold: 0.7, chosenFor: 'manual' });
  });
});

describe('trainModel decisions', () => {
  /** 1,000 rows, ~6% "bad", which depends on x. */
  function credit() {
    const rng = createRng(11);
    const x: number[] = [];
    const z: number[] = [];
    const label: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const a = rng.next() * 4 - 2;
      x.push(a);
      z.push(rng.next());
      label.push(rng.next() < 1 / (1 + Math.exp(-(2.2 * a - 4.2))) ? 'bad' : 'good');
    }
    return table(num('x', x), num('z', z), cat('risk', label));
  }

  it('chooses the minority as positive and an F1 threshold on the holdout; metrics are for it', async () => {
    const t = credit();
    const trained = await trainModel({
      table: t,
      target: 'risk',
      task: 'binary',
      family: 'gbdt',
      seed: 1,
      params: { rounds: 40 },
    });
    expect(trained.classes).toEqual(['bad', 'good']);
    expect(trained.decision).toMatchObject({ positiveClass: 'bad', chosenFor: 'f1' });
    // The reported metrics are those of "bad" (class 0) at the chosen threshold.
    const expected = evaluate('binary', trained.validation.y, trained.validation.pred, 2, undefined, {
      positiveIndex: 0,
      threshold: trained.decision!.threshold,
    });
    expect(trained.metrics.validation).toEqual(expected);
    expect(trained.metrics.validation.f1).toBeGreaterThan(0);
  });

  it('takes the user’s positive class and objective', async () => {
    const trained = await trainModel({
      table: credit(),
      target: 'risk',
      task: 'binary',
      family: 'gbdt',
      seed: 1,
      params: { rounds: 20 },
      decision: { positiveClass: 'good', objective: 'balanced_accuracy' },
    });
    expect(trained.decision).toMatchObject({ positiveClass: 'good', chosenFor: 'balanced_accuracy' });
    await expect(
      trainModel({
        table: credit(),
        target: 'risk',
        task: 'binary',
        family: 'gbdt',
        seed: 1,
        decision: { positiveClass: 'ok' },
      }),
    ).rejects.toThrow("positive class 'ok' is not a class of the target (classes: bad, good)");
  });
});

describe('class weights', () => {
  function matrix(n: number, seed: number): { X: FeatureMatrix; y: Float64Array } {
    const rng = createRng(seed);
    const col = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      col[i] = rng.next() * 2 - 1;
      y[i] = rng.next() < (col[i] > 0.6 ? 0.5 : 0.02) ? 1 : 0;
    }
    return { X: { nRows: n, nCols: 1, data: col, featureNames: ['x'] }, y };
  }

  it('balanced weights: each class weighs the same in total', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 50 }), (y) => {
        const w = balancedWeights(y, 3);
        const sums = [0, 0, 0];
        y.forEach((c, i) => (sums[c] += w[i]));
        const present = sums.filter((s) => s > 0);
        for (const s of present) expect(s).toBeCloseTo(y.length / present.length, 9);
      }),
    );
  });

  for (const family of ['linear', 'gbdt'] as const) {
    it(`${family}: classWeight balanced raises the rare class's probabilities; none is the default`, async () => {
      const { X, y } = matrix(600, 5);
      const est = estimatorFor(family);
      const base = family === 'linear' ? { epochs: 15, seed: 3 } : { rounds: 150, seed: 3 };
      const fit = async (extra: Record<string, unknown>) =>
        (
          await est.fit(X, y, {
            task: 'binary',
            nClasses: 2,
            config: est.resolveConfig({ ...base, ...extra }, 'binary'),
          })
        ).predict(X);
      const plain = await fit({});
      const none = await fit({ classWeight: 'none' });
      const balanced = await fit({ classWeight: 'balanced' });
      expect(Array.from(none)).toEqual(Array.from(plain));
      const meanP1 = (p: Float64Array) => {
        let s = 0;
        for (let i = 0; i < p.length / 2; i++) s += p[2 * i + 1];
        return s / (p.length / 2);
      };
      expect(meanP1(balanced)).toBeGreaterThan(meanP1(plain) * 1.3);
    }, 60_000);
  }

  it('rejects an unknown classWeight with the key named', () => {
    expect(() => estimatorFor('mlp').resolveConfig({ classWeight: 'heavy' } as never, 'binary')).toThrow(
      /classWeight must be one of none, balanced/,
    );
  });
});
