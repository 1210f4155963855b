import {
  bytesSource,
  ingestCsv,
  IngestError,
  type IngestOptions,
  type IngestResult,
} from '../../../src/core/ingest/index.ts';
import { cellText, isMissing, type Column } from '../../../src/core/data/table.ts';
import type { ByteSource } from '../../../src/core/ingest/types.ts';
import { createRng } from '../../../src/core/util/random.ts';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

export function ingestText(
  text: string | Uint8Array,
  options?: IngestOptions,
  name = 'test.csv',
): Promise<IngestResult> {
  return ingestCsv(bytesSource(name, typeof text === 'string' ? enc(text) : text), options);
}

export function col(r: IngestResult, name: string): Column {
  const c = r.table.columns.find((x) => x.name === name);
  if (!c) throw new Error(`no column ${name} in ${r.table.columns.map((x) => x.name).join(', ')}`);
  return c;
}

/** Display texts of a column; missing as null. */
export function texts(r: IngestResult, name: string): (string | null)[] {
  const c = col(r, name);
  return Array.from({ length: r.table.nRows }, (_, i) => (isMissing(c, i) ? null : cellText(c, i)));
}

export function typeOf(r: IngestResult, name: string): string {
  return r.schema.find((s) => s.name === name)!.type;
}

/** Expects the promise to reject with an IngestError of `code`; returns it. */
export async function expectIngestError(p: Promise<unknown>, code: string): Promise<IngestError> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof IngestError))
      throw new Error(`expected IngestError ${code}, got ${String(err)}`, { cause: err });
    if (err.code !== code)
      throw new Error(`expected IngestError ${code}, got ${err.code}: ${err.describe()}`, { cause: err });
    return err;
  }
  throw new Error(`expected IngestError ${code}, but ingest succeeded`);
}

/** A source yielding random-size chunks (seeded): 1..maxChunk bytes. */
export function randomChunkSource(name: string, bytes: Uint8Array, seed: number, maxChunk = 17): ByteSource {
  return {
    name,
    size: bytes.length,
    async *open() {
      const rng = createRng(seed);
      for (let i = 0; i < bytes.length;) {
        const n = 1 + rng.int(maxChunk);
        yield bytes.slice(i, i + n);
        i += n;
      }
    },
  };
}
