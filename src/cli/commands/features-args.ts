/** `--recipe … --table …` as fit and automl take them (issue 20): usage lines, checks, output lines. */
import type { FeaturesSpec } from '../../core/features/spec.ts';
import type { ColumnSchema } from '../../core/ingest/types.ts';
import { CliError } from '../errors.ts';

export { readFeaturesArgs } from './features.ts';

export const FEATURE_USAGE = [
  '  --recipe FILE|NAME[@VERSION]  train on the features of a recipe (features suggest/build), a file or one',
  '                       kept in the feature store (features save; --store names its database): the CSV file is',
  "                       the recipe's target table; the bundle records the recipe and the related tables'",
  '                       fingerprints, and predict/reproduce then take the same --table options',
  '  --table NAME=FILE    a related table the recipe reads, by the name the recipe uses (repeatable)',
];

/** --exclude with a recipe may name a column of the file or a feature. */
export function checkFeatureExcludes(
  spec: FeaturesSpec,
  schema: readonly ColumnSchema[],
  exclude: readonly string[],
  file: string,
): void {
  const known = new Set([...schema.map((c) => c.name), ...spec.recipe.features.map((f) => f.name)]);
  for (const c of exclude)
    if (!known.has(c))
      throw new CliError(
        `--exclude names column '${c}', which is neither in the file (${file}) nor a feature of recipe '${spec.recipe.name}'`,
      );
}

/** What the text output says about the features a model was trained on. */
export function featureLines(
  spec: FeaturesSpec | undefined,
  warnings: readonly string[] | undefined,
): string[] {
  if (!spec) return [];
  const tables = Object.entries(spec.tables).map(([n, t]) => `${n} (${t.nRows} rows)`);
  const read = new Set(
    spec.recipe.features.flatMap((f) =>
      f.kind === 'lookup'
        ? [f.relationship.child, f.relationship.parent]
        : f.kind === 'aggregate' // depth 2 reads a third table too
          ? [f.relationship.child, f.relationship.parent, f.lookup?.parent, f.grandchild?.child]
          : [],
    ),
  );
  const unused = Object.keys(spec.tables).filter((t) => !read.has(t));
  return [
    `features: recipe '${spec.recipe.name}' v${spec.recipe.version}, ${spec.recipe.features.length} features` +
      (tables.length ? ` from ${tables.join(', ')}` : ''),
    ...(unused.length ? [`note: the recipe reads no column of ${unused.join(', ')}; not recorded`] : []),
    ...(warnings ?? []).map((w) => `warning: ${w}`),
  ];
}
