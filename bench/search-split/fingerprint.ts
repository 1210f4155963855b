/**
 * A behaviour fingerprint of `runSearch`, for refactors that must keep the same bits (issue #15: the
 * split of runner.ts into schedule / select / refit / manifest). Runs seeded searches and prints, per
 * case, SHA-256 hashes of the search manifest, the trial list, the bundle files (model.json and
 * manifest.json as `createSearchBundleFiles` writes them with a fixed environment), the validation
 * predictions and the final model's predictions on a test table.
 *
 * Cases: penguins (multiclass, k-fold, with linear), telco_churn (binary) in process and on a Node
 * worker pool of 1 and 2 workers, diamonds (regression, holdout), a 70,000-row synthetic table (so the
 * row-subsample levels run), and time-budgeted searches on a fake clock (deadline cuts, a rescue)
 * with their clock replays. Searches on the real clock record wall-clock timings: those fields
 * (`timings`, `durations`) are dropped from the hashes; on the fake clock everything is kept.
 *
 *   npx tsx bench/search-split/fingerprint.ts --out /tmp/before.json
 *   npx tsx bench/search-split/fingerprint.ts --compare /tmp/before.json   # exit 1 on any difference
 *   [--only NAME-PART] runs the matching cases; [--dump DIR] writes the hashed JSON texts there (to diff)
 *
 * Not a unit test with recorded hashes: any deliberate change of the search (a sampler, a policy)
 * changes them. Record before the refactor, compare after.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Table } from '../../src/core/data/table.ts';
import { ingestCsv } from '../../src/core/ingest/ingest.ts';
import { bytesSource } from '../../src/core/ingest/index.ts';
import { createSearchBundleFiles } from '../../src/core/export/bundle.ts';
import { runSearch, type SearchOptions, type SearchResult } from '../../src/core/search/runner.ts';
import { inProcessExecutor, type TrialExecutor } from '../../src/core/search/executor.ts';
import { createNodeTrialPool } from '../../src/cli/worker-pool.ts';
import { mixedTable } from '../search-scale/table.ts';
import { datasetFile } from '../../test/helpers/paths.ts';

const env = {
  app: { name: 'automl-studio', version: 'fingerprint', commit: 'fixed' },
  runtime: 'fingerprint',
  libraries: {},
  backend: { name: 'cpu', reason: 'fingerprint' },
  createdAt: '2026-01-01T00:00:00.000Z',
};

const sha = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex').slice(0, 16);
const floats = (a: Float64Array | Int32Array) => sha(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));

/**
 * JSON with NaN/Infinity spelled out and, for real-clock searches, the wall-clock fields dropped —
 * and with several workers on the real clock the tell order (`clock.told`: which trial of a batch ends first).
 */
function stable(v: unknown, dropTimes: boolean, dropTold = false): string {
  return JSON.stringify(v, (k, x) => {
    if (dropTimes && (k === 'timings' || k === 'durations' || k === 'fitSeconds')) return undefined;
    if (dropTold && k === 'told') return undefined;
    if (typeof x === 'number' && !Number.isFinite(x)) return String(x);
    if (x instanceof Float64Array || x instanceof Int32Array) return floats(x);
    return x;
  });
}

async function csv(name: string, file: 'train.csv' | 'test.csv'): Promise<Table> {
  const path = datasetFile(name, file);
  const { table } = await ingestCsv(bytesSource(file, new Uint8Array(readFileSync(path))));
  return table;
}

function datasetOf(t: Table, name: string) {
  return {
    name,
    fingerprint: {
      sha256: 'a'.repeat(64),
      bytes: 1,
      rows: t.nRows,
      columns: t.columns.length,
      schemaHash: 'b'.repeat(64),
    },
    schema: t.columns.map((c, index) => ({
      name: c.name,
      originalName: c.name,
      index,
      type: c.type,
      inferredType: c.type,
      overridden: false,
    })) as never,
  };
}

function fingerprint(r: SearchResult, test: Table, realClock: boolean, table: Table, dump?: string) {
  const files = createSearchBundleFiles(r, datasetOf(table, 'data.csv'), env);
  const manifest = JSON.parse(files['manifest.json']!);
  const dropTold = realClock && r.manifest.execution.workers > 1;
  const text = {
    manifest: stable(r.manifest, realClock, dropTold),
    trials: stable(r.trials, realClock),
    bundleManifest: stable(manifest, realClock, dropTold),
  };
  if (dump) writeFileSync(dump, JSON.stringify(text, null, 1));
  return {
    manifest: sha(text.manifest),
    trials: sha(text.trials),
    bundleManifest: sha(text.bundleManifest),
    modelJson: sha(files['model.json'] ?? ''),
    bundleFiles: Object.keys(files).sort().join(','),
    validationPred: floats(r.validation.pred),
    validationRows: floats(r.validation.rows),
    testPred: floats(r.model.predictTable(test)),
    summary: `${r.trials.length} trials, ${r.kind}, stoppedBy ${r.manifest.stoppedBy}, members ${r.manifest.final.members
      .map((m) => m.trial)
      .join('/')}`,
  };
}

/** A clock that advances `step` ms at every reading (test/core/search/clock-helpers.ts). */
function fakeClock(step: number) {
  let t = 0;
  return () => (t += step);
}

/** Two trials at once in process, out of order (test/core/search/clock-helpers.ts). */
function twoLane(now: () => number): TrialExecutor {
  const inner = inProcessExecutor({ now });
  return {
    concurrency: 2,
    init: (data, local) => inner.init(data, local),
    async evaluate(task, hooks) {
      await new Promise((r) => setTimeout(r, task.number % 2 === 0 ? 30 : 0));
      return inner.evaluate(task, hooks);
    },
    close: () => inner.close(),
  };
}

