/**
 * `cli export --format xgboost`, used the way a Python user would: the exported JSON loads in Debian's
 * python3-xgboost 1.7, the features CSV written with --data/--features feeds it, and its predictions
 * equal `cli predict` on the same rows (binary, multiclass, regression). Models without an exact
 * XGBoost form are refused with the reason. CI installs python3-xgboost (.ci/run).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.ts';
import { REPO_ROOT, datasetFile } from '../helpers/paths.ts';

const PY = '/usr/bin/python3';
const hasXgboost = (() => {
  try {
    execFileSync(PY, ['-c', 'import xgboost'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasXgboost && process.env.CI) throw new Error('CI must install python3-xgboost (see .ci/run)');

const dir = mkdtempSync(join(tmpdir(), 'export-xgb-'));

/** Parses the CLI's predictions.csv (no quoting needed for these datasets' class names). */
function predictionColumns(path: string): { header: string[]; rows: string[][] } {
  const [head, ...lines] = readFileSync(path, 'utf8').trimEnd().split('\n');
  return { header: head!.split(','), rows: lines.map((l) => l.split(',')) };
}

describe.runIf(hasXgboost)('export --format xgboost → xgboost.Booster in Python', () => {
  it.each([
    ['telco_churn', 'churn', 'binary'],
    ['penguins', 'species', 'multiclass'],
    ['diabetes', 'target', 'regression'],
  ] as const)(
    '%s (%s → %s): the Booster on the exported features predicts what cli predict does',
    async (name, target, task) => {
      const bundle = join(dir, name);
      const fit = await cli(['fit', datasetFile(name), '--target', target, '--out', bundle, '--no-track']);
      expect(fit.code, fit.err).toBe(0);
      const test = datasetFile(name, 'test.csv');
      const model = join(dir, `${name}.xgb.json`);
      const X = join(dir, `${name}.features.csv`);
      const exp = await cli([
        'export',
        bundle,
        '--format',
        'xgboost',
        '--out',
        model,
        '--data',
        test,
        '--features',
        X,
      ]);
      expect(exp.code, exp.err).toBe(0);
      expect(exp.out).toContain('XGBoost 1.7 JSON');
      const pred = join(dir, `${name}.pred.csv`);
      const p = await cli(['predict', bundle, test, '--out', pred]);
      expect(p.code, p.err).toBe(0);

      const py = JSON.parse(
        execFileSync(PY, [join(REPO_ROOT, 'bench/explain/predict_xgboost.py'), model, X], {
          encoding: 'utf8',
        }),
      ) as { predictions: (number | number[])[] };
      const ours = predictionColumns(pred);
      expect(py.predictions).toHaveLength(ours.rows.length);
      const manifest = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8')) as {
        classes?: string[];
      };
      let maxDiff = 0;
      ours.rows.forEach((row, i) => {
        const theirs = py.predictions[i]!;
        if (task === 'regression') {
          maxDiff = Math.max(
            maxDiff,
            Math.abs(Number(row[ours.header.indexOf('prediction')]) - (theirs as number)),
          );
        } else if (task === 'binary') {
          // XGBoost's binary:logistic gives p(class 1), the second class of the manifest
          const col = ours.header.indexOf(manifest.classes![1]!);
          maxDiff = Math.max(maxDiff, Math.abs(Number(row[col]) - (theirs as number)));
        } else {
          manifest.classes!.forEach((c, k) => {
            const col = ours.header.indexOf(c);
            maxDiff = Math.max(maxDiff, Math.abs(Number(row[col]) - (theirs as number[])[k]!));
          });
        }
      });
      // XGBoost accumulates in float32; ours in double
      const scale =
        task === 'regression' ? Math.max(1, ...ours.rows.map((r) => Math.abs(Number(r.at(-1))))) : 1;
      expect(maxDiff).toBeLessThanOrEqual(1e-5 * scale);
    },
    120_000,
  );
});

describe('export --format xgboost refusals', () => {
  it('a linear model, an unknown format and a missing --features are refused with the reason (exit 2)', async () => {
    const bundle = join(dir, 'linear');
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
    const lin = await cli(['export', bundle, '--format', 'xgboost', '--out', join(dir, 'l.json')]);
    expect(lin.code).toBe(2);
    expect(lin.err).toMatch(/linear model: only gradient-boosted trees export to XGBoost/);
    const fmt = await cli(['export', bundle, '--format', 'onnx2', '--out', join(dir, 'l.json')]);
    expect(fmt.code).toBe(2);
    expect(fmt.err).toMatch(/--format onnx2: unknown format/);
    const half = await cli([
      'export',
      bundle,
      '--format',
      'xgboost',
      '--out',
      join(dir, 'l.json'),
      '--data',
      datasetFile('penguins', 'test.csv'),
    ]);
    expect(half.code).toBe(2);
    expect(half.err).toMatch(/--data and --features go together/);
    const rf = join(dir, 'rf');
    expect(
      (
        await cli([
          'fit',
          datasetFile('penguins'),
          '--target',
          'species',
          '--model',
          'rf',
          '--out',
          rf,
          '--no-track',
        ])
      ).code,
    ).toBe(0);
    const forest = await cli(['export', rf, '--format', 'xgboost', '--out', join(dir, 'rf.json')]);
    expect(forest.code).toBe(2);
    expect(forest.err).toMatch(/random forests average their trees/);
  }, 60_000);
});
