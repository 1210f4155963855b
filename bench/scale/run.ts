/**
 * Scale benchmark in Chromium (issue 21): for generated files of 100k / 1M / 3M rows × 30 columns
 * (bench/scale/generate.ts, seeded), drive the built studio and measure
 *   - time from picking the file to the shown profile,
 *   - the longest main-thread task while loading (PerformanceObserver 'longtask'),
 *   - page JS heap (CDP Performance.getMetrics), each worker's JS heap (CDP Runtime.getHeapUsage on the
 *     worker target, via the page's auto-attached sessions), and the peak resident memory of all Chromium processes,
 *   - time until the dataset is kept in IndexedDB, storage used (navigator.storage.estimate),
 *   - time to reopen the studio (a reload) with the dataset stored, until the profile is shown,
 * and the Node CLI's ingest + profile time on the same file for reference. Prints a table.
 *
 * A file whose estimated memory is over the page's limit shows the sampling offer instead of loading;
 * the bench records which path happened ("loaded", or "offer shown" with the offer's own words) and
 * then takes the offer's suggestion (`--offer sample`, the default: the suggested number of rows,
 * seeded) or loads all of it anyway (`--offer whole`). A crashed page, an uncaught error (page or
 * worker) or a console error is recorded too, and a crash ends that size's measurement.
 *
 *   npx vite build && npx tsx bench/scale/run.ts [rows…] [--offer sample|whole] [--memory-limit-mb N] [--no-cli]
 *   (default rows: 100000 1000000)
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { CDPSession, Page } from 'playwright-core';
import { openBenchBrowser } from '../browser.ts';
import { keepChromiumNiced, renice } from './nice.ts';
import { generateScaleCsv } from './generate.ts';
import { ingestCsv } from '../../src/core/ingest/index.ts';
import { fileSource, nodeHasher } from '../../src/cli/node-io.ts';
import { profileTable } from '../../src/core/profile/index.ts';

const MB = 1024 * 1024;
const args = process.argv.slice(2);
const offerAt = args.indexOf('--offer');
const ON_OFFER = offerAt >= 0 ? args[offerAt + 1] : 'sample';
if (ON_OFFER !== 'sample' && ON_OFFER !== 'whole') throw new Error(`--offer sample|whole, not ${ON_OFFER}`);
const NO_CLI = args.includes('--no-cli');
const limitAt = args.indexOf('--memory-limit-mb');
/** The page's memory limit (`?memoryLimitMB=`), when given; else the page's default. */
const LIMIT_MB = limitAt >= 0 ? Number(args[limitAt + 1]) : undefined;
const sizes = args
  .filter(
    (a, i) =>
      !a.startsWith('--') && !(offerAt >= 0 && i === offerAt + 1) && !(limitAt >= 0 && i === limitAt + 1),
  )
  .map(Number)
  .filter((n) => n > 0);
const ROWS = sizes.length ? sizes : [100_000, 1_000_000];
const DIR = process.env.SCALE_DIR ?? join(tmpdir(), 'automl-scale');

/**
 * Sum of the resident memory of every Chromium process of the bench (Linux /proc), in bytes; also
 * keeps their threads at the bench's niceness (`renice`, nice.ts).
 */
function chromiumRss(): number {
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!/chrom/i.test(cmd.split('\0')[0] ?? '') || !cmd.includes('bench-scale')) continue;
      renice(pid);
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const m = /VmRSS:\s+(\d+) kB/.exec(status);
      if (m) total += Number(m[1]) * 1024;
    } catch {
      // gone
    }
  }
  return total;
}

function peakSampler(): { stop(): number } {
  let peak = 0;
  const t = setInterval(() => (peak = Math.max(peak, chromiumRss())), 250);
  return {
    stop() {
      clearInterval(t);
      return Math.max(peak, chromiumRss());
    },
  };
}

async function heap(session: CDPSession): Promise<number> {
  await session.send('Performance.enable');
  const { metrics } = await session.send('Performance.getMetrics');
  return metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? NaN;
}

/**
 * JS heap of each dedicated worker of the page, by the worker's name (data, train, trial): CDP
 * `Runtime.getHeapUsage` on each worker target (worker targets have no Performance domain), reached through the page session's auto-attach
 * (non-flat mode: messages go through Target.sendMessageToTarget).
 */
class WorkerHeaps {
  readonly #session: CDPSession;
  readonly #targets = new Map<string, string>(); // sessionId → name
  readonly #pending = new Map<number, (r: unknown) => void>();
  #id = 0;

  constructor(session: CDPSession) {
    this.#session = session;
    session.on('Target.attachedToTarget', (e) => {
      if (e.targetInfo.type === 'worker')
        this.#targets.set(e.sessionId, e.targetInfo.title || e.targetInfo.url);
    });
    session.on('Target.detachedFromTarget', (e) => {
      if (e.sessionId) this.#targets.delete(e.sessionId);
    });
    session.on('Target.receivedMessageFromTarget', (e) => {
      const msg = JSON.parse(e.message) as { id?: number; result?: unknown };
      if (msg.id !== undefined) this.#pending.get(msg.id)?.(msg.result);
    });
  }

