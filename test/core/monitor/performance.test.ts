/**
 * CBPE with calibration: on a synthetic model whose probabilities are over-confident, the raw
 * estimate is far from the actual ROC AUC and accuracy and the estimate after the calibration map
 * (fitted on a separate labelled reference) is close; on calibrated probabilities both are close;
 * a reference.json without a map still loads and the estimate says it is uncalibrated; a map
 * round-trips through reference.json and a malformed one is refused; end to end, a bundle fitted on
 * german_credit stores a map and monitoring its test split without the target uses it, and the same
 * bundle with the map removed (as made before) is still monitored, uncalibrated, saying so.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainModel } from '../../../src/core/train/train.ts';
import { createBundleFiles, loadBundle } from '../../../src/core/export/bundle.ts';
import { ingestCsv } from '../../../src/core/ingest/ingest.ts';
import { bytesSource } from '../../../src/core/ingest/index.ts';
import { monitorBatch } from '../../../src/core/monitor/monitor-batch.ts';
import type { Table } from '../../../src/core/data/table.ts';
import { datasetFile } from '../../helpers/paths.ts';
import { rehashed } from '../../helpers/rehash.ts';
import {
  actualPerformance,
  estimatedPerformance,
  type EstimatedPerformance,
} from '../../../src/core/monitor/performance.ts';
import { applyCalibration, fitCalibration, type Calibration } from '../../../src/core/monitor/calibration.ts';
import {
  REFERENCE_FILE,
  buildReference,
  parseReference,
  referenceJson,
} from '../../../src/core/monitor/reference.ts';
import { createRng } from '../../../src/core/util/random.ts';
import { decideLabels, decisionSpec } from '../../../src/core/train/decision.ts';
import { num, table } from '../../helpers/table.ts';

const logit = (p: number) => Math.log(p / (1 - p));
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/**
 * Rows whose true P(y = 1) is q (uniform in (0.02, 0.98)), labels drawn from it, and the model's
 * prediction σ(sharp · logit q): sharp > 1 is over-confident, 1 is calibrated.
 */
function sample(n: number, seed: number, sharp: number): { y: Float64Array; pred: Float64Array } {
  const rng = createRng(seed);
  const y = new Float64Array(n);
  const pred = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const q = 0.02 + 0.96 * rng.next();
    y[i] = rng.next() < q ? 1 : 0;
    pred[i] = sigmoid(sharp * logit(q));
  }
  return { y, pred };
}

const value = (p: { metrics: readonly { metric: string; value: number }[] }, m: string) =>
  p.metrics.find((x) => x.metric === m)!.value;

