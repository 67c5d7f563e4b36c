import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

/** ONNX tensor element types used here (values of TensorProto.DataType). */
export const DType = {
  float: 1,
  int32: 6,
  int64: 7,
  bool: 9,
} as const;
export type DTypeCode = (typeof DType)[keyof typeof DType];

export type Dim = number | string;
/** Attribute values: integers become INT, non-integers FLOAT; `{ f }` forces FLOAT. */
export type AttrValue = number | string | number[] | Float32Array | { f: number } | { floats: number[] } | { ints: number[] };

interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
  domain?: string;
  name: string;
}

/**
 * A small builder for ONNX graphs on top of onnx-proto: initializers, nodes with typed
 * attributes, graph inputs/outputs with symbolic dims. `toBytes()` gives the serialized
 * ModelProto. Used by the USE-lite converter and by tests that generate tiny models.
 */
export class GraphBuilder {
  private readonly nodes: NodeSpec[] = [];
  private readonly inits: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(readonly graphName: string) {}

  /** A fresh unique tensor name with the given prefix. */
  fresh(prefix: string): string {
    let name = prefix;
    while (this.names.has(name)) name = `${prefix}_${++this.counter}`;
    this.names.add(name);
    return name;
  }

  input(name: string, elemType: DTypeCode, dims: Dim[]): string {
    this.names.add(name);
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  output(name: string, elemType: DTypeCode, dims: Dim[]): void {
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /** A float32 initializer (stored as raw little-endian bytes). */
  floatInit(prefix: string, data: Float32Array | number[], dims: number[]): string {
    const arr = data instanceof Float32Array ? data : Float32Array.from(data);
    assertSize(prefix, arr.length, dims);
    const name = this.fresh(prefix);
    this.inits.push({ name, dataType: DType.float, dims, rawData: bytesOf(arr) });
    return name;
  }

  int64Init(prefix: string, data: number[], dims: number[]): string {
    assertSize(prefix, data.length, dims);
    const name = this.fresh(prefix);
    const arr = BigInt64Array.from(data.map((v) => BigInt(v)));
    this.inits.push({ name, dataType: DType.int64, dims, rawData: bytesOf(arr) });
    return name;
  }

  int32Init(prefix: string, data: number[], dims: number[]): string {
    assertSize(prefix, data.length, dims);
    const name = this.fresh(prefix);
    this.inits.push({ name, dataType: DType.int32, dims, rawData: bytesOf(Int32Array.from(data)) });
    return name;
  }

  /** Adds a node; returns its output names (fresh ones derived from `op` unless given). */
  node(op: string, inputs: string[], opts: { outputs?: string[] | number; attrs?: Record<string, AttrValue>; domain?: string; name?: string } = {}): string[] {
    let outputs: string[];
    if (Array.isArray(opts.outputs)) {
      outputs = opts.outputs;
      for (const o of outputs) this.names.add(o);
    } else {
      const count = opts.outputs ?? 1;
      const base = opts.name ?? op;
      outputs = Array.from({ length: count }, (_, i) => this.fresh(count === 1 ? base : `${base}_out${i}`));
    }
    this.nodes.push({ op, inputs, outputs, attrs: opts.attrs ?? {}, domain: opts.domain, name: this.fresh(`node_${opts.name ?? op}`) });
    return outputs;
  }

  /** Adds a single-output node and returns the output name. */
  op(op: string, inputs: string[], attrs?: Record<string, AttrValue>, name?: string, domain?: string): string {
    return this.node(op, inputs, { attrs, name, domain })[0]!;
  }

  toBytes(opts: { opsets: Record<string, number>; producer?: string; docString?: string; metadata?: Record<string, string> }): Uint8Array {
    const graph: onnxProto.onnx.IGraphProto = {
      name: this.graphName,
      node: this.nodes.map((n) => ({
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        name: n.name,
        domain: n.domain ?? "",
        attribute: Object.entries(n.attrs).map(([k, v]) => attribute(k, v)),
      })),
      initializer: this.inits,
      input: this.inputs,
      output: this.outputs,
    };
    const model: onnxProto.onnx.IModelProto = {
      irVersion: 8,
      producerName: opts.producer ?? "poq",
      producerVersion: "1",
      docString: opts.docString ?? "",
      opsetImport: Object.entries(opts.opsets).map(([domain, version]) => ({ domain, version })),
      metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph,
    };
    return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
  }
}

function assertSize(name: string, length: number, dims: number[]): void {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (expected !== length) throw new RangeError(`initializer ${name}: ${length} values for dims [${dims.join(", ")}]`);
}

function bytesOf(arr: Float32Array | Int32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
}

function valueInfo(name: string, elemType: DTypeCode, dims: Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

const AT = onnx.AttributeProto.AttributeType;

function attribute(name: string, v: AttrValue): onnxProto.onnx.IAttributeProto {
  if (typeof v === "string") return { name, type: AT.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === "number") {
    return Number.isInteger(v) ? { name, type: AT.INT, i: v } : { name, type: AT.FLOAT, f: v };
  }
  if (v instanceof Float32Array) return { name, type: AT.FLOATS, floats: Array.from(v) };
  if (Array.isArray(v)) return { name, type: AT.INTS, ints: v };
  if ("f" in v) return { name, type: AT.FLOAT, f: v.f };
  if ("floats" in v) return { name, type: AT.FLOATS, floats: v.floats };
  return { name, type: AT.INTS, ints: v.ints };
}

