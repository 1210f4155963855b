/** The last stage: remaining columns → a column-major float32 feature matrix, with a learned layout. */
import type { Column, Table } from '../data/table.ts';
import type { FeatureMatrix } from './types.ts';
import { PipelineError } from './types.ts';
import { categoryLabels, numericValues } from './table-ops.ts';

const F32_MAX = 3.4028234663852886e38;

export interface AssembledFeature {
  readonly name: string;
  /** 'cat' features carry their training vocabulary; codes at predict time are remapped by label. */
  readonly kind: 'num' | 'cat';
  readonly vocab?: readonly string[];
}

export function learnLayout(table: Table): AssembledFeature[] {
  return table.columns.map((c) =>
    c.storage === 'dict'
      ? { name: c.name, kind: 'cat', vocab: [...c.dictionary] }
      : { name: c.name, kind: 'num' },
  );
}

function fillCategorical(col: Column, vocab: readonly string[], out: Float32Array, offset: number): void {
  const { labels, codes } = categoryLabels(col);
  const index = new Map(vocab.map((v, i) => [v, i]));
  const remap = Float32Array.from(labels, (l) => index.get(l) ?? NaN);
  for (let i = 0; i < codes.length; i++) out[offset + i] = codes[i] < 0 ? NaN : remap[codes[i]];
}

export function assemble(
  table: Table,
  layout: readonly AssembledFeature[],
  sources: readonly string[],
): FeatureMatrix {
  const n = table.nRows;
  const byName = new Map(table.columns.map((c) => [c.name, c]));
  const missing = layout.filter((f) => !byName.has(f.name)).map((f) => f.name);
  if (missing.length) {
    throw new PipelineError(
      `the data lacks feature column(s) ${missing.join(', ')} that the pipeline expects`,
    );
  }
  const data = new Float32Array(n * layout.length);
  layout.forEach((f, j) => {
    const col = byName.get(f.name)!;
    if (f.kind === 'cat') fillCategorical(col, f.vocab ?? [], data, j * n);
    else if (col.storage === 'dict') {
      throw new PipelineError(`column '${f.name}' holds text where the model expects numbers`, {
        column: f.name,
      });
    } else {
      const v = numericValues(col, 'assemble');
      // float32 holds up to ±3.4e38: clamp finite values beyond it instead of turning them into ±Infinity
      for (let i = 0; i < n; i++) {
        const x = v[i];
        data[j * n + i] = x > F32_MAX ? F32_MAX : x < -F32_MAX ? -F32_MAX : x;
      }
    }
  });
  return {
    nRows: n,
    nCols: layout.length,
    data,
    featureNames: layout.map((f) => f.name),
    categorical: layout.map((f) => f.kind === 'cat'),
    nCategories: layout.map((f) => (f.kind === 'cat' ? (f.vocab?.length ?? 0) : 0)),
    sources,
  };
}
