/**
 * Every pipeline step translated to ONNX gives the features `transformTable` gives, on random tables
 * with missing values, labels unseen in training, huge numbers (clamped to float32) and dates over
 * centuries: the graph's `features` output (onnxruntime-node) equals our matrix value for value (NaN
 * where ours is NaN; sin/cos of the date parts within 1e-6).
 */
import { describe, expect, it } from 'vitest';
import type { Column, SemanticType, Table } from '../../../src/core/data/table.ts';
import { fitPipeline, transformTable, type PipelineSpec } from '../../../src/core/pipeline/index.ts';
import { pipelineToOnnx, onnxFeeds, OnnxExportError } from '../../../src/core/export/onnx/index.ts';
import { ort } from './onnx-helpers.ts';

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

const SMALL = ['red', 'green', 'blue', 'teal', 'plum', 'gold'];
const BIG = Array.from({ length: 70 }, (_, i) => `k${i}`);

function dict(
  name: string,
  r: () => number,
  n: number,
  pool: readonly string[],
  extra: readonly string[],
): Column {
  const dictionary = [...pool, ...extra];
  const codes = Int32Array.from({ length: n }, () => {
    if (r() < 0.1) return -1;
    // skewed: early labels more frequent
    const k = Math.floor(dictionary.length * r() ** 2);
    return k;
  });
  return { name, type: 'categorical', storage: 'dict', codes, dictionary };
}

function table(seed: number, n: number, unseen: boolean): Table {
  const r = rng(seed);
  const x = Float64Array.from({ length: n }, () =>
    r() < 0.1 ? NaN : r() < 0.02 ? 1e39 * (r() < 0.5 ? -1 : 1) : r() * 100 - 50,
  );
  const z = Float64Array.from({ length: n }, () => (r() < 0.05 ? NaN : Math.round(r() * 20)));
  const b = Uint8Array.from({ length: n }, () => (r() < 0.1 ? 255 : r() < 0.4 ? 1 : 0));
  const when = Float64Array.from({ length: n }, () =>
    r() < 0.08
      ? NaN
      : Date.UTC(1800, 0, 1) + Math.floor(r() * 400 * 365.25) * 86_400_000 + Math.floor(r() * 1440) * 60_000,
  );
  return {
    nRows: n,
    columns: [
      { name: 'x', type: 'numeric', storage: 'float64', values: x },
      { name: 'z', type: 'integer', storage: 'float64', values: z },
      { name: 'flag', type: 'boolean', storage: 'bool', values: b },
      dict('c', r, n, SMALL, unseen ? ['violet', 'navy'] : []),
      dict('h', r, n, BIG, unseen ? ['k900', 'k901'] : []),
      { name: 'when', type: 'datetime', storage: 'datetime', values: when, format: 'iso' },
      { name: 'id', type: 'id', storage: 'float64', values: Float64Array.from({ length: n }, (_, i) => i) },
    ],
  };
}

