/**
 * CLI tracking store benchmark (issue 15): with N runs (default 10,000) recorded in the SQLite store,
 * - the time tracking adds to a `fit`: open the store (schema check, recovery of orphaned runs),
 *   record a run as `fit` does (src/core/jobs/fit.ts: dataset, experiment, params, metrics, the
 *   bundle zip, manifest and model card as artifacts, end), close — goal < 50 ms;
 * - `runs list` (the command, in process, output discarded) — goal < 300 ms;
 * - the store's size on disk (database + WAL + artifact files).
 * Medians of `--repeat` (default 7). Usage: npx tsx bench/cli/run.ts [--runs N] [--repeat K] [--dir D]
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openCliStore } from '../../src/cli/file-store.ts';
import { openSqliteStore } from '../../src/cli/sqlite-store.ts';
import { bundleArtifacts } from '../../src/core/jobs/artifacts.ts';
import { runCli } from '../../src/cli/run.ts';
import { Tracker } from '../../src/core/tracking/tracker.ts';
import { startDatasetRun } from '../../src/core/tracking/start.ts';
import type { WriteOp } from '../../src/core/tracking/types.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10000' },
    repeat: { type: 'string', default: '7' },
    dir: { type: 'string' },
  },
});
const RUNS = Number(values.runs);
const REPEAT = Number(values.repeat);
const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'bench-cli-'));
const db = join(dir, '.automl', 'tracking.db');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number) => `${x.toFixed(1)} ms`;
function dirBytes(path: string): number {
  let n = 0;
  for (const e of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, e.name);
    n += e.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return n;
}

// A model.json-sized artifact (unique per run), the pipeline and manifest, like a fit's bundle.
const text = (n: number, seed: number) => {
  let s = '';
  for (let i = 0; s.length < n; i++) s += `{"t":${(seed * 7919 + i) % 100003},"v":${Math.sin(seed + i)}},`;
  return s.slice(0, n);
};
const enc = new TextEncoder();

async function seed(): Promise<void> {
  const store = openSqliteStore(db);
  const t0 = performance.now();
  const EXPERIMENTS = 10;
  await store.write([
    { op: 'putDataset', fingerprint: 'fp-bench', name: 'bench.csv', schema: [], createdAt: 1 },
    ...Array.from({ length: EXPERIMENTS }, (_, e): WriteOp => ({
      op: 'createExperiment',
      id: `exp-${e}`,
      name: `bench.csv → y${e}`,
      datasetFingerprint: 'fp-bench',
      createdAt: e,
    })),
  ]);
  for (let i = 0; i < RUNS; i++) {
    const id = `run-${String(i).padStart(6, '0')}`;
    const t = 1_700_000_000_000 + i * 1000;
    await store.write([
      {
        op: 'startRun',
        id,
        experimentId: `exp-${i % EXPERIMENTS}`,
        name: 'gbdt',
        startTime: t,
        params: { family: 'gbdt', seed: i, rounds: 100 + (i % 50), learningRate: 0.1, maxDepth: 6 },
        tags: { task: 'binary', target: 'y', family: 'gbdt', metric: 'roc_auc', source: 'cli fit' },
        datasetFingerprint: 'fp-bench',
      },
      {
        op: 'logMetrics',
        runId: id,
        metrics: ['roc_auc', 'log_loss', 'accuracy', 'f1', 'fit_seconds'].map((key, k) => ({
          key,
          value: Math.abs(Math.sin(i + k)),
          step: 0,
          timestamp: t,
        })),
      },
      ...(['model.json', 'pipeline.json', 'manifest.json'] as const).map((name, k): WriteOp => ({
        op: 'putArtifact',
        id: `${id}-${k}`,
        runId: id,
        name,
        kind: k === 0 ? 'model' : k === 1 ? 'pipeline' : 'report',
        contentType: 'application/json',
        bytes: enc.encode(text([6000, 1500, 2500][k], i * 3 + k)),
        createdAt: t,
      })),
      { op: 'endRun', runId: id, state: 'COMPLETE', endTime: t + 500 },
    ]);
    if ((i + 1) % 2000 === 0) process.stderr.write(`  seeded ${i + 1} runs\n`);
  }
  await store.close();
  console.log(`seeded ${RUNS} runs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/** What `fit` does with the store, timed end to end. */
async function recordFit(i: number): Promise<number> {
  const t0 = performance.now();
  const { store } = await openCliStore(db);
  const { run } = await startDatasetRun(
    new Tracker(store),
    { fingerprint: 'fp-bench', name: 'bench.csv', schema: [{ name: 'y', type: 'categorical' }] },
    'y0',
    { name: 'gbdt', tags: { task: 'binary', target: 'y0', family: 'gbdt', metric: 'roc_auc' } },
  );
  run.logParams({ family: 'gbdt', seed: i, rounds: 100 });
  run.logMetrics({ roc_auc: 0.9, log_loss: 0.3, accuracy: 0.88 });
  for (const a of bundleArtifacts(
    {
      'model.json': text(60_000, 1e6 + i),
      'pipeline.json': text(1500, 2e6 + i),
      'manifest.json': text(2500, 3e6 + i),
      'MODEL_CARD.md': text(2000, 4e6 + i),
    },
    'y0-gbdt.zip',
  ))
    run.logArtifact(a);
  await run.end('COMPLETE');
  await store.close();
  return performance.now() - t0;
}

async function runsList(): Promise<number> {
  const t0 = performance.now();
  const code = await runCli(['runs', 'list', '--store', db], { stdout: () => {}, stderr: () => {} });
  if (code !== 0) throw new Error(`runs list exited ${code}`);
  return performance.now() - t0;
}

await seed();
await recordFit(-1); // warm-up (module init, first statement compile)
const fits: number[] = [];
const lists: number[] = [];
for (let k = 0; k < REPEAT; k++) {
  fits.push(await recordFit(k));
  lists.push(await runsList());
}
const dbBytes = statSync(db).size;
const artifactBytes = dirBytes(join(dir, '.automl', 'artifacts'));
const walBytes = (() => {
  try {
    return statSync(`${db}-wal`).size;
  } catch {
    return 0;
  }
})();
console.log(`runs recorded: ${RUNS + REPEAT + 1}`);
console.log(
  `tracking added to a fit (open + record + close): median ${ms(median(fits))}  [${fits.map(ms).join(', ')}]  goal < 50 ms`,
);
console.log(`runs list: median ${ms(median(lists))}  [${lists.map(ms).join(', ')}]  goal < 300 ms`);
console.log(
  `store on disk: database ${(dbBytes / 1e6).toFixed(1)} MB + WAL ${(walBytes / 1e6).toFixed(1)} MB + artifact files ${(artifactBytes / 1e6).toFixed(1)} MB`,
);
if (!values.dir) rmSync(dir, { recursive: true, force: true });
