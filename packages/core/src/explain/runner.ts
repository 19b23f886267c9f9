import type { Bundle } from '../bundle.js';
import { createEncoder } from '../encode.js';
import { CairnError, issue, modelMismatch } from '../errors.js';
import type { InferenceSession, OrtRuntime, Tensor } from '../runtime.js';
import type { FeatureRecord } from '../validate.js';

/** Runs records through the bundle's model and returns the column the manifest reads, unclamped. */
export interface ModelRunner {
  run(rows: readonly FeatureRecord[]): Promise<Float64Array>;
  release(): Promise<void>;
}

const CHUNK = 8192;

/** Opens an inference session for explanations (KernelSHAP and cross-checks). */
export async function openRunner(bundle: Bundle, runtime: OrtRuntime): Promise<ModelRunner> {
  let session: InferenceSession;
  try {
    session = await runtime.InferenceSession.create(bundle.modelBytes, {
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      executionMode: 'sequential',
    });
  } catch (cause) {
    throw new CairnError(
      'invalid_model',
      `onnxruntime could not load model.onnx: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
        issues: [issue(['model.onnx'], 'invalid', 'the runtime refused the model')],
      },
    );
  }
  const encoder = createEncoder(bundle.manifest, bundle.io.inputs);
  const { tensor: name, kind, positiveIndex } = bundle.io.output;

  async function chunk(rows: readonly FeatureRecord[]): Promise<Float64Array> {
    const feeds: Record<string, Tensor> = {};
    for (const input of encoder.encode(rows)) {
      feeds[input.name] = new runtime.Tensor(input.dtype, input.data as never, input.dims as number[]);
    }
    let result: InferenceSession.OnnxValueMapType;
    try {
      result = await session.run(feeds, [name]);
    } catch (cause) {
      throw new CairnError('inference_failed', `inference failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
    const out = result[name] as Tensor | undefined;
    if (!out || (out.type !== 'float32' && out.type !== 'float64')) {
      throw modelMismatch([issue(['output', 'name'], 'mismatch', `output '${name}' did not produce a float tensor`)]);
    }
    const data = out.data as Float32Array | Float64Array;
    const n = rows.length;
    const width = kind === 'probabilities' ? data.length / n : 1;
    const col = kind === 'probabilities' ? positiveIndex : 0;
    if (!Number.isInteger(width) || width <= col || data.length !== n * width) {
      throw modelMismatch([issue(['output'], 'mismatch', `output '${name}' has shape [${out.dims.join(', ')}] for ${n} rows`)]);
    }
    const values = new Float64Array(n);
    for (let r = 0; r < n; r++) values[r] = data[r * width + col] as number;
    return values;
  }

  return {
    async run(rows) {
      const out = new Float64Array(rows.length);
      for (let s = 0; s < rows.length; s += CHUNK) out.set(await chunk(rows.slice(s, s + CHUNK)), s);
      return out;
    },
    release: () => session.release(),
  };
}
