/**
 * bench/compare: 10,000 runs in the tracking store in Chromium, then the Experiments runs table and
 * the Compare view of the production build. Prints time to first render and the longest main-thread
 * task (PerformanceObserver 'longtask') while opening, scrolling and sorting.
 * Goals (issue #6): first render < 1 s, no long task > 100 ms while scrolling.
 *
 *   npm run bench:compare            (builds first; RUNS=n to change the run count)
 *
 * The runs are written by the real Dexie store injected into the page (seed-entry.ts), the same
 * database the app reads; nothing bench-specific ships in the app.
 */
import type { Page } from 'playwright-core';
import { findChromium } from '../../test/e2e/global-setup.ts';
import { openBenchBrowser } from '../browser.ts';
import { buildSeedScript } from './build-seed.ts';
import type { TrackingSeedApi } from './seed-entry.ts';

declare global {
  interface Window {
    trackingSeed: TrackingSeedApi;
    __longtasks: { start: number; duration: number }[];
  }
}

const RUNS = Number(process.env.RUNS ?? 10_000);
const { baseUrl, context, close } = await openBenchBrowser('compare');

const results: Record<string, number | string> = {};
const ms = (x: number) => Math.round(x);

async function longestSince(page: Page, t: number): Promise<number> {
  return page.evaluate(
    (t0) => Math.max(0, ...window.__longtasks.filter((e) => e.start >= t0).map((e) => e.duration)),
    t,
  );
}
const now = (page: Page) => page.evaluate(() => performance.now());

