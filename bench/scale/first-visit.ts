/**
 * The first visit's main-thread work before any data (issue 21: "no main-thread task over 100 ms"):
 * opens the built studio in a fresh Chromium profile (nothing cached, no service worker yet), records
 * a trace from the navigation until 1 s after the heading shows, and prints per run the main-thread
 * task that evaluates the entry module (its length, and the module evaluation and layout inside it),
 * the task that mounts the app when that is another one, the longest main-thread task of the load
 * (and what it did), and the page's JavaScript fetched before the heading (workers' scripts not
 * counted). Optionally under CDP CPU throttling, to stand in for a slow device.
 *
 *   npx vite build && npx tsx bench/scale/first-visit.ts [runs] [--throttle N] [--dist DIR]
 *   (default: 5 runs, no throttling, dist/)
 *
 * Unlike long-tasks.ts (the PerformanceObserver sees only tasks over 50 ms), this gives the figure for
 * every run, however short.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { preview } from 'vite';
import { REPO_ROOT } from '../../test/helpers/paths.ts';
import { findChromium } from '../../test/e2e/global-setup.ts';
import { keepChromiumNiced } from './nice.ts';
import { BASE_CHROMIUM_ARGS, type TraceEvent } from '../browser.ts';

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const RUNS = Number(argv.find((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--')) ?? 5);
const THROTTLE = Number(option('--throttle') ?? 1);
const DIST = resolve(REPO_ROOT, option('--dist') ?? 'dist');

interface Run {
  /** The main-thread task that evaluated the entry module, ms. */
  readonly entryTask: number;
  /** Inside it: the module graph's evaluation and the (forced) layout, ms. */
  readonly evaluate: number;
  readonly layout: number;
  /** The task that mounted the app when not the entry's (a timer after it, since 2026-12-05), ms. */
  readonly mountTask: number | null;
  /** The longest main-thread task from the navigation to 1 s after the heading, ms, and what it did. */
  readonly longest: number;
  readonly longestParts: string;
  /** JavaScript fetched before the heading showed, KB (decoded). */
  readonly scriptKB: number;
}

