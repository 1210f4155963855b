/**
 * `cli export --format python` for every family and whole AutoML ensembles: a random forest
 * (scikit-learn's forest), a ReLU MLP (train.py's NumPy net) and an ensemble of several families, each
 * member trained on its own preprocessing and averaged with the bundle's weights. train.py runs with
 * Debian's python3; its test score, by the same score.py, is close to the bundle's own. A member with
 * no translation is left out and named in the README. When `mlflow` is importable, train.py logs the
 * run: checked with a stand-in `mlflow` module on PYTHONPATH that records the calls (Debian has no
 * mlflow package and the machine has no PyPI), which pins the calls train.py makes.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.ts';
import { REPO_ROOT, datasetFile } from '../helpers/paths.ts';
import { PY, hasPythonExportTools, scoreTestSplit } from '../helpers/python-export.ts';
import { readBundleFiles } from '../../src/cli/bundle-io.ts';
import { loadBundle, type LoadedBundle } from '../../src/core/export/bundle.ts';
import { pythonProjectFiles } from '../../src/core/export/python/index.ts';
import { EnsembleModel } from '../../src/core/search/ensemble.ts';

const dir = mkdtempSync(join(tmpdir(), 'export-py-members-'));

function target(name: string): string {
  return (JSON.parse(readFileSync(datasetFile(name, 'meta.json'), 'utf8')) as { target: string }).target;
}

interface Compared {
  readonly ours: number;
  readonly theirs: number;
  readonly log: string;
  readonly readme: string;
  readonly settings: { family: string; members?: { family: string; weight: number }[] };
  readonly project: string;
}

/** Bundle → `cli predict` and the exported train.py (no Dask) on the test split, scored alike. */
async function compare(
  name: string,
  bundle: string,
  metric: string,
  env?: NodeJS.ProcessEnv,
): Promise<Compared> {
  const ours = join(dir, `${name}.${bundle.length}.ours.csv`);
  const p = await cli(['predict', bundle, datasetFile(name, 'test.csv'), '--out', ours]);
  expect(p.code, p.err).toBe(0);
  const project = `${bundle}.project`;
  const exp = await cli(['export', bundle, '--format', 'python', '--out', project]);
  expect(exp.code, exp.err).toBe(0);
  const theirs = join(dir, `${name}.${bundle.length}.py.csv`);
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
      '--metrics',
      join(project, 'metrics.json'),
      '--model',
      join(project, 'model.json'),
      '--scheduler',
      'none',
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env, cwd: project },
  );
  expect(readFileSync(theirs, 'utf8').split('\n')[0]).toBe(readFileSync(ours, 'utf8').split('\n')[0]);
  return {
    ours: scoreTestSplit(name, ours)[metric]!,
    theirs: scoreTestSplit(name, theirs)[metric]!,
    log,
    readme: readFileSync(join(project, 'README.md'), 'utf8'),
    settings: JSON.parse(readFileSync(join(project, 'settings.json'), 'utf8')) as Compared['settings'],
    project,
  };
}

function within(metric: string, r: Compared): void {
  const tolerance = metric === 'roc_auc' ? 0.01 : Math.max(0.05 * r.ours, 0.01);
  expect(Math.abs(r.theirs - r.ours), `${r.theirs} vs ours ${r.ours}`).toBeLessThanOrEqual(tolerance);
}

