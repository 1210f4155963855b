/**
 * A recipe's life after `build`: the plain data a training job, a scorer or a reproduction takes
 * (`FeaturesSpec`: the recipe and the related tables by name — the target table is the job's own
 * data), the record a bundle keeps of it (`features.json`: the recipe plus each related table's
 * name, row and column counts and content fingerprint — never the rows), and the checks a scorer or
 * a reproduction makes of the tables it is given against that record.
 *
 * The content fingerprint hashes the table as read (column names, types, values), not the file's
 * bytes, so the studio (which holds tables) and the CLI (which holds files) agree.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { Column, Table } from '../data/table.ts';
import { buildFeatures, linkText, parseRecipe, type BuildResult } from './build.ts';
import { withFeatures } from './csv.ts';
import { FeatureError, type FeatureSpec, type Recipe, type Tables } from './types.ts';

/**
 * What a job, a scorer or a reproduction takes to compute a recipe's features: the recipe and the
 * related tables by the names the recipe uses. The recipe's target table is not among them: it is
 * the job's own data (the training file, or the rows to score).
 */
export interface FeaturesSpec {
  readonly recipe: Recipe;
  readonly tables: Tables;
}

/** A related table as a bundle records it: no rows, only what tells whether it is the same. */
export interface TableRecord {
  readonly rows: number;
  readonly columns: number;
  /** SHA-256 (hex) of the table's content as read: see {@link tableFingerprint}. */
  readonly fingerprint: string;
}

/** A feature column as the model card shows it. */
export interface FeatureDefinition {
  readonly name: string;
  readonly kind: FeatureSpec['kind'];
  readonly definition: string;
}

/** features.json: the recipe a bundle's model was trained with, and the related tables it read. */
export interface FeaturesRecord {
  readonly kind: 'automl-studio-features';
  readonly formatVersion: 1;
  readonly recipe: Recipe;
  /** The related tables by name (the target table is the manifest's dataset). */
  readonly tables: Readonly<Record<string, TableRecord>>;
  readonly definitions: readonly FeatureDefinition[];
}

export const FEATURES_FILE = 'features.json';

const utf8 = new TextEncoder();

function lengthPrefixed(h: ReturnType<typeof sha256.create>, text: string): void {
  const bytes = utf8.encode(text);
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, bytes.length, true);
  h.update(len).update(bytes);
}

function hashColumn(h: ReturnType<typeof sha256.create>, col: Column, n: number): void {
  lengthPrefixed(h, `${col.name}\u0000${col.type}\u0000${col.storage}`);
  const CHUNK = 8192;
  switch (col.storage) {
    case 'float64':
    case 'datetime': {
      // One NaN for every missing value, whatever bits the reader left in it; little-endian always.
      const buf = new Float64Array(Math.min(CHUNK, n));
      const view = new DataView(buf.buffer);
      for (let s = 0; s < n; s += CHUNK) {
        const m = Math.min(CHUNK, n - s);
        for (let i = 0; i < m; i++) view.setFloat64(i * 8, col.values[s + i], true);
        h.update(new Uint8Array(buf.buffer, 0, m * 8));
      }
      return;
    }
    case 'bool':
      h.update(col.values.subarray(0, n));
      return;
    case 'dict': {
      // By value, not by code: two readers may order a dictionary differently.
      const ids = new Uint8Array(4);
      const idView = new DataView(ids.buffer);
      const encoded = col.dictionary.map((s) => utf8.encode(s));
      for (let i = 0; i < n; i++) {
        const c = col.codes[i];
        if (c < 0) {
          idView.setInt32(0, -1, true);
          h.update(ids);
        } else {
          idView.setInt32(0, encoded[c].length, true);
          h.update(ids).update(encoded[c]);
        }
      }
      return;
    }
  }
}

/** SHA-256 (hex) of a table's content: row count, then each column's name, type and values in order. */
export function tableFingerprint(table: Table): string {
  const h = sha256.create();
  lengthPrefixed(h, `rows ${table.nRows} columns ${table.columns.length}`);
  for (const c of table.columns) hashColumn(h, c, table.nRows);
  let hex = '';
  for (const b of h.digest()) hex += b.toString(16).padStart(2, '0');
  return hex;
}

const days = (d: number) => `${d} day${d === 1 ? '' : 's'}`;

