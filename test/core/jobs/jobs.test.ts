/**
 * The jobs (src/core/jobs): one use case per job, the runtime's specifics passed in. What a run
 * records; a failed training recorded as FAILED; a store that cannot record costs the user nothing
 * but the record (the model comes back with `trackingError`); no tracking when none is given.
 */
import { describe, expect, it } from 'vitest';
import { ingestCsv } from '../../../src/core/ingest/index.ts';
import { fileSource, nodeHasher } from '../../../src/cli/node-io.ts';
import { createMemoryStore } from '../../../src/store/memory.ts';
import { Tracker } from '../../../src/core/tracking/tracker.ts';
import { runFitJob } from '../../../src/core/jobs/fit.ts';
import { runAutomlJob } from '../../../src/core/jobs/automl.ts';
import { readBundleZip } from '../../../src/core/export/zip.ts';
import type { TrackingStore } from '../../../src/core/tracking/store.ts';
import type { JobRuntime } from '../../../src/core/jobs/types.ts';
import { datasetFile } from '../../helpers/paths.ts';

const data = await ingestCsv(fileSource(datasetFile('penguins')), { createHasher: nodeHasher });
const environment: JobRuntime['environment'] = {
  app: { name: 'automl-studio', version: 'test' },
  runtime: 'node test',
  libraries: {},
};
const runtime = (store?: TrackingStore, source = 'test fit'): JobRuntime => ({
  environment,
  scorer: '// scorer',
  now: () => new Date('2026-01-02T03:04:05Z'),
  ...(store ? { tracking: { tracker: new Tracker(store), source, tags: { extra: 'x' } } } : {}),
});
const cpu = { name: 'cpu', reason: 'trees run in plain TypeScript' };

async function artifactsOf(store: TrackingStore, runId: string) {
  return (await store.listArtifacts(runId)).map((a) => `${a.name} (${a.kind})`).sort();
}

describe('runFitJob', () => {
  it('trains, builds the bundle and records the run with its zip, card, charts and curve', async () => {
    const store = createMemoryStore();
    const rounds: number[] = [];
    const job = await runFitJob({
      data,
      target: 'species',
      task: 'multiclass',
      family: 'gbdt',
      params: { rounds: 20 },
      seed: 7,
      backend: cpu,
      ...runtime(store),
      onRound: (p) => void rounds.push(p.round),
    });
    expect(job.trackingError).toBeUndefined();
    expect(job.files['manifest.json']).toBeDefined();
    expect(JSON.parse(job.files['manifest.json']).createdAt).toBe('2026-01-02T03:04:05.000Z');
    expect(job.curve.length).toBe(rounds.length);
    expect(rounds.length).toBeGreaterThan(0);
    expect(job.charts.confusion?.labels).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
    const run = (await store.getRun(job.runId!))!;
    expect(run.state).toBe('COMPLETE');
    expect(run.experimentId).toBe(job.experimentId);
    expect(run.tags).toMatchObject({ source: 'test fit', extra: 'x', family: 'gbdt', backend: 'cpu' });
    expect(run.params).toMatchObject({ family: 'gbdt', seed: 7, rounds: 20 });
    expect(Object.keys(run.latestMetrics)).toEqual(
      expect.arrayContaining(['log_loss', 'accuracy', 'fit_seconds', `valid_${job.curveMetric}`]),
    );
    expect(await artifactsOf(store, run.id)).toEqual([
      'MODEL_CARD.md (report)',
      'charts/confusion-matrix.json (chart-data)',
      'charts/feature-importance.json (chart-data)',
      'manifest.json (report)',
      'species-gbdt.zip (model)',
    ]);
    // the zip artifact is the bundle itself
    const zip = (await store.listArtifacts(run.id)).find((a) => a.kind === 'model')!;
    const files = readBundleZip(await store.getArtifactBytes(zip.id));
    expect(files['manifest.json']).toBe(job.files['manifest.json']);
    expect(files['model.json']).toBe(job.files['model.json']);
  });

  it('stops early when onRound says so, and keeps the model', async () => {
    const job = await runFitJob({
      data,
      target: 'species',
      task: 'multiclass',
      family: 'gbdt',
      params: { rounds: 200 },
      seed: 1,
      refit: false,
      backend: cpu,
      ...runtime(),
      onRound: (p) => p.round < 5,
    });
    expect(job.curve.length).toBeLessThan(10);
    expect(job.runId).toBeUndefined();
    expect(job.trackingError).toBeUndefined();
    expect(job.files['model.json']).toBeDefined();
  });

  it('records a training that fails as a FAILED run and rethrows', async () => {
    const store = createMemoryStore();
    await expect(
      runFitJob({
        data,
        target: 'species',
        task: 'multiclass',
        family: 'gbdt',
        params: { rounds: -3 },
        seed: 1,
        backend: cpu,
        ...runtime(store),
      }),
    ).rejects.toThrow(/rounds/);
    const [experiment] = await store.listExperiments();
    const { runs } = await store.searchRuns({ experimentId: experiment.id });
    expect(runs.map((r) => r.state)).toEqual(['FAILED']);
    expect(runs[0].error?.message).toMatch(/rounds/);
  });

  it('returns the model with trackingError when the store refuses every write', async () => {
    const store = createMemoryStore();
    const broken: TrackingStore = Object.assign(Object.create(store) as TrackingStore, {
      write: async () => {
        throw new Error('QuotaExceededError: the disk is full');
      },
    });
    const job = await runFitJob({
      data,
      target: 'species',
      task: 'multiclass',
      family: 'gbdt',
      params: { rounds: 10 },
      seed: 1,
      backend: cpu,
      ...runtime(broken),
    });
    expect(job.trackingError).toMatch(/^the run could not be recorded: QuotaExceededError: the disk is full/);
    expect(job.runId).toBeUndefined();
    expect(job.files['model.json']).toBeDefined();
  });
});

