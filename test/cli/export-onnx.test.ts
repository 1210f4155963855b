/**
 * `cli export --format onnx` and `--format mlflow`, used as a deployer would: the .onnx file passes
 * Debian's onnx checker, onnxruntime-node fed the test CSV's columns gives the probabilities and labels
 * `cli predict` writes; the MLflow directory holds MLmodel (onnx + python_function flavors), model.onnx
 * with one value per row in every output, and our bundle. Refusals are exit 2 with the reason.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.ts';
import { datasetFile } from '../helpers/paths.ts';
import { loadBundleArg } from '../../src/cli/bundle-io.ts';
import { fileSource, nodeHasher } from '../../src/cli/node-io.ts';
import { readForScoring } from '../../src/core/export/score.ts';
import { onnxFeeds, type InputKind } from '../../src/core/export/onnx/index.ts';
import { predictTable } from '../../src/core/export/bundle.ts';
import { bundleToOnnx } from '../../src/core/export/onnx/index.ts';
import {
  checkWithPythonOnnx,
  hasPythonOnnx,
  maxScaledDiff,
  ort,
  runOnnx,
} from '../core/export/onnx-helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'export-onnx-'));

function csvRows(path: string): { header: string[]; rows: string[][] } {
  const [head, ...lines] = readFileSync(path, 'utf8').trimEnd().split('\n');
  return { header: head!.split(','), rows: lines.map((l) => l.split(',')) };
}

async function feedsFor(bundlePath: string, csv: string, inputs: { name: string; kind: InputKind }[]) {
  const bundle = loadBundleArg(bundlePath);
  const { data } = await readForScoring(bundle, fileSource(csv), { createHasher: nodeHasher });
  const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
  for (const [name, f] of Object.entries(onnxFeeds(data.table, inputs)))
    feeds[name] = new ort.Tensor(
      f.kind === 'string' ? 'string' : f.kind === 'float' ? 'float32' : 'float64',
      f.data,
      [f.data.length],
    );
  return feeds;
}

describe('export --format onnx', () => {
  it('penguins GBDT: the .onnx file run by onnxruntime gives what cli predict writes', async () => {
    const bundle = join(dir, 'penguins');
    const fit = await cli([
      'fit',
      datasetFile('penguins'),
      '--target',
      'species',
      '--out',
      bundle,
      '--params',
      '{"rounds": 20}',
      '--no-track',
    ]);
    expect(fit.code, fit.err).toBe(0);
    const out = join(dir, 'penguins.onnx');
    const exp = await cli(['export', bundle, '--format', 'onnx', '--out', out]);
    expect(exp.code, exp.err).toBe(0);
    expect(exp.out).toMatch(/wrote .*penguins\.onnx \(ONNX, gbdt multiclass/);
    expect(exp.out).toMatch(/outputs: label, probabilities/);
    const bytes = new Uint8Array(readFileSync(out));
    if (hasPythonOnnx) checkWithPythonOnnx(bytes, out);

    const test = datasetFile('penguins', 'test.csv');
    const pred = join(dir, 'penguins.pred.csv');
    const p = await cli(['predict', bundle, test, '--out', pred]);
    expect(p.code, p.err).toBe(0);
    const ours = csvRows(pred);

    const session = await ort.InferenceSession.create(bytes);
    const inputs = session.inputNames.map((name) => ({
      name,
      kind: (['island', 'sex'].includes(name) ? 'string' : 'double') as 'double' | 'string',
    }));
    const res = await session.run(await feedsFor(bundle, test, inputs));
    const labels = res.label!.data as string[];
    const probs = res.probabilities!.data as Float64Array;
    const classes = ours.header.slice(0, -1);
    expect(labels).toHaveLength(ours.rows.length);
    let maxDiff = 0;
    ours.rows.forEach((row, i) => {
      expect(labels[i]).toBe(row.at(-1));
      classes.forEach(
        (_, k) => (maxDiff = Math.max(maxDiff, Math.abs(Number(row[k]) - probs[i * classes.length + k]))),
      );
    });
    expect(maxDiff).toBeLessThanOrEqual(1e-5);
    await session.release();

    // MLflow: the model directory, with one value per row in each output of its graph
    const ml = join(dir, 'penguins-mlflow');
    const m = await cli(['export', bundle, '--format', 'mlflow', '--out', ml]);
    expect(m.code, m.err).toBe(0);
    for (const f of [
      'MLmodel',
      'model.onnx',
      'requirements.txt',
      'python_env.yaml',
      'automl-studio/manifest.json',
    ])
      expect(existsSync(join(ml, f)), f).toBe(true);
    const mlmodel = readFileSync(join(ml, 'MLmodel'), 'utf8');
    expect(mlmodel).toMatch(/^ {2}onnx:\n/m);
    expect(mlmodel).toMatch(/loader_module: mlflow\.onnx/);
    const mlBytes = new Uint8Array(readFileSync(join(ml, 'model.onnx')));
    if (hasPythonOnnx) checkWithPythonOnnx(mlBytes, join(dir, 'mlflow-copy.onnx'));
    const s2 = await ort.InferenceSession.create(mlBytes);
    expect(s2.outputNames).toEqual(['label', ...classes.map((c) => `probability(${c})`)]);
    // the MLmodel signature names exactly the graph's outputs (MLflow turns each into a column)
    const sigOutputs = JSON.parse(JSON.parse(/^ {2}outputs: (".*")$/m.exec(mlmodel)![1])) as {
      name: string;
    }[];
    expect(sigOutputs.map((o) => o.name)).toEqual(s2.outputNames);
    const r2 = await s2.run(await feedsFor(bundle, test, inputs));
    for (const name of s2.outputNames) expect(r2[name]!.dims).toEqual([ours.rows.length]);
    expect(Array.from(r2.label!.data as string[])).toEqual(Array.from(labels));
    await s2.release();
    const again = await cli(['export', bundle, '--format', 'mlflow', '--out', ml]);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/exists and is not empty/);
  }, 120_000);

  it('regression exports; a wrong --out extension is refused (exit 2)', async () => {
    const bundle = join(dir, 'diab');
    const fit = await cli([
      'fit',
      datasetFile('diabetes'),
      '--target',
      'target',
      '--out',
      bundle,
      '--params',
      '{"rounds": 5}',
      '--no-track',
    ]);
    expect(fit.code, fit.err).toBe(0);
    const bad = await cli(['export', bundle, '--format', 'onnx', '--out', join(dir, 'x.json')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--out must name a \.onnx file/);
    const ok = await cli(['export', bundle, '--format', 'onnx', '--out', join(dir, 'diab.onnx')]);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/outputs: variable/);
  }, 60_000);

  it('an automl search bundle (its final model, members with their own pipelines) exports and predicts as ours', async () => {
    const bundlePath = join(dir, 'automl');
    const a = await cli([
      'automl',
      datasetFile('german_credit'),
      '--target',
      'class',
      '--out',
      bundlePath,
      '--max-trials',
      '5',
      '--workers',
      '0',
      '--families',
      'gbdt,linear',
      '--no-track',
    ]);
    expect(a.code, a.err).toBe(0);
    const out = join(dir, 'automl.onnx');
    const exp = await cli(['export', bundlePath, '--format', 'onnx', '--out', out]);
    expect(exp.code, exp.err).toBe(0);
    const bytes = new Uint8Array(readFileSync(out));
    if (hasPythonOnnx) checkWithPythonOnnx(bytes, out);
    const bundle = loadBundleArg(bundlePath);
    expect(Buffer.from(bundleToOnnx(bundle).bytes).equals(Buffer.from(bytes))).toBe(true);
    const { data } = await readForScoring(bundle, fileSource(datasetFile('german_credit', 'test.csv')), {
      createHasher: nodeHasher,
    });
    const ours = predictTable(bundle, data.table);
    const got = await runOnnx(bundleToOnnx(bundle), data.table);
    expect(maxScaledDiff(got.probabilities!, ours.values)).toBeLessThanOrEqual(1e-5);
    const classes = bundle.manifest.classes!;
    expect(got.label!.filter((l, i) => l !== classes[ours.labels![i]!]).length).toBe(0);
  }, 180_000);
});
