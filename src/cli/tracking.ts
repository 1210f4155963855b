/**
 * Recording CLI training runs in the local tracking store (experiment per dataset and target), and
 * the automl command's live side: progress lines, child runs per trial, the leaderboard, the pool.
 */
import { Tracker, type RunHandle } from '../core/tracking/tracker.ts';
import type { TrackingStore } from '../core/tracking/store.ts';
import { startDatasetRun } from '../core/tracking/start.ts';
import type { ParamValue } from '../core/tracking/types.ts';
import type { IngestResult } from '../core/ingest/types.ts';
import { DEFAULT_STORE, openFileStore, storeFiles } from './file-store.ts';
import { recordSearch, splitDescription, type SearchHooks } from '../core/search/record.ts';
import type { SearchResult } from '../core/search/runner.ts';
import type { TrialExecutor } from '../core/search/executor.ts';

/** The tracking database a command records in (`--store`, env AUTOML_STORE, default; `x.jsonl` → `x.db`). */
export function storePath(option: string | undefined): string {
  return storeFiles(option ?? process.env.AUTOML_STORE ?? DEFAULT_STORE).db;
}

export { flatParams } from '../core/tracking/params.ts';

export interface StartedRun {
  readonly store: TrackingStore;
  readonly run: RunHandle;
}

export async function startTrainingRun(
  path: string,
  data: IngestResult,
  target: string,
  name: string,
  tags: Record<string, string>,
): Promise<StartedRun> {
  const store = await openFileStore(path);
  const { run } = await startDatasetRun(
    new Tracker(store),
    { fingerprint: data.fingerprint.sha256, name: data.sourceName, schema: data.schema },
    target,
    { name, tags },
  );
  return { store, run };
}

const ARTIFACT_KINDS = {
  'model.json': 'model',
  'pipeline.json': 'pipeline',
  'manifest.json': 'report',
} as const;

/** Logs the bundle's files as artifacts, tags where the bundle was written, and completes the run. */
export async function completeWithBundle(
  run: RunHandle,
  files: Readonly<Record<string, string>>,
  bundleDir: string,
): Promise<void> {
  const enc = new TextEncoder();
  for (const [name, kind] of Object.entries(ARTIFACT_KINDS)) {
    const text = files[name];
    if (text !== undefined)
      run.logArtifact({ name, kind, bytes: enc.encode(text), contentType: 'application/json' });
  }
  run.setTag('bundle', bundleDir);
  await run.end('COMPLETE');
}

// ---------------------------------------------------------------- automl: live progress and tracking

/** The search's live hooks for the CLI: progress lines on stderr and, when tracked, child runs. */
export interface AutomlLive {
  readonly hooks: SearchHooks;
  /** Logs the result on the parent run (written with the bundle by `completeWithBundle`). */
  finish(result: SearchResult): Promise<void>;
  /** Ends still-running child runs and the parent as FAILED. */
  fail(error: unknown): Promise<void>;
}

const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(4));

