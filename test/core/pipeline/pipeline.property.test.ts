import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Column, Table } from '../../../src/core/data/table.ts';
import {
  buildAutoPipeline,
  fitPipeline,
  parsePipeline,
  transformTable,
} from '../../../src/core/pipeline/index.ts';
import { bool, cat, date, num, table } from '../../helpers/table.ts';

type Kind = 'num' | 'int' | 'cat' | 'bool' | 'date' | 'id';

/** A column generator for a kind, n rows, with missing values; categories drawn from `labels`. */
function columnOf(kind: Kind, name: string, n: number, labels: readonly string[]): fc.Arbitrary<Column> {
  const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null, freq: 4 });
  const arr = <T>(a: fc.Arbitrary<T>) => fc.array(a, { minLength: n, maxLength: n });
  switch (kind) {
    case 'num':
      return arr(maybe(fc.double({ min: -1e6, max: 1e6, noNaN: true }))).map((v) => num(name, v));
    case 'int':
      return arr(maybe(fc.integer({ min: -5, max: 5 }))).map((v) => num(name, v, 'integer'));
    case 'cat':
      return arr(maybe(fc.constantFrom(...labels))).map((v) => cat(name, v));
    case 'bool':
      return arr(maybe(fc.boolean())).map((v) => bool(name, v));
    case 'date':
      return arr(maybe(fc.integer({ min: 0, max: 2e12 }).map((ms) => new Date(ms).toISOString()))).map((v) =>
        date(name, v),
      );
    case 'id':
      return fc.constant(
        cat(
          name,
          Array.from({ length: n }, (_, i) => `${name}-${i}`),
          'id',
        ),
      );
  }
}

const schema = fc.array(fc.constantFrom<Kind>('num', 'int', 'cat', 'bool', 'date', 'id'), {
  minLength: 1,
  maxLength: 6,
});

function tableOf(kinds: Kind[], n: number, labels: readonly string[]): fc.Arbitrary<Table> {
  return fc.tuple(...kinds.map((k, j) => columnOf(k, `c${j}_${k}`, n, labels))).map((cols) => table(...cols));
}

/** Training table, a new table with unseen categories, binary target, family. */
const scenario = schema.chain((kinds) =>
  fc.record({
    train: fc.integer({ min: 2, max: 40 }).chain((n) => tableOf(kinds, n, ['a', 'b', 'c', 'x y', '<b>'])),
    fresh: fc.integer({ min: 1, max: 20 }).chain((n) => tableOf(kinds, n, ['a', 'zzz', 'new', '(other)'])),
    family: fc.constantFrom('tree', 'linear', 'neural' as const),
    embeddings: fc.boolean(),
    seed: fc.integer(),
  }),
);

describe('pipeline properties over generated tables', () => {
  it('fit and transform never throw with missing values and unseen categories; output is finite for linear/neural', () => {
    fc.assert(
      fc.property(scenario, ({ train, fresh, family, embeddings, seed }) => {
        const y = Float64Array.from({ length: train.nRows }, (_, i) => i % 2);
        const { spec } = buildAutoPipeline(train, { family, task: 'binary', nClasses: 2, embeddings });
        const { pipeline, matrix } = fitPipeline(spec, train, { y, task: 'binary', seed });
        const out = transformTable(pipeline, fresh);
        expect(out.nRows).toBe(fresh.nRows);
        expect(out.featureNames).toEqual(matrix.featureNames);
        expect(out.data.length).toBe(fresh.nRows * matrix.nCols);
        if (family !== 'tree') {
          // numeric features are finite; only category codes (neural with embeddings) may be missing
          for (const m of [out, matrix]) {
            m.categorical.forEach((isCat, j) => {
              if (isCat) expect(family === 'neural' && embeddings).toBe(true);
              else
                for (let i = 0; i < m.nRows; i++) expect(Number.isFinite(m.data[j * m.nRows + i])).toBe(true);
            });
          }
        }
        // categorical codes stay inside the training vocabulary
        out.categorical.forEach((isCat, j) => {
          if (!isCat) return;
          for (let i = 0; i < out.nRows; i++) {
            const v = out.data[j * out.nRows + i];
            expect(Number.isNaN(v) || (v >= 0 && v < out.nCategories[j])).toBe(true);
          }
        });
      }),
      { numRuns: 150 },
    );
  });

  it('transforming the training table is deterministic and survives a JSON round trip exactly', () => {
    fc.assert(
      fc.property(scenario, ({ train, fresh, family, embeddings, seed }) => {
        const y = Float64Array.from({ length: train.nRows }, (_, i) => (i * 7) % 3);
        const { spec } = buildAutoPipeline(train, { family, task: 'multiclass', nClasses: 3, embeddings });
        const a = fitPipeline(spec, train, { y, task: 'multiclass', seed });
        const b = fitPipeline(spec, train, { y, task: 'multiclass', seed });
        expect(Array.from(a.matrix.data)).toEqual(Array.from(b.matrix.data));
        const restored = parsePipeline(JSON.parse(JSON.stringify(a.pipeline)));
        expect(Array.from(transformTable(restored, fresh).data)).toEqual(
          Array.from(transformTable(a.pipeline, fresh).data),
        );
        expect(Array.from(transformTable(restored, train).data)).toEqual(
          Array.from(transformTable(a.pipeline, train).data),
        );
      }),
      { numRuns: 100 },
    );
  });
});
