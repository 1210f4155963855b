/**
 * The built app served by `vite preview` and a headless Chromium profile, for the benches that
 * drive the UI (bench/compare, bench/soak). The e2e launch recipe (test/e2e/helpers.ts), repeated
 * here so the benches don't load vitest.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { preview } from 'vite';
import { REPO_ROOT } from '../test/helpers/paths.ts';
import { findChromium } from '../test/e2e/global-setup.ts';

/** Chromium's switches for a quiet, offline, headless bench profile (no WebGPU). */
export const BASE_CHROMIUM_ARGS = [
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

const CHROMIUM_ARGS = [...BASE_CHROMIUM_ARGS, '--enable-unsafe-webgpu'];

/** One event of a Chromium performance trace (Tracing.dataCollected), the fields the scale benches read. */
export interface TraceEvent {
  readonly name: string;
  readonly ph: string;
  readonly ts: number;
  readonly dur?: number;
  readonly pid: number;
  readonly tid: number;
  readonly args?: {
    readonly name?: string;
    readonly data?: { readonly functionName?: string; readonly url?: string };
  };
}

export interface BenchBrowser {
  readonly baseUrl: string;
  readonly context: BrowserContext;
  /** Closes the browser and the server and removes the profile. */
  close(): Promise<void>;
}

/** Serves dist/ (build first: `npx vite build`) and opens a fresh persistent Chromium profile. */
export async function openBenchBrowser(name: string): Promise<BenchBrowser> {
  if (!existsSync(resolve(REPO_ROOT, 'dist', 'index.html')))
    throw new Error('no build in dist/: run `npx vite build` first');
  const server = await preview({
    root: REPO_ROOT,
    configFile: resolve(REPO_ROOT, 'vite.config.ts'),
    logLevel: 'warn',
    preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false },
  });
  const baseUrl = server.resolvedUrls?.local[0];
  if (!baseUrl) throw new Error('vite preview reported no URL');
  const profile = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: findChromium(),
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 900 },
  });
  context.setDefaultTimeout(120_000);
  return {
    baseUrl,
    context,
    async close() {
      await context.close();
      await server.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
