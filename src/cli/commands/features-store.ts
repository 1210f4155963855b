/**
 * The CLI's feature store (issue 20): `features save`, `features list`, and recipes given by name
 * (`NAME` or `NAME@VERSION`) wherever a recipe file is taken — `features build`, `fit --recipe`,
 * `automl --recipe`. The store lives in the tracking database (`--store FILE`, env AUTOML_STORE,
 * default `.automl/tracking.db`; src/cli/sqlite-feature-store.ts).
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Table } from '../../core/data/table.ts';
import type { BuildResult } from '../../core/features/build.ts';
import type { StoredRecipe } from '../../core/features/store.ts';
import type { Recipe } from '../../core/features/types.ts';
import { CliError } from '../errors.ts';
import type { SqliteFeatureStore } from '../sqlite-feature-store.ts';
import type { CliIO } from './command.ts';

export const STORE_USAGE = [
  'features save <recipe.json> [--name NAME] [--store FILE] [--json]',
  'features list [--store FILE] [--json]',
  '',
  "  save keeps a recipe in the feature store under NAME (default: the recipe's own name): the same",
  '  content is the same version, other content the next one. list shows every recipe and its versions.',
  '  A stored recipe is given as NAME (its latest version) or NAME@VERSION wherever a recipe.json is',
  '  taken (features build, fit --recipe, automl --recipe); features build then reuses the feature table',
  '  computed before from the same version on the same tables, or computes and keeps it.',
  '  --store FILE         the tracking database holding the feature store (default .automl/tracking.db)',
];

/** Opens the feature store of the tracking database a command uses. */
export async function openCliFeatureStore(option: string | undefined): Promise<SqliteFeatureStore> {
  const { storePath } = await import('../tracking.ts');
  const { SqliteFeatureStore } = await import('../sqlite-feature-store.ts');
  try {
    return SqliteFeatureStore.open(storePath(option));
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

/**
 * Whether a `--recipe` / `features build` argument names a stored recipe rather than a file: it is
 * not an existing path and does not end in `.json`.
 */
export function isStoredRecipeRef(arg: string): boolean {
  return !existsSync(arg) && !/\.json$/i.test(arg);
}

/** A recipe from a file, or from the store by `NAME[@VERSION]` (then `stored` is its record). */
export async function loadRecipe(
  arg: string,
  storeOption: string | undefined,
): Promise<{ recipe: Recipe; stored?: StoredRecipe }> {
  if (!isStoredRecipeRef(arg)) {
    const { readRecipe } = await import('./features.ts');
    return { recipe: await readRecipe(arg) };
  }
  const { resolveRecipe } = await import('../../core/features/store.ts');
  const store = await openCliFeatureStore(storeOption);
  try {
    const stored = await resolveRecipe(store, arg);
    return { recipe: stored.recipe, stored };
  } catch (e) {
    throw new CliError(`${(e as Error).message} (${store.path})`);
  } finally {
    await store.close();
  }
}

/**
 * `features build` on a stored recipe: the feature table kept for this version and these tables
 * (said on stderr), else computed and kept.
 */
export async function materializeStored(
  stored: StoredRecipe,
  tables: Record<string, Table>,
  storeOption: string | undefined,
  io: CliIO,
): Promise<{
  features: Table;
  warnings: readonly string[];
  reused: boolean;
  relationships: BuildResult['relationships'];
  missingCutoff: number;
  featureStore: { name: string; version: number; reused: boolean; key: string; store: string };
}> {
  const { materialize } = await import('../../core/features/store.ts');
  const store = await openCliFeatureStore(storeOption);
  try {
    const m = await materialize(store, stored, tables);
    io.stderr(
      m.reused
        ? `feature store: reused the table of recipe ${stored.name}@${stored.version} computed ${new Date(m.record.createdAt).toISOString()} from the same tables (${m.record.rows} rows)\n`
        : `feature store: computed the features of recipe ${stored.name}@${stored.version} and kept them in ${store.path}\n`,
    );
    return {
      features: m.features,
      warnings: m.warnings,
      reused: m.reused,
      relationships: m.build?.relationships ?? [],
      missingCutoff: m.build?.missingCutoff ?? 0,
      featureStore: {
        name: stored.name,
        version: stored.version,
        reused: m.reused,
        key: m.record.key,
        store: store.path,
      },
    };
  } finally {
    await store.close();
  }
}

export async function featuresSave(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      name: { type: 'string' },
      store: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) throw new CliError('features save takes exactly one recipe.json');
  const { readRecipe } = await import('./features.ts');
  const recipe = await readRecipe(positionals[0]);
  const store = await openCliFeatureStore(values.store);
  try {
    const { stored, created } = await store.saveRecipe(values.name ?? recipe.name, recipe);
    if (values.json) {
      io.stdout(
        JSON.stringify(
          {
            name: stored.name,
            version: stored.version,
            hash: stored.hash,
            created,
            features: stored.recipe.features.length,
            store: store.path,
          },
          null,
          2,
        ) + '\n',
      );
    } else {
      io.stdout(
        created
          ? `saved recipe ${stored.name}@${stored.version} (${stored.recipe.features.length} features, content ${stored.hash.slice(0, 12)}) in ${store.path}\n`
          : `recipe ${stored.name}@${stored.version} already holds this content (${stored.hash.slice(0, 12)}): nothing saved\n`,
      );
    }
    return 0;
  } finally {
    await store.close();
  }
}

export async function featuresList(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      store: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length) throw new CliError(`features list takes no argument ('${positionals[0]}')`);
  const store = await openCliFeatureStore(values.store);
  try {
    const recipes = await store.listRecipes();
    if (values.json) {
      io.stdout(
        JSON.stringify(
          {
            store: store.path,
            recipes: recipes.map((r) => ({
              name: r.name,
              versions: r.versions.map((v) => ({
                version: v.version,
                hash: v.hash,
                createdAt: new Date(v.createdAt).toISOString(),
                target: v.recipe.target,
                features: v.recipe.features.map((f) => f.name),
                tables: r.tables[v.version] ?? 0,
              })),
            })),
          },
          null,
          2,
        ) + '\n',
      );
      return 0;
    }
    if (!recipes.length) {
      io.stdout(`no recipes in ${store.path} (save one with: features save recipe.json --name NAME)\n`);
      return 0;
    }
    const lines = [`recipes in ${store.path}:`];
    for (const r of recipes) {
      lines.push(`  ${r.name}`);
      for (const v of r.versions) {
        const kept = r.tables[v.version] ?? 0;
        lines.push(
          `    @${v.version}  ${v.hash.slice(0, 12)}  ${new Date(v.createdAt).toISOString().slice(0, 19).replace('T', ' ')}  ` +
            `target ${v.recipe.target}, ${v.recipe.features.length} features, ${kept} table${kept === 1 ? '' : 's'} kept`,
        );
      }
    }
    io.stdout(lines.join('\n') + '\n');
    return 0;
  } finally {
    await store.close();
  }
}
