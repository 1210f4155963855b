/**
 * The exported project's tune.py, run the way a Python user would (Debian's python3 with Optuna,
 * scikit-learn, XGBoost and Dask): the experiment's search (families, ranges, metric, split plan, seed)
 * is written into settings.json; a few trials in process give the same trials twice and a best trial
 * inside the recorded ranges whose tuned.json train.py trains and predicts with; the same study runs
 * on a 2-worker Dask LocalCluster through Optuna's DaskStorage; a regression search over every family
 * searches no class weights and runs random forest and MLP trials. CI installs the packages (.ci/run).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.ts';
import { datasetFile } from '../helpers/paths.ts';
import { PY, hasPythonExportTools, pythonHas, scoreTestSplit } from '../helpers/python-export.ts';
import { readBundleFiles } from '../../src/cli/bundle-io.ts';
import { loadBundle } from '../../src/core/export/bundle.ts';
import { tuneSettings } from '../../src/core/export/python/tune.ts';
import { FAMILY_SPACES } from '../../src/core/search/spaces.ts';

const hasOptuna = hasPythonExportTools && pythonHas('optuna, optuna.integration');
if (!hasOptuna && process.env.CI) throw new Error('CI must install python3-optuna (see .ci/run)');

const dir = mkdtempSync(join(tmpdir(), 'export-py-tune-'));

interface Space {
  name: string;
  type: string;
  low?: number;
  high?: number;
  choices?: unknown[];
}
interface Tuned {
  classWeight: string;
  xgboost: { params: Record<string, number | string>; num_boost_round: number };
  tuned: { trial: number; value: number; metric: string; params: Record<string, number | string> };
}

function python(args: string[]): string {
  return execFileSync(PY, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The trial lines tune.py prints: number → value. */
function trialValues(log: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of log.matchAll(/^ {2}trial +(\d+) +([-\d.]+) /gm)) out.set(Number(m[1]), Number(m[2]));
  return out;
}

