/** Builds `seed-entry.ts` (and the real Dexie store it imports) into one IIFE script, in memory. */
import { resolve } from 'node:path';
import { build } from 'vite';
import { REPO_ROOT } from '../../test/helpers/paths.ts';

export async function buildSeedScript(): Promise<string> {
  const out = await build({
    configFile: false,
    logLevel: 'warn',
    root: REPO_ROOT,
    build: {
      write: false,
      target: 'es2022',
      minify: false,
      lib: {
        entry: resolve(REPO_ROOT, 'bench/compare/seed-entry.ts'),
        formats: ['iife'],
        name: 'trackingSeedLib',
      },
    },
  });
  const outputs = (Array.isArray(out) ? out : [out]) as { output: { type: string; code?: string }[] }[];
  const chunk = outputs[0].output.find((o) => o.type === 'chunk');
  if (!chunk?.code) throw new Error('seed script build produced no code');
  return chunk.code;
}
