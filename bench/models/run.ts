/**
 * Fits every model family on every dataset in ../shared/datasets through the CLI's code path
 * (ingest → train → bundle → predict), scores test.csv predictions with score.py and prints them next
 * to the scikit-learn and XGBoost baselines of baselines.csv.
 *
 *   npx tsx bench/models/run.ts [--families gbdt,linear,mlp,random_forest] [--datasets a,b] [--seed 42]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runCli } from '../../src/cli/run.ts';

const { values } = parseArgs({
  options: {
    families: { type: 'string', default: 'gbdt,random_forest,linear,mlp' },
    datasets: { type: 'string' },
    seed: { type: 'string', default: '42' },
    python: { type: 'string', default: '/usr/bin/python3' },
  },
});

const root = resolve(import.meta.dirname, '..', '..');
const dsDir = process.env.DATASETS_DIR ?? resolve(root, '..', 'shared', 'datasets');
const outDir = resolve(root, '.bench-out', 'models');
mkdirSync(outDir, { recursive: true });
const manifest = JSON.parse(readFileSync(join(dsDir, 'datasets.json'), 'utf8')) as {
  name: string;
  target: string;
  task: string;
  primary_metric: string;
}[];
const wanted = values.datasets?.split(',');
const datasets = manifest.filter((d) => !wanted || wanted.includes(d.name));
const families = values.families.split(',');

const baselines = new Map<string, Record<string, string>>();
{
  const lines = readFileSync(join(dsDir, 'baselines.csv'), 'utf8').trim().split('\n');
  const header = lines[0].split(',');
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    const row = Object.fromEntries(header.map((h, i) => [h, cells[i]]));
    baselines.set(`${row.dataset}/${row.system}`, row);
  }
}

const quiet = { stdout: () => {}, stderr: (t: string) => void process.stderr.write(t) };
const rows: string[][] = [];
for (const d of datasets) {
  for (const family of families) {
    const bundle = join(outDir, `${d.name}-${family}`);
    const preds = join(outDir, `${d.name}-${family}.csv`);
    const t0 = performance.now();
    const fit = await runCli(
      [
        'fit',
        join(dsDir, d.name, 'train.csv'),
        '--target',
        d.target,
        '--task',
        d.task,
        '--model',
        family,
        '--seed',
        values.seed,
        '--out',
        bundle,
        '--no-track',
      ],
      quiet,
    );
    const t1 = performance.now();
    const pred =
      fit === 0
        ? await runCli(['predict', bundle, join(dsDir, d.name, 'test.csv'), '--out', preds], quiet)
        : 2;
    const t2 = performance.now();
    let score = NaN;
    if (pred === 0) {
      const out = execFileSync(values.python, [join(dsDir, 'score.py'), join(dsDir, d.name), preds], {
        encoding: 'utf8',
      });
      score = JSON.parse(out).metrics[d.primary_metric];
    }
    const lin = Number(baselines.get(`${d.name}/sk_linear`)?.[d.primary_metric]);
    const xgb = Number(baselines.get(`${d.name}/xgb_default`)?.[d.primary_metric]);
    const higherBetter = d.primary_metric === 'roc_auc';
    const rel = (ref: number) => (higherBetter ? (score - ref) / ref : (ref - score) / ref);
    const row = [
      d.name,
      family,
      d.primary_metric,
      Number.isFinite(score) ? score.toFixed(4) : 'FAILED',
      lin.toFixed(4),
      `${(100 * rel(lin)).toFixed(1)}%`,
      xgb.toFixed(4),
      `${(100 * rel(xgb)).toFixed(1)}%`,
      ((t1 - t0) / 1000).toFixed(1),
      ((t2 - t1) / 1000).toFixed(1),
    ];
    rows.push(row);
    process.stderr.write(row.join('\t') + '\n');
  }
}
const header = [
  'dataset',
  'family',
  'metric',
  'ours',
  'sk_linear',
  'vs linear',
  'xgb_default',
  'vs xgb',
  'fit s',
  'predict s',
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ');
const text = [fmt(header), ...rows.map(fmt)].join('\n');
console.log(text);
console.log('\n("vs": relative difference, positive = ours better)');
writeFileSync(join(outDir, 'summary.txt'), text + '\n');
