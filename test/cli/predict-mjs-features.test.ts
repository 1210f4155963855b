/**
 * `node predict.mjs data.csv --table NAME=FILE.csv` (issue 20): the standalone scorer of a model
 * trained on recipe features computes the features from the related tables with the recorded recipe
 * and writes exactly what `cli predict --table` writes (and the same notes); a missing table is an
 * error naming it (exit 2, one line), as are malformed --table options.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { fitRecipeBundle, recipeFixture } from '../helpers/recipe-bundle.ts';
import { cli } from '../helpers/cli.ts';
import { extractBundle, runPredictMjs } from '../helpers/predict-mjs.ts';

const F = recipeFixture;

let dir: string;
let zip: string;
beforeAll(async () => {
  zip = await fitRecipeBundle();
  dir = extractBundle(zip);
}, 120_000);

describe('predict.mjs with related tables', () => {
  it('writes what cli predict --table writes, with the same notes', async () => {
    const tables = ['--table', `purchases=${F('purchases.csv')}`];
    const viaCli = await cli(['predict', zip, F('new_customers.csv'), ...tables]);
    expect(viaCli.code, viaCli.err).toBe(0);
    const mjs = runPredictMjs(dir, [F('new_customers.csv'), ...tables]);
    expect(mjs.status, mjs.stderr).toBe(0);
    expect(mjs.stdout).toBe(viaCli.out);
    expect(mjs.stdout.split('\n')[0]).toMatch(/,prediction$/);
    const notes = (t: string) => t.split('\n').filter((l) => l.startsWith('note: '));
    expect(notes(mjs.stderr)).toEqual(notes(viaCli.err));
    // a table that is not the one the recipe reads (no customer_id, no ts): an error naming it
    const fewer = runPredictMjs(dir, [F('new_customers.csv'), '--table', `purchases=${F('items.csv')}`]);
    expect(fewer.status).not.toBe(0);
    expect(fewer.stderr).toMatch(/^error: .*purchases/m);
  });

  it('without the table, or with a malformed --table: exit 2 and one error line naming it', () => {
    const none = runPredictMjs(dir, [F('new_customers.csv')]);
    expect(none.status).toBe(2);
    expect(none.stderr).toBe(
      "error: the model reads features of recipe 'churn' computed from table 'purchases', which was not given (give --table purchases=FILE.csv)\n",
    );
    const bad = runPredictMjs(dir, [F('new_customers.csv'), '--table', 'purchases']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.split('\n')[0]).toBe("error: bad --table 'purchases' (expected NAME=FILE.csv)");
    const twice = runPredictMjs(dir, [
      F('new_customers.csv'),
      '--table',
      `purchases=${F('purchases.csv')}`,
      '--table',
      `purchases=${F('purchases.csv')}`,
    ]);
    expect(twice.status).toBe(2);
    expect(twice.stderr.split('\n')[0]).toBe("error: two --table options are named 'purchases'");
  });
});
