/**
 * `cli export --format onnx --onnx-input-type float32|double`: float32 number inputs in the file
 * (onnxruntime reports them), the default stays double, and bad values or formats are exit 2.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.ts';
import { datasetFile } from '../helpers/paths.ts';
import { checkWithPythonOnnx, hasPythonOnnx, ort } from '../core/export/onnx-helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'onnx-input-type-'));

describe('export --onnx-input-type', () => {
  it('float32: number inputs are float32 in the file; double is the default; bad values exit 2', async () => {
    const bundle = join(dir, 'penguins');
    const fit = await cli([
      'fit',
      datasetFile('penguins'),
      '--target',
      'species',
      '--out',
      bundle,
      '--params',
      '{"rounds": 10}',
      '--no-track',
    ]);
    expect(fit.code, fit.err).toBe(0);
    const f32 = join(dir, 'f32.onnx');
    const ok = await cli([
      'export',
      bundle,
      '--format',
      'onnx',
      '--out',
      f32,
      '--onnx-input-type',
      'float32',
    ]);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/bill_length_mm \(float32\)/);
    expect(ok.out).toMatch(/island \(string\)/);
    const dflt = join(dir, 'f64.onnx');
    const plain = await cli(['export', bundle, '--format', 'onnx', '--out', dflt]);
    expect(plain.code, plain.err).toBe(0);
    expect(plain.out).toMatch(/bill_length_mm \(double\)/);
    if (hasPythonOnnx) checkWithPythonOnnx(readFileSync(f32), join(dir, 'checked.onnx'));

    // onnxruntime runs it on float32 tensors and refuses doubles for those inputs
    const session = await ort.InferenceSession.create(readFileSync(f32));
    const n = 2;
    const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
    for (const name of session.inputNames)
      feeds[name] = ['island', 'sex'].includes(name)
        ? new ort.Tensor('string', ['Biscoe', ''], [n])
        : new ort.Tensor('float32', Float32Array.of(45.1, Number.NaN), [n]);
    const out = await session.run(feeds);
    expect((out.probabilities!.data as Float64Array).length).toBe(2 * 3);
    const wrong = { ...feeds };
    const num = session.inputNames.find((x) => !['island', 'sex'].includes(x))!;
    wrong[num] = new ort.Tensor('float64', Float64Array.of(45.1, 1), [n]);
    await expect(session.run(wrong)).rejects.toThrow();
    await session.release();

    const bad = await cli(['export', bundle, '--format', 'onnx', '--out', f32, '--onnx-input-type', 'half']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--onnx-input-type half: use double or float32/);
    const wrongFormat = await cli([
      'export',
      bundle,
      '--format',
      'mlflow',
      '--out',
      join(dir, 'ml'),
      '--onnx-input-type',
      'float32',
    ]);
    expect(wrongFormat.code).toBe(2);
    expect(wrongFormat.err).toMatch(/--onnx-input-type goes with --format onnx/);
  }, 120_000);
});
