/**
 * Explain-parse worker: decodes and parses a stored explain.json (megabytes for a 10,000-row view)
 * off the page's main thread and sends it back packed (src/core/explain/view-transfer.ts): long
 * arrays as transferred Float64Arrays and joined strings. For an Explain view it also computes the
 * beeswarm's colour bins of every column (src/core/explain/colour-bins.ts: a sort per column), so the
 * page only draws. One request per message: `{ id, bytes }` →
 * `{ id, ok: true, packed, bins: { columns, data } }` or `{ id, ok: false, error }`.
 */
import { colourBins } from '../src/core/explain/colour-bins.ts';
import { packJson } from '../src/core/explain/view-transfer.ts';

/** Each column's colour bins, when `value` is an Explain view (columns in its importance order). */
function binsOf(value: unknown): { columns: string[]; data: Uint8Array[] } {
  const v = value as {
    kind?: unknown;
    importance?: { column: string }[];
    sample?: { values?: (number | null)[][] };
  } | null;
  if (v?.kind !== 'automl-studio-explain-view' || !v.importance || !v.sample?.values)
    return { columns: [], data: [] };
  const values = v.sample.values;
  const columns = v.importance.map((c) => c.column).slice(0, values.length);
  return { columns, data: columns.map((_, c) => colourBins(values[c]!)) };
}

self.onmessage = (e: MessageEvent<{ id: number; bytes: ArrayBuffer }>) => {
  const { id, bytes } = e.data;
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
    const bins = binsOf(parsed);
    const packed = packJson(parsed);
    self.postMessage(
      { id, ok: true, packed, bins },
      {
        transfer: [
          ...packed.numbers.map((f) => f.buffer as ArrayBuffer),
          ...bins.data.map((b) => b.buffer as ArrayBuffer),
        ],
      },
    );
  } catch (err) {
    self.postMessage({ id, ok: false, error: (err as Error)?.message ?? String(err) });
  }
};
