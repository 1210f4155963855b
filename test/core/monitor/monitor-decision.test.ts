/**
 * Monitoring scores the labels `predict` gives: with a bundle whose decision threshold is not 0.5,
 * the actual label metrics (accuracy, F1, balanced accuracy, confusion counts) and CBPE's estimated
 * accuracy follow that threshold and positive class, not 0.5.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainModel } from '../../../src/core/train/train.ts';
import {
  createBundleFiles,
  loadBundle,
  predictTable,
  type LoadedBundle,
} from '../../../src/core/export/bundle.ts';
import { ingestCsv } from '../../../src/core/ingest/ingest.ts';
import { bytesSource } from '../../../src/core/ingest/index.ts';
import { monitorBatch, targetValues } from '../../../src/core/monitor/monitor-batch.ts';
import { applyCalibration } from '../../../src/core/monitor/calibration.ts';
import { columnByName, type Table } from '../../../src/core/data/table.ts';
import { datasetFile } from '../../helpers/paths.ts';
import { TEST_ENV, datasetOf } from '../../helpers/bundle.ts';

const env = TEST_ENV;

const THRESHOLD = 0.25;
let bundle: LoadedBundle;
let testTable: Table;
let testBytes: Uint8Array;

beforeAll(async () => {
  const read = (p: string) => new Uint8Array(readFileSync(p));
  const train = (await ingestCsv(bytesSource('train.csv', read(datasetFile('telco_churn'))))).table;
  const trained = await trainModel({
    table: train,
    target: 'churn',
    task: 'binary',
    family: 'gbdt',
    seed: 3,
    params: { rounds: 30 },
  });
  const files = createBundleFiles(trained, datasetOf(train, 'train.csv'), env, {
    table: train,
    decision: { positiveClass: 'Yes', threshold: THRESHOLD, chosenFor: 'manual' },
  });
  bundle = loadBundle(files);
  testBytes = read(datasetFile('telco_churn', 'test.csv'));
  testTable = (await ingestCsv(bytesSource('test.csv', testBytes))).table;
}, 180_000);

function metric(perf: { metrics: readonly { metric: string; value: number }[] }, name: string): number {
  return perf.metrics.find((m) => m.metric === name)!.value;
}

describe('monitoring with a decision threshold other than 0.5', () => {
  it('confusion counts and label metrics are those of the labels predict gives', async () => {
    expect(bundle.manifest.decision?.threshold).toBe(THRESHOLD);
    const result = await monitorBatch(bundle, bytesSource('test.csv', testBytes));
    const perf = result.performance!;
    expect(perf.kind).toBe('actual');
    if (perf.kind !== 'actual') return;
    const { labels } = predictTable(bundle, testTable);
    const { y } = targetValues(bundle, columnByName(testTable, 'churn')!);
    const classes = bundle.manifest.classes!;
    const pos = classes.indexOf('Yes');
    const want = [
      [0, 0],
      [0, 0],
    ];
    let right = 0;
    let rows = 0;
    let rightAtHalf = 0;
    const p = predictTable(bundle, testTable).values;
    for (let i = 0; i < y.length; i++) {
      if (Number.isNaN(y[i]!)) continue;
      want[y[i]!]![labels![i]!]!++;
      rows++;
      if (labels![i] === y[i]) right++;
      const pYes = pos === 1 ? p[2 * i + 1]! : p[2 * i]!;
      if ((pYes >= 0.5 ? pos : 1 - pos) === y[i]) rightAtHalf++;
    }
    expect(perf.confusion).toEqual({ classes, counts: want });
    expect(metric(perf, 'accuracy')).toBeCloseTo(right / rows, 12);
    // The threshold matters on this data: 0.5 would give another accuracy.
    expect(right).not.toBe(rightAtHalf);
    // F1 of the positive class from the same counts.
    const tp = want[pos]![pos]!;
    const fp = want[1 - pos]![pos]!;
    const fn = want[pos]![1 - pos]!;
    expect(metric(perf, 'f1')).toBeCloseTo((2 * tp) / (2 * tp + fp + fn), 12);
    const tn = want[1 - pos]![1 - pos]!;
    expect(metric(perf, 'balanced_accuracy')).toBeCloseTo((tp / (tp + fn) + tn / (tn + fp)) / 2, 12);
  }, 60_000);

  it("CBPE's estimated accuracy is the expected accuracy of predict's labels", async () => {
    const text = new TextDecoder().decode(testBytes).trim().split('\n');
    const j = text[0]!.split(',').indexOf('churn');
    const stripped =
      text
        .map((l) =>
          l
            .split(',')
            .filter((_, k) => k !== j)
            .join(','),
        )
        .join('\n') + '\n';
    const result = await monitorBatch(bundle, bytesSource('nolabel.csv', new TextEncoder().encode(stripped)));
    const perf = result.performance!;
    expect(perf.kind).toBe('estimated');
    const { labels, values, nRows } = predictTable(bundle, testTable);
    const cal = bundle.reference!.calibration!;
    const calibrated = applyCalibration(cal, 'binary', values, nRows, 2);
    const width = calibrated.length === nRows ? 1 : 2;
    let sum = 0;
    let sumHalf = 0;
    for (let i = 0; i < nRows; i++) {
      const p1 = calibrated[i * width + width - 1]!;
      sum += labels![i] === 1 ? p1 : 1 - p1;
      sumHalf += values[2 * i + 1]! >= 0.5 ? p1 : 1 - p1;
    }
    expect(metric(perf, 'accuracy')).toBeCloseTo(sum / nRows, 12);
    expect(Math.abs(sum - sumHalf)).toBeGreaterThan(1);
  }, 60_000);
});
