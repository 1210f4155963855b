/**
 * What a test needs to write a bundle with createBundleFiles / createSearchBundleFiles: a fixed
 * environment and the dataset record of a table (fixed fingerprint, the table's schema).
 */
import type { Table } from '../../src/core/data/table.ts';

export const TEST_ENV = {
  app: { name: 'automl-studio', version: 'test', commit: 'abc123' },
  runtime: 'vitest',
  libraries: {},
  backend: { name: 'cpu', reason: 'trees' },
  createdAt: '2026-01-01T00:00:00.000Z',
};

export function datasetOf(t: Table, name = 'train.csv') {
  return {
    name,
    fingerprint: {
      sha256: 'a'.repeat(64),
      bytes: 1,
      rows: t.nRows,
      columns: t.columns.length,
      schemaHash: 'b'.repeat(64),
    },
    schema: t.columns.map((c, index) => ({
      name: c.name,
      originalName: c.name,
      index,
      type: c.type,
      inferredType: c.type,
      overridden: false,
    })) as never,
  };
}
