/**
 * Explain-parse worker: decodes and parses a stored explain.json (megabytes for a 10,000-row view)
 * off the page's main thread and sends it back packed (src/core/explain/view-transfer.ts): long
 * arrays as transferred Float64Arrays and joined strings. One request per message:
 * `{ id, bytes }` → `{ id, ok: true, packed }` or `{ id, ok: false, error }`.
 */
import { packJson } from '../src/core/explain/view-transfer.ts';

self.onmessage = (e: MessageEvent<{ id: number; bytes: ArrayBuffer }>) => {
  const { id, bytes } = e.data;
  try {
    const packed = packJson(JSON.parse(new TextDecoder().decode(bytes)));
    self.postMessage(
      { id, ok: true, packed },
      { transfer: packed.numbers.map((f) => f.buffer as ArrayBuffer) },
    );
  } catch (err) {
    self.postMessage({ id, ok: false, error: (err as Error)?.message ?? String(err) });
  }
};
