/**
 * Is CBPE's error on a dataset noise or bias? For each seed, the dataset's train and test rows are
 * pooled and split at random (80/20); a gbdt is fitted on the 80% (as `cli fit --model gbdt`), its
 * bundle's calibration map is the one monitoring uses, and the 20% is the batch: the error is CBPE's
 * estimate minus the realized metric. Over independent splits an unbiased estimate has mean error
 * ≈ 0 within ~2 standard errors of the mean (sd / √seeds).
 *
 *   npx tsx bench/monitor/cbpe-bias.ts [--datasets stackoverflow] [--seeds 10] [--no-refit]
 * --no-refit: the model is the validation fit itself, whose holdout predictions the calibration map
 * was fitted on (without it, the final model is refitted on all rows, as the CLI does).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ingestCsv } from '../../src/core/ingest/ingest.ts';
import { bytesSource } from '../../src/core/ingest/index.ts';
import { trainModel } from '../../src/core/train/train.ts';
import { createBundleFiles, loadBundle, predictTable } from '../../src/core/export/bundle.ts';
import { columnByName, type Table } from '../../src/core/data/table.ts';
import { targetValues, predictedLabels } from '../../src/core/monitor/monitor-batch.ts';
import { actualPerformance, estimatedPerformance } from '../../src/core/monitor/performance.ts';
import { createRng } from '../../src/core/util/random.ts';

const { values } = parseArgs({
  options: {
    datasets: { type: 'string', default: 'stackoverflow' },
    seeds: { type: 'string', default: '10' },
    'no-refit': { type: 'boolean', default: false },
  },
});
const root = resolve(import.meta.dirname, '..', '..');
const dsDir = process.env.DATASETS_DIR ?? resolve(root, '..', 'shared', 'datasets');
const all = JSON.parse(readFileSync(join(dsDir, 'datasets.json'), 'utf8')) as {
  name: string;
  target: string;
  task: string;
}[];
const env = {
  app: { name: 'automl-studio', version: 'bench', commit: 'bench' },
  runtime: 'node',
  libraries: {},
  backend: { name: 'cpu', reason: 'trees' },
  createdAt: '2026-01-01T00:00:00.000Z',
};

async function tableOf(name: string, lines: string[]): Promise<Table> {
  return (await ingestCsv(bytesSource(name, new TextEncoder().encode(lines.join('\n') + '\n')))).table;
}

function meanSe(x: number[]): { mean: number; se: number } {
  const mean = x.reduce((s, v) => s + v, 0) / x.length;
  const sd = Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / (x.length - 1));
  return { mean, se: sd / Math.sqrt(x.length) };
}

const fmt = (v: number) => (v >= 0 ? '+' : '') + v.toFixed(4);
console.log(
  '| dataset | seeds | batch rows | AUC error mean ± SE | mean/SE | mean |AUC error| | accuracy error mean ± SE | mean/SE |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const d of all.filter((x) => x.task === 'binary' && values.datasets!.split(',').includes(x.name))) {
  const text = (f: string) =>
    readFileSync(join(dsDir, d.name, f), 'utf8')
      .trim()
      .split('\n');
  const train = text('train.csv');
  const header = train[0]!;
  const rows = [...train.slice(1), ...text('test.csv').slice(1)];
  const auc: number[] = [];
  const acc: number[] = [];
  let batchRows = 0;
  for (let s = 1; s <= Number(values.seeds); s++) {
    const rng = createRng(1000 + s);
    const order = rows.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const cut = Math.round(0.8 * rows.length);
    const fitT = await tableOf('fit.csv', [header, ...order.slice(0, cut).map((i) => rows[i]!)]);
    const batch = await tableOf('batch.csv', [header, ...order.slice(cut).map((i) => rows[i]!)]);
    batchRows = batch.nRows;
    const trained = await trainModel({
      table: fitT,
      target: d.target,
      task: 'binary',
      family: 'gbdt',
      seed: s,
      ...(values['no-refit'] ? { refit: false } : {}),
    });
    const ds = {
      name: 'fit.csv',
      fingerprint: {
        sha256: 'a'.repeat(64),
        bytes: 1,
        rows: fitT.nRows,
        columns: fitT.columns.length,
        schemaHash: 'b'.repeat(64),
      },
      schema: fitT.columns.map((c, index) => ({
        name: c.name,
        originalName: c.name,
        index,
        type: c.type,
        inferredType: c.type,
        overridden: false,
      })) as never,
    };
    const bundle = loadBundle(createBundleFiles(trained, ds, env, { table: fitT }));
    const p = predictTable(bundle, batch);
    const { y } = targetValues(bundle, columnByName(batch, d.target)!);
    const labels = predictedLabels(bundle, p)!;
    const actual = actualPerformance('binary', y, p.values, 2, 'roc_auc', {}, labels);
    const est = estimatedPerformance(
      'binary',
      p.values,
      p.nRows,
      2,
      {},
      {
        calibration: bundle.reference!.calibration!,
        predicted: labels,
      },
    );
    const v = (r: { metrics: readonly { metric: string; value: number }[] }, m: string) =>
      r.metrics.find((x) => x.metric === m)!.value;
    auc.push(v(est, 'roc_auc') - v(actual, 'roc_auc'));
    acc.push(v(est, 'accuracy') - v(actual, 'accuracy'));
    process.stderr.write(
      `${d.name} seed ${s}: AUC error ${fmt(auc.at(-1)!)}, accuracy error ${fmt(acc.at(-1)!)}\n`,
    );
  }
  const a = meanSe(auc);
  const c = meanSe(acc);
  const absMean = auc.reduce((sum, e) => sum + Math.abs(e), 0) / auc.length;
  console.log(
    `| ${d.name} | ${auc.length} | ${batchRows} | ${fmt(a.mean)} ± ${a.se.toFixed(4)} | ${(a.mean / a.se).toFixed(2)} | ${absMean.toFixed(4)} | ${fmt(c.mean)} ± ${c.se.toFixed(4)} | ${(c.mean / c.se).toFixed(2)} |`,
  );
}
