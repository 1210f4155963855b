/**
 * The Score screen's side of a model trained on recipe features (issue 20): which tables it asks for
 * (the recipe's target table is the CSV scored, each related table by name) and the error, naming the
 * table, when one is not given. Read from the bundle's features.json (src/core/features/spec.ts).
 */
import { FEATURES_FILE, parseFeaturesRecord } from '../../../core/features/index.ts';

export interface ScoreTables {
  /** "churn@1" (name@version, as the Models screen and the feature store write it). */
  readonly recipe: string;
  /** The recipe's target table: the CSV to score. */
  readonly target: string;
  /** The related tables the features are computed from, by the names the recipe uses (sorted). */
  readonly tables: readonly string[];
}

/** The tables a bundle's model needs to score, or null for a model without recipe features. */
export function scoreTablesOf(files: Readonly<Record<string, string>>): ScoreTables | null {
  const text = files[FEATURES_FILE];
  if (text === undefined) return null;
  const rec = parseFeaturesRecord(text);
  return {
    recipe: `${rec.recipe.name}@${rec.recipe.version}`,
    target: rec.recipe.target,
    tables: Object.keys(rec.tables).sort(),
  };
}

/** Null when every related table is given, else the sentence naming the ones that are not. */
export function missingTablesMessage(
  need: ScoreTables,
  given: Readonly<Record<string, unknown>>,
): string | null {
  const missing = need.tables.filter((t) => !Object.prototype.hasOwnProperty.call(given, t));
  if (!missing.length) return null;
  const names = missing.map((t) => `'${t}'`).join(', ');
  const one = missing.length === 1;
  return (
    `This model computes its features (recipe ${need.recipe}) from table${one ? '' : 's'} ${names}, ` +
    `which ${one ? 'was' : 'were'} not given: choose ${one ? 'its' : 'their'} CSV file${one ? '' : 's'} under “Related tables”.`
  );
}
