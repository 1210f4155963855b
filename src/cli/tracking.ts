/**
 * The CLI's side of the training jobs (src/core/jobs, which record the runs): the tracking database a
 * command records in, the jobs' runtime for Node, and the automl command's progress lines, leaderboard
 * and worker pool.
 */
import { Tracker } from '../core/tracking/tracker.ts';
import type { JobRecord, JobRuntime } from '../core/jobs/types.ts';
import { CliError } from './errors.ts';
import { DEFAULT_STORE, openFileStore, storeFiles } from './file-store.ts';
import { splitDescription, type SearchHooks } from '../core/search/record.ts';
import type { SearchResult } from '../core/search/runner.ts';
import type { TrialExecutor } from '../core/search/executor.ts';

/** The tracking database a command records in (`--store`, env AUTOML_STORE, default; `x.jsonl` → `x.db`). */
export function storePath(option: string | undefined): string {
  return storeFiles(option ?? process.env.AUTOML_STORE ?? DEFAULT_STORE).db;
}

/**
 * What the jobs (src/core/jobs) need from the CLI: the bundle's environment, the scorer, and — unless
 * `--no-track` — the tracking database, opened (created, migrated, recovered) before training so that
 * a bad `--store` is an error before any work. `source` is the run's tag ('cli fit', 'cli automl');
 * the run is tagged with where the bundle is written.
 */
export async function cliJobRuntime(options: {
  readonly store: string | undefined;
  readonly track: boolean;
  readonly source: string;
  readonly bundle: string;
}): Promise<{ runtime: JobRuntime; storePath?: string }> {
  const { nodeEnvironment, buildScorerSource } = await import('./bundle-io.ts');
  const { app, runtime, cores, libraries } = nodeEnvironment(null);
  const base: JobRuntime = {
    environment: { app, runtime, ...(cores !== undefined ? { cores } : {}), libraries },
    scorer: await buildScorerSource(),
  };
  if (!options.track) return { runtime: base };
  const path = storePath(options.store);
  const store = await openFileStore(path);
  return {
    runtime: {
      ...base,
      tracking: { tracker: new Tracker(store), source: options.source, tags: { bundle: options.bundle } },
    },
    storePath: path,
  };
}

/** The CLI's last word on recording: where the run is, or an error when it could not be recorded. */
export function reportRecording(
  io: { stderr(text: string): void },
  job: JobRecord,
  storePathText: string | undefined,
  bundle: string,
): void {
  if (job.trackingError)
    throw new CliError(`the bundle was written to ${bundle}, but ${job.trackingError}`, 1);
  if (job.runId && storePathText) io.stderr(`recorded run ${job.runId} in ${storePathText}\n`);
}

// ---------------------------------------------------------------- automl: live progress and tracking

const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(4));

/** The search's progress lines for the CLI, one per trial start and end (stderr keeps `--json` stdout pure). */
export function automlProgress(io: { stderr(text: string): void }): SearchHooks {
  const t0 = performance.now();
  const at = () => `${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s`;
  let best: number | undefined;
  let metric = '';
  let better = (a: number, b: number) => a > b;
  return {
    onPhase(phase, info) {
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
    onTrialStart(t) {
      io.stderr(`${at()}  trial ${t.number} ${t.family} started\n`);
    },
    onTrialReport() {},
    onTrial(t) {
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