describe('tuneSettings: the search tune.py runs', () => {
  it("an automl bundle's search: its metric, split plan and seed; families without a translation are left out", async () => {
    const out = join(dir, 'automl');
    // one trial (gbdt, the portfolio's first) but the search space over gbdt and linear is recorded
    const r = await cli([
      'automl',
      datasetFile('penguins'),
      '--target',
      'species',
      '--families',
      'gbdt,linear',
      '--max-trials',
      '1',
      '--workers',
      '0',
      '--seed',
      '7',
      '--out',
      out,
      '--no-track',
    ]);
    expect(r.code, r.err).toBe(0);
    const bundle = loadBundle(readBundleFiles(out).files);
    const search = bundle.manifest.search!;
    const t = tuneSettings(bundle, 'softmax', 3, true);
    expect(t.from).toBe('automl');
    expect(t.metric).toBe(search.metric);
    expect(t.direction).toBe(search.direction);
    expect(t.seed).toBe(7);
    expect(t.split).toEqual({
      strategy: search.split.strategy,
      folds: search.split.folds,
      stratified: search.split.stratified,
      seed: search.split.seed,
      ...(search.split.validFraction !== undefined ? { validFraction: search.split.validFraction } : {}),
    });
    expect(Object.keys(t.families)).toEqual(['gbdt']);
    // a pipeline with categorical features: linear trials could not take them
    expect(t.leftOut).toEqual([expect.stringMatching(/^linear \(the exported pipeline leaves categorical/)]);
    // without categorical features the linear family is searched, over what an exact solver uses
    const numeric = tuneSettings(bundle, 'softmax', 3, false);
    expect(Object.keys(numeric.families)).toEqual(['gbdt', 'linear']);
    expect(numeric.leftOut).toEqual([]);
    expect((numeric.families.linear!.params as { name: string }[]).map((p) => p.name)).toEqual([
      'l2',
      'l1',
      'classWeight',
    ]);
    expect(t.families.gbdt!.params).toEqual(FAMILY_SPACES.gbdt.space.params);
    expect(t.families.gbdt!.xgboost).toMatchObject({ objective: 'multi:softprob', num_class: 3, seed: 7 });

    // the exported tune.py says what it leaves out
    if (!hasOptuna) return;
    const project = join(dir, 'automl.project');
    const exp = await cli(['export', out, '--format', 'python', '--out', project]);
    expect(exp.code, exp.err).toBe(0);
    // penguins' island and sex stay categories in the tree pipeline: no linear trials
    const notSearched = 'not searched: linear (the exported pipeline leaves categorical features';
    expect(readFileSync(join(project, 'README.md'), 'utf8')).toContain(notSearched);
    const log = python([
      join(project, 'tune.py'),
      '--train',
      datasetFile('penguins'),
      '--trials',
      '1',
      '--scheduler',
      'none',
      '--max-rounds',
      '50',
      '--out',
      join(dir, 'automl.tuned.json'),
    ]);
    expect(log).toContain(notSearched);
    expect(log).toContain(`${search.metric} (${search.direction}), ${search.split.folds} fold(s)`);
  }, 120_000);
});

describe.runIf(hasOptuna)('tune.py: an Optuna study over the exported search space', () => {
  it('in process: seeded (the same trials twice), best trial inside the ranges, tuned.json trains with train.py', async () => {
    const bundle = join(dir, 'penguins');
    const fit = await cli([
      'fit',
      datasetFile('penguins'),
      '--target',
      'species',
      '--out',
      bundle,
      '--no-track',
    ]);
    expect(fit.code, fit.err).toBe(0);
    const project = join(dir, 'penguins.project');
    const exp = await cli(['export', bundle, '--format', 'python', '--out', project]);
    expect(exp.code, exp.err).toBe(0);
    expect(readFileSync(join(project, 'MLproject'), 'utf8')).toMatch(/\n {2}tune:\n[\s\S]*python tune\.py/);
    expect(readFileSync(join(project, 'requirements.txt'), 'utf8')).toMatch(/optuna/);
    const settings = JSON.parse(readFileSync(join(project, 'settings.json'), 'utf8')) as {
      search: { metric: string; families: { gbdt: { params: Space[] } } };
    };
    expect(settings.search.metric).toBe('log_loss'); // a fit bundle: the studio's default for multiclass

    const runs = ['a', 'b'].map((k) =>
      python([
        join(project, 'tune.py'),
        '--train',
        datasetFile('penguins'),
        '--trials',
        '3',
        '--scheduler',
        'none',
        '--max-rounds',
        '150',
        '--out',
        join(dir, `tuned-${k}.json`),
      ]),
    );
    const [a, b] = runs.map(trialValues);
    expect(a!.size).toBe(3);
    expect([...a!.entries()]).toEqual([...b!.entries()]);
    const tuned = JSON.parse(readFileSync(join(dir, 'tuned-a.json'), 'utf8')) as Tuned;
    // the best trial: the smallest log loss, with its parameters inside the recorded ranges
    expect(tuned.tuned.value).toBeCloseTo(Math.min(...a!.values()), 5);
    expect(a!.get(tuned.tuned.trial)).toBeCloseTo(tuned.tuned.value, 5);
    for (const [name, value] of Object.entries(tuned.tuned.params)) {
      const spec = settings.search.families.gbdt.params.find((p) => p.name === name);
      expect(spec, name).toBeDefined();
      if (spec!.type === 'categorical') expect(spec!.choices).toContain(value);
      else {
        expect(value).toBeGreaterThanOrEqual(spec!.low!);
        expect(value).toBeLessThanOrEqual(spec!.high!);
      }
    }
    // …translated to XGBoost's names
    expect(tuned.xgboost.params.eta).toBe(tuned.tuned.params.learningRate);
    expect(tuned.xgboost.params.colsample_bytree).toBe(tuned.tuned.params.colsampleByTree);
    expect(tuned.classWeight).toBe(tuned.tuned.params.classWeight);
    expect(tuned.xgboost.num_boost_round).toBeGreaterThanOrEqual(1);
    expect(tuned.xgboost.num_boost_round).toBeLessThanOrEqual(150);

    const predictions = join(dir, 'tuned-predictions.csv');
    const log = python([
      join(project, 'train.py'),
      '--settings',
      join(dir, 'tuned-a.json'),
      '--train',
      datasetFile('penguins'),
      '--predict',
      datasetFile('penguins', 'test.csv'),
      '--out',
      predictions,
      '--scheduler',
      'none',
    ]);
    expect(log).toContain(`${tuned.xgboost.num_boost_round} rounds`);
    expect(scoreTestSplit('penguins', predictions).log_loss).toBeLessThan(0.3);
  }, 180_000);

  it('on a 2-worker Dask LocalCluster: one shared study (DaskStorage) completes every trial', () => {
    const project = join(dir, 'penguins.project');
    const log = python([
      join(project, 'tune.py'),
      '--train',
      datasetFile('penguins'),
      '--trials',
      '4',
      '--scheduler',
      'local',
      '--workers',
      '2',
      '--max-rounds',
      '150',
      '--out',
      join(dir, 'tuned-dask.json'),
    ]);
    expect(log).toMatch(/^4 trials, log_loss \(minimize\), 5 fold\(s\), scheduler local, 2 worker\(s\)/m);
    const values = trialValues(log);
    expect([...values.keys()].sort()).toEqual([0, 1, 2, 3]);
    const tuned = JSON.parse(readFileSync(join(dir, 'tuned-dask.json'), 'utf8')) as Tuned;
    expect(tuned.tuned.value).toBeCloseTo(Math.min(...values.values()), 5);
  }, 180_000);

  it('a linear bundle: trials search l1, l2 and class weights with scikit-learn; tuned.json trains the linear model', async () => {
    const bundle = join(dir, 'german-linear');
    const fit = await cli([
      'fit',
      datasetFile('german_credit'),
      '--target',
      'class',
      '--model',
      'linear',
      '--out',
      bundle,
      '--no-track',
    ]);
    expect(fit.code, fit.err).toBe(0);
    const project = join(dir, 'german-linear.project');
    expect((await cli(['export', bundle, '--format', 'python', '--out', project])).code).toBe(0);
    const out = join(dir, 'tuned-linear.json');
    const log = python([
      join(project, 'tune.py'),
      '--train',
      datasetFile('german_credit'),
      '--trials',
      '3',
      '--scheduler',
      'none',
      '--out',
      out,
    ]);
    expect(log).toMatch(/^3 trials, roc_auc \(maximize\), 5 fold\(s\)/m);
    expect(log).toMatch(/^ {2}trial +0 +0\.\d+ +linear +l2=/m);
    const tuned = JSON.parse(readFileSync(out, 'utf8')) as Tuned & {
      family: string;
      linear: { l1: number; l2: number };
    };
    expect(tuned.family).toBe('linear');
    expect(tuned.linear).toEqual({ l1: tuned.tuned.params.l1, l2: tuned.tuned.params.l2 });
    expect(tuned.tuned.value).toBeCloseTo(Math.max(...trialValues(log).values()), 5);
    const trained = python([
      join(project, 'train.py'),
      '--settings',
      out,
      '--train',
      datasetFile('german_credit'),
      '--scheduler',
      'none',
    ]);
    expect(trained).toContain('trained LogisticRegression (binary');
  }, 120_000);

  it('a regression AutoML bundle over every family: no class weights searched; random forest and MLP trials run, and their tuned.json trains', async () => {
    const bundle = join(dir, 'diabetes-automl');
    const run = await cli([
      'automl',
      datasetFile('diabetes'),
      '--target',
      'target',
      '--families',
      'gbdt,random_forest,linear,mlp',
      '--max-trials',
      '2',
      '--workers',
      '0',
      '--seed',
      '3',
      '--out',
      bundle,
      '--no-track',
    ]);
    expect(run.code, run.err).toBe(0);
    const project = join(dir, 'diabetes-automl.project');
    expect((await cli(['export', bundle, '--format', 'python', '--out', project])).code).toBe(0);
    const settingsFile = join(project, 'settings.json');
    const settings = JSON.parse(readFileSync(settingsFile, 'utf8')) as {
      search: { families: Record<string, { params: Space[] }>; leftOut: string[]; split: unknown };
    };
    const names = (f: string) => settings.search.families[f]!.params.map((p) => p.name);
    const space = (f: keyof typeof FAMILY_SPACES, drop: string[] = []) =>
      FAMILY_SPACES[f].space.params
        .map((p) => p.name)
        .filter((n) => n !== 'classWeight' && !drop.includes(n));
    expect(Object.keys(settings.search.families).sort()).toEqual(['gbdt', 'linear', 'mlp', 'random_forest']);
    expect(settings.search.leftOut).toEqual([]);
    // classWeight has no effect on regression: no family searches it; the rest is spaces.ts's
    expect(names('linear')).toEqual(['l2', 'l1']);
    expect(names('gbdt')).toEqual(space('gbdt'));
    expect(names('random_forest')).toEqual(space('random_forest'));
    expect(names('mlp')).toEqual(space('mlp', ['embeddings']));

    // each new family alone, on a holdout (light): its trials run and its tuned.json trains
    for (const [family, trained] of [
      ['random_forest', /trained (ExtraTrees|RandomForest)Regressor \(regression, 120 trees/],
      ['mlp', /trained MLP \(regression, [\d ×]+, (relu|gelu), \d+ epochs/],
    ] as const) {
      const only = structuredClone(settings);
      only.search.families = { [family]: settings.search.families[family]! };
      only.search.split = { strategy: 'holdout', folds: 1, stratified: false, seed: 3, validFraction: 0.25 };
      const file = join(dir, `diabetes-${family}.settings.json`);
      writeFileSync(file, JSON.stringify(only));
      const out = join(dir, `diabetes-${family}.tuned.json`);
      const log = python([
        join(project, 'tune.py'),
        '--settings',
        file,
        '--train',
        datasetFile('diabetes'),
        '--trials',
        '2',
        '--scheduler',
        'none',
        '--out',
        out,
      ]);
      expect(log).toMatch(/^2 trials, rmse \(minimize\), 1 fold\(s\)/m);
      expect(log).toMatch(new RegExp(`^ {2}trial +0 +[\\d.]+ +${family} `, 'm'));
      const tuned = JSON.parse(readFileSync(out, 'utf8')) as { family: string; classWeight: string };
      expect(tuned.family).toBe(family);
      const predictions = join(dir, `diabetes-${family}.csv`);
      const fitted = python([
        join(project, 'train.py'),
        '--settings',
        out,
        '--train',
        datasetFile('diabetes'),
        '--predict',
        datasetFile('diabetes', 'test.csv'),
        '--out',
        predictions,
        '--scheduler',
        'none',
        '--no-mlflow',
      ]);
      expect(fitted).toMatch(trained);
      // a sane model (the target's standard deviation is ≈ 77; the studio's models score ≈ 52–58)
      expect(scoreTestSplit('diabetes', predictions).rmse).toBeLessThan(70);
    }
  }, 240_000);

  it('a bad --trials is refused by name (exit 2)', () => {
    let err = '';
    try {
      python([join(dir, 'penguins.project', 'tune.py'), '--train', datasetFile('penguins'), '--trials', '0']);
    } catch (e) {
      err = String((e as { stderr?: string }).stderr);
    }
    expect(err).toMatch(/--trials: expected a whole number ≥ 1, got 0/);
  });
});