function analyse(events: readonly TraceEvent[], baseUrl: string): Omit<Run, 'scriptKB'> {
  const mains = events.filter(
    (e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain',
  );
  const onThread = (pid: number, tid: number) =>
    events.filter((e) => e.pid === pid && e.tid === tid && e.ph === 'X' && e.dur !== undefined);
  // the page's main thread: the renderer main thread that ran the studio's scripts (Chromium's own
  // pages, e.g. in other renderers, evaluate modules too)
  const main = mains
    .map((m) => onThread(m.pid, m.tid))
    .find((ev) =>
      ev.some((e) => e.name === 'FunctionCall' && e.args?.data?.url?.startsWith(baseUrl) === true),
    );
  if (!main) throw new Error(`no main thread ran a script from ${baseUrl} in the trace`);
  const tasks = main.filter((e) => e.name === 'RunTask');
  const evaluation = main.find((e) => e.name === 'v8.evaluateModule')!;
  const task = tasks.find((t) => t.ts <= evaluation.ts && evaluation.ts < t.ts + t.dur!);
  if (!task) throw new Error('the entry module was evaluated outside a task');
  const within = (t: TraceEvent) => (e: TraceEvent) => e.ts >= t.ts && e.ts + e.dur! <= t.ts + t.dur!;
  const sum = (t: TraceEvent, name: string) =>
    main.filter((e) => e.name === name && within(t)(e)).reduce((s, e) => s + e.dur!, 0) / 1000;
  const timer = main.find(
    (e) =>
      e.name === 'TimerFire' &&
      e.ts > task.ts + task.dur! &&
      main.some(
        (c) => c.name === 'FunctionCall' && within(e)(c) && c.args?.data?.url?.startsWith(baseUrl) === true,
      ),
  );
  const mount = timer && tasks.find((t) => within(t)(timer));
  const longest = tasks.reduce((a, b) => (b.dur! > a.dur! ? b : a));
  const parts = ['v8.evaluateModule', 'FunctionCall', 'RunMicrotasks', 'Layout', 'UpdateLayoutTree', 'Paint']
    .map((n): [string, number] => [n, sum(longest, n)])
    .filter(([, ms]) => ms >= 1)
    .map(([n, ms]) => `${n} ${ms.toFixed(0)}`);
  const call = main
    .filter((e) => e.name === 'FunctionCall' && within(longest)(e))
    .sort((a, b) => b.dur! - a.dur!)[0];
  if (call?.args?.data)
    parts.push(
      `largest call ${call.args.data.functionName || '(anonymous)'} in ${call.args.data.url?.replace(/.*\//, '') ?? '?'}`,
    );
  return {
    entryTask: task.dur! / 1000,
    evaluate: sum(task, 'v8.evaluateModule'),
    layout: sum(task, 'Layout'),
    mountTask: mount ? mount.dur! / 1000 : null,
    longest: longest.dur! / 1000,
    longestParts: parts.join(', '),
  };
}

async function run(baseUrl: string, i: number): Promise<Run> {
  const profile = mkdtempSync(join(tmpdir(), `bench-first-visit-${i}-`));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: findChromium(),
    headless: true,
    args: BASE_CHROMIUM_ARGS,
    viewport: { width: 1400, height: 900 },
  });
  try {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    if (THROTTLE > 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: THROTTLE });
    const traced: TraceEvent[] = [];
    cdp.on('Tracing.dataCollected', (e) => void traced.push(...(e.value as unknown as TraceEvent[])));
    await cdp.send('Tracing.start', {
      categories: 'devtools.timeline,disabled-by-default-devtools.timeline,toplevel,v8,v8.execute',
      transferMode: 'ReportEvents',
    });
    let scriptBytes = 0;
    let shown = false;
    page.on('response', (r) => {
      // the page's own scripts (not the workers', which run off the main thread)
      if (!shown && r.request().resourceType() === 'script' && !/worker/.test(r.url()))
        void r.body().then(
          (b) => (scriptBytes += b.length),
          () => undefined,
        );
    });
    await page.goto(baseUrl);
    await page.getByRole('heading', { name: 'AutoML Studio' }).waitFor();
    shown = true;
    await page.waitForTimeout(1000);
    const done = new Promise<void>((r) => cdp.once('Tracing.tracingComplete', () => r()));
    await cdp.send('Tracing.end');
    await done;
    return { ...analyse(traced, baseUrl), scriptKB: scriptBytes / 1000 };
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const server = await preview({
    root: REPO_ROOT,
    configFile: resolve(REPO_ROOT, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: DIST },
    preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false },
  });
  const baseUrl = server.resolvedUrls?.local[0];
  if (!baseUrl) throw new Error('vite preview reported no URL');
  const stopNice = keepChromiumNiced('bench-first-visit');
  const runs: Run[] = [];
  try {
    console.log(`${DIST}, CPU throttling ${THROTTLE}×`);
    console.log(
      '| run | entry task ms | evaluate ms | layout ms | mount task ms | longest task ms (of it, ms) | page JS before heading KB |',
    );
    console.log('|---:|---:|---:|---:|---:|---|---:|');
    for (let i = 1; i <= RUNS; i++) {
      const r = await run(baseUrl, i);
      runs.push(r);
      const f = (x: number) => x.toFixed(0);
      console.log(
        `| ${i} | ${f(r.entryTask)} | ${f(r.evaluate)} | ${f(r.layout)} | ${r.mountTask === null ? '(in entry)' : f(r.mountTask)} | ${f(r.longest)} (${r.longestParts}) | ${f(r.scriptKB)} |`,
      );
    }
    const stat = (xs: number[]) => {
      const sorted = [...xs].sort((a, b) => a - b);
      return `median ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} ms, max ${sorted[sorted.length - 1].toFixed(0)} ms`;
    };
    console.log(`entry task: ${stat(runs.map((r) => r.entryTask))}`);
    const mounts = runs.map((r) => r.mountTask).filter((m): m is number => m !== null);
    if (mounts.length) console.log(`mount task: ${stat(mounts)}`);
    console.log(`longest task: ${stat(runs.map((r) => r.longest))}`);
  } finally {
    stopNice();
    await server.close();
  }
}

await main();
