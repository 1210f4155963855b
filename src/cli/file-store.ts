/**
 * The CLI's tracking store: the in-memory store, made durable as a JSON-lines journal. Each line is one
 * successful write batch (bytes as base64); opening the file replays the batches. A batch the store
 * rejects is never journaled, so the file only ever holds batches that applied.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TrackingStore } from '../core/tracking/store.ts';
import type { WriteOp } from '../core/tracking/types.ts';
import { createMemoryStore } from '../store/memory.ts';
import { b64, bytesToBase64 } from '../core/util/base64.ts';
import { CliError } from './errors.ts';

export const DEFAULT_STORE = '.automl/tracking.jsonl';

function encode(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? { $bytes: bytesToBase64(value) } : value;
}

function decode(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && '$bytes' in value && Object.keys(value).length === 1) {
    return b64.u8((value as { $bytes: string }).$bytes);
  }
  return value;
}

export async function openFileStore(path: string): Promise<TrackingStore> {
  const store = createMemoryStore();
  if (existsSync(path)) {
    const lines = readFileSync(path, 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].trim();
      if (!line) continue;
      let ops: WriteOp[];
      try {
        ops = (JSON.parse(line, decode) as { ops: WriteOp[] }).ops;
      } catch (err) {
        // a torn last line (the process died while appending) is dropped; anything else is corruption
        if (i >= lines.length - 2) break;
        throw new CliError(`tracking store is damaged: ${(err as Error).message} (${path}, line ${i + 1})`);
      }
      await store.write(ops);
    }
  }
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'write') {
        return async (ops: readonly WriteOp[]) => {
          const result = await target.write(ops);
          mkdirSync(dirname(path), { recursive: true });
          appendFileSync(path, JSON.stringify({ ops }, encode) + '\n');
          return result;
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
