/* eslint-disable svelte/prefer-svelte-reactivity -- Maps/Sets here are local temporaries, immutable values held in $state.raw (replaced, never mutated), or the non-reactive file handles. */
/**
 * State of feature engineering across tables on the Data screen (issue 20), Svelte 5 runes.
 *
 * Several CSVs make a project: each is read by the features worker (which keeps the tables and runs
 * the engine of src/core/features); one is the target table, loaded into the data worker as any
 * dropped file (profiled, target chosen, trained on). The engine proposes relationships, the user
 * confirms, removes or adds them and picks time indexes; suggested features are previewed, and "Use
 * these features" builds the target table with them and makes that the dataset (the data worker reads
 * it as a CSV, so profile, target and Train work on it as on a dropped file). The project (tables,
 * links, recipe) is kept in IndexedDB beside the datasets and reopened after a reload.
 */
import type { Cutoff, Recipe, Relationship } from '../../core/features/index.ts';
import { recipeTables } from '../../core/features/spec.ts';
import type { StoredRecipe, StoredRecipeSummary } from '../../core/features/store.ts';
import type {
  FeatureLink,
  FeaturePreviewResult,
  FeatureProjectState,
  FeatureSuggestResult,
  FeatureTableSummary,
  RecipeRun,
  WorkerResult,
} from '../../../workers/types.ts';
import type { DataStore } from './data-store.svelte.ts';
import { FeaturesClient } from './features-client.ts';
import { linkLabel, refuseLink, sameLink } from './features-text.ts';

export const PREVIEW_ROWS = 10;

/** A file that could not be read, with the reason (which file, row, column). */
export interface FileError {
  readonly file: string;
  readonly message: string;
}

const CUTOFF_WORDS = /cutoff|as_of|asof|prediction|snapshot/i;

export class FeaturesStore {
  readonly #client: FeaturesClient;
  readonly #data: DataStore;
  /** The dropped files by table name (gone after a reload: the tables come from storage then). */
  readonly #files = new Map<string, File>();
  #init: Promise<void> | null = null;

  tables = $state.raw<readonly FeatureTableSummary[]>([]);
  target = $state<string | null>(null);
  label = $state<string | null>(null);
  links = $state.raw<readonly FeatureLink[]>([]);
  refused = $state.raw<readonly { readonly reason: string; readonly text: string }[]>([]);
  timeIndex = $state.raw<Readonly<Record<string, string | null>>>({});
  cutoff = $state.raw<Cutoff | null>(null);
  /** The recipe in use (its feature table is the dataset) and that dataset's name. */
  recipe = $state.raw<Recipe | null>(null);
  builtName = $state<string | null>(null);

  /** The name the recipe is kept under in the feature store ('' = the default, `<target>-features`). */
  recipeName = $state('');
  /** The feature store's recipes (issue 20), by name. */
  stored = $state.raw<readonly StoredRecipeSummary[]>([]);
  /** What the feature store did on the last use: saved, already held, reused a kept table. */
  storeNote = $state<string | null>(null);

  fileErrors = $state.raw<readonly FileError[]>([]);
  /** A refusal or failure of the last action, in words. */
  message = $state<string | null>(null);
  busy = $state<string | null>(null);
  suggestion = $state.raw<FeatureSuggestResult | null>(null);
  /** Names of the suggested features kept (checked). */
  selected = $state.raw<ReadonlySet<string>>(new Set());
  preview = $state.raw<FeaturePreviewResult | null>(null);
  /** The selection changed since the preview was computed. */
  previewStale = $state(false);

  readonly active = $derived(this.tables.length > 0);
  readonly confirmed = $derived(this.links.filter((l) => l.confirmed));
  /** The name "Use these features" keeps the recipe under. */
  readonly saveName = $derived(
    this.recipeName.trim() || (this.target !== null ? `${this.target}${RECIPE_SUFFIX}` : ''),
  );
  /** Stored recipe versions that can be used on this project: same target table, every table present. */
  readonly usableStored = $derived.by((): readonly StoredRecipe[] => {
    const names = new Set(this.tables.map((t) => t.name));
    return this.stored.flatMap((s) =>
      s.versions.filter(
        (v) => v.recipe.target === this.target && recipeTables(v.recipe).every((t) => names.has(t)),
      ),
    );
  });

