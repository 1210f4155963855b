/**
 * The Node worker pool (worker_threads running the same trial endpoint as the browser's workers):
 * determinism whatever the number of workers, a crashed worker failing only its trial, Stop.
 */
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { Table } from '../../src/core/data/table.ts';
import { createRng } from '../../src/core/util/random.ts';
import { runSearch, type SearchOptions, type SearchResult } from '../../src/core/search/runner.ts';
import { createNodeTrialPool } from '../../src/cli/worker-pool.ts';

function synth(n: number, seed: number): Table {
  const rng = createRng(seed);
  const x1 = new Float64Array(n);
  const x2 = new Float64Array(n);
  const codes = new Int32Array(n);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    x1[i] = rng.normal();
    x2[i] = i % 13 === 0 ? NaN : rng.normal();
    codes[i] = rng.int(3);
    const s = 1.5 * x1[i] - (x2[i] || 0) ** 2 + (codes[i] === 1 ? 1 : 0) + 0.5 * rng.normal();
    y[i] = s > 0 ? 1 : 0;
  }
  return {
    nRows: n,
    columns: [
      { name: 'x1', type: 'numeric', storage: 'float64', values: x1 },
      { name: 'x2', type: 'numeric', storage: 'float64', values: x2 },
      { name: 'c', type: 'categorical', storage: 'dict', codes, dictionary: ['a', 'b', 'c'] },
      { name: 'y', type: 'categorical', storage: 'dict', codes: y, dictionary: ['no', 'yes'] },
    ],
  };
}

const summary = (r: SearchResult) =>
  r.trials.map((t) => ({
    number: t.number,
    family: t.family,
    params: t.params,
    seed: t.seed,
    state: t.state,
    reason: t.reason,
    value: t.value,
    foldValues: t.foldValues,
    rungs: t.rungs,
    resources: t.resources,
  }));

const base = (): SearchOptions => ({
  table: synth(300, 1),
  target: 'y',
  task: 'binary',
  families: ['gbdt', 'random_forest'],
  seed: 11,
  maxTrials: 10,
  folds: 3,
  sampler: 'tpe',
});

/** A worker entry (data: URL module) that exits the thread when it is given trial `n`. */
function crashingEntry(n: number): URL {
  const require = createRequire(import.meta.url);
  const comlink = pathToFileURL(require.resolve('comlink')).href.replace(
    /umd\/comlink\.js$/,
    'esm/comlink.mjs',
  );
  const endpoint = new URL('../../src/core/search/trial-endpoint.ts', import.meta.url).href;
  const adapter = new URL('../../src/cli/worker-pool.ts', import.meta.url).href;
  const src = `
    import { parentPort } from 'node:worker_threads';
    const { expose, transfer } = await import(${JSON.stringify(comlink)});
    const { createTrialEndpoint } = await import(${JSON.stringify(endpoint)});
    const { nodeEndpoint } = await import(${JSON.stringify(adapter)});
    const api = createTrialEndpoint({ transfer });
    const evaluate = api.evaluate;
    api.evaluate = (task, report) => {
      // never answers: the thread exits on the next turn (the trial cannot finish first)
      if (task.number === ${n}) return new Promise(() => setImmediate(() => process.exit(3)));
      return evaluate(task, report);
    };
    expose(api, nodeEndpoint(parentPort));`;
  return new URL(`data:text/javascript,${encodeURIComponent(src)}`);
}

