/** CSV ingest: public API. */
import type { ByteSource } from './types.ts';

export { ingestCsv } from './ingest.ts';
export * from './types.ts';
export { DEFAULT_NA_TOKENS } from './na.ts';
export { MAX_COLUMNS, MAX_FIELD_BYTES } from './limits.ts';

/** An in-memory source; `chunkSize` splits the bytes into chunks of that size (default: one chunk). */
export function bytesSource(name: string, bytes: Uint8Array, chunkSize?: number): ByteSource {
  return {
    name,
    size: bytes.length,
    async *open() {
      if (!chunkSize || chunkSize >= bytes.length) {
        if (bytes.length) yield bytes;
        return;
      }
      for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, i + chunkSize);
    },
  };
}