/** One progress line per trial start and end (stderr keeps `--json` stdout pure). */
export function automlLive(
  io: { stderr(text: string): void },
  run: RunHandle | null,
  params: Readonly<Record<string, ParamValue>>,
  options: { progress?: boolean } = {},
): AutomlLive {
  const recorder = run ? recordSearch({ parent: run, params }) : null;
  const show = options.progress ?? true;
  const t0 = performance.now();
  const at = () => `${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s`;
  let best: number | undefined;
  let metric = '';
  let better = (a: number, b: number) => a > b;
  const hooks: SearchHooks = {
    onPhase(phase, info) {
      recorder?.hooks.onPhase(phase, info);
      if (!show) return;
      if (phase === 'search' && info) {
        metric = info.metric;
        better = info.direction === 'maximize' ? (a, b) => a > b : (a, b) => a < b;
        const ex = info.execution;
        io.stderr(
          `${at()}  search: ${splitDescription(info.split)}; ${info.metric} (${info.direction}); ` +
            `${ex.workers} worker${ex.workers === 1 ? '' : 's'}` +
            `${ex.mode === 'batched' ? `, batches of ${ex.batchSize} (deterministic)` : ''}\n`,
        );
      } else io.stderr(`${at()}  ${phase}\n`);
    },
    onTrialStart(t, study) {
      recorder?.hooks.onTrialStart(t, study);
      if (show) io.stderr(`${at()}  trial ${t.number} ${t.family} started\n`);
    },
    onTrialReport(t, step, value) {
      recorder?.hooks.onTrialReport(t, step, value);
    },
    onTrial(t, study, evidence) {
      recorder?.hooks.onTrial(t, study, evidence);
      if (!show) return;
      let mark = '';
      if (t.state === 'COMPLETE' && t.value !== undefined && (best === undefined || better(t.value, best))) {
        best = t.value;
        mark = '  * best so far';
      }
      const why =
        t.state === 'FAILED' ? ` (${t.error ?? t.reason})` : t.state === 'PRUNED' ? ` (${t.reason})` : '';
      const rung = t.state === 'PRUNED' && t.rungs.length ? ` at ${t.rungs[t.rungs.length - 1].budget}` : '';
      io.stderr(
        `${at()}  trial ${t.number} ${t.family} ${t.state}${why}${rung}` +
          `${t.value !== undefined ? ` ${metric} ${fmt(t.value)}` : ''}` +
          `${t.durations.total !== undefined ? ` in ${t.durations.total.toFixed(1)} s` : ''}${mark}\n`,
      );
    },
  };
  return {
    hooks,
    async finish(result) {
      await recorder?.finish(result);
    },
    async fail(error) {
      if (recorder) await recorder.fail(error);
      else if (run?.state === 'RUNNING') await run.fail(error);
    },
  };
}

/** The final leaderboard: rank, trial, family, key parameters, metric ± std over folds, time, state. */
export function leaderboard(result: SearchResult, top = 10): string {
  const study = result.study;
  const rows = [...result.trials].sort((a, b) => {
    const rank = (s: string) => (s === 'COMPLETE' ? 0 : s === 'PRUNED' ? 1 : 2);
    if (rank(a.state) !== rank(b.state)) return rank(a.state) - rank(b.state);
    if (a.state === 'COMPLETE') return study.loss(a.value!) - study.loss(b.value!) || a.number - b.number;
    return a.number - b.number;
  });
  const std = (xs: readonly number[] | undefined) => {
    if (!xs || xs.length < 2) return undefined;
    const m = xs.reduce((s, v) => s + v, 0) / xs.length;
    return Math.sqrt(xs.reduce((s, v) => s + (v - m) ** 2, 0) / (xs.length - 1));
  };
  const key = (p: Readonly<Record<string, unknown>>) =>
    Object.entries(p)
      .slice(0, 4)
      .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(3)) : String(v)}`)
      .join(' ');
  const lines = [
    `leaderboard (${result.metric}, ${study.direction === 'maximize' ? 'higher' : 'lower'} is better):`,
    `  ${'#'.padStart(3)}  ${'trial'.padStart(5)}  ${'family'.padEnd(13)} ${`${result.metric} ± std`.padEnd(20)} ${'time'.padStart(7)}  ${'state'.padEnd(8)} parameters`,
  ];
  rows.slice(0, top).forEach((t, i) => {
    const s = std(t.foldValues);
    const value =
      t.value === undefined ? '–' : `${fmt(t.value)}${s !== undefined ? ` ± ${s.toFixed(4)}` : ''}`;
    const time = t.durations.total === undefined ? '' : `${t.durations.total.toFixed(1)} s`;
    const state = t.state === 'COMPLETE' ? t.state : `${t.state}${t.reason ? `:${t.reason}` : ''}`;
    lines.push(
      `  ${String(i + 1).padStart(3)}  ${String(t.number).padStart(5)}  ${t.family.padEnd(13)} ${value.padEnd(20)} ${time.padStart(7)}  ${state.padEnd(8)} ${key(t.params)}`,
    );
  });
  if (rows.length > top) lines.push(`  … ${rows.length - top} more`);
  return lines.join('\n') + '\n';
}

/** `--workers N`: N ≥ 1 worker threads, 0 = in process; default availableParallelism − 1, at least 1. */
export async function automlExecutor(workers: number | undefined): Promise<TrialExecutor | undefined> {
  if (workers === 0) return undefined;
  const { createNodeTrialPool } = await import('./worker-pool.ts');
  return createNodeTrialPool(workers === undefined ? {} : { size: workers });
}