describe('runAutomlJob', () => {
  it('records the search: parent with bundle, charts and metrics, one child run per trial', async () => {
    const store = createMemoryStore();
    let recording: string | undefined;
    const phases: string[] = [];
    const job = await runAutomlJob({
      data,
      target: 'species',
      task: 'multiclass',
      families: ['gbdt'],
      seed: 3,
      maxTrials: 2,
      backend: cpu,
      ...runtime(store, 'test automl'),
      onRecording: (r) => (recording = r.runId),
      hooks: { onPhase: (p) => void phases.push(p) },
    });
    expect(recording).toBe(job.runId);
    expect(phases).toContain('search');
    expect(job.result.trials).toHaveLength(2);
    expect(Object.keys(job.metrics)).toEqual(expect.arrayContaining(['log_loss', 'accuracy']));
    const parent = (await store.getRun(job.runId!))!;
    expect(parent.state).toBe('COMPLETE');
    expect(parent.tags).toMatchObject({ source: 'test automl', family: 'automl' });
    expect(parent.params).toMatchObject({ seed: 3, maxTrials: 2, budget: null, backend: 'cpu' });
    expect(await artifactsOf(store, parent.id)).toEqual(
      expect.arrayContaining([
        'species-automl.zip (model)',
        'manifest.json (report)',
        'MODEL_CARD.md (report)',
      ]),
    );
    const { runs: children } = await store.searchRuns({
      experimentId: parent.experimentId,
      parentRunId: parent.id,
    });
    expect(children).toHaveLength(2);
    expect(children.every((c) => c.state === 'COMPLETE')).toBe(true);
  });

  /** The GBDT-only species search of the tests below (seed 5). */
  const speciesGbdt = {
    data,
    target: 'species',
    task: 'multiclass' as const,
    families: ['gbdt' as const],
    seed: 5,
    backend: cpu,
  };

  it('is deterministic with a seed and a trial cap, recorded or not', async () => {
    const opts = { ...speciesGbdt, maxTrials: 2 };
    const a = await runAutomlJob({ ...opts, ...runtime(createMemoryStore()) });
    const b = await runAutomlJob({ ...opts, ...runtime() });
    expect(b.files['model.json']).toBe(a.files['model.json']);
    expect(b.metrics).toEqual(a.metrics);
  });

  it('a time budget covers the whole job: the time before the search is recorded and counted', async () => {
    const opts = { ...speciesGbdt, ...runtime() };
    // a caller that spent 3 s of a 4 s budget before calling (reading the file, say)
    const early = await runAutomlJob({ ...opts, timeBudgetSeconds: 4, startedAt: performance.now() - 3000 });
    const t = JSON.parse(early.files['manifest.json']).search.timings;
    expect(t.setupSeconds).toBeGreaterThan(3);
    expect(t.totalSeconds).toBeCloseTo(t.setupSeconds + t.searchSeconds + t.refitSeconds, 6);
    expect(t.setupSeconds + t.searchSeconds).toBeLessThanOrEqual(4.05);
    // without a start given, the job's own start: its data-only bundle parts count as setup
    const own = await runAutomlJob({ ...opts, timeBudgetSeconds: 2 });
    expect(JSON.parse(own.files['manifest.json']).search.timings.setupSeconds).toBeGreaterThan(0);
    // a trial cap alone: no clock in the budget, no setup recorded
    const capped = await runAutomlJob({ ...opts, maxTrials: 1 });
    expect(JSON.parse(capped.files['manifest.json']).search.timings.setupSeconds).toBeUndefined();
  }, 60_000);
});
