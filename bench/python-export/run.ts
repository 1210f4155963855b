/**
 * Exported Python project vs the bundle (issue 22): for each dataset, make a bundle on train.csv —
 * `cli fit --model F` (defaults) or, with --automl, `cli automl --families F` at a short budget
 * (`--budget S`) or a trial cap (`--max-trials N`) (the project then trains every member of the
 * ensemble); F is gbdt (default), linear, random_forest or mlp, or `all` for the four. Then score
 * `cli predict` on test.csv, export it with `--format python`, run the project's train.py
 * (--scheduler none, or local: a 2-worker LocalCluster) on the same train.csv, and score its
 * predictions with the same score.py. Prints per dataset the primary metric of each, the gap, whether
 * it is within tolerance (ROC AUC 0.01; log loss 5% or 0.01 when near 0; RMSE 5%), the families
 * train.py trained and its wall clock; then a Markdown table of the same and the counts. A row outside
 * on the good side whose exported member the search did not refit on all rows (the manifest's
 * `search.clock.refit` action `holdout`: the bundle holds the trial's holdout model, train.py trains
 * on all rows) is "better (member not refitted in the studio)", counted apart from the failures.
 *
 *   npx tsx bench/python-export/run.ts [--datasets telco_churn,penguins | all] [--scheduler none|local]
 *        [--families gbdt,linear,random_forest,mlp | all] [--automl (--max-trials 6 | --budget 30)]
 *        [--keep DIR]
 *
 * --keep DIR keeps each dataset's bundle and the studio's predictions in DIR/<dataset>/ and reuses
 * them on the next run (only the export and train.py run again: for checking an exporter change on
 * the same models). Datasets come from the vendored copies in test/fixtures when present, else
 * ../shared/datasets; `all` is every dataset of ../shared/datasets/datasets.json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cli } from '../../test/helpers/cli.ts';
import { datasetFile, scorePy, sharedDatasetsDir } from '../../test/helpers/paths.ts';

const { values } = parseArgs({
  options: {
    datasets: { type: 'string', default: 'telco_churn,penguins,diabetes,german_credit' },
    scheduler: { type: 'string', default: 'none' },
    automl: { type: 'boolean', default: false },
    /** fit: the model family; automl: the families searched (comma-separated, or all) */
    families: { type: 'string', default: 'gbdt' },
    'max-trials': { type: 'string' },
    budget: { type: 'string' },
    keep: { type: 'string' },
  },
});
const PY = '/usr/bin/python3';
const work = values.keep ? resolve(values.keep) : mkdtempSync(join(tmpdir(), 'python-export-'));
const families = values.families === 'all' ? 'gbdt,random_forest,linear,mlp' : values.families!;
const budgetArgs = values.budget
  ? ['--budget', values.budget, ...(values['max-trials'] ? ['--max-trials', values['max-trials']] : [])]
  : ['--max-trials', values['max-trials'] ?? '6'];

function datasetNames(): string[] {
  if (values.datasets !== 'all') return values.datasets!.split(',');
  const dir = sharedDatasetsDir();
  if (!dir) throw new Error('--datasets all needs ../shared/datasets (or DATASETS_DIR)');
  return (JSON.parse(readFileSync(join(dir, 'datasets.json'), 'utf8')) as { name: string }[]).map(
    (d) => d.name,
  );
}

function score(name: string, predictions: string): { metric: string; value: number } {
  const out = JSON.parse(
    execFileSync(PY, [scorePy(), dirname(datasetFile(name, 'test.csv')), predictions], { encoding: 'utf8' }),
  ) as { primary_metric: string; metrics: Record<string, number> };
  return { metric: out.primary_metric, value: out.metrics[out.primary_metric]! };
}

/** The verification's tolerance on the primary metric (as the export tests use it). */
function tolerance(metric: string, studio: number): number {
  if (metric === 'roc_auc') return 0.01;
  if (metric === 'log_loss') return Math.max(0.05 * studio, 0.01);
  return 0.05 * studio;
}

interface Row {
  name: string;
  metric: string;
  studio?: number;
  python?: number;
  trained?: string;
  seconds?: number;
  error?: string;
  /** Trials of the exported model(s) the studio's search did not refit on all rows (its holdout model). */
  notRefitted?: number[];
}

/**
 * The exported members' trials that the search kept as holdout models (manifest `search.clock.refit`,
 * action `holdout`: the budget ran out before the refit on all rows). train.py trains every member on
 * all the rows, so there it may score better than the bundle; that is not a translation error.
 */
function notRefitted(dir: string, trials: number[]): number[] {
  const manifest = JSON.parse(readFileSync(join(dir, 'bundle', 'manifest.json'), 'utf8')) as {
    search?: { clock?: { refit?: { trial: number; action: string }[] } };
  };
  const held = new Set(
    (manifest.search?.clock?.refit ?? []).filter((d) => d.action === 'holdout').map((d) => d.trial),
  );
  return trials.filter((t) => held.has(t));
}

