/**
 * Writes small ONNX models as protobuf bytes, so tests can run onnxruntime-node on graphs whose outputs they
 * know exactly. Covers only what those graphs need: float/int64 initializers, nodes without attributes,
 * tensor inputs and outputs with fixed or named dimensions.
 */

export interface OnnxTensor {
  name: string;
  dims: number[];
  floats: Float32Array;
}

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
}

export interface OnnxValue {
  name: string;
  /** 1 float, 7 int64 (TensorProto.DataType). */
  elemType: 1 | 7;
  /** A number is a fixed size, a string a named (dynamic) dimension. */
  shape: (number | string)[];
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  opset?: number;
}

export function buildOnnxModel(graph: OnnxGraph): Uint8Array {
  const tensor = (t: OnnxTensor) =>
    concat(
      ...t.dims.map((d) => varintField(1, d)),
      varintField(2, 1),
      stringField(8, t.name),
      bytesField(9, new Uint8Array(t.floats.buffer, t.floats.byteOffset, t.floats.byteLength)),
    );
  const node = (n: OnnxNode, i: number) =>
    concat(
      ...n.inputs.map((s) => stringField(1, s)),
      ...n.outputs.map((s) => stringField(2, s)),
      stringField(3, `n${i}`),
      stringField(4, n.op),
    );
  const dim = (d: number | string) => bytesField(1, typeof d === 'number' ? varintField(1, d) : stringField(2, d));
  const value = (v: OnnxValue) =>
    concat(
      stringField(1, v.name),
      bytesField(2, bytesField(1, concat(varintField(1, v.elemType), bytesField(2, concat(...v.shape.map(dim)))))),
    );
  const g = concat(
    ...graph.nodes.map((n, i) => bytesField(1, node(n, i))),
    stringField(2, 'test-graph'),
    ...graph.initializers.map((t) => bytesField(5, tensor(t))),
    ...graph.inputs.map((v) => bytesField(11, value(v))),
    ...graph.outputs.map((v) => bytesField(12, value(v))),
  );
  return concat(
    varintField(1, 8),
    stringField(2, 'taskmem-test'),
    bytesField(7, g),
    bytesField(8, concat(stringField(1, ''), varintField(2, graph.opset ?? 13))),
  );
}

function varint(n: number): Uint8Array {
  const out: number[] = [];
  let v = BigInt(n);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return Uint8Array.from(out);
}

const varintField = (field: number, n: number) => concat(varint(field << 3), varint(n));
const bytesField = (field: number, bytes: Uint8Array) => concat(varint((field << 3) | 2), varint(bytes.length), bytes);
const stringField = (field: number, s: string) => bytesField(field, new TextEncoder().encode(s));

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