/** A feature's definition in words (the model card's list). */
export function describeFeature(f: FeatureSpec, recipe: Recipe): string {
  const of = (col: string | undefined, table: string) => (col ? `${table}.${col}` : `rows of ${table}`);
  switch (f.kind) {
    case 'lookup':
      return `${f.relationship.parent}.${f.column} looked up by ${linkText(f.relationship)}`;
    case 'aggregate': {
      // depth 2: the rows of a grandchild, or a column looked up from the child's parent
      const rows = f.grandchild
        ? `${f.grandchild.child} rows (${linkText(f.grandchild)})`
        : `${f.relationship.child} rows`;
      const source = f.grandchild
        ? of(f.column, f.grandchild.child) + ` (${linkText(f.grandchild)})`
        : f.lookup
          ? `${f.lookup.parent}.${f.column} of the ${f.relationship.child} rows (${linkText(f.lookup)})`
          : of(f.column, f.relationship.child);
      const what =
        f.aggregation === 'count' && f.column === undefined
          ? `count of ${rows}`
          : f.aggregation === 'time_since_last'
            ? `days since the last ${rows.replace(/ rows/, ' row')}`
            : `${f.aggregation.replace('_', ' ')} of ${source}`;
      const when = recipe.cutoff
        ? f.windowDays !== undefined
          ? ` in the ${days(f.windowDays)} before the cutoff`
          : ' before the cutoff'
        : f.windowDays !== undefined
          ? ` in the last ${days(f.windowDays)}`
          : '';
      return `${what}${when}, per ${f.relationship.parent} row (${linkText(f.relationship)})`;
    }
    case 'date_part':
      return `${f.part.replace(/_/g, ' ')} of ${recipe.target}.${f.column} (UTC)`;
    case 'days_since':
      return `days from ${recipe.target}.${f.column} to the cutoff`;
    case 'rolling':
      return (
        `${f.aggregation.replace('_', ' ')} of ${of(f.column, recipe.target)} over earlier rows` +
        `${f.windowDays !== undefined ? ` of the last ${days(f.windowDays)}` : ''}` +
        `${f.entity ? ` of the same ${f.entity}` : ''}, ordered by ${f.time}`
      );
    case 'lag':
      return `${recipe.target}.${f.column} ${f.periods ?? 1} row(s) earlier${f.entity ? ` of the same ${f.entity}` : ''}, ordered by ${f.time}`;
  }
}

/** Checks the spec's shape: a valid recipe, tables by name, and not the target table among them. */
export function checkFeaturesSpec(spec: FeaturesSpec): void {
  parseRecipe(spec.recipe);
  if (Object.prototype.hasOwnProperty.call(spec.tables, spec.recipe.target))
    throw new FeatureError(
      'bad-recipe',
      `table '${spec.recipe.target}' is the recipe's target: it is the main data file, not a related table`,
    );
}

/** The related tables a recipe reads (every table it names except its target), sorted. */
export function recipeTables(recipe: Recipe): string[] {
  const names = new Set<string>();
  for (const f of recipe.features) {
    if (f.kind === 'lookup' || f.kind === 'aggregate') {
      names.add(f.relationship.child);
      names.add(f.relationship.parent);
    }
    if (f.kind === 'aggregate') {
      if (f.lookup) names.add(f.lookup.parent);
      if (f.grandchild) names.add(f.grandchild.child);
    }
  }
  names.delete(recipe.target);
  return [...names].sort();
}

/**
 * The target table with the recipe's feature columns appended (one row per target row), computed
 * on the spec's related tables. Throws FeatureError naming a missing table or column, or a feature
 * that reads the label (the recipe's, or `options.label`).
 */
export function applyFeatures(
  spec: FeaturesSpec,
  target: Table,
  options: {
    /** The column a job trains to predict: no feature may read it, whatever the recipe's `label`. */
    readonly label?: string;
  } = {},
): { table: Table; build: BuildResult } {
  checkFeaturesSpec(spec);
  if (options.label !== undefined && options.label !== spec.recipe.label)
    parseRecipe({ ...spec.recipe, label: options.label }, `recipe '${spec.recipe.name}'`);
  const missing = recipeTables(spec.recipe).filter(
    (t) => !Object.prototype.hasOwnProperty.call(spec.tables, t),
  );
  if (missing.length)
    throw new FeatureError(
      'missing-table',
      `recipe '${spec.recipe.name}' needs table${missing.length === 1 ? '' : 's'} ${missing.map((t) => `'${t}'`).join(', ')}, ` +
        `which ${missing.length === 1 ? 'was' : 'were'} not given (give ${missing.map((t) => `--table ${t}=FILE.csv`).join(' ')})`,
    );
  // The label is checked only when present: rows to score have none.
  const { label, ...unlabelled } = spec.recipe;
  const recipe =
    label !== undefined && !target.columns.some((c) => c.name === label) ? unlabelled : spec.recipe;
  const build = buildFeatures(recipe, { ...spec.tables, [spec.recipe.target]: target });
  return { table: withFeatures(target, build.features), build };
}

