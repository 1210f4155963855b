/**
 * The ONNX exporter's own protobuf writer, decoded back by a tiny independent reader written here
 * (varints, tags, length-delimited fields, fixed32/64): property tests over random values.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DT, ProtoWriter, writeTensor } from '../../../src/core/export/onnx/protobuf.ts';

interface Field {
  field: number;
  wire: number;
  value: bigint | Uint8Array;
}

/** Reads one varint at `pos` as an unsigned 64-bit BigInt. */
function readVarint(b: Uint8Array, pos: number): [bigint, number] {
  let v = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= b.length) throw new Error('truncated varint');
    const byte = b[pos++];
    v |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
    if ((byte & 0x80) === 0) return [v, pos];
    if (shift > 63n) throw new Error('varint longer than 10 bytes');
  }
}

function readFields(b: Uint8Array): Field[] {
  const out: Field[] = [];
  let pos = 0;
  while (pos < b.length) {
    let key: bigint;
    [key, pos] = readVarint(b, pos);
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      let v: bigint;
      [v, pos] = readVarint(b, pos);
      out.push({ field, wire, value: v });
    } else if (wire === 2) {
      let len: bigint;
      [len, pos] = readVarint(b, pos);
      const end = pos + Number(len);
      if (end > b.length) throw new Error('length past the end');
      out.push({ field, wire, value: b.slice(pos, end) });
      pos = end;
    } else if (wire === 5 || wire === 1) {
      const n = wire === 5 ? 4 : 8;
      out.push({ field, wire, value: b.slice(pos, pos + n) });
      pos += n;
    } else throw new Error(`wire type ${wire}`);
  }
  return out;
}

const asInt64 = (v: bigint) => BigInt.asIntN(64, v);

describe('ProtoWriter', () => {
  it('varints decode back to the number (int64 two’s complement for negatives)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 536_870_911 }),
        fc.oneof(
          fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
          fc.maxSafeInteger(),
          fc.constantFrom(0, 1, 127, 128, 16383, 16384, -1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER),
        ),
        (field, n) => {
          const bytes = new ProtoWriter().int(field, n).finish();
          const [f] = readFields(bytes);
          expect(f.field).toBe(field);
          expect(f.wire).toBe(0);
          expect(asInt64(f.value as bigint)).toBe(BigInt(n));
          // a non-negative varint takes ceil(bits / 7) bytes; a negative one 10
          const [, end] = readVarint(bytes, 0);
          const len = bytes.length - end;
          expect(len).toBe(n < 0 ? 10 : Math.max(1, Math.ceil(n.toString(2).length / 7)));
        },
      ),
    );
  });

  it('bigint varints cover the whole int64 / uint64 range', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n }), (n) => {
        const [f] = readFields(new ProtoWriter().int(3, n).finish());
        expect(f.value).toBe(BigInt.asUintN(64, n));
      }),
    );
    expect(() => new ProtoWriter().varint(1n << 64n)).toThrow(RangeError);
    expect(() => new ProtoWriter().varint(0.5)).toThrow(RangeError);
  });

  it('strings, nested messages and packed arrays round-trip with their lengths', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'binary', maxLength: 300 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), { maxLength: 200 }),
        fc.array(fc.float({ noNaN: true }), { maxLength: 100 }),
        (texts, ints, floats) => {
          const w = new ProtoWriter();
          for (const t of texts) w.string(1, t);
          w.message(2, (m) => m.packedInts(8, ints).packedFloats(7, floats));
          w.double(4, Math.PI);
          const fields = readFields(w.finish());
          const strings = fields.filter((f) => f.field === 1);
          expect(strings.map((f) => new TextDecoder().decode(f.value as Uint8Array))).toEqual(
            texts.map((t) => new TextDecoder().decode(new TextEncoder().encode(t))),
          );
          const nested = readFields(fields.find((f) => f.field === 2)!.value as Uint8Array);
          const packed = nested.find((f) => f.field === 8);
          if (ints.length === 0) expect(packed).toBeUndefined();
          else {
            const bytes = packed!.value as Uint8Array;
            const back: bigint[] = [];
            for (let pos = 0; pos < bytes.length;) {
              let v: bigint;
              [v, pos] = readVarint(bytes, pos);
              back.push(asInt64(v));
            }
            expect(back).toEqual(ints.map(BigInt));
          }
          const fl = nested.find((f) => f.field === 7);
          if (floats.length) {
            const view = new DataView((fl!.value as Uint8Array).buffer);
            expect(Array.from({ length: floats.length }, (_, i) => view.getFloat32(i * 4, true))).toEqual(
              floats.map(Math.fround),
            );
          }
          const d = fields.find((f) => f.field === 4)!;
          expect(d.wire).toBe(1);
          expect(new DataView((d.value as Uint8Array).buffer).getFloat64(0, true)).toBe(Math.PI);
        },
      ),
    );
  });

  it('a double tensor keeps every value bit for bit in raw_data, with its dims', () => {
    fc.assert(
      fc.property(fc.array(fc.double(), { minLength: 1, maxLength: 50 }), (values) => {
        const w = new ProtoWriter();
        writeTensor(w, { name: 't', dims: [values.length], type: DT.DOUBLE, data: values });
        const fields = readFields(w.finish());
        expect(fields.find((f) => f.field === 2)!.value).toBe(BigInt(DT.DOUBLE));
        const raw = fields.find((f) => f.field === 9)!.value as Uint8Array;
        const view = new DataView(raw.buffer);
        const back = values.map((_, i) => view.getFloat64(i * 8, true));
        back.forEach((v, i) => expect(Object.is(v, values[i])).toBe(true));
      }),
    );
    expect(() => writeTensor(new ProtoWriter(), { dims: [2, 2], type: DT.DOUBLE, data: [1, 2, 3] })).toThrow(
      /3 values for dims \[2, 2\]/,
    );
  });
});