function replayOpts(r: SearchResult, base: SearchOptions): SearchOptions {
  const m = r.manifest;
  return {
    table: base.table,
    target: base.target,
    task: base.task,
    families: m.families,
    metric: m.metric,
    seed: m.seed,
    sampler: m.sampler,
    folds: m.split.strategy === 'kfold' ? m.split.folds : 1,
    ...(m.split.validFraction !== undefined ? { holdoutFraction: m.split.validFraction } : {}),
    ...(m.split.subsample ? { subsample: m.split.subsample } : {}),
    halving:
      m.halving === false
        ? false
        : { reductionFactor: m.halving.reductionFactor, minPeers: m.halving.minPeers },
    marginFraction: m.budget.marginFraction,
    ...(m.trialScoring ? { trialScoring: m.trialScoring } : {}),
    replay: m.replay,
    replayClock: JSON.parse(JSON.stringify(m.clock)),
    replayStoppedBy: m.stoppedBy,
  };
}

async function main() {
  const args = process.argv.slice(2);
  const out = args.includes('--out') ? args[args.indexOf('--out') + 1] : undefined;
  const compare = args.includes('--compare') ? args[args.indexOf('--compare') + 1] : undefined;
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
  const dump = args.includes('--dump') ? args[args.indexOf('--dump') + 1] : undefined;
  const result: Record<string, ReturnType<typeof fingerprint>> = {};
  if (dump) mkdirSync(dump, { recursive: true });
  const t0 = performance.now();
  const run = async (name: string, opts: SearchOptions, test: Table, realClock = true) => {
    if (only && !name.includes(only)) return undefined;
    const t = performance.now();
    const r = await runSearch(opts);
    const file = dump ? join(dump, name.replaceAll('/', '_') + '.json') : undefined;
    result[name] = fingerprint(r, test, realClock, opts.table, file);
    console.error(`${name}: ${result[name].summary} (${((performance.now() - t) / 1000).toFixed(1)} s)`);
    return r;
  };

  const penguins = await csv('penguins', 'train.csv');
  await run(
    'penguins/in-process',
    {
      table: penguins,
      target: 'species',
      task: 'multiclass',
      families: ['gbdt', 'random_forest', 'linear'],
      seed: 3,
      maxTrials: 8,
    },
    await csv('penguins', 'test.csv'),
  );

  const telco = await csv('telco_churn', 'train.csv');
  const telcoTest = await csv('telco_churn', 'test.csv');
  const telcoOpts: SearchOptions = {
    table: telco,
    target: 'churn',
    task: 'binary',
    families: ['gbdt', 'random_forest'],
    seed: 5,
    maxTrials: 6,
  };
  await run('telco_churn/in-process', telcoOpts, telcoTest);
  await run('telco_churn/1-worker', { ...telcoOpts, executor: createNodeTrialPool({ size: 1 }) }, telcoTest);
  await run('telco_churn/2-workers', { ...telcoOpts, executor: createNodeTrialPool({ size: 2 }) }, telcoTest);

  const diamonds = await csv('diamonds', 'train.csv');
  await run(
    'diamonds/2-workers',
    {
      table: diamonds,
      target: 'price',
      task: 'regression',
      families: ['gbdt'],
      seed: 7,
      maxTrials: 3,
      executor: createNodeTrialPool({ size: 2 }),
    },
    await csv('diamonds', 'test.csv'),
  );

  const big = mixedTable(70_000, 10, 11);
  await run(
    'synthetic-70k/subsample',
    { table: big, target: 'y', task: 'binary', families: ['gbdt', 'random_forest'], seed: 2, maxTrials: 4 },
    mixedTable(2_000, 10, 12),
  );

  // Time-budgeted on a fake clock: deadline cuts and the refit decisions, then the clock replay.
  const small = mixedTable(3_000, 10, 7);
  const smallTest = mixedTable(500, 10, 8);
  for (const [name, budget, extra] of [
    ['clock/kfold', 4, { folds: 3 }],
    ['clock/holdout-subsample', 3, { folds: 1, subsample: { threshold: 800 } }],
    ['clock/rescue', 0.05, { folds: 1 }],
  ] as const) {
    const now = fakeClock(1);
    const opts: SearchOptions = {
      table: small,
      target: 'y',
      task: 'binary',
      families: ['gbdt', 'random_forest'],
      seed: 4,
      timeBudgetSeconds: budget,
      now,
      executor: twoLane(now),
      ...extra,
    };
    const r = await run(name, opts, smallTest, false);
    if (r) await run(`${name}/replay`, replayOpts(r, opts), smallTest, true);
  }

  console.error(`total ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const text = JSON.stringify(result, null, 1);
  if (out) writeFileSync(out, text + '\n');
  if (!out && !compare) console.log(text);
  if (compare) {
    const before = JSON.parse(readFileSync(compare, 'utf8')) as Record<string, Record<string, string>>;
    let diffs = 0;
    for (const [name, fp] of Object.entries(result)) {
      const b = before[name];
      if (!b) {
        console.log(`${name}: not in ${compare}`);
        diffs++;
        continue;
      }
      for (const [k, v] of Object.entries(fp))
        if (b[k] !== v) {
          console.log(`${name}.${k}: ${b[k]} → ${v}`);
          diffs++;
        }
    }
    console.log(diffs ? `${diffs} difference(s)` : `identical: ${Object.keys(result).length} cases`);
    process.exitCode = diffs ? 1 : 0;
  }
}

await main();
