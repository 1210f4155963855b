/**
 * The Score screen's tables for a model on recipe features (issue 20): which tables a bundle's
 * features.json asks for, and the sentence naming the related tables not given.
 */
import { describe, expect, it } from 'vitest';
import { featuresRecord, RECIPE_SCHEMA_VERSION, type Recipe } from '../../src/core/features/index.ts';
import { missingTablesMessage, scoreTablesOf } from '../../src/ui/components/features/score-tables.ts';
import { num, table } from '../helpers/table.ts';

const rel = (child: string) => ({ child, childColumn: 'id', parent: 'customers', parentColumn: 'id' });
const recipe: Recipe = {
  schemaVersion: RECIPE_SCHEMA_VERSION,
  name: 'churn',
  version: 2,
  target: 'customers',
  timeIndex: {},
  features: [
    { kind: 'aggregate', name: 'visits_n', relationship: rel('visits'), aggregation: 'count' },
    { kind: 'aggregate', name: 'orders_n', relationship: rel('orders'), aggregation: 'count' },
  ],
};
const t = table(num('id', [1, 2]));
const files = {
  'features.json': JSON.stringify(featuresRecord({ recipe, tables: { visits: t, orders: t } })),
};

describe('score tables', () => {
  it('reads the recipe, its target and the related tables (sorted) from features.json', () => {
    expect(scoreTablesOf(files)).toEqual({
      recipe: 'churn@2',
      target: 'customers',
      tables: ['orders', 'visits'],
    });
    expect(scoreTablesOf({ 'manifest.json': '{}' })).toBeNull();
  });

  it('names the related tables not given, and nothing when all are', () => {
    const need = scoreTablesOf(files)!;
    expect(missingTablesMessage(need, { orders: 1 })).toBe(
      "This model computes its features (recipe churn@2) from table 'visits', which was not given: choose its CSV file under “Related tables”.",
    );
    expect(missingTablesMessage(need, {})).toBe(
      "This model computes its features (recipe churn@2) from tables 'orders', 'visits', which were not given: choose their CSV files under “Related tables”.",
    );
    expect(missingTablesMessage(need, { orders: 1, visits: 2 })).toBeNull();
  });

  it('a damaged features.json is an error naming the file', () => {
    expect(() => scoreTablesOf({ 'features.json': '{' })).toThrow(/^features\.json is not valid JSON/);
  });
});
