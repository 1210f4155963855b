/** Node-side adapters for the pure core: files as re-openable byte sources, SHA-256 from node:crypto. */
import { createReadStream, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { ByteSource, IncrementalHasher } from '../core/ingest/types.ts';
import { IngestError } from '../core/ingest/types.ts';

export function fileSource(path: string): ByteSource {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new IngestError('io', 'is a directory, not a file', { file: path });
    size = st.size;
  } catch (err) {
    if (err instanceof IngestError) throw err;
    throw new IngestError('io', `cannot read file: ${ioReason(err)}`, { file: path });
  }
  return {
    name: basename(path),
    size,
    async *open() {
      const stream = createReadStream(path, { highWaterMark: 1 << 20 });
      try {
        for await (const chunk of stream) yield chunk as Uint8Array;
      } catch (err) {
        throw new IngestError('io', `cannot read file: ${ioReason(err)}`, { file: path });
      }
    },
  };
}

export function nodeHasher(): IncrementalHasher {
  const h = createHash('sha256');
  return {
    update: (bytes) => void h.update(bytes),
    digestHex: () => h.digest('hex'),
  };
}

function ioReason(err: unknown): string {
  const code = (err as { code?: string } | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a file';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}
