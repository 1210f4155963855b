/**
 * `inputType: 'float32'` ONNX exports (issue 19): number and boolean inputs are float32 tensors, cast
 * to double as the graph's first step; categories stay strings and dates stay double. Checked with
 * onnxruntime-node and Debian's onnx checker, as the double exports are:
 * - exactness of the cast: the float32 graph fed float32 data gives bit for bit what the double graph
 *   gives fed the same values widened to double;
 * - parity with our own predict on the original (double) test data, for every family: probabilities
 *   within FLOAT32_TOLERANCE (absolute), regression values within FLOAT32_TOLERANCE × the largest
 *   |prediction| of the split (rounding an input to float32 moves it by up to 6e-8 of its size,
 *   and a linear model's terms are on the scale of its largest predictions, not of each one: a
 *   price predicted near 0 moves as much as one near 20,000), and the same labels (a row whose
 *   probability sits within the tolerance of the decision threshold may flip; none does here).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../helpers/cli.ts';
import { datasetFile } from '../../helpers/paths.ts';
import { loadBundleArg } from '../../../src/cli/bundle-io.ts';
import { fileSource, nodeHasher } from '../../../src/cli/node-io.ts';
import { predictTable, type LoadedBundle } from '../../../src/core/export/bundle.ts';
import { readForScoring } from '../../../src/core/export/score.ts';
import { bundleToOnnx, onnxFeeds, OnnxExportError } from '../../../src/core/export/onnx/index.ts';
import { inputKindOf } from '../../../src/core/export/onnx/pipeline.ts';
import type { Table } from '../../../src/core/data/table.ts';
import { checkWithPythonOnnx, hasPythonOnnx, maxScaledDiff, ort, runOnnx } from './onnx-helpers.ts';

/** The parity tolerance the README states for float32 inputs. */
const FLOAT32_TOLERANCE = 1e-5;

const dir = mkdtempSync(join(tmpdir(), 'onnx-float32-'));

const DATASETS = {
  diamonds: { target: 'price' },
  telco_churn: { target: 'churn' },
  german_credit: { target: 'class' },
  penguins: { target: 'species' },
  letter: { target: 'lettr' },
} as const;
type Dataset = keyof typeof DATASETS;

const PARAMS: Record<string, Record<string, unknown>> = {
  gbdt: { rounds: 25 },
  rf: { rounds: 8, maxDepth: 10 },
  linear: { epochs: 2 },
  mlp: { epochs: 2, hidden: [16, 8] },
  'mlp-gelu-bn': { epochs: 2, hidden: [12], activation: 'gelu', batchNorm: true },
  'mlp-embeddings': { epochs: 2, hidden: [8], embeddings: true },
};

async function fit(name: Dataset, family: string): Promise<LoadedBundle> {
  const out = join(dir, `${name}-${family}`);
  const r = await cli([
    'fit',
    datasetFile(name),
    '--target',
    DATASETS[name].target,
    '--out',
    out,
    '--model',
    family.startsWith('mlp') ? 'mlp' : family,
    '--params',
    JSON.stringify(PARAMS[family]),
    '--no-track',
  ]);
  expect(r.code, r.err).toBe(0);
  return loadBundleArg(out);
}

async function testTable(bundle: LoadedBundle, name: Dataset): Promise<Table> {
  const { data } = await readForScoring(bundle, fileSource(datasetFile(name, 'test.csv')), {
    createHasher: nodeHasher,
  });
  return data.table;
}

/** Runs a graph on explicit feeds; returns the numeric output (probabilities or variable). */
async function runFeeds(bytes: Uint8Array, feeds: Record<string, InstanceType<typeof ort.Tensor>>) {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run(feeds);
    return {
      values: (out.probabilities ?? out.variable)!.data as Float64Array,
      label: out.label?.data as string[] | undefined,
    };
  } finally {
    await session.release();
  }
}

