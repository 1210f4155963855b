/**
 * AutoML benchmark (issue 17): for every dataset in ../shared/datasets (or $DATASETS_DIR), marked TUNE
 * or CHECK (split.ts): the test metric of the default GBDT (as `cli fit --model gbdt`), of a search
 * with a wall-clock budget (per seed; mean and spread), xgb_default and xgb_optuna from baselines.csv,
 * the trials run, the search's cross-validated estimate of its final model (out-of-fold or holdout
 * metric of the chosen combination) and its optimism, CV estimate − test for AUC (test − CV estimate
 * for log loss / RMSE, so that positive is optimistic in both). Predictions are scored by score.py.
 *
 *   npx tsx bench/automl/run.ts [--budget 60] [--seeds 42,43,44] [--datasets a,b] [--side TUNE|CHECK]
 *                                 [--families gbdt,mlp] [--workers N] [--no-defaults] [--json out.json]
 *                                 [--trial-scoring no-peek|own-fold] [--max-trials N]
 *                                 [--sampler portfolio|frugal|tpe|random]
 *
 * --max-trials N: a trial cap instead of the time budget (the same trials whatever the machine's
 * load; with --trial-scoring it isolates the scoring rule's effect on the optimism). *
 * --trial-scoring own-fold: score boosted trials at each fold's own early-stopping round (as before
 * issue 17), to compare the optimism of the two rules. *
 * --workers N: trials in N worker threads (default cores − 1, at least 1; 0 = in process), as the CLI.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { TrialScoring } from '../../src/core/search/runner.ts';
import { evaluate } from '../../src/core/metrics/index.ts';
import type { FamilyName } from '../../src/core/train/families.ts';
import { splitOf } from './split.ts';
import {
  atLeast,
  defaultGbdtTest,
  higherIsBetter,
  loadBaselines,
  predictionsCsv,
  scoreFile,
  searchDataset,
  withinTolerance,
  type DatasetEntry,
} from './common.ts';

const { values } = parseArgs({
  options: {
    budget: { type: 'string', default: '60' },
    datasets: { type: 'string' },
    side: { type: 'string' },
    seed: { type: 'string' },
    seeds: { type: 'string', default: '42' },
    families: { type: 'string' },
    python: { type: 'string', default: '/usr/bin/python3' },
    json: { type: 'string' },
    workers: { type: 'string' },
    'no-defaults': { type: 'boolean', default: false },
    'trial-scoring': { type: 'string', default: 'no-peek' },
    'max-trials': { type: 'string' },
    sampler: { type: 'string' },
  },
});

const root = resolve(import.meta.dirname, '..', '..');
const dsDir = process.env.DATASETS_DIR ?? resolve(root, '..', 'shared', 'datasets');
const outDir = resolve(root, '.bench-out', 'automl');
mkdirSync(outDir, { recursive: true });
const manifest = JSON.parse(readFileSync(join(dsDir, 'datasets.json'), 'utf8')) as DatasetEntry[];
const wanted = values.datasets?.split(',');
const datasets = manifest.filter(
  (d) => (!wanted || wanted.includes(d.name)) && (!values.side || splitOf(d.name) === values.side),
);
const budget = Number(values.budget);
const seeds = (values.seed ?? values.seeds).split(',').map(Number);
const families = values.families?.split(',') as FamilyName[] | undefined;
const baselines = loadBaselines(dsDir);

interface SeedRun {
  seed: number;
  test: number;
  cv: number;
  /** The search's nested-selection estimate (manifest `ensemble.estimate`), when it made one. */
  nested?: number;
  seconds: number;
  trials: number;
  pruned: number;
  kind: string;
  best: string;
  split: string;
}
interface Row {
  dataset: string;
  side: string;
  metric: string;
  gbdtDefault: number;
  runs: SeedRun[];
  xgbDefault: number;
  xgbOptuna: number;
}

async function searchOnce(d: DatasetEntry, seed: number): Promise<SeedRun> {
  const { result, test, seconds } = await searchDataset(dsDir, d, {
    seed,
    budgetSeconds: budget,
    ...(values['max-trials'] ? { maxTrials: Number(values['max-trials']) } : {}),
    ...(values.workers === undefined ? {} : { workers: Number(values.workers) }),
    extra: {
      trialScoring: values['trial-scoring'] as TrialScoring,
      ...(families ? { families } : {}),
      ...(values.sampler ? { sampler: values.sampler } : {}),
    },
  });
  const pred = result.model.predictTable(test);
  const predFile = join(outDir, `${d.name}.${seed}.csv`);
  writeFileSync(predFile, predictionsCsv(d.task, pred, test.nRows, result.classes));
  writeFileSync(
    join(outDir, `${d.name}.${seed}.manifest.json`),
    JSON.stringify({ manifest: result.manifest, study: result.study.toJSON() }, null, 1),
  );
  const v = result.validation;
  const cv = evaluate(d.task, v.y, v.pred, result.classes?.length ?? 1)[d.primary_metric];
  const m = result.manifest;
  return {
    seed,
    test: scoreFile(values.python, dsDir, d, predFile),
    cv,
    ...(m.ensemble.estimate ? { nested: m.ensemble.estimate.score } : {}),
    seconds,
    trials: result.trials.length,
    pruned: result.trials.filter((t) => t.state === 'PRUNED').length,
    kind: `${m.final.kind}(${m.final.members.length})`,
    best: `${result.best.family}#${result.best.number}`,
    split: `${m.split.strategy}${m.split.strategy === 'kfold' ? m.split.folds : ''}`,
  };
}

