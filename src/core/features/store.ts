/**
 * The local feature store (issue 20): named, versioned recipes and their materialized feature
 * tables, kept with the fingerprints of the tables they were computed from, reusable across
 * experiments — Feast's registry and MLflow's feature tables, but local.
 *
 * - A recipe is saved under a name. Its **content hash** is the SHA-256 of its canonical JSON (keys
 *   sorted, without its `name` and `version`): saving content already stored under that name gives
 *   back that version; other content gets the next version (1, 2, …). The stored recipe carries the
 *   store's name and version, so a bundle trained on it says `recipe churn v2`.
 * - A materialized table (the feature columns only, one row per target row) is keyed by the recipe
 *   version and the content fingerprints ({@link tableFingerprint}) of every table it read, the
 *   target table included: the same recipe on the same tables finds it again, in the CLI (which
 *   reads files) and in the studio (which holds tables) alike.
 * - Records are plain data. Implementations: memory (here), IndexedDB (`src/store/feature-store.ts`)
 *   and the CLI's SQLite database (`src/cli/sqlite-feature-store.ts`); one contract test suite
 *   (`test/store/feature-store-contract.ts`) runs against each.
 *
 * Pure TypeScript: no DOM, no Dexie, no Node.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { Column, Table } from '../data/table.ts';
import { buildFeatures, parseRecipe, type BuildResult } from './build.ts';
import { recipeTables, tableFingerprint } from './spec.ts';
import { FeatureError, type Recipe, type Tables } from './types.ts';

/** A recipe as the store keeps it: `recipe.name` and `recipe.version` are the store's. */
export interface StoredRecipe {
  readonly name: string;
  readonly version: number;
  /** SHA-256 (hex) of the canonical recipe JSON without name and version: see {@link recipeHash}. */
  readonly hash: string;
  readonly recipe: Recipe;
  /** Epoch ms. */
  readonly createdAt: number;
}

/** One name's versions, newest last (what `features list` shows). */
export interface StoredRecipeSummary {
  readonly name: string;
  readonly versions: readonly StoredRecipe[];
  /** Materialized tables kept per version. */
  readonly tables: Readonly<Record<number, number>>;
}

/** What a materialized feature table was computed from. */
export interface FeatureTableKey {
  readonly recipeName: string;
  readonly recipeVersion: number;
  /** Every table the recipe read (the target table included) → its content fingerprint. */
  readonly inputs: Readonly<Record<string, string>>;
}

/** A materialized feature table's record (without its columns). */
export interface FeatureTableRecord extends FeatureTableKey {
  /** `name@version:` + SHA-256 of the sorted inputs: see {@link featureTableKey}. */
  readonly key: string;
  readonly recipeHash: string;
  readonly rows: number;
  readonly columns: readonly string[];
  /** The build's warnings, said again when the table is reused. */
  readonly warnings: readonly string[];
  readonly createdAt: number;
}

export interface StoredFeatureTable {
  readonly record: FeatureTableRecord;
  /** The feature columns, one row per target row. */
  readonly table: Table;
}

/** The feature store's contract (every method async: IndexedDB and SQLite behind it). */
export interface FeatureStore {
  /** Saves `recipe` under `name`: the version holding the same content, or a new one (`created`). */
  saveRecipe(name: string, recipe: Recipe): Promise<{ stored: StoredRecipe; created: boolean }>;
  /** A version, or the latest when `version` is not given; undefined when there is none. */
  getRecipe(name: string, version?: number): Promise<StoredRecipe | undefined>;
  /** A name's versions, oldest first (empty when the name is unknown). */
  listVersions(name: string): Promise<readonly StoredRecipe[]>;
  /** Every name with its versions and how many tables each keeps, by name. */
  listRecipes(): Promise<readonly StoredRecipeSummary[]>;
  /** Keeps a materialized table (replacing one with the same key). The recipe version must exist. */
  putTable(key: FeatureTableKey, table: Table, warnings?: readonly string[]): Promise<FeatureTableRecord>;
  getTable(key: FeatureTableKey): Promise<StoredFeatureTable | undefined>;
  /** Records of the tables kept, of one recipe (and version) when given. */
  listTables(name?: string, version?: number): Promise<readonly FeatureTableRecord[]>;
  deleteTable(key: FeatureTableKey): Promise<boolean>;
  /** Deletes a version (or every version of the name) and its tables; returns the versions deleted. */
  deleteRecipe(name: string, version?: number): Promise<number>;
}

const utf8 = new TextEncoder();

function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** JSON with object keys sorted at every level (arrays keep their order); undefined members dropped. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value))
      throw new FeatureError('bad-recipe', `a recipe cannot hold the number ${value}`);
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value))
    return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** SHA-256 (hex) of the recipe's canonical JSON without `name` and `version`: its content. */
