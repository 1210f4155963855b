/** `features suggest` and `features build`: feature engineering across tables (src/core/features). */
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import type { Table } from '../../core/data/table.ts';
import type { Recipe } from '../../core/features/types.ts';
import type { FeaturesSpec } from '../../core/features/spec.ts';
import type { IngestResult } from '../../core/ingest/types.ts';
import { CliError } from '../errors.ts';
import type { CliIO, Command } from './command.ts';
import { STORE_USAGE, featuresList, featuresSave, loadRecipe, materializeStored } from './features-store.ts';

const USAGE = [
  'features suggest --table NAME=FILE.csv ... [--target COL] [--target-table NAME] [--cutoff COL | --cutoff-date ISO]',
  '        [--time COL [--entity COL]] [--max-features N] [--windows 7,14,30] [--depth 1|2 [--max-candidates N]]',
  '        [--name NAME] [--out recipe.json] [--json]',
  'features build <recipe.json | NAME[@VERSION]> --table NAME=FILE.csv ... --out features.csv [--features-only] [--store FILE] [--json]',
  ...STORE_USAGE,
  '',
  '  suggest proposes relationships (column names plus value overlap) and time indexes, then a recipe of',
  '  depth-1 (or with --depth 2 also depth-2) features, each with its association with the target column.',
  '  build computes a recipe on the tables: the target table with its feature columns, one row per target row.',
  '',
  '  --table NAME=FILE    a table and the name recipes use for it (repeatable; FILE alone: named after the file)',
  '  --target-table NAME  the table whose rows get features (default: the first --table)',
  '  --target COL         the column to predict (scored against every suggested feature; never a feature)',
  "  --cutoff COL         the target column holding each row's prediction time: no child row at or after it counts",
  '  --cutoff-date ISO    one fixed prediction time for every row instead (e.g. 2024-06-01)',
  "  --time COL           the target table's own time column: adds lags and rolling statistics of its numbers",
  '  --entity COL         with --time: per entity (e.g. store_id), else over the whole table',
  '  --max-features N     keep at most N suggested features, the most associated with the target (default 40)',
  '  --windows LIST       windows in days for aggregations (default 7,14,30; needs a cutoff)',
  "  --depth 2            also aggregate through a second link: a column of a child's parent (mean item",
  "                       price of a customer's purchases) and the rows of a child's child (order lines)",
  '  --max-candidates N   with --depth 2: at most N depth-2 candidates are computed and scored (default 60)',
  '  --out FILE           suggest: write the recipe (JSON); build: write the features (CSV)',
  "  --features-only      build: write only the feature columns, not the target table's own",
  '  --json               print the result as JSON',
].join('\n');

export const featuresCommand: Command = {
  name: 'features',
  summary: 'Feature engineering across tables: suggest a recipe (relationships, aggregations) or build one.',
  usage: USAGE,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'suggest') return suggest(rest, io);
    if (sub === 'build') return build(rest, io);
    if (sub === 'save') return featuresSave(rest, io);
    if (sub === 'list') return featuresList(rest, io);
    throw new CliError(
      `features needs a sub-command: suggest, build, save or list${sub ? ` (got '${sub}')` : ''}`,
    );
  },
};

export async function readTables(
  specs: readonly string[] | undefined,
  io: CliIO,
): Promise<{ tables: Record<string, Table>; files: Record<string, IngestResult> }> {
  if (!specs?.length) throw new CliError('features needs at least one --table NAME=FILE.csv');
  const { ingestCsv } = await import('../../core/ingest/index.ts');
  const { fileSource, nodeHasher } = await import('../node-io.ts');
  const tables: Record<string, Table> = {};
  const files: Record<string, IngestResult> = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const name = eq > 0 ? spec.slice(0, eq) : basename(spec).replace(/\.[^.]*$/, '');
    const file = eq > 0 ? spec.slice(eq + 1) : spec;
    if (!name || !file) throw new CliError(`bad --table '${spec}' (expected NAME=FILE.csv)`);
    if (Object.prototype.hasOwnProperty.call(tables, name))
      throw new CliError(`two --table options are named '${name}'`);
    const res = await ingestCsv(fileSource(file), { createHasher: nodeHasher, onProgress: io.progress });
    io.progress?.(null);
    tables[name] = res.table;
    files[name] = res;
  }
  return { tables, files };
}

