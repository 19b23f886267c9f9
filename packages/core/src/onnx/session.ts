import { CairnError, invalidArgument } from '../errors.js';
import type { InferenceSession, OrtRuntime, Tensor } from '../runtime.js';
import { decodeModel, encodeModel, type OnnxModel, type OnnxTensor } from './model.js';
import { stripZipMap, type ZipMapRewrite } from './rewrite.js';
import { ortTypeByDataType } from './schema.js';

/** A tensor as plain data: element type, shape and values. */
export interface TensorData {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: ArrayLike<number | bigint | string | boolean> | readonly string[];
}

/** Any ONNX model opened for inference, with ZipMap outputs made readable. */
export interface ModelSession {
  readonly model: OnnxModel;
  readonly rewrites: readonly ZipMapRewrite[];
  /** Runs the model; feeds by input name, as decoded ONNX tensors or plain tensor data. */
  run(feeds: Readonly<Record<string, OnnxTensor | TensorData>>): Promise<Record<string, TensorData>>;
  release(): Promise<void>;
}

const TYPED: Record<string, (data: ArrayLike<number>) => ArrayLike<number>> = {
  int8: (d) => Int8Array.from(d),
  int16: (d) => Int16Array.from(d),
  int32: (d) => Int32Array.from(d),
  uint8: (d) => Uint8Array.from(d),
  uint16: (d) => Uint16Array.from(d),
  uint32: (d) => Uint32Array.from(d),
  float32: (d) => (d instanceof Float32Array ? d : Float32Array.from(d)),
  float64: (d) => (d instanceof Float64Array ? d : Float64Array.from(d)),
};

function toOrt(runtime: OrtRuntime, name: string, t: OnnxTensor | TensorData): Tensor {
  const type = 'dataType' in t ? ortTypeByDataType[t.dataType] : t.type;
  if (!type) throw invalidArgument(`feeds.${name}`, 'unsupported tensor data type');
  let data: unknown = t.data;
  if (type === 'int64' || type === 'uint64') {
    data = data instanceof BigInt64Array ? data : BigInt64Array.from(Array.from(data as ArrayLike<number | bigint>, (v) => BigInt(v)));
  } else if (type === 'bool') {
    data = Uint8Array.from(Array.from(data as ArrayLike<number | boolean>, (v) => (v ? 1 : 0)));
  } else if (type !== 'string') {
    const convert = TYPED[type];
    if (!convert) throw invalidArgument(`feeds.${name}`, `unsupported tensor type ${type}`);
    data = convert(data as ArrayLike<number>);
  }
  return new runtime.Tensor(type as never, data as never, [...t.dims]);
}

/**
 * Opens any ONNX model (not only bundles) on an injected runtime; used by the CLI and for
 * conformance checks. ZipMap outputs are replaced by their probability tensors.
 */
export async function openModel(
  bytes: Uint8Array,
  options: { runtime: OrtRuntime; sessionOptions?: InferenceSession.SessionOptions },
): Promise<ModelSession> {
  const { model, rewrites } = stripZipMap(decodeModel(bytes));
  let session: InferenceSession;
  try {
    session = await options.runtime.InferenceSession.create(rewrites.length > 0 ? encodeModel(model) : bytes, {
      logSeverityLevel: 3,
      ...options.sessionOptions,
    });
  } catch (cause) {
    throw new CairnError(
      'invalid_model',
      `onnxruntime could not load the model: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
  }
  return {
    model,
    rewrites,
    async run(feeds) {
      const ortFeeds: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrt(options.runtime, name, t);
      let out: InferenceSession.OnnxValueMapType;
      try {
        out = await session.run(ortFeeds);
      } catch (cause) {
        throw new CairnError('inference_failed', `inference failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
      }
      const result: Record<string, TensorData> = {};
      for (const [name, value] of Object.entries(out)) {
        const t = value as Tensor;
        result[name] = { type: t.type, dims: [...t.dims], data: t.data as TensorData['data'] };
      }
      return result;
    },
    release: () => session.release(),
  };
}
