/**
 * Main-thread long tasks on the data path (issue 21: "no main-thread task over 100 ms"), in Chromium:
 * drop a generated file (bench/scale/generate.ts) → profile shown → dataset kept in IndexedDB →
 * reload → reopened. A PerformanceObserver installed before the page's own scripts (so the reload's
 * first tasks count too) records every 'longtask' and every 'long-animation-frame' with the scripts
 * that ran in it (function, source, duration), labelled with the phase the page was in. Prints each
 * task over the threshold and a summary line per phase.
 *
 *   npx vite build && npx tsx bench/scale/long-tasks.ts [rows] [thresholdMs] [--trace]   (default: 300000 100)
 *
 * --trace: also records a Chromium trace of the drop→profile phase and prints, for every main-thread
 * task over the threshold, where its time went (self time per trace event: script, style, layout,
 * paint…), to tell a slow script from a forced layout.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { openBenchBrowser, type TraceEvent } from '../browser.ts';
import { keepChromiumNiced } from './nice.ts';
import { generateScaleCsv } from './generate.ts';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const TRACE = process.argv.includes('--trace');
const ROWS = Number(args[0] ?? 300_000);
const THRESHOLD = Number(args[1] ?? 100);
const DIR = process.env.SCALE_DIR ?? join(tmpdir(), 'automl-scale');

/** Each main-thread task over `threshold` ms: its length and its self time per event name, largest first. */
export function taskBreakdown(
  events: readonly TraceEvent[],
  threshold: number,
): { start: number; ms: number; parts: [string, number][] }[] {
  // the renderer's main thread: the thread named CrRendererMain with the most tasks
  const names = events.filter(
    (e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain',
  );
  const tasks = (pid: number, tid: number) =>
    events.filter((e) => e.pid === pid && e.tid === tid && e.ph === 'X' && e.name === 'RunTask');
  const main = names
    .map((n) => ({ pid: n.pid, tid: n.tid, n: tasks(n.pid, n.tid).length }))
    .sort((a, b) => b.n - a.n)[0];
  if (!main) return [];
  const onMain = events
    .filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && e.dur !== undefined)
    .sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
  const t0 = onMain.length ? onMain[0].ts : 0;
  const out: { start: number; ms: number; parts: [string, number][] }[] = [];
  for (let i = 0; i < onMain.length; i++) {
    const task = onMain[i];
    if (task.name !== 'RunTask' || task.dur! / 1000 <= threshold) continue;
    const end = task.ts + task.dur!;
    // self time per event: its duration minus its direct children's (events nest by time on a thread)
    const self = new Map<string, number>();
    const stack: { name: string; end: number }[] = [];
    let j = i + 1;
    const label = (e: TraceEvent) =>
      e.name === 'FunctionCall' && e.args?.data?.functionName
        ? `FunctionCall ${e.args.data.functionName}`
        : e.name;
    const add = (name: string, us: number) => self.set(name, (self.get(name) ?? 0) + us);
    add('RunTask', task.dur!);
    stack.push({ name: 'RunTask', end });
    for (; j < onMain.length && onMain[j].ts < end; j++) {
      const e = onMain[j];
      while (stack.length && e.ts >= stack[stack.length - 1].end) stack.pop();
      const parent = stack[stack.length - 1];
      if (parent) add(parent.name, -e.dur!);
      const name = label(e);
      add(name, e.dur!);
      stack.push({ name, end: e.ts + e.dur! });
    }
    const parts = [...self.entries()]
      .map(([n, us]): [string, number] => [n, us / 1000])
      .filter(([, ms]) => ms >= 1)
      .sort((a, b) => b[1] - a[1]);
    out.push({ start: (task.ts - t0) / 1000, ms: task.dur! / 1000, parts });
  }
  return out;
}

interface Entry {
  readonly kind: 'longtask' | 'loaf';
  readonly phase: string;
  readonly start: number;
  readonly duration: number;
  readonly scripts: string[];
}

/**
 * Runs in the page before its scripts (addInitScript goes through CDP, not through the CSP). A string,
 * not a function: tsx would wrap a function's inner closures in a `__name` helper the page lacks.
 */
const OBSERVE = `(() => {
  window.__phase = 'load';
  window.__entries = [];
  const push = (kind, e, scripts) =>
    window.__entries.push({ kind, phase: window.__phase, start: e.startTime, duration: e.duration, scripts });
  new PerformanceObserver((l) => {
    for (const e of l.getEntries()) push('longtask', e, []);
  }).observe({ type: 'longtask', buffered: true });
  try {
    new PerformanceObserver((l) => {
      for (const e of l.getEntries())
        push('loaf', e, (e.scripts || []).map((s) =>
          Math.round(s.duration) + ' ms ' + s.invokerType + ' ' + s.invoker + ' ' + s.sourceFunctionName +
          ' @ ' + String(s.sourceURL).replace(/^.*\\//, '') + ':' + s.sourceCharPosition));
    }).observe({ type: 'long-animation-frame', buffered: true });
  } catch {}
})();`;

