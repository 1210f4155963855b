/** Shared by the bench/automl scripts: baselines.csv, predictions for score.py, goal tolerances. */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Task } from '../../src/core/models/types.ts';
import { ingestCsv } from '../../src/core/ingest/index.ts';
import { fileSource, nodeHasher } from '../../src/cli/node-io.ts';
import { trainModel } from '../../src/core/train/train.ts';
import { transformTable } from '../../src/core/pipeline/index.ts';
import type { Table } from '../../src/core/data/table.ts';
import { runSearch } from '../../src/core/search/index.ts';
import type { SearchOptions, SearchResult } from '../../src/core/search/runner.ts';
import { automlExecutor } from '../../src/cli/tracking.ts';

export interface Baselines {
  /** The metric of `system` (xgb_default, xgb_optuna, …) on `dataset`; NaN when absent. */
  metric(dataset: string, system: string, metric: string): number;
}

/** Reads baselines.csv (quoted cells allowed in its last column). */
export function loadBaselines(dsDir: string): Baselines {
  const rows = new Map<string, Record<string, string>>();
  const lines = readFileSync(join(dsDir, 'baselines.csv'), 'utf8').trim().split('\n');
  const header = lines[0].split(',');
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    rows.set(`${cells[0]}/${cells[3]}`, Object.fromEntries(header.map((h, i) => [h, cells[i]])));
  }
  return {
    metric: (dataset, system, metric) => {
      const v = rows.get(`${dataset}/${system}`)?.[metric];
      return v === undefined || v === '' ? NaN : Number(v);
    },
  };
}

const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** The predictions file score.py reads: `prediction` (regression) or one probability column per class. */
export function predictionsCsv(
  task: Task,
  pred: Float64Array,
  n: number,
  classes: readonly string[] | undefined,
): string {
  if (task === 'regression') return 'prediction\n' + Array.from(pred, (v) => String(v)).join('\n') + '\n';
  const k = classes!.length;
  const lines = [classes!.map(csvCell).join(',')];
  for (let i = 0; i < n; i++)
    lines.push(Array.from(pred.subarray(i * k, i * k + k), (v) => String(v)).join(','));
  return lines.join('\n') + '\n';
}

export const higherIsBetter = (metric: string): boolean => metric === 'roc_auc' || metric === 'accuracy';

/** Within `abs` (higher-is-better metrics, e.g. AUC) or `rel` (losses: log loss, RMSE) of `ref`, or better. */
export function withinTolerance(
  metric: string,
  ours: number,
  ref: number,
  abs: number,
  rel: number,
): boolean {
  if (!Number.isFinite(ours) || !Number.isFinite(ref)) return false;
  return higherIsBetter(metric) ? ours >= ref - abs : ours <= ref * (1 + rel);
}

/** ours ≥ ref (or ≤ for losses). */
export function atLeast(metric: string, ours: number, ref: number): boolean {
  return higherIsBetter(metric) ? ours >= ref : ours <= ref;
}

export interface DatasetEntry {
  readonly name: string;
  readonly target: string;
  readonly task: Task;
  readonly primary_metric: string;
}

/** Scores a predictions file with score.py; the primary metric. */
export function scoreFile(python: string, dsDir: string, d: DatasetEntry, predFile: string): number {
  const out = execFileSync(python, [join(dsDir, 'score.py'), join(dsDir, d.name), predFile], {
    encoding: 'utf8',
  });
  return JSON.parse(out).metrics[d.primary_metric] as number;
}

/** A dataset's train.csv, and a reader for its test.csv with the train's column types. */
async function readSplit(
  dsDir: string,
  d: DatasetEntry,
): Promise<{ train: Table; readTest(): Promise<Table> }> {
  const train = await ingestCsv(fileSource(join(dsDir, d.name, 'train.csv')), { createHasher: nodeHasher });
  const typeOverrides = Object.fromEntries(train.schema.map((c) => [c.name, c.type]));
  const testFile = join(dsDir, d.name, 'test.csv');
  return {
    train: train.table,
    readTest: async () =>
      (await ingestCsv(fileSource(testFile), { createHasher: nodeHasher, typeOverrides })).table,
  };
}

/**
 * The default GBDT as `cli fit --model gbdt` trains it (trainModel: seeded 80/20 holdout, automatic
 * pipeline, refit on all rows), scored on test.csv by score.py. `params` go over the defaults.
 */
export async function defaultGbdtTest(
  dsDir: string,
  d: DatasetEntry,
  opts: { seed: number; python: string; outDir: string; params?: Record<string, unknown> },
): Promise<number> {
  const { train, readTest } = await readSplit(dsDir, d);
  const trained = await trainModel({
    table: train,
    target: d.target,
    task: d.task,
    family: 'gbdt',
    seed: opts.seed,
    ...(opts.params ? { params: opts.params } : {}),
  });
  const test = await readTest();
  const pred = trained.model.predict(transformTable(trained.pipeline, test));
  const predFile = join(opts.outDir, `${d.name}.default.csv`);
  writeFileSync(predFile, predictionsCsv(d.task, pred, test.nRows, trained.classes));
  return scoreFile(opts.python, dsDir, d, predFile);
}

/**
 * One search on a dataset's train.csv as the benches run it (the CLI's executor with `workers`, a
 * trial cap or a time budget that counts the CSV read), and its test.csv read with the train's column
 * types. `extra` goes over the options (trial scoring, families, sampler).
 */
export async function searchDataset(
  dsDir: string,
  d: DatasetEntry,
  opts: {
    seed: number;
    budgetSeconds: number;
    maxTrials?: number;
    workers?: number;
    extra?: Partial<SearchOptions>;
  },
): Promise<{ result: SearchResult; test: Table; seconds: number }> {
  const t0 = performance.now();
  const { train, readTest } = await readSplit(dsDir, d);
  const result = await runSearch({
    table: train,
    target: d.target,
    task: d.task,
    seed: opts.seed,
    metric: d.primary_metric,
    ...(opts.maxTrials
      ? { maxTrials: opts.maxTrials }
      : { timeBudgetSeconds: opts.budgetSeconds, startedAt: t0 }),
    executor: await automlExecutor(opts.workers),
    ...opts.extra,
  });
  const seconds = (performance.now() - t0) / 1000;
  return { result, test: await readTest(), seconds };
}
