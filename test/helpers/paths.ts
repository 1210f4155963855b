import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (this file is test/helpers/paths.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The few real datasets vendored in the repository (`test/fixtures/datasets`, licenses in its
 * LICENSE.md), so that `npm test` needs nothing beside the clone.
 */
export const VENDORED_DATASETS_DIR = resolve(REPO_ROOT, 'test', 'fixtures', 'datasets');

/**
 * The full benchmark datasets folder when present: `DATASETS_DIR`, else `../shared/datasets` beside
 * the repo (as on CI); undefined when neither holds a `datasets.json`. When `DATASETS_DIR` is set it
 * must be valid (a wrong setting is an error, not a silent fallback).
 */
export function sharedDatasetsDir(): string | undefined {
  const fromEnv = process.env.DATASETS_DIR;
  if (fromEnv) {
    if (!existsSync(resolve(fromEnv, 'datasets.json'))) {
      throw new Error(`DATASETS_DIR=${fromEnv} holds no datasets.json: point it at shared/datasets`);
    }
    return fromEnv;
  }
  const beside = resolve(REPO_ROOT, '..', 'shared', 'datasets');
  return existsSync(resolve(beside, 'datasets.json')) ? beside : undefined;
}

/**
 * The datasets folder whose `datasets.json` a test iterates: the full shared folder when present,
 * else the vendored subset — with one note on stderr, so a run without `../shared` says what it
 * did not check.
 */
export function datasetsDir(): string {
  const shared = sharedDatasetsDir();
  if (shared) return shared;
  if (!noted) {
    noted = true;
    process.stderr.write(
      `note: ../shared/datasets not found (set DATASETS_DIR): dataset-wide checks ran on the ` +
        `vendored subset in ${VENDORED_DATASETS_DIR} only\n`,
    );
  }
  return VENDORED_DATASETS_DIR;
}
let noted = false;

/**
 * One file of a named dataset: the vendored copy when the repository has it (tests are then
 * self-contained), else the shared folder's — with a clear error when neither has it.
 */
export function datasetFile(
  name: string,
  file: 'train.csv' | 'test.csv' | 'meta.json' = 'train.csv',
): string {
  const vendored = resolve(VENDORED_DATASETS_DIR, name, file);
  if (existsSync(vendored)) return vendored;
  const shared = sharedDatasetsDir();
  const path = shared ? resolve(shared, name, file) : undefined;
  if (path && existsSync(path)) return path;
  throw new Error(
    `dataset ${name}/${file} is neither vendored (${VENDORED_DATASETS_DIR}) nor in the shared ` +
      `datasets folder (${shared ?? 'not found: set DATASETS_DIR or put shared/ beside the repo'})`,
  );
}

/** The benchmark scoring script (vendored beside the datasets). */
export function scorePy(): string {
  return resolve(VENDORED_DATASETS_DIR, 'score.py');
}
