/** The byte source behind a worker's load input: a File/Blob streamed, or transferred bytes in chunks. */
import { bytesSource } from '../src/core/ingest/index.ts';
import type { ByteSource } from '../src/core/ingest/types.ts';
import type { LoadInput } from './types.ts';

/** Chunk size for in-memory bytes (ingest yields to the event loop between chunks, so cancel gets in). */
const CHUNK = 1 << 20;

export function sourceOf(input: LoadInput): ByteSource {
  if (!(input instanceof Blob)) return bytesSource(input.name, new Uint8Array(input.bytes), CHUNK);
  const file = input;
  return {
    name: file.name,
    size: file.size,
    async *open() {
      const reader = file.stream().getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          yield value;
        }
      } finally {
        reader.releaseLock();
      }
    },
  };
}
