/**
 * AutoML search on a big file in Chromium (issue 21): drives the built studio served cross-origin
 * isolated (bench/browser.ts), drops a generated file (bench/scale/generate.ts, `$SCALE_DIR`), waits
 * for the profile, accepts the suggested target, sets the time budget, clicks "Start search", waits
 * for the final model and prints, per run:
 *   - trials started / complete / pruned / failed per family (the leaderboard's rows, all of them),
 *   - the best trial's metric and the final model's,
 *   - the search's own elapsed time (manifest `timings.totalSeconds`) against its stated limit
 *     (`budget.statedMaxSeconds` = budget × 1.1, what the page promises),
 *   - the wall time from the click to the shown model, the trial workers, the subsample levels,
 *   - the load average before and after (this machine is shared: wall times are upper bounds).
 * The manifest comes from the model .zip the page offers (the same bundle the run records keep).
 *
 *   npx vite build && npx tsx bench/scale/search.ts [--rows 1000000] [--budget 60] [--runs 1] [--seed 0]
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openBenchBrowser } from '../browser.ts';
import { keepChromiumNiced } from './nice.ts';
import { generateScaleCsv } from './generate.ts';
import { readBundleZip } from '../../src/core/export/zip.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    budget: { type: 'string', default: '60' },
    runs: { type: 'string', default: '1' },
    seed: { type: 'string', default: '0' },
  },
});
const ROWS = Number(values.rows);
const BUDGET = Number(values.budget);
const DIR = process.env.SCALE_DIR ?? join(tmpdir(), 'automl-scale');

interface Manifest {
  metric: string;
  split: { rows: number; subsample?: { rows: number[]; trainRows: number } };
  execution: { workers: number };
  budget: { seconds?: number; statedMaxSeconds?: number };
  stoppedBy: string;
  final: { kind: string; members: { trial: number; resource: number }[] };
  timings: { searchSeconds: number; refitSeconds: number; totalSeconds: number; tail?: unknown };
  replay: unknown[];
  clock: { cuts: { reason: string }[]; refit?: unknown; rescue?: unknown };
}

interface Result {
  byFamily: Map<string, Record<string, number>>;
  best: string;
  finalMetric: string;
  manifest: Manifest;
  wallS: number;
  profileS: number;
  load: string;
  facts: string;
}

const load = (): string =>
  loadavg()
    .slice(0, 1)
    .map((l) => l.toFixed(1))
    .join('');

async function run(path: string): Promise<Result> {
  const loadBefore = load();
  const b = await openBenchBrowser('scale-search');
  const stopNice = keepChromiumNiced('bench-scale-search'); // Chromium resets its own priorities
  try {
    const page = await b.context.newPage();
    page.on('pageerror', (e) => console.error(`  page error: ${e.message}`));
    await page.goto(b.baseUrl);
    await page.getByRole('heading', { name: 'AutoML Studio' }).waitFor();
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
    const target = await page.getByTestId('target-select').inputValue();
    console.error(`  profile shown in ${profileS.toFixed(1)} s; suggested target ${target}`);
    await page.getByTestId('nav-train').click();
    await page.getByTestId('search-panel').waitFor();
    await page.getByTestId('budget-select').selectOption(String(BUDGET));
    if (values.seed !== '0') await page.getByTestId('seed-input').fill(values.seed);
    const t1 = performance.now();
    await page.getByTestId('search-start').click();
    // When each phase was first shown (read, backend, search, refit, bundle), from the click.
    const phases: string[] = [];
    let polling = true;
    const poll = (async () => {
      while (polling) {
        const ph = await page
          .getByTestId('search-progress')
          .getAttribute('data-phase', { timeout: 1000 })
          .catch(() => null);
        if (ph && !phases.some((p) => p.startsWith(`${ph} `)))
          phases.push(`${ph} ${((performance.now() - t1) / 1000).toFixed(1)} s`);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    await page.getByTestId('search-results').waitFor({ timeout: (BUDGET * 3 + 300) * 1000 });
    const wallS = (performance.now() - t1) / 1000;
    polling = false;
    await poll;
    console.error(
      `  phases first shown (from the click): ${phases.join(', ')}; model shown ${wallS.toFixed(1)} s`,
    );
    const facts = ((await page.getByTestId('search-facts').textContent()) ?? '').replace(/\s+/g, ' ');
    const showAll = page.getByRole('button', { name: /^Show all \d+ trials$/ });
    if (await showAll.count()) await showAll.click();
    const rows = await page.getByTestId('leaderboard-row').evaluateAll((trs) =>
      trs.map((tr) => ({
        state: tr.getAttribute('data-state') ?? '?',
        family: tr.children[2]?.textContent?.trim() ?? '?',
        value: tr.querySelector('[data-testid="leaderboard-value"]')?.textContent?.trim() ?? '',
        trial: Number(tr.getAttribute('data-trial')),
        time: tr.querySelector('[data-testid="leaderboard-time"]')?.textContent?.trim() ?? '',
      })),
    );
    for (const r of [...rows].sort((a, b) => a.trial - b.trial))
      console.error(`  trial ${r.trial} ${r.family} ${r.state} ${r.value} ${r.time}`);
    const byFamily = new Map<string, Record<string, number>>();
    for (const r of rows) {
      const f = byFamily.get(r.family) ?? {};
      f[r.state] = (f[r.state] ?? 0) + 1;
      byFamily.set(r.family, f);
    }
    const best = rows.find((r) => r.state === 'COMPLETE' && r.value)?.value ?? '—';
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('search-download-zip').getByTestId('download-zip').click(),
    ]);
    const files = readBundleZip(new Uint8Array(readFileSync((await download.path())!)));
    const manifest = (JSON.parse(files['manifest.json']) as { search: Manifest }).search;
    const finalMetric =
      (await page
        .getByTestId('best-so-far')
        .getAttribute('data-final')
        .catch(() => null)) ?? '—';
    return {
      byFamily,
      best,
      finalMetric,
      manifest,
      wallS,
      profileS,
      load: `${loadBefore} → ${load()}`,
      facts,
    };
  } finally {
    stopNice();
    await b.close();
  }
}

mkdirSync(DIR, { recursive: true });
const path = join(DIR, `scale-${ROWS}.csv`);
if (!existsSync(path)) generateScaleCsv(path, ROWS);
const f = (n: number | undefined, d = 1): string => (n === undefined ? '—' : n.toFixed(d));
const lines: string[] = [];
for (let i = 0; i < Number(values.runs); i++) {
  console.error(`${ROWS.toLocaleString('en-US')} rows, ${BUDGET} s budget, run ${i + 1}…`);
  const r = await run(path);
  const m = r.manifest;
  console.error(`  ${r.facts}`);
  console.error(
    `  split ${JSON.stringify(m.split)}; final ${m.final.kind} ${JSON.stringify(m.final.members)}; ` +
      `cuts ${m.clock.cuts.length}; refit ${JSON.stringify(m.clock.refit ?? null)}; rescue ${JSON.stringify(m.clock.rescue ?? null)}; ` +
      `tail ${JSON.stringify(m.timings.tail ?? null)}`,
  );
  let complete = 0;
  const fams: string[] = [];
  const started: string[] = [];
  for (const [fam, c] of r.byFamily) {
    const n = Object.values(c).reduce((a, b) => a + b, 0);
    complete += c.COMPLETE ?? 0;
    started.push(`${fam} ${n}`);
    fams.push(`${fam} ${c.COMPLETE ?? 0}/${c.PRUNED ?? 0}/${c.FAILED ?? 0}`);
  }
  const familiesComplete = [...r.byFamily.values()].filter((c) => (c.COMPLETE ?? 0) > 0).length;
  const limit = m.budget.statedMaxSeconds;
  lines.push(
    `| ${ROWS.toLocaleString('en-US')} | ${BUDGET} s | ${m.replay.length} (${started.join(', ')}) | ${complete} in ${familiesComplete} families | ${fams.join('; ')} | ${m.metric} ${r.best} (final ${r.finalMetric === '—' ? '—' : Number(r.finalMetric).toFixed(4)}) | ${f(m.timings.totalSeconds)} / ${f(limit)} s ${m.timings.totalSeconds <= (limit ?? Infinity) ? 'within' : 'OVER'} | ${f(r.wallS)} | ${m.execution.workers} | ${m.split.subsample?.rows.join(' / ') ?? '—'} | ${r.load} |`,
  );
}
console.log(
  '| rows | budget | trials started (per family) | complete | per family complete/pruned/failed | best trial (final model) | search elapsed / stated limit | click → model shown s | workers | subsample levels | load average before → after |',
);
console.log('|---:|---:|---|---|---|---|---|---:|---:|---|---|');
for (const l of lines) console.log(l);
