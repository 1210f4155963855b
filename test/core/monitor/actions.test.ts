/**
 * Suggested actions (src/core/monitor/actions.ts): one entry per kind of problem a batch's summary
 * shows, most urgent first, with the playbook's steps; nothing for a clean batch.
 */
import { describe, expect, it } from 'vitest';
import { ACTION_PLAYBOOK, suggestedActions } from '../../../src/core/monitor/actions.ts';
import type { MonitoringColumnSummary, MonitoringSummary } from '../../../src/core/tracking/types.ts';

const col = (column: string, o: Partial<MonitoringColumnSummary> = {}): MonitoringColumnSummary => ({
  column,
  method: 'ks',
  statistic: 0.1,
  pvalue: 0.5,
  score: 0.5,
  threshold: 0.05,
  drifted: false,
  psi: 0.01,
  findings: [],
  ...o,
});

const clean: MonitoringSummary = {
  verdict: 'no drift',
  basis: 'stored profile',
  compared: 3,
  drifted: 0,
  driftedShare: 0,
  driftShare: 0.5,
  columns: [col('a'), col('b'), col('c')],
  missingColumns: [],
  newColumns: [],
  predictionDrift: col('(predictions)'),
  targetDrift: null,
  performance: {
    kind: 'actual',
    rows: 100,
    metrics: [{ metric: 'accuracy', value: 0.9, validation: 0.91, standardError: null, outsideBand: false }],
    conceptDrift: false,
  },
  alerts: [],
};

describe('suggestedActions', () => {
  it('a clean batch: nothing to do', () => {
    expect(suggestedActions(clean)).toEqual([]);
  });

  it('one drifted column: a data-drift warning naming it (no dataset verdict)', () => {
    const s = {
      ...clean,
      drifted: 1,
      driftedShare: 1 / 3,
      columns: [col('a', { drifted: true }), col('b'), col('c')],
    };
    const [a, ...rest] = suggestedActions(s);
    expect(rest).toEqual([]);
    expect(a).toMatchObject({
      kind: 'data_drift',
      severity: 'warning',
      subjects: ['a'],
      steps: ACTION_PLAYBOOK.data_drift.steps,
      retrain: true,
    });
    expect(a!.why).toBe('1 of 3 input columns drifted');
  });

  it('a performance drop with label, prediction and dataset drift and a quality finding: all, most urgent first', () => {
    const s: MonitoringSummary = {
      ...clean,
      verdict: 'drift',
      drifted: 2,
      driftedShare: 2 / 3,
      columns: [
        col('a', { drifted: true }),
        col('b', { drifted: true, findings: ['12% of values above the training maximum'] }),
        col('c'),
      ],
      missingColumns: ['d'],
      predictionDrift: col('(predictions)', { drifted: true }),
      targetDrift: col('y', { drifted: true, method: 'chi2' }),
      performance: {
        kind: 'actual',
        rows: 80,
        metrics: [
          { metric: 'accuracy', value: 0.61, validation: 0.91, standardError: null, outsideBand: true },
          { metric: 'log_loss', value: 0.5, validation: 0.4, standardError: null, outsideBand: false },
        ],
        conceptDrift: true,
      },
    };
    const actions = suggestedActions(s, 'churn');
    expect(actions.map((a) => a.kind)).toEqual([
      'concept_drift',
      'label_drift',
      'prediction_drift',
      'data_drift',
      'data_quality',
    ]);
    const [concept, label, , data, quality] = actions;
    expect(concept).toMatchObject({ severity: 'alert', subjects: ['accuracy'], retrain: true });
    expect(concept!.why).toBe(
      'accuracy is 0.61 on 80 labelled rows, outside its validation band (validation 0.91)',
    );
    expect(concept!.steps.join(' ')).toMatch(/challenger.*champion/);
    expect(label).toMatchObject({ subjects: ['churn'], retrain: true });
    expect(data).toMatchObject({ severity: 'alert', subjects: ['a', 'b'] });
    expect(data!.why).toMatch(/dataset drift \(alert from 50%\)/);
    expect(quality).toMatchObject({ severity: 'alert', subjects: ['d', 'b'], retrain: false });
    expect(quality!.why).toBe('missing columns: d · b: 12% of values above the training maximum');
  });

  it('an estimated drop (CBPE) asks for labels first', () => {
    const s: MonitoringSummary = {
      ...clean,
      performance: {
        kind: 'estimated',
        rows: 100,
        metrics: [
          { metric: 'roc_auc', value: 0.7, validation: 0.9, standardError: 0.02, outsideBand: true },
          { metric: 'accuracy', value: 0.88, validation: 0.9, standardError: 0.02, outsideBand: false },
        ],
        conceptDrift: false,
      },
    };
    const [a] = suggestedActions(s);
    expect(a).toMatchObject({ kind: 'estimated_performance_drop', subjects: ['roc_auc'], retrain: false });
    expect(a!.steps[0]).toMatch(/labels/);
  });
});
