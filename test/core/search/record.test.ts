import { describe, expect, it } from 'vitest';
import type { Table } from '../../../src/core/data/table.ts';
import { createRng } from '../../../src/core/util/random.ts';
import { runSearch } from '../../../src/core/search/runner.ts';
import { recordSearch } from '../../../src/core/search/record.ts';
import { Tracker } from '../../../src/core/tracking/tracker.ts';
import type { TrackingStore } from '../../../src/core/tracking/store.ts';
import type { WriteOp } from '../../../src/core/tracking/types.ts';
import { createMemoryStore } from '../../../src/store/memory.ts';

function synth(n: number): Table {
  const rng = createRng(3);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = rng.normal();
    y[i] = 2 * x[i] + 0.3 * rng.normal();
  }
  return {
    nRows: n,
    columns: [
      { name: 'x', type: 'numeric', storage: 'float64', values: x },
      { name: 'y', type: 'numeric', storage: 'float64', values: y },
    ],
  };
}

describe('recordSearch', () => {
  it('writes the search as a parent run and each trial as a child run, live, one batch per event', async () => {
    const memory = createMemoryStore();
    const batches: (readonly WriteOp[])[] = [];
    const store: TrackingStore = Object.assign(Object.create(memory), {
      write: (ops: readonly WriteOp[]) => {
        batches.push(ops);
        return memory.write(ops);
      },
    });
    const tracker = new Tracker(store);
    const exp = await tracker.createExperiment({ name: 'e' });
    const parent = await tracker.startRun({ experimentId: exp.id, name: 'search' });
    const rec = recordSearch({ parent, params: { budget: null, maxTrials: 6 } });
    const seenRunning: string[] = [];
    const result = await runSearch({
      table: synth(200),
      target: 'y',
      task: 'regression',
      families: ['gbdt'],
      seed: 4,
      maxTrials: 6,
      folds: 3,
      ...rec.hooks,
      onTrialStart: (t, study) => {
        rec.hooks.onTrialStart(t, study);
        void rec.flush().then(async () => {
          const id = await rec.childRunId(t.number);
          const run = id ? await store.getRun(id) : undefined;
          if (run?.state === 'RUNNING' && run.tags.state === 'RUNNING') seenRunning.push(run.name);
        });
      },
    });
    await rec.finish(result, { end: true });

    const p = await store.getRun(parent.id);
    expect(p).toMatchObject({ state: 'COMPLETE' });
    expect(p!.params).toMatchObject({
      metric: 'rmse',
      sampler: 'portfolio',
      folds: 3,
      maxTrials: 6,
      workers: 1,
    });
    expect(p!.tags).toMatchObject({
      sampler: 'portfolio',
      'split.strategy': 'kfold',
      final_model: result.kind,
    });
    expect(p!.tags.split).toBe('3-fold, seed 4, 200 rows');
    expect(p!.latestMetrics.trials.value).toBe(6);

    const children = (await store.searchRuns({ experimentId: exp.id, parentRunId: parent.id })).runs;
    expect(children).toHaveLength(6);
    expect(seenRunning.length).toBeGreaterThan(0);
    for (const t of result.trials) {
      const c = children.find((r) => r.name === `trial ${t.number} gbdt`)!;
      expect(c.state).toBe(t.state);
      expect(c.params).toMatchObject({ family: 'gbdt', seed: t.seed, ...t.params });
      expect(c.tags.state).toBe(t.state);
      if (t.state === 'COMPLETE') {
        expect(c.latestMetrics.rmse.value).toBe(t.value);
        expect(c.latestMetrics.rmse_std.value).toBeGreaterThanOrEqual(0);
        expect(c.latestMetrics.fit_seconds.value).toBeGreaterThan(0);
      }
      if (t.state === 'PRUNED') expect(c.tags.end_reason).toBe(t.reason);
      const history = await store.getMetricHistory(c.id, 'valid_loss');
      expect(history.map((h) => [h.step, h.value])).toEqual(t.rungs.map((r) => [r.budget, r.value]));
    }
    // one batch per event: experiment, parent start, search params; per trial a start, one per rung,
    // an end; the parent's end
    const rungs = result.trials.reduce((a, t) => a + t.rungs.length, 0);
    expect(rungs).toBeGreaterThan(0);
    expect(batches.length).toBe(3 + 6 * 2 + rungs + 1);
  }, 60_000);
});
