import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (this file is test/helpers/paths.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The shared datasets folder: `DATASETS_DIR`, else `../shared/datasets` beside the repo (as on CI).
 * Throws a clear error rather than letting tests skip silently.
 */
export function datasetsDir(): string {
  const dir = process.env.DATASETS_DIR ?? resolve(REPO_ROOT, '..', 'shared', 'datasets');
  if (!existsSync(resolve(dir, 'datasets.json'))) {
    throw new Error(`datasets not found at ${dir}: set DATASETS_DIR to the shared/datasets folder`);
  }
  return dir;
}

export function datasetFile(
  name: string,
  file: 'train.csv' | 'test.csv' | 'meta.json' = 'train.csv',
): string {
  return resolve(datasetsDir(), name, file);
}
