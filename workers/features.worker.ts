/**
 * Features worker (issue 20): holds the tables of a multi-table project and runs the feature engine
 * (`src/core/features`) on them off the main thread — proposals, suggestions, previews, builds — and
 * keeps the tables and the project in IndexedDB beside the datasets (`src/store/datasets.ts`: tables as
 * hidden datasets, the project as a project record). A thin comlink adapter: no feature logic here.
 * The typed API is `FeaturesWorkerApi` in `./types.ts`.
 */
import { expose, transfer } from 'comlink';
import { cellText, columnByName, type Column, type Table } from '../src/core/data/table.ts';
import { formatDateAs } from '../src/core/data/date-text.ts';
import { describeError } from '../src/core/errors.ts';
import {
  associate,
  buildFeatures,
  FeatureError,
  proposeRelationships,
  proposeTimeIndex,
  suggestFeatures,
  tableCsvLines,
  withFeatures,
  recipeTables,
  type Recipe,
  type Tables,
} from '../src/core/features/index.ts';
import { ingestCsv } from '../src/core/ingest/index.ts';
import { IngestError } from '../src/core/ingest/types.ts';
import { DatasetStore, DatasetStoreError } from '../src/store/datasets.ts';
import { materialize, resolveRecipe } from '../src/core/features/store.ts';
import { DexieFeatureStore } from '../src/store/feature-store.ts';
import { sourceOf } from './source.ts';
import { MAX_KEPT_RAW_BYTES } from './tracking.ts';
import type {
  RecipeRun,
  FeatureCsv,
  FeatureProjectState,
  FeaturesWorkerApi,
  FeatureTableSummary,
  Preview,
  WorkerFailure,
  WorkerResult,
} from './types.ts';

/** The id of the one project kept in the store. */
const PROJECT_ID = 'features';
const PREVIEW_COLUMNS = 60;

interface Held {
  readonly table: Table;
  readonly summary: FeatureTableSummary;
  readonly sha256: string;
  storedId?: string;
}

/** What the store keeps for the project: the page's state and where each table is stored. */
interface KeptProject {
  readonly state: FeatureProjectState;
  readonly ids: Readonly<Record<string, string>>;
}

const held = new Map<string, Held>();
let storePromise: Promise<DatasetStore> | null = null;

function datasetStore(): Promise<DatasetStore> {
  if (!storePromise) {
    storePromise = DatasetStore.open();
    storePromise.catch(() => (storePromise = null));
  }
  return storePromise;
}

let featureStorePromise: Promise<DexieFeatureStore> | null = null;

/** The feature store (issue 20): in the tracking database, beside the experiments and models. */
function featureStore(): Promise<DexieFeatureStore> {
  if (!featureStorePromise) {
    featureStorePromise = DexieFeatureStore.open();
    featureStorePromise.catch(() => (featureStorePromise = null));
  }
  return featureStorePromise;
}

function failure(err: unknown, what: string): WorkerFailure {
  if (err instanceof IngestError) return { code: err.code, message: err.describe() };
  if (err instanceof FeatureError) return { code: 'features', message: err.message };
  if (err instanceof DatasetStoreError)
    return { code: 'io', message: `${what} could not be kept in the browser: ${err.message}` };
  return { code: 'internal', message: describeError(err, what).message };
}

async function attempt<T>(what: string, f: () => Promise<T> | T): Promise<WorkerResult<T>> {
  try {
    return { ok: true, value: await f() };
  } catch (err) {
    return { ok: false, error: failure(err, what) };
  }
}

function tables(): Tables {
  const out: Record<string, Table> = {};
  for (const [name, h] of held) out[name] = h.table;
  return out;
}

/** The name recipes use: the file's name without its extension (a file of the same name replaces it). */
function tableName(file: string): string {
  return file.replace(/\.[^.]*$/, '').trim() || 'table';
}

function summarize(name: string, file: string, table: Table, fixups: readonly string[]): FeatureTableSummary {
  const time = proposeTimeIndex(name, table);
  return {
    name,
    file,
    rows: table.nRows,
    columns: table.columns.map((c) => ({ name: c.name, type: c.type })),
    dateColumns: time.candidates,
    timeIndex: time.column,
    fixups,
  };
}

function needTable(name: string): Held {
  const h = held.get(name);
  if (!h) throw new FeatureError('missing-table', `no table named '${name}' in the project`);
  return h;
}

function cell(col: Column, i: number): string {
  return col.storage === 'datetime' ? formatDateAs(col.values[i], col.format) : cellText(col, i);
}