describe('CBPE with a calibration map', () => {
  it('over-confident probabilities: the raw estimate is off, the calibrated one is close to the actual', () => {
    const ref = sample(4000, 1, 4);
    const batch = sample(4000, 2, 4);
    const cal = fitCalibration('binary', ref.y, ref.pred, 2);
    expect(cal.method).toBe('isotonic');
    const actual = actualPerformance('binary', batch.y, batch.pred, 2, 'roc_auc');
    const raw = estimatedPerformance('binary', batch.pred, batch.y.length, 2);
    const calibrated = estimatedPerformance(
      'binary',
      batch.pred,
      batch.y.length,
      2,
      {},
      { calibration: cal },
    );
    for (const m of ['roc_auc', 'accuracy']) {
      expect(Math.abs(value(raw, m) - value(actual, m))).toBeGreaterThan(0.05);
      expect(Math.abs(value(calibrated, m) - value(actual, m))).toBeLessThan(0.02);
    }
    expect(raw.calibration).toBe('not stored');
    expect(raw.assumption).toMatch(/no calibration map/);
    expect(calibrated.calibration).toBe('isotonic');
    expect(calibrated.assumption).toMatch(/after calibration .*isotonic regression, 4000 rows/);
    // The batch's probabilities themselves are left as they were.
    expect(batch.pred[0]).toBe(sigmoid(4 * logit(0.02 + 0.96 * createRng(2).next())));
  });

  it('the same with two probability columns per row and with a Platt map from a small reference', () => {
    const ref = sample(60, 3, 4);
    const batch = sample(4000, 4, 4);
    const cal = fitCalibration('binary', ref.y, ref.pred, 2);
    expect(cal.method).toBe('platt');
    const two = new Float64Array(2 * batch.pred.length);
    batch.pred.forEach((p, i) => {
      two[2 * i] = 1 - p;
      two[2 * i + 1] = p;
    });
    const actual = actualPerformance('binary', batch.y, batch.pred, 2, 'roc_auc');
    const raw = estimatedPerformance('binary', two, batch.y.length, 2);
    const calibrated = estimatedPerformance('binary', two, batch.y.length, 2, {}, { calibration: cal });
    const err = (p: typeof raw) => Math.abs(value(p, 'roc_auc') - value(actual, 'roc_auc'));
    expect(err(calibrated)).toBeLessThan(err(raw) / 2);
    expect(calibrated.assumption).toMatch(/Platt scaling, 60 rows/);
  });

  it('calibrated probabilities: raw and calibrated estimates both close to the actual', () => {
    const ref = sample(4000, 5, 1);
    const batch = sample(4000, 6, 1);
    const cal = fitCalibration('binary', ref.y, ref.pred, 2);
    const actual = actualPerformance('binary', batch.y, batch.pred, 2, 'roc_auc');
    for (const opts of [{}, { calibration: cal }]) {
      const est = estimatedPerformance('binary', batch.pred, batch.y.length, 2, {}, opts);
      expect(Math.abs(value(est, 'roc_auc') - value(actual, 'roc_auc'))).toBeLessThan(0.02);
      expect(Math.abs(value(est, 'accuracy') - value(actual, 'accuracy'))).toBeLessThan(0.02);
    }
  });

  it('multiclass: over-confident softmax, accuracy estimate brought close by one-vs-rest maps', () => {
    const k = 3;
    const make = (n: number, seed: number) => {
      const rng = createRng(seed);
      const y = new Float64Array(n);
      const pred = new Float64Array(n * k);
      for (let i = 0; i < n; i++) {
        const logits = [rng.normal(), rng.normal(), rng.normal()];
        const q = softmax(logits);
        const u = rng.next();
        y[i] = u < q[0]! ? 0 : u < q[0]! + q[1]! ? 1 : 2;
        softmax(logits.map((z) => 4 * z)).forEach((p, c) => (pred[i * k + c] = p));
      }
      return { y, pred };
    };
    const ref = make(4000, 7);
    const batch = make(4000, 8);
    const cal = fitCalibration('multiclass', ref.y, ref.pred, k);
    const actual = value(actualPerformance('multiclass', batch.y, batch.pred, k, 'accuracy'), 'accuracy');
    const raw = value(estimatedPerformance('multiclass', batch.pred, 4000, k), 'accuracy');
    const calibrated = value(
      estimatedPerformance('multiclass', batch.pred, 4000, k, {}, { calibration: cal }),
      'accuracy',
    );
    expect(Math.abs(raw - actual)).toBeGreaterThan(0.05);
    expect(Math.abs(calibrated - actual)).toBeLessThan(0.03);
  });

  it('a single-class reference: no map, the estimate is on the raw probabilities and says why', () => {
    const batch = sample(500, 9, 1);
    const cal = fitCalibration('binary', new Float64Array(200), batch.pred.subarray(0, 200), 2);
    const est = estimatedPerformance('binary', batch.pred, 500, 2, {}, { calibration: cal });
    expect(est.calibration).toBe('none');
    expect(est.assumption).toMatch(/raw predicted probabilities.*single class/);
    expect(value(est, 'roc_auc')).toBe(value(estimatedPerformance('binary', batch.pred, 500, 2), 'roc_auc'));
  });
});