export function recipeHash(recipe: Recipe): string {
  const { name: _name, version: _version, ...content } = recipe;
  return hex(sha256(utf8.encode(canonicalJson(content))));
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9 _.+-]{0,127}$/;

/** Checks a store name: letters, digits, space, `_ . + -`, at most 128 characters, no `@`. */
export function checkRecipeName(name: string): string {
  if (typeof name !== 'string' || !NAME_RE.test(name) || name !== name.trim())
    throw new FeatureError(
      'bad-recipe',
      `recipe name ${JSON.stringify(name)} is not allowed: use letters, digits, spaces and _ . + - ` +
        '(at most 128 characters, starting with a letter or digit; no @)',
    );
  return name;
}

/** `NAME` or `NAME@VERSION` (`churn@2`): the name and the version when given. */
export function parseRecipeRef(ref: string): { name: string; version?: number } {
  const at = ref.lastIndexOf('@');
  if (at < 0) return { name: checkRecipeName(ref) };
  const name = checkRecipeName(ref.slice(0, at));
  const v = ref.slice(at + 1);
  if (!/^[1-9][0-9]*$/.test(v))
    throw new FeatureError(
      'bad-recipe',
      `'${ref}': the version after @ must be a whole number ≥ 1 (e.g. ${name}@2)`,
    );
  return { name, version: Number(v) };
}

/** The recipe as stored under `name`, version `version` (parsed first: a bad recipe is refused). */
export function storedRecipe(name: string, version: number, recipe: Recipe, createdAt: number): StoredRecipe {
  const parsed = parseRecipe(recipe, `recipe '${name}'`);
  return {
    name,
    version,
    hash: recipeHash(parsed),
    recipe: { ...parsed, name, version },
    createdAt,
  };
}

/**
 * The next version for `recipe` among a name's versions: the one with its hash, else one above every
 * version the name ever had (`highest`, kept by the store: a deleted version's number is never given
 * to other content, since bundles and runs name recipes by it).
 */
export function nextVersion(
  versions: readonly StoredRecipe[],
  recipe: Recipe,
  highest = 0,
): { existing?: StoredRecipe; version: number; hash: string } {
  const hash = recipeHash(recipe);
  const existing = versions.find((v) => v.hash === hash);
  const max = versions.reduce((m, v) => Math.max(m, v.version), highest);
  return { existing, version: existing?.version ?? max + 1, hash };
}

/** The string key of a materialized table: `name@version:` + SHA-256 of its sorted inputs. */
export function featureTableKey(key: FeatureTableKey): string {
  return `${key.recipeName}@${key.recipeVersion}:${hex(sha256(utf8.encode(canonicalJson(key.inputs))))}`;
}

/** The key of `stored` computed on `tables` (every table the recipe reads, the target included). */
export function tableKeyFor(stored: StoredRecipe, tables: Tables): FeatureTableKey {
  const inputs: Record<string, string> = {};
  for (const name of [stored.recipe.target, ...recipeTables(stored.recipe)].sort()) {
    const t = Object.prototype.hasOwnProperty.call(tables, name) ? tables[name] : undefined;
    if (!t)
      throw new FeatureError(
        'missing-table',
        `recipe '${stored.name}' v${stored.version} needs table '${name}', which was not given`,
      );
    inputs[name] = tableFingerprint(t);
  }
  return { recipeName: stored.name, recipeVersion: stored.version, inputs };
}

/** The record of a table about to be kept. */
export function featureTableRecord(
  stored: StoredRecipe,
  key: FeatureTableKey,
  table: Table,
  warnings: readonly string[],
  createdAt: number,
): FeatureTableRecord {
  const wanted = stored.recipe.features.map((f) => f.name);
  const got = table.columns.map((c) => c.name);
  if (wanted.length !== got.length || wanted.some((n, i) => n !== got[i]))
    throw new FeatureError(
      'bad-recipe',
      `the table kept for recipe '${stored.name}' v${stored.version} must have its features as columns ` +
        `(${wanted.join(', ')}), got ${got.join(', ') || 'none'}`,
    );
  return {
    key: featureTableKey(key),
    recipeName: key.recipeName,
    recipeVersion: key.recipeVersion,
    inputs: { ...key.inputs },
    recipeHash: stored.hash,
    rows: table.nRows,
    columns: got,
    warnings: [...warnings],
    createdAt,
  };
}

/** The error for a table whose recipe version is not in the store. */
export function unknownVersion(name: string, version: number): FeatureError {
  return new FeatureError('bad-recipe', `recipe '${name}' has no version ${version} in the feature store`);
}

