/**
 * `cli export --format python` beyond a single GBDT: a linear model (logistic / ridge regression with
 * the bundle's penalty, solved by scikit-learn) and an AutoML bundle (an ensemble: the project trains
 * every member and averages them). train.py runs with Debian's python3; its test score, by the same score.py,
 * is close to the bundle's own. A linear model with the Huber loss is refused naming the loss.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.ts';
import { datasetFile } from '../helpers/paths.ts';
import { PY, hasPythonExportTools, scoreTestSplit } from '../helpers/python-export.ts';

const dir = mkdtempSync(join(tmpdir(), 'export-py-families-'));

/** Bundle → `cli predict` and exported train.py on the test split: both scores and train.py's log. */
async function compare(
  name: string,
  bundle: string,
  metric: string,
): Promise<{ ours: number; theirs: number; log: string; readme: string }> {
  const ours = join(dir, `${name}.ours.csv`);
  const p = await cli(['predict', bundle, datasetFile(name, 'test.csv'), '--out', ours]);
  expect(p.code, p.err).toBe(0);
  const project = `${bundle}.project`;
  const exp = await cli(['export', bundle, '--format', 'python', '--out', project]);
  expect(exp.code, exp.err).toBe(0);
  const theirs = join(dir, `${name}.py.csv`);
  const log = execFileSync(
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
      'none',
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  expect(readFileSync(theirs, 'utf8').split('\n')[0]).toBe(readFileSync(ours, 'utf8').split('\n')[0]);
  return {
    ours: scoreTestSplit(name, ours)[metric]!,
    theirs: scoreTestSplit(name, theirs)[metric]!,
    log,
    readme: readFileSync(join(project, 'README.md'), 'utf8'),
  };
}

describe.runIf(hasPythonExportTools)('export --format python: linear models and AutoML ensembles', () => {
  it.each([
    ['german_credit', 'roc_auc', 'LogisticRegression'],
    ['diabetes', 'rmse', 'Ridge'],
  ] as const)(
    'a linear model on %s (%s): scikit-learn %s scores within tolerance of the bundle',
    async (name, metric, estimator) => {
      const meta = JSON.parse(readFileSync(datasetFile(name, 'meta.json'), 'utf8')) as { target: string };
      const bundle = join(dir, `${name}-linear`);
      const fit = await cli([
        'fit',
        datasetFile(name),
        '--target',
        meta.target,
        '--model',
        'linear',
        '--out',
        bundle,
        '--no-track',
      ]);
      expect(fit.code, fit.err).toBe(0);
      const r = await compare(name, bundle, metric);
      expect(r.log).toContain(`trained ${estimator} (`);
      expect(r.readme).toContain(`scikit-learn \`${estimator}\``);
      const tolerance = metric === 'roc_auc' ? 0.01 : 0.05 * r.ours;
      expect(Math.abs(r.theirs - r.ours), `${r.theirs} vs ours ${r.ours}`).toBeLessThanOrEqual(tolerance);
    },
    120_000,
  );

  it("an AutoML bundle (an ensemble) exports its members; train.py's score is close", async () => {
    const bundle = join(dir, 'penguins-automl');
    const run = await cli([
      'automl',
      datasetFile('penguins'),
      '--target',
      'species',
      '--families',
      'gbdt',
      '--max-trials',
      '3',
      '--workers',
      '0',
      '--out',
      bundle,
      '--no-track',
    ]);
    expect(run.code, run.err).toBe(0);
    const r = await compare('penguins', bundle, 'log_loss');
    expect(r.readme).toMatch(/\d+-model ensemble|gbdt model of trial \d+/);
    expect(r.log).toContain('trained XGBoost (multiclass');
    expect(Math.abs(r.theirs - r.ours), `${r.theirs} vs ours ${r.ours}`).toBeLessThanOrEqual(
      Math.max(0.05 * r.ours, 0.01),
    );
  }, 120_000);

  it('a linear regression with the Huber loss is refused, naming the loss (exit 2)', async () => {
    const bundle = join(dir, 'huber-linear');
    const fit = await cli([
      'fit',
      datasetFile('diabetes'),
      '--target',
      'target',
      '--model',
      'linear',
      '--params',
      '{"regressionLoss": "huber", "epochs": 3}',
      '--out',
      bundle,
      '--no-track',
    ]);
    expect(fit.code, fit.err).toBe(0);
    const r = await cli(['export', bundle, '--format', 'python', '--out', join(dir, 'huber.project')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(
      "linear model with the huber loss: scikit-learn's linear models have no counterpart",
    );
  }, 60_000);
});
