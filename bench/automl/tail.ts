/**
 * Where a time-budgeted search's time goes after its search deadline (issue 17): for each dataset and
 * seed, the run from before reading the CSV to the returned result (as run.ts's wall), when the search
 * phase stopped asking, the refit reserve it kept then (its estimates: the refit of the two best
 * trials, the ensemble selection) and what the tail took (manifest `search.timings.tail`: the trials'
 * wind-down, the executor's close, the selection with its nested estimate, each member's refit: its
 * estimate, its pipeline's fit on all rows, its fit). No test scores (run.ts does those).
 *
 *   npx tsx bench/automl/tail.ts [--budget 10] [--seeds 42,43,44] [--datasets telco_churn,stackoverflow]
 *                                [--workers N] [--cpu-clock]
 *
 * --cpu-clock: the search's clock is this process's CPU time and the trials run in process (no
 * workers), as on an idle one-core machine: a loaded machine stretches every part of a wall-clock run
 * differently (short measurements slip between time slices, long ones do not), which this removes.
 * Seconds are then CPU seconds.
 */
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { ingestCsv } from '../../src/core/ingest/index.ts';
import { fileSource, nodeHasher } from '../../src/cli/node-io.ts';
import { runSearch } from '../../src/core/search/index.ts';
import { inProcessExecutor } from '../../src/core/search/executor.ts';
import { automlExecutor } from '../../src/cli/tracking.ts';
import type { DatasetEntry } from './common.ts';

const { values } = parseArgs({
  options: {
    budget: { type: 'string', default: '10' },
    seeds: { type: 'string', default: '42,43,44' },
    datasets: { type: 'string', default: 'telco_churn,stackoverflow' },
    workers: { type: 'string' },
    'cpu-clock': { type: 'boolean', default: false },
  },
});

const root = resolve(import.meta.dirname, '..', '..');
const dsDir = process.env.DATASETS_DIR ?? resolve(root, '..', 'shared', 'datasets');
const all = JSON.parse(readFileSync(join(dsDir, 'datasets.json'), 'utf8')) as DatasetEntry[];
const wanted = values.datasets!.split(',');
const budget = Number(values.budget);
const cpu = values['cpu-clock'];
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const now = cpu ? cpuMs : () => performance.now();
const f = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(2));

console.log(
  `budget ${budget} s, limit ${(budget * 1.1).toFixed(1)} s; ${cpu ? 'CPU clock, in process' : 'wall clock'}; ` +
    `load ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
);
console.log(
  '| dataset | seed | total s | stop s | reserve s (refit + selection est.) | tail s | wind-down + close | selection | refit (est. → pipeline + fit per member) | candidates | trials |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const name of wanted) {
  const d = all.find((x) => x.name === name);
  if (!d) throw new Error(`no dataset '${name}' in ${dsDir}/datasets.json`);
  for (const seed of values.seeds!.split(',').map(Number)) {
    const t0 = now();
    const train = await ingestCsv(fileSource(join(dsDir, d.name, 'train.csv')), { createHasher: nodeHasher });
    const executor = cpu
      ? inProcessExecutor({ now })
      : await automlExecutor(values.workers === undefined ? undefined : Number(values.workers));
    const r = await runSearch({
      table: train.table,
      target: d.target,
      task: d.task,
      seed,
      metric: d.primary_metric,
      timeBudgetSeconds: budget,
      startedAt: t0,
      now,
      ...(executor ? { executor } : {}),
    });
    const total = (now() - t0) / 1000;
    const m = r.manifest;
    const tl = m.timings.tail;
    const stop = tl?.stopSeconds;
    const refits = (tl?.refits ?? [])
      .map((x) => `#${x.trial} ${f(x.estimateSeconds)} → ${f(x.pipelineSeconds)} + ${f(x.fitSeconds)}`)
      .join('; ');
    console.log(
      `| ${name} | ${seed} | ${f(total)}${total > budget * 1.1 ? ' **over**' : ''} | ${f(stop)} | ` +
        `${f(tl?.reserveSeconds)} (${f(tl?.reserveRefitSeconds)} + ${f(tl?.reserveSelectSeconds)}) | ` +
        `${stop === undefined ? '–' : f(total - stop)} | ${f((tl?.windDownSeconds ?? 0) + (tl?.closeSeconds ?? 0))} | ` +
        `${f(tl?.selectSeconds)} | ${refits || '–'} | ${m.ensemble.candidates.length} | ${m.replay.length} |`,
    );
  }
}
console.log(
  `load after: ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
