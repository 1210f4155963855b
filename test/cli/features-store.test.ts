/**
 * The CLI's feature store (issue 20): `features save` / `list`, recipes by NAME[@VERSION] in
 * `features build` (reusing the kept feature table on the same tables, keeping it otherwise) and
 * `fit --recipe`, all in the tracking database given by --store.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.ts';
import { REPO_ROOT } from '../helpers/paths.ts';

const DIR = resolve(REPO_ROOT, 'test', 'fixtures', 'features-train');

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

describe('cli feature store', () => {
  it('save (same content = same version), list, build by name: computed and kept, then reused bit for bit; other tables are computed again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'automl-fstore-'));
    const store = join(dir, 'tracking.db');
    const recipePath = join(DIR, 'recipe.json');

    const s1 = await cli(['features', 'save', recipePath, '--name', 'churn', '--store', store]);
    expect(s1.code).toBe(0);
    expect(s1.out).toMatch(/^saved recipe churn@1 \(5 features, content [0-9a-f]{12}\)/);
    const s2 = await cli(['features', 'save', recipePath, '--name', 'churn', '--store', store, '--json']);
    expect(JSON.parse(s2.out)).toMatchObject({ name: 'churn', version: 1, created: false });
    // Other content (one feature fewer) is version 2.
    const recipe = JSON.parse(readFileSync(recipePath, 'utf8'));
    const smaller = join(dir, 'smaller.json');
    writeFileSync(smaller, JSON.stringify({ ...recipe, features: recipe.features.slice(0, 4) }));
    const s3 = await cli(['features', 'save', smaller, '--name', 'churn', '--store', store, '--json']);
    expect(JSON.parse(s3.out)).toMatchObject({ name: 'churn', version: 2, created: true });

    const tables = ['--table', `customers=${DIR}/customers.csv`, '--table', `purchases=${DIR}/purchases.csv`];
    const fromFile = join(dir, 'file.csv');
    expect((await cli(['features', 'build', recipePath, ...tables, '--out', fromFile])).code).toBe(0);

    const first = join(dir, 'first.csv');
    const b1 = await cli([
      'features',
      'build',
      'churn@1',
      ...tables,
      '--out',
      first,
      '--store',
      store,
      '--json',
    ]);
    expect(b1.code).toBe(0);
    expect(b1.err).toMatch(/feature store: computed the features of recipe churn@1 and kept them/);
    expect(JSON.parse(b1.out).featureStore).toMatchObject({ name: 'churn', version: 1, reused: false });
    const second = join(dir, 'second.csv');
    const b2 = await cli(['features', 'build', 'churn@1', ...tables, '--out', second, '--store', store]);
    expect(b2.code).toBe(0);
    expect(b2.err).toMatch(
      /feature store: reused the table of recipe churn@1 computed .* from the same tables \(120 rows\)/,
    );
    // The file recipe, the stored one computed, and the stored one reused: the same bytes.
    expect(readFileSync(first)).toEqual(readFileSync(fromFile));
    expect(readFileSync(second)).toEqual(readFileSync(fromFile));

    // NAME alone is the latest version (2); a changed purchases file is computed again.
    const changed = join(dir, 'purchases.csv');
    writeFileSync(
      changed,
      readFileSync(`${DIR}/purchases.csv`, 'utf8').replace('p1,8,E,2024-01-06,55', 'p1,8,E,2024-01-06,56'),
    );
    const b3 = await cli([
      'features',
      'build',
      'churn',
      '--table',
      `customers=${DIR}/customers.csv`,
      '--table',
      `purchases=${changed}`,
      '--out',
      join(dir, 'c.csv'),
      '--store',
      store,
    ]);
    expect(b3.code).toBe(0);
    expect(b3.err).toMatch(/computed the features of recipe churn@2/);

    const l = await cli(['features', 'list', '--store', store, '--json']);
    const listed = JSON.parse(l.out);
    expect(listed.recipes.map((r: { name: string }) => r.name)).toEqual(['churn']);
    expect(
      listed.recipes[0].versions.map((v: { version: number; tables: number }) => [v.version, v.tables]),
    ).toEqual([
      [1, 1],
      [2, 1],
    ]);
    const text = await cli(['features', 'list', '--store', store]);
    expect(text.out).toMatch(
      / {2}churn\n {4}@1 {2}[0-9a-f]{12} .* target customers, 5 features, 1 table kept\n {4}@2 /,
    );
  });

  it('fit --recipe NAME@VERSION: the bundle records the stored name and version; unknown names are clear errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'automl-fstore-fit-'));
    const store = join(dir, 'tracking.db');
    copyFileSync(join(DIR, 'recipe.json'), join(dir, 'r.json'));
    expect(
      (await cli(['features', 'save', join(dir, 'r.json'), '--name', 'retention', '--store', store])).code,
    ).toBe(0);
    const out = join(dir, 'model');
    const f = await cli([
      'fit',
      `${DIR}/customers.csv`,
      '--target',
      'churned',
      '--recipe',
      'retention@1',
      '--table',
      `purchases=${DIR}/purchases.csv`,
      '--out',
      out,
      '--store',
      store,
      '--params',
      '{"rounds":5}',
    ]);
    expect(f.err).not.toMatch(/error/);
    expect(f.code).toBe(0);
    expect(f.out).toMatch(/features: recipe 'retention' v1, 5 features/);
    const record = JSON.parse(readFileSync(join(out, 'features.json'), 'utf8'));
    expect([record.recipe.name, record.recipe.version]).toEqual(['retention', 1]);

    const bad = await cli([
      'fit',
      `${DIR}/customers.csv`,
      '--target',
      'churned',
      '--recipe',
      'retention@4',
      '--table',
      `purchases=${DIR}/purchases.csv`,
      '--out',
      join(dir, 'm2'),
      '--store',
      store,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(
      /error: recipe 'retention' has no version 4 in the feature store \(versions: 1\)/,
    );
    const none = await cli([
      'features',
      'build',
      'nosuch',
      '--table',
      `customers=${DIR}/customers.csv`,
      '--out',
      join(dir, 'x.csv'),
      '--store',
      store,
    ]);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/error: no recipe named 'nosuch' in the feature store \(recipes: retention\)/);
    // A path ending in .json that does not exist is still a missing file, not a name.
    const missing = await cli([
      'features',
      'build',
      join(dir, 'nope.json'),
      '--table',
      `customers=${DIR}/customers.csv`,
      '--out',
      join(dir, 'x.csv'),
    ]);
    expect(missing.err).toMatch(/recipe file not found/);
  });
});
