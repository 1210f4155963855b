/**
 * A small Protocol Buffers writer (wire format only: varints, length-delimited fields, fixed32/64) and
 * the subset of ONNX's messages the exporter writes (onnx/onnx.proto, IR version 8): ModelProto,
 * OperatorSetIdProto, StringStringEntryProto, GraphProto, NodeProto, AttributeProto, TensorProto,
 * ValueInfoProto, TypeProto.Tensor and TensorShapeProto. Field numbers are those of onnx.proto.
 * Repeated scalars are written packed (every proto2/proto3 parser accepts packed and unpacked forms).
 */

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

const utf8 = new TextEncoder();

/** Appends protobuf-encoded fields to a growing byte buffer. */
export class ProtoWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  /**
   * A varint of a whole number in [-2^63, 2^64): negative numbers as their 64-bit two's complement
   * (10 bytes), as protobuf writes int32/int64 fields.
   */
  varint(value: number | bigint): this {
    if (typeof value === 'number') {
      if (!Number.isInteger(value)) throw new RangeError(`varint: ${value} is not a whole number`);
      if (value >= 0 && value <= Number.MAX_SAFE_INTEGER) {
        let v = value;
        while (v >= 0x80) {
          this.byte((v % 0x80) | 0x80);
          v = Math.floor(v / 0x80);
        }
        this.byte(v);
        return this;
      }
      value = BigInt(value);
    }
    if (value < -(1n << 63n) || value >= 1n << 64n) throw new RangeError(`varint: ${value} is out of range`);
    let v = BigInt.asUintN(64, value);
    while (v >= 0x80n) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
    return this;
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  /** An int32/int64/enum/bool field (always written, even when 0). */
  int(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    return this.varint(value);
  }

  /** A length-delimited field holding raw bytes. */
  bytes(field: number, data: Uint8Array): this {
    this.tag(field, WIRE_BYTES);
    this.varint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
    return this;
  }

  string(field: number, text: string): this {
    return this.bytes(field, utf8.encode(text));
  }

  /** A nested message: `write` fills a fresh writer whose bytes become this field. */
  message(field: number, write: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    write(inner);
    return this.bytes(field, inner.finish());
  }

  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    this.ensure(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 4).setFloat32(0, value, true);
    this.len += 4;
    return this;
  }

  double(field: number, value: number): this {
    this.tag(field, WIRE_FIXED64);
    this.ensure(8);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 8).setFloat64(0, value, true);
    this.len += 8;
    return this;
  }

  /** Repeated varints, packed into one length-delimited field (nothing when empty). */
  packedInts(field: number, values: ArrayLike<number | bigint>): this {
    if (values.length === 0) return this;
    const inner = new ProtoWriter();
    for (let i = 0; i < values.length; i++) inner.varint(values[i]);
    return this.bytes(field, inner.finish());
  }

  /** Repeated float32s, packed (nothing when empty). */
  packedFloats(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    const data = new Uint8Array(values.length * 4);
    const view = new DataView(data.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
    return this.bytes(field, data);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

// ---- ONNX ---------------------------------------------------------------------------------------

/** TensorProto.DataType values used here. */
export const DT = { FLOAT: 1, INT64: 7, STRING: 8, BOOL: 9, DOUBLE: 11 } as const;
export type DataType = (typeof DT)[keyof typeof DT];

/** A constant tensor (an initializer or a tensor attribute). */
export interface TensorValue {
  readonly name?: string;
  readonly dims: readonly number[];
  readonly type: DataType;
  /** FLOAT, DOUBLE: numbers; INT64, BOOL: numbers (whole); STRING: texts. */
  readonly data: ArrayLike<number> | readonly string[];
}

export type AttributeValue =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'ints'; readonly value: ArrayLike<number> }
  | { readonly kind: 'floats'; readonly value: ArrayLike<number> }
  | { readonly kind: 'strings'; readonly value: readonly string[] }
  | { readonly kind: 'tensor'; readonly value: TensorValue };

export interface NodeValue {
  readonly opType: string;
  readonly domain?: string;
  readonly name?: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
}

/** A graph input or output: a tensor of `type` with dims (a number, or a symbolic name such as 'N'). */
export interface ValueInfo {
  readonly name: string;
  readonly type: DataType;
  readonly dims: readonly (number | string)[];
  readonly doc?: string;
}

export interface GraphValue {
  readonly name: string;
  readonly nodes: readonly NodeValue[];
  readonly initializers: readonly TensorValue[];
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly doc?: string;
}

export interface ModelValue {
  readonly irVersion: number;
  readonly opsets: readonly { readonly domain: string; readonly version: number }[];
  readonly producerName: string;
  readonly producerVersion: string;
  readonly doc?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly graph: GraphValue;
}

const ATTR_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7, strings: 8 } as const;

