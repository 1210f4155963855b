/**
 * Exported Python project vs the bundle (issue 22): for each dataset, make a bundle on train.csv —
 * `cli fit --model F` (defaults) or, with --automl, `cli automl --families F --max-trials N` (the
 * project then trains every member of the ensemble); F is gbdt (default), linear, random_forest or mlp. Then score
 * `cli predict` on test.csv, export it with
 * `--format python`, run the project's train.py (--scheduler none, or local) on the same train.csv, and
 * score its predictions with the same score.py. Prints the primary metric of each and the difference,
 * and the wall clock of train.py.
 *
 *   npx tsx bench/python-export/run.ts [--datasets telco_churn,penguins,diabetes,german_credit] [--scheduler none]
 *        [--families gbdt,linear,random_forest,mlp] [--automl --max-trials 6]
 *
 * Datasets come from the vendored copies in test/fixtures when present, else ../shared/datasets.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { cli } from '../../test/helpers/cli.ts';
import { datasetFile, scorePy } from '../../test/helpers/paths.ts';

const { values } = parseArgs({
  options: {
    datasets: { type: 'string', default: 'telco_churn,penguins,diabetes,german_credit' },
    scheduler: { type: 'string', default: 'none' },
    automl: { type: 'boolean', default: false },
    /** fit: the model family; automl: the families searched (comma-separated) */
    families: { type: 'string', default: 'gbdt' },
    'max-trials': { type: 'string', default: '6' },
  },
});
const PY = '/usr/bin/python3';
const work = mkdtempSync(join(tmpdir(), 'python-export-'));

function score(name: string, predictions: string): { metric: string; value: number } {
  const out = JSON.parse(
    execFileSync(PY, [scorePy(), dirname(datasetFile(name, 'test.csv')), predictions], { encoding: 'utf8' }),
  ) as { primary_metric: string; metrics: Record<string, number> };
  return { metric: out.primary_metric, value: out.metrics[out.primary_metric]! };
}

console.log(
  `dataset         metric    bundle     train.py   diff       train.py s (scheduler ${values.scheduler}, ` +
    `${values.automl ? `automl ${values.families}, ${values['max-trials']} trials` : `fit ${values.families}`})`,
);
for (const name of values.datasets!.split(',')) {
  const meta = JSON.parse(readFileSync(datasetFile(name, 'meta.json'), 'utf8')) as {
    target: string;
  };
  const train = datasetFile(name);
  const test = datasetFile(name, 'test.csv');
  const bundle = join(work, name);
  const fit = values.automl
    ? await cli([
        'automl',
        train,
        '--target',
        meta.target,
        '--families',
        values.families!,
        '--max-trials',
        values['max-trials']!,
        '--workers',
        '1',
        '--out',
        bundle,
        '--no-track',
      ])
    : await cli([
        'fit',
        train,
        '--target',
        meta.target,
        '--model',
        values.families!,
        '--out',
        bundle,
        '--no-track',
      ]);
  if (fit.code !== 0) throw new Error(`${name}: fit failed: ${fit.err}`);
  const ours = join(work, `${name}.ours.csv`);
  if ((await cli(['predict', bundle, test, '--out', ours])).code !== 0)
    throw new Error(`${name}: predict failed`);
  const project = join(work, `${name}.project`);
  const exp = await cli(['export', bundle, '--format', 'python', '--out', project]);
  if (exp.code !== 0) throw new Error(`${name}: export failed: ${exp.err}`);
  const theirs = join(work, `${name}.py.csv`);
  const t0 = performance.now();
  execFileSync(
    PY,
    [
      join(project, 'train.py'),
      '--train',
      train,
      '--predict',
      test,
      '--out',
      theirs,
      '--scheduler',
      values.scheduler!,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const seconds = (performance.now() - t0) / 1000;
  const a = score(name, ours);
  const b = score(name, theirs);
  console.log(
    `${name.padEnd(15)} ${a.metric.padEnd(9)} ${a.value.toFixed(4).padStart(9)}  ${b.value.toFixed(4).padStart(9)}  ` +
      `${(b.value - a.value).toFixed(4).padStart(8)}   ${seconds.toFixed(1)}`,
  );
}