function tableInfo(
  files: Record<string, IngestResult>,
): Record<string, { file: string; rows: number; columns: number; sha256: string }> {
  const out: Record<string, { file: string; rows: number; columns: number; sha256: string }> = {};
  for (const [name, r] of Object.entries(files)) {
    out[name] = {
      file: r.sourceName,
      rows: r.fingerprint.rows,
      columns: r.fingerprint.columns,
      sha256: r.fingerprint.sha256,
    };
  }
  return out;
}

function jsonNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}

async function suggest(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      table: { type: 'string', multiple: true },
      target: { type: 'string' },
      'target-table': { type: 'string' },
      cutoff: { type: 'string' },
      'cutoff-date': { type: 'string' },
      'max-features': { type: 'string' },
      windows: { type: 'string' },
      depth: { type: 'string' },
      'max-candidates': { type: 'string' },
      time: { type: 'string' },
      entity: { type: 'string' },
      name: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length)
    throw new CliError(
      `features suggest takes no file argument ('${positionals[0]}'): use --table NAME=FILE.csv`,
    );
  if (values.cutoff !== undefined && values['cutoff-date'] !== undefined)
    throw new CliError('give --cutoff or --cutoff-date, not both');
  let maxFeatures: number | undefined;
  if (values['max-features'] !== undefined) {
    maxFeatures = Number(values['max-features']);
    if (!Number.isInteger(maxFeatures) || maxFeatures < 1)
      throw new CliError(`--max-features must be a whole number ≥ 1, got '${values['max-features']}'`);
  }
  let depth: 1 | 2 | undefined;
  if (values.depth !== undefined) {
    if (values.depth !== '1' && values.depth !== '2')
      throw new CliError(`--depth must be 1 or 2, got '${values.depth}'`);
    depth = values.depth === '2' ? 2 : 1;
  }
  let maxCandidates: number | undefined;
  if (values['max-candidates'] !== undefined) {
    if (depth !== 2) throw new CliError('--max-candidates goes with --depth 2');
    maxCandidates = Number(values['max-candidates']);
    if (!Number.isInteger(maxCandidates) || maxCandidates < 0)
      throw new CliError(`--max-candidates must be a whole number ≥ 0, got '${values['max-candidates']}'`);
  }
  let windows: number[] | undefined;
  if (values.windows !== undefined) {
    windows = values.windows.split(',').map((w) => Number(w.trim()));
    if (windows.some((w) => !(w > 0 && Number.isFinite(w))))
      throw new CliError(`--windows must be positive numbers of days, e.g. 7,14,30; got '${values.windows}'`);
  }
  const { tables, files } = await readTables(values.table, io);
  const targetTable = values['target-table'] ?? Object.keys(tables)[0];
  if (!tables[targetTable])
    throw new CliError(
      `--target-table '${targetTable}' is not one of the tables (${Object.keys(tables).join(', ')})`,
    );
  const cols = tables[targetTable].columns.map((c) => c.name);
  if (values.target !== undefined && !cols.includes(values.target))
    throw new CliError(
      `target column '${values.target}' not found in table '${targetTable}' (${files[targetTable].sourceName})`,
    );
  if (values.cutoff !== undefined && !cols.includes(values.cutoff))
    throw new CliError(
      `cutoff column '${values.cutoff}' not found in table '${targetTable}' (${files[targetTable].sourceName})`,
    );
  for (const [flag, col] of [
    ['--time', values.time],
    ['--entity', values.entity],
  ] as const) {
    if (col !== undefined && !cols.includes(col)) {
      throw new CliError(
        `${flag} column '${col}' not found in table '${targetTable}' (${files[targetTable].sourceName})`,
      );
    }
  }
  if (values.entity !== undefined && values.time === undefined)
    throw new CliError('--entity goes with --time');
  const { suggestFeatures } = await import('../../core/features/index.ts');
  const cutoff =
    values.cutoff !== undefined
      ? { column: values.cutoff }
      : values['cutoff-date'] !== undefined
        ? { fixed: values['cutoff-date'] }
        : undefined;
  const t0 = performance.now();
  const s = suggestFeatures(tables, {
    target: targetTable,
    label: values.target,
    cutoff,
    maxFeatures,
    windows,
    time: values.time,
    entity: values.entity,
    name: values.name,
    depth,
    maxCandidates,
  });
  const seconds = (performance.now() - t0) / 1000;
  if (values.out) writeFileSync(values.out, JSON.stringify(s.recipe, null, 2) + '\n');
  if (values.json) {
    io.stdout(
      JSON.stringify(
        {
          tables: tableInfo(files),
          ...s.proposals,
          recipe: s.recipe,
          features: s.features,
          candidates: s.candidates,
          ...(s.depth2 ? { depth2: s.depth2 } : {}),
          seconds,
        },
        jsonNumbers,
        2,
      ) + '\n',
    );
    return 0;
  }
  const lines: string[] = ['Relationships:'];
  if (!s.proposals.relationships.length) lines.push('  (none found)');
  for (const r of s.proposals.relationships) lines.push(`  ${r.text}`);
  for (const r of s.proposals.refused) lines.push(`  ${r.text}`);
  lines.push('Time indexes:');
  for (const t of s.proposals.timeIndexes) {
    lines.push(
      `  ${t.table}: ${t.column ?? '(no date column)'}${t.candidates.length > 1 ? ` (date columns: ${t.candidates.join(', ')})` : ''}`,
    );
  }
  lines.push(
    `Features: ${s.features.length} of ${s.candidates} candidates${values.target ? `, by association with ${values.target}` : ''}`,
  );
  if (s.depth2)
    lines.push(
      `  (depth 2: ${s.depth2.candidates - s.depth2.leftOut} of ${s.depth2.candidates} depth-2 candidates computed` +
        (s.depth2.leftOut ? `, ${s.depth2.leftOut} left out by --max-candidates` : '') +
        ')',
    );
  const w = Math.max(8, ...s.features.map((f) => f.name.length));
  for (const f of s.features) {
    const a = f.method
      ? `${Number.isNaN(f.association) ? '   —  ' : f.association.toFixed(4)} ${f.method}`
      : '';
    lines.push(
      `  ${f.name.padEnd(w)}  ${f.kind.padEnd(10)} ${a}${f.missingShare > 0 ? `  (${(f.missingShare * 100).toFixed(1)}% missing)` : ''}`,
    );
  }
  lines.push(values.out ? `recipe written to ${values.out}` : 'recipe: add --out recipe.json to write it');
  lines.push(`computed in ${seconds.toFixed(2)} s`);
  io.stdout(lines.join('\n') + '\n');
  return 0;
}

