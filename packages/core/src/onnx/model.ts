import protobuf from 'protobufjs/light.js';
import { CairnError, invalidModel } from '../errors.js';
import { onnxDescriptor, ortTypeByDataType, TensorDataType } from './schema.js';

const root = protobuf.Root.fromJSON(onnxDescriptor as unknown as protobuf.INamespace);
const ModelProto = root.lookupType('onnx.ModelProto');
const TensorProto = root.lookupType('onnx.TensorProto');
const ValueInfoProto = root.lookupType('onnx.ValueInfoProto');

// biome-ignore lint/suspicious/noExplicitAny: protobufjs messages are dynamically shaped.
type Message = any;

/** A value type from the graph signature. */
export type ValueType =
  | { kind: 'tensor'; elemType: number; dtype: string; shape: ReadonlyArray<number | string | null> | null }
  | { kind: 'sequence'; elem: ValueType }
  | { kind: 'map'; keyType: number; keyDtype: string; value: ValueType }
  | { kind: 'other' }
  /** The graph does not say (allowed for outputs; checked by a probe inference). */
  | { kind: 'unknown' };

/** A graph input or output. */
export interface ValueInfo {
  readonly name: string;
  readonly type: ValueType;
}

/** A decoded ONNX tensor (initializer or attribute). */
export interface OnnxTensor {
  readonly name: string;
  readonly dataType: number;
  readonly dims: readonly number[];
  readonly data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | string[] | number[];
}

/** An attribute value, converted to plain JS. */
export type AttributeValue = number | string | number[] | string[] | OnnxTensor | OnnxTensor[] | null;

/** A node of the graph with attributes by name. */
export interface OnnxNode {
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: ReadonlyMap<string, AttributeValue>;
}

/** A decoded ONNX model: a plain view plus the protobuf message for rewriting. */
export interface OnnxModel {
  readonly irVersion: number;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly opsets: ReadonlyArray<{ domain: string; version: number }>;
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly nodes: readonly OnnxNode[];
  readonly initializers: ReadonlyMap<string, OnnxTensor>;
  /** @internal the protobuf message; edit through the helpers in this module. */
  readonly proto: Message;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Converts a protobufjs int64 (Long or number) to a JS number. */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value && typeof (value as { toNumber?: unknown }).toNumber === 'function') {
    return (value as { toNumber(): number }).toNumber();
  }
  if (typeof value === 'bigint') return Number(value);
  return 0;
}

function valueType(type: Message): ValueType {
  if (!type) return { kind: 'unknown' };
  if (type.tensorType) {
    const elemType = type.tensorType.elemType ?? 0;
    const dims = type.tensorType.shape?.dim as Message[] | undefined;
    const shape =
      type.tensorType.shape == null
        ? null
        : (dims ?? []).map((d: Message) =>
            d.dimValue != null && d.value === 'dimValue' ? toNumber(d.dimValue) : d.dimParam ? String(d.dimParam) : null,
          );
    return { kind: 'tensor', elemType, dtype: ortTypeByDataType[elemType] ?? `type${elemType}`, shape };
  }
  if (type.sequenceType) return { kind: 'sequence', elem: valueType(type.sequenceType.elemType) };
  if (type.mapType) {
    const keyType = type.mapType.keyType ?? 0;
    return {
      kind: 'map',
      keyType,
      keyDtype: ortTypeByDataType[keyType] ?? `type${keyType}`,
      value: valueType(type.mapType.valueType),
    };
  }
  return { kind: 'other' };
}

