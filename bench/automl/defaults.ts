/**
 * Default GBDT vs XGBoost's defaults (issue 17, "robust defaults"): for every dataset in
 * ../shared/datasets (or $DATASETS_DIR), train the GBDT exactly as `cli fit --model gbdt` does
 * (trainModel: seeded 80/20 holdout, automatic pipeline, refit on all rows), predict test.csv, score
 * with score.py and print the primary metric beside xgb_default of baselines.csv, with the dataset's
 * side of the TUNE / CHECK split (split.ts) and whether it is within the goal's tolerance (0.005 AUC,
 * 3% log loss or RMSE).
 *
 *   npx tsx bench/automl/defaults.ts [--datasets a,b] [--side TUNE|CHECK] [--params '<json>'] [--seed 42]
 *                                    [--json out.json]
 *
 * --params: GBDT config keys over the defaults (to try a candidate default before changing it).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { splitOf } from './split.ts';
import { defaultGbdtTest, loadBaselines, withinTolerance, type DatasetEntry } from './common.ts';

const { values } = parseArgs({
  options: {
    datasets: { type: 'string' },
    side: { type: 'string' },
    params: { type: 'string' },
    seed: { type: 'string', default: '42' },
    python: { type: 'string', default: '/usr/bin/python3' },
    json: { type: 'string' },
  },
});

const root = resolve(import.meta.dirname, '..', '..');
const dsDir = process.env.DATASETS_DIR ?? resolve(root, '..', 'shared', 'datasets');
const outDir = resolve(root, '.bench-out', 'automl-defaults');
mkdirSync(outDir, { recursive: true });
const manifest = JSON.parse(readFileSync(join(dsDir, 'datasets.json'), 'utf8')) as DatasetEntry[];
const wanted = values.datasets?.split(',');
const datasets = manifest.filter(
  (d) => (!wanted || wanted.includes(d.name)) && (!values.side || splitOf(d.name) === values.side),
);
const params = values.params ? (JSON.parse(values.params) as Record<string, unknown>) : undefined;
const baselines = loadBaselines(dsDir);

interface Row {
  dataset: string;
  side: string;
  metric: string;
  ours: number;
  xgbDefault: number;
  ok: boolean;
  seconds: number;
}
const rows: Row[] = [];
for (const d of datasets) {
  const t0 = performance.now();
  let ours = NaN;
  try {
    ours = await defaultGbdtTest(dsDir, d, {
      seed: Number(values.seed),
      python: values.python,
      outDir,
      ...(params ? { params } : {}),
    });
  } catch (err) {
    process.stderr.write(`${d.name}: ${(err as Error).stack}\n`);
  }
  const xgbDefault = baselines.metric(d.name, 'xgb_default', d.primary_metric);
  const row: Row = {
    dataset: d.name,
    side: splitOf(d.name),
    metric: d.primary_metric,
    ours,
    xgbDefault,
    ok: withinTolerance(d.primary_metric, ours, xgbDefault, 0.005, 0.03),
    seconds: (performance.now() - t0) / 1000,
  };
  rows.push(row);
  process.stderr.write(`${JSON.stringify(row)}\n`);
}

const fmt = (v: number) => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4)) : 'NaN');
const delta = (r: Row) =>
  r.metric === 'roc_auc'
    ? (r.ours - r.xgbDefault).toFixed(4)
    : `${((r.ours / r.xgbDefault - 1) * 100).toFixed(1)}%`;
const header = ['dataset', 'side', 'metric', 'gbdt default', 'xgb_default', 'Δ', 'ok', 's'];
const table = rows.map((r) => [
  r.dataset,
  r.side,
  r.metric,
  fmt(r.ours),
  fmt(r.xgbDefault),
  delta(r),
  r.ok ? 'yes' : 'NO',
  r.seconds.toFixed(1),
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ');
console.log([line(header), ...table.map(line)].join('\n'));
for (const side of ['TUNE', 'CHECK']) {
  const s = rows.filter((r) => r.side === side);
  if (s.length)
    console.log(`${side}: within tolerance of xgb_default on ${s.filter((r) => r.ok).length}/${s.length}`);
}
if (values.json) writeFileSync(values.json, JSON.stringify(rows, null, 1));
