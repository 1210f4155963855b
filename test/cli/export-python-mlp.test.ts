/**
 * train.py's MLP follows the studio's training step by step (issue 22): it draws its starting weights,
 * each epoch's row order and each batch's dropout seeds from a port of the studio's generator
 * (src/core/util/random.ts), and the dropout masks from those seeds as TensorFlow.js does (seedrandom's
 * alea behind tf.randomUniform). Checked two ways with Debian's python3: the ports give the very numbers
 * of the TypeScript originals, and an MLP bundle's exported train.py, trained on the same rows,
 * predicts what the bundle predicts (float64 NumPy vs float32 TensorFlow.js: rounding apart). With
 * NumPy's own random numbers (the previous train.py) the same nets differed by up to 0.38 in a
 * probability on wine's test rows.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.ts';
import { REPO_ROOT, datasetFile } from '../helpers/paths.ts';
import { PY, hasPythonExportTools } from '../helpers/python-export.ts';
import { createRng } from '../../src/core/util/random.ts';

const dir = mkdtempSync(join(tmpdir(), 'export-py-mlp-'));

function target(name: string): string {
  return (JSON.parse(readFileSync(datasetFile(name, 'meta.json'), 'utf8')) as { target: string }).target;
}

/** The numeric columns of a predictions CSV (class probabilities, or the regression prediction). */
function numbers(file: string): number[][] {
  const [head, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  const cols = head!.split(',');
  const keep = cols.length === 1 ? [0] : cols.map((_, j) => j).filter((j) => cols[j] !== 'prediction');
  return lines.map((l) => {
    const f = l.split(',');
    return keep.map((j) => Number(f[j]));
  });
}

describe.runIf(hasPythonExportTools)("train.py's MLP uses the studio's random numbers", () => {
  let project = '';

  it('the generator, its shuffle and the dropout noise are the TypeScript originals, number for number', async () => {
    const bundle = join(dir, 'penguins-gbdt');
    const fit = await cli([
      'fit',
      datasetFile('penguins'),
      '--target',
      'species',
      '--params',
      '{"rounds": 3}',
      '--out',
      bundle,
      '--no-track',
    ]);
    expect(fit.code, fit.err).toBe(0);
    project = `${bundle}.project`;
    const exp = await cli(['export', bundle, '--format', 'python', '--out', project]);
    expect(exp.code, exp.err).toBe(0);

    const seeds = [0, 1, 42, 12345, 4294967295, -7.5, 2 ** 40 + 3];
    const noise: [number, number][] = [
      [0, 5],
      [3735928559, 300],
      [17, 40],
    ];
    const mask: [number, number, number, number] = [2654435761, 7, 33, 0.3];
    const py = JSON.parse(
      execFileSync(
        PY,
        [
          join(REPO_ROOT, 'test', 'fixtures', 'python', 'studio_random.py'),
          project,
          JSON.stringify({ seeds, shuffle: [99, 50], noise, mask }),
        ],
        { encoding: 'utf8' },
      ),
    ) as { u32: number[][]; next: number[][]; shuffle: number[]; noise: number[][]; mask: number[] };

    seeds.forEach((seed, i) => {
      const r = createRng(seed);
      expect(py.u32[i]).toEqual(Array.from({ length: 6 }, () => r.u32()));
      expect(py.next[i]).toEqual(Array.from({ length: 3 }, () => r.next()));
    });
    // fitDenseNet's Fisher-Yates, twice over the same array (two epochs)
    const order = Array.from({ length: 50 }, (_, i) => i);
    const r = createRng(99);
    for (let epoch = 0; epoch < 2; epoch++)
      for (let i = order.length - 1; i > 0; i--) {
        const j = r.int(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
    expect(py.shuffle).toEqual(order);

    await tf.setBackend('cpu');
    for (const [k, [seed, count]] of noise.entries()) {
      const u = tf.randomUniform([count], 0, 1, 'float32', seed);
      expect(py.noise[k]).toEqual(Array.from(await u.data()));
      u.dispose();
    }
    const [seed, rows, width, rate] = mask;
    const ones = tf.ones([rows, width]);
    const dropped = tf.dropout(ones, rate, undefined, seed);
    const theirs = Array.from(await dropped.data());
    tf.dispose([ones, dropped]);
    expect(py.mask).toEqual(theirs);
    expect(theirs.filter((v) => v === 0).length).toBeGreaterThan(0); // some units dropped, some kept
    expect(theirs.filter((v) => v > 1).length).toBeGreaterThan(0);
  }, 120_000);

  it.each([
    // multiclass with dropout (the default 0.1) and ReLU; binary with GELU, balanced class weights and
    // more dropout; regression with two layers of GELU
    ['penguins', '{"epochs": 12}'],
    ['german_credit', '{"epochs": 6, "activation": "gelu", "dropout": 0.3, "classWeight": "balanced"}'],
    ['diabetes', '{"epochs": 10, "hidden": [32, 16], "activation": "gelu"}'],
  ])(
    '%s: the exported net, trained again on the same rows, predicts what the bundle predicts',
    async (name, params) => {
      const bundle = join(dir, `${name}-mlp`);
      const fit = await cli([
        'fit',
        datasetFile(name),
        '--target',
        target(name),
        '--model',
        'mlp',
        '--params',
        params,
        '--out',
        bundle,
        '--no-track',
      ]);
      expect(fit.code, fit.err).toBe(0);
      const ours = join(dir, `${name}.ours.csv`);
      const p = await cli(['predict', bundle, datasetFile(name, 'test.csv'), '--out', ours]);
      expect(p.code, p.err).toBe(0);
      const exp = await cli(['export', bundle, '--format', 'python', '--out', `${bundle}.project`]);
      expect(exp.code, exp.err).toBe(0);
      const theirs = join(dir, `${name}.py.csv`);
      execFileSync(
        PY,
        [
          join(`${bundle}.project`, 'train.py'),
          '--train',
          datasetFile(name),
          '--predict',
          datasetFile(name, 'test.csv'),
          '--out',
          theirs,
          '--scheduler',
          'none',
          '--no-mlflow',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const a = numbers(ours);
      const b = numbers(theirs);
      expect(b.length).toBe(a.length);
      // probabilities to 1e-4; regression values to 1e-4 of the predictions' spread
      const flat = a.flat();
      const spread = a[0]!.length === 1 ? Math.max(...flat) - Math.min(...flat) : 1;
      let worst = 0;
      a.forEach((row, i) => row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - b[i]![j]!)))));
      expect(worst / spread).toBeLessThan(1e-4);
    },
    180_000,
  );
});
