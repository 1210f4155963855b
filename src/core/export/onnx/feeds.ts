/**
 * A table's columns as the exported graph's inputs (see export.ts): double arrays for numbers,
 * booleans (1/0) and dates (epoch milliseconds), NaN when missing — float32 arrays for the inputs a
 * `float32` export declares so; strings for categories, '' when missing. For tests, benchmarks and
 * anyone feeding the graph from our reader.
 */
import type { Table } from '../../data/table.ts';
import { cellText, isMissing } from '../../data/table.ts';
import type { InputKind } from './pipeline.ts';

export type OnnxFeed =
  | { readonly kind: 'double'; readonly data: Float64Array }
  | { readonly kind: 'float'; readonly data: Float32Array }
  | { readonly kind: 'string'; readonly data: string[] };

export function onnxFeeds(
  table: Table,
  inputs: readonly { readonly name: string; readonly kind: InputKind }[],
): Record<string, OnnxFeed> {
  const out: Record<string, OnnxFeed> = {};
  for (const input of inputs) {
    const col = table.columns.find((c) => c.name === input.name);
    if (!col) throw new Error(`the data lacks the column '${input.name}' the ONNX graph reads`);
    const n = table.nRows;
    if (input.kind === 'string') {
      const data = new Array<string>(n);
      for (let i = 0; i < n; i++) data[i] = isMissing(col, i) ? '' : cellText(col, i);
      out[input.name] = { kind: 'string', data };
      continue;
    }
    if (col.storage === 'dict')
      throw new Error(`column '${input.name}' holds text but the ONNX graph reads it as numbers`);
    const data = input.kind === 'float' ? new Float32Array(n) : new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (col.storage === 'bool') data[i] = col.values[i] === 255 ? NaN : col.values[i];
      else data[i] = col.values[i];
    }
    out[input.name] = data instanceof Float32Array ? { kind: 'float', data } : { kind: 'double', data: data };
  }
  return out;
}