describe.runIf(hasPythonExportTools)('export --format python: forests, MLPs and whole ensembles', () => {
  it.each([
    ['rf', 'telco_churn', 'roc_auc', 'RandomForestClassifier'],
    ['rf', 'diabetes', 'rmse', 'RandomForestRegressor'],
    ['mlp', 'telco_churn', 'roc_auc', 'MLP'],
  ] as const)(
    'a %s model on %s (%s): scikit-learn %s scores within tolerance of the bundle',
    async (model, name, metric, estimator) => {
      const bundle = join(dir, `${name}-${model}`);
      const fit = await cli([
        'fit',
        datasetFile(name),
        '--target',
        target(name),
        '--model',
        model,
        '--out',
        bundle,
        '--no-track',
      ]);
      expect(fit.code, fit.err).toBe(0);
      const r = await compare(name, bundle, metric);
      expect(r.log).toContain(`trained ${estimator} (`);
      expect(r.readme).toContain(
        model === 'mlp' ? 'Model: an MLP in NumPy' : `scikit-learn \`${estimator}\``,
      );
      expect(r.settings.members).toBeUndefined();
      within(metric, r);
      // metrics.json holds the same score as score.py's
      const m = JSON.parse(readFileSync(join(r.project, 'metrics.json'), 'utf8')) as Record<string, number>;
      expect(m[metric]).toBeCloseTo(r.theirs, 6);
    },
    180_000,
  );

  it('an AutoML ensemble of several families trains every member and averages them with their weights', async () => {
    const bundle = join(dir, 'german-automl');
    const run = await cli([
      'automl',
      datasetFile('german_credit'),
      '--target',
      target('german_credit'),
      '--families',
      'gbdt,linear,random_forest',
      '--max-trials',
      '10',
      '--workers',
      '0',
      '--seed',
      '3',
      '--out',
      bundle,
      '--no-track',
    ]);
    expect(run.code, run.err).toBe(0);
    const manifest = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8')) as {
      model: { members: { family: string; weight: number }[] };
    };
    const used = manifest.model.members.filter((m) => m.weight > 0);
    const r = await compare('german_credit', bundle, 'roc_auc');
    expect(used.length).toBeGreaterThan(1);
    expect(r.settings.members?.map((m) => m.family).sort()).toEqual(used.map((m) => m.family).sort());
    const sum = r.settings.members!.reduce((a, m) => a + m.weight, 0);
    expect(sum).toBeCloseTo(1, 12);
    expect(r.log.match(/^trained /gm)?.length).toBe(used.length);
    expect(r.readme).toContain(`${used.length}-model ensemble`);
    within('roc_auc', r);
  }, 300_000);

  it('a member with no translation is left out of the ensemble and named; none left is refused', async () => {
    // an ensemble of a GBDT (weight 0.7) and an MLP with batch normalisation (0.3) from two fitted bundles
    const fitted: Record<string, LoadedBundle> = {};
    for (const [name, args] of [
      ['gbdt', ['--params', '{"rounds": 20}']],
      ['bn', ['--model', 'mlp', '--params', '{"batchNorm": true, "epochs": 3}']],
    ] as const) {
      const out = join(dir, `penguins-${name}`);
      const fit = await cli([
        'fit',
        datasetFile('penguins'),
        '--target',
        'species',
        ...args,
        '--out',
        out,
        '--no-track',
      ]);
      expect(fit.code, fit.err).toBe(0);
      fitted[name] = loadBundle(readBundleFiles(out).files);
    }
    const g = fitted.gbdt!;
    const n = fitted.bn!;
    const ensemble: LoadedBundle = {
      ...g,
      model: new EnsembleModel(
        'multiclass',
        3,
        [g.pipeline!, n.pipeline!],
        [
          { weight: 0.7, pipeline: 0, model: g.model, trial: 4 },
          { weight: 0.3, pipeline: 1, model: n.model, trial: 9 },
        ],
      ),
    };
    const files = pythonProjectFiles(ensemble, { manifestSha256: '0', source: 'x' });
    const settings = JSON.parse(files['settings.json']!) as {
      family: string;
      members?: unknown[];
      leftOut?: { trial: number; family: string; weight: number; reason: string }[];
    };
    expect(settings.family).toBe('gbdt');
    expect(settings.members).toBeUndefined(); // one member kept: trained as the project's single model
    expect(settings.leftOut).toEqual([
      {
        trial: 9,
        family: 'mlp',
        weight: 0.3,
        reason:
          "the ensemble's member of trial 9 is a mlp model with batch normalisation: train.py's MLP has no counterpart; not exported",
      },
    ]);
    expect(files['README.md']).toContain('trial 9 (mlp, weight 0.300):');
    expect(files['README.md']).toContain('the only member of the 2-model ensemble with a Python translation');
    // both left out: refused with the first member's reason
    const none: LoadedBundle = {
      ...g,
      model: new EnsembleModel(
        'multiclass',
        3,
        [n.pipeline!],
        [
          { weight: 0.5, pipeline: 0, model: n.model, trial: 1 },
          { weight: 0.5, pipeline: 0, model: n.model, trial: 2 },
        ],
      ),
    };
    expect(() => pythonProjectFiles(none, { manifestSha256: '0', source: 'x' })).toThrow(
      /batch normalisation/,
    );
  }, 120_000);

  it('logs params, metrics and files to MLflow when mlflow is importable', async () => {
    const fake = join(dir, 'fake-mlflow');
    mkdirSync(join(fake, 'mlflow'), { recursive: true });
    const calls = join(dir, 'mlflow-calls.jsonl');
    writeFileSync(
      join(fake, 'mlflow', '__init__.py'),
      [
        'import contextlib, json, os',
        `LOG = ${JSON.stringify(calls)}`,
        'def _rec(kind, value):',
        '    with open(LOG, "a") as f: f.write(json.dumps({"kind": kind, "value": value}) + "\\n")',
        '@contextlib.contextmanager',
        'def start_run(run_name=None):',
        '    _rec("start_run", run_name); yield None; _rec("end_run", None)',
        'def log_params(p): _rec("params", p)',
        'def log_metrics(m): _rec("metrics", m)',
        'def log_artifact(path): _rec("artifact", os.path.basename(path))',
        '',
      ].join('\n'),
    );
    const bundle = join(dir, 'diabetes-gbdt');
    const fit = await cli([
      'fit',
      datasetFile('diabetes'),
      '--target',
      target('diabetes'),
      '--out',
      bundle,
      '--no-track',
    ]);
    expect(fit.code, fit.err).toBe(0);
    const r = await compare('diabetes', bundle, 'rmse', { ...process.env, PYTHONPATH: fake });
    expect(r.log).toContain('logged the run to MLflow');
    const logged = readFileSync(calls, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; value: unknown });
    expect(logged[0]!.kind).toBe('start_run');
    expect(logged.at(-1)!.kind).toBe('end_run');
    const params = logged.find((c) => c.kind === 'params')!.value as Record<string, unknown>;
    expect(params.family).toBe('gbdt');
    expect(params.member1).toContain('num_boost_round');
    const metrics = logged.find((c) => c.kind === 'metrics')!.value as Record<string, number>;
    expect(metrics.rmse).toBeCloseTo(r.theirs, 6);
    expect(logged.filter((c) => c.kind === 'artifact').map((c) => c.value)).toEqual([
      'model.json',
      `diabetes.${bundle.length}.py.csv`,
      'metrics.json',
    ]);
  }, 180_000);
  it("train.py's MLP scales its inputs as the studio's net: same scaling, same predictions from the bundle's weights", async () => {
    // penguins' one-hot columns reach the net unscaled by the pipeline: the net standardises them itself
    const bundle = join(dir, 'penguins-mlp-forward');
    const fit = await cli([
      'fit',
      datasetFile('penguins'),
      '--target',
      'species',
      '--model',
      'mlp',
      '--params',
      '{"epochs": 3}',
      '--out',
      bundle,
      '--no-track',
    ]);
    expect(fit.code, fit.err).toBe(0);
    const ours = join(dir, 'penguins-mlp-forward.ours.csv');
    const p = await cli(['predict', bundle, datasetFile('penguins', 'test.csv'), '--out', ours]);
    expect(p.code, p.err).toBe(0);
    const exp = await cli(['export', bundle, '--format', 'python', '--out', `${bundle}.project`]);
    expect(exp.code, exp.err).toBe(0);
    const script = join(REPO_ROOT, 'test', 'fixtures', 'python', 'mlp_forward.py');
    const out = JSON.parse(
      execFileSync(
        PY,
        [
          script,
          `${bundle}.project`,
          bundle,
          datasetFile('penguins'),
          datasetFile('penguins', 'test.csv'),
          ours,
        ],
        { encoding: 'utf8' },
      ),
    ) as { scaling: number; predictions: number; features: number };
    expect(out.features).toBeGreaterThan(6); // one-hot columns besides the 4 numbers
    expect(out.scaling).toBeLessThan(1e-6);
    expect(out.predictions).toBeLessThan(1e-6);
  }, 120_000);

  it("train.py's MLP gradients equal finite differences (every task, ReLU and GELU, Huber)", async () => {
    const bundle = join(dir, 'penguins-gbdt-for-gradcheck');
    const fit = await cli([
      'fit',
      datasetFile('penguins'),
      '--target',
      'species',
      '--params',
      '{"rounds": 5}',
      '--out',
      bundle,
      '--no-track',
    ]);
    expect(fit.code, fit.err).toBe(0);
    const exp = await cli(['export', bundle, '--format', 'python', '--out', `${bundle}.project`]);
    expect(exp.code, exp.err).toBe(0);
    const out = JSON.parse(
      execFileSync(
        PY,
        [join(REPO_ROOT, 'test', 'fixtures', 'python', 'mlp_gradcheck.py'), `${bundle}.project`],
        { encoding: 'utf8' },
      ),
    ) as { worst: number };
    expect(out.worst).toBeLessThan(1e-6);
  }, 120_000);
});
