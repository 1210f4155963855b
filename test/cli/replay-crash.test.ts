/**
 * A trial whose worker crashed is not a property of the trial: the clock record keeps it (with the
 * rung values it had reported, which later trials' halving compares against), and a replay in
 * process counts it as failed without running it — same trials, same rungs, same model bits.
 */
import { describe, expect, it } from 'vitest';
import type { Table } from '../../src/core/data/table.ts';
import { createRng } from '../../src/core/util/random.ts';
import { runSearch, type SearchOptions, type SearchResult } from '../../src/core/search/runner.ts';
import { createNodeTrialPool } from '../../src/cli/worker-pool.ts';

function synth(n: number, seed: number): Table {
  const rng = createRng(seed);
  const x1 = new Float64Array(n);
  const x2 = new Float64Array(n);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    x1[i] = rng.normal();
    x2[i] = rng.normal();
    y[i] = 1.5 * x1[i] - x2[i] ** 2 + 0.5 * rng.normal() > 0 ? 1 : 0;
  }
  return {
    nRows: n,
    columns: [
      { name: 'x1', type: 'numeric', storage: 'float64', values: x1 },
      { name: 'x2', type: 'numeric', storage: 'float64', values: x2 },
      { name: 'y', type: 'categorical', storage: 'dict', codes: y, dictionary: ['no', 'yes'] },
    ],
  };
}

const summary = (r: SearchResult) =>
  r.trials.map((t) => ({ n: t.number, state: t.state, value: t.value, rungs: t.rungs, error: t.error }));

describe('replay of a search with a crashed trial worker', () => {
  it('the crashed trial is replayed as failed (with its reported rungs), the rest bit-identically', async () => {
    const base: SearchOptions = {
      table: synth(300, 2),
      target: 'y',
      task: 'binary',
      families: ['gbdt'],
      seed: 4,
      maxTrials: 6,
      folds: 3,
      halving: { reductionFactor: 3, minPeers: 1 },
    };
    const pool = createNodeTrialPool({ size: 1 });
    const r = await runSearch({
      ...base,
      executor: pool,
      onTrialReport: (t) => {
        if (t.number === 1) pool.kill(t.id, 'killed by test');
      },
    });
    expect(r.trials[1]).toMatchObject({ state: 'FAILED', error: 'worker crashed: killed by test' });
    const crash = r.manifest.clock.crashed;
    expect(crash).toHaveLength(1);
    expect(crash[0]).toMatchObject({ trial: 1, error: 'worker crashed: killed by test' });
    expect(crash[0].rungs!.length).toBeGreaterThanOrEqual(1);

    const m = JSON.parse(JSON.stringify(r.manifest));
    const again = await runSearch({
      ...base,
      maxTrials: undefined,
      replay: m.replay,
      replayClock: m.clock,
    });
    expect(summary(again)).toEqual(summary(r));
    expect(again.manifest.ensemble).toEqual(r.manifest.ensemble);
    expect(Array.from(again.model.predictTable(base.table))).toEqual(
      Array.from(r.model.predictTable(base.table)),
    );
  }, 120_000);
});
