/**
 * The jobs with a FeaturesSpec (the plain data the studio passes too): the automl job builds the
 * features, validates in time order by the recipe's cutoff, and its bundle scores and reproduces with
 * the related tables through the core functions (no CLI).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { bytesSource, ingestCsv } from '../../../src/core/ingest/index.ts';
import { runAutomlJob } from '../../../src/core/jobs/automl.ts';
import { loadBundle } from '../../../src/core/export/bundle.ts';
import { reproduceBundle } from '../../../src/core/export/reproduce.ts';
import { scoreWithFeatures } from '../../../src/core/features/score.ts';
import { FeatureError, parseRecipe, type FeaturesSpec } from '../../../src/core/features/index.ts';
import { createMemoryStore } from '../../../src/store/memory.ts';
import { Tracker } from '../../../src/core/tracking/tracker.ts';
import type { JobRuntime } from '../../../src/core/jobs/types.ts';
import { REPO_ROOT } from '../../helpers/paths.ts';

const DIR = resolve(REPO_ROOT, 'test', 'fixtures', 'features-train');
const source = (name: string) => bytesSource(name, readFileSync(resolve(DIR, name)));
const read = async (name: string) => ingestCsv(source(name));
const environment: JobRuntime['environment'] = {
  app: { name: 'automl-studio', version: 'test' },
  runtime: 'node test',
  libraries: {},
};
const cpu = { name: 'cpu', reason: 'trees run in plain TypeScript' };

describe('runAutomlJob with features', () => {
  it('trains on the recipe features in time order; the bundle scores and reproduces with the tables', async () => {
    const customers = await read('customers.csv');
    const purchases = (await read('purchases.csv')).table;
    const spec: FeaturesSpec = {
      recipe: parseRecipe(JSON.parse(readFileSync(resolve(DIR, 'recipe.json'), 'utf8'))),
      tables: { purchases },
    };
    const job = await runAutomlJob({
      data: customers,
      target: 'churned',
      task: 'binary',
      families: ['gbdt'],
      seed: 5,
      maxTrials: 2,
      backend: cpu,
      environment,
      scorer: '// scorer',
      features: spec,
    });
    expect(job.result.manifest.split.timeOrder).toEqual({ column: 'cutoff' });
    // The earliest block of the expanding windows is never validated.
    expect(job.result.validation.y.length).toBeLessThan(customers.table.nRows);
    expect(job.featureWarnings).toEqual([]);
    const bundle = loadBundle(job.files);
    expect(bundle.features?.tables.purchases.rows).toBe(purchases.nRows);

    const scored = await scoreWithFeatures(bundle, source('new_customers.csv'), { purchases });
    expect(scored.predictions.nRows).toBe(20);
    expect(scored.csv.split('\n')[0]).toBe('no,yes,prediction');

    const env = (backend: unknown) =>
      ({ ...environment, backend, createdAt: '2026-01-01T00:00:00Z' }) as never;
    const report = await reproduceBundle(bundle, {
      source: source('customers.csv'),
      environment: env,
      tables: { purchases },
    });
    expect(report.lines).toContain('related table purchases: the same as trained on');
    expect(report.verdict).toBe('reproduced');
  });

  it('a recipe the tables cannot satisfy fails before anything is recorded', async () => {
    const store = createMemoryStore();
    const customers = await read('customers.csv');
    const spec: FeaturesSpec = {
      recipe: parseRecipe(JSON.parse(readFileSync(resolve(DIR, 'recipe.json'), 'utf8'))),
      tables: {},
    };
    await expect(
      runAutomlJob({
        data: customers,
        target: 'churned',
        task: 'binary',
        families: ['gbdt'],
        seed: 5,
        maxTrials: 1,
        backend: cpu,
        environment,
        scorer: '',
        tracking: { tracker: new Tracker(store), source: 'test' },
        features: spec,
      }),
    ).rejects.toThrow(FeatureError);
    expect(await store.listExperiments()).toHaveLength(0);
  });
});
