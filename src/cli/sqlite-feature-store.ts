/**
 * The feature store (src/core/features/store.ts) in the CLI's tracking database (`.automl/tracking.db`,
 * `--store`, env AUTOML_STORE; see sqlite-store.ts): tables `feature_recipes` (one row per recipe
 * version) and `feature_tables` (a materialized table's record and its columns as bytes,
 * `encodeTable`), created on first open beside the tracking tables (`meta` key
 * `feature_store_schema` = 1; the tracking schema number is untouched, so an older CLI still opens
 * the file). Each write is one `BEGIN IMMEDIATE` transaction: two processes saving the same recipe at
 * once get one version.
 */
import Database from 'better-sqlite3';
import type { Table } from '../core/data/table.ts';
import { parseRecipe } from '../core/features/build.ts';
import {
  checkRecipeName,
  decodeTable,
  encodeTable,
  featureTableKey,
  featureTableRecord,
  nextVersion,
  storedRecipe,
  unknownVersion,
  type FeatureStore,
  type FeatureTableKey,
  type FeatureTableRecord,
  type StoredFeatureTable,
  type StoredRecipe,
  type StoredRecipeSummary,
} from '../core/features/store.ts';
import type { Recipe } from '../core/features/types.ts';
import { StoreError } from '../core/tracking/errors.ts';
import { openSqliteDatabase } from './sqlite-store.ts';

export const FEATURE_STORE_SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS feature_recipes (
  name TEXT NOT NULL, version INTEGER NOT NULL, hash TEXT NOT NULL, created_at INTEGER NOT NULL,
  json TEXT NOT NULL, PRIMARY KEY (name, version));
