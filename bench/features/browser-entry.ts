/**
 * The same computation in Node and in Chromium (browser.ts bundles this file): generate the shop, read
 * its CSVs with our ingest, suggest the features and build them; returns the SHA-256 of the features as
 * CSV text, so the two runtimes can be compared bit for bit, and the times.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { bytesSource, ingestCsv } from '../../src/core/ingest/index.ts';
import {
  buildFeatures,
  suggestFeatures,
  tableCsvLines,
  withFeatures,
} from '../../src/core/features/index.ts';
import type { Table } from '../../src/core/data/table.ts';
import { generate } from './shop.ts';

export interface EngineRun {
  readonly sha256: string;
  readonly purchases: number;
  readonly targetRows: number;
  readonly features: number;
  readonly ingestSeconds: number;
  readonly suggestSeconds: number;
  readonly buildSeconds: number;
}

export async function runEngine(o: {
  customers: number;
  purchases: number;
  seed: number;
  /** 2: the suggestion adds depth-2 features (the items of each purchase). */
  depth?: 1 | 2;
}): Promise<EngineRun> {
  const g = generate({ ...o, leak: false });
  const enc = new TextEncoder();
  const read = async (name: string): Promise<Table> =>
    (await ingestCsv(bytesSource(name, enc.encode(g.files[name])))).table;
  let t0 = performance.now();
  const tables = {
    customers: await read('customers_train.csv'),
    purchases: await read('purchases.csv'),
    items: await read('items.csv'),
  };
  const ingestSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const s = suggestFeatures(tables, {
    target: 'customers',
    label: 'label',
    cutoff: { column: 'cutoff' },
    ...(o.depth === 2 ? { depth: 2 as const, maxFeatures: 60 } : {}),
  });
  const suggestSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const built = buildFeatures(s.recipe, tables);
  const buildSeconds = (performance.now() - t0) / 1000;
  const csv = [...tableCsvLines(withFeatures(tables.customers, built.features))].join('\n');
  return {
    sha256: bytesToHex(sha256(enc.encode(csv))),
    purchases: tables.purchases.nRows,
    targetRows: tables.customers.nRows,
    features: built.features.columns.length,
    ingestSeconds,
    suggestSeconds,
    buildSeconds,
  };
}
