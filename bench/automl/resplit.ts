/**
 * Is a gap between the default GBDT and `xgb_default` on one small test split a property of the
 * models or of the split? (issue 17: glass, 43 test rows.) For numeric-only datasets: train.csv and
 * test.csv are pooled and re-split `--repeats` times (seeded 80/20 holdouts, stratified for
 * classification); on each split the default GBDT is trained exactly as `cli fit --model gbdt` does
 * (trainModel: 80/20 holdout, automatic pipeline, refit on all of the split's training rows) and
 * XGBoost 1.7 (Debian's python3-xgboost under /usr/bin/python3) trains its defaults — 100 rounds,
 * learning rate 0.3, depth 6 — with `tree_method='hist'` (what reproduces baselines.csv's
 * xgb_default) and `'exact'`, on the same rows. Prints each system's mean primary metric over the
 * splits, the paired difference to XGBoost hist (mean and standard error; relative for log loss and
 * RMSE) and the same on the dataset's own split.
 *
 *   npx tsx bench/automl/resplit.ts [--datasets glass,wine] [--repeats 40] [--seed 42]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ingestCsv } from '../../src/core/ingest/index.ts';
import { fileSource, nodeHasher } from '../../src/cli/node-io.ts';
import { takeRows } from '../../src/core/data/select.ts';
import { holdoutPlan, foldIndices } from '../../src/core/metrics/index.ts';
import { transformTable } from '../../src/core/pipeline/index.ts';
import { trainModel } from '../../src/core/train/train.ts';
import { encodeTarget } from '../../src/core/train/target.ts';
import { splitOf } from './split.ts';
import type { DatasetEntry } from './common.ts';

const { values } = parseArgs({
  options: {
    datasets: { type: 'string', default: 'glass' },
    repeats: { type: 'string', default: '40' },
    seed: { type: 'string', default: '42' },
    python: { type: 'string', default: '/usr/bin/python3' },
  },
});
const root = resolve(import.meta.dirname, '..', '..');
const dsDir = process.env.DATASETS_DIR ?? resolve(root, '..', 'shared', 'datasets');
const outDir = resolve(root, '.bench-out', 'automl-resplit');
mkdirSync(outDir, { recursive: true });
const manifest = JSON.parse(readFileSync(join(dsDir, 'datasets.json'), 'utf8')) as (DatasetEntry & {
  n_categorical?: number;
  date_columns?: string[];
  text_columns?: string[];
})[];
const repeats = Number(values.repeats);
const seed = Number(values.seed);

/** XGBoost on the same splits; prints JSON {system: [score per split]} (split 0 = the dataset's own). */
const PY = String.raw`
import sys, json, numpy as np, pandas as pd, xgboost as xgb
job = json.load(open(sys.argv[1]))
df = pd.read_csv(job['csv'])
y_raw = df[job['target']]
X = df.drop(columns=[job['target']]).astype(float).values
task = job['task']
if task == 'regression':
    y = y_raw.astype(float).values
else:
    labels = job['classes']
    y = y_raw.astype(str).map({c: i for i, c in enumerate(labels)}).values
K = len(job['classes']) if task != 'regression' else 1
def score(yt, p):
    if task == 'regression':
        return float(np.sqrt(np.mean((yt - p) ** 2)))
    P = p.reshape(len(yt), K)
    if task == 'binary':
        s = P[:, 1]; pos = yt == 1; o = np.argsort(s, kind='mergesort'); r = np.empty(len(s)); r[o] = np.arange(1, len(s) + 1)
        # ties: average ranks
        for v in np.unique(s):
            m = s == v
            if m.sum() > 1: r[m] = r[m].mean()
        n1 = pos.sum(); n0 = len(s) - n1
        return float((r[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))
    P = np.clip(P, 1e-15, 1 - 1e-15); P = P / P.sum(1, keepdims=True)
    return float(-np.mean(np.log(P[np.arange(len(yt)), yt])))
out = {}
for method in ['hist', 'exact']:
    scores = []
    for s in job['splits']:
        tr, te = np.array(s['train']), np.array(s['test'])
        params = dict(tree_method=method, verbosity=0, nthread=1)
        if task == 'multiclass': params.update(objective='multi:softprob', num_class=K)
        elif task == 'binary': params.update(objective='binary:logistic')
        else: params.update(objective='reg:squarederror')
        b = xgb.train(params, xgb.DMatrix(X[tr], label=y[tr]), 100)
        p = b.predict(xgb.DMatrix(X[te]))
        if task == 'binary': p = np.stack([1 - p, p], 1).ravel()
        scores.append(score(y[te], p))
    out['xgb ' + method] = scores
print(json.dumps(out))
`;