/** The error for a ref the store does not hold, naming what it does hold. */
export async function resolveRecipe(store: FeatureStore, ref: string): Promise<StoredRecipe> {
  const { name, version } = parseRecipeRef(ref);
  const found = await store.getRecipe(name, version);
  if (found) return found;
  const versions = await store.listVersions(name);
  if (versions.length)
    throw new FeatureError(
      'bad-recipe',
      `recipe '${name}' has no version ${version} in the feature store (versions: ${versions.map((v) => v.version).join(', ')})`,
    );
  const names = (await store.listRecipes()).map((r) => r.name);
  throw new FeatureError(
    'bad-recipe',
    `no recipe named '${name}' in the feature store` +
      (names.length ? ` (recipes: ${names.join(', ')})` : ' (it holds none: save one with features save)'),
  );
}

/**
 * The features of a stored recipe on `tables`: the kept table when one was computed from the same
 * recipe version and tables (`reused`), else built (`buildFeatures`) and kept.
 */
export async function materialize(
  store: FeatureStore,
  stored: StoredRecipe,
  tables: Tables,
): Promise<{
  features: Table;
  record: FeatureTableRecord;
  reused: boolean;
  warnings: readonly string[];
  /** The build, when the table was computed now. */
  build?: BuildResult;
}> {
  const key = tableKeyFor(stored, tables);
  const kept = await store.getTable(key);
  if (kept)
    return { features: kept.table, record: kept.record, reused: true, warnings: kept.record.warnings };
  const build = buildFeatures(stored.recipe, tables);
  const record = await store.putTable(key, build.features, build.warnings);
  return { features: build.features, record, reused: false, warnings: build.warnings, build };
}

// ---------------------------------------------------------------- a table as bytes (SQLite)

const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function bytesOf(a: Float64Array | Int32Array | Uint8Array): Uint8Array {
  if (a instanceof Uint8Array) return a;
  if (LE) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const out = new Uint8Array(a.byteLength);
  const view = new DataView(out.buffer);
  if (a instanceof Float64Array) a.forEach((v, i) => view.setFloat64(i * 8, v, true));
  else a.forEach((v, i) => view.setInt32(i * 4, v, true));
  return out;
}

type ColumnHead =
  | { name: string; type: Column['type']; storage: 'float64' }
  | { name: string; type: Column['type']; storage: 'datetime'; format: string }
  | { name: string; type: Column['type']; storage: 'bool'; labels?: readonly [string, string] }
  | { name: string; type: Column['type']; storage: 'dict'; dictionary: readonly string[] };

/**
 * A table as bytes, bit-exact (NaN payloads included): a 4-byte length, a JSON head (rows, each
 * column's name, type, storage, dictionary, format, labels), then each column's values
 * little-endian, 8-byte aligned.
 */
export function encodeTable(table: Table): Uint8Array {
  const heads: ColumnHead[] = table.columns.map((c) => {
    switch (c.storage) {
      case 'float64':
        return { name: c.name, type: c.type, storage: c.storage };
      case 'datetime':
        return { name: c.name, type: c.type, storage: c.storage, format: c.format };
      case 'bool':
        return { name: c.name, type: c.type, storage: c.storage, ...(c.labels ? { labels: c.labels } : {}) };
      case 'dict':
        return { name: c.name, type: c.type, storage: c.storage, dictionary: c.dictionary };
    }
  });
  const head = utf8.encode(JSON.stringify({ rows: table.nRows, columns: heads }));
  const pad = (n: number) => (8 - (n % 8)) % 8;
  const parts: Uint8Array[] = table.columns.map((c) =>
    bytesOf(c.storage === 'dict' ? c.codes.subarray(0, table.nRows) : c.values.subarray(0, table.nRows)),
  );
  let size = 4 + head.length + pad(4 + head.length);
  for (const p of parts) size += p.length + pad(p.length);
  const out = new Uint8Array(size);
  new DataView(out.buffer).setUint32(0, head.length, true);
  out.set(head, 4);
  let at = 4 + head.length + pad(4 + head.length);
  for (const p of parts) {
    out.set(p, at);
    at += p.length + pad(p.length);
  }
  return out;
}

