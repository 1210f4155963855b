/* eslint-disable svelte/prefer-svelte-reactivity -- Maps/Sets here are local temporaries or immutable values held in $state.raw (replaced, never mutated). */
/**
 * The experiments list: each experiment with its dataset, target, run count and best value of its
 * primary metric. Every summary comes from indexed queries (a count and a one-row metric-ordered
 * page), so the list stays fast when an experiment holds 10,000 runs.
 */
import type { TrackingStore } from '../../core/tracking/store.ts';
import type { ExperimentRecord, RunRecord } from '../../core/tracking/types.ts';
import { higherIsBetter, primaryMetric } from './tracking-table.ts';
import { storeErrorMessage } from './tracking-service.svelte.ts';

export interface ExperimentSummary {
  readonly experiment: ExperimentRecord;
  readonly datasetName: string | null;
  readonly target: string | null;
  readonly runCount: number;
  readonly metric: string | null;
  readonly best: { readonly value: number; readonly run: RunRecord } | null;
}

export async function summarizeExperiment(
  store: TrackingStore,
  e: ExperimentRecord,
  datasetNames: ReadonlyMap<string, string>,
): Promise<ExperimentSummary> {
  const [runCount, newest] = await Promise.all([
    store.countRuns({ experimentId: e.id }),
    store.searchRuns({ experimentId: e.id, parentRunId: null, limit: 5 }),
  ]);
  const metric = primaryMetric(e.tags, newest.runs);
  let best: ExperimentSummary['best'] = null;
  if (metric) {
    const page = await store.searchRuns({
      experimentId: e.id,
      orderBy: { field: { kind: 'metric', key: metric }, direction: higherIsBetter(metric) ? 'desc' : 'asc' },
      limit: 1,
    });
    const r = page.runs[0];
    const v = r?.latestMetrics[metric]?.value;
    if (r && v !== undefined && !Number.isNaN(v)) best = { value: v, run: r };
  }
  const target = e.tags.target ?? newest.runs.find((r) => r.tags.target)?.tags.target ?? null;
  return {
    experiment: e,
    datasetName: e.datasetFingerprint ? (datasetNames.get(e.datasetFingerprint) ?? null) : null,
    target,
    runCount,
    metric,
    best,
  };
}

export class ExperimentsList {
  items = $state.raw<readonly ExperimentSummary[]>([]);
  loading = $state(true);
  error = $state<string | null>(null);
  #gen = 0;

  constructor(readonly store: TrackingStore) {}

  async load(): Promise<void> {
    const gen = ++this.#gen;
    try {
      const [exps, datasets] = await Promise.all([this.store.listExperiments(), this.store.listDatasets()]);
      const names = new Map(datasets.map((d) => [d.fingerprint, d.name]));
      const items = await Promise.all(exps.map((e) => summarizeExperiment(this.store, e, names)));
      if (gen !== this.#gen) return;
      this.items = items;
      this.error = null;
    } catch (e) {
      if (gen === this.#gen) this.error = `Could not read the experiments: ${storeErrorMessage(e)}`;
    } finally {
      if (gen === this.#gen) this.loading = false;
    }
  }
}