  async start(): Promise<void> {
    await this.#session.send('Target.setAutoAttach', {
      autoAttach: true,
      waitForDebuggerOnStart: false,
      flatten: false,
    });
  }

  #send(sessionId: string, method: string): Promise<unknown> {
    const id = ++this.#id;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      void this.#session
        .send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method }) })
        .catch(() => resolve(undefined));
      setTimeout(() => resolve(undefined), 5000);
    });
  }

  async heaps(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const [sid, title] of this.#targets) {
      const name = /(data|train|trial|bundle)/.exec(title)?.[1] ?? 'worker';
      // usedSize is the V8 heap; typed arrays' bytes are backing stores outside it (newer Chromium
      // reports them as backingStorageSize).
      const r = (await this.#send(sid, 'Runtime.getHeapUsage')) as
        { usedSize: number; backingStorageSize?: number } | undefined;
      const used = r ? r.usedSize + (r.backingStorageSize ?? 0) : undefined;
      if (used !== undefined) out[name] = (out[name] ?? 0) + used;
    }
    return out;
  }
}

/**
 * Samples page + worker JS heaps (typed arrays' backing stores included) every half second until
 * stopped; the peak of their sum is the issue's "peak memory summed over page and workers".
 */
function heapSampler(session: CDPSession, workers: WorkerHeaps): { stop(): Promise<number> } {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const [p, w] = await Promise.all([heap(session).catch(() => 0), workers.heaps()]);
      peak = Math.max(peak, p + Object.values(w).reduce((a, b) => a + b, 0));
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return peak;
    },
  };
}

async function startLongTasks(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __long: number[] };
    w.__long = [];
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) w.__long.push(e.duration);
    }).observe({ type: 'longtask' });
  });
}

const longest = (page: Page): Promise<number> =>
  page.evaluate(() => Math.max(0, ...(window as unknown as { __long: number[] }).__long));

async function cliTime(path: string): Promise<number> {
  const t0 = performance.now();
  const r = await ingestCsv(fileSource(path), { createHasher: nodeHasher });
  profileTable(r.table, {});
  return (performance.now() - t0) / 1000;
}

interface Row {
  rows: number;
  fileMB: number;
  cliS: number;
  profileS: number;
  longMs: number;
  pageHeapMB: number;
  workerHeapMB: string;
  peakRssMB: number;
  rssBeforeMB: number;
  /** Peak of page + workers JS heap (sampled every 0.5 s from the drop until kept in IndexedDB). */
  peakHeapMB: number;
  keptS: number;
  storageMB: number;
  reopenS: number;
  reopenLongMs: number;
  /** "loaded", or "offer shown: <the offer's words>" and what the bench then did. */
  path: string;
  /** Rows on screen (the sample's size when sampled). */
  shownRows: string;
  /** Main-thread tasks over 100 ms while loading (drop → profile shown). */
  longCount: number;
  /** Crashes, uncaught errors and console errors seen (page and workers). */
  problems: string[];
}

