/**
 * Shared estimator test suite: every model family runs it.
 *
 *   runEstimatorSuite('gbdt', () => ({ estimator: gbdtEstimator, config: { rounds: 20 } }));
 *
 * It checks the fit/predict contract per task, determinism, the JSON round trip (bit-identical
 * predictions through the registry), missing values, constant features, a class absent from the data
 * or a bagging sample, tiny data (1 and 2 rows) and specific errors for bad config and bad input.
 */
import { describe, expect, it } from 'vitest';
import type { Estimator, FeatureMatrix, Fitted, Task } from '../../../src/core/models/types.ts';
import { ModelConfigError, matrixFromColumns, takeRows } from '../../../src/core/models/types.ts';
import { deserializeModel, getEstimator } from '../../../src/core/models/index.ts';
import { accuracyOf, synth } from './synth.ts';

export interface SuiteSubject {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  estimator: Estimator<any>;
  /** Config used for every fit (keep it small and fast). Must accept a 'seed' key. */
  config?: Record<string, unknown>;
  /** A config key/value that the family must reject. Default: an unknown key. */
  badConfig?: Record<string, unknown>;
  /**
   * Config that turns on early stopping on a validation set (stopping `patience` iterations after the
   * best one, unless `max` iterations run first); without it the family has no early stopping.
   */
  earlyStopping?: { config: Record<string, unknown>; patience: number; max: number };
}

const TASKS: Task[] = ['binary', 'multiclass', 'regression'];

function checkPredictions(model: Fitted, X: FeatureMatrix, task: Task, K: number): Float64Array {
  const p = model.predict(X);
  const width = task === 'regression' ? 1 : K;
  expect(p).toBeInstanceOf(Float64Array);
  expect(p.length).toBe(X.nRows * width);
  for (const v of p) expect(Number.isFinite(v)).toBe(true);
  if (task !== 'regression') {
    for (let i = 0; i < X.nRows; i++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const v = p[i * K + k];
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
        s += v;
      }
      expect(s).toBeCloseTo(1, 9);
    }
  }
  return p;
}

