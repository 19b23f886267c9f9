import type { InferenceSession, Tensor } from 'onnxruntime-common';

/**
 * The onnxruntime implementation Cairn runs on, injected rather than imported so the
 * same core code runs on onnxruntime-node and onnxruntime-web (pass the module itself).
 *
 * @example
 * ```ts
 * import * as ort from 'onnxruntime-node'; // or 'onnxruntime-web'
 * const predictor = await createPredictor(bundle, { runtime: ort });
 * ```
 */
export interface OrtRuntime {
  readonly InferenceSession: {
    create(buffer: Uint8Array, options?: InferenceSession.SessionOptions): Promise<InferenceSession>;
  };
  readonly Tensor: typeof Tensor;
}

export type { InferenceSession, Tensor };