async function main(): Promise<void> {
  mkdirSync(DIR, { recursive: true });
  const path = join(DIR, `scale-${ROWS}.csv`);
  if (!existsSync(path)) generateScaleCsv(path, ROWS);
  const b = await openBenchBrowser('longtasks');
  const stopNice = keepChromiumNiced('bench-longtasks'); // Chromium resets its own priorities
  try {
    await b.context.addInitScript(OBSERVE);
    const page = await b.context.newPage();
    await page.goto(b.baseUrl);
    await page.getByRole('heading', { name: 'AutoML Studio' }).waitFor();
    await page.waitForTimeout(1000);
    const setPhase = (p: string): Promise<void> =>
      page.evaluate((x) => void ((window as unknown as { __phase: string }).__phase = x), p);
    const take = (): Promise<Entry[]> =>
      page.evaluate(() => (window as unknown as { __entries: Entry[] }).__entries.splice(0));
    const all: Entry[] = await take();

    await setPhase('drop→profile');
    const cdp = TRACE ? await page.context().newCDPSession(page) : null;
    const traced: TraceEvent[] = [];
    if (cdp) {
      cdp.on('Tracing.dataCollected', (e) => void traced.push(...(e.value as unknown as TraceEvent[])));
      await cdp.send('Tracing.start', {
        categories: 'devtools.timeline,disabled-by-default-devtools.timeline,toplevel,blink,v8.execute',
        transferMode: 'ReportEvents',
      });
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
    }
    const t0 = performance.now();
    await page.getByTestId('file-input').setInputFiles(path);
    const offer = page.getByTestId('sample-offer');
    const name = page.getByTestId('dataset-name');
    await Promise.race([offer.waitFor({ timeout: 600_000 }), name.waitFor({ timeout: 600_000 })]);
    if (await offer.isVisible()) await page.getByTestId('offer-whole').click();
    await name.waitFor({ timeout: 600_000 });
    await page.getByTestId('load-progress').waitFor({ state: 'detached', timeout: 600_000 });
    await page.getByTestId('schema-row').first().waitFor();
    const profileS = (performance.now() - t0) / 1000;
    if (cdp) {
      await page.waitForTimeout(2000); // the preview's rows after the first paint
      const { profile } = await cdp.send('Profiler.stop');
      const cpuFile = join(DIR, `long-tasks-${ROWS}.cpuprofile`);
      writeFileSync(cpuFile, JSON.stringify(profile));
      console.log(`page CPU profile of drop→profile (+2 s): ${cpuFile}`);
      const done = new Promise<void>((r) => cdp.once('Tracing.tracingComplete', () => r()));
      await cdp.send('Tracing.end');
      await done;
      console.log(`trace of drop→profile (+2 s): main-thread tasks over ${THRESHOLD} ms, self time by event`);
      for (const t of taskBreakdown(traced, THRESHOLD))
        console.log(
          `  ${Math.round(t.ms)} ms at ${Math.round(t.start)}: ` +
            t.parts
              .slice(0, 8)
              .map(([n, ms]) => `${n} ${Math.round(ms)}`)
              .join(', '),
        );
    }
    await setPhase('persist');
    await page.locator('[data-testid="stored-dataset"]').first().waitFor({ timeout: 600_000 });
    await page.waitForTimeout(500);
    const keptS = (performance.now() - t0) / 1000;
    all.push(...(await take()));

    const t1 = performance.now();
    await page.reload(); // the init script runs again: phase 'load' → reopen
    await page.evaluate(() => void ((window as unknown as { __phase: string }).__phase = 'reopen'));
    await page.getByTestId('reopened').waitFor({ timeout: 600_000 });
    await page.getByTestId('schema-row').first().waitFor();
    const reopenS = (performance.now() - t1) / 1000;
    await page.waitForTimeout(1000);
    all.push(...(await take()).map((e) => (e.phase === 'load' ? { ...e, phase: 'reload' } : e)));

    console.log(
      `${ROWS.toLocaleString('en-US')} rows: profile shown ${profileS.toFixed(1)} s, kept ${keptS.toFixed(1)} s, reopen ${reopenS.toFixed(1)} s`,
    );
    for (const e of all.filter((x) => x.duration > THRESHOLD)) {
      console.log(
        `${e.kind.padEnd(8)} ${e.phase.padEnd(14)} ${Math.round(e.duration)} ms at ${Math.round(e.start)}`,
      );
      for (const s of e.scripts) console.log(`    ${s}`);
    }
    console.log(
      `${all.length} entries (${all.filter((e) => e.kind === 'loaf').length} long animation frames)`,
    );
    const phases = [...new Set(all.map((e) => e.phase))];
    console.log('\n| phase | long tasks > 50 ms | over ' + THRESHOLD + ' ms | longest ms |');
    console.log('|---|---:|---:|---:|');
    for (const p of phases) {
      const t = all.filter((e) => e.kind === 'longtask' && e.phase === p);
      console.log(
        `| ${p} | ${t.length} | ${t.filter((e) => e.duration > THRESHOLD).length} | ${Math.round(Math.max(0, ...t.map((e) => e.duration)))} |`,
      );
    }
  } finally {
    stopNice();
    await b.close();
  }
}

await main();
