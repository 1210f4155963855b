/**
 * The last file a worker read, with the type choices it was read with: previewing the pipeline and
 * then training or searching (or doing it again) reads the file once. A File crossing postMessage
 * is a new object each time, so it is recognised by name, size and modification time.
 */
import { ingestCsv } from '../src/core/ingest/index.ts';
import type { IngestResult } from '../src/core/ingest/types.ts';
import { sourceOf } from './source.ts';
import type { LoadInput, TypeOverrides } from './types.ts';

let cached: { key: string; data: Promise<IngestResult> } | null = null;

export function readData(input: LoadInput, typeOverrides: TypeOverrides): Promise<IngestResult> {
  const key =
    input instanceof Blob
      ? JSON.stringify([input.name, input.size, (input as File).lastModified ?? 0, typeOverrides])
      : null;
  if (key !== null && cached?.key === key) return cached.data;
  const data = ingestCsv(sourceOf(input), { typeOverrides });
  if (key !== null) {
    cached = { key, data };
    data.catch(() => {
      if (cached?.data === data) cached = null;
    });
  }
  return data;
}