describe('ONNX export with float32 inputs', () => {
  const cases: [Dataset, string][] = [
    ['diamonds', 'gbdt'],
    ['diamonds', 'linear'],
    ['diamonds', 'mlp'],
    ['telco_churn', 'gbdt'],
    ['telco_churn', 'rf'],
    ['telco_churn', 'mlp-gelu-bn'],
    ['german_credit', 'linear'],
    ['german_credit', 'mlp-embeddings'],
    ['penguins', 'gbdt'],
    ['penguins', 'linear'],
    ['letter', 'gbdt'],
  ];
  it.each(cases)('%s, %s: parity with our predict; the cast is exact', async (name, family) => {
    const bundle = await fit(name, family);
    const f32 = bundleToOnnx(bundle, { inputType: 'float32' });
    const f64 = bundleToOnnx(bundle);
    if (hasPythonOnnx) checkWithPythonOnnx(f32.bytes, join(dir, `${name}-${family}-f32.onnx`));
    // numbers and booleans are float32 inputs, categories strings, as the double export's kinds say
    expect(f32.inputs.map((c) => c.name)).toEqual(f64.inputs.map((c) => c.name));
    f32.inputs.forEach((c, j) =>
      expect(c.kind).toBe(
        f64.inputs[j]!.kind === 'double' && c.type !== 'datetime' ? 'float' : f64.inputs[j]!.kind,
      ),
    );
    expect(f32.inputs.some((c) => c.kind === 'float')).toBe(true);
    const session = await ort.InferenceSession.create(f32.bytes);
    const meta = session.inputNames;
    await session.release();
    expect(meta).toEqual(f32.inputs.map((c) => c.name));

    const table = await testTable(bundle, name);
    const ours = predictTable(bundle, table);
    const got = await runOnnx(f32, table);
    const values = bundle.manifest.task === 'regression' ? got.variable! : got.probabilities!;
    expect(values.length).toBe(ours.values.length);
    if (bundle.manifest.task === 'regression') {
      let scale = 1;
      let worst = 0;
      for (let i = 0; i < values.length; i++) {
        scale = Math.max(scale, Math.abs(ours.values[i]!));
        worst = Math.max(worst, Math.abs(values[i]! - ours.values[i]!));
      }
      expect(worst).toBeLessThanOrEqual(FLOAT32_TOLERANCE * scale);
    } else expect(maxScaledDiff(values, ours.values)).toBeLessThanOrEqual(FLOAT32_TOLERANCE);
    if (bundle.manifest.task !== 'regression') {
      const classes = bundle.manifest.classes!;
      expect(got.label!.filter((l, i) => l !== classes[ours.labels![i]!]).length).toBe(0);
    }

    // The cast is exact: float32 data into the float32 graph = the same values as doubles into the
    // double graph, bit for bit.
    const feeds32: Record<string, InstanceType<typeof ort.Tensor>> = {};
    const feeds64: Record<string, InstanceType<typeof ort.Tensor>> = {};
    for (const [col, f] of Object.entries(onnxFeeds(table, f32.inputs))) {
      if (f.kind === 'string') {
        feeds32[col] = new ort.Tensor('string', f.data, [f.data.length]);
        feeds64[col] = new ort.Tensor('string', f.data, [f.data.length]);
      } else if (f.kind === 'float') {
        feeds32[col] = new ort.Tensor('float32', f.data, [f.data.length]);
        feeds64[col] = new ort.Tensor('float64', Float64Array.from(f.data), [f.data.length]);
      } else {
        feeds32[col] = new ort.Tensor('float64', f.data, [f.data.length]);
        feeds64[col] = new ort.Tensor('float64', f.data, [f.data.length]);
      }
    }
    const a = await runFeeds(f32.bytes, feeds32);
    const b = await runFeeds(f64.bytes, feeds64);
    expect(Array.from(a.values)).toEqual(Array.from(b.values));
    expect(a.label).toEqual(b.label);
  });

  it('dates stay double (epoch milliseconds need more than 24 bits); bad input types are refused', async () => {
    expect(inputKindOf('datetime', 'float32')).toBe('double');
    expect(inputKindOf('numeric', 'float32')).toBe('float');
    expect(inputKindOf('integer', 'float32')).toBe('float');
    expect(inputKindOf('boolean', 'float32')).toBe('float');
    expect(inputKindOf('categorical', 'float32')).toBe('string');
    expect(inputKindOf('numeric')).toBe('double');
    // float32 would move a 2026 timestamp by up to about 2 minutes
    const ms = Date.UTC(2026, 11, 4, 5, 33, 21, 123);
    expect(Math.abs(Math.fround(ms) - ms)).toBeGreaterThan(1000);
    const bundle = loadBundleArg(join(dir, 'penguins-gbdt'));
    expect(() => bundleToOnnx(bundle, { inputType: 'half' as never })).toThrow(OnnxExportError);
    expect(() => bundleToOnnx(bundle, { inputType: 'half' as never })).toThrow(/use double or float32/);
  });
});
