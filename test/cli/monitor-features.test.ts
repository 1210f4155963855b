/**
 * `monitor --table` (issues 16 and 20): a model trained on recipe features is monitored on a batch of
 * the recipe's target table; the features are computed from the related tables as `predict --table`
 * computes them, so their drift is checked like any input and the batch is scored. Without the table
 * the command stops with an error naming it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { RECIPE_TABLES, fitRecipeBundle, recipeFixture } from '../helpers/recipe-bundle.ts';
import { cli } from '../helpers/cli.ts';

const F = recipeFixture;
const TABLES = RECIPE_TABLES;

let bundle: string;
beforeAll(async () => {
  bundle = await fitRecipeBundle();
}, 120_000);

interface Report {
  drift: { columns: { column: string }[] };
  performance?: { kind: string; metrics: { metric: string; value: number }[] };
  batch: { rows: number };
}

describe('monitor a model on recipe features', () => {
  it('a batch without the target: the computed features are compared and performance is estimated', async () => {
    const r = await cli(['monitor', bundle, F('new_customers.csv'), ...TABLES, '--json', '--no-track']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as Report;
    const columns = report.drift.columns.map((c) => c.column);
    expect(columns).toEqual(
      expect.arrayContaining(['purchases_count_30d', 'purchases_sum_amount', 'region']),
    );
    expect(report.performance?.kind).toBe('estimated');
  });

  it('the training rows with their target: actual metrics, measured on predict --table’s predictions', async () => {
    const r = await cli(['monitor', bundle, F('customers.csv'), ...TABLES, '--json', '--no-track']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as Report;
    expect(report.performance?.kind).toBe('actual');
    // accuracy equals the share of predict --table's labels that match the target
    const pred = await cli(['predict', bundle, F('customers.csv'), ...TABLES]);
    expect(pred.code, pred.err).toBe(0);
    const labels = pred.out
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',').at(-1));
    const truth = (await import('node:fs'))
      .readFileSync(F('customers.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',').at(-1));
    const hits = labels.filter((l, i) => l === truth[i]).length / labels.length;
    const acc = report.performance!.metrics.find((m) => m.metric === 'accuracy')!.value;
    expect(acc).toBeCloseTo(hits, 12);
  });

  it('without the related table: exit 2, naming it', async () => {
    const r = await cli(['monitor', bundle, F('new_customers.csv'), '--json', '--no-track']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--table purchases=FILE.csv');
  });
});
