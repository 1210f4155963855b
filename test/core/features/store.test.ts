/** The feature store's pure parts (src/core/features/store.ts): canonical JSON, hashes, refs, the table codec. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Column, Table } from '../../../src/core/data/table.ts';
import {
  canonicalJson,
  decodeTable,
  encodeTable,
  featureTableKey,
  parseRecipeRef,
  recipeHash,
} from '../../../src/core/features/store.ts';
import { sampleRecipe } from '../../store/feature-store-cases.ts';

const column = (n: number): fc.Arbitrary<Column> =>
  fc.oneof(
    fc.record({
      name: fc.string(),
      type: fc.constant('numeric' as const),
      storage: fc.constant('float64' as const),
      values: fc.array(fc.double(), { minLength: n, maxLength: n }).map((v) => Float64Array.from(v)),
    }),
    fc.record({
      name: fc.string(),
      type: fc.constant('datetime' as const),
      storage: fc.constant('datetime' as const),
      format: fc.string(),
      values: fc.array(fc.double(), { minLength: n, maxLength: n }).map((v) => Float64Array.from(v)),
    }),
    fc.record({
      name: fc.string(),
      type: fc.constant('boolean' as const),
      storage: fc.constant('bool' as const),
      values: fc
        .array(fc.constantFrom(0, 1, 255), { minLength: n, maxLength: n })
        .map((v) => Uint8Array.from(v)),
    }),
    fc.array(fc.string(), { minLength: 1, maxLength: 5 }).chain((dictionary) =>
      fc.record({
        name: fc.string(),
        type: fc.constant('categorical' as const),
        storage: fc.constant('dict' as const),
        dictionary: fc.constant(dictionary),
        codes: fc
          .array(fc.integer({ min: -1, max: dictionary.length - 1 }), { minLength: n, maxLength: n })
          .map((v) => Int32Array.from(v)),
      }),
    ),
  );
const tableArb: fc.Arbitrary<Table> = fc
  .integer({ min: 0, max: 20 })
  .chain((n) => fc.record({ nRows: fc.constant(n), columns: fc.array(column(n), { maxLength: 5 }) }));

const bits = (c: Column) => {
  const x = c.storage === 'dict' ? c.codes : c.values;
  return Array.from(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
};

describe('feature store core', () => {
  it('encodeTable/decodeTable round-trips any table bit for bit (NaN payloads, -0, missing codes)', () => {
    fc.assert(
      fc.property(tableArb, (t) => {
        const back = decodeTable(encodeTable(t));
        expect(back.nRows).toBe(t.nRows);
        expect(back.columns.map((c) => [c.name, c.type, c.storage])).toEqual(
          t.columns.map((c) => [c.name, c.type, c.storage]),
        );
        back.columns.forEach((c, j) => expect(bits(c)).toEqual(bits(t.columns[j])));
      }),
    );
    // A table taken from a larger buffer (subarray views) encodes only its own rows.
    const big = Float64Array.of(1, 2, 3, 4);
    const t: Table = {
      nRows: 2,
      columns: [{ name: 'x', type: 'numeric', storage: 'float64', values: big.subarray(1, 3) }],
    };
    expect(Array.from((decodeTable(encodeTable(t)).columns[0] as { values: Float64Array }).values)).toEqual([
      2, 3,
    ]);
  });

  it('a damaged buffer is a clear error', () => {
    const bytes = encodeTable({
      nRows: 3,
      columns: [{ name: 'x', type: 'numeric', storage: 'float64', values: Float64Array.of(1, 2, 3) }],
    });
    expect(() => decodeTable(bytes.subarray(0, bytes.length - 8), 'table T')).toThrow(
      'table T is damaged: its columns are cut',
    );
    expect(() => decodeTable(Uint8Array.of(1), 'table T')).toThrow('table T is damaged: too short');
  });

  it('canonicalJson sorts keys at every level and is key-order independent', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (o) => {
        const reversed = Object.fromEntries(Object.entries(o).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(o));
        expect(JSON.parse(canonicalJson(o))).toEqual(JSON.parse(JSON.stringify(o)));
      }),
    );
    expect(canonicalJson({ b: [{ d: 1, c: 2 }], a: undefined, z: null })).toBe(
      '{"b":[{"c":2,"d":1}],"z":null}',
    );
  });

  it('recipeHash ignores name and version, and sees every other change', () => {
    const r = sampleRecipe();
    expect(recipeHash({ ...r, name: 'x', version: 9 })).toBe(recipeHash(r));
    expect(recipeHash({ ...r, label: 'other' })).not.toBe(recipeHash(r));
    expect(recipeHash({ ...r, features: r.features.slice(1) })).not.toBe(recipeHash(r));
    expect(recipeHash({ ...r, features: [...r.features].reverse() })).not.toBe(recipeHash(r)); // column order matters
  });

  it('parseRecipeRef: NAME and NAME@VERSION; featureTableKey ignores input order', () => {
    expect(parseRecipeRef('churn')).toEqual({ name: 'churn' });
    expect(parseRecipeRef('churn features@12')).toEqual({ name: 'churn features', version: 12 });
    expect(() => parseRecipeRef('churn@0')).toThrow('must be a whole number ≥ 1');
    expect(() => parseRecipeRef('@2')).toThrow('is not allowed');
    const k = (inputs: Record<string, string>) =>
      featureTableKey({ recipeName: 'a', recipeVersion: 1, inputs });
    expect(k({ x: '1', y: '2' })).toBe(k({ y: '2', x: '1' }));
    expect(k({ x: '1', y: '2' })).not.toBe(k({ x: '1', y: '3' }));
    expect(k({ x: '1' })).toMatch(/^a@1:[0-9a-f]{64}$/);
  });
});
