/**
 * Issue 21, "no main-thread task over 100 ms", at the first visit: the entry module the page evaluates
 * before its first screen holds only the Data screen; every other screen (and the related-tables
 * panel, and the chart library) is its own chunk, loaded when first shown (src/ui/components/Lazy.svelte).
 * Checks the build (what the entry pulls in statically, and its size), that the first visit fetches no
 * screen chunk, that each screen then loads — offline too, from the service worker's precache — and
 * that a chunk that cannot be loaded says so and can be retried.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths.ts';
import { launchBrowser, openStudio, waitForDataset, type Browser } from './helpers.ts';

const DIST = resolve(REPO_ROOT, process.env.E2E_DIST_DIR ?? 'dist');

/**
 * The chunks loaded on demand, by the name rolldown gives them (the module's file name), and the
 * screen each one draws. None may be part of the entry's static module graph.
 */
const SCREENS = [
  { chunk: 'TrainScreen', nav: 'nav-train', screen: 'train-screen' },
  { chunk: 'ExperimentsScreen', nav: 'nav-experiments', screen: 'experiments-screen' },
  { chunk: 'ModelsScreen', nav: 'nav-models', screen: 'models-screen' },
  { chunk: 'ScoreTab', nav: 'nav-score', screen: 'score-tab' },
  { chunk: 'MonitorScreen', nav: 'nav-monitor', screen: 'monitor-screen' },
] as const;
const LAZY_CHUNKS = [...SCREENS.map((s) => s.chunk), 'FeaturesPanel', 'echarts', 'echarts-tracking'];

/**
 * What the first visit evaluates before the first screen: the entry module and every chunk it
 * imports statically, in bytes. The entry (the studio's own code for the Data screen, the stores and
 * Svelte's runtime) was 455 KB in one module before the screens were split off; now about 180 KB.
 */
const FIRST_VISIT_LIMIT_BYTES = 250_000;

/** The entry chunk's file (from index.html) and its static import graph (file names under assets/). */
function entryGraph(): { entry: string; files: string[]; bytes: number } {
  const html = readFileSync(resolve(DIST, 'index.html'), 'utf8');
  const entry = /<script type="module"[^>]*src="\.\/assets\/([^"]+\.js)"/.exec(html)?.[1];
  if (!entry) throw new Error(`no module script in ${DIST}/index.html`);
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(resolve(DIST, 'assets', file), 'utf8');
    // static imports only: `import{…}from"./x.js"`, `import"./x.js"` (never `import("./x.js")`)
    for (const m of code.matchAll(/(?:\bfrom|\bimport)\s*["'`]\.\/([^"'`]+\.js)["'`]/g)) visit(m[1]);
  };
  visit(entry);
  const files = [...seen];
  const bytes = files.reduce((s, f) => s + readFileSync(resolve(DIST, 'assets', f)).length, 0);
  return { entry, files, bytes };
}

const chunkName = (file: string): string => file.replace(/-[\w-]{8}\.js$/, '');

describe('the entry chunk (build)', () => {
  it('leaves the screens, the related-tables panel and ECharts to chunks of their own', () => {
    expect(existsSync(resolve(DIST, 'index.html')), `no build in ${DIST}`).toBe(true);
    const { files } = entryGraph();
    const assets = readFileSync(resolve(DIST, 'sw.js'), 'utf8');
    for (const name of LAZY_CHUNKS) {
      // a chunk of that name exists (the module is split off) …
      const chunk = new RegExp(`assets/${name}-[\\w-]{8}\\.js`).exec(assets)?.[0];
      expect(chunk, `${name}: no chunk of its own (precached by the service worker)`).toBeDefined();
      // … and the entry does not import it statically
      expect(files.map(chunkName), `${name} is in the entry's static graph`).not.toContain(name);
    }
  });

  it(`keeps what the first visit evaluates under ${FIRST_VISIT_LIMIT_BYTES / 1000} KB`, () => {
    const { entry, files, bytes } = entryGraph();
    expect(bytes, `${entry} and its static imports: ${files.join(', ')}`).toBeLessThan(
      FIRST_VISIT_LIMIT_BYTES,
    );
  });
});

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** The chunk files fetched so far (page requests, by name without the hash). */
function recordChunks(page: import('playwright-core').Page): string[] {
  const seen: string[] = [];
  page.on('request', (r) => {
    const m = /\/assets\/([^/?]+\.js)/.exec(r.url());
    if (m && r.resourceType() === 'script') seen.push(chunkName(m[1]));
  });
  return seen;
}

