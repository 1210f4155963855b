/**
 * A model trained in the studio on a project's features carries its recipe (issue 20): the training
 * worker reads the project's tables from the dataset store (workers/recipe-run.ts) and the job writes
 * the same features.json the CLI writes for `fit customers.csv --recipe recipe.json --table …`. The
 * store is a real Dexie database over fake-indexeddb; the job is the real one (src/core/jobs).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { DatasetStore } from '../../src/store/datasets.ts';
import { bytesSource, ingestCsv } from '../../src/core/ingest/index.ts';
import { FeatureError, featuresRecord, parseRecipe, type Recipe } from '../../src/core/features/index.ts';
import { runFitJob } from '../../src/core/jobs/fit.ts';
import { loadBundle } from '../../src/core/export/bundle.ts';
import { recipeRunData } from '../../workers/recipe-run.ts';
import type { RecipeRun } from '../../workers/types.ts';
import { REPO_ROOT } from '../helpers/paths.ts';

const DIR = resolve(REPO_ROOT, 'test', 'fixtures', 'features-train');
const bytes = (name: string) => new Uint8Array(readFileSync(join(DIR, name)));
const recipe = parseRecipe(JSON.parse(readFileSync(join(DIR, 'recipe.json'), 'utf8'))) as Recipe;

let n = 0;
async function project(keepTargetFile = true) {
  const store = await DatasetStore.open({
    name: `recipe-run-${n++}`,
    indexedDB: new IDBFactory(),
    IDBKeyRange,
  });
  const ids: Record<string, string> = {};
  for (const name of ['customers', 'purchases', 'items']) {
    const raw = bytes(`${name}.csv`);
    const read = await ingestCsv(bytesSource(`${name}.csv`, raw));
    const keepRaw = name !== 'customers' || keepTargetFile;
    const saved = await store.save({
      name: `${name}.csv`,
      key: name,
      table: read.table,
      meta: null,
      sourceBytes: raw.byteLength,
      ...(keepRaw ? { raw: raw.slice().buffer } : {}),
      hidden: true,
    });
    ids[name] = saved.id;
  }
  const run: RecipeRun = {
    recipe,
    target: { name: 'customers', id: ids.customers },
    tables: { purchases: ids.purchases },
  };
  return { store, ids, run };
}

function errorOf(p: Promise<unknown>): Promise<FeatureError> {
  return p.then(
    () => {
      throw new Error('expected a FeatureError');
    },
    (err: unknown) => {
      if (err instanceof FeatureError) return err;
      throw err;
    },
  );
}

describe('a studio run on recipe features', () => {
  it('reads the target table from its kept file and the related tables as stored; the bundle carries the recipe as the CLI writes it', async () => {
    const { store, run } = await project();
    const got = await recipeRunData(store, run);
    // the target table as read from its file: the run's dataset is customers.csv, not the feature table
    const cli = await ingestCsv(bytesSource('customers.csv', bytes('customers.csv')));
    expect(got.data.sourceName).toBe('customers.csv');
    expect(got.data.fingerprint).toEqual(cli.fingerprint);
    expect(got.raw).toEqual(bytes('customers.csv'));
    expect(Object.keys(got.features.tables)).toEqual(['purchases']);

    const job = await runFitJob({
      data: got.data,
      target: 'churned',
      task: 'binary',
      family: 'gbdt',
      params: { rounds: 5 },
      seed: 3,
      features: got.features,
      backend: { name: 'cpu', reason: 'test' },
      environment: { app: { name: 'automl-studio', version: 'test' }, runtime: 'node', libraries: {} },
      scorer: '// scorer',
    });
    const manifest = JSON.parse(job.files['manifest.json']);
    expect(Object.keys(manifest.files)).toContain('features.json');
    expect(manifest.features.recipe).toEqual({ name: 'churn', version: 1, target: 'customers' });
    // the same record as the CLI's, from the tables read from their files
    const purchases = (await ingestCsv(bytesSource('purchases.csv', bytes('purchases.csv')))).table;
    expect(JSON.parse(job.files['features.json'])).toEqual(
      JSON.parse(JSON.stringify(featuresRecord({ recipe, tables: { purchases } }))),
    );
    const loaded = loadBundle(job.files);
    expect(loaded.features?.recipe.name).toBe('churn');
    expect(manifest.signature.inputs.map((c: { name: string }) => c.name)).toEqual(
      expect.arrayContaining(recipe.features.map((f) => f.name)),
    );
  });

  it('a related table not in the project, or gone from the store, is a clear error naming it', async () => {
    const { store, run, ids } = await project();
    const e = await errorOf(recipeRunData(store, { ...run, tables: {} }));
    expect(e.message).toBe(
      "recipe 'churn' reads table 'purchases', which is not in the project (tables: none)",
    );
    await store.delete(ids.purchases);
    const gone = await errorOf(recipeRunData(store, run));
    expect(gone.message).toMatch(
      /^table 'purchases' of recipe 'churn' is no longer kept in this browser \(.+\): add its file to the project again$/,
    );
  });

  it('a target table kept without its file cannot be trained on here: the error says why and what to do', async () => {
    const { store, run } = await project(false);
    const e = await errorOf(recipeRunData(store, run));
    expect(e.message).toContain("the target table 'customers' was kept without its file");
    expect(e.message).toContain('use the CLI');
  });
});
