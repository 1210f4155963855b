/**
 * Same bits in Node and in Chromium, and the time in each:
 *
 *   npx tsx bench/features/browser.ts [--customers 20000] [--purchases 1000000] [--seed 7] [--depth 2]
 *
 * Bundles browser-entry.ts (the features engine, our CSV ingest and the shop generator) with esbuild,
 * runs it in this Node process and in headless Chromium (about:blank, no app), and compares the SHA-256
 * of the built features.
 */
import { build } from 'esbuild';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { findChromium } from '../../test/e2e/global-setup.ts';
import { runEngine, type EngineRun } from './browser-entry.ts';

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '20000' },
    purchases: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '7' },
    depth: { type: 'string', default: '1' },
  },
});
const opts = {
  customers: Number(values.customers),
  purchases: Number(values.purchases),
  seed: Number(values.seed),
  depth: values.depth === '2' ? (2 as const) : (1 as const),
};
const here = resolve(fileURLToPath(import.meta.url), '..');

const bundle = await build({
  entryPoints: [resolve(here, 'browser-entry.ts')],
  bundle: true,
  format: 'iife',
  globalName: 'FeaturesBench',
  platform: 'browser',
  target: 'es2022',
  write: false,
});
const code = bundle.outputFiles[0].text;

const node = await runEngine(opts);
const browser = await chromium.launch({
  executablePath: findChromium(),
  headless: true,
  args: ['--no-sandbox'],
});
let web: EngineRun;
try {
  const page = await browser.newPage();
  await page.addScriptTag({ content: code });
  web = await page.evaluate(
    (o) =>
      (globalThis as unknown as { FeaturesBench: { runEngine: typeof runEngine } }).FeaturesBench.runEngine(
        o,
      ),
    opts,
  );
} finally {
  await browser.close();
}
const line = (name: string, r: EngineRun): string =>
  `${name.padEnd(9)} ingest ${r.ingestSeconds.toFixed(2)} s, suggest ${r.suggestSeconds.toFixed(2)} s, build ${r.buildSeconds.toFixed(2)} s ` +
  `(${r.features} features, ${r.purchases} purchases, ${r.targetRows} target rows)  sha256 ${r.sha256.slice(0, 16)}…`;
console.log(line('Node', node));
console.log(line('Chromium', web));
console.log(
  node.sha256 === web.sha256 ? 'same bits in Node and Chromium' : 'DIFFERENT bits in Node and Chromium',
);
process.exitCode = node.sha256 === web.sha256 ? 0 : 1;
