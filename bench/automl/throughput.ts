/**
 * Throughput of the search (issue 17 goal: at least 10 trials in 60 s on letter-sized data on this
 * machine): a seeded letter-sized synthetic set (letter-like.ts: 20,000 rows × 16 integer columns, 26
 * classes), a time-budgeted search with one worker, per sampler. Prints each trial (family, round cap
 * or a net's epoch cap, rounds / epochs used, seconds, state), where the time went (search, refit, the whole process) and the trials
 * finished per 60 s with the ratio to the goal. `uptime` is printed too: the figures depend on load.
 *
 *   npx tsx bench/automl/throughput.ts [--budget 60] [--samplers portfolio,frugal] [--workers 1]
 *                                      [--rows 20000] [--seed 42] [--csv path/train.csv --target COL]
 *
 * A trial counts as finished when it ended COMPLETE or was pruned by halving (not cut by the deadline).
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { ingestCsv } from '../../src/core/ingest/index.ts';
import { fileSource, nodeHasher } from '../../src/cli/node-io.ts';
import { runSearch } from '../../src/core/search/index.ts';
import { automlExecutor } from '../../src/cli/tracking.ts';
import type { Table } from '../../src/core/data/table.ts';
import type { Task } from '../../src/core/models/types.ts';
import { letterLikeTable } from './letter-like.ts';

const GOAL_TRIALS = 10;
const { values } = parseArgs({
  options: {
    budget: { type: 'string', default: '60' },
    samplers: { type: 'string', default: 'portfolio,frugal' },
    workers: { type: 'string', default: '1' },
    rows: { type: 'string', default: '20000' },
    seed: { type: 'string', default: '42' },
    csv: { type: 'string' },
    target: { type: 'string' },
    task: { type: 'string', default: 'multiclass' },
  },
});
const budget = Number(values.budget);
let table: Table;
let target = 'letter';
if (values.csv) {
  if (!values.target) throw new Error('--csv needs --target');
  table = (await ingestCsv(fileSource(values.csv), { createHasher: nodeHasher })).table;
  target = values.target;
} else table = letterLikeTable({ rows: Number(values.rows) });

const load = () => execFileSync('uptime', { encoding: 'utf8' }).trim();
const out: string[] = [];
for (const sampler of values.samplers!.split(',')) {
  const before = load();
  const t0 = performance.now();
  const r = await runSearch({
    table,
    target,
    task: values.task as Task,
    seed: Number(values.seed),
    timeBudgetSeconds: budget,
    sampler,
    executor: await automlExecutor(Number(values.workers)),
  });
  const wall = (performance.now() - t0) / 1000;
  process.stdout.write(`\n## sampler ${sampler} (${before})\n`);
  process.stdout.write('trial  family         cap   rounds/epochs  seconds  state\n');
  for (const t of r.trials)
    process.stdout.write(
      `${String(t.number).padStart(5)}  ${t.family.padEnd(13)} ${String(t.params.roundCap ?? t.params.epochCap ?? t.params.treeCap ?? '').padStart(5)}` +
        `  ${String((t.resources ?? []).join(',')).padStart(13)}  ${(t.durations.total ?? 0).toFixed(1).padStart(7)}` +
        `  ${t.state}${t.reason ? ` (${t.reason})` : ''}${t.value !== undefined ? ` ${t.value.toFixed(4)}` : ''}\n`,
    );
  const finished = r.trials.filter(
    (t) => t.state === 'COMPLETE' || (t.state === 'PRUNED' && t.reason === 'halving'),
  ).length;
  const m = r.manifest;
  const perMinute = (finished * 60) / budget;
  const line =
    `${sampler}: ${finished} trials finished of ${r.trials.length} asked in a ${budget} s budget ` +
    `(search ${m.timings.searchSeconds.toFixed(1)} s, refit ${m.timings.refitSeconds.toFixed(1)} s, ` +
    `whole call ${wall.toFixed(1)} s); ${perMinute.toFixed(1)} trials / 60 s = ` +
    `${(perMinute / GOAL_TRIALS).toFixed(2)} × the goal of ${GOAL_TRIALS}; best ${r.best.family}#${r.best.number} ` +
    `${m.metric} ${r.best.value?.toFixed(4)}, final ${m.final.kind}(${m.final.members.length})`;
  process.stdout.write(line + '\n');
  out.push(line);
}
process.stdout.write(`\n${out.join('\n')}\nafter: ${load()}\n`);
