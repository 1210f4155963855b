/** Running a bundle's standalone scorer (predict.mjs) the way a user would: extracted, no node_modules. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, parse } from 'node:path';
import { expect } from 'vitest';
import { readBundleZip } from '../../src/core/export/zip.ts';

/** Extracts a bundle zip into a fresh temp folder with no node_modules anywhere above it. */
export function extractBundle(zip: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'automl-mjs-')), 'bundle');
  mkdirSync(dir);
  for (let d = dir; ; d = dirname(d)) {
    expect(existsSync(join(d, 'node_modules'))).toBe(false);
    if (d === parse(d).root) break;
  }
  for (const [name, text] of Object.entries(readBundleZip(new Uint8Array(readFileSync(zip)))))
    writeFileSync(join(dir, name), text);
  return dir;
}

/** `node predict.mjs …` in the extracted folder, with nothing but PATH in its environment. */
export function runPredictMjs(dir: string, args: string[]) {
  return spawnSync(process.execPath, ['predict.mjs', ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
    maxBuffer: 64 << 20,
  });
}
