/**
 * Parses a stored explain.json for the Explain tab in the explain-parse worker
 * (workers/explain-parse.worker.ts), so the main thread only unpacks typed arrays; the worker also
 * returns the beeswarm's colour bins per column (src/core/explain/colour-bins.ts). Where workers are
 * unavailable (or the worker fails to start), it parses on the main thread.
 */
import { colourBins } from '../../../core/explain/colour-bins.ts';
import { unpackJson, type PackedJson } from '../../../core/explain/view-transfer.ts';

/** Colour bins by column name (the same for every class of a multiclass view). */
export type ColourBinsByColumn = ReadonlyMap<string, Uint8Array>;

interface Parsed {
  readonly value: unknown;
  readonly bins: ColourBinsByColumn;
}

type Reply =
  | { id: number; ok: true; packed: PackedJson; bins: { columns: string[]; data: Uint8Array[] } }
  | { id: number; ok: false; error: string };

let worker: Worker | null = null;
let nextId = 0;
const pending = new Map<number, { resolve: (v: Parsed) => void; reject: (e: Error) => void }>();

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
    if (e.data.ok) {
      const { columns, data } = e.data.bins;
      p.resolve({
        value: unpackJson(e.data.packed),
        bins: new Map(columns.map((c, i) => [c, data[i]!])),
      });
    } else p.reject(new Error(e.data.error));
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

/**
 * The colour bins of a view's columns (`values` in its importance order), computed here: for a view
 * computed just now (a few hundred rows) rather than read from the store.
 */
export function binsOfView(view: {
  importance: readonly { column: string }[];
  sample: { values: readonly (readonly (number | null)[])[] };
}): ColourBinsByColumn {
  return new Map(view.sample.values.map((vs, c) => [view.importance[c]!.column, colourBins(vs)]));
}

/** The JSON value of `bytes` (UTF-8) and, for an Explain view, its colour bins; parsed off the main thread when possible. */
export function parseViewOffThread(bytes: Uint8Array): Promise<Parsed> {
  const w = getWorker();
  if (!w) {
    const value = JSON.parse(new TextDecoder().decode(bytes)) as Parameters<typeof binsOfView>[0] & {
      kind?: string;
    };
    return Promise.resolve({
      value,
      bins: value?.kind === 'automl-studio-explain-view' ? binsOfView(value) : new Map(),
    });
  }
  const id = nextId++;
  const copy = bytes.slice().buffer;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.postMessage({ id, bytes: copy }, [copy]);
  });
}
