import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runCli } from '../../src/cli/run.ts';
import { REPO_ROOT, datasetFile } from '../helpers/paths.ts';

/** Writes an edited manifest; its signature no longer matches, so it goes (an unsigned bundle loads). */
function writeManifest(path: string, manifest: unknown): void {
  writeFileSync(path, JSON.stringify(manifest));
  rmSync(join(dirname(path), 'manifest.sig'), { force: true });
}

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'automl-decision-'));
const DATA = join(REPO_ROOT, 'test/fixtures/decision/churn_imbalanced.csv');

/** Rows of a predictions CSV: the probability columns by class and the label. */
function readPredictions(csv: string): { header: string[]; rows: string[][] } {
  const lines = csv.trim().split('\n');
  return { header: lines[0].split(','), rows: lines.slice(1).map((l) => l.split(',')) };
}

describe('binary decisions in the CLI', () => {
  it('fit picks the minority class and an F1 threshold; predict and predict.mjs apply it', async () => {
    const dir = tmp();
    const bundle = join(dir, 'model');
    const fit = await cli(['fit', DATA, '--target', 'churn', '--out', bundle, '--no-track', '--seed', '5']);
    expect(fit.err).toBe('');
    expect(fit.code).toBe(0);
    expect(fit.out).toMatch(
      /positive class: Yes \(the minority class, 5%\); decision threshold [\d.]+ \(chosen for f1\)/,
    );
    const manifest = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8'));
    expect(manifest.decision).toMatchObject({ positiveClass: 'Yes', chosenFor: 'f1' });
    const t = manifest.decision.threshold as number;
    expect(t).toBeGreaterThan(0);
    expect(t).toBeLessThan(0.5);

    const pred = await cli(['predict', bundle, DATA]);
    expect(pred.code).toBe(0);
    const { header, rows } = readPredictions(pred.out);
    expect(header).toEqual(['No', 'Yes', 'prediction']);
    const labels = new Set<string>();
    for (const r of rows) {
      // The label follows the threshold on P(Yes); the probabilities are the model's.
      expect(r[2]).toBe(Number(r[1]) >= t ? 'Yes' : 'No');
      labels.add(r[2]);
    }
    expect([...labels].sort()).toEqual(['No', 'Yes']);
    // The argmax would have given other labels: the threshold matters here.
    expect(rows.some((r) => Number(r[1]) < 0.5 && r[2] === 'Yes')).toBe(true);

    const scorer = execFileSync(process.execPath, [join(bundle, 'predict.mjs'), DATA], {
      encoding: 'utf8',
    });
    expect(scorer).toBe(pred.out);
  }, 120_000);

  it('takes --positive-class and cost-based thresholds; the metrics are those of that class', async () => {
    const dir = tmp();
    const bundle = join(dir, 'model');
    const fit = await cli([
      'fit',
      DATA,
      '--target',
      'churn',
      '--out',
      bundle,
      '--no-track',
      '--positive-class',
      'No',
      '--threshold-for',
      'cost',
      '--cost-fp',
      '5',
      '--cost-fn',
      '1',
      '--json',
    ]);
    expect(fit.code).toBe(0);
    const manifest = JSON.parse(fit.out);
    expect(manifest.decision).toMatchObject({
      positiveClass: 'No',
      chosenFor: 'cost',
      costs: { fp: 5, fn: 1 },
      positiveReason: 'No (chosen by the user)',
    });
    // F1 of "No" (95% of rows) is high; of "Yes" it would be low.
    expect(manifest.metrics.validation.f1).toBeGreaterThan(0.8);
    const pred = await cli(['predict', bundle, DATA]);
    const t = manifest.decision.threshold as number;
    for (const r of readPredictions(pred.out).rows) expect(r[2]).toBe(Number(r[0]) >= t ? 'No' : 'Yes');
  }, 120_000);

  it('rejects a positive class that is not a class, and decisions for non-binary targets', async () => {
    const dir = tmp();
    const bad = await cli([
      'fit',
      DATA,
      '--target',
      'churn',
      '--out',
      join(dir, 'a'),
      '--no-track',
      '--positive-class',
      'Maybe',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--positive-class 'Maybe' is not a class of the target \(classes: No, Yes\)/);
    const multi = await cli([
      'fit',
      datasetFile('penguins'),
      '--target',
      'species',
      '--out',
      join(dir, 'b'),
      '--no-track',
      '--positive-class',
      'Adelie',
    ]);
    expect(multi.code).toBe(2);
    expect(multi.err).toMatch(/binary targets only \(this target is multiclass\)/);
    const obj = await cli([
      'fit',
      DATA,
      '--target',
      'churn',
      '--out',
      join(dir, 'c'),
      '--no-track',
      '--threshold-for',
      'recall',
    ]);
    expect(obj.code).toBe(2);
    expect(obj.err).toMatch(/--threshold-for must be one of f1, balanced_accuracy, cost, default/);
  });

  it('a bundle without a decision (older bundles) predicts by argmax', async () => {
    const dir = tmp();
    const bundle = join(dir, 'model');
    expect((await cli(['fit', DATA, '--target', 'churn', '--out', bundle, '--no-track'])).code).toBe(0);
    const path = join(bundle, 'manifest.json');
    const manifest = JSON.parse(readFileSync(path, 'utf8'));
    delete manifest.decision;
    writeManifest(path, manifest);
    const pred = await cli(['predict', bundle, DATA]);
    expect(pred.code).toBe(0);
    for (const r of readPredictions(pred.out).rows)
      expect(r[2]).toBe(Number(r[1]) > Number(r[0]) ? 'Yes' : 'No');
    // A decision naming a class the model does not have is refused when loading.
    manifest.decision = { positiveClass: 'Maybe', threshold: 0.3, chosenFor: 'manual' };
    writeManifest(path, manifest);
    const bad = await cli(['predict', bundle, DATA]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/decision\.positiveClass is "Maybe", not one of the classes/);
  }, 120_000);

  it('automl chooses the threshold on the final model’s out-of-fold predictions', async () => {
    const dir = tmp();
    const bundle = join(dir, 'model');
    const run = await cli([
      'automl',
      DATA,
      '--target',
      'churn',
      '--out',
      bundle,
      '--no-track',
      '--max-trials',
      '2',
      '--families',
      'gbdt',
      '--workers',
      '0',
      '--positive-class',
      'Yes',
      '--threshold-for',
      'balanced_accuracy',
    ]);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(
      /positive class: Yes \(chosen by the user\); decision threshold [\d.]+ \(chosen for balanced accuracy\)/,
    );
    const manifest = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8'));
    expect(manifest.decision).toMatchObject({ positiveClass: 'Yes', chosenFor: 'balanced_accuracy' });
    const t = manifest.decision.threshold as number;
    const pred = await cli(['predict', bundle, DATA]);
    for (const r of readPredictions(pred.out).rows) expect(r[2]).toBe(Number(r[1]) >= t ? 'Yes' : 'No');
  }, 300_000);

  it('reproduce replays the decision: a chosen positive class and cost threshold, and a moved threshold', async () => {
    const dir = tmp();
    const bundle = join(dir, 'model');
    const fit = await cli([
      'fit',
      DATA,
      '--target',
      'churn',
      '--out',
      bundle,
      '--no-track',
      '--positive-class',
      'No',
      '--threshold-for',
      'cost',
      '--cost-fn',
      '3',
    ]);
    expect(fit.code).toBe(0);
    const again = await cli(['reproduce', bundle, '--data', DATA]);
    expect(again.out).toMatch(/verdict: reproduced/);
    expect(again.code).toBe(0);
    // A threshold moved by hand after training (as the results view's download does).
    const path = join(bundle, 'manifest.json');
    const manifest = JSON.parse(readFileSync(path, 'utf8'));
    manifest.decision = { ...manifest.decision, threshold: 0.97, chosenFor: 'manual' };
    writeManifest(path, manifest);
    const moved = await cli(['reproduce', bundle, '--data', DATA]);
    expect(moved.out).toMatch(/verdict: reproduced/);
    // A bundle from before decisions existed (metrics of classes[1] at 0.5, no decision) replays as argmax.
    const older = join(dir, 'older');
    const fitOld = await cli([
      'fit',
      DATA,
      '--target',
      'churn',
      '--out',
      older,
      '--no-track',
      '--positive-class',
      'Yes',
      '--threshold-for',
      'default',
    ]);
    expect(fitOld.code).toBe(0);
    const oldPath = join(older, 'manifest.json');
    const oldManifest = JSON.parse(readFileSync(oldPath, 'utf8'));
    delete oldManifest.decision;
    writeManifest(oldPath, oldManifest);
    const old = await cli(['reproduce', older, '--data', DATA]);
    expect(old.out).toMatch(/verdict: reproduced/);
  }, 120_000);
});