/**
 * The record a bundle keeps (features.json): the recipe, the fingerprints of the related tables it
 * reads (others given are left out), the definitions.
 */
export function featuresRecord(spec: FeaturesSpec): FeaturesRecord {
  const tables: Record<string, TableRecord> = {};
  // Only the tables the recipe reads: scoring and reproducing need exactly these.
  const read = new Set(recipeTables(spec.recipe));
  for (const name of Object.keys(spec.tables).sort()) {
    if (!read.has(name)) continue;
    const t = spec.tables[name];
    tables[name] = { rows: t.nRows, columns: t.columns.length, fingerprint: tableFingerprint(t) };
  }
  return {
    kind: 'automl-studio-features',
    formatVersion: 1,
    recipe: spec.recipe,
    tables,
    definitions: spec.recipe.features.map((f) => ({
      name: f.name,
      kind: f.kind,
      definition: describeFeature(f, spec.recipe),
    })),
  };
}

/** Reads features.json back; every problem names the file and the field. */
export function parseFeaturesRecord(text: string, where = FEATURES_FILE): FeaturesRecord {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new FeatureError('bad-recipe', `${where} is not valid JSON: ${(err as Error).message}`);
  }
  const r = v as Partial<FeaturesRecord> | null;
  if (!r || typeof r !== 'object' || r.kind !== 'automl-studio-features')
    throw new FeatureError(
      'bad-recipe',
      `${where} is not a features record (kind is not "automl-studio-features")`,
    );
  if (r.formatVersion !== 1)
    throw new FeatureError(
      'bad-recipe',
      `${where}: formatVersion ${JSON.stringify(r.formatVersion)} is not supported (1)`,
    );
  const recipe = parseRecipe(r.recipe, `${where} recipe`);
  if (!r.tables || typeof r.tables !== 'object' || Array.isArray(r.tables))
    throw new FeatureError(
      'bad-recipe',
      `${where}: tables must be an object (name → rows, columns, fingerprint)`,
    );
  for (const [name, t] of Object.entries(r.tables)) {
    const ok =
      t &&
      Number.isInteger(t.rows) &&
      Number.isInteger(t.columns) &&
      typeof t.fingerprint === 'string' &&
      /^[0-9a-f]{64}$/.test(t.fingerprint);
    if (!ok)
      throw new FeatureError(
        'bad-recipe',
        `${where}: tables.${name} must have rows, columns and a SHA-256 fingerprint`,
      );
  }
  return {
    kind: 'automl-studio-features',
    formatVersion: 1,
    recipe,
    tables: r.tables,
    definitions: Array.isArray(r.definitions) ? r.definitions : [],
  };
}

const count = (n: number) => n.toLocaleString('en-US');

/**
 * How the given related tables differ from the ones the model was trained on, one sentence each
 * ("table purchases differs from the one trained on: 1,204 rows vs 1,250"); empty when all match.
 * A table not given is not reported here (computing the features names it).
 */
export function tableDifferences(record: FeaturesRecord, tables: Tables): string[] {
  const out: string[] = [];
  for (const [name, rec] of Object.entries(record.tables)) {
    const t = Object.prototype.hasOwnProperty.call(tables, name) ? tables[name] : undefined;
    if (!t) continue;
    const head = `table ${name} differs from the one trained on`;
    if (t.nRows !== rec.rows) out.push(`${head}: ${count(t.nRows)} rows vs ${count(rec.rows)}`);
    else if (t.columns.length !== rec.columns)
      out.push(`${head}: ${count(t.columns.length)} columns vs ${count(rec.columns)}`);
    else if (tableFingerprint(t) !== rec.fingerprint)
      out.push(
        `${head}: the same ${count(rec.rows)} rows and ${count(rec.columns)} columns, but other values`,
      );
  }
  return out;
}