async function measure(rows: number): Promise<Row> {
  mkdirSync(DIR, { recursive: true });
  const path = join(DIR, `scale-${rows}.csv`);
  if (!existsSync(path)) generateScaleCsv(path, rows);
  const fileMB = statSync(path).size / MB;
  const cliS = NO_CLI ? NaN : await cliTime(path);
  const b = await openBenchBrowser('scale');
  const stopNice = keepChromiumNiced('bench-scale'); // Chromium at the bench's niceness throughout
  const problems: string[] = [];
  try {
    const page = await b.context.newPage();
    let crashed = false;
    page.on('crash', () => {
      crashed = true;
      problems.push('page crashed');
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
    });
    page.on('worker', (w) => w.on('close', () => console.error(`  worker closed: ${w.url()}`)));
    /** Waits for `p`, or fails at once when the page crashes (instead of waiting out the timeout). */
    const orCrash = async <T>(p: Promise<T>): Promise<T> =>
      Promise.race([
        p,
        page.waitForEvent('crash', { timeout: 0 }).then(() => {
          throw new Error(`the page crashed (${problems.join('; ')})`);
        }),
      ]);
    const session = await b.context.newCDPSession(page);
    const workerHeaps = new WorkerHeaps(session);
    await workerHeaps.start();
    await page.goto(LIMIT_MB ? `${b.baseUrl}?memoryLimitMB=${LIMIT_MB}` : b.baseUrl);
    await page.getByRole('heading', { name: 'AutoML Studio' }).waitFor();
    await startLongTasks(page);
    const deviceMemory = await page.evaluate(
      () => (navigator as { deviceMemory?: number }).deviceMemory ?? 'not reported',
    );
    const rssBefore = chromiumRss();
    const rss = peakSampler();
    const heaps = heapSampler(session, workerHeaps);
    const t0 = performance.now();
    await page.getByTestId('file-input').setInputFiles(path);
    const offer = page.getByTestId('sample-offer');
    const name = page.getByTestId('dataset-name');
    const error = page.getByTestId('error');
    await orCrash(
      Promise.race([
        offer.waitFor({ timeout: 900_000 }),
        name.waitFor({ timeout: 900_000 }),
        error.waitFor({ timeout: 900_000 }),
      ]),
    );
    let how = `navigator.deviceMemory ${deviceMemory} GiB${LIMIT_MB ? `, ?memoryLimitMB=${LIMIT_MB}` : ''}: `;
    if (await offer.isVisible()) {
      const words = (await page.getByTestId('offer-estimate').innerText()).replace(/\s+/g, ' ').trim();
      const suggested = await page.getByTestId('offer-rows').inputValue();
      const after = (performance.now() - t0) / 1000;
      how += `offer shown after ${after.toFixed(1)} s: "${words}" (suggested ${Number(suggested).toLocaleString('en-US')} rows) → `;
      if (ON_OFFER === 'sample') {
        how += 'sample taken';
        await page.getByTestId('offer-sample').click();
      } else {
        how += 'loaded all anyway';
        await page.getByTestId('offer-whole').click();
      }
      await orCrash(Promise.race([name.waitFor({ timeout: 900_000 }), error.waitFor({ timeout: 900_000 })]));
    } else how += 'loaded';
    if (await error.isVisible()) throw new Error(`load failed: ${await error.innerText()}`);
    await orCrash(page.getByTestId('load-progress').waitFor({ state: 'detached', timeout: 900_000 }));
    await orCrash(page.getByTestId('schema-row').first().waitFor());
    const profileS = (performance.now() - t0) / 1000;
    const shownRows = (
      await page
        .getByTestId('summary-rows')
        .innerText()
        .catch(() => '?')
    ).trim();
    const longMs = await longest(page);
    const longCount = await page.evaluate(
      () => (window as unknown as { __long: number[] }).__long.filter((d) => d > 100).length,
    );
    const pageHeap = await heap(session);
    const workers = await workerHeaps.heaps();
    await orCrash(page.locator('[data-testid="stored-dataset"]').first().waitFor({ timeout: 900_000 }));
    const keptS = (performance.now() - t0) / 1000;
    const peak = rss.stop();
    const peakHeap = await heaps.stop();
    const storage = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
    // Reopen: a reload restores the dataset from IndexedDB (no file).
    const t1 = performance.now();
    await page.reload();
    await startLongTasks(page);
    await orCrash(page.getByTestId('reopened').waitFor({ timeout: 900_000 }));
    await orCrash(page.getByTestId('schema-row').first().waitFor());
    const reopenS = (performance.now() - t1) / 1000;
    const reopenLongMs = await longest(page);
    if (crashed) throw new Error('the page crashed');
    return {
      rows,
      fileMB,
      cliS,
      profileS,
      longMs,
      pageHeapMB: pageHeap / MB,
      workerHeapMB: Object.entries(workers)
        .map(([k, v]) => `${k} ${v >= 0 ? (v / MB).toFixed(0) : 'n/a'}`)
        .join(', '),
      peakRssMB: peak / MB,
      rssBeforeMB: rssBefore / MB,
      peakHeapMB: peakHeap / MB,
      keptS,
      storageMB: storage / MB,
      reopenS,
      reopenLongMs,
      path: how,
      shownRows,
      longCount,
      problems,
    };
  } finally {
    if (problems.length) console.error(`  problems: ${problems.join(' | ')}`);
    stopNice();
    await b.close();
  }
}

const results: Row[] = [];
for (const rows of ROWS) {
  console.error(`measuring ${rows.toLocaleString('en-US')} rows…`);
  try {
    results.push(await measure(rows));
  } catch (err) {
    console.error(`  ${rows} rows failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
const f = (n: number, d = 1): string => n.toFixed(d);
console.log(
  '| rows | file MB | CLI ingest+profile s | browser profile shown s (× CLI) | longest task ms | page heap MB | worker heap MB | peak page+workers heap MB (× file) | Chromium RSS before → peak MB | kept in IDB s | storage MB | reopen s | reopen longest task ms | rows shown | tasks > 100 ms | errors |',
);
console.log('|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results)
  console.log(
    `| ${r.rows.toLocaleString('en-US')} | ${f(r.fileMB)} | ${f(r.cliS)} | ${f(r.profileS)} (${f(r.profileS / r.cliS, 2)}) | ${f(r.longMs, 0)} | ${f(r.pageHeapMB)} | ${r.workerHeapMB} | ${f(r.peakHeapMB, 0)} (${f(r.peakHeapMB / r.fileMB, 2)}) | ${f(r.rssBeforeMB, 0)} → ${f(r.peakRssMB, 0)} | ${f(r.keptS)} | ${f(r.storageMB)} | ${f(r.reopenS)} | ${f(r.reopenLongMs, 0)} | ${r.shownRows} | ${r.longCount} | ${r.problems.length} |`,
  );
for (const r of results) console.log(`${r.rows.toLocaleString('en-US')} rows: ${r.path}`);
