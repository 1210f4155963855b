/**
 * Ahead-of-time build of the CLI: src/cli/main.ts and the trial worker bundled by esbuild into
 * dist-cli/*.mjs (ES modules for Node 20; npm packages stay external and load from node_modules), so
 * that the installed command (`automl-studio`, package.json "bin") starts without transpiling
 * TypeScript. Run by `npm run build:cli`, which `npm ci` / `npm install` run as `prepare`.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './scorer-build.ts';

const outdir = join(REPO_ROOT, 'dist-cli');
const esbuild = await import('esbuild');
rmSync(outdir, { recursive: true, force: true });
const t0 = performance.now();
await esbuild.build({
  absWorkingDir: REPO_ROOT,
  entryPoints: { main: 'src/cli/main.ts', 'trial-worker': 'src/cli/trial-worker.ts' },
  outdir,
  outExtension: { '.js': '.mjs' },
  // Shared code in chunks beside the entries, so that `new URL('./trial-worker.mjs', import.meta.url)`
  // from any chunk names the worker entry.
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
});
process.stderr.write(`built the CLI into dist-cli/ in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
