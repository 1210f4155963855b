/**
 * Search-scale benchmark (issue #21): an AutoML search on an in-memory generated mixed-type table
 * (default 1,000,000 rows × 30 columns: numbers with 5% missing, categories up to 1,000 levels, a
 * date, a boolean; binary target), with a time budget (default 60 s). Prints trials per family and
 * state, the rows each trial's value came from (row-subsample rungs, src/core/search/subsample.ts),
 * the best metric, and the search's own elapsed time against its stated limit (budget × 1.1).
 *
 *   npx tsx bench/search-scale/run.ts [--rows 1000000] [--cols 30] [--budget 60] [--workers 1]
 *     [--seed 0] [--no-subsample] [--families gbdt,random_forest,linear,mlp]
 *
 * `--workers 0` runs trials in this thread; N ≥ 1 in N worker threads (as `cli automl --workers N`).
 */
import { parseArgs } from 'node:util';
import { mixedTable } from './table.ts';
import { runSearch } from '../../src/core/search/runner.ts';
import { createNodeTrialPool } from '../../src/cli/worker-pool.ts';
import type { FamilyName } from '../../src/core/train/families.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    cols: { type: 'string', default: '30' },
    budget: { type: 'string', default: '60' },
    workers: { type: 'string', default: '1' },
    seed: { type: 'string', default: '0' },
    families: { type: 'string', default: 'gbdt,random_forest,linear,mlp' },
    'no-subsample': { type: 'boolean', default: false },
  },
});
const rows = Number(values.rows);
const budget = Number(values.budget);
const workers = Number(values.workers);
const t0 = performance.now();
const table = mixedTable(rows, Number(values.cols), 1);
const genSeconds = (performance.now() - t0) / 1000;
console.log(`table: ${rows} rows × ${table.columns.length} columns generated in ${genSeconds.toFixed(1)} s`);

let firstTrialAt: number | undefined;
const startedAt = new Map<number, number>();
const pool = workers > 0 ? createNodeTrialPool({ size: workers }) : undefined;
const start = performance.now();
const r = await runSearch({
  table,
  target: 'y',
  task: 'binary',
  seed: Number(values.seed),
  timeBudgetSeconds: budget,
  families: values.families.split(',') as FamilyName[],
  ...(values['no-subsample'] ? { subsample: false as const } : {}),
  ...(pool ? { executor: pool } : {}),
  onTrialStart: (t) => {
    startedAt.set(t.number, performance.now());
    firstTrialAt ??= (performance.now() - start) / 1000;
  },
  onPhase: (phase) =>
    console.log(`  ${((performance.now() - start) / 1000).toFixed(1).padStart(5)} s  phase ${phase}`),
  onTrial: (t) =>
    console.log(
      `  ${((performance.now() - start) / 1000).toFixed(1).padStart(5)} s  trial ${t.number} ${t.family} ` +
        `${t.state}${t.reason ? ` (${t.reason})` : ''} ${t.value !== undefined ? t.value.toFixed(4) : ''}` +
        `${t.rows !== undefined ? ` on ${t.rows} rows` : t.state === 'COMPLETE' ? ' on all rows' : ''}` +
        // dispatched → told, and the trial's own time in the worker (the rest: start-up, hand-back)
        (startedAt.has(t.number)
          ? ` (${((performance.now() - startedAt.get(t.number)!) / 1000).toFixed(1)} s from dispatch, ` +
            `${(t.durations.total ?? 0).toFixed(1)} s in the worker)`
          : ''),
    ),
});
const wall = (performance.now() - start) / 1000;
if (pool) {
  const st = pool.stats;
  console.log(
    `workers started: ${st.spawned} of ${workers}; start-up ${st.startupMs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')}` +
      `; rescue ${JSON.stringify(r.manifest.clock.rescue ?? null)}`,
  );
}
const m = r.manifest;
const byFamily = new Map<string, Record<string, number>>();
for (const t of r.trials) {
  const f = byFamily.get(t.family) ?? {};
  f[t.state] = (f[t.state] ?? 0) + 1;
  byFamily.set(t.family, f);
}
console.log(`\nsplit: ${JSON.stringify(m.split)}`);
console.log('| family | trials | complete | pruned | failed |');
console.log('|---|---|---|---|---|');
for (const [f, c] of byFamily)
  console.log(
    `| ${f} | ${Object.values(c).reduce((a, b) => a + b, 0)} | ${c.COMPLETE ?? 0} | ${c.PRUNED ?? 0} | ${c.FAILED ?? 0} |`,
  );
const complete = r.trials.filter((t) => t.state === 'COMPLETE');
const families = new Set(complete.map((t) => t.family));
console.log(
  `\ncomplete trials: ${complete.length} in ${families.size} families; best ${m.metric} ${r.best.value?.toFixed(4)} ` +
    `(trial ${r.best.number} ${r.best.family}${r.best.rows !== undefined ? `, ${r.best.rows} rows` : ''}); ` +
    `final ${m.final.kind} ${JSON.stringify(m.final.members.map((x) => [x.trial, x.resource]))}; refit ${JSON.stringify(m.clock.refit)}`,
);
console.log(
  `first trial started at ${firstTrialAt?.toFixed(1)} s; search ${m.timings.searchSeconds.toFixed(1)} s + refit ` +
    `${m.timings.refitSeconds.toFixed(1)} s = ${m.timings.totalSeconds.toFixed(1)} s (wall ${wall.toFixed(1)} s) ` +
    `vs stated limit ${m.budget.statedMaxSeconds?.toFixed(1)} s → ${
      m.timings.totalSeconds <= (m.budget.statedMaxSeconds ?? Infinity) ? 'WITHIN' : 'OVER'
    }`,
);
process.exit(0);
