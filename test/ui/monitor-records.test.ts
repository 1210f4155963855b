/**
 * The Monitor screen's store side (src/ui/state/monitor-records.ts) over the memory store: which
 * versions can be monitored and which is preselected, the record written for a batch, the timeline
 * (every version of the model, oldest batch first), and what deleting a version takes along.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/store/memory.ts';
import type { MonitorOutcome } from '../../workers/bundle-types.ts';
import {
  dateInputValue,
  defaultChoice,
  monitorChoices,
  overlayOption,
  performanceText,
  recordOf,
  timeline,
} from '../../src/ui/state/monitor-records.ts';

const T0 = 1_750_000_000_000;

async function seeded() {
  const store = createMemoryStore();
  await store.write([
    { op: 'createExperiment', id: 'e', name: 'E', createdAt: T0 },
    { op: 'startRun', id: 'r1', experimentId: 'e', startTime: T0 },
    {
      op: 'putArtifact',
      id: 'a1',
      runId: 'r1',
      name: 'm.zip',
      kind: 'model',
      bytes: Uint8Array.of(1),
      createdAt: T0,
    },
    { op: 'endRun', runId: 'r1', state: 'COMPLETE', endTime: T0 + 1 },
    { op: 'startRun', id: 'r2', experimentId: 'e', startTime: T0 + 2 },
    {
      op: 'putArtifact',
      id: 'a2',
      runId: 'r2',
      name: 'm.zip',
      kind: 'model',
      bytes: Uint8Array.of(2),
      createdAt: T0,
    },
    { op: 'endRun', runId: 'r2', state: 'COMPLETE', endTime: T0 + 3 },
    { op: 'createRegisteredModel', name: 'churn', createdAt: T0 + 4 },
    { op: 'createModelVersion', name: 'churn', sourceRunId: 'r1', artifactId: 'a1', createdAt: T0 + 5 },
    { op: 'createModelVersion', name: 'churn', sourceRunId: 'r2', artifactId: 'a2', createdAt: T0 + 6 },
    // A version without a stored model cannot be monitored.
    { op: 'createModelVersion', name: 'churn', sourceRunId: 'r2', createdAt: T0 + 7 },
  ]);
  return store;
}

/** A report outcome as the bundle worker returns it (only what the record reads). */
function outcome(name: string, drift: boolean): MonitorOutcome {
  return {
    bundleSha256: 'c'.repeat(64),
    result: { batch: { name, rows: 50, sha256: 'd'.repeat(64) } } as MonitorOutcome['result'],
    summary: {
      verdict: drift ? 'drift' : 'no drift',
      basis: 'stored profile',
      compared: 4,
      drifted: drift ? 3 : 0,
      driftedShare: drift ? 0.75 : 0,
      driftShare: 0.5,
      columns: [],
      missingColumns: [],
      newColumns: [],
      predictionDrift: null,
      targetDrift: null,
      performance: {
        kind: drift ? 'estimated' : 'actual',
        rows: 50,
        metrics: [
          { metric: 'accuracy', value: 0.87654, validation: 0.9, standardError: null, outsideBand: false },
        ],
        conceptDrift: false,
      },
      alerts: drift ? ['dataset drift: 3 of 4 columns drifted (75%, alert from 50%)'] : [],
    },
  };
}

describe('monitor records (UI state)', () => {
  it('lists versions with a stored model, newest first; preselects the champion', async () => {
    const store = await seeded();
    let choices = await monitorChoices(store);
    expect(choices.map((c) => c.id)).toEqual(['churn@2', 'churn@1']);
    expect(defaultChoice(choices)?.id).toBe('churn@2');
    await store.write([{ op: 'setAlias', name: 'churn', alias: 'champion', version: 1, updatedAt: T0 + 8 }]);
    choices = await monitorChoices(store);
    expect(defaultChoice(choices)?.id).toBe('churn@1');
    expect(choices.find((c) => c.id === 'churn@1')?.label).toBe('churn v1 (@champion)');
    expect(defaultChoice([])).toBeUndefined();
  });

  it('records batches of any version in one timeline, oldest batch first; a deleted version takes its records', async () => {
    const store = await seeded();
    const [v2, v1] = (await monitorChoices(store)).map((c) => c.version);
    const april = recordOf(outcome('april.csv', false), v1!, {
      id: 'm1',
      batchTime: Date.parse('2026-04-01'),
      createdAt: T0 + 10,
    });
    const may = recordOf(outcome('may.csv', true), v2!, {
      id: 'm2',
      batchTime: Date.parse('2026-05-01'),
      createdAt: T0 + 9,
    });
    expect(april).toMatchObject({
      modelName: 'churn',
      modelVersion: 1,
      runId: 'r1',
      batchName: 'april.csv',
      batchRows: 50,
    });
    await store.write([
      { op: 'putMonitoringRecord', record: may },
      { op: 'putMonitoringRecord', record: april },
    ]);
    const t = await timeline(store, 'churn');
    expect(t.map((r) => r.batchName)).toEqual(['april.csv', 'may.csv']);
    expect(performanceText(t[0]!)).toBe('accuracy 0.8765');
    expect(performanceText(t[1]!)).toBe('accuracy ≈ 0.8765 (estimated)');
    expect(t[1]!.summary.alerts).toHaveLength(1);
    await store.write([{ op: 'deleteModelVersion', name: 'churn', version: 1 }]);
    expect((await timeline(store, 'churn')).map((r) => r.batchName)).toEqual(['may.csv']);
  });

  it('date input values and the overlay chart', () => {
    expect(dateInputValue(Date.parse('2026-04-30T23:00:00Z'))).toBe('2026-04-30');
    const option = overlayOption([
      { label: '[0, 1)', reference: 0.5, batch: 0.2 },
      { label: '[1, 2]', reference: 0.5, batch: 0.8 },
    ]) as { series: { name: string; data: number[] }[] };
    expect(option.series.map((s) => [s.name, s.data])).toEqual([
      ['training (reference)', [0.5, 0.5]],
      ['batch', [0.2, 0.8]],
    ]);
  });
});