async function build(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      table: { type: 'string', multiple: true },
      out: { type: 'string' },
      'features-only': { type: 'boolean', default: false },
      store: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1)
    throw new CliError('features build takes exactly one recipe.json (or a stored recipe NAME[@VERSION])');
  if (!values.out) throw new CliError('features build needs --out features.csv');
  const { buildFeatures, tableCsvLines, withFeatures } = await import('../../core/features/index.ts');
  const { recipe, stored } = await loadRecipe(positionals[0], values.store);
  const { tables, files } = await readTables(values.table, io);
  const t0 = performance.now();
  // A stored recipe: the feature table kept for this version on these tables, else built and kept.
  const res = stored
    ? await materializeStored(stored, tables, values.store, io)
    : { ...buildFeatures(recipe, tables), featureStore: undefined };
  const seconds = (performance.now() - t0) / 1000;
  const out = values['features-only'] ? res.features : withFeatures(tables[recipe.target], res.features);
  const fd = openSync(values.out, 'w');
  try {
    let chunk: string[] = [];
    for (const line of tableCsvLines(out)) {
      chunk.push(line);
      if (chunk.length >= 4096) {
        writeSync(fd, chunk.join('\n') + '\n');
        chunk = [];
      }
    }
    if (chunk.length) writeSync(fd, chunk.join('\n') + '\n');
  } finally {
    closeSync(fd);
  }
  for (const w of res.warnings) io.stderr(`warning: ${w}\n`);
  if (values.json) {
    io.stdout(
      JSON.stringify(
        {
          recipe: { name: recipe.name, version: recipe.version, target: recipe.target },
          tables: tableInfo(files),
          rows: out.nRows,
          features: res.features.columns.map((c) => c.name),
          relationships: res.relationships,
          missingCutoff: res.missingCutoff,
          warnings: res.warnings,
          ...(res.featureStore ? { featureStore: res.featureStore } : {}),
          out: values.out,
          seconds,
        },
        jsonNumbers,
        2,
      ) + '\n',
    );
    return 0;
  }
  const lines = [
    `${recipe.name} v${recipe.version}: ${res.features.columns.length} features for ${out.nRows} rows of '${recipe.target}'`,
  ];
  for (const r of res.relationships) lines.push(`  ${r.text}`);
  lines.push(`written to ${values.out} (computed in ${seconds.toFixed(2)} s)`);
  io.stdout(lines.join('\n') + '\n');
  return 0;
}