async function makeBundle(name: string, dir: string): Promise<void> {
  const meta = JSON.parse(readFileSync(datasetFile(name, 'meta.json'), 'utf8')) as { target: string };
  const train = datasetFile(name);
  const bundle = join(dir, 'bundle');
  const fit = values.automl
    ? await cli([
        'automl',
        train,
        '--target',
        meta.target,
        '--families',
        families,
        ...budgetArgs,
        '--workers',
        '1',
        '--seed',
        '1',
        '--out',
        bundle,
        '--no-track',
      ])
    : await cli(['fit', train, '--target', meta.target, '--model', families, '--out', bundle, '--no-track']);
  if (fit.code !== 0) throw new Error(`fit failed: ${fit.err.trim()}`);
  const ours = join(dir, 'studio.csv');
  const pred = await cli(['predict', bundle, datasetFile(name, 'test.csv'), '--out', ours]);
  if (pred.code !== 0) throw new Error(`predict failed: ${pred.err.trim()}`);
}

async function verify(name: string): Promise<Row> {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, 'studio.csv'))) await makeBundle(name, dir);
  const a = score(name, join(dir, 'studio.csv'));
  const row: Row = { name, metric: a.metric, studio: a.value };
  const project = join(dir, 'project');
  rmSync(project, { recursive: true, force: true });
  const exp = await cli(['export', join(dir, 'bundle'), '--format', 'python', '--out', project]);
  if (exp.code !== 0) return { ...row, error: `export: ${exp.err.trim()}` };
  const settings = JSON.parse(readFileSync(join(project, 'settings.json'), 'utf8')) as {
    family?: string;
    members?: { family: string; trial: number }[];
    source?: { member?: { trial: number } };
  };
  row.trained = (settings.members?.map((m) => m.family) ?? [settings.family ?? 'gbdt']).join('+');
  const trials = settings.members?.map((m) => m.trial) ?? [settings.source?.member?.trial ?? -1];
  row.notRefitted = notRefitted(dir, trials);
  const theirs = join(dir, 'train-py.csv');
  const t0 = performance.now();
  try {
    execFileSync(
      PY,
      [
        join(project, 'train.py'),
        '--train',
        datasetFile(name),
        '--predict',
        datasetFile(name, 'test.csv'),
        '--out',
        theirs,
        '--scheduler',
        values.scheduler!,
        '--no-mlflow',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' },
    );
  } catch (err) {
    return { ...row, error: `train.py: ${String((err as { stderr?: string }).stderr ?? err).trim()}` };
  }
  row.seconds = (performance.now() - t0) / 1000;
  row.python = score(name, theirs).value;
  return row;
}

const fmt = (v: number | undefined): string => (v === undefined ? '—' : v.toFixed(4));
type Verdict = 'yes' | 'no' | 'better' | 'error';
/** The gap and the verdict: within tolerance, outside it, or outside on the good side with a member the studio did not refit. */
function gapOf(r: Row): { gap: string; verdict: Verdict; shown: string } {
  if (r.studio === undefined || r.python === undefined)
    return { gap: '—', verdict: 'error', shown: `error: ${(r.error ?? '').split('\n').pop()}` };
  const d = r.python - r.studio;
  const gap =
    r.metric === 'roc_auc'
      ? `${d >= 0 ? '+' : ''}${d.toFixed(4)}`
      : `${d >= 0 ? '+' : ''}${((100 * d) / r.studio).toFixed(1)}%`;
  if (Math.abs(d) <= tolerance(r.metric, r.studio)) return { gap, verdict: 'yes', shown: 'yes' };
  const better = r.metric === 'roc_auc' ? d > 0 : d < 0;
  if (better && r.notRefitted?.length)
    return {
      gap,
      verdict: 'better',
      shown: `better (member not refitted in the studio: trial ${r.notRefitted.join(', ')})`,
    };
  return { gap, verdict: 'no', shown: '**no**' };
}

console.log(
  `scheduler ${values.scheduler}, ${values.automl ? `automl ${families} ${budgetArgs.join(' ')}` : `fit ${families}`}; files in ${work}`,
);
const rows: Row[] = [];
for (const name of datasetNames()) {
  let row: Row;
  try {
    row = await verify(name);
  } catch (err) {
    row = { name, metric: '?', error: (err as Error).message };
  }
  rows.push(row);
  const { gap, verdict, shown } = gapOf(row);
  console.log(
    `${name.padEnd(18)} ${row.metric.padEnd(9)} ${fmt(row.studio).padStart(10)} ${fmt(row.python).padStart(10)} ` +
      `${gap.padStart(8)} ${verdict === 'no' ? 'NO' : verdict === 'error' ? 'error' : shown}  ${row.trained ?? ''} ` +
      `${row.seconds === undefined ? '' : `${row.seconds.toFixed(1)} s`}${row.error ? `\n    ${row.error.split('\n').slice(-3).join('\n    ')}` : ''}`,
  );
}
console.log(
  '\n| dataset | metric | studio test | train.py test | gap | within? | train.py trained | train.py s |',
);
console.log('| --- | --- | ---: | ---: | ---: | --- | --- | ---: |');
const counts: Record<Verdict, number> = { yes: 0, no: 0, better: 0, error: 0 };
for (const r of rows) {
  const { gap, verdict, shown } = gapOf(r);
  counts[verdict]++;
  console.log(
    `| ${r.name} | ${r.metric} | ${fmt(r.studio)} | ${fmt(r.python)} | ${gap} | ${shown} | ${r.trained ?? ''} | ${r.seconds?.toFixed(1) ?? ''} |`,
  );
}
console.log(
  `\n${counts.yes} of ${rows.length} within tolerance; ${counts.better} better than the bundle whose member the ` +
    `studio did not refit on all rows (not failures); ${counts.no} outside; ${counts.error} errors`,
);
