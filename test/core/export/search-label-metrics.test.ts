/**
 * A binary search bundle's validation label metrics (accuracy, F1, balanced accuracy, PR AUC) are
 * those of the labels the bundle gives — at its decision, not at 0.5 for classes[1] — and it says so
 * (`metrics.labelsAt: 'decision'`). A bundle made before that (no `labelsAt`) still reproduces: the
 * replay computes its label metrics as they were computed then. Monitoring compares a batch's label
 * metrics with the validation ones only when they were computed the same way.
 */
import { describe, expect, it } from 'vitest';
import { ingestCsv } from '../../../src/core/ingest/ingest.ts';
import { fileSource, nodeHasher } from '../../../src/cli/node-io.ts';
import { nodeEnvironment } from '../../../src/cli/bundle-io.ts';
import { createSearchBundleFiles, loadBundle } from '../../../src/core/export/bundle.ts';
import { reproduceBundle } from '../../../src/core/export/reproduce.ts';
import { runSearch } from '../../../src/core/search/runner.ts';
import { monitorBatch } from '../../../src/core/monitor/monitor-batch.ts';
import { datasetFile } from '../../helpers/paths.ts';

/** Accuracy, F1 and balanced accuracy of hard labels, written out here as the reference. */
function labelMetrics(y: Float64Array, p1: Float64Array, positive: number, threshold: number) {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < y.length; i++) {
    const pPos = positive === 1 ? p1[i] : 1 - p1[i];
    const predPos = pPos >= threshold;
    const isPos = y[i] === positive;
    if (predPos && isPos) tp++;
    else if (predPos) fp++;
    else if (isPos) fn++;
    else tn++;
  }
  return {
    accuracy: (tp + tn) / y.length,
    f1: (2 * tp) / (2 * tp + fp + fn),
    balanced_accuracy: (tp / (tp + fn) + tn / (tn + fp)) / 2,
  };
}

describe('search bundle label metrics at the decision', () => {
  it('are those of the bundle’s labels, recorded as such; a bundle without labelsAt replays as it was made', async () => {
    const path = datasetFile('telco_churn');
    const data = await ingestCsv(fileSource(path), { createHasher: nodeHasher });
    const result = await runSearch({
      table: data.table,
      target: 'churn',
      task: 'binary',
      families: ['gbdt'],
      seed: 11,
      maxTrials: 2,
      folds: 3,
    });
    const classes = result.classes!;
    expect(classes).toEqual(['No', 'Yes']);
    const dataset = { name: 'train.csv', fingerprint: data.fingerprint, schema: data.schema, warnings: [] };
    const threshold = 0.3;
    const decision = { positiveClass: 'Yes', threshold, chosenFor: 'manual' as const };
    const files = createSearchBundleFiles(result, dataset, nodeEnvironment({ name: 'cpu' }), {
      table: data.table,
      decision,
    });
    const m = JSON.parse(files['manifest.json']);
    expect(m.decision.threshold).toBe(threshold);
    expect(m.metrics.labelsAt).toBe('decision');
    const { y, pred } = result.validation;
    const p1 = new Float64Array(y.length);
    for (let i = 0; i < y.length; i++) p1[i] = pred[2 * i + 1];
    const atDecision = labelMetrics(y, p1, 1, threshold);
    const atHalf = labelMetrics(y, p1, 1, 0.5);
    for (const k of ['accuracy', 'f1', 'balanced_accuracy'] as const) {
      expect(m.metrics.validation[k], k).toBeCloseTo(atDecision[k], 12);
      // the threshold matters on this data, so the check above could fail on 0.5's metrics
      expect(Math.abs(atDecision[k] - atHalf[k]), k).toBeGreaterThan(1e-3);
    }

    // The same bundle made the old way: label metrics at 0.5, no labelsAt.
    const legacy = createSearchBundleFiles(result, dataset, nodeEnvironment({ name: 'cpu' }), {
      table: data.table,
      decision,
      legacyLabelMetrics: true,
    });
    const lm = JSON.parse(legacy['manifest.json']);
    expect(lm.metrics.labelsAt).toBeUndefined();
    for (const k of ['accuracy', 'f1', 'balanced_accuracy'] as const)
      expect(lm.metrics.validation[k], k).toBeCloseTo(atHalf[k], 12);

    for (const made of [files, legacy]) {
      const report = await reproduceBundle(loadBundle(made), {
        source: fileSource(path),
        createHasher: nodeHasher,
        environment: nodeEnvironment,
      });
      expect(report.metrics, report.lines.join('\n')).toEqual([]);
      expect(report.verdict).toBe('reproduced');
    }

    // Monitoring the test split: label metrics have a validation value to compare with only when
    // the bundle's were computed at its decision.
    const validationOf = async (made: Record<string, string>, k: string) => {
      const r = await monitorBatch(loadBundle(made), fileSource(datasetFile('telco_churn', 'test.csv')));
      const perf = r.performance!;
      expect(perf.kind).toBe('actual');
      return perf.metrics.find((x) => x.metric === k)?.validation;
    };
    expect(await validationOf(files, 'accuracy')).toBeCloseTo(atDecision.accuracy, 12);
    expect(await validationOf(legacy, 'accuracy')).toBeUndefined();
  }, 300_000);
});
