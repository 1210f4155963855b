/**
 * Test/bench helper run in the studio page by Playwright (`page.evaluate` of its source), never part
 * of the app build: writes runs through the real Dexie tracking store into the same IndexedDB
 * database the app reads (same origin), the way the search worker does from its own context.
 * Built on the fly into one IIFE by `build-seed.ts`; exposes `window.trackingSeed`.
 */
import { DexieTrackingStore } from '../../src/store/dexie.ts';
import type { ParamValue, WriteOp } from '../../src/core/tracking/types.ts';
import { createIdGenerator } from '../../src/core/tracking/ids.ts';

export interface SeedRun {
  readonly name: string;
  readonly params?: Record<string, ParamValue>;
  readonly metrics?: Record<string, number>;
  /** Metric histories: key → values by step. */
  readonly history?: Record<string, number[]>;
  readonly tags?: Record<string, string>;
  readonly state?: 'RUNNING' | 'COMPLETE' | 'FAILED' | 'PRUNED';
  readonly artifacts?: { name: string; kind: 'model' | 'chart-data'; json: unknown }[];
}

export interface SeedSpec {
  readonly experiment: string;
  readonly dataset?: { fingerprint: string; name: string };
  readonly target?: string;
  readonly metric?: string;
  readonly parent?: SeedRun;
  readonly children: readonly SeedRun[];
}

const newId = createIdGenerator();
let store: DexieTrackingStore | null = null;

async function open(): Promise<DexieTrackingStore> {
  store ??= await DexieTrackingStore.open({ storage: null });
  return store;
}

function runOps(
  experimentId: string,
  parentRunId: string | null,
  r: SeedRun,
  t: number,
  dataset: string | null,
): { id: string; ops: WriteOp[] } {
  const id = newId();
  const ops: WriteOp[] = [
    {
      op: 'startRun',
      id,
      experimentId,
      parentRunId,
      name: r.name,
      startTime: t,
      params: r.params ?? {},
      tags: r.tags ?? {},
      datasetFingerprint: dataset,
    },
  ];
  const points = [];
  for (const [key, values] of Object.entries(r.history ?? {}))
    values.forEach((value, step) => points.push({ key, value, step, timestamp: t + step }));
  for (const [key, value] of Object.entries(r.metrics ?? {}))
    points.push({ key, value, step: 0, timestamp: t + 1 });
  if (points.length) ops.push({ op: 'logMetrics', runId: id, metrics: points });
  const enc = new TextEncoder();
  for (const a of r.artifacts ?? [])
    ops.push({
      op: 'putArtifact',
      id: newId(),
      runId: id,
      name: a.name,
      kind: a.kind,
      contentType: 'application/json',
      bytes: enc.encode(JSON.stringify(a.json)),
      createdAt: t,
    });
  if ((r.state ?? 'COMPLETE') !== 'RUNNING')
    ops.push({ op: 'endRun', runId: id, state: (r.state ?? 'COMPLETE') as 'COMPLETE', endTime: t + 1000 });
  return { id, ops };
}

/** Writes one experiment with an optional parent run and its children; returns the ids. */
async function seed(
  spec: SeedSpec,
): Promise<{ experimentId: string; parentId: string | null; childIds: string[] }> {
  const s = await open();
  const experimentId = newId();
  const t0 = Date.now() - spec.children.length * 1000 - 10_000;
  const ops: WriteOp[] = [];
  const fp = spec.dataset?.fingerprint ?? null;
  if (spec.dataset)
    ops.push({
      op: 'putDataset',
      fingerprint: spec.dataset.fingerprint,
      name: spec.dataset.name,
      schema: [],
      createdAt: t0,
    });
  ops.push({
    op: 'createExperiment',
    id: experimentId,
    name: spec.experiment,
    datasetFingerprint: fp,
    tags: {
      ...(spec.target ? { target: spec.target } : {}),
      ...(spec.metric ? { metric: spec.metric } : {}),
    },
    createdAt: t0,
  });
  await s.write(ops);
  let parentId: string | null = null;
  if (spec.parent) {
    const p = runOps(experimentId, null, spec.parent, t0 + 1, fp);
    parentId = p.id;
    // A parent still RUNNING is written first (like a search), its end after the children.
    await s.write(p.ops);
  }
  const childIds: string[] = [];
  const BATCH = 500;
  for (let i = 0; i < spec.children.length; i += BATCH) {
    const batch: WriteOp[] = [];
    spec.children.slice(i, i + BATCH).forEach((c, k) => {
      const r = runOps(experimentId, parentId, c, t0 + 2 + (i + k) * 10, fp);
      childIds.push(r.id);
      batch.push(...r.ops);
    });
    await s.write(batch);
  }
  return { experimentId, parentId, childIds };
}