/** The table {@link encodeTable} wrote; a damaged buffer is a clear error. */
export function decodeTable(bytes: Uint8Array, where = 'feature table'): Table {
  const bad = (why: string) => new FeatureError('bad-recipe', `${where} is damaged: ${why}`);
  if (bytes.length < 4) throw bad('too short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headLen = view.getUint32(0, true);
  if (4 + headLen > bytes.length) throw bad('its head is cut');
  let head: { rows: number; columns: ColumnHead[] };
  try {
    head = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + headLen)));
  } catch {
    throw bad('its head is not JSON');
  }
  const n = head.rows;
  const pad = (k: number) => (8 - (k % 8)) % 8;
  let at = 4 + headLen + pad(4 + headLen);
  const take = (len: number): DataView => {
    if (at + len > bytes.length) throw bad('its columns are cut');
    const v = new DataView(bytes.buffer, bytes.byteOffset + at, len);
    at += len + pad(len);
    return v;
  };
  const columns: Column[] = head.columns.map((h) => {
    if (h.storage === 'bool') {
      const v = take(n);
      const values = new Uint8Array(n);
      for (let i = 0; i < n; i++) values[i] = v.getUint8(i);
      return {
        name: h.name,
        type: h.type,
        storage: 'bool',
        values,
        ...(h.labels ? { labels: h.labels } : {}),
      };
    }
    if (h.storage === 'dict') {
      const v = take(n * 4);
      const codes = new Int32Array(n);
      for (let i = 0; i < n; i++) codes[i] = v.getInt32(i * 4, true);
      return { name: h.name, type: h.type, storage: 'dict', codes, dictionary: h.dictionary };
    }
    const v = take(n * 8);
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = v.getFloat64(i * 8, true);
    return h.storage === 'datetime'
      ? { name: h.name, type: h.type, storage: 'datetime', values, format: h.format }
      : { name: h.name, type: h.type, storage: 'float64', values };
  });
  return { nRows: n, columns };
}

// ---------------------------------------------------------------- in memory

/** A feature store in memory (tests, and a page without IndexedDB). Copies in and out. */
export class MemoryFeatureStore implements FeatureStore {
  private readonly recipes = new Map<string, StoredRecipe[]>();
  /** The highest version each name ever had (versions are never reused after a delete). */
  private readonly highest = new Map<string, number>();
  private readonly tables = new Map<string, { record: FeatureTableRecord; bytes: Uint8Array }>();
  constructor(private readonly now: () => number = Date.now) {}

  async saveRecipe(name: string, recipe: Recipe): Promise<{ stored: StoredRecipe; created: boolean }> {
    checkRecipeName(name);
    const versions = this.recipes.get(name) ?? [];
    const parsed = parseRecipe(recipe, `recipe '${name}'`);
    const next = nextVersion(versions, parsed, this.highest.get(name));
    if (next.existing) return { stored: next.existing, created: false };
    const stored = storedRecipe(name, next.version, parsed, this.now());
    this.recipes.set(name, [...versions, stored]);
    this.highest.set(name, next.version);
    return { stored, created: true };
  }
  async getRecipe(name: string, version?: number): Promise<StoredRecipe | undefined> {
    const vs = this.recipes.get(name) ?? [];
    return version === undefined ? vs[vs.length - 1] : vs.find((v) => v.version === version);
  }
  async listVersions(name: string): Promise<readonly StoredRecipe[]> {
    return [...(this.recipes.get(name) ?? [])];
  }
  async listRecipes(): Promise<readonly StoredRecipeSummary[]> {
    return [...this.recipes.keys()].sort().map((name) => {
      const tables: Record<number, number> = {};
      for (const { record } of this.tables.values())
        if (record.recipeName === name)
          tables[record.recipeVersion] = (tables[record.recipeVersion] ?? 0) + 1;
      return { name, versions: [...this.recipes.get(name)!], tables };
    });
  }
  async putTable(
    key: FeatureTableKey,
    table: Table,
    warnings: readonly string[] = [],
  ): Promise<FeatureTableRecord> {
    const stored = await this.getRecipe(key.recipeName, key.recipeVersion);
    if (!stored) throw unknownVersion(key.recipeName, key.recipeVersion);
    const record = featureTableRecord(stored, key, table, warnings, this.now());
    this.tables.set(record.key, { record, bytes: encodeTable(table) });
    return record;
  }
  async getTable(key: FeatureTableKey): Promise<StoredFeatureTable | undefined> {
    const kept = this.tables.get(featureTableKey(key));
    return kept && { record: kept.record, table: decodeTable(kept.bytes) };
  }
  async listTables(name?: string, version?: number): Promise<readonly FeatureTableRecord[]> {
    return [...this.tables.values()]
      .map((t) => t.record)
      .filter(
        (r) =>
          (name === undefined || r.recipeName === name) &&
          (version === undefined || r.recipeVersion === version),
      )
      .sort((a, b) => a.createdAt - b.createdAt || (a.key < b.key ? -1 : 1));
  }
  async deleteTable(key: FeatureTableKey): Promise<boolean> {
    return this.tables.delete(featureTableKey(key));
  }
  async deleteRecipe(name: string, version?: number): Promise<number> {
    const vs = this.recipes.get(name) ?? [];
    const gone = vs.filter((v) => version === undefined || v.version === version);
    const kept = vs.filter((v) => !gone.includes(v));
    if (kept.length) this.recipes.set(name, kept);
    else this.recipes.delete(name);
    for (const [k, t] of this.tables)
      if (t.record.recipeName === name && gone.some((v) => v.version === t.record.recipeVersion))
        this.tables.delete(k);
    return gone.length;
  }
}
