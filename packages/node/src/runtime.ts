import type { PredictorOptions } from '@cairn/core';
import * as ort from 'onnxruntime-node';

/** onnxruntime-node, as the runtime Cairn's core expects. */
export const nodeRuntime: PredictorOptions['runtime'] = ort;