const rows: Row[] = [];
for (const d of datasets) {
  let gbdtDefault = NaN;
  if (!values['no-defaults']) {
    try {
      gbdtDefault = await defaultGbdtTest(dsDir, d, { seed: 42, python: values.python, outDir });
    } catch (err) {
      process.stderr.write(`${d.name} default gbdt: ${(err as Error).stack}\n`);
    }
  }
  const runs: SeedRun[] = [];
  for (const seed of seeds) {
    try {
      runs.push(await searchOnce(d, seed));
    } catch (err) {
      process.stderr.write(`${d.name} seed ${seed}: ${(err as Error).stack}\n`);
    }
  }
  const row: Row = {
    dataset: d.name,
    side: splitOf(d.name),
    metric: d.primary_metric,
    gbdtDefault,
    runs,
    xgbDefault: baselines.metric(d.name, 'xgb_default', d.primary_metric),
    xgbOptuna: baselines.metric(d.name, 'xgb_optuna', d.primary_metric),
  };
  rows.push(row);
  process.stderr.write(`${JSON.stringify(row)}\n`);
}

const mean = (a: number[]) => (a.length ? a.reduce((s, v) => s + v, 0) / a.length : NaN);
const spread = (a: number[]) => (a.length > 1 ? Math.max(...a) - Math.min(...a) : 0);
const testOf = (r: Row) => mean(r.runs.map((x) => x.test));
/** Positive = the CV estimate was better than the test score. */
const optimism = (metric: string, run: SeedRun) =>
  higherIsBetter(metric) ? run.cv - run.test : run.test - run.cv;
/** The same for the nested-selection estimate, where the search made one (else its plain estimate). */
const nestedOptimism = (metric: string, run: SeedRun) =>
  optimism(metric, { ...run, cv: run.nested ?? run.cv });
const fmt = (v: number) => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4)) : 'NaN');
const header = [
  'dataset',
  'side',
  'metric',
  'gbdt default',
  'search',
  '± (range)',
  'xgb_default',
  'xgb_optuna',
  '≥optuna',
  'ok vs default',
  'trials',
  'cv est',
  'optimism',
  'nested est',
  'nested opt.',
  'wall s',
  'final',
  'split',
];
const table = rows.map((r) => {
  const t = testOf(r);
  return [
    r.dataset,
    r.side,
    r.metric,
    fmt(r.gbdtDefault),
    fmt(t),
    fmt(spread(r.runs.map((x) => x.test))),
    fmt(r.xgbDefault),
    fmt(r.xgbOptuna),
    Number.isFinite(t) ? (atLeast(r.metric, t, r.xgbOptuna) ? 'yes' : 'no') : '-',
    Number.isFinite(t) ? (withinTolerance(r.metric, t, r.xgbDefault, 0.01, 0.05) ? 'yes' : 'NO') : '-',
    r.runs.map((x) => x.trials).join('/'),
    fmt(mean(r.runs.map((x) => x.cv))),
    fmt(mean(r.runs.map((x) => optimism(r.metric, x)))),
    r.runs.some((x) => x.nested !== undefined) ? fmt(mean(r.runs.map((x) => x.nested ?? x.cv))) : '-',
    fmt(mean(r.runs.map((x) => nestedOptimism(r.metric, x)))),
    r.runs.map((x) => x.seconds.toFixed(1)).join('/'),
    r.runs.map((x) => x.kind).join('/'),
    r.runs[0]?.split ?? '',
  ];
});
const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ');
console.log([line(header), ...table.map(line)].join('\n'));
for (const side of ['TUNE', 'CHECK', 'all']) {
  const s = rows.filter((r) => (side === 'all' || r.side === side) && r.runs.length);
  if (!s.length) continue;
  const nOpt = s.filter((r) => atLeast(r.metric, testOf(r), r.xgbOptuna)).length;
  const nDef = s.filter((r) => withinTolerance(r.metric, testOf(r), r.xgbDefault, 0.01, 0.05)).length;
  const nBeat = s.filter((r) => atLeast(r.metric, testOf(r), r.xgbDefault)).length;
  const gd = s.filter((r) => withinTolerance(r.metric, r.gbdtDefault, r.xgbDefault, 0.005, 0.03)).length;
  const nTime = s.filter((r) => r.runs.every((x) => x.seconds <= budget * 1.1)).length;
  const auc = s
    .filter((r) => r.metric === 'roc_auc')
    .flatMap((r) => r.runs.map((x) => optimism(r.metric, x)));
  const aucNested = s
    .filter((r) => r.metric === 'roc_auc')
    .flatMap((r) => r.runs.map((x) => nestedOptimism(r.metric, x)));
  const capped = values['max-trials'] !== undefined;
  console.log(
    `${side}: search ≥ xgb_optuna ${nOpt}/${s.length}; ≥ xgb_default ${nBeat}/${s.length}; within 0.01 AUC / 5% of xgb_default ${nDef}/${s.length}; ` +
      (values['no-defaults'] ? '' : `default GBDT within 0.005 AUC / 3% ${gd}/${s.length}; `) +
      `mean AUC optimism ${fmt(mean(auc))} (nested estimate: ${fmt(mean(aucNested))})` +
      (capped
        ? ` (${values['max-trials']} trials each)`
        : `; wall ≤ budget+10% ${nTime}/${s.length} (budget ${budget} s)`),
  );
}
if (values.json) writeFileSync(values.json, JSON.stringify(rows, null, 1));
