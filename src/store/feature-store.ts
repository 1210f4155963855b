/**
 * The feature store (src/core/features/store.ts) in IndexedDB: tables `featureRecipes`,
 * `featureTables` and `featureTableData` of the tracking database (`automl-studio-tracking`, schema
 * v4, `schema.ts`), beside the experiments and models that use the recipes. A materialized table's
 * columns are kept as bytes (`encodeTable`) apart from its record, so listing never loads them.
 * Saving a recipe is one read-write transaction (two tabs saving the same content get one version).
 * Works in a page, a worker, and in Node over fake-indexeddb.
 */
import type { Table as DexieTable } from 'dexie';
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
import { CURRENT_SCHEMA_VERSION } from './schema.ts';
import { DEFAULT_DB_NAME, TrackingDb } from './dexie.ts';

interface TableDataRow {
  readonly key: string;
  readonly bytes: Uint8Array;
}

export interface DexieFeatureStoreOptions {
  /** Database name (default: the tracking database, 'automl-studio-tracking'). */
  readonly name?: string;
  readonly indexedDB?: IDBFactory;
  readonly IDBKeyRange?: typeof IDBKeyRange;
  readonly now?: () => number;
}

export class DexieFeatureStore implements FeatureStore {
  private readonly now: () => number;
  private constructor(
    readonly db: TrackingDb,
    options: DexieFeatureStoreOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Opens (creating or upgrading to schema v4) the tracking database's feature tables. */
  static async open(options: DexieFeatureStoreOptions = {}): Promise<DexieFeatureStore> {
    const db = new TrackingDb(options.name ?? DEFAULT_DB_NAME, options);
    try {
      await db.open();
    } catch (e) {
      db.close();
      throw new StoreError(
        'STORAGE',
        `cannot open the feature store: ${(e as Error).message ?? String(e)}` +
          ((e as { name?: string }).name === 'VersionError'
            ? ` (written by a newer version of AutoML Studio; this version reads schema ${CURRENT_SCHEMA_VERSION}: reload the page)`
            : ''),
        { cause: e },
      );
    }
    return new DexieFeatureStore(db, options);
  }

  private get recipes(): DexieTable<StoredRecipe, [string, number]> {
    return this.db.table('featureRecipes');
  }
  private get records(): DexieTable<FeatureTableRecord, string> {
    return this.db.table('featureTables');
  }
  private get data(): DexieTable<TableDataRow, string> {
    return this.db.table('featureTableData');
  }
  private get names(): DexieTable<{ name: string; highest: number }, string> {
    return this.db.table('featureRecipeNames');
  }

  private versionsOf(name: string): Promise<StoredRecipe[]> {
    return this.recipes.where('name').equals(name).sortBy('version');
  }

  async saveRecipe(name: string, recipe: Recipe): Promise<{ stored: StoredRecipe; created: boolean }> {
    checkRecipeName(name);
    const parsed = parseRecipe(recipe, `recipe '${name}'`);
    return this.db.transaction('rw', this.recipes, this.names, async () => {
      const next = nextVersion(await this.versionsOf(name), parsed, (await this.names.get(name))?.highest);
      if (next.existing) return { stored: next.existing, created: false };
      const stored = storedRecipe(name, next.version, parsed, this.now());
      await this.recipes.add(stored);
      await this.names.put({ name, highest: next.version });
      return { stored, created: true };
    });
  }

  async getRecipe(name: string, version?: number): Promise<StoredRecipe | undefined> {
    if (version !== undefined) return this.recipes.get([name, version]);
    const vs = await this.versionsOf(name);
    return vs[vs.length - 1];
  }

  async listVersions(name: string): Promise<readonly StoredRecipe[]> {
    return this.versionsOf(name);
  }

  async listRecipes(): Promise<readonly StoredRecipeSummary[]> {
    return this.db.transaction('r', this.recipes, this.records, async () => {
      const all = await this.recipes.toArray(); // primary key order: name, then version
      const records = await this.records.toArray();
      const out: StoredRecipeSummary[] = [];
      for (const r of all) {
        let last = out[out.length - 1];
        if (!last || last.name !== r.name) out.push((last = { name: r.name, versions: [], tables: {} }));
        (last.versions as StoredRecipe[]).push(r);
      }
      for (const s of out)
        for (const t of records)
          if (t.recipeName === s.name)
            (s.tables as Record<number, number>)[t.recipeVersion] = (s.tables[t.recipeVersion] ?? 0) + 1;
      return out;
    });
  }

  async putTable(
    key: FeatureTableKey,
    table: Table,
    warnings: readonly string[] = [],
  ): Promise<FeatureTableRecord> {
    const bytes = encodeTable(table);
    return this.db.transaction('rw', this.recipes, this.records, this.data, async () => {
      const stored = await this.recipes.get([key.recipeName, key.recipeVersion]);
      if (!stored) throw unknownVersion(key.recipeName, key.recipeVersion);
      const record = featureTableRecord(stored, key, table, warnings, this.now());
      await this.records.put(record);
      await this.data.put({ key: record.key, bytes });
      return record;
    });
  }

  async getTable(key: FeatureTableKey): Promise<StoredFeatureTable | undefined> {
    const k = featureTableKey(key);
    return this.db.transaction('r', this.records, this.data, async () => {
      const record = await this.records.get(k);
      const row = record && (await this.data.get(k));
      return record && row ? { record, table: decodeTable(row.bytes, `feature table ${k}`) } : undefined;
    });
  }

  async listTables(name?: string, version?: number): Promise<readonly FeatureTableRecord[]> {
    const rows =
      name === undefined
        ? await this.records.toArray()
        : version === undefined
          ? await this.records.where('recipeName').equals(name).toArray()
          : await this.records.where('[recipeName+recipeVersion]').equals([name, version]).toArray();
    return rows.sort((a, b) => a.createdAt - b.createdAt || (a.key < b.key ? -1 : 1));
  }

  async deleteTable(key: FeatureTableKey): Promise<boolean> {
    const k = featureTableKey(key);
    return this.db.transaction('rw', this.records, this.data, async () => {
      const had = (await this.records.get(k)) !== undefined;
      await this.records.delete(k);
      await this.data.delete(k);
      return had;
    });
  }

  async deleteRecipe(name: string, version?: number): Promise<number> {
    return this.db.transaction('rw', this.recipes, this.records, this.data, async () => {
      const gone = (await this.versionsOf(name)).filter(
        (v) => version === undefined || v.version === version,
      );
      for (const v of gone) {
        const keys = (
          await this.records.where('[recipeName+recipeVersion]').equals([name, v.version]).toArray()
        ).map((r) => r.key);
        await this.records.bulkDelete(keys);
        await this.data.bulkDelete(keys);
        await this.recipes.delete([name, v.version]);
      }
      return gone.length;
    });
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