function previewOf(table: Table, rows: number): Preview {
  const n = Math.min(rows, table.nRows);
  const cols = table.columns.slice(0, PREVIEW_COLUMNS);
  return {
    names: cols.map((c) => c.name),
    columns: cols.map((c) => Array.from({ length: n }, (_, r) => cell(c, r))),
    rows: n,
    totalColumns: table.columns.length,
  };
}

function csvOf(name: string, table: Table): FeatureCsv {
  const text = [...tableCsvLines(table)].join('\n') + '\n';
  const bytes = new TextEncoder().encode(text).buffer as ArrayBuffer;
  return transfer({ name, bytes, rows: table.nRows, columns: table.columns.length }, [bytes]);
}

const api: FeaturesWorkerApi = {
  addTable(input) {
    const file = input instanceof Blob ? (input as File).name : input.name;
    return attempt(`reading ${file}`, async () => {
      const res = await ingestCsv(sourceOf(input));
      const name = tableName(file);
      const before = held.get(name);
      const summary = summarize(
        name,
        res.sourceName,
        res.table,
        res.fixups.map((f) => f.message),
      );
      // The file's bytes are kept too when small enough: a model trained on the target table's
      // features reads the target table again from them (workers/recipe-run.ts), and Verify needs them.
      const raw =
        input instanceof Blob
          ? input.size <= MAX_KEPT_RAW_BYTES
            ? await input.arrayBuffer()
            : undefined
          : input.bytes.byteLength <= MAX_KEPT_RAW_BYTES
            ? input.bytes.slice(0)
            : undefined;
      const h: Held = { table: res.table, summary, sha256: res.fingerprint.sha256 };
      held.set(name, h);
      if (before?.storedId) await (await datasetStore()).delete(before.storedId).catch(() => {});
      // Kept at once (hidden: not one of the datasets listed), so a reload finds the project's tables.
      try {
        const store = await datasetStore();
        const saved = await store.save({
          name: res.sourceName,
          key: JSON.stringify(['feature-table', name, res.fingerprint.sha256]),
          table: res.table,
          meta: summary,
          sourceBytes: res.fingerprint.bytes,
          ...(raw ? { raw } : {}),
          hidden: true,
        });
        h.storedId = saved.id;
      } catch {
        // storage unavailable: the project works for this page, and is not kept
      }
      return summary;
    });
  },

  removeTable(name) {
    return attempt(`removing ${name}`, async () => {
      const h = held.get(name);
      held.delete(name);
      if (h?.storedId) await (await datasetStore()).delete(h.storedId);
      return true as const;
    });
  },

  propose(target) {
    return attempt('proposing relationships', () =>
      proposeRelationships(tables(), target !== null ? { target } : {}),
    );
  },

  suggest(req) {
    return attempt('suggesting features', () => {
      needTable(req.target);
      const s = suggestFeatures(tables(), {
        target: req.target,
        relationships: req.relationships,
        ...(req.label !== undefined ? { label: req.label } : {}),
        ...(req.cutoff !== undefined ? { cutoff: req.cutoff } : {}),
        ...(req.maxFeatures !== undefined ? { maxFeatures: req.maxFeatures } : {}),
      });
      // The time indexes the user chose win over the proposed ones (tables the recipe aggregates only);
      // when one differs, the features are computed again with it and scored again by the engine.
      const timeIndex: Record<string, string> = {};
      let changed = false;
      for (const t of Object.keys(s.recipe.timeIndex)) {
        const chosen = req.timeIndex[t];
        const col = chosen === undefined ? s.recipe.timeIndex[t] : chosen;
        if (col) timeIndex[t] = col;
        if (col !== s.recipe.timeIndex[t]) changed = true;
      }
      const recipe = { ...s.recipe, timeIndex };
      if (!changed) return { recipe, features: s.features, candidates: s.candidates };
      const built = buildFeatures(recipe, tables());
      const label =
        req.label !== undefined ? columnByName(needTable(req.target).table, req.label) : undefined;
      const kinds = new Map(recipe.features.map((f) => [f.name, f.kind]));
      const features = built.features.columns
        .map((col) => {
          const a = associate(col, label);
          return {
            name: col.name,
            kind: kinds.get(col.name)!,
            method: a.method,
            association: a.value,
            missingShare: a.missingShare,
          };
        })
        .sort(
          (x, y) =>
            (Number.isNaN(y.association) ? -1 : y.association) -
            (Number.isNaN(x.association) ? -1 : x.association),
        );
      return { recipe, features, candidates: s.candidates };
    });
  },

  preview(recipe, rows) {
    return attempt('previewing the features', () => {
      const target = needTable(recipe.target).table;
      const res = buildFeatures(recipe, tables());
      const head = (t: Table): Table => ({
        nRows: Math.min(rows, t.nRows),
        columns: t.columns,
      });
      return {
        preview: previewOf(head(withFeatures(target, res.features)), rows),
        relationships: res.relationships.map((r) => r.text),
        missingCutoff: res.missingCutoff,
        warnings: res.warnings,
      };
    });
  },

  build(recipe: Recipe, name: string) {
    return attempt('building the features', () => {
      const target = needTable(recipe.target).table;
      const res = buildFeatures(recipe, tables());
      return csvOf(name, withFeatures(target, res.features));
    });
  },

  tableCsv(name) {
    return attempt(`writing ${name}`, () => {
      const h = needTable(name);
      return csvOf(h.summary.file, h.table);
    });
  },

  recipeRun(recipe) {
    return attempt('the project', () => {
      const stored = (name: string): string => {
        const id = needTable(name).storedId;
        if (!id)
          throw new FeatureError(
            'missing-table',
            `table '${name}' could not be kept in this browser's storage, so a model cannot be trained on its features here`,
          );
        return id;
      };
      const tables: Record<string, string> = {};
      for (const name of recipeTables(recipe)) tables[name] = stored(name);
      const run: RecipeRun = { recipe, target: { name: recipe.target, id: stored(recipe.target) }, tables };
      return run;
    });
  },

  storeRecipe(name, recipe) {
    return attempt('keeping the recipe', async () => (await featureStore()).saveRecipe(name, recipe));
  },

  storedRecipes() {
    return attempt('the feature store', async () => (await featureStore()).listRecipes());
  },

  buildStored(name, version, csvName) {
    return attempt('building the features', async () => {
      const store = await featureStore();
      const stored = await resolveRecipe(store, `${name}@${version}`);
      const target = needTable(stored.recipe.target).table;
      const m = await materialize(store, stored, tables());
      const csv = csvOf(csvName, withFeatures(target, m.features));
      const out = {
        csv,
        recipe: stored.recipe,
        reused: m.reused,
        computedAt: m.record.createdAt,
        warnings: m.warnings,
      };
      return transfer(out, [csv.bytes]);
    });
  },

  keptFiles(names) {
    return attempt('the kept tables', async () => {
      const store = await datasetStore();
      const out: Record<string, { name: string; bytes: ArrayBuffer }> = {};
      for (const name of names) {
        const id = held.get(name)?.storedId;
        if (!id)
          throw new FeatureError(
            'missing-table',
            `table '${name}' is not in the project kept in this browser (tables: ${[...held.keys()].join(', ') || 'none'})`,
          );
        const kept = await store.load(id);
        if (!kept.raw)
          throw new FeatureError(
            'missing-table',
            `table '${name}' was kept without its file (a file over 64 MiB, or a table added before files were kept): choose its CSV file`,
          );
        out[name] = { name: kept.info.name, bytes: kept.raw };
      }
      return transfer(
        out,
        Object.values(out).map((f) => f.bytes),
      );
    });
  },

  save(state) {
    return attempt('the project', async () => {
      const ids: Record<string, string> = {};
      for (const t of state.tables) {
        const id = held.get(t.name)?.storedId;
        if (id) ids[t.name] = id;
      }
      const kept: KeptProject = { state, ids };
      await (await datasetStore()).putProject(PROJECT_ID, kept);
      return true as const;
    });
  },

  restore() {
    return attempt('the kept project', async () => {
      const store = await datasetStore();
      const row = await store.getProject<KeptProject>(PROJECT_ID);
      if (!row) return null;
      const { state, ids } = row.value;
      const missing: string[] = [];
      for (const t of state.tables) {
        if (held.has(t.name)) continue;
        const id = ids[t.name];
        if (!id) {
          missing.push(t.name);
          continue;
        }
        try {
          const got = await store.load<FeatureTableSummary>(id);
          held.set(t.name, { table: got.table, summary: t, sha256: '', storedId: id });
        } catch {
          missing.push(t.name);
        }
      }
      if (!missing.length) return state;
      // A table that could not be reopened leaves the project (and its links) with it.
      const gone = new Set(missing);
      return {
        ...state,
        tables: state.tables.filter((t) => !gone.has(t.name)),
        links: state.links.filter((l) => !gone.has(l.child) && !gone.has(l.parent)),
        target: state.target !== null && gone.has(state.target) ? null : state.target,
      };
    });
  },

  clear() {
    return attempt('the project', async () => {
      const store = await datasetStore();
      for (const h of held.values()) if (h.storedId) await store.delete(h.storedId);
      held.clear();
      await store.deleteProject(PROJECT_ID);
      return true as const;
    });
  },
};

expose(api);
