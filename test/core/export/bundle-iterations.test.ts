/**
 * manifest.json model.iterations, as bundles have always recorded it (Fitted.iterationsUsed/Run): a tree
 * model's rounds in use (early stopping's best round + 1, not the rounds it ran), a net's epochs run (not
 * its best epoch), none for an ensemble. Trained without a refit, so that early stopping leaves the two
 * numbers apart.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/core/models/nn/backend.ts';
import { trainModel } from '../../../src/core/train/train.ts';
import { createBundleFiles, loadBundle } from '../../../src/core/export/bundle.ts';
import { createRng } from '../../../src/core/util/random.ts';
import { cat, num, table } from '../../helpers/table.ts';
import type { Table } from '../../../src/core/data/table.ts';

beforeAll(async () => {
  await selectBackend('auto');
});

function noisyTable(n: number, seed: number): Table {
  const rng = createRng(seed);
  const x: number[] = [];
  const z: number[] = [];
  const y: string[] = [];
  for (let i = 0; i < n; i++) {
    const a = rng.normal();
    const b = rng.normal();
    x.push(a);
    z.push(b);
    y.push(rng.next() < 1 / (1 + Math.exp(-(a + 0.5 * b))) ? 'yes' : 'no');
  }
  return table(num('x', x), num('z', z), cat('y', y));
}

const env = {
  app: { name: 'automl-studio', version: 'test' },
  runtime: 'vitest',
  libraries: {},
  backend: null,
  createdAt: '2026-01-01T00:00:00.000Z',
};
const dataset = {
  name: 'noisy.csv',
  fingerprint: { sha256: 'a'.repeat(64), bytes: 1, rows: 400, columns: 3, schemaHash: 'b'.repeat(64) },
  schema: [],
};

describe('manifest model.iterations', () => {
  const cases = [
    { family: 'gbdt', params: { rounds: 400, learningRate: 0.8, earlyStoppingRounds: 5 }, expect: 'used' },
    { family: 'random_forest', params: { rounds: 12 }, expect: 'used' },
    { family: 'linear', params: { epochs: 200, patience: 3, learningRate: 0.1 }, expect: 'run' },
    { family: 'mlp', params: { epochs: 200, patience: 3, hidden: [16] }, expect: 'run' },
  ] as const;
  for (const c of cases) {
    it(`${c.family}: the ${c.expect === 'used' ? 'rounds its predictions use' : 'epochs it ran'}`, async () => {
      const trained = await trainModel({
        table: noisyTable(400, 7),
        target: 'y',
        task: 'binary',
        family: c.family,
        seed: 1,
        params: c.params,
        refit: false,
      });
      const { iterationsUsed, iterationsRun } = trained.model;
      if (c.family === 'random_forest') expect(iterationsRun).toBe(12);
      // Early stopping ran past the best iteration, so the two differ and the test tells them apart.
      else expect(iterationsRun! - iterationsUsed!).toBe(c.family === 'gbdt' ? 5 : 3);
      const files = createBundleFiles(trained, dataset, env);
      const manifest = JSON.parse(files['manifest.json']) as { model: { iterations: number | null } };
      expect(manifest.model.iterations).toBe(c.expect === 'used' ? iterationsUsed : iterationsRun);
      expect(loadBundle(files).manifest.model.iterations).toBe(manifest.model.iterations);
    });
  }
});
