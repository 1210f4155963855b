/**
 * Parses a stored explain.json for the Explain tab in the explain-parse worker
 * (workers/explain-parse.worker.ts), so the main thread only unpacks typed arrays; where workers
 * are unavailable (or the worker fails to start), it parses on the main thread.
 */
import { unpackJson, type PackedJson } from '../../../core/explain/view-transfer.ts';

type Reply = { id: number; ok: true; packed: PackedJson } | { id: number; ok: false; error: string };

let worker: Worker | null = null;
let nextId = 0;
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

function getWorker(): Worker | null {
  if (worker) return worker;
  if (typeof Worker !== 'function') return null;
  try {
    worker = new Worker(new URL('../../../../workers/explain-parse.worker.ts', import.meta.url), {
      type: 'module',
      name: 'explain-parse',
    });
  } catch {
    return null;
  }
  worker.onmessage = (e: MessageEvent<Reply>) => {
    const p = pending.get(e.data.id);
    if (!p) return;
    pending.delete(e.data.id);
    if (e.data.ok) p.resolve(unpackJson(e.data.packed));
    else p.reject(new Error(e.data.error));
  };
  worker.onerror = (e) => {
    e.preventDefault();
    const failed = [...pending.values()];
    pending.clear();
    worker?.terminate();
    worker = null;
    for (const p of failed) p.reject(new Error(e.message || 'the explain-parse worker failed'));
  };
  return worker;
}

/** The JSON value of `bytes` (UTF-8), parsed off the main thread when possible. */
export function parseJsonOffThread(bytes: Uint8Array): Promise<unknown> {
  const w = getWorker();
  if (!w) return Promise.resolve(JSON.parse(new TextDecoder().decode(bytes)));
  const id = nextId++;
  const copy = bytes.slice().buffer;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.postMessage({ id, bytes: copy }, [copy]);
  });
}