export function runEstimatorSuite(name: string, factory: () => SuiteSubject): void {
  describe(`estimator suite: ${name}`, () => {
    const fit = async (
      X: FeatureMatrix,
      y: Float64Array,
      task: Task,
      nClasses: number,
      extra: Record<string, unknown> = {},
      weights?: Float64Array,
    ): Promise<Fitted> => {
      const { estimator, config } = factory();
      return estimator.fit(X, y, { task, nClasses, config: { ...config, ...extra }, weights });
    };

    it('is registered under its family name', () => {
      const { estimator } = factory();
      expect(getEstimator(estimator.family)).toBe(estimator);
    });

    for (const task of TASKS) {
      describe(task, () => {
        it('fits and predicts with the contract shape, better than a constant', async () => {
          const train = synth(task, 400, 11);
          const test = synth(task, 300, 12);
          const model = await fit(train.X, train.y, task, train.nClasses);
          expect(model.family).toBe(factory().estimator.family);
          expect(model.task).toBe(task);
          expect(model.nClasses).toBe(task === 'regression' ? 1 : train.nClasses);
          expect(model.nFeatures).toBe(train.X.nCols);
          const p = checkPredictions(model, test.X, task, train.nClasses);
          if (task === 'regression') {
            let mean = 0;
            for (const v of test.y) mean += v / test.y.length;
            let sse = 0;
            let sst = 0;
            for (let i = 0; i < test.y.length; i++) {
              sse += (p[i] - test.y[i]) ** 2;
              sst += (mean - test.y[i]) ** 2;
            }
            expect(1 - sse / sst).toBeGreaterThan(0.6);
          } else {
            expect(accuracyOf(p, test.y, train.nClasses)).toBeGreaterThan(0.75);
          }
        });

        it('is deterministic for the same data, config and seed; the seed matters only via randomness', async () => {
          const d = synth(task, 200, 3);
          const a = await fit(d.X, d.y, task, d.nClasses, { seed: 42 });
          const b = await fit(d.X, d.y, task, d.nClasses, { seed: 42 });
          expect(JSON.stringify(a.toJSON())).toBe(JSON.stringify(b.toJSON()));
          expect(Array.from(a.predict(d.X))).toEqual(Array.from(b.predict(d.X)));
        });

        it('round-trips through JSON with bit-identical predictions', async () => {
          const d = synth(task, 300, 5, { missing: 0.1 });
          const model = await fit(d.X, d.y, task, d.nClasses);
          const json = JSON.stringify(model.toJSON());
          const parsed = JSON.parse(json) as { family: string; formatVersion: number };
          expect(parsed.family).toBe(model.family);
          expect(Number.isInteger(parsed.formatVersion)).toBe(true);
          const back = deserializeModel(json);
          const p1 = model.predict(d.X);
          const p2 = back.predict(d.X);
          expect(p2.length).toBe(p1.length);
          for (let i = 0; i < p1.length; i++) expect(Object.is(p1[i], p2[i])).toBe(true);
          expect(JSON.stringify(back.toJSON())).toBe(json);
        });

        it('handles NaN in training and in prediction', async () => {
          const d = synth(task, 300, 7, { missing: 0.3 });
          const model = await fit(d.X, d.y, task, d.nClasses);
          checkPredictions(model, d.X, task, d.nClasses);
          const allNaN = matrixFromColumns(
            Array.from({ length: d.X.nCols }, () => new Float64Array(5).fill(NaN)),
            { categorical: d.X.categorical },
          );
          checkPredictions(model, allNaN, task, d.nClasses);
        });

        it('predicts the prior from constant features', async () => {
          const n = 60;
          const d = synth(task, n, 9);
          const X = matrixFromColumns([new Float64Array(n).fill(1), new Float64Array(n).fill(-3)]);
          const model = await fit(X, d.y, task, d.nClasses);
          const p = checkPredictions(model, X, task, d.nClasses);
          const width = task === 'regression' ? 1 : d.nClasses;
          for (let i = 1; i < n; i++) {
            for (let k = 0; k < width; k++) expect(p[i * width + k]).toBe(p[k]);
          }
          if (task === 'regression') {
            let mean = 0;
            for (const v of d.y) mean += v / n;
            expect(p[0]).toBeCloseTo(mean, 1);
          } else {
            for (let k = 0; k < width; k++) {
              const freq = d.y.filter((v) => v === k).length / n;
              expect(Math.abs(p[k] - freq)).toBeLessThan(0.1);
            }
          }
        });

        if (task !== 'regression') {
          it('copes with a class missing from the data (and so from any bagging sample)', async () => {
            const n = 80;
            const d = synth(task, n, 13);
            const y = d.y.map((v) => (v === 0 ? 1 : v));
            const model = await fit(d.X, y, task, d.nClasses, { seed: 1 });
            const p = checkPredictions(model, d.X, task, d.nClasses);
            for (let i = 0; i < n; i++) expect(p[i * d.nClasses]).toBeLessThan(0.1);
          });

          it('copes with a class seen in one row only', async () => {
            const d = synth(task, 120, 14);
            const y = d.y.map((v) => (v === 0 ? 1 : v));
            y[5] = 0;
            const model = await fit(d.X, y, task, d.nClasses, { seed: 2 });
            checkPredictions(model, d.X, task, d.nClasses);
          });
        }

        it('trains on 1 row and on 2 rows', async () => {
          const d = synth(task, 50, 15);
          for (const rows of [[0], [0, 1]]) {
            const X = takeRows(d.X, rows);
            const y = Float64Array.from(rows, (r) => d.y[r]);
            const model = await fit(X, y, task, d.nClasses);
            const p = checkPredictions(model, d.X, task, d.nClasses);
            if (task === 'regression' && rows.length === 1) {
              for (const v of p) expect(v).toBeCloseTo(y[0], 6);
            }
          }
        });

        it('uses sample weights: up-weighting a class / high targets moves the prior towards it', async () => {
          const d = synth(task, 300, 16);
          const n = d.y.length;
          // Up-weight rows of the last class (classification) or with y above the median (regression).
          const sorted = Array.from(d.y).sort((a, b) => a - b);
          const hi = (i: number): boolean =>
            task === 'regression' ? d.y[i] > sorted[n >> 1] : d.y[i] === d.nClasses - 1;
          const w = Float64Array.from({ length: n }, (_, i) => (hi(i) ? 10 : 1));
          // Uninformative features: the prediction is the (weighted) prior.
          const X = matrixFromColumns([new Float64Array(n).fill(1)]);
          const plain = await fit(X, d.y, task, d.nClasses);
          const weighted = await fit(X, d.y, task, d.nClasses, {}, w);
          const score = (m: Fitted): number => {
            const p = m.predict(X);
            let s = 0;
            for (let i = 0; i < n; i++)
              s += task === 'regression' ? p[i] : p[i * d.nClasses + d.nClasses - 1];
            return s / n;
          };
          expect(score(weighted)).toBeGreaterThan(score(plain));
        });
      });
    }

    it('reports the iterations its predictions use and the ones it ran, the same after a JSON round trip', async () => {
      const { estimator, config, earlyStopping } = factory();
      const d = synth('binary', 300, 21);
      const v = synth('binary', 200, 22);
      const model = await estimator.fit(d.X, d.y, {
        task: 'binary',
        nClasses: 2,
        config: { ...config, ...earlyStopping?.config },
        ...(earlyStopping ? { validation: { X: v.X, y: v.y } } : {}),
      });
      const used = model.iterationsUsed!;
      const run = model.iterationsRun!;
      expect(Number.isInteger(used) && used >= 1).toBe(true);
      expect(Number.isInteger(run) && run >= used).toBe(true);
      if (earlyStopping && run < earlyStopping.max) expect(run - used).toBe(earlyStopping.patience);
      const back = deserializeModel(JSON.stringify(model.toJSON()));
      expect([back.iterationsUsed, back.iterationsRun]).toEqual([used, run]);
      // Dropping training-only state (where there is any) changes neither predictions nor the file.
      const p = Array.from(model.predict(v.X));
      const json = JSON.stringify(model.toJSON());
      model.dropTrainingState?.();
      expect(Array.from(model.predict(v.X))).toEqual(p);
      expect(JSON.stringify(model.toJSON())).toBe(json);
    });

    it('rejects bad config with a specific error', async () => {
      const { estimator, config, badConfig } = factory();
      const d = synth('binary', 30, 1);
      const bad = badConfig ?? { notARealKey: 1 };
      const key = Object.keys(bad)[0];
      await expect(async () =>
        estimator.fit(d.X, d.y, { task: 'binary', nClasses: 2, config: { ...config, ...bad } }),
      ).rejects.toThrow(ModelConfigError);
      await expect(async () =>
        estimator.fit(d.X, d.y, { task: 'binary', nClasses: 2, config: { ...config, ...bad } }),
      ).rejects.toThrow(key);
    });

    it('rejects bad labels, shapes and weights with specific errors', async () => {
      const d = synth('binary', 30, 1);
      await expect(
        fit(
          d.X,
          d.y.map((v) => v + 1),
          'binary',
          2,
        ),
      ).rejects.toThrow(/class index/);
      await expect(fit(d.X, d.y.subarray(0, 10), 'binary', 2)).rejects.toThrow(/rows/);
      await expect(fit(d.X, d.y, 'binary', 2, {}, new Float64Array(30).fill(-1))).rejects.toThrow(/weights/);
      const model = await fit(d.X, d.y, 'binary', 2);
      expect(() => model.predict(matrixFromColumns([new Float64Array(3)]))).toThrow(/features|columns/);
    });
  });
}