try {
  // tsx (esbuild keepNames) wraps named functions in functions passed to page.evaluate with __name().
  await context.addInitScript('globalThis.__name = (f) => f;');
  await context.addInitScript(() => {
    window.__longtasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries())
        window.__longtasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(baseUrl);
  await page.getByRole('heading', { name: 'AutoML Studio' }).waitFor();

  // ---- seed
  // Through the DevTools protocol: the app's CSP refuses inline <script> tags.
  await page.evaluate(await buildSeedScript());
  const t = Date.now();
  const { experimentId } = await page.evaluate(
    (n) => window.trackingSeed.seed(window.trackingSeed.syntheticSearch(n)),
    RUNS,
  );
  results['seed: write runs (s)'] = ((Date.now() - t) / 1000).toFixed(1);
  const store = await page.evaluate((id) => window.trackingSeed.measureSearch(id), experimentId);
  for (const [k, v] of Object.entries(store)) results[`store searchRuns: ${k} (ms)`] = v;
  await page.evaluate(() => window.trackingSeed.close());

  // ---- fresh load of the app
  await page.reload();
  await page.getByRole('heading', { name: 'AutoML Studio' }).waitFor();
  await page.getByTestId('storage-usage').waitFor();

  let t0 = await now(page);
  results['experiments list: first render after tab click (ms)'] = ms(
    await page.evaluate(async () => {
      const start = performance.now();
      (document.querySelector('[data-testid="nav-experiments"]') as HTMLButtonElement).click();
      while (!document.querySelector('[data-testid="experiment-open"]'))
        await new Promise((r) => requestAnimationFrame(r));
      return performance.now() - start;
    }),
  );
  results['runs table: first rows after opening the experiment (ms)'] = ms(
    await page.evaluate(async () => {
      const start = performance.now();
      (document.querySelector('[data-testid="experiment-open"]') as HTMLButtonElement).click();
      while (!document.querySelector('[data-testid="run-row"]'))
        await new Promise((r) => requestAnimationFrame(r));
      return performance.now() - start;
    }),
  );
  await page.waitForFunction(
    (n) =>
      document.querySelector('[data-testid="runs-count"]')?.textContent ===
      `${n.toLocaleString('en-US')} runs`,
    RUNS + 1,
  );
  results['runs table: all runs loaded (ms since open)'] = ms((await now(page)) - t0);
  results['longest task: opening + loading (ms)'] = ms(await longestSince(page, t0));
  results['DOM rows rendered (virtualised)'] = await page.getByTestId('run-row').count();

  // ---- scroll the table: small steps, then big jumps
  const cdp = process.env.PROFILE ? await context.newCDPSession(page) : null;
  if (cdp) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
  }
  t0 = await now(page);
  const scrolled = await page.evaluate(async () => {
    const vp = document.querySelector('[data-testid="runs-table"]') as HTMLDivElement;
    const frames: number[] = [];
    let last = performance.now();
    const step = async (to: number) => {
      vp.scrollTop = to;
      await new Promise((r) => requestAnimationFrame(r));
      const n = performance.now();
      frames.push(n - last);
      last = n;
    };
    for (let i = 0; i < 150; i++) await step(i * 120);
    for (let i = 0; i < 60; i++) await step(Math.floor((((i * 7919) % 60) / 60) * vp.scrollHeight));
    await step(vp.scrollHeight);
    frames.sort((a, b) => a - b);
    return {
      frames: frames.length,
      p95: frames[Math.floor(frames.length * 0.95)],
      max: frames[frames.length - 1],
    };
  });
  if (cdp) {
    const { profile } = await cdp.send('Profiler.stop');
    const self = new Map<string, number>();
    const dt = profile.timeDeltas ?? [];
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    (profile.samples ?? []).forEach((id, i) => {
      const n = byId.get(id)!;
      const key = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
      self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0) / 1000);
    });
    console.log(
      [...self]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 25)
        .map(([k, v]) => `${v.toFixed(1)} ms  ${k}`)
        .join('\n'),
    );
  }
  results['scroll: frames'] = scrolled.frames;
  results['scroll: p95 frame (ms)'] = ms(scrolled.p95);
  results['scroll: worst frame (ms)'] = ms(scrolled.max);
  results['longest task: scrolling (ms)'] = ms(await longestSince(page, t0));
  if (process.env.DEBUG_LONGTASKS)
    console.log(await page.evaluate((t) => window.__longtasks.filter((e) => e.start >= t), t0), t0);

  // ---- sort by a parameter, by a metric, filter by text
  for (const [label, id] of [
    ['sort by param learning_rate', 'sort-param:learning_rate'],
    ['sort by metric roc_auc', 'sort-metric:roc_auc'],
    ['sort by tag sampler', 'sort-tag:sampler'],
  ] as const) {
    t0 = await now(page);
    const d = await page.evaluate(async (tid) => {
      const start = performance.now();
      (document.querySelector(`[data-testid="${tid}"]`) as HTMLButtonElement).click();
      await new Promise((r) => requestAnimationFrame(r));
      await new Promise((r) => setTimeout(r, 0));
      return performance.now() - start;
    }, id);
    results[`${label}: click to next frame (ms)`] = ms(d);
    results[`longest task: ${label} (ms)`] = ms(await longestSince(page, t0));
  }
  t0 = await now(page);
  await page.getByTestId('runs-filter-text').pressSequentially('gbdt', { delay: 30 });
  await page.waitForFunction(() =>
    /of/.test(document.querySelector('[data-testid="runs-count"]')?.textContent ?? ''),
  );
  results['longest task: typing a text filter (ms)'] = ms(await longestSince(page, t0));
  await page.getByTestId('runs-filter-text').fill('');

  // ---- compare: 3 runs, then every run
  for (const [label, select] of [
    [
      'compare 3 runs',
      async () => {
        await page.evaluate(async () => {
          (document.querySelector('[data-testid="runs-table"]') as HTMLDivElement).scrollTop = 0;
          await new Promise((r) => requestAnimationFrame(r));
        });
        for (let i = 0; i < 3; i++)
          await page
            .getByTestId('run-select')
            .nth(i + 1)
            .check();
      },
    ],
    [
      `compare all ${RUNS + 1} runs`,
      async () => {
        await page.getByTestId('runs-select-all').check();
      },
    ],
  ] as const) {
    await select();
    t0 = await now(page);
    const first = await page.evaluate(async () => {
      const start = performance.now();
      (document.querySelector('[data-testid="compare-button"]') as HTMLButtonElement).click();
      while (!document.querySelector('[data-testid="compare-param-row"]'))
        await new Promise((r) => requestAnimationFrame(r));
      const tables = performance.now() - start;
      while (document.querySelectorAll('[data-testid="chart-parallel"] canvas').length === 0)
        await new Promise((r) => requestAnimationFrame(r));
      return { tables, charts: performance.now() - start };
    });
    await page.waitForTimeout(1500); // let progressive chart rendering finish
    results[`${label}: tables first render (ms)`] = ms(first.tables);
    results[`${label}: first chart drawn (ms)`] = ms(first.charts);
    results[`longest task: ${label} incl. charts (ms)`] = ms(await longestSince(page, t0));
    t0 = await now(page);
    await page.evaluate(async () => {
      for (let i = 0; i < 60; i++) {
        window.scrollTo(0, i * 40);
        await new Promise((r) => requestAnimationFrame(r));
      }
    });
    results[`longest task: scrolling ${label} (ms)`] = ms(await longestSince(page, t0));
    await page.getByTestId('back-to-runs').click();
    await page.getByTestId('runs-select-all').waitFor();
    if (await page.getByTestId('runs-select-all').isChecked())
      await page.getByTestId('runs-select-all').uncheck();
    else
      await page
        .getByRole('button', { name: 'Clear selection' })
        .click()
        .catch(() => undefined);
  }
  if (errors.length) results['page errors'] = errors.join(' | ');
} finally {
  await close();
}

const width = Math.max(...Object.keys(results).map((k) => k.length));
console.log(
  `bench/compare: ${RUNS.toLocaleString('en-US')} child runs + 1 parent, Chromium ${findChromium()}`,
);
for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(width)}  ${v}`);
const first = Number(results['runs table: first rows after opening the experiment (ms)']);
const scroll = Number(results['longest task: scrolling (ms)']);
console.log(
  `\ngoals: first render < 1000 ms: ${first < 1000 ? 'met' : 'MISSED'} (${first} ms); ` +
    `no long task > 100 ms while scrolling: ${scroll <= 100 ? 'met' : 'MISSED'} (${scroll} ms)`,
);