describe('runSearch with the Node worker pool', () => {
  it('gives the same trials, order and scores in process, with 1 worker and with 2 workers', async () => {
    const inProcess = await runSearch(base());
    const one = await runSearch({ ...base(), executor: createNodeTrialPool({ size: 1 }) });
    const two = await runSearch({ ...base(), executor: createNodeTrialPool({ size: 2 }) });
    expect(one.manifest.execution).toEqual({ mode: 'batched', workers: 1, batchSize: 4 });
    expect(two.manifest.execution).toEqual({ mode: 'batched', workers: 2, batchSize: 4 });
    expect(summary(one)).toEqual(summary(inProcess));
    expect(summary(two)).toEqual(summary(inProcess));
    expect(inProcess.trials).toHaveLength(10);
    expect(inProcess.trials.some((t) => t.state === 'COMPLETE')).toBe(true);
    expect(two.manifest.replay).toEqual(inProcess.manifest.replay);
    const table = base().table;
    expect(Array.from(two.model.predictTable(table))).toEqual(
      Array.from(inProcess.model.predictTable(table)),
    );
  }, 120_000);

  it('a worker that exits fails only its trial (reason recorded), is replaced, and the search completes', async () => {
    const pool = createNodeTrialPool({ size: 2, entry: crashingEntry(2) });
    const started: number[] = [];
    const r = await runSearch({ ...base(), executor: pool, onTrialStart: (t) => started.push(t.number) });
    expect(r.trials).toHaveLength(10);
    expect(r.trials[2]).toMatchObject({ state: 'FAILED', reason: 'error' });
    expect(r.trials[2].error).toMatch(/^worker crashed: exited with code 3/);
    expect(r.trials.filter((t) => t.state === 'FAILED')).toHaveLength(1);
    expect(pool.stats.crashed).toBe(1);
    expect(pool.stats.spawned).toBe(3);
    expect(pool.stats.alive).toBe(0); // closed at the end
    expect(started).toHaveLength(10);
    // the other trials are those of a search without the crash, up to trial 2's influence
    const clean = await runSearch(base());
    expect(summary(r).slice(0, 2)).toEqual(summary(clean).slice(0, 2));
  }, 120_000);

  it('kill() ends a stuck trial as crashed mid-run; the search goes on', async () => {
    const pool = createNodeTrialPool({ size: 1 });
    const r = await runSearch({
      ...base(),
      executor: pool,
      onTrialReport: (t) => {
        if (t.number === 1) pool.kill(t.id, 'killed by test');
      },
    });
    expect(r.trials[1]).toMatchObject({ state: 'FAILED', error: 'worker crashed: killed by test' });
    expect(r.trials[1].rungs.length).toBeGreaterThanOrEqual(1);
    expect(r.trials.filter((t) => t.state === 'FAILED')).toHaveLength(1);
  }, 120_000);

  it('Stop cancels running trials within a second', async () => {
    const ctrl = new AbortController();
    let stoppedAt = 0;
    let searchEnded = 0;
    const r = await runSearch({
      ...base(),
      maxTrials: 40,
      executor: createNodeTrialPool({ size: 2 }),
      signal: ctrl.signal,
      onTrialStart: (t) => {
        if (t.number === 5) {
          stoppedAt = performance.now();
          ctrl.abort();
        }
      },
      onPhase: (phase) => {
        if (phase === 'ensemble') searchEnded = performance.now();
      },
    });
    expect(searchEnded - stoppedAt).toBeLessThan(1000);
    expect(r.manifest.stoppedBy).toBe('aborted');
    expect(r.trials.length).toBeLessThanOrEqual(8);
    expect(r.trials.slice(5).every((t) => t.state === 'PRUNED' && t.reason === 'aborted')).toBe(true);
  }, 120_000);

  it('respects a time budget with a pool (asynchronous mode, worker start included)', async () => {
    const t0 = performance.now();
    const r = await runSearch({
      ...base(),
      maxTrials: undefined,
      timeBudgetSeconds: 4,
      executor: createNodeTrialPool({ size: 2 }),
    });
    const seconds = (performance.now() - t0) / 1000;
    expect(r.manifest.execution).toEqual({ mode: 'async', workers: 2 });
    expect(r.manifest.stoppedBy).toBe('deadline');
    expect(seconds).toBeLessThanOrEqual(r.manifest.budget.statedMaxSeconds! + 0.5);
    expect(r.trials.filter((t) => t.state === 'COMPLETE').length).toBeGreaterThan(1);
  }, 60_000);
});
