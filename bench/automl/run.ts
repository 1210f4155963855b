/**
 * AutoML benchmark: for every dataset in ../shared/datasets (or $DATASETS_DIR), run the search on
 * train.csv with a wall-clock budget, predict test.csv, score with score.py and print the primary
 * metric beside the xgb_default and xgb_optuna rows of baselines.csv.
 *
 *   npx tsx bench/automl/run.ts [--budget 60] [--datasets a,b] [--seed 42] [--families gbdt,mlp]
 *                                 [--workers N] [--json out.json]
 *
 * --workers N: trials in N worker threads (default cores − 1, at least 1; 0 = in process), as the CLI.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ingestCsv } from '../../src/core/ingest/index.ts';
import { fileSource, nodeHasher } from '../../src/cli/node-io.ts';
import { runSearch } from '../../src/core/search/index.ts';
import { automlExecutor } from '../../src/cli/tracking.ts';
import type { FamilyName } from '../../src/core/train/families.ts';
import type { Task } from '../../src/core/models/types.ts';

const { values } = parseArgs({
  options: {
    budget: { type: 'string', default: '60' },
    datasets: { type: 'string' },
    seed: { type: 'string', default: '42' },
    families: { type: 'string' },
    python: { type: 'string', default: '/usr/bin/python3' },
    json: { type: 'string' },
    workers: { type: 'string' },
  },
});

const root = resolve(import.meta.dirname, '..', '..');
const dsDir = process.env.DATASETS_DIR ?? resolve(root, '..', 'shared', 'datasets');
const outDir = resolve(root, '.bench-out', 'automl');
mkdirSync(outDir, { recursive: true });
const manifest = JSON.parse(readFileSync(join(dsDir, 'datasets.json'), 'utf8')) as {
  name: string;
  target: string;
  task: Task;
  primary_metric: string;
}[];
const wanted = values.datasets?.split(',');
const datasets = manifest.filter((d) => !wanted || wanted.includes(d.name));
const budget = Number(values.budget);
const seed = Number(values.seed);
const families = values.families?.split(',') as FamilyName[] | undefined;

const baselines = new Map<string, Record<string, string>>();
{
  const lines = readFileSync(join(dsDir, 'baselines.csv'), 'utf8').trim().split('\n');
  const header = lines[0].split(',');
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    baselines.set(`${cells[0]}/${cells[3]}`, Object.fromEntries(header.map((h, i) => [h, cells[i]])));
  }
}

const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

interface Row {
  dataset: string;
  metric: string;
  ours: number;
  xgbDefault: number;
  xgbOptuna: number;
  seconds: number;
  trials: number;
  pruned: number;
  kind: string;
  best: string;
  split: string;
}
const rows: Row[] = [];
for (const d of datasets) {
  const train = await ingestCsv(fileSource(join(dsDir, d.name, 'train.csv')), { createHasher: nodeHasher });
  const types = Object.fromEntries(train.schema.map((c) => [c.name, c.type]));
  const t0 = performance.now();
  let ours = NaN;
  let info: Partial<Row>;
  try {
    const result = await runSearch({
      table: train.table,
      target: d.target,
      task: d.task,
      seed,
      timeBudgetSeconds: budget,
      executor: await automlExecutor(values.workers === undefined ? undefined : Number(values.workers)),
      ...(families ? { families } : {}),
    });
    const seconds = (performance.now() - t0) / 1000;
    const test = await ingestCsv(fileSource(join(dsDir, d.name, 'test.csv')), {
      createHasher: nodeHasher,
      typeOverrides: types,
    });
    const pred = result.model.predictTable(test.table);
    const n = test.table.nRows;
    let csv: string;
    if (d.task === 'regression') {
      csv = 'prediction\n' + Array.from(pred, (v) => String(v)).join('\n') + '\n';
    } else {
      const k = result.classes!.length;
      const lines = [result.classes!.map(csvCell).join(',')];
      for (let i = 0; i < n; i++)
        lines.push(Array.from(pred.subarray(i * k, i * k + k), (v) => String(v)).join(','));
      csv = lines.join('\n') + '\n';
    }
    const predFile = join(outDir, `${d.name}.csv`);
    writeFileSync(predFile, csv);
    writeFileSync(
      join(outDir, `${d.name}.manifest.json`),
      JSON.stringify({ manifest: result.manifest, study: result.study.toJSON() }, null, 1),
    );
    const out = execFileSync(values.python, [join(dsDir, 'score.py'), join(dsDir, d.name), predFile], {
      encoding: 'utf8',
    });
    ours = JSON.parse(out).metrics[d.primary_metric];
    const m = result.manifest;
    info = {
      seconds,
      trials: result.trials.length,
      pruned: result.trials.filter((t) => t.state === 'PRUNED').length,
      kind: `${m.final.kind}(${m.final.members.length})`,
      best: `${result.best.family}#${result.best.number}`,
      split: `${m.split.strategy}${m.split.strategy === 'kfold' ? m.split.folds : ''}`,
    };
  } catch (err) {
    process.stderr.write(`${d.name}: ${(err as Error).stack}\n`);
    info = { seconds: (performance.now() - t0) / 1000 };
  }
  const row: Row = {
    dataset: d.name,
    metric: d.primary_metric,
    ours,
    xgbDefault: Number(baselines.get(`${d.name}/xgb_default`)?.[d.primary_metric]),
    xgbOptuna: Number(baselines.get(`${d.name}/xgb_optuna`)?.[d.primary_metric]),
    seconds: info.seconds ?? NaN,
    trials: info.trials ?? 0,
    pruned: info.pruned ?? 0,
    kind: info.kind ?? 'FAILED',
    best: info.best ?? '',
    split: info.split ?? '',
  };
  rows.push(row);
  process.stderr.write(`${JSON.stringify(row)}\n`);
}

const higher = (m: string) => m === 'roc_auc';
/** Goal checks: ≥ xgb_optuna; not worse than xgb_default by > 0.01 AUC or 5% (log loss / RMSE). */
const geOptuna = (r: Row) => (higher(r.metric) ? r.ours >= r.xgbOptuna : r.ours <= r.xgbOptuna);
const okDefault = (r: Row) =>
  higher(r.metric) ? r.ours >= r.xgbDefault - 0.01 : r.ours <= r.xgbDefault * 1.05;
const header = [
  'dataset',
  'metric',
  'ours',
  'xgb_default',
  'xgb_optuna',
  '≥optuna',
  'ok vs default',
  'wall s',
  'trials',
  'pruned',
  'final',
  'best',
  'split',
];
const fmt = (v: number) => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4)) : 'NaN');
const table = rows.map((r) => [
  r.dataset,
  r.metric,
  fmt(r.ours),
  fmt(r.xgbDefault),
  fmt(r.xgbOptuna),
  geOptuna(r) ? 'yes' : 'no',
  okDefault(r) ? 'yes' : 'NO',
  r.seconds.toFixed(1),
  String(r.trials),
  String(r.pruned),
  r.kind,
  r.best,
  r.split,
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ');
console.log([line(header), ...table.map(line)].join('\n'));
const nOpt = rows.filter(geOptuna).length;
const nDef = rows.filter(okDefault).length;
const nTime = rows.filter((r) => r.seconds <= budget * 1.1).length;
console.log(
  `\n≥ xgb_optuna: ${nOpt}/${rows.length}; within tolerance of xgb_default: ${nDef}/${rows.length}; wall ≤ budget+10%: ${nTime}/${rows.length} (budget ${budget} s)`,
);
if (values.json) writeFileSync(values.json, JSON.stringify(rows, null, 1));
