/**
 * The ONNX export of whole bundles (pipeline + model) run by onnxruntime-node on the vendored datasets'
 * test splits equals our own `predict`: probabilities within 1e-5, regression values within 1e-5
 * relative (the tree operator's output is float32), and the same labels — for GBDT, random forests,
 * linear models, MLPs (ReLU, GELU with batch norm folded, embeddings) and a weighted ensemble of
 * members with different pipelines. Each file passes Debian's `onnx.checker.check_model` (CI installs
 * python3-onnx). Models are small (few rounds / epochs) to keep the test quick.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../helpers/cli.ts';
import { datasetFile } from '../../helpers/paths.ts';
import { loadBundleArg } from '../../../src/cli/bundle-io.ts';
import { fileSource, nodeHasher } from '../../../src/cli/node-io.ts';
import { predictTable, type LoadedBundle } from '../../../src/core/export/bundle.ts';
import { readForScoring } from '../../../src/core/export/score.ts';
import { bundleToOnnx, OnnxExportError } from '../../../src/core/export/onnx/index.ts';
import { EnsembleModel } from '../../../src/core/search/ensemble.ts';
import type { FittedPipeline } from '../../../src/core/pipeline/pipeline.ts';
import { checkWithPythonOnnx, hasPythonOnnx, maxScaledDiff, runOnnx } from './onnx-helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'onnx-parity-'));

const DATASETS = {
  diamonds: { target: 'price', task: 'regression' },
  telco_churn: { target: 'churn', task: 'binary' },
  german_credit: { target: 'class', task: 'binary' },
  penguins: { target: 'species', task: 'multiclass' },
  letter: { target: 'lettr', task: 'multiclass' },
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
  const model = family.startsWith('mlp') ? 'mlp' : family;
  const r = await cli([
    'fit',
    datasetFile(name),
    '--target',
    DATASETS[name].target,
    '--out',
    out,
    '--model',
    model,
    '--params',
    JSON.stringify(PARAMS[family]),
    '--no-track',
  ]);
  expect(r.code, r.err).toBe(0);
  return loadBundleArg(out);
}

async function testTable(bundle: LoadedBundle, name: Dataset) {
  const { data } = await readForScoring(bundle, fileSource(datasetFile(name, 'test.csv')), {
    createHasher: nodeHasher,
  });
  return data.table;
}

async function expectParity(bundle: LoadedBundle, name: Dataset, label: string): Promise<void> {
  const exp = bundleToOnnx(bundle);
  if (hasPythonOnnx) checkWithPythonOnnx(exp.bytes, join(dir, `${label}.onnx`));
  const table = await testTable(bundle, name);
  const ours = predictTable(bundle, table);
  const got = await runOnnx(exp, table);
  if (bundle.manifest.task === 'regression') {
    expect(got.variable!.length).toBe(table.nRows);
    expect(maxScaledDiff(got.variable!, ours.values)).toBeLessThanOrEqual(1e-5);
    return;
  }
  const classes = bundle.manifest.classes!;
  expect(got.probabilities!.length).toBe(table.nRows * classes.length);
  expect(maxScaledDiff(got.probabilities!, ours.values)).toBeLessThanOrEqual(1e-5);
  const mismatched = got.label!.filter((l, i) => l !== classes[ours.labels![i]]).length;
  expect(mismatched).toBe(0);
}

describe('ONNX export: onnxruntime equals our predict on the test splits', () => {
  const cases: [Dataset, string][] = [
    ['diamonds', 'gbdt'],
    ['diamonds', 'rf'],
    ['diamonds', 'linear'],
    ['diamonds', 'mlp'],
    ['telco_churn', 'gbdt'],
    ['telco_churn', 'rf'],
    ['telco_churn', 'linear'],
    ['telco_churn', 'mlp-gelu-bn'],
    ['german_credit', 'gbdt'],
    ['german_credit', 'rf'],
    ['german_credit', 'mlp-embeddings'],
    ['penguins', 'gbdt'],
    ['penguins', 'rf'],
    ['penguins', 'linear'],
    ['penguins', 'mlp'],
    ['letter', 'gbdt'],
    ['letter', 'rf'],
  ];
  it.each(cases)('%s, %s', async (name, family) => {
    await expectParity(await fit(name, family), name, `${name}-${family}`);
  });

  it('a weighted ensemble whose members have their own pipelines (GBDT + linear + RF on telco_churn)', async () => {
    const members = await Promise.all([
      fit('telco_churn', 'gbdt'),
      fit('telco_churn', 'linear'),
      fit('telco_churn', 'rf'),
    ]);
    const pipelines = members.map((b) => b.pipeline as FittedPipeline);
    const weights = [0.5, 0.3, 0.2];
    const ens = new EnsembleModel(
      'binary',
      2,
      pipelines,
      members.map((b, k) => ({ weight: weights[k], pipeline: k, model: b.model })),
    );
    const bundle: LoadedBundle = { ...members[0], pipeline: null, model: ens };
    await expectParity(bundle, 'telco_churn', 'ensemble');
  });
});

describe('ONNX export of date columns (epoch milliseconds in, calendar parts computed in the graph)', () => {
  // dates over four centuries (leap years, 1900/2000, before 1970), times of day, a few missing
  const csv = join(dir, 'dated.csv');
  const lines = ['when,x,y,v'];
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 600; i++) {
    const ms =
      Date.UTC(1850, 0, 1) +
      Math.floor(rand() * 250 * 365.25) * 86_400_000 +
      Math.floor(rand() * 1440) * 60_000;
    const when = i % 37 === 5 ? '' : new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
    const x = (rand() * 10).toFixed(2);
    const month = new Date(ms).getUTCMonth();
    lines.push(
      `${when},${x},${month < 6 === rand() < 0.8 ? 'a' : 'b'},${(month * 3 + Number(x) + rand()).toFixed(3)}`,
    );
  }
  writeFileSync(csv, lines.join('\n') + '\n');

  it.each([
    ['gbdt', 'y', { rounds: 15 }],
    ['linear', 'y', { epochs: 3 }],
    ['mlp', 'v', { epochs: 3, hidden: [8] }],
  ] as const)('%s on a date column (target %s)', async (model, target, params) => {
    const out = join(dir, `dated-${model}`);
    const r = await cli([
      'fit',
      csv,
      '--target',
      target,
      '--out',
      out,
      '--model',
      model,
      '--params',
      JSON.stringify(params),
      '--no-track',
    ]);
    expect(r.code, r.err).toBe(0);
    const bundle = loadBundleArg(out);
    expect(bundle.pipeline!.spec.steps.some((s) => s.kind === 'date_parts')).toBe(true);
    const exp = bundleToOnnx(bundle);
    expect(exp.inputs.find((c) => c.name === 'when')).toEqual({
      name: 'when',
      type: 'datetime',
      kind: 'double',
    });
    if (hasPythonOnnx) checkWithPythonOnnx(exp.bytes, join(dir, `dated-${model}.onnx`));
    const { data } = await readForScoring(bundle, fileSource(csv), { createHasher: nodeHasher });
    const ours = predictTable(bundle, data.table);
    const got = await runOnnx(exp, data.table);
    expect(maxScaledDiff(got.probabilities ?? got.variable!, ours.values)).toBeLessThanOrEqual(1e-5);
  });
});

describe('ONNX export refuses what it cannot translate exactly', () => {
  it('a date step on a text column: a typed error naming the step and column', async () => {
    const b = await fit('penguins', 'gbdt');
    const p = b.pipeline!;
    const withDates: FittedPipeline = {
      ...p,
      spec: { steps: [{ kind: 'date_parts', columns: ['island'] }, ...p.spec.steps] },
      states: [{ values: { hasTime: { island: false } }, produced: [] }, ...p.states],
    };
    const bad = { ...b, pipeline: withDates };
    expect(() => bundleToOnnx(bad)).toThrow(OnnxExportError);
    expect(() => bundleToOnnx(bad)).toThrow(/pipeline step 'date_parts'.*island/);
  });

  it('a model family without a translation', async () => {
    const b = await fit('penguins', 'gbdt');
    const odd = {
      ...b.model,
      family: 'knn',
      nFeatures: b.model.nFeatures,
    } as unknown as LoadedBundle['model'];
    const err = (() => {
      try {
        bundleToOnnx({ ...b, model: odd });
      } catch (e) {
        return e as OnnxExportError;
      }
    })();
    expect(err).toBeInstanceOf(OnnxExportError);
    expect(err!.what).toBe('knn');
    expect(err!.message).toMatch(/model family 'knn'/);
  });
});
