/**
 * Explaining a model trained on recipe features (issues 18 and 20): the data is the recipe's target
 * table, so reading it as for any model (the model's signature) misses every feature column — the
 * Explain view could not be computed before. readForExplaining computes the features from the related
 * tables as Score does; the view's predictions equal Score's own (scoreWithFeatures) on the same rows,
 * the feature columns are explained (with additivity per row), and a related table not given is named.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadVerifiedBundleArg } from '../../../src/cli/bundle-io.ts';
import { fileSource } from '../../../src/cli/node-io.ts';
import type { LoadedBundle } from '../../../src/core/export/bundle.ts';
import { readForScoring } from '../../../src/core/export/score.ts';
import { explainViewOf, readForExplaining } from '../../../src/core/explain/explain-data.ts';
import { scoreWithFeatures } from '../../../src/core/features/score.ts';
import type { Tables } from '../../../src/core/features/types.ts';
import { ingestCsv } from '../../../src/core/ingest/index.ts';
import { fitRecipeBundle, recipeFixture } from '../../helpers/recipe-bundle.ts';

let bundle: LoadedBundle;
let tables: Tables;
const customers = () => fileSource(recipeFixture('customers.csv'));

beforeAll(async () => {
  bundle = (await loadVerifiedBundleArg(await fitRecipeBundle())).bundle;
  tables = { purchases: (await ingestCsv(fileSource(recipeFixture('purchases.csv')))).table };
}, 180_000);

describe('explaining a model on recipe features', () => {
  it('read as a plain model, the target table lacks the features (what the Explain tab did before)', async () => {
    await expect(readForScoring(bundle, customers())).rejects.toThrow(/purchases_count_30d/);
  });

  it('computes the features from the related tables: the view explains them and predicts as Score does', async () => {
    const view = await explainViewOf(bundle, customers(), tables, {
      rows: 80,
      seed: 2,
      permutationRows: 200,
    });
    const features = JSON.parse(readFileSync(recipeFixture('recipe.json'), 'utf8')) as {
      features: { name: string }[];
    };
    const explained = view.importance.map((c) => c.column);
    const used = new Set(bundle.manifest.signature.inputs.map((c) => c.name));
    const featureInputs = features.features.map((f) => f.name).filter((n) => used.has(n));
    expect(featureInputs.length).toBeGreaterThan(0);
    for (const f of featureInputs) expect(explained).toContain(f);
    expect(view.notes.join(' ')).toContain("features of recipe churn@1 computed from 'purchases'");
    // base + contributions = output, per row
    for (let i = 0; i < view.rows; i++) {
      let s = view.sample.base[i]!;
      for (let c = 0; c < explained.length; c++) s += view.sample.contributions[c]![i]!;
      expect(Math.abs(s - view.sample.output[i]!)).toBeLessThan(1e-9);
    }
    // the same predictions as the Score screen's code on the same rows
    const scored = await scoreWithFeatures(bundle, customers(), tables);
    const classes = bundle.manifest.classes!;
    view.sample.row.forEach((r, i) =>
      expect(view.sample.prediction[i]).toBe(classes[scored.predictions.labels![r]!]),
    );
    // the feature columns' values are the computed features (not missing)
    const k = explained.indexOf(featureInputs[0]!);
    expect(view.sample.values[k]!.some((v) => v !== null)).toBe(true);
  }, 180_000);

  it('a related table not given is named', async () => {
    await expect(readForExplaining(bundle, customers(), {})).rejects.toThrow(/'purchases'/);
  });
});