/** Synthetic search: `n` trials with params, metrics and tags (deterministic). */
function syntheticSearch(n: number, name = `bench search ${n}`): SeedSpec {
  let x = 12345;
  const rnd = () => (x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const families = ['gbdt', 'random_forest', 'linear', 'mlp'];
  const children: SeedRun[] = [];
  for (let i = 0; i < n; i++) {
    const family = families[i % 4];
    const lr = 10 ** (-3 + 2.5 * rnd());
    const depth = 2 + Math.floor(rnd() * 10);
    const auc = Math.min(0.999, 0.6 + 0.35 * rnd() - (family === 'linear' ? 0.05 : 0));
    const state = i % 17 === 0 ? 'PRUNED' : i % 53 === 0 ? 'FAILED' : 'COMPLETE';
    children.push({
      name: `trial ${i} ${family}`,
      params: {
        family,
        learning_rate: Number(lr.toPrecision(4)),
        max_depth: depth,
        subsample: Number((0.5 + rnd() / 2).toFixed(3)),
        booster: rnd() > 0.5 ? 'gbtree' : 'dart',
      },
      metrics: { roc_auc: auc, log_loss: 0.7 - auc / 2 + rnd() * 0.05, fit_seconds: rnd() * 30 },
      tags: { family, sampler: i < 20 ? 'random' : 'tpe', metric: 'roc_auc' },
      state,
    });
  }
  return {
    experiment: name,
    dataset: { fingerprint: 'sha256:bench0000000000000000', name: 'bench.csv' },
    target: 'label',
    metric: 'roc_auc',
    parent: {
      name: 'automl search',
      params: { sampler: 'tpe', budget: 600 },
      metrics: { roc_auc: 0.99 },
      tags: { metric: 'roc_auc' },
    },
    children,
  };
}

/** Times the store's own paged queries on an experiment (what a store-side runs table would do). */
async function measureSearch(experimentId: string): Promise<Record<string, number>> {
  const s = await open();
  const time = async (f: () => Promise<unknown>) => {
    const t0 = performance.now();
    await f();
    return Math.round(performance.now() - t0);
  };
  return {
    countRuns: await time(() => s.countRuns({ experimentId })),
    pageDefaultOrder: await time(() => s.searchRuns({ experimentId, limit: 100 })),
    pageByMetric: await time(() =>
      s.searchRuns({
        experimentId,
        limit: 100,
        orderBy: { field: { kind: 'metric', key: 'roc_auc' }, direction: 'desc' },
      }),
    ),
    pageByParam: await time(() =>
      s.searchRuns({
        experimentId,
        limit: 100,
        orderBy: { field: { kind: 'param', key: 'learning_rate' }, direction: 'asc' },
      }),
    ),
    pageByParamFiltered: await time(() =>
      s.searchRuns({
        experimentId,
        limit: 100,
        filter: [{ field: { kind: 'param', key: 'family' }, op: '=', value: 'gbdt' }],
        orderBy: { field: { kind: 'tag', key: 'sampler' }, direction: 'asc' },
      }),
    ),
    loadAll1000Pages: await time(async () => {
      let token: string | undefined;
      do {
        const p = await s.searchRuns({ experimentId, limit: 1000, ...(token ? { pageToken: token } : {}) });
        token = p.nextPageToken ?? undefined;
      } while (token);
    }),
  };
}

async function close(): Promise<void> {
  await store?.close();
  store = null;
}

const api = { open: async () => void (await open()), seed, syntheticSearch, measureSearch, close };
(globalThis as unknown as { trackingSeed: typeof api }).trackingSeed = api;
export type TrackingSeedApi = typeof api;
