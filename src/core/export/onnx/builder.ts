/**
 * Building an ONNX graph: fresh tensor names, constants (initializers, shared when equal), nodes,
 * and small helpers for the operators the exporter uses (ai.onnx opset 17, ai.onnx.ml opset 3).
 */
import { StudioError } from '../../errors.ts';
import {
  DT,
  type AttributeValue,
  type DataType,
  type GraphValue,
  type NodeValue,
  type TensorValue,
  type ValueInfo,
} from './protobuf.ts';

export const ONNX_OPSET = 17;
export const ONNX_ML_OPSET = 3;
export const ML_DOMAIN = 'ai.onnx.ml';

/** No faithful ONNX translation exists for this part of the model: the message names it. */
export class OnnxExportError extends StudioError {
  readonly kind = 'input';
  /** The pipeline step or model family that was refused. */
  readonly what: string;
  constructor(what: string, message: string) {
    super(message);
    this.name = 'OnnxExportError';
    this.what = what;
  }
}

export const attr = {
  int: (value: number): AttributeValue => ({ kind: 'int', value }),
  float: (value: number): AttributeValue => ({ kind: 'float', value }),
  string: (value: string): AttributeValue => ({ kind: 'string', value }),
  ints: (value: ArrayLike<number>): AttributeValue => ({ kind: 'ints', value }),
  floats: (value: ArrayLike<number>): AttributeValue => ({ kind: 'floats', value }),
  strings: (value: readonly string[]): AttributeValue => ({ kind: 'strings', value }),
  tensor: (value: TensorValue): AttributeValue => ({ kind: 'tensor', value }),
};

export class GraphBuilder {
  readonly nodes: NodeValue[] = [];
  readonly initializers: TensorValue[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  private counter = 0;
  private readonly constants = new Map<string, string>();
  private readonly reserved: ReadonlySet<string>;

  /** `reserved`: names the graph's inputs and outputs use, never given to an intermediate tensor. */
  constructor(reserved: Iterable<string>) {
    this.reserved = new Set(reserved);
  }

  fresh(hint: string): string {
    let name: string;
    do name = `_${hint}_${this.counter++}`;
    while (this.reserved.has(name));
    return name;
  }

  /** A constant tensor, shared with an equal one made before. */
  constant(type: DataType, dims: readonly number[], data: ArrayLike<number> | readonly string[]): string {
    const key = `${type}|${dims.join(',')}|${
      type === DT.STRING ? JSON.stringify(data) : Array.from(data as ArrayLike<number>, String).join(',')
    }`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = this.fresh('c');
    this.initializers.push({ name, type, dims, data });
    this.constants.set(key, name);
    return name;
  }

  double(values: number | ArrayLike<number>, dims?: readonly number[]): string {
    const data = typeof values === 'number' ? [values] : values;
    return this.constant(DT.DOUBLE, dims ?? (typeof values === 'number' ? [] : [data.length]), data);
  }

  int64(values: number | ArrayLike<number>, dims?: readonly number[]): string {
    const data = typeof values === 'number' ? [values] : values;
    return this.constant(DT.INT64, dims ?? (typeof values === 'number' ? [] : [data.length]), data);
  }

  node(
    opType: string,
    inputs: readonly string[],
    attributes: Record<string, AttributeValue> = {},
    opts: { domain?: string; outputs?: number; name?: string; output?: string } = {},
  ): string[] {
    const n = opts.outputs ?? 1;
    const outputs =
      opts.output !== undefined
        ? [opts.output]
        : Array.from({ length: n }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push({
      opType,
      inputs,
      outputs,
      attributes,
      ...(opts.domain ? { domain: opts.domain } : {}),
      ...(opts.name ? { name: opts.name } : {}),
    });
    return outputs;
  }

  op(opType: string, inputs: readonly string[], attributes: Record<string, AttributeValue> = {}): string {
    return this.node(opType, inputs, attributes)[0];
  }

  // ---- helpers (double tensors unless said) ----
  add = (a: string, b: string) => this.op('Add', [a, b]);
  sub = (a: string, b: string) => this.op('Sub', [a, b]);
  mul = (a: string, b: string) => this.op('Mul', [a, b]);
  div = (a: string, b: string) => this.op('Div', [a, b]);
  isNaN = (a: string) => this.op('IsNaN', [a]);
  where = (cond: string, a: string, b: string) => this.op('Where', [cond, a, b]);
  cast = (a: string, to: DataType) => this.op('Cast', [a], { to: attr.int(to) });
  /** Rows to [-1, width]. */
  reshape = (a: string, dims: readonly number[]) => this.op('Reshape', [a, this.int64(dims)]);
  /** Columns `indices` of a [N, W] tensor. */
  columns = (a: string, indices: readonly number[]) =>
    this.op('Gather', [a, this.int64(indices)], { axis: attr.int(1) });
  concat = (parts: readonly string[], axis = 1) =>
    parts.length === 1 ? parts[0] : this.op('Concat', parts, { axis: attr.int(axis) });

  /** The graph; constants no node reads are left out. */
  graph(name: string, doc?: string): GraphValue {
    const read = new Set(this.nodes.flatMap((n) => n.inputs));
    return {
      name,
      nodes: this.nodes,
      initializers: this.initializers.filter((t) => read.has(t.name!)),
      inputs: this.inputs,
      outputs: this.outputs,
      ...(doc ? { doc } : {}),
    };
  }
}