function littleEndianView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes the data of a TensorProto message into a typed array. */
export function tensorFromProto(t: Message): OnnxTensor {
  const dims = ((t.dims ?? []) as unknown[]).map(toNumber);
  const dataType: number = t.dataType ?? 0;
  const raw: Uint8Array | undefined = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  const name = t.name ?? '';
  if (t.dataLocation === 1) throw invalidModel(`Tensor '${name}' uses external data, which bundles do not support`);
  let data: OnnxTensor['data'];
  switch (dataType) {
    case TensorDataType.FLOAT: {
      if (raw) {
        const n = raw.byteLength >> 2;
        const view = littleEndianView(raw);
        const out = new Float32Array(n);
        for (let k = 0; k < n; k++) out[k] = view.getFloat32(k * 4, true);
        data = out;
      } else data = Float32Array.from(t.floatData ?? []);
      break;
    }
    case TensorDataType.DOUBLE: {
      if (raw) {
        const n = raw.byteLength >> 3;
        const view = littleEndianView(raw);
        const out = new Float64Array(n);
        for (let k = 0; k < n; k++) out[k] = view.getFloat64(k * 8, true);
        data = out;
      } else data = Float64Array.from(t.doubleData ?? []);
      break;
    }
    case TensorDataType.INT64:
    case TensorDataType.UINT64: {
      if (raw) {
        const n = raw.byteLength >> 3;
        const view = littleEndianView(raw);
        const out = new BigInt64Array(n);
        for (let k = 0; k < n; k++) out[k] = view.getBigInt64(k * 8, true);
        data = out;
      } else {
        const src = (dataType === TensorDataType.INT64 ? t.int64Data : t.uint64Data) ?? [];
        data = BigInt64Array.from((src as unknown[]).map((v) => BigInt(Math.trunc(toNumber(v)))));
      }
      break;
    }
    case TensorDataType.INT32:
    case TensorDataType.INT16:
    case TensorDataType.INT8:
    case TensorDataType.UINT16:
    case TensorDataType.UINT8:
    case TensorDataType.BOOL: {
      if (raw) {
        const bytesPer =
          dataType === TensorDataType.INT32 ? 4 : dataType === TensorDataType.INT16 || dataType === TensorDataType.UINT16 ? 2 : 1;
        const n = raw.byteLength / bytesPer;
        const view = littleEndianView(raw);
        const out = new Int32Array(n);
        for (let k = 0; k < n; k++) {
          out[k] =
            bytesPer === 4
              ? view.getInt32(k * 4, true)
              : bytesPer === 2
                ? dataType === TensorDataType.INT16
                  ? view.getInt16(k * 2, true)
                  : view.getUint16(k * 2, true)
                : dataType === TensorDataType.INT8
                  ? view.getInt8(k)
                  : view.getUint8(k);
        }
        data = out;
      } else data = Int32Array.from(t.int32Data ?? []);
      break;
    }
    case TensorDataType.STRING:
      data = ((t.stringData ?? []) as Uint8Array[]).map((b) => utf8.decode(b));
      break;
    default:
      throw new CairnError('unsupported', `Tensor '${name}' has data type ${dataType}, which Cairn does not read`);
  }
  return { name, dataType, dims, data };
}

function attributeValue(a: Message): AttributeValue {
  switch (a.type) {
    case 1:
      return a.f ?? 0;
    case 2:
      return toNumber(a.i);
    case 3:
      return utf8.decode(a.s ?? new Uint8Array());
    case 4:
      return a.t ? tensorFromProto(a.t) : null;
    case 6:
      return Array.from((a.floats ?? []) as number[]);
    case 7:
      return ((a.ints ?? []) as unknown[]).map(toNumber);
    case 8:
      return ((a.strings ?? []) as Uint8Array[]).map((b) => utf8.decode(b));
    case 9:
      return ((a.tensors ?? []) as Message[]).map(tensorFromProto);
    default:
      // IR v1 attributes had no type field: infer from which field is set.
      if (a.type == null || a.type === 0) {
        if (a.floats?.length) return Array.from(a.floats as number[]);
        if (a.ints?.length) return (a.ints as unknown[]).map(toNumber);
        if (a.strings?.length) return (a.strings as Uint8Array[]).map((b) => utf8.decode(b));
        if (a.s?.length) return utf8.decode(a.s);
        if (a.t) return tensorFromProto(a.t);
        if (a.i != null && toNumber(a.i) !== 0) return toNumber(a.i);
        if (a.f != null && a.f !== 0) return a.f;
      }
      return null;
  }
}

function nodeView(n: Message): OnnxNode {
  const attributes = new Map<string, AttributeValue>();
  for (const a of (n.attribute ?? []) as Message[]) attributes.set(a.name ?? '', attributeValue(a));
  return {
    name: n.name ?? '',
    opType: n.opType ?? '',
    domain: n.domain ?? '',
    inputs: [...(n.input ?? [])],
    outputs: [...(n.output ?? [])],
    attributes,
  };
}