  constructor(data: DataStore, client: FeaturesClient = new FeaturesClient()) {
    this.#data = data;
    this.#client = client;
  }

  /** Once per page: reopen the kept project (its tables come from the browser's storage). */
  init(): Promise<void> {
    this.#init ??= this.#restore();
    return this.#init;
  }

  async #restore(): Promise<void> {
    const res = await this.#client.restore();
    if (!res.ok) {
      this.message = `The kept tables could not be reopened: ${res.error.message}`;
      return;
    }
    if (!res.value) {
      // Nothing kept: the worker was started only to look; it starts again on first use.
      if (!this.tables.length) this.#client.dispose();
      return;
    }
    if (this.tables.length) return;
    const s = res.value;
    this.tables = s.tables;
    this.target = s.target;
    this.label = s.label;
    this.links = s.links;
    this.refused = s.refused;
    this.timeIndex = s.timeIndex;
    this.cutoff = s.cutoff;
    this.recipe = s.recipe;
    this.builtName = s.builtName;
    if (this.recipe) this.#selectAll(this.recipe.features.map((f) => f.name));
    await this.refreshStored();
  }

  /** The feature store's recipes again (a failure leaves the list as it was, with the reason). */
  async refreshStored(): Promise<void> {
    const res = await this.#client.storedRecipes();
    if (res.ok) this.stored = res.value;
    else this.message = `The feature store could not be read: ${res.error.message}`;
  }

  state(): FeatureProjectState {
    return {
      tables: this.tables,
      target: this.target,
      label: this.label,
      links: this.links,
      refused: this.refused,
      timeIndex: this.timeIndex,
      cutoff: this.cutoff,
      recipe: this.recipe,
      builtName: this.builtName,
    };
  }

  async #save(): Promise<void> {
    const res = await this.#client.save($state.snapshot(this.state()) as FeatureProjectState);
    if (!res.ok) this.message = res.error.message;
  }

  /** Read several CSVs into the project; a bad one is reported (file, row, column) and the others kept. */
  async addFiles(files: readonly File[]): Promise<void> {
    this.message = null;
    await this.init(); // the kept project first: new files join it
    const errors: FileError[] = [];
    const added: FeatureTableSummary[] = [];
    for (const file of files) {
      this.busy = `Reading ${file.name}…`;
      const res = await this.#client.addTable(file);
      if (res.ok) {
        added.push(res.value);
        this.#files.set(res.value.name, file);
      } else errors.push({ file: file.name, message: res.error.message });
    }
    this.busy = null;
    this.fileErrors = errors;
    if (!added.length) return;
    // a file named as a table already there replaces it, in its place
    const byName = new Map(added.map((t) => [t.name, t]));
    const kept = this.tables.map((t) => byName.get(t.name) ?? t);
    this.tables = [...kept, ...added.filter((t) => !this.tables.some((x) => x.name === t.name))];
    const timeIndex = { ...this.timeIndex };
    for (const t of added) timeIndex[t.name] = t.timeIndex;
    this.timeIndex = timeIndex;
    this.#invalidate();
    if (this.target === null) await this.#chooseTarget();
    await this.propose();
    if (this.target !== null && added.some((t) => t.name === this.target)) await this.#openTarget();
    await this.refreshStored();
  }

  /** With no target yet: the table most linked to as a parent and least as a child (ties: the first). */
  async #chooseTarget(): Promise<void> {
    const res = await this.#client.propose(null);
    if (!res.ok) return;
    const score = (name: string): number =>
      res.value.relationships.filter((r) => r.parent === name).length -
      res.value.relationships.filter((r) => r.child === name).length;
    let best: string | null = null;
    for (const t of this.tables) if (best === null || score(t.name) > score(best)) best = t.name;
    this.target = best;
    this.#defaultCutoff();
  }

  #defaultCutoff(): void {
    const t = this.tables.find((x) => x.name === this.target);
    const col = t?.dateColumns.find((c) => CUTOFF_WORDS.test(c));
    this.cutoff = col ? { column: col } : null;
  }

  /** Ask the engine again; links the user added or confirmed are kept. */
  async propose(): Promise<void> {
    this.busy = 'Looking for relationships…';
    const res = await this.#client.propose(this.target);
    this.busy = null;
    if (!res.ok) {
      this.message = res.error.message;
      return;
    }
    const before = this.links;
    const names = new Set(this.tables.map((t) => t.name));
    const proposed: FeatureLink[] = res.value.relationships.map((r) => {
      const link: FeatureLink = {
        child: r.child,
        childColumn: r.childColumn,
        parent: r.parent,
        parentColumn: r.parentColumn,
        origin: 'proposed',
        confirmed: before.some((b) => b.confirmed && sameLink(b, r)),
        matchRate: r.matchRate,
        text: r.text,
      };
      return link;
    });
    const added = before.filter(
      (b) =>
        b.origin === 'added' &&
        names.has(b.child) &&
        names.has(b.parent) &&
        !proposed.some((p) => sameLink(p, b)),
    );
    this.links = [...proposed, ...added];
    this.refused = res.value.refused.map((r) => ({ reason: r.reason, text: r.text }));
    await this.#save();
  }

  async setTarget(name: string): Promise<void> {
    if (name === this.target) return;
    this.target = name;
    this.label = null;
    this.#defaultCutoff();
    this.#invalidate();
    await this.propose();
    await this.#openTarget();
  }

  /** Show a table's profile on the Data screen (the data worker reads it as any dropped file). */
  async openTable(name: string): Promise<void> {
    const file = this.#files.get(name);
    if (file) {
      await this.#data.loadFile(file);
      return;
    }
    this.busy = `Opening ${name}…`;
    const res = await this.#client.tableCsv(name);
    this.busy = null;
    if (!res.ok) {
      this.message = res.error.message;
      return;
    }
    await this.#data.loadFile(new File([res.value.bytes], res.value.name, { type: 'text/csv' }));
  }

  async #openTarget(): Promise<void> {
    if (this.target === null) return;
    await this.openTable(this.target);
    const t = this.#data.dataset;
    if (this.label === null && t && t.sourceName === this.tableOf(this.target)?.file)
      this.label = this.#data.target ?? null;
    await this.#save();
  }

  tableOf(name: string): FeatureTableSummary | undefined {
    return this.tables.find((t) => t.name === name);
  }

  async removeTable(name: string): Promise<void> {
    const res = await this.#client.removeTable(name);
    if (!res.ok) {
      this.message = res.error.message;
      return;
    }
    this.#files.delete(name);
    this.tables = this.tables.filter((t) => t.name !== name);
    this.links = this.links.filter((l) => l.child !== name && l.parent !== name);
    const ti = { ...this.timeIndex };
    delete ti[name];
    this.timeIndex = ti;
    this.#invalidate();
    if (this.target === name) {
      this.target = null;
      this.label = null;
      if (this.tables.length) await this.setTarget(this.tables[0].name);
    }
    await this.propose();
  }

  /** Forget every table of the project (the dataset on screen stays). */
  async clear(): Promise<void> {
    const res = await this.#client.clear();
    if (!res.ok) {
      this.message = res.error.message;
      return;
    }
    this.#files.clear();
    this.tables = [];
    this.target = null;
    this.label = null;
    this.links = [];
    this.refused = [];
    this.timeIndex = {};
    this.cutoff = null;
    this.recipe = null;
    this.builtName = null;
    this.fileErrors = [];
    this.message = null;
    this.#invalidate();
  }

  async confirm(link: Relationship): Promise<void> {
    this.links = this.links.map((l) => (sameLink(l, link) ? { ...l, confirmed: true } : l));
    this.#invalidate();
    await this.#save();
  }

  async removeLink(link: Relationship): Promise<void> {
    this.links = this.links.filter((l) => !sameLink(l, link));
    this.#invalidate();
    await this.#save();
  }

  /** Add a link by hand; refused (in words, in `message`) when it repeats one or closes a cycle. */
  async addLink(link: Relationship): Promise<boolean> {
    const why = refuseLink(this.links, link);
    if (why) {
      this.message = why;
      return false;
    }
    this.message = null;
    const l: FeatureLink = { ...link, origin: 'added', confirmed: true, matchRate: null, text: '' };
    this.links = [...this.links, { ...l, text: linkLabel(l) }];
    this.#invalidate();
    await this.#save();
    return true;
  }

  async setTimeIndex(table: string, column: string | null): Promise<void> {
    this.timeIndex = { ...this.timeIndex, [table]: column };
    this.#invalidate();
    await this.#save();
  }

  async setCutoff(cutoff: Cutoff | null): Promise<void> {
    this.cutoff = cutoff;
    this.#invalidate();
    await this.#save();
  }

  async setLabel(label: string | null): Promise<void> {
    this.label = label;
    this.#invalidate();
    await this.#save();
  }

  #invalidate(): void {
    this.suggestion = null;
    this.preview = null;
  }

  #selectAll(names: readonly string[]): void {
    this.selected = new Set(names);
  }

  /** The engine's suggestions over the confirmed links, then a preview of all of them. */
  async suggest(): Promise<void> {
    if (this.target === null) return;
    this.message = null;
    this.busy = 'Suggesting features…';
    const res = await this.#client.suggest({
      target: this.target,
      relationships: this.confirmed.map((l) => ({
        child: l.child,
        childColumn: l.childColumn,
        parent: l.parent,
        parentColumn: l.parentColumn,
      })),
      timeIndex: { ...this.timeIndex },
      ...(this.label !== null ? { label: this.label } : {}),
      ...(this.cutoff !== null ? { cutoff: { ...this.cutoff } } : {}),
    });
    this.busy = null;
    if (!res.ok) {
      this.message = res.error.message;
      return;
    }
    this.suggestion = res.value;
    this.#selectAll(res.value.features.map((f) => f.name));
    await this.refreshPreview();
  }

  toggle(name: string, on: boolean): void {
    const s = new Set(this.selected);
    if (on) s.add(name);
    else s.delete(name);
    this.selected = s;
    this.previewStale = true;
  }

  /** The suggested recipe with only the checked features. */
  chosenRecipe(): Recipe | null {
    const s = this.suggestion;
    if (!s) return null;
    return { ...s.recipe, features: s.recipe.features.filter((f) => this.selected.has(f.name)) };
  }

  async refreshPreview(): Promise<void> {
    const recipe = this.chosenRecipe();
    if (!recipe) return;
    this.busy = 'Computing the preview…';
    const res = await this.#client.preview($state.snapshot(recipe) as Recipe, PREVIEW_ROWS);
    this.busy = null;
    if (!res.ok) {
      this.message = res.error.message;
      return;
    }
    this.preview = res.value;
    this.previewStale = false;
  }

  /**
   * Keep the checked features as a recipe in the feature store (under `saveName`: the same content is
   * the same version), build the target table with them and make it the dataset to train on.
   */
  async use(): Promise<void> {
    const recipe = this.chosenRecipe();
    if (!recipe || this.target === null) return;
    this.message = null;
    this.storeNote = null;
    this.busy = 'Keeping the recipe…';
    const saved = await this.#client.storeRecipe(this.saveName, $state.snapshot(recipe) as Recipe);
    this.busy = null;
    if (!saved.ok) {
      this.message = saved.error.message;
      return;
    }
    const { stored, created } = saved.value;
    await this.useStored(
      stored.name,
      stored.version,
      created
        ? `Kept as recipe ${stored.name}@${stored.version} in the feature store.`
        : `Recipe ${stored.name}@${stored.version} in the feature store already holds these features.`,
    );
  }

  /**
   * Use a stored recipe version on the project's tables without suggesting again: its feature table
   * (the one kept for these tables, or computed and kept now) becomes the dataset to train on.
   */
  async useStored(name: string, version: number, note = ''): Promise<void> {
    if (this.target === null) return;
    const csvName = `${this.target}${FEATURES_SUFFIX}`;
    this.message = null;
    this.busy = 'Building the feature table…';
    const res = await this.#client.buildStored(name, version, csvName);
    this.busy = null;
    if (!res.ok) {
      this.message = res.error.message;
      return;
    }
    const { csv, recipe, reused, computedAt } = res.value;
    await this.#data.loadFile(new File([csv.bytes], csvName, { type: 'text/csv' }));
    if (this.#data.dataset?.sourceName !== csvName) return; // the load failed: its error is on screen
    const label = recipe.label ?? this.label;
    if (label !== null && this.#data.target !== label) await this.#data.setTarget(label);
    this.label = label;
    this.recipe = recipe;
    this.builtName = csvName;
    this.#selectAll(recipe.features.map((f) => f.name));
    this.storeNote =
      `${note ? `${note} ` : ''}` +
      (reused
        ? `Reused its feature table kept on ${new Date(computedAt).toISOString().slice(0, 19).replace('T', ' ')} UTC from the same tables.`
        : 'Its feature table was computed and kept with the tables’ fingerprints.');
    await this.#save();
    await this.refreshStored();
  }

  /**
   * Where the tables of the recipe in use are kept, when `datasetName` is its feature table: a run
   * started on that dataset trains on the target table and computes the features with the recipe
   * (workers/recipe-run.ts), so its bundle carries the recipe. Null for any other dataset.
   */
  async recipeRun(datasetName: string): Promise<WorkerResult<RecipeRun> | null> {
    await this.init();
    if (!this.recipe || this.builtName !== datasetName) return null;
    return this.#client.recipeRun($state.snapshot(this.recipe) as Recipe);
  }

  /** The project's tables as the files they were read from (kept in this browser), by name. */
  async keptFiles(names: readonly string[]): Promise<WorkerResult<Readonly<Record<string, File>>>> {
    await this.init();
    const res = await this.#client.keptFiles([...names]);
    if (!res.ok) return res;
    const out: Record<string, File> = {};
    for (const [t, f] of Object.entries(res.value))
      out[t] = new File([f.bytes], f.name, { type: 'text/csv' });
    return { ok: true, value: out };
  }

  dispose(): void {
    this.#client.dispose();
  }
}

/** The suffix of a recipe's feature table (`customers+features.csv`). */
export const FEATURES_SUFFIX = '+features.csv';
/** The suffix of a stored recipe's default name (`customers-features`, as suggest names it). */
export const RECIPE_SUFFIX = '-features';

/**
 * For a run about to start on `datasetName`: the recipe run when that dataset is the feature table of
 * the project's recipe (see FeaturesStore.recipeRun), else null — without starting the features
 * worker for a dataset that cannot be one.
 */
export async function recipeRunFor(
  data: DataStore,
  datasetName: string,
): Promise<WorkerResult<RecipeRun> | null> {
  if (!datasetName.endsWith(FEATURES_SUFFIX)) return null;
  return featuresStoreFor(data).recipeRun(datasetName);
}

const stores = new WeakMap<DataStore, FeaturesStore>();

/** The one features store of a page's data store (kept while the Data screen is left and reopened). */
export function featuresStoreFor(data: DataStore): FeaturesStore {
  let s = stores.get(data);
  if (!s) {
    s = new FeaturesStore(data);
    stores.set(data, s);
  }
  return s;
}
