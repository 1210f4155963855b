/** The Models screen's data: registered models, and the selected model's versions with lineage. */
import type { TrackingStore } from '../../core/tracking/store.ts';
import type {
  DatasetRecord,
  ExperimentRecord,
  ModelVersionRecord,
  RegisteredModelRecord,
  RunRecord,
} from '../../core/tracking/types.ts';
import { storeErrorMessage } from './tracking-service.svelte.ts';

export interface VersionLineage {
  readonly version: ModelVersionRecord;
  readonly run: RunRecord | null;
  readonly experiment: ExperimentRecord | null;
  readonly dataset: DatasetRecord | null;
  /** Aliases pointing at this version. */
  readonly aliases: readonly string[];
}

export class ModelsState {
  models = $state.raw<readonly RegisteredModelRecord[]>([]);
  selected = $state<string | null>(null);
  versions = $state.raw<readonly VersionLineage[]>([]);
  loading = $state(true);
  error = $state<string | null>(null);
  #gen = 0;

  readonly current = $derived.by(() => this.models.find((m) => m.name === this.selected) ?? null);

  constructor(readonly store: TrackingStore) {}

  async load(): Promise<void> {
    const gen = ++this.#gen;
    try {
      const models = await this.store.listRegisteredModels();
      if (gen !== this.#gen) return;
      this.models = models;
      if (this.selected === null || !models.some((m) => m.name === this.selected))
        this.selected = models[0]?.name ?? null;
      await this.#loadVersions(gen);
      this.error = null;
    } catch (e) {
      if (gen === this.#gen) this.error = `Could not read the registered models: ${storeErrorMessage(e)}`;
    } finally {
      if (gen === this.#gen) this.loading = false;
    }
  }

  select(name: string): void {
    if (this.selected === name) return;
    this.selected = name;
    this.versions = [];
    void this.load();
  }

  async #loadVersions(gen: number): Promise<void> {
    const name = this.selected;
    const model = this.models.find((m) => m.name === name);
    if (!name || !model) {
      this.versions = [];
      return;
    }
    const versions = await this.store.listModelVersions(name);
    const lineage = await Promise.all(
      versions.map(async (v): Promise<VersionLineage> => {
        const [run, experiment, dataset] = await Promise.all([
          this.store.getRun(v.sourceRunId),
          this.store.getExperiment(v.experimentId),
          v.datasetFingerprint ? this.store.getDataset(v.datasetFingerprint) : Promise.resolve(undefined),
        ]);
        const aliases = Object.entries(model.aliases)
          .filter(([, n]) => n === v.version)
          .map(([a]) => a)
          .sort();
        return {
          version: v,
          run: run ?? null,
          experiment: experiment ?? null,
          dataset: dataset ?? null,
          aliases,
        };
      }),
    );
    if (gen === this.#gen) this.versions = lineage.reverse(); // newest first
  }
}

/** "a=1, b=x" ⇄ tags. Keys and values are trimmed; empty keys are dropped. */
export function parseTags(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(/[,\n]/)) {
    const i = part.indexOf('=');
    const k = (i < 0 ? part : part.slice(0, i)).trim();
    if (!k) continue;
    out[k] = i < 0 ? '' : part.slice(i + 1).trim();
  }
  return out;
}

export function formatTags(tags: Readonly<Record<string, string>>): string {
  return Object.entries(tags)
    .map(([k, v]) => (v === '' ? k : `${k}=${v}`))
    .join(', ');
}

/** A tag the one-line "a=1, b=x" text can carry and give back unchanged (no separator in it). */
const fitsText = (k: string, v: string) =>
  k.trim() === k && v.trim() === v && k !== '' && !/[,\n=]/.test(k) && !/[,\n]/.test(v);

/**
 * The tags the edit form offers, and those it keeps as they are: a value with a comma or a line
 * break (the JSON lineage a retrain records, say) would be cut apart by the text and saved broken.
 */
export function splitEditableTags(tags: Readonly<Record<string, string>>): {
  editable: Record<string, string>;
  kept: string[];
} {
  const editable: Record<string, string> = {};
  const kept: string[] = [];
  for (const [k, v] of Object.entries(tags)) {
    if (fitsText(k, v)) editable[k] = v;
    else kept.push(k);
  }
  return { editable, kept };
}

/** The tag that lists the files a retrained version learned from (JSON), as the person reads it. */
export const LINEAGE_TAG = 'retrain.lineage';

function lineageValue(v: string): string | null {
  try {
    const l = JSON.parse(v) as unknown;
    if (!Array.isArray(l) || !l.length) return null;
    const parts = l.map((e: { name?: unknown; rows?: unknown; role?: unknown }) => {
      if (typeof e?.name !== 'string') throw new Error('not a lineage entry');
      const rows = typeof e.rows === 'number' ? `, ${e.rows.toLocaleString('en-US')} rows` : '';
      return `${e.name} (${e.role === 'batch' ? 'batch' : 'training'}${rows})`;
    });
    return `trained on ${parts.join(' + ')}`;
  } catch {
    return null;
  }
}

/** Tags for display: like `formatTags`, with the retrain lineage written out rather than as JSON. */
export function displayTags(tags: Readonly<Record<string, string>>): string {
  return Object.entries(tags)
    .map(([k, v]) => {
      if (k === LINEAGE_TAG) {
        const text = lineageValue(v);
        if (text !== null) return text;
      }
      return v === '' ? k : `${k}=${v}`;
    })
    .join(', ');
}

/** The tag changes (null = remove) that turn `before` into `after`. */
export function tagChanges(
  before: Readonly<Record<string, string>>,
  after: Readonly<Record<string, string>>,
): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const k of Object.keys(before)) if (!Object.hasOwn(after, k)) out[k] = null;
  for (const [k, v] of Object.entries(after)) if (before[k] !== v) out[k] = v;
  return out;
}