export function writeTensor(w: ProtoWriter, t: TensorValue): void {
  w.packedInts(1, t.dims);
  w.int(2, t.type);
  if (t.name !== undefined) w.string(8, t.name);
  const n = t.data.length;
  const expected = t.dims.reduce((a, b) => a * b, 1);
  if (n !== expected)
    throw new RangeError(`tensor ${t.name ?? ''}: ${n} values for dims [${t.dims.join(', ')}]`);
  if (t.type === DT.STRING) {
    for (const s of t.data as readonly string[]) w.string(6, s);
    return;
  }
  const nums = t.data as ArrayLike<number>;
  let raw: Uint8Array;
  if (t.type === DT.FLOAT) {
    raw = new Uint8Array(n * 4);
    const v = new DataView(raw.buffer);
    for (let i = 0; i < n; i++) v.setFloat32(i * 4, nums[i], true);
  } else if (t.type === DT.DOUBLE) {
    raw = new Uint8Array(n * 8);
    const v = new DataView(raw.buffer);
    for (let i = 0; i < n; i++) v.setFloat64(i * 8, nums[i], true);
  } else if (t.type === DT.INT64) {
    raw = new Uint8Array(n * 8);
    const v = new DataView(raw.buffer);
    for (let i = 0; i < n; i++) v.setBigInt64(i * 8, BigInt(nums[i]), true);
  } else {
    raw = Uint8Array.from(nums, (x) => (x ? 1 : 0));
  }
  w.bytes(9, raw);
}

function writeAttribute(w: ProtoWriter, name: string, a: AttributeValue): void {
  w.string(1, name);
  switch (a.kind) {
    case 'float':
      w.float(2, a.value);
      break;
    case 'int':
      w.int(3, a.value);
      break;
    case 'string':
      w.string(4, a.value);
      break;
    case 'tensor':
      w.message(5, (t) => writeTensor(t, a.value));
      break;
    case 'floats':
      w.packedFloats(7, a.value);
      break;
    case 'ints':
      w.packedInts(8, a.value);
      break;
    case 'strings':
      for (const s of a.value) w.string(9, s);
      break;
  }
  w.int(20, ATTR_TYPE[a.kind]);
}

function writeNode(w: ProtoWriter, n: NodeValue): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name !== undefined) w.string(3, n.name);
  w.string(4, n.opType);
  for (const [k, a] of Object.entries(n.attributes ?? {})) w.message(5, (m) => writeAttribute(m, k, a));
  if (n.domain) w.string(7, n.domain);
}

function writeValueInfo(w: ProtoWriter, v: ValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, v.type);
      tensor.message(2, (shape) => {
        for (const d of v.dims)
          shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
  if (v.doc) w.string(3, v.doc);
}

function writeGraph(w: ProtoWriter, g: GraphValue): void {
  for (const n of g.nodes) w.message(1, (m) => writeNode(m, n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, (m) => writeTensor(m, t));
  if (g.doc) w.string(10, g.doc);
  for (const v of g.inputs) w.message(11, (m) => writeValueInfo(m, v));
  for (const v of g.outputs) w.message(12, (m) => writeValueInfo(m, v));
}

/** The serialized ModelProto (the bytes of a .onnx file). */
export function encodeModel(m: ModelValue): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, m.irVersion);
  w.string(2, m.producerName);
  w.string(3, m.producerVersion);
  if (m.doc) w.string(6, m.doc);
  w.message(7, (g) => writeGraph(g, m.graph));
  for (const o of m.opsets)
    w.message(8, (s) => {
      if (o.domain) s.string(1, o.domain);
      s.int(2, o.version);
    });
  for (const [key, value] of Object.entries(m.metadata ?? {}))
    w.message(14, (e) => e.string(1, key).string(2, value));
  return w.finish();
}
