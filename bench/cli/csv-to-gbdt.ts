/**
 * Whole-process CSV → fitted GBDT (issue 15): the installed CLI (`node dist-cli/main.mjs fit … --model
 * gbdt --no-track`, ahead-of-time build, no TypeScript at start) against the same job in one Python
 * process with XGBoost on 1 thread (bench/cli/xgb_fit.py: read, encode, 20% holdout, 100 rounds,
 * score the holdout, refit on all rows, save). Runs alternate (ours, Python, ours, …) so that a change
 * in the machine's load hits both; prints the median wall clock of each and the ratio (goal ≤ 1.2×).
 *
 *   npm run build:cli && npx tsx bench/cli/csv-to-gbdt.ts [--repeat 5] [--datasets diamonds,letter,telco_churn]
 *
 * Datasets come from ../shared/datasets when present, else the vendored copies in test/fixtures.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { datasetFile } from '../../test/helpers/paths.ts';

const { values } = parseArgs({
  options: {
    repeat: { type: 'string', default: '5' },
    datasets: { type: 'string', default: 'diamonds,letter,telco_churn' },
  },
});
const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const cli = join(root, 'dist-cli/main.mjs');
if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build:cli\` first`);
const python = '/usr/bin/python3';
const work = mkdtempSync(join(tmpdir(), 'csv-to-gbdt-'));

interface Meta {
  readonly target: string;
  readonly task: string;
}

function timed(cmd: string, args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: root });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return ms;
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

console.log(`CSV → fitted GBDT, whole process, median of ${values.repeat} alternating runs`);
console.log(`load average at start: ${loadavg()[0].toFixed(1)}`);
console.log('dataset       rows  ours (s)  xgboost 1 thread (s)  ratio');
const ratios: number[] = [];
for (const name of values.datasets.split(',')) {
  const train = datasetFile(name, 'train.csv');
  const meta: Meta = JSON.parse(readFileSync(datasetFile(name, 'meta.json'), 'utf8'));
  const rows = readFileSync(train, 'utf8').trimEnd().split('\n').length - 1;
  const ours: number[] = [];
  const ref: number[] = [];
  for (let k = 0; k < Number(values.repeat); k++) {
    ours.push(
      timed(process.execPath, [
        cli,
        'fit',
        train,
        '--target',
        meta.target,
        '--model',
        'gbdt',
        '--no-track',
        '--out',
        join(work, `${name}-${k}`),
      ]),
    );
    ref.push(
      timed(python, [
        join(root, 'bench/cli/xgb_fit.py'),
        train,
        meta.target,
        meta.task,
        join(work, `${name}-${k}.json`),
      ]),
    );
  }
  const a = median(ours) / 1000;
  const b = median(ref) / 1000;
  ratios.push(a / b);
  console.log(
    `${name.padEnd(12)} ${String(rows).padStart(6)}  ${a.toFixed(2).padStart(8)}  ${b.toFixed(2).padStart(20)}  ${(a / b).toFixed(2)}×`,
  );
}
console.log(`worst ratio ${Math.max(...ratios).toFixed(2)}× (goal ≤ 1.2×)`);
rmSync(work, { recursive: true, force: true });
