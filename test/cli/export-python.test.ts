/**
 * `cli export --format python`, run the way a Python user would: the exported project's train.py
 * (Debian's python3 with pandas, Dask and XGBoost) retrains on the dataset's train split, with plain
 * xgboost and on a Dask LocalCluster, and predicts the test split; its score — computed by the same
 * score.py as the bundle's own predictions — is close to the bundle's (binary with categories,
 * multiclass, regression). Non-GBDT bundles are refused naming the family. CI installs the packages
 * (.ci/run).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.ts';
import { datasetFile } from '../helpers/paths.ts';
import { PY, hasPythonExportTools, scoreDatasetDir } from '../helpers/python-export.ts';
import { readBundleFiles } from '../../src/cli/bundle-io.ts';
import { loadBundle, type LoadedBundle } from '../../src/core/export/bundle.ts';
import { pythonProjectFiles } from '../../src/core/export/python/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'export-py-'));

/** The first `rows` data rows of a CSV (these splits are already shuffled). */
function head(src: string, dest: string, rows: number): string {
  const lines = readFileSync(src, 'utf8').split('\n');
  writeFileSync(dest, lines.slice(0, rows + 1).join('\n') + '\n');
  return dest;
}

describe.runIf(hasPythonExportTools)('export --format python → train.py with pandas + XGBoost', () => {
  it.each([
    ['telco_churn', 'churn', 'roc_auc', 0],
    ['penguins', 'species', 'log_loss', 0],
    ['diamonds', 'price', 'rmse', 3000],
  ] as const)(
    '%s (%s, %s): the retrained model scores within tolerance of the bundle on the test split',
    async (name, target, metric, sample) => {
      // a dataset folder for score.py: the test rows (sampled for diamonds) beside meta.json
      const data = join(dir, name);
      mkdirSync(data, { recursive: true });
      copyFileSync(datasetFile(name, 'meta.json'), join(data, 'meta.json'));
      const train = sample ? head(datasetFile(name), join(data, 'train.csv'), sample) : datasetFile(name);
      const test = sample
        ? head(datasetFile(name, 'test.csv'), join(data, 'test.csv'), sample / 3)
        : (copyFileSync(datasetFile(name, 'test.csv'), join(data, 'test.csv')), join(data, 'test.csv'));

      const bundle = join(dir, `${name}.bundle`);
      const fit = await cli(['fit', train, '--target', target, '--out', bundle, '--no-track']);
      expect(fit.code, fit.err).toBe(0);
      const ours = join(dir, `${name}.ours.csv`);
      const p = await cli(['predict', bundle, test, '--out', ours]);
      expect(p.code, p.err).toBe(0);

      const project = join(dir, `${name}.project`);
      const exp = await cli(['export', bundle, '--format', 'python', '--out', project]);
      expect(exp.code, exp.err).toBe(0);
      const readme = readFileSync(join(project, 'README.md'), 'utf8');
      expect(readme).toMatch(/manifest SHA-256 `[0-9a-f]{64}`/);
      expect(readme).toContain('not bit-identical');
      expect(readFileSync(join(project, 'MLproject'), 'utf8')).toMatch(/entry_points:\n {2}train:/);

      const ourScore = scoreDatasetDir(data, ours)[metric]!;
      const ourHeader = readFileSync(ours, 'utf8').split('\n')[0];
      for (const scheduler of ['none', 'local']) {
        const theirs = join(dir, `${name}.${scheduler}.csv`);
        const log = execFileSync(
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
            scheduler,
          ],
          { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
        );
        expect(log).toContain(`scheduler ${scheduler}`);
        const text = readFileSync(theirs, 'utf8').trimEnd().split('\n');
        expect(text[0]).toBe(ourHeader);
        expect(text.length).toBe(readFileSync(ours, 'utf8').trimEnd().split('\n').length);
        const theirScore = scoreDatasetDir(data, theirs)[metric]!;
        // AUC within 0.01; log loss / RMSE within 5% (log loss: or 0.01 absolute when near 0, as on penguins)
        const tolerance =
          metric === 'roc_auc'
            ? 0.01
            : metric === 'log_loss'
              ? Math.max(0.05 * ourScore, 0.01)
              : 0.05 * ourScore;
        expect(
          Math.abs(theirScore - ourScore),
          `${scheduler}: ${theirScore} vs ours ${ourScore}`,
        ).toBeLessThanOrEqual(tolerance);
      }
    },
    120_000,
  );
});

describe('export --format python refusals', () => {
  it('an MLP with batch normalisation is refused naming it; a non-empty --out and an unknown format too (exit 2)', async () => {
    const bundle = join(dir, 'mlp');
    const fit = await cli([
      'fit',
      datasetFile('penguins'),
      '--target',
      'species',
      '--model',
      'mlp',
      '--params',
      '{"epochs": 3, "batchNorm": true}',
      '--out',
      bundle,
      '--no-track',
    ]);
    expect(fit.code, fit.err).toBe(0);
    const mlp = await cli(['export', bundle, '--format', 'python', '--out', join(dir, 'mlp.project')]);
    expect(mlp.code).toBe(2);
    expect(mlp.err).toContain("mlp model with batch normalisation: train.py's MLP has no counterpart");
    const busy = join(dir, 'busy');
    mkdirSync(busy, { recursive: true });
    writeFileSync(join(busy, 'x'), '');
    const full = await cli(['export', bundle, '--format', 'python', '--out', busy]);
    expect(full.code).toBe(2);
    expect(full.err).toContain('is not empty');
    const bad = await cli(['export', bundle, '--format', 'pyton', '--out', busy]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('python');
  });

  it('an MLP with category embeddings, the Huber objective and an ensemble without pipelines are refused, naming what they are', async () => {
    const gelu = join(dir, 'embeddings');
    expect(
      (
        await cli([
          'fit',
          datasetFile('penguins'),
          '--target',
          'species',
          '--model',
          'mlp',
          '--params',
          '{"embeddings": true, "epochs": 3}',
          '--out',
          gelu,
          '--no-track',
        ])
      ).code,
    ).toBe(0);
    const r = await cli(['export', gelu, '--format', 'python', '--out', join(dir, 'embeddings.project')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("mlp model with learned category embeddings: train.py's MLP has no counterpart");
    const huber = join(dir, 'huber');
    const fit = await cli([
      'fit',
      datasetFile('diabetes'),
      '--target',
      'target',
      '--params',
      '{"objective": "huber", "rounds": 5}',
      '--out',
      huber,
      '--no-track',
    ]);
    expect(fit.code, fit.err).toBe(0);
    const h = await cli(['export', huber, '--format', 'python', '--out', join(dir, 'huber.project')]);
    expect(h.code).toBe(2);
    expect(h.err).toContain('huber objective has no XGBoost counterpart');
    // an ensemble: the same bundle seen as one without its own pipeline, with members
    const { files } = readBundleFiles(huber);
    const bundle = loadBundle(files);
    const ensemble = {
      ...bundle,
      pipeline: null,
      manifest: {
        ...bundle.manifest,
        model: {
          ...bundle.manifest.model,
          family: 'ensemble',
          members: [{ family: 'gbdt' }, { family: 'mlp' }],
        },
      },
    } as unknown as LoadedBundle;
    expect(() => pythonProjectFiles(ensemble, { manifestSha256: '0', source: 'x' })).toThrow(
      /ensemble \(gbdt, mlp averaged\) without its members' pipelines/,
    );
  });
});
