/**
 * The exported train.py's cluster path (`--scheduler local`, a 2-worker Dask LocalCluster): --train is
 * read with dask.dataframe.read_csv in blocks of --blocksize (here an fsspec `file://` URL in several
 * partitions), the preprocessing statistics are reduced partition by partition and boosted trees train
 * through xgboost.dask. Checked against the pandas path (`--scheduler none`):
 * - the fitted pipeline transforms new rows identically (to 1e-9) for counts, frequencies, target
 *   sums and scaling moments; the median, approximate over Dask, within 2% of the column's spread;
 * - end to end on telco_churn the test-split ROC AUC is within 0.01 and log loss within 5% of the
 *   pandas path's (xgboost.dask builds its histograms per worker, so trees differ slightly);
 * - a family with no distributed trainer (a linear model on penguins) has its features collected from
 *   the partitions, in order, and predicts as the pandas path does; --predict is read, predicted and
 *   written block by block, in the file's order, and scored on all its rows.
 * Kept light (1,500 generated rows, telco_churn in 2 partitions) so the three cases stay well inside their
 * limits on a loaded machine. Requires python3 with pandas, xgboost, dask.dataframe and distributed:
 * fails, naming them, without.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TRAIN_PY } from '../../src/core/export/python/train-py.ts';
import { cli } from '../helpers/cli.ts';
import { datasetFile } from '../helpers/paths.ts';
import { PY, scoreTestSplit } from '../helpers/python-export.ts';

const dir = mkdtempSync(join(tmpdir(), 'export-py-cluster-'));

function requireDask(): void {
  try {
    execFileSync(PY, ['-c', 'import pandas, xgboost, xgboost.dask, dask.dataframe, distributed'], {
      stdio: 'ignore',
    });
  } catch {
    throw new Error(
      `${PY} cannot import pandas, xgboost.dask, dask.dataframe and distributed: install python3-pandas, ` +
        'python3-xgboost, python3-dask and python3-distributed to test the cluster path',
    );
  }
}

/** A seeded CSV: numbers with gaps, a few and many labels, unseen labels in the new rows, a 0/1 target. */
function makeCsv(rows: number, seed: number, unseen: boolean): string {
  let s = seed >>> 0;
  const rand = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const colors = ['red', 'green', 'blue', 'teal', 'plum'];
  const out = ['id,x,n2,color,city,shape,y'];
  for (let i = 0; i < rows; i++) {
    const x = rand() < 0.1 ? '' : (rand() * 100 - 20).toFixed(3);
    const n2 = rand() < 0.05 ? 'NA' : (rand() * 5).toFixed(2);
    const color = rand() < 0.08 ? 'NA' : colors[Math.floor(rand() ** 2 * colors.length)]!;
    const city = unseen && rand() < 0.2 ? 'nowhere' : `c${Math.floor(rand() * 30)}`;
    const shape = unseen && rand() < 0.2 ? 'hexagon' : ['round', 'square', 'oval'][Math.floor(rand() * 3)]!;
    const y = rand() < 0.3 + (color === 'red' ? 0.4 : 0) + (shape === 'oval' ? 0.2 : 0) ? 1 : 0;
    out.push([`r${i}`, x, n2, color, city, shape, y].join(','));
  }
  return out.join('\n') + '\n';
}

const STEPS = [
  { kind: 'drop', columns: ['id'] },
  { kind: 'impute', columns: ['x'], config: { strategy: 'median', addIndicator: true } },
  { kind: 'impute', columns: ['n2', 'color'], config: { strategy: 'mean' } },
  { kind: 'one_hot', columns: ['color'], config: { maxCategories: 3 } },
  { kind: 'frequency_encode', columns: ['city'] },
  { kind: 'target_encode', columns: ['shape'], config: { smoothing: 5 } },
  { kind: 'standard_scale', columns: ['n2'] },
];

