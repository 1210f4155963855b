/**
 * Replay benchmark (issue #12): time-budgeted searches (no trial cap, default families) on every
 * dataset in the shared datasets folder, each followed by `reproduce` on its own training file; one
 * row per dataset and budget: whether a model was produced (and whether it had to be rescued because
 * no trial finished: `search.clock.rescue`, with the seconds over the budget), trials, deadline-cut
 * trials, final model, search and reproduce seconds and the verdict. Every run is a separate `cli`
 * process (as a user runs them).
 *
 *   npx tsx bench/replay/run.ts [--budgets 30,60] [--workers 1] [--datasets a,b] [--out DIR] [--seed 0]
 *
 * Prints the table as rows finish (Markdown), and writes `results.json` in the output folder.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    budgets: { type: 'string', default: '30,60' },
    workers: { type: 'string', default: '1' },
    datasets: { type: 'string' },
    out: { type: 'string' },
    seed: { type: 'string', default: '0' },
    'datasets-dir': { type: 'string' },
  },
});
const root = resolve(import.meta.dirname, '..', '..');
const dataDir = resolve(
  values['datasets-dir'] ?? process.env.DATASETS_DIR ?? join(root, '..', 'shared', 'datasets'),
);
const outDir = values.out ?? join(tmpdir(), `replay-bench-${process.pid}`);
mkdirSync(outDir, { recursive: true });
const budgets = values.budgets.split(',').map(Number);
interface DatasetInfo {
  readonly name: string;
  readonly target: string;
}
const all = JSON.parse(readFileSync(join(dataDir, 'datasets.json'), 'utf8')) as DatasetInfo[];
const wanted = values.datasets?.split(',');
const datasets = wanted ? all.filter((d) => wanted.includes(d.name)) : all;

interface Row {
  dataset: string;
  budget: number;
  /** 'yes', 'rescued (trial N, +S s)' or 'no'. */
  model: string;
  trials: number | null;
  deadlineCut: number | null;
  finalModel: string;
  searchSeconds: number;
  reproduceSeconds: number | null;
  verdict: string;
}

function cli(args: string[]): { code: number | null; out: string; err: string; seconds: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'main.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: r.status, out: r.stdout, err: r.stderr, seconds: (performance.now() - t0) / 1000 };
}

const header =
  '| dataset | budget | model | trials | deadline-cut trials | final model | search s | reproduce s | verdict |\n' +
  '|---|---:|---|---:|---:|---|---:|---:|---|';
console.log(header);
const rows: Row[] = [];
for (const d of datasets) {
  for (const budget of budgets) {
    const train = join(dataDir, d.name, 'train.csv');
    const zip = join(outDir, `${d.name}-${budget}.zip`);
    const s = cli([
      'automl',
      train,
      '--target',
      d.target,
      '--out',
      zip,
      '--budget',
      String(budget),
      '--workers',
      values.workers,
      '--seed',
      values.seed,
      '--no-track',
      '--json',
    ]);
    let row: Row;
    if (s.code !== 0) {
      row = {
        dataset: d.name,
        budget,
        model: 'no',
        trials: null,
        deadlineCut: null,
        finalModel: '-',
        searchSeconds: s.seconds,
        reproduceSeconds: null,
        verdict: `search failed: ${s.err.trim().split('\n').pop()}`,
      };
    } else {
      const m = JSON.parse(s.out) as {
        search: {
          replay: unknown[];
          final: { kind: string; members: unknown[] };
          clock?: {
            cuts: { reason: string }[];
            rescue?: { trial: number; how: string; rounds?: number; overrunSeconds: number };
          };
        };
      };
      const r = cli(['reproduce', zip, '--data', train, '--json']);
      let verdict: string;
      try {
        const rep = JSON.parse(r.out) as { verdict: string; notes?: string[] };
        verdict = rep.verdict;
      } catch {
        verdict = `reproduce failed (exit ${r.code}): ${r.err.trim().split('\n').pop()}`;
      }
      const rescue = m.search.clock?.rescue;
      row = {
        dataset: d.name,
        budget,
        model: rescue
          ? `rescued (trial ${rescue.trial} ${rescue.how}, ` +
            `${rescue.rounds !== undefined ? `stopped after ${rescue.rounds} rounds` : 'ran to its end'}, ` +
            `+${rescue.overrunSeconds} s)`
          : 'yes',
        trials: m.search.replay.length,
        deadlineCut: m.search.clock?.cuts.filter((c) => c.reason === 'deadline').length ?? null,
        finalModel: `${m.search.final.kind} (${m.search.final.members.length})`,
        searchSeconds: s.seconds,
        reproduceSeconds: r.seconds,
        verdict,
      };
    }
    rows.push(row);
    console.log(
      `| ${row.dataset} | ${row.budget} | ${row.model} | ${row.trials ?? '-'} | ${row.deadlineCut ?? '-'} | ${row.finalModel} | ` +
        `${row.searchSeconds.toFixed(1)} | ${row.reproduceSeconds?.toFixed(1) ?? '-'} | ${row.verdict} |`,
    );
    writeFileSync(join(outDir, 'results.json'), JSON.stringify(rows, null, 2));
  }
}
const ok = rows.filter((r) => r.verdict === 'reproduced').length;
const models = rows.filter((r) => r.model !== 'no').length;
console.log(
  `\n${models} of ${rows.length} produced a model, ${ok} of ${rows.length} reproduced ` +
    `(bundles and results.json in ${outDir})`,
);
process.exitCode = ok === rows.length ? 0 : 1;