const SPECS: Record<string, PipelineSpec> = {
  'linear-like: impute with indicators, one-hot with (other), scale': {
    steps: [
      { kind: 'drop', columns: ['id', 'when'] },
      { kind: 'impute', columns: ['x', 'z', 'flag'], config: { strategy: 'median', addIndicator: true } },
      { kind: 'impute', columns: ['c'], config: { strategy: 'most_frequent', addIndicator: true } },
      { kind: 'one_hot', columns: ['c', 'h'], config: { maxCategories: 4 } },
      { kind: 'standard_scale', columns: ['x', 'z', 'x__missing'] },
    ],
  },
  'trees: string index (rare → other, unseen → other or missing)': {
    steps: [
      { kind: 'drop', columns: ['id', 'when'] },
      { kind: 'string_index', columns: ['c'], config: { maxCategories: 4 } },
      { kind: 'string_index', columns: ['h'] },
    ],
  },
  'string index, then constant imputation, then one-hot of the codes’ labels': {
    steps: [
      { kind: 'drop', columns: ['id', 'when', 'h'] },
      { kind: 'string_index', columns: ['c'], config: { maxCategories: 3 } },
      { kind: 'impute', columns: ['c'], config: { strategy: 'constant', fillValue: 'none' } },
      { kind: 'one_hot', columns: ['c'] },
    ],
  },
  'frequency and target encodings, mean imputation': {
    steps: [
      { kind: 'drop', columns: ['id', 'when'] },
      { kind: 'frequency_encode', columns: ['h'] },
      { kind: 'impute', columns: ['h', 'x'], config: { strategy: 'mean' } },
      { kind: 'target_encode', columns: ['c'], config: { smoothing: 5, folds: 3 } },
      { kind: 'standard_scale', columns: ['h', 'c__te0', 'c__te2'] },
    ],
  },
  'date parts with cyclic encodings, then imputation and scaling': {
    steps: [
      { kind: 'drop', columns: ['id', 'c', 'h'] },
      { kind: 'date_parts', columns: ['when'], config: { cyclic: true } },
      {
        kind: 'impute',
        columns: ['when__year', 'when__dayofyear', 'when__hour_sin'],
        config: { strategy: 'median', addIndicator: true },
      },
      { kind: 'standard_scale', columns: ['when__year', 'when__hour'] },
    ],
  },
  'date parts without cyclic encodings (trees)': {
    steps: [
      { kind: 'drop', columns: ['id'] },
      { kind: 'date_parts', columns: ['when'], config: { cyclic: false } },
      { kind: 'string_index', columns: ['c', 'h'] },
    ],
  },
};

const typesOf = (t: Table) => new Map<string, SemanticType>(t.columns.map((c) => [c.name, c.type]));

async function features(spec: PipelineSpec, seed: number) {
  const train = table(seed, 300, false);
  const test = table(seed + 1000, 200, true);
  const y = Float64Array.from({ length: train.nRows }, (_, i) => (i * 7 + seed) % 3);
  const { pipeline } = fitPipeline(spec, train, { y, task: 'multiclass', seed });
  const ours = transformTable(pipeline, test);
  const exp = pipelineToOnnx(pipeline, typesOf(test));
  const session = await ort.InferenceSession.create(exp.bytes);
  const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
  for (const [name, f] of Object.entries(onnxFeeds(test, exp.inputs)))
    feeds[name] = new ort.Tensor(f.kind === 'string' ? 'string' : 'float64', f.data, [f.data.length]);
  const out = await session.run(feeds);
  await session.release();
  return { ours, got: out.features!.data as Float64Array, dims: out.features!.dims };
}

describe('pipeline steps as ONNX: the same features as transformTable', () => {
  for (const [what, spec] of Object.entries(SPECS)) {
    it(what, async () => {
      for (const seed of [1, 2, 3, 4]) {
        const { ours, got, dims } = await features(spec, seed);
        expect(dims).toEqual([ours.nRows, ours.nCols]);
        const bad: string[] = [];
        for (let j = 0; j < ours.nCols; j++)
          for (let i = 0; i < ours.nRows; i++) {
            const a = ours.data[j * ours.nRows + i];
            const b = got[i * ours.nCols + j];
            const ok = Number.isNaN(a) ? Number.isNaN(b) : Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a));
            if (!ok && bad.length < 5) bad.push(`${ours.featureNames[j]} row ${i}: ours ${a}, onnx ${b}`);
          }
        expect(bad, `seed ${seed}`).toEqual([]);
      }
    });
  }

  it('an encoder on a numeric column is refused, naming the step and column', () => {
    const train = table(9, 100, false);
    const { pipeline } = fitPipeline({ steps: [{ kind: 'one_hot', columns: ['z'] }] }, train, { seed: 1 });
    expect(() => pipelineToOnnx(pipeline, typesOf(train))).toThrow(OnnxExportError);
    expect(() => pipelineToOnnx(pipeline, typesOf(train))).toThrow(
      /pipeline step 'one_hot': column 'z' is numeric/,
    );
  });
});