/** A recipe file, checked (shape, schema version, known kinds): one-line errors naming the file. */
export async function readRecipe(path: string): Promise<Recipe> {
  const { parseRecipe } = await import('../../core/features/index.ts');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new CliError(
      code === 'ENOENT'
        ? `recipe file not found: ${path}`
        : `recipe ${path} is not valid JSON: ${(err as Error).message}`,
    );
  }
  return parseRecipe(raw, `recipe ${basename(path)}`);
}

/**
 * `--recipe FILE --table NAME=FILE …` of fit and automl: the recipe and its related tables (the
 * recipe's target table is the main CSV file, so it is not given as a --table).
 */
export async function readFeaturesArgs(
  recipePath: string | undefined,
  tableSpecs: readonly string[] | undefined,
  io: CliIO,
  /** The tracking database holding the feature store, for `--recipe NAME[@VERSION]`. */
  storeOption?: string,
): Promise<FeaturesSpec | undefined> {
  if (recipePath === undefined) {
    if (tableSpecs?.length) throw new CliError('--table goes with --recipe recipe.json');
    return undefined;
  }
  const { recipe } = await loadRecipe(recipePath, storeOption);
  const tables = tableSpecs?.length ? (await readTables(tableSpecs, io)).tables : {};
  return { recipe, tables: await checkRelatedTables(recipe, tables) };
}

/** The related tables checked against a recipe: the target is not one of them; each it reads is given. */
export async function checkRelatedTables(
  recipe: Recipe,
  tables: Record<string, Table>,
): Promise<Record<string, Table>> {
  const { recipeTables } = await import('../../core/features/index.ts');
  if (Object.prototype.hasOwnProperty.call(tables, recipe.target))
    throw new CliError(
      `--table ${recipe.target}: '${recipe.target}' is the recipe's target table, which is the main CSV file; give only the related tables`,
    );
  const missing = recipeTables(recipe).filter((t) => !Object.prototype.hasOwnProperty.call(tables, t));
  if (missing.length)
    throw new CliError(
      `recipe '${recipe.name}' needs table${missing.length === 1 ? '' : 's'} ${missing.map((t) => `'${t}'`).join(', ')}: ` +
        `give ${missing.map((t) => `--table ${t}=FILE.csv`).join(' ')}`,
    );
  return tables;
}
