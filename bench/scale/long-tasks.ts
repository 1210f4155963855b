/**
 * Main-thread long tasks on the data path (issue 21: "no main-thread task over 100 ms"), in Chromium:
 * drop a generated file (bench/scale/generate.ts) → profile shown → dataset kept in IndexedDB →
 * reload → reopened. A PerformanceObserver installed before the page's own scripts (so the reload's
 * first tasks count too) records every 'longtask' and every 'long-animation-frame' with the scripts
 * that ran in it (function, source, duration), labelled with the phase the page was in. Prints each
 * task over the threshold and a summary line per phase.
 *
 *   npx vite build && npx tsx bench/scale/long-tasks.ts [rows] [thresholdMs]   (default: 300000 100)
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { openBenchBrowser } from '../browser.ts';
import { generateScaleCsv } from './generate.ts';

const ROWS = Number(process.argv[2] ?? 300_000);
const THRESHOLD = Number(process.argv[3] ?? 100);
const DIR = process.env.SCALE_DIR ?? join(tmpdir(), 'automl-scale');

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
    await b.close();
  }
}

await main();