describe('screens loaded on first use', () => {
  it('the first visit fetches no screen chunk; each screen loads when shown, offline too', async () => {
    const studio = await openStudio(browser.context);
    const { page } = studio;
    // (openStudio waited for the header: the Data screen's own content is there too)
    await page.getByTestId('file-input').waitFor({ state: 'attached' });
    const entry = entryGraph();
    const firstVisit = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
    const fetched = firstVisit
      .map((u) => /\/assets\/([^/?]+\.js)$/.exec(u)?.[1])
      .filter((f): f is string => f !== undefined && !f.includes('worker'));
    for (const f of entry.files) expect(fetched).toContain(f);
    for (const name of LAZY_CHUNKS) expect(fetched.map(chunkName)).not.toContain(name);

    // the service worker took control (first visit) and precached every chunk
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      if (!navigator.serviceWorker.controller)
        await new Promise<void>((resolve) =>
          navigator.serviceWorker.addEventListener('controllerchange', () => resolve(), { once: true }),
        );
    });
    await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller?.state)).toBe('activated');

    // offline from here on: every screen's chunk comes from the precache
    await browser.context.setOffline(true);
    await page.reload();
    await page.getByRole('heading', { name: 'AutoML Studio' }).waitFor();
    const chunks = recordChunks(page);
    const served: string[] = [];
    page.on('response', (r) => void (!r.fromServiceWorker() && served.push(`${r.status()} ${r.url()}`)));
    await page.locator('[data-testid="sample"][data-sample="penguins"]').click();
    await waitForDataset(page, 'penguins.csv');
    for (const s of SCREENS) {
      expect(chunks, `${s.chunk} fetched before its screen was shown`).not.toContain(s.chunk);
      await page.getByTestId(s.nav).click();
      await page.getByTestId(s.screen).waitFor();
      expect(chunks).toContain(s.chunk);
    }
    expect(await page.getByTestId('lazy-loading').count()).toBe(0);
    expect(await page.getByTestId('lazy-failed').count()).toBe(0);
    expect(served).toEqual([]);
    studio.assertNoErrors();
    await browser.context.setOffline(false);
    await page.close();
  });

  it('a screen whose chunk cannot be loaded says so, and loads on "Try again"', async () => {
    const other = await launchBrowser(); // no service worker yet: the chunk comes from the network
    try {
      const blocked = /\/assets\/ExperimentsScreen-[\w-]{8}\.js/;
      await other.context.route(blocked, (route) => route.abort('internetdisconnected'));
      const studio = await openStudio(other.context);
      const { page } = studio;
      await page.getByTestId('nav-experiments').click();
      const failed = page.getByTestId('lazy-failed');
      await failed.waitFor();
      expect(await failed.getAttribute('role')).toBe('alert');
      expect(await failed.textContent()).toMatch(/The Experiments screen could not be loaded \(.+\)/);
      expect(await page.getByTestId('experiments-screen').count()).toBe(0);
      // the rest of the studio still works
      await page.getByTestId('nav-data').click();
      await page.locator('[data-testid="sample"][data-sample="penguins"]').click();
      await waitForDataset(page, 'penguins.csv');

      await other.context.unroute(blocked);
      await page.getByTestId('nav-experiments').click();
      await page.getByTestId('lazy-retry').click();
      await page.getByTestId('experiments-screen').waitFor();
      expect(await failed.count()).toBe(0);
      // the one failed load is the only error the page reported
      studio.assertNoErrors(/ExperimentsScreen|Failed to load resource|net::ERR_INTERNET_DISCONNECTED/);
    } finally {
      await other.close();
    }
  });
});
