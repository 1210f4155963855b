/**
 * The MLflow model directory's files, checked against MLflow's schema with Python's YAML reader (as
 * MLflow reads MLmodel: yaml.safe_load) — MLflow itself is not installable here. model.onnx is a
 * stand-in until the ONNX exporter exists: only the layout around it is tested.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../../helpers/paths.ts';
import { loadBundle } from '../../../src/core/export/bundle.ts';
import { mlflowModelFiles, MLFLOW_COLUMN_TYPES } from '../../../src/core/export/mlflow.ts';

function fixture(name: string) {
  const dir = join(REPO_ROOT, 'test/fixtures/bundle', name);
  const files: Record<string, string> = {};
  for (const f of readdirSync(dir)) files[f] = readFileSync(join(dir, f), 'utf8');
  return { files, bundle: loadBundle(files) };
}

/** Python's view of the written directory: every YAML/JSON file parsed, the time parsed as MLflow does. */
function pythonView(dir: string): Record<string, unknown> {
  const script = `
import json, sys, yaml, datetime, os
d = sys.argv[1]
out = {}
for name in ["MLmodel", "python_env.yaml", "conda.yaml"]:
    with open(os.path.join(d, name)) as f:
        out[name] = yaml.safe_load(f)
m = out["MLmodel"]
datetime.datetime.strptime(m["utc_time_created"], "%Y-%m-%d %H:%M:%S.%f")
out["signature_inputs"] = json.loads(m["signature"]["inputs"])
out["signature_outputs"] = json.loads(m["signature"]["outputs"])
with open(os.path.join(d, m["saved_input_example_info"]["artifact_path"])) as f:
    out["example"] = json.load(f)
with open(os.path.join(d, "requirements.txt")) as f:
    out["requirements"] = f.read().split()
print(json.dumps(out, default=str))
`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, dir], { encoding: 'utf8' }));
}

describe('MLflow model directory', () => {
  it('writes MLmodel with the onnx and python_function flavors, the signature and the example', async () => {
    const { files, bundle } = fixture('v2-fit-mlp');
    const onnx = new Uint8Array([8, 7, 18, 4, 116, 101, 115, 116]);
    const out = await mlflowModelFiles(bundle, files, {
      createdAt: new Date('2026-12-03T18:00:00.123Z'),
      modelUuid: '0123456789abcdef0123456789abcdef',
      onnx,
    });
    const dir = mkdtempSync(join(tmpdir(), 'mlflow-'));
    for (const [path, content] of Object.entries(out)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    const py = pythonView(dir) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const m = py.MLmodel;
    expect(m.flavors.onnx).toMatchObject({ data: 'model.onnx', onnx_version: '1.12.0', code: null });
    expect(m.flavors.python_function).toEqual({
      data: 'model.onnx',
      env: { conda: 'conda.yaml', virtualenv: 'python_env.yaml' },
      loader_module: 'mlflow.onnx',
      python_version: '3.11',
    });
    expect(m.model_uuid).toBe('0123456789abcdef0123456789abcdef');
    expect(m.utc_time_created).toBe('2026-12-03 18:00:00.123000');
    expect(m.saved_input_example_info).toMatchObject({
      artifact_path: 'input_example.json',
      type: 'dataframe',
      pandas_orient: 'split',
    });
    expect(m.metadata).toMatchObject({
      task: 'binary',
      target: 'sex',
      family: 'mlp',
      automl_studio_bundle: 'automl-studio/manifest.json',
    });
    // Signature: MLflow column specs, one per input column, with MLflow's types.
    const inputs = bundle.manifest.signature.inputs;
    expect(py.signature_inputs).toEqual(
      inputs.map((c) => ({ type: MLFLOW_COLUMN_TYPES[c.type], name: c.name, required: true })),
    );
    for (const s of py.signature_inputs)
      expect(['double', 'long', 'string', 'boolean', 'datetime']).toContain(s.type);
    // the label and one probability column per class: the outputs of the graph MLflow loads
    expect(py.signature_outputs).toEqual([
      { type: 'string', name: 'label', required: true },
      ...bundle.manifest.classes!.map((c) => ({ type: 'double', name: `probability(${c})`, required: true })),
    ]);
    // The example: the signature's columns, typed (numbers as numbers).
    expect(py.example.columns).toEqual(inputs.map((c) => c.name));
    expect(py.example.data.length).toBeGreaterThan(0);
    py.example.data.forEach((row: unknown[]) =>
      row.forEach((v, j) => {
        if (v !== null)
          expect(typeof v).toBe(
            ['double', 'long'].includes(MLFLOW_COLUMN_TYPES[inputs[j].type]) ? 'number' : 'string',
          );
      }),
    );
    expect(JSON.parse(out['serving_input_example.json'] as string)).toEqual({ dataframe_split: py.example });
    // The environment files as MLflow's _PythonEnv and conda read them.
    expect(py['python_env.yaml']).toEqual({
      python: '3.11',
      build_dependencies: ['pip', 'setuptools', 'wheel'],
      dependencies: ['-r requirements.txt'],
    });
    expect(py['conda.yaml'].dependencies.at(-1).pip).toEqual(py.requirements);
    expect(py.requirements.some((r: string) => r.startsWith('mlflow'))).toBe(true);
    expect(py.requirements.some((r: string) => r.startsWith('onnxruntime'))).toBe(true);
    // Our bundle beside it, unchanged; the ONNX bytes as given; the size counts every file.
    expect(readFileSync(join(dir, 'automl-studio/manifest.json'), 'utf8')).toBe(files['manifest.json']);
    expect(new Uint8Array(readFileSync(join(dir, 'model.onnx')))).toEqual(onnx);
    expect(m.model_size_bytes).toBeGreaterThan(onnx.length);
  });

  it('regression: the output is `variable`; a bad UUID is refused', async () => {
    const { files, bundle } = fixture('v2-fit-mlp');
    const regression = {
      ...bundle,
      manifest: { ...bundle.manifest, task: 'regression' as const, classes: undefined, decision: undefined },
    };
    const out = await mlflowModelFiles(regression, files, {
      createdAt: new Date(0),
      modelUuid: 'f'.repeat(32),
      onnx: new Uint8Array(1),
    });
    expect(out.MLmodel).toContain(
      `outputs: ${JSON.stringify(JSON.stringify([{ type: 'double', name: 'variable', required: true }]))}`,
    );
    await expect(
      mlflowModelFiles(bundle, files, { createdAt: new Date(0), modelUuid: 'x', onnx: new Uint8Array(1) }),
    ).rejects.toThrow(/modelUuid/);
  });
});