function view(proto: Message): OnnxModel {
  const graph = proto.graph;
  if (!graph) throw invalidModel('model.onnx has no graph: it is not an ONNX model, or it is truncated');
  const initializers = new Map<string, OnnxTensor>();
  for (const t of (graph.initializer ?? []) as Message[]) {
    try {
      initializers.set(t.name ?? '', tensorFromProto(t));
    } catch {
      // An initializer type Cairn does not read is still fine for the runtime.
    }
  }
  const initNames = new Set(initializers.keys());
  const io = (list: Message[] | undefined) => ((list ?? []) as Message[]).map((v) => ({ name: v.name ?? '', type: valueType(v.type) }));
  return {
    irVersion: toNumber(proto.irVersion),
    producerName: proto.producerName ?? '',
    producerVersion: proto.producerVersion ?? '',
    opsets: ((proto.opsetImport ?? []) as Message[]).map((o) => ({ domain: o.domain ?? '', version: toNumber(o.version) })),
    // Graph inputs that are initializers (IR < 4 style) are not real inputs.
    inputs: io(graph.input).filter((v) => !initNames.has(v.name)),
    outputs: io(graph.output),
    nodes: ((graph.node ?? []) as Message[]).map(nodeView),
    initializers,
    proto,
  };
}

/** Decodes ONNX model bytes; throws a {@link CairnError} `invalid_model` for anything that is not a model. */
export function decodeModel(bytes: Uint8Array): OnnxModel {
  if (!(bytes instanceof Uint8Array)) throw invalidModel('model.onnx must be bytes (Uint8Array)');
  if (bytes.byteLength === 0) throw invalidModel('model.onnx is empty');
  let proto: Message;
  try {
    proto = ModelProto.decode(bytes);
  } catch (cause) {
    throw invalidModel(
      `model.onnx is not a valid ONNX protobuf (${cause instanceof Error ? cause.message : String(cause)}); the file may be truncated or corrupt`,
      cause,
    );
  }
  const model = view(proto);
  if (model.opsets.length === 0) throw invalidModel('model.onnx declares no opset_import: it is not a valid ONNX model');
  if (model.nodes.length === 0) throw invalidModel('model.onnx has an empty graph');
  return model;
}

/** Re-reads the plain view after the protobuf message was edited. */
export function refreshModel(model: OnnxModel): OnnxModel {
  return view(model.proto);
}

/** Encodes a model (possibly edited) back to bytes. */
export function encodeModel(model: OnnxModel | Message): Uint8Array {
  const proto = 'proto' in model && model.proto ? model.proto : model;
  return ModelProto.encode(proto).finish();
}

/** Builds a ModelProto message from a plain object (used by exporters). */
export function createModelProto(spec: Message): Message {
  const err = ModelProto.verify(spec);
  if (err) throw invalidModel(`Cannot build ONNX model: ${err}`);
  return ModelProto.fromObject(spec);
}

/** Builds a ValueInfoProto message (for graph edits) from a plain object. */
export function createValueInfoProto(spec: Message): Message {
  return ValueInfoProto.fromObject(spec);
}

/** Decodes a standalone serialized TensorProto (e.g. the ONNX test-data `.pb` files). */
export function decodeTensor(bytes: Uint8Array): OnnxTensor {
  let t: Message;
  try {
    t = TensorProto.decode(bytes);
  } catch (cause) {
    throw invalidModel(`Not a valid ONNX TensorProto: ${cause instanceof Error ? cause.message : String(cause)}`, cause);
  }
  return tensorFromProto(t);
}

/** Operator counts keyed by `domain:opType` (domain '' is the default ONNX domain). */
export function operatorCounts(model: OnnxModel): Map<string, number> {
  const counts = new Map<string, number>();
  for (const n of model.nodes) {
    const key = n.domain ? `${n.domain}:${n.opType}` : n.opType;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Human-readable type, e.g. `tensor(float)[?,4]` or `seq(map(int64,tensor(float)))`. */
export function formatValueType(type: ValueType): string {
  switch (type.kind) {
    case 'tensor':
      return `tensor(${type.dtype})${type.shape ? `[${type.shape.map((d) => d ?? '?').join(',')}]` : ''}`;
    case 'sequence':
      return `seq(${formatValueType(type.elem)})`;
    case 'map':
      return `map(${type.keyDtype},${formatValueType(type.value)})`;
    default:
      return 'unknown';
  }
}