describe('train.py on a Dask cluster (partitioned reading, partition-wise statistics, xgboost.dask)', () => {
  it('fits the pipeline partition by partition as pandas fits it whole (the median approximately)', () => {
    requireDask();
    writeFileSync(join(dir, 'train.py'), TRAIN_PY);
    writeFileSync(join(dir, 'train.csv'), makeCsv(1500, 7, false));
    writeFileSync(join(dir, 'new.csv'), makeCsv(200, 99, true));
    const inputs = [
      ['id', 'id'],
      ['x', 'numeric'],
      ['n2', 'numeric'],
      ['color', 'categorical'],
      ['city', 'categorical'],
      ['shape', 'categorical'],
    ].map(([name, type]) => ({ name, type }));
    const settings = { target: 'y', task: 'binary', classes: ['0', '1'], seed: 42, inputs, steps: STEPS };
    writeFileSync(join(dir, 'settings.json'), JSON.stringify(settings));
    const script = [
      'import json, sys',
      `sys.path.insert(0, ${JSON.stringify(dir)})`,
      'import numpy as np',
      'import train as t',
      `s = json.load(open(${JSON.stringify(join(dir, 'settings.json'))}))`,
      `new, _ = t.read_table(${JSON.stringify(join(dir, 'new.csv'))}, s, need_target=False)`,
      `df, y = t.read_table(${JSON.stringify(join(dir, 'train.csv'))}, s, need_target=True)`,
      'states, layout, _ = t.fit_pipeline(df, y, s)',
      'local = t.transform(new, states, layout, s)',
      'with t.dask_client("local") as client:',
      `    ddf, dy = t.read_partitioned(${JSON.stringify(pathToFileURL(join(dir, 'train.csv')).href)}, s, "16kB")`,
      '    dstates, dlayout, dX = t.fit_pipeline(ddf, dy, s)',
      '    rows = t.n_rows(dX)',
      '    cluster = t.transform(new, dstates, dlayout, s)',
      'print(json.dumps({"partitions": ddf.npartitions, "rows": rows, "train_rows": len(df),',
      '  "medians": [states[1]["fills"]["x"], dstates[1]["fills"]["x"]], "spread": float(np.ptp(df["x"].dropna())),',
      '  "columns": [list(local.columns), list(cluster.columns)],',
      '  "diff": {c: float(np.nanmax(np.abs(local[c].to_numpy(float) - cluster[c].to_numpy(float)))) for c in local.columns},',
      '  "nan_same": all(bool((local[c].isna() == cluster[c].isna()).all()) for c in local.columns)}))',
    ].join('\n');
    const r = JSON.parse(
      execFileSync(PY, ['-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    ) as {
      partitions: number;
      rows: number;
      train_rows: number;
      medians: [number, number];
      spread: number;
      columns: [string[], string[]];
      diff: Record<string, number>;
      nan_same: boolean;
    };
    expect(r.partitions).toBeGreaterThan(2); // ~45 kB in 16 kB blocks
    expect(r.rows).toBe(r.train_rows);
    expect(r.columns[1]).toEqual(r.columns[0]);
    expect(r.columns[0]).toEqual(
      expect.arrayContaining(['x__missing', 'color=(other)', 'city', 'shape__te', 'n2']),
    );
    expect(r.nan_same).toBe(true);
    expect(
      Math.abs(r.medians[1] - r.medians[0]),
      `median ${r.medians[1]} vs ${r.medians[0]}`,
    ).toBeLessThanOrEqual(0.02 * r.spread);
    for (const [column, d] of Object.entries(r.diff)) {
      if (column === 'x') continue; // filled with the median
      expect(d, column).toBeLessThanOrEqual(1e-9);
    }
  }, 120_000);

  it('trains from a file:// URL in several partitions and scores as the pandas path does on telco_churn', async () => {
    requireDask();
    const bundle = join(dir, 'telco.bundle');
    const fit = await cli([
      'fit',
      datasetFile('telco_churn'),
      '--target',
      'churn',
      '--out',
      bundle,
      '--no-track',
    ]);
    expect(fit.code, fit.err).toBe(0);
    const project = join(dir, 'telco.project');
    const exp = await cli(['export', bundle, '--format', 'python', '--out', project]);
    expect(exp.code, exp.err).toBe(0);
    expect(readFileSync(join(project, 'README.md'), 'utf8')).toContain('--blocksize');
    const run = (scheduler: string, train: string) => {
      const out = join(dir, `telco.${scheduler}.csv`);
      const log = execFileSync(
        PY,
        [
          join(project, 'train.py'),
          ...['--train', train, '--predict', datasetFile('telco_churn', 'test.csv'), '--out', out],
          ...['--scheduler', scheduler, '--blocksize', '250kB', '--no-mlflow'],
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
      );
      return { log, scores: scoreTestSplit('telco_churn', out) };
    };
    const pandas = run('none', datasetFile('telco_churn'));
    const dask = run('local', pathToFileURL(datasetFile('telco_churn')).href);
    const parts = /in (\d+) partition\(s\) of at most 250kB/.exec(dask.log);
    expect(parts, dask.log).not.toBeNull();
    expect(Number(parts![1])).toBeGreaterThan(1);
    expect(dask.log).toContain('scheduler local');
    expect(pandas.log).not.toContain('partition');
    const [a, b] = [dask.scores, pandas.scores];
    expect(Math.abs(a.roc_auc! - b.roc_auc!), `AUC ${a.roc_auc} vs ${b.roc_auc}`).toBeLessThanOrEqual(0.01);
    expect(
      Math.abs(a.log_loss! - b.log_loss!),
      `log loss ${a.log_loss} vs ${b.log_loss}`,
    ).toBeLessThanOrEqual(0.05 * b.log_loss!);
  }, 180_000);

  it('collects the partitions for a family with no distributed trainer (linear, penguins); predicts by blocks, in order, as pandas', async () => {
    requireDask();
    const bundle = join(dir, 'penguins-linear.bundle');
    const fit = await cli([
      'fit',
      datasetFile('penguins'),
      '--target',
      'species',
      '--model',
      'linear',
      '--out',
      bundle,
      '--no-track',
    ]);
    expect(fit.code, fit.err).toBe(0);
    const project = join(dir, 'penguins-linear.project');
    const exp = await cli(['export', bundle, '--format', 'python', '--out', project]);
    expect(exp.code, exp.err).toBe(0);
    const run = (scheduler: string) => {
      const out = join(dir, `penguins-linear.${scheduler}.csv`);
      const log = execFileSync(
        PY,
        [
          join(project, 'train.py'),
          ...['--train', datasetFile('penguins'), '--predict', datasetFile('penguins', 'test.csv')],
          ...['--out', out, '--scheduler', scheduler, '--blocksize', '1kB', '--no-mlflow'],
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const rows = readFileSync(out, 'utf8').trim().split('\n');
      return { log, rows: rows.slice(1).map((r) => r.split(',')) };
    };
    const pandas = run('none');
    const dask = run('local');
    expect(Number(/in (\d+) partition\(s\)/.exec(dask.log)?.[1])).toBeGreaterThan(2);
    expect(dask.log).toContain('collecting the features for the linear model');
    expect(Number(/predicted in (\d+) block\(s\)/.exec(dask.log)?.[1])).toBeGreaterThan(1);
    expect(pandas.log).not.toContain('block');
    for (const log of [pandas.log, dask.log]) expect(log).toContain(`scored ${pandas.rows.length} rows`);
    expect(dask.rows.length).toBe(pandas.rows.length);
    // the same labels row by row; probabilities close (the impute median is approximate over Dask)
    expect(dask.rows.map((r) => r.at(-1))).toEqual(pandas.rows.map((r) => r.at(-1)));
    let worst = 0;
    dask.rows.forEach((r, i) =>
      r
        .slice(0, -1)
        .forEach((v, j) => (worst = Math.max(worst, Math.abs(Number(v) - Number(pandas.rows[i]![j]))))),
    );
    expect(worst).toBeLessThan(0.02);
  }, 300_000);
});
