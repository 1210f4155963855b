/**
 * `monitor --retrain-data` for a model on recipe features (issue 20): the printed command retrains
 * with the model's recipe (written beside OUT.csv) and the --table files, so the retrained bundle
 * computes its features again for every row — point in time: purchases at or after a row's cutoff
 * change nothing. (Before, the command had no --recipe and retrained on the target table alone.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBundleFiles } from '../../src/cli/bundle-io.ts';
import { RECIPE_TABLES, fitRecipeBundle, recipeFixture } from '../helpers/recipe-bundle.ts';
import { cli } from '../helpers/cli.ts';

const F = recipeFixture;
let bundle: string;
let dir: string;
let reference: string;
let batch: string;
let future: string;

beforeAll(async () => {
  bundle = await fitRecipeBundle();
  dir = mkdtempSync(join(tmpdir(), 'automl-retrain-recipe-'));
  // the training rows (the first 80 customers) and a labelled batch (the other 40)
  const lines = readFileSync(F('customers.csv'), 'utf8').trimEnd().split('\n');
  reference = join(dir, 'train.csv');
  batch = join(dir, 'batch.csv');
  writeFileSync(reference, [lines[0], ...lines.slice(1, 81)].join('\n') + '\n');
  writeFileSync(batch, [lines[0], ...lines.slice(81)].join('\n') + '\n');
  // purchases as they are later: every customer also buys exactly at its cutoff and 3 days after
  const h = lines[0].split(',');
  const extra = lines.slice(1).flatMap((l, i) => {
    const c = l.split(',');
    const cut = c[h.indexOf('cutoff')];
    const later = new Date(Date.parse(cut) + 3 * 86_400_000).toISOString().slice(0, 10);
    return [`x${i}a,${c[0]},A,${cut},999`, `x${i}b,${c[0]},B,${later},999`];
  });
  future = join(dir, 'purchases_later.csv');
  writeFileSync(future, readFileSync(F('purchases.csv'), 'utf8').trimEnd() + '\n' + extra.join('\n') + '\n');
}, 120_000);

/** The arguments of the printed retrain command (after `npm run cli --`, before `--out retrained.zip`). */
function retrainCommand(stderr: string): string[] {
  const line = stderr.split('\n').find((l) => l.startsWith('retrain ('))!;
  const cmd = line.slice(line.indexOf('npm run cli -- ') + 15, line.lastIndexOf(' --out retrained.zip'));
  const args: string[] = [];
  for (const m of cmd.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g))
    args.push(m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2]);
  return args;
}

async function retrain(purchases: string, tag: string): Promise<{ zip: string; err: string }> {
  const out = join(dir, `${tag}.csv`);
  const m = await cli([
    'monitor',
    bundle,
    batch,
    '--reference',
    reference,
    '--table',
    `purchases=${purchases}`,
    '--retrain-data',
    out,
    '--no-track',
  ]);
  expect(m.code, m.err).toBe(0);
  const args = retrainCommand(m.err);
  expect(args).toEqual(
    expect.arrayContaining([
      '--recipe',
      join(dir, `${tag}.recipe.json`),
      '--table',
      `purchases=${purchases}`,
    ]),
  );
  const zip = join(dir, `${tag}.zip`);
  const r = await cli([...args, '--out', zip, '--no-track']);
  expect(r.code, r.err).toBe(0);
  return { zip, err: m.err };
}

describe('monitor --retrain-data on a model with recipe features', () => {
  it('retrains with the recipe, point in time: later purchases change nothing', async () => {
    const a = await retrain(F('purchases.csv'), 'now');
    expect(a.err).toContain('computed again for all 120 rows, each at its own cutoff');
    const original = JSON.parse(readBundleFiles(bundle).files['features.json']!);
    const retrained = readBundleFiles(a.zip).files;
    expect(JSON.parse(retrained['features.json']!).recipe).toEqual(original.recipe);
    const recipeFile = JSON.parse(readFileSync(join(dir, 'now.recipe.json'), 'utf8'));
    expect(recipeFile).toEqual(original.recipe);
    // the retrained model reads the features, and scores new customers with the related table
    const inputs = JSON.parse(retrained['signature.json']!).inputs.map((c: { name: string }) => c.name);
    expect(inputs).toEqual(expect.arrayContaining(['purchases_count_30d', 'purchases_sum_amount']));
    const p = await cli(['predict', a.zip, F('new_customers.csv'), ...RECIPE_TABLES]);
    expect(p.code, p.err).toBe(0);

    // with the purchases made at and after every cutoff, the same features, hence the same model
    const b = await retrain(future, 'later');
    expect(b.err).toMatch(
      /related tables: purchases = purchases_later\.csv \(sha256 [0-9a-f]{12}…, 935 rows\)/,
    );
    expect(readBundleFiles(b.zip).files['model.json']).toBe(retrained['model.json']);
  });
});