CREATE INDEX IF NOT EXISTS feature_recipes_by_hash ON feature_recipes (name, hash);
CREATE TABLE IF NOT EXISTS feature_tables (
  key TEXT PRIMARY KEY, recipe_name TEXT NOT NULL, recipe_version INTEGER NOT NULL,
  created_at INTEGER NOT NULL, json TEXT NOT NULL, bytes BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS feature_tables_by_recipe ON feature_tables (recipe_name, recipe_version);
CREATE TABLE IF NOT EXISTS feature_recipe_names (name TEXT PRIMARY KEY, highest INTEGER NOT NULL);
`;

type JsonRow = { json: string };

export class SqliteFeatureStore implements FeatureStore {
  private readonly db: Database.Database;
  private readonly now: () => number;

  private constructor(
    readonly path: string,
    options: { busyTimeoutMs?: number; now?: () => number },
  ) {
    this.now = options.now ?? Date.now;
    this.db = openSqliteDatabase(path, 'the feature store in', options.busyTimeoutMs, (db) => {
      db.exec(SCHEMA);
      const found = db.prepare(`SELECT value FROM meta WHERE key = 'feature_store_schema'`).get() as
        { value: string } | undefined;
      if (found && Number(found.value) > FEATURE_STORE_SCHEMA_VERSION)
        throw new StoreError(
          'STORAGE',
          `${path}: its feature store was written by a newer version of AutoML Studio (schema ${found.value}; ` +
            `this version reads ${FEATURE_STORE_SCHEMA_VERSION}). Update the CLI. Nothing was changed.`,
        );
      if (!found)
        db.prepare(`INSERT INTO meta (key, value) VALUES ('feature_store_schema', ?)`).run(
          String(FEATURE_STORE_SCHEMA_VERSION),
        );
    });
  }

  /** Opens (creating the tables when missing) the feature store in the database at `path`. */
  static open(
    path: string,
    options: { busyTimeoutMs?: number; now?: () => number } = {},
  ): SqliteFeatureStore {
    return new SqliteFeatureStore(path, options);
  }

  private tx<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const out = fn();
      this.db.exec('COMMIT');
      return out;
    } catch (e) {
      this.db.exec('ROLLBACK');
      throw e;
    }
  }

  private versionsOf(name: string): StoredRecipe[] {
    return (
      this.db
        .prepare('SELECT json FROM feature_recipes WHERE name = ? ORDER BY version')
        .all(name) as JsonRow[]
    ).map((r) => JSON.parse(r.json) as StoredRecipe);
  }

  async saveRecipe(name: string, recipe: Recipe): Promise<{ stored: StoredRecipe; created: boolean }> {
    checkRecipeName(name);
    const parsed = parseRecipe(recipe, `recipe '${name}'`);
    return this.tx(() => {
      const highest = this.db.prepare('SELECT highest FROM feature_recipe_names WHERE name = ?').get(name) as
        { highest: number } | undefined;
      const next = nextVersion(this.versionsOf(name), parsed, highest?.highest);
      if (next.existing) return { stored: next.existing, created: false };
      const stored = storedRecipe(name, next.version, parsed, this.now());
      this.db
        .prepare('INSERT INTO feature_recipes (name, version, hash, created_at, json) VALUES (?, ?, ?, ?, ?)')
        .run(name, stored.version, stored.hash, stored.createdAt, JSON.stringify(stored));
      this.db
        .prepare('INSERT OR REPLACE INTO feature_recipe_names (name, highest) VALUES (?, ?)')
        .run(name, stored.version);
      return { stored, created: true };
    });
  }

  async getRecipe(name: string, version?: number): Promise<StoredRecipe | undefined> {
    const row = (
      version === undefined
        ? this.db
            .prepare('SELECT json FROM feature_recipes WHERE name = ? ORDER BY version DESC LIMIT 1')
            .get(name)
        : this.db
            .prepare('SELECT json FROM feature_recipes WHERE name = ? AND version = ?')
            .get(name, version)
    ) as JsonRow | undefined;
    return row ? (JSON.parse(row.json) as StoredRecipe) : undefined;
  }

  async listVersions(name: string): Promise<readonly StoredRecipe[]> {
    return this.versionsOf(name);
  }

  async listRecipes(): Promise<readonly StoredRecipeSummary[]> {
    const all = (
      this.db.prepare('SELECT json FROM feature_recipes ORDER BY name, version').all() as JsonRow[]
    ).map((r) => JSON.parse(r.json) as StoredRecipe);
    const counts = this.db
      .prepare(
        'SELECT recipe_name AS name, recipe_version AS version, count(*) AS n FROM feature_tables GROUP BY recipe_name, recipe_version',
      )
      .all() as { name: string; version: number; n: number }[];
    const out: { name: string; versions: StoredRecipe[]; tables: Record<number, number> }[] = [];
    for (const r of all) {
      let last = out[out.length - 1];
      if (!last || last.name !== r.name) out.push((last = { name: r.name, versions: [], tables: {} }));
      last.versions.push(r);
    }
    for (const c of counts) {
      const s = out.find((o) => o.name === c.name);
      if (s) s.tables[c.version] = c.n;
    }
    return out;
  }

  async putTable(
    key: FeatureTableKey,
    table: Table,
    warnings: readonly string[] = [],
  ): Promise<FeatureTableRecord> {
    const bytes = encodeTable(table);
    return this.tx(() => {
      const row = this.db
        .prepare('SELECT json FROM feature_recipes WHERE name = ? AND version = ?')
        .get(key.recipeName, key.recipeVersion) as JsonRow | undefined;
      if (!row) throw unknownVersion(key.recipeName, key.recipeVersion);
      const record = featureTableRecord(
        JSON.parse(row.json) as StoredRecipe,
        key,
        table,
        warnings,
        this.now(),
      );
      this.db
        .prepare(
          'INSERT OR REPLACE INTO feature_tables (key, recipe_name, recipe_version, created_at, json, bytes) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(
          record.key,
          record.recipeName,
          record.recipeVersion,
          record.createdAt,
          JSON.stringify(record),
          Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        );
      return record;
    });
  }

  async getTable(key: FeatureTableKey): Promise<StoredFeatureTable | undefined> {
    const k = featureTableKey(key);
    const row = this.db.prepare('SELECT json, bytes FROM feature_tables WHERE key = ?').get(k) as
      { json: string; bytes: Buffer } | undefined;
    if (!row) return undefined;
    const bytes = new Uint8Array(row.bytes.buffer, row.bytes.byteOffset, row.bytes.byteLength);
    return {
      record: JSON.parse(row.json) as FeatureTableRecord,
      table: decodeTable(bytes, `feature table ${k} in ${this.path}`),
    };
  }

  async listTables(name?: string, version?: number): Promise<readonly FeatureTableRecord[]> {
    const rows = (
      name === undefined
        ? this.db.prepare('SELECT json FROM feature_tables ORDER BY created_at, key').all()
        : version === undefined
          ? this.db
              .prepare('SELECT json FROM feature_tables WHERE recipe_name = ? ORDER BY created_at, key')
              .all(name)
          : this.db
              .prepare(
                'SELECT json FROM feature_tables WHERE recipe_name = ? AND recipe_version = ? ORDER BY created_at, key',
              )
              .all(name, version)
    ) as JsonRow[];
    return rows.map((r) => JSON.parse(r.json) as FeatureTableRecord);
  }

  async deleteTable(key: FeatureTableKey): Promise<boolean> {
    return this.db.prepare('DELETE FROM feature_tables WHERE key = ?').run(featureTableKey(key)).changes > 0;
  }

  async deleteRecipe(name: string, version?: number): Promise<number> {
    return this.tx(() => {
      if (version === undefined) {
        this.db.prepare('DELETE FROM feature_tables WHERE recipe_name = ?').run(name);
        return this.db.prepare('DELETE FROM feature_recipes WHERE name = ?').run(name).changes;
      }
      this.db
        .prepare('DELETE FROM feature_tables WHERE recipe_name = ? AND recipe_version = ?')
        .run(name, version);
      return this.db.prepare('DELETE FROM feature_recipes WHERE name = ? AND version = ?').run(name, version)
        .changes;
    });
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
