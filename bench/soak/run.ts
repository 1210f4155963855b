/**
 * bench/soak: a long AutoML search in Chromium with the UI open on the Train screen (issue #14).
 * Every minute it samples the page's JS heap (after a forced GC, through the DevTools protocol), the
 * live TensorFlow.js tensors and bytes in every worker, the trial counts on the leaderboard and the
 * long tasks (> 50 ms, PerformanceObserver 'longtask') on the main thread, leaving out the bench's own
 * forced GCs; at the end it compares the
 * trials on the leaderboard with the trial runs in the tracking store (IndexedDB).
 *
 * Goals: heap at the end within 1.2× of the heap after minute 2, tensor count flat, no long task over
 * 100 ms, every trial recorded. Prints a table (one row per minute) and a verdict line per goal.
 *
 *   npx vite build && npx tsx bench/soak/run.ts [--minutes 15] [--dataset telco_churn] [--target Churn]
 *
 * --profile FILE.cpuprofile records the page's main thread (DevTools CPU profile) for the whole search.
 * --minutes must be one of the Train screen's budgets (1, 2, 5, 15, 30, 60). The dataset is read from
 * ../shared/datasets when present, else from the vendored copies in test/fixtures/datasets.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { datasetFile } from '../../test/helpers/paths.ts';
import { openBenchBrowser } from '../browser.ts';

const { values: opts } = parseArgs({
  options: {
    minutes: { type: 'string', default: '15' },
    dataset: { type: 'string', default: 'telco_churn' },
    target: { type: 'string' },
    profile: { type: 'string' },
  },
});
const minutes = Number(opts.minutes);
if (![1, 2, 5, 15, 30, 60].includes(minutes))
  throw new Error(`--minutes ${opts.minutes}: the Train screen offers 1, 2, 5, 15, 30 or 60 minutes`);

declare global {
  interface Window {
    __soakLongTasks: { start: number; duration: number }[];
  }
}

interface Sample {
  minute: number;
  heapMB: number;
  workers: number;
  tensors: number;
  tensorMB: number;
  complete: number;
  pruned: number;
  failed: number;
  longestTaskMs: number;
  longTasksOver100: number;
}

const { baseUrl, context, close } = await openBenchBrowser('soak');
const page = await context.newPage();
const pageErrors: string[] = [];
page.on('pageerror', (e) => pageErrors.push(String(e)));
page.on('console', (m) => {
  if (m.type() === 'error') pageErrors.push(m.text());
});
const cdp = await context.newCDPSession(page);

/** Windows (page clock, ms) in which the bench itself forced a GC: long tasks there are ours. */
const forcedGc: [number, number][] = [];

/** Used JS heap of the page after a full GC, in MB. */
async function heapMB(): Promise<number> {
  const before = await page.evaluate(() => performance.now());
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
  forcedGc.push([before, await page.evaluate(() => performance.now())]);
  return usedSize / 2 ** 20;
}

/** Live tfjs tensors and their bytes over every worker (tfjs keeps its engine on the global scope). */
async function workerTensors(p: Page): Promise<{ workers: number; tensors: number; bytes: number }> {
  let tensors = 0;
  let bytes = 0;
  const workers = p.workers();
  for (const w of workers) {
    const m = await w
      .evaluate(() => {
        const engine = (globalThis as { _tfengine?: { state?: { numTensors: number; numBytes: number } } })
          ._tfengine;
        return engine?.state ? { n: engine.state.numTensors, b: engine.state.numBytes } : null;
      })
      .catch(() => null); // a worker closed while being asked
    if (m) {
      tensors += m.n;
      bytes += m.b;
    }
  }
  return { workers: workers.length, tensors, bytes };
}

async function counts(p: Page): Promise<[number, number, number]> {
  const read = async (id: string) => {
    const el = p.getByTestId(id);
    return (await el.count()) > 0 ? Number(await el.textContent()) : 0;
  };
  return [await read('count-complete'), await read('count-pruned'), await read('count-failed')];
}

