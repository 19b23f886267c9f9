import { invalidModel } from '../errors.js';
import type { OnnxNode } from '../onnx/model.js';
import { floatList } from './structure.js';

/** Coefficients of a LinearClassifier/Regressor as a `slots × width` matrix. */
export interface LinearModel {
  readonly slots: number;
  readonly width: number;
  readonly coefficients: Float64Array;
}

/** Reads coefficients; the width comes from the preprocessing that feeds the model. */
export function readLinear(node: OnnxNode, slots: number, width: number): LinearModel {
  const coefficients = floatList(node, 'coefficients') ?? [];
  if (coefficients.length !== slots * width) {
    throw invalidModel(
      `${node.opType} '${node.name}' has ${coefficients.length} coefficients; ${slots} outputs × ${width} inputs need ${slots * width}`,
    );
  }
  return { slots, width, coefficients: Float64Array.from(coefficients) };
}

/** Raw scores (without intercepts) of one row into `out`. */
export function linearScores(m: LinearModel, matrix: Float64Array, offset: number, out: Float64Array): void {
  for (let k = 0; k < m.slots; k++) {
    let s = 0;
    const base = k * m.width;
    for (let c = 0; c < m.width; c++) {
      const w = m.coefficients[base + c] as number;
      if (w !== 0) s += w * (matrix[offset + c] as number);
    }
    out[k] = s;
  }
}