for (const d of manifest.filter((m) => values.datasets!.split(',').includes(m.name))) {
  if ((d.n_categorical ?? 0) > 0 || (d.date_columns?.length ?? 0) > 0 || (d.text_columns?.length ?? 0) > 0) {
    console.log(`${d.name}: skipped (not numeric-only)`);
    continue;
  }
  // Pooled rows: train.csv then test.csv (the dataset's own split is rows [0, nTrain) / the rest).
  const trainText = readFileSync(join(dsDir, d.name, 'train.csv'), 'utf8');
  const testText = readFileSync(join(dsDir, d.name, 'test.csv'), 'utf8');
  const pooledPath = join(outDir, `${d.name}.pooled.csv`);
  writeFileSync(pooledPath, trainText.replace(/\n?$/, '\n') + testText.slice(testText.indexOf('\n') + 1));
  const pooled = await ingestCsv(fileSource(pooledPath), { createHasher: nodeHasher });
  const table = pooled.table;
  const enc = encodeTarget(table, d.target, d.task);
  if (enc.rows.length !== table.nRows) throw new Error(`${d.name}: rows without a target`);
  const nTrain = trainText.trim().split('\n').length - 1;
  const splits: { train: number[]; test: number[] }[] = [
    {
      train: Array.from({ length: nTrain }, (_, i) => i),
      test: Array.from({ length: table.nRows - nTrain }, (_, i) => nTrain + i),
    },
  ];
  for (let r = 0; r < repeats; r++) {
    const plan = holdoutPlan(table.nRows, 0.2, 1000 + r, d.task === 'regression' ? undefined : enc.y);
    const { train, valid } = foldIndices(plan, 0);
    splits.push({ train: Array.from(train), test: Array.from(valid) });
  }
  const ours: number[] = [];
  const jobPath = join(outDir, `${d.name}.job.json`);
  const oursPreds: number[][] = [];
  for (const s of splits) {
    const trained = await trainModel({
      table: takeRows(table, Int32Array.from(s.train)),
      target: d.target,
      task: d.task,
      family: 'gbdt',
      seed,
    });
    const pred = trained.model.predict(
      transformTable(trained.pipeline, takeRows(table, Int32Array.from(s.test))),
    );
    oursPreds.push(Array.from(pred));
    if (trained.classes && JSON.stringify(trained.classes) !== JSON.stringify(enc.classes))
      throw new Error(`${d.name}: a split lost a class`);
  }
  writeFileSync(
    jobPath,
    JSON.stringify({ csv: pooledPath, target: d.target, task: d.task, classes: enc.classes ?? [], splits }),
  );
  const xgbScores = JSON.parse(
    execFileSync(values.python!, ['-c', PY, jobPath], { encoding: 'utf8', maxBuffer: 1 << 26 }),
  ) as Record<string, number[]>;
  // Our scores by the same formulas as the Python side (y as class indices).
  const k = enc.classes?.length ?? 1;
  splits.forEach((s, i) =>
    ours.push(
      scoreOf(
        d.task,
        s.test.map((r) => enc.y[r]),
        oursPreds[i],
        k,
      ),
    ),
  );
  const systems: Record<string, number[]> = { 'gbdt default (fit)': ours, ...xgbScores };
  const ref = systems['xgb hist'];
  const auc = d.primary_metric === 'roc_auc';
  const diff = (a: number, b: number) => (auc ? a - b : (a / b - 1) * 100);
  const unit = auc ? '' : '%';
  console.log(
    `\n${d.name} (${splitOf(d.name)}, ${d.primary_metric}, ${table.nRows} rows; ${repeats} resplits, seed ${seed})`,
  );
  console.log(
    'system              own split  Δ vs xgb hist   resplits: mean   paired Δ vs xgb hist (mean ± se)',
  );
  for (const [name, sc] of Object.entries(systems)) {
    const rest = sc.slice(1);
    const mean = rest.reduce((a, b) => a + b, 0) / rest.length;
    const ds = rest.map((v, i) => diff(v, ref[i + 1]));
    const dm = ds.reduce((a, b) => a + b, 0) / ds.length;
    const se = Math.sqrt(ds.reduce((a, b) => a + (b - dm) ** 2, 0) / (ds.length - 1) / ds.length);
    console.log(
      `${name.padEnd(19)} ${sc[0].toFixed(4).padStart(9)}  ${(diff(sc[0], ref[0]).toFixed(auc ? 4 : 1) + unit).padStart(12)}   ${mean.toFixed(4).padStart(14)}   ${dm.toFixed(auc ? 4 : 2)}${unit} ± ${se.toFixed(auc ? 4 : 2)}${unit}`,
    );
  }
}

function scoreOf(task: string, y: number[], p: number[], k: number): number {
  const n = y.length;
  if (task === 'regression') return Math.sqrt(y.reduce((a, v, i) => a + (v - p[i]) ** 2, 0) / n);
  if (task === 'binary') {
    // Mann–Whitney AUC with average ranks for ties.
    const s = y.map((_, i) => p[2 * i + 1]);
    const o = s.map((_, i) => i).sort((a, b) => s[a] - s[b]);
    const rank = new Float64Array(n);
    for (let i = 0; i < n;) {
      let j = i;
      while (j + 1 < n && s[o[j + 1]] === s[o[i]]) j++;
      for (let t = i; t <= j; t++) rank[o[t]] = (i + j) / 2 + 1;
      i = j + 1;
    }
    const n1 = y.filter((v) => v === 1).length;
    const r1 = y.reduce((a, v, i) => a + (v === 1 ? rank[i] : 0), 0);
    return (r1 - (n1 * (n1 + 1)) / 2) / (n1 * (n - n1));
  }
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.min(1 - 1e-15, Math.max(1e-15, p[i * k + c]));
    loss -= Math.log(Math.min(1 - 1e-15, Math.max(1e-15, p[i * k + y[i]])) / sum);
  }
  return loss / n;
}