try {
  await page.goto(baseUrl);
  await page.getByTestId('file-input').setInputFiles(datasetFile(opts.dataset, 'train.csv'));
  await page.locator('[data-testid="dataset-name"]', { hasText: 'train.csv' }).waitFor({ timeout: 120_000 });
  await page.getByTestId('load-progress').waitFor({ state: 'detached', timeout: 120_000 });
  const targetSelect = page.getByTestId('target-select');
  if (opts.target && (await targetSelect.inputValue()) !== opts.target)
    await targetSelect.selectOption(opts.target);
  const target = await targetSelect.inputValue();
  await page.getByTestId('nav-train').click();
  await page.getByTestId('search-panel').waitFor();
  await page.getByTestId('mode-automl').check();
  await page.getByTestId('budget-select').selectOption(String(minutes * 60));
  await page.evaluate(() => {
    window.__soakLongTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries())
        window.__soakLongTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: false });
  });
  console.log(
    `soak: ${opts.dataset} (target ${target}), ${minutes} min search, default families, Train screen open`,
  );
  if (opts.profile) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
    await cdp.send('Profiler.start');
  }
  const t0 = Date.now();
  await page.getByTestId('search-start').click();

  const samples: Sample[] = [];
  let lastTaskIndex = 0;
  const sample = async (minute: number) => {
    const heap = await heapMB();
    const w = await workerTensors(page);
    const [complete, pruned, failed] = await counts(page);
    const tasks = await page.evaluate(() => window.__soakLongTasks);
    const fresh = tasks
      .slice(lastTaskIndex)
      .filter((t) => !forcedGc.some(([a, b]) => t.start + t.duration >= a && t.start <= b))
      .map((t) => t.duration);
    lastTaskIndex = tasks.length;
    const s: Sample = {
      minute,
      heapMB: Math.round(heap * 10) / 10,
      workers: w.workers,
      tensors: w.tensors,
      tensorMB: Math.round((w.bytes / 2 ** 20) * 10) / 10,
      complete,
      pruned,
      failed,
      longestTaskMs: Math.round(Math.max(0, ...fresh)),
      longTasksOver100: fresh.filter((d) => d > 100).length,
    };
    samples.push(s);
    console.log(JSON.stringify(s));
  };

  await sample(0);
  console.log(
    `workers: ${page
      .workers()
      .map((w) => w.url().replace(baseUrl, '/'))
      .join(', ')}`,
  );
  const results = page.getByTestId('search-results');
  for (let minute = 1; ; minute++) {
    const due = t0 + minute * 60_000;
    const finished = await results
      .waitFor({ timeout: Math.max(1, due - Date.now()) })
      .then(() => true)
      .catch(() => false);
    if (finished) break;
    await sample(minute);
    if (minute > minutes + 10)
      throw new Error(`the ${minutes} min search had not finished after ${minute} min`);
  }
  const elapsedMin = (Date.now() - t0) / 60_000;
  if (opts.profile) {
    const { profile } = (await cdp.send('Profiler.stop')) as { profile: unknown };
    writeFileSync(opts.profile, JSON.stringify(profile));
  }
  await sample(Math.round(elapsedMin * 100) / 100);

  // every trial on the leaderboard is a trial run in the tracking store, in a final state
  const recordedAs = (await page.getByTestId('search-run-id').textContent()) ?? '';
  const searchRunId = /run (\S+?)\.?$/.exec(recordedAs.trim())?.[1] ?? '';
  const stored = await page.evaluate(async (parent) => {
    const db = await new Promise<IDBDatabase>((res, rej) => {
      const r = indexedDB.open('automl-studio-tracking');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const runs = await new Promise<{ parentRunId: string | null; state: string; id: string }[]>(
      (res, rej) => {
        const r = db.transaction('runs').objectStore('runs').getAll();
        r.onsuccess = () => res(r.result as { parentRunId: string | null; state: string; id: string }[]);
        r.onerror = () => rej(r.error);
      },
    );
    db.close();
    const search = runs.find((r) => r.id === parent || r.id.startsWith(parent));
    const children = runs.filter((r) => search && r.parentRunId === search.id);
    const byState: Record<string, number> = {};
    for (const c of children) byState[c.state] = (byState[c.state] ?? 0) + 1;
    return { found: !!search, searchState: search?.state ?? null, trials: children.length, byState };
  }, searchRunId);
  const [cComplete, cPruned, cFailed] = await counts(page);
  const rows = cComplete + cPruned + cFailed; // the leaderboard lists the best 50; the counts are all trials

  console.log('\nminute  heap MB  workers  tensors  tensor MB  complete  pruned  failed  longest task ms');
  for (const s of samples)
    console.log(
      [
        String(s.minute).padStart(6),
        s.heapMB.toFixed(1).padStart(8),
        String(s.workers).padStart(8),
        String(s.tensors).padStart(8),
        s.tensorMB.toFixed(1).padStart(10),
        String(s.complete).padStart(9),
        String(s.pruned).padStart(7),
        String(s.failed).padStart(7),
        String(s.longestTaskMs).padStart(16),
      ].join(' '),
    );

  const atTwo = samples.find((s) => s.minute >= 2) ?? samples[samples.length - 1]!;
  const last = samples[samples.length - 1]!;
  // the last sample taken while the search ran (the final one also holds the results view and model)
  const lastSearching = samples.length > 2 ? samples[samples.length - 2]! : last;
  const running = samples.filter((s) => s.minute >= 1 && s.minute <= minutes);
  const tensorCounts = (running.length > 0 ? running : samples).map((s) => s.tensors);
  const heapRatio = lastSearching.heapMB / atTwo.heapMB;
  const over100 = samples.reduce((a, s) => a + s.longTasksOver100, 0);
  const verdict = (ok: boolean) => (ok ? 'ok  ' : 'MISS');
  console.log(`\nsearch finished after ${elapsedMin.toFixed(2)} min; ${rows} trials`);
  console.log(
    `${verdict(heapRatio <= 1.2)} heap: ${lastSearching.heapMB.toFixed(1)} MB at minute ${lastSearching.minute} (last sample while searching) vs ${atTwo.heapMB.toFixed(1)} MB at minute ${atTwo.minute} (${heapRatio.toFixed(2)}×, goal ≤ 1.2×); ${last.heapMB.toFixed(1)} MB with the results shown (${(last.heapMB / atTwo.heapMB).toFixed(2)}×)`,
  );
  console.log(
    `${verdict(Math.max(...tensorCounts, 0) - Math.min(...tensorCounts, 0) <= 64)} tensors while searching: min ${Math.min(...tensorCounts)} max ${Math.max(...tensorCounts)}; ${last.tensors} after the search (goal: flat)`,
  );
  console.log(
    `${verdict(over100 === 0)} long tasks over 100 ms: ${over100} (longest ${Math.max(...samples.map((s) => s.longestTaskMs))} ms)`,
  );
  console.log(
    `${verdict(stored.found && stored.trials === rows)} recorded: ${stored.trials} trial runs in IndexedDB (${JSON.stringify(stored.byState)}), search run ${stored.searchState}, ${rows} trials counted on the Train screen`,
  );
  console.log(
    `${verdict(pageErrors.length === 0)} page errors: ${pageErrors.length}${pageErrors.length ? ` — ${pageErrors.slice(0, 3).join(' | ')}` : ''}`,
  );
} finally {
  await close();
}
