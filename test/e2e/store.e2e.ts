/**
 * The tracking store in real Chromium over real IndexedDB: the shared contract suite, crash
 * recovery after the browser is closed mid-search, and the quota error. Builds its own small page
 * (test/fixtures/store/e2e-page) with Vite and serves it on a free port; Chromium comes from the
 * e2e global setup (`inject('chromiumPath')`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths.ts';
import { CHROMIUM_ARGS } from './helpers.ts';

let server: PreviewServer;
let baseUrl = '';
let outDir = '';
const profiles: string[] = [];

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'store-e2e-dist-'));
  await build({
    configFile: false,
    root: resolve(REPO_ROOT, 'test/fixtures/store/e2e-page'),
    base: './',
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, target: 'es2022', minify: false },
  });
  server = await preview({
    configFile: false,
    root: dirname(outDir), // preview refuses root === outDir
    logLevel: 'warn',
    build: { outDir },
    preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false },
  });
  baseUrl = server.resolvedUrls?.local[0] ?? '';
  expect(baseUrl).not.toBe('');
});

afterAll(async () => {
  await server?.close();
  rmSync(outDir, { recursive: true, force: true });
  for (const p of profiles) rmSync(p, { recursive: true, force: true });
});

function newProfile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'store-e2e-profile-'));
  profiles.push(dir);
  return dir;
}

async function launch(profile: string): Promise<BrowserContext> {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: inject('chromiumPath'),
    headless: true,
    args: CHROMIUM_ARGS,
  });
  context.setDefaultTimeout(60_000);
  return context;
}

async function openPage(context: BrowserContext, errors: string[]): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
  });
  await page.goto(baseUrl);
  await page.locator('#status', { hasText: 'ready' }).waitFor();
  return page;
}

describe('tracking store in Chromium (real IndexedDB)', () => {
  it('passes the shared store contract', async () => {
    const context = await launch(newProfile());
    const errors: string[] = [];
    try {
      const page = await openPage(context, errors);
      const results = await page.evaluate(() => window.storeE2E.runContract());
      expect(results.length).toBeGreaterThan(10);
      expect(results.filter((r) => !r.ok)).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('passes the shared feature store contract (recipes and materialized tables, issue 20)', async () => {
    const context = await launch(newProfile());
    const errors: string[] = [];
    try {
      const page = await openPage(context, errors);
      const results = await page.evaluate(() => window.storeE2E.runFeatureContract());
      expect(results.length).toBeGreaterThan(8);
      expect(results.filter((r) => !r.ok)).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('closing the browser mid-search keeps completed trials; RUNNING runs become FAILED interrupted', async () => {
    const profile = newProfile();
    const errors: string[] = [];
    const first = await launch(profile);
    const page = await openPage(first, errors);
    await page.evaluate(() => window.storeE2E.startSearch());
    await page.waitForFunction(() => window.storeE2E.progress.completed >= 3, undefined, { timeout: 60_000 });
    const completedBefore = await page.evaluate(() => window.storeE2E.progress.completed);
    await first.close(); // abrupt: the search loop is mid-trial

    const second = await launch(profile);
    try {
      const page2 = await openPage(second, errors);
      const res = (await page2.evaluate(() => window.storeE2E.recover())) as {
        interrupted: number;
        again: number;
        persisted: boolean;
        persistedNow: boolean;
        usage: {
          usedBytes: number | null;
          quotaBytes: number | null;
          blobBytes: number;
          persisted: boolean | null;
        };
        runs: {
          name: string;
          parent: string | null;
          state: string;
          error: { reason: string } | null;
          steps: number[];
          artifacts: number;
        }[];
      };
      const trials = res.runs.filter((r) => r.parent !== null);
      const complete = trials.filter((r) => r.state === 'COMPLETE');
      const failed = res.runs.filter((r) => r.state === 'FAILED');
      // completed trials are intact: all 5 steps and the model artifact, written atomically with the end
      expect(complete.length).toBeGreaterThanOrEqual(completedBefore);
      for (const r of complete) {
        expect(r.steps).toEqual([0, 1, 2, 3, 4]);
        expect(r.artifacts).toBe(1);
      }
      // the search (parent) and the trial that was running are now FAILED 'interrupted'
      expect(res.runs.some((r) => r.state === 'RUNNING')).toBe(false);
      expect(failed.length).toBe(res.interrupted);
      expect(res.interrupted).toBeGreaterThanOrEqual(1);
      expect(failed.every((r) => r.error?.reason === 'interrupted')).toBe(true);
      expect(failed.some((r) => r.parent === null && r.name === 'search')).toBe(true);
      // an interrupted trial kept what it had flushed, and never shows a half-finished end
      for (const r of failed.filter((x) => x.parent !== null))
        expect([[], [0, 1, 2]]).toContainEqual(r.steps);
      expect(res.again).toBe(0);
      // persistence was requested and usage is reported
      expect(typeof res.persisted).toBe('boolean');
      expect(res.usage.persisted).toBe(res.persistedNow);
      expect(res.usage.blobBytes).toBeGreaterThanOrEqual(1000);
      expect(res.usage.usedBytes).toBeGreaterThan(0);
      expect(res.usage.quotaBytes).toBeGreaterThan(res.usage.usedBytes ?? 0);
      expect(errors).toEqual([]);
    } finally {
      await second.close();
    }
  });

  it('QuotaExceededError: clear message, nothing already stored is lost', async () => {
    const context = await launch(newProfile());
    try {
      const page = await openPage(context, []);
      const res = (await page.evaluate(() => window.storeE2E.quota())) as {
        code: string;
        message: string;
        history: number;
        b: unknown;
        a: number[];
      };
      expect(res.code).toBe('QUOTA_EXCEEDED');
      expect(res.message).toMatch(
        /^Browser storage is full \(.+ used of .+\): the last 2 write\(s\) were not saved\. Everything saved earlier is intact\./,
      );
      expect(res.history).toBe(0);
      expect(res.b).toBeNull();
      expect(res.a).toEqual([1, 2, 3]);
    } finally {
      await context.close();
    }
  });

  it('runs table stays fast at 10,000 runs (indexed metric sort, paging, filters)', async () => {
    const context = await launch(newProfile());
    try {
      const page = await openPage(context, []);
      const r = (await page.evaluate(() => window.storeE2E.scale(10_000))) as Record<
        string,
        number | boolean | string
      >;
      console.log('10k runs timings (ms):', JSON.stringify(r));
      expect(r.count).toBe(10_000);
      expect(r.firstSorted).toBe(true);
      expect(r.deepIds).toBe(50);
      expect(r.deepLastMissing).toBe(true); // 1,000 runs without the metric come last
      expect(r.defaultFirst).toBe('t009999');
      expect(r.filteredOk).toBe(true);
      expect(r.paramFirst).toBe(7);
      // generous bounds for a 2-core CI machine; typical numbers are far lower
      expect(r.metricFirstMs).toBeLessThan(1500);
      expect(r.metricDeepMs).toBeLessThan(1500);
      expect(r.defaultMs).toBeLessThan(500);
      expect(r.filteredMs).toBeLessThan(2000);
      expect(r.countMs).toBeLessThan(500);
    } finally {
      await context.close();
    }
  });
});