function softmax(z: number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

describe('reference.json and the calibration map', () => {
  const t = table(num('x', [1, 2, 3, 4, 5, 6]), num('y', [0, 0, 1, 0, 1, 1]));

  it('an older reference.json without a map still loads; estimates from it say they are uncalibrated', () => {
    const old = referenceJson(buildReference(t, { target: 'y' }));
    expect(old).not.toContain('calibration');
    const profile = parseReference(old);
    expect(profile.calibration).toBeUndefined();
    const est = estimatedPerformance(
      'binary',
      Float64Array.from([0.9, 0.2]),
      2,
      2,
      {},
      {
        ...(profile.calibration ? { calibration: profile.calibration } : {}),
      },
    );
    expect(est.calibration).toBe('not stored');
  });

  it('a map round-trips through reference.json; a malformed one is refused naming it', () => {
    const { y, pred } = sample(300, 10, 3);
    const calibration = fitCalibration('binary', y, pred, 2);
    const text = referenceJson(buildReference(t, { target: 'y', calibration }));
    expect(parseReference(text).calibration).toEqual(calibration);
    const bad = JSON.parse(text);
    bad.calibration.maps[0].y.pop();
    expect(() => parseReference(JSON.stringify(bad))).toThrow(
      /^calibration map 0: an isotonic map needs x and y/,
    );
    bad.calibration.method = 'beta';
    expect(() => parseReference(JSON.stringify(bad))).toThrow(/method/);
  });
});

describe('a bundle end to end (german_credit, GBDT)', () => {
  const env = {
    app: { name: 'automl-studio', version: 'test', commit: 'abc123' },
    runtime: 'vitest',
    libraries: {},
    backend: { name: 'cpu', reason: 'trees' },
    createdAt: '2026-01-01T00:00:00.000Z',
  };
  let files: Record<string, string>;
  let noTarget: Uint8Array;
  beforeAll(async () => {
    const text = readFileSync(datasetFile('german_credit'));
    const train: Table = (await ingestCsv(bytesSource('train.csv', new Uint8Array(text)))).table;
    const trained = await trainModel({
      table: train,
      target: 'class',
      task: 'binary',
      family: 'gbdt',
      seed: 7,
      params: { rounds: 60 },
    });
    const dataset = {
      name: 'train.csv',
      fingerprint: {
        sha256: 'a'.repeat(64),
        bytes: 1,
        rows: train.nRows,
        columns: train.columns.length,
        schemaHash: 'b'.repeat(64),
      },
      schema: train.columns.map((c, index) => ({
        name: c.name,
        originalName: c.name,
        index,
        type: c.type,
        inferredType: c.type,
        overridden: false,
      })) as never,
    };
    files = createBundleFiles(trained, dataset, env, { table: train, scorer: '//\n' });
    const lines = readFileSync(datasetFile('german_credit', 'test.csv'), 'utf8').trim().split('\n');
    const j = lines[0]!.split(',').indexOf('class');
    // german_credit has no quoted commas: drop the last field (the target) line by line.
    expect(j).toBe(lines[0]!.split(',').length - 1);
    noTarget = new TextEncoder().encode(lines.map((l) => l.slice(0, l.lastIndexOf(','))).join('\n') + '\n');
  }, 120_000);

  it('stores a map and the estimate without labels uses it; without the map it still works, uncalibrated', async () => {
    const bundle = loadBundle(files);
    const cal = bundle.reference!.calibration!;
    expect(['isotonic', 'platt']).toContain(cal.method);
    const est = await monitorBatch(bundle, bytesSource('test.csv', noTarget));
    expect(est.performance?.kind).toBe('estimated');
    if (est.performance?.kind !== 'estimated') return;
    expect(est.performance.calibration).toBe(cal.method);

    const profile = JSON.parse(files[REFERENCE_FILE]!);
    delete profile.calibration;
    const old = rehashed({ ...files, [REFERENCE_FILE]: JSON.stringify(profile) });
    delete old['manifest.sig'];
    const oldBundle = loadBundle(old);
    expect(oldBundle.reference!.calibration).toBeUndefined();
    const raw = await monitorBatch(oldBundle, bytesSource('test.csv', noTarget));
    if (raw.performance?.kind !== 'estimated') throw new Error('expected an estimate');
    expect(raw.performance.calibration).toBe('not stored');
    expect(raw.performance.assumption).toMatch(/no calibration map/);
    const auc = (p: EstimatedPerformance) => p.metrics.find((m) => m.metric === 'roc_auc')!.value;
    // With the labels: the calibrated estimate is the closer one.
    const actual = await monitorBatch(
      bundle,
      bytesSource('test.csv', new Uint8Array(readFileSync(datasetFile('german_credit', 'test.csv')))),
    );
    if (actual.performance?.kind !== 'actual') throw new Error('expected actual metrics');
    const truth = actual.performance.metrics.find((m) => m.metric === 'roc_auc')!.value;
    expect(Math.abs(auc(est.performance) - truth)).toBeLessThan(Math.abs(auc(raw.performance) - truth));
  });
});

describe('CBPE accuracy scores the label the model gives (NannyML: P(right) from y_pred)', () => {
  // A map that pulls everything toward 0.3: a raw 0.6 (predicted positive) is right with 0.3.
  const pull: Calibration = {
    method: 'platt',
    rows: 100,
    maps: [{ kind: 'isotonic', x: [0, 1], y: [0.3, 0.3] }],
    reason: 'test',
  };
  it('binary: a row predicted positive (raw ≥ 0.5) is right with its calibrated P(positive), not the larger side', () => {
    const raw = Float64Array.of(0.6, 0.9, 0.2, 0.4);
    const est = estimatedPerformance('binary', raw, 4, 2, {}, { calibration: pull });
    const acc = est.metrics.find((m) => m.metric === 'accuracy')!.value;
    // rows 0 and 1 are predicted positive (right with 0.3), rows 2 and 3 negative (right with 0.7)
    expect(acc).toBeCloseTo((0.3 + 0.3 + 0.7 + 0.7) / 4, 12);
    // the same with two columns per row
    const two = Float64Array.from([0.6, 0.9, 0.2, 0.4].flatMap((p) => [1 - p, p]));
    const est2 = estimatedPerformance('binary', two, 4, 2, {}, { calibration: pull });
    expect(est2.metrics.find((m) => m.metric === 'accuracy')!.value).toBeCloseTo(acc, 12);
  });

  it('the estimate equals the expected accuracy of the labels actualPerformance scores (simulated)', () => {
    // Truth drawn from the calibrated probability; the expected actual accuracy, averaged over many
    // draws, is what CBPE estimates.
    const rng = createRng(11);
    const n = 400;
    const raw = Float64Array.from({ length: n }, () => rng.next());
    const map: Calibration = {
      method: 'isotonic',
      rows: 100,
      maps: [{ kind: 'isotonic', x: [0, 0.7, 1], y: [0.1, 0.2, 0.9] }],
      reason: 'test',
    };
    const est = estimatedPerformance('binary', raw, n, 2, {}, { calibration: map });
    const cal = applyCalibration(map, 'binary', raw, n, 2);
    let sum = 0;
    const draws = 300;
    for (let k = 0; k < draws; k++) {
      const y = Float64Array.from(cal, (p) => (rng.next() < p ? 1 : 0));
      sum += actualPerformance('binary', y, raw, 2, 'accuracy').metrics.find(
        (m) => m.metric === 'accuracy',
      )!.value;
    }
    expect(est.metrics.find((m) => m.metric === 'accuracy')!.value).toBeCloseTo(sum / draws, 2);
  });

  it('multiclass: the probability of the raw argmax class after calibration', () => {
    const raw = Float64Array.of(0.5, 0.3, 0.2);
    const flip: Calibration = {
      method: 'isotonic',
      rows: 100,
      maps: [
        { kind: 'isotonic', x: [0, 1], y: [0.2, 0.2] },
        { kind: 'isotonic', x: [0, 1], y: [0.6, 0.6] },
        { kind: 'isotonic', x: [0, 1], y: [0.2, 0.2] },
      ],
      reason: 'test',
    };
    const est = estimatedPerformance('multiclass', raw, 1, 3, {}, { calibration: flip });
    // the model says class 0; after calibration (renormalised) class 0 has 0.2
    expect(est.metrics[0]!.value).toBeCloseTo(0.2, 12);
  });
});

describe('monitoring scores the labels the model gives (its decision), not P ≥ 0.5', () => {
  // independent of the code under test: the labels predict gives (decideLabels), counted by hand
  const accuracyOf = (y: Float64Array, labels: Int32Array) =>
    labels.reduce((s, l, i) => s + (l === y[i] ? 1 : 0), 0) / y.length;

  for (const [positiveClass, threshold] of [
    ['yes', 0.3],
    ['no', 0.7],
    ['yes', 0.5],
  ] as const)
    it(`positive class ${positiveClass}, threshold ${threshold}: accuracy and F1 of predict's labels`, () => {
      const classes = ['no', 'yes'];
      const { y, pred } = sample(3000, 11, 1); // calibrated
      const labels = decideLabels(pred, y.length, classes, { positiveClass, threshold });
      const predicted = {
        labels,
        positiveIndex: decisionSpec(classes, { positiveClass, threshold }).positiveIndex,
        classes,
      };
      const actual = actualPerformance('binary', y, pred, 2, 'roc_auc', {}, predicted);
      expect(value(actual, 'accuracy')).toBe(accuracyOf(y, labels));
      // F1 of the positive class over those labels
      const k = classes.indexOf(positiveClass);
      let tp = 0;
      let fp = 0;
      let fn = 0;
      labels.forEach((l, i) => {
        if (l === k && y[i] === k) tp++;
        else if (l === k) fp++;
        else if (y[i] === k) fn++;
      });
      expect(value(actual, 'f1')).toBeCloseTo((2 * tp) / (2 * tp + fp + fn), 12);
      if (threshold !== 0.5)
        expect(value(actual, 'accuracy')).not.toBe(
          value(actualPerformance('binary', y, pred, 2, 'roc_auc'), 'accuracy'),
        );
      // CBPE on calibrated probabilities: each row right with the probability of predict's label
      const est = estimatedPerformance('binary', pred, y.length, 2, {}, { predicted });
      const expected = labels.reduce((s, l, i) => s + (l === 1 ? pred[i]! : 1 - pred[i]!), 0) / y.length;
      expect(value(est, 'accuracy')).toBeCloseTo(expected, 12);
      // and it estimates the actual accuracy of those labels
      expect(Math.abs(value(est, 'accuracy') - value(actual, 'accuracy'))).toBeLessThan(0.03);
    });
});
