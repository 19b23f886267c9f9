import { buildModel, CairnError, type InitializerSpec, invalidArgument, issue, type NodeSpec } from '@cairn/core';
import { createYielder } from '../cancel.js';
import type { DataColumn } from '../data/dataset.js';
import { choleskySolve } from './linalg.js';
import {
  type BinaryClassifier,
  classWeights,
  type LearnerHooks,
  type ModelFeature,
  modelFeatures,
  sigmoid,
  type TrainingData,
} from './model.js';

/** Hyperparameters of {@link trainLogistic}. */
export interface LogisticParams {
  /**
   * L2 penalty on the standardised coefficients (the intercept is not penalised).
   * @defaultValue 1
   */
  l2?: number;
  /** @defaultValue 100 */
  maxIterations?: number;
  /**
   * Newton iterations stop when the largest gradient component falls below this (relative to the rows' weight).
   * @defaultValue 1e-9
   */
  tolerance?: number;
  /** Weight of positive rows, or `balanced`. @defaultValue 1 */
  positiveWeight?: number | 'balanced';
}

/** One column of the design matrix: a standardised numeric feature or one category of a category feature. */
export type DesignColumn =
  | { readonly feature: number; readonly kind: 'scaled'; readonly offset: number; readonly scale: number }
  | { readonly feature: number; readonly kind: 'one-hot'; readonly value: number };

/** A fitted L2-penalised logistic regression. */
export interface LogisticModel extends BinaryClassifier {
  readonly kind: 'logistic';
  /** Value put in for a missing input, per feature (training mean, or mode for categories). */
  readonly impute: Float32Array;
  readonly design: readonly DesignColumn[];
  /** Coefficients on the design columns (standardised scale), as float32 like the ONNX graph. */
  readonly coefficients: Float32Array;
  readonly intercept: number;
  readonly iterations: number;
  readonly converged: boolean;
}

const f32 = Math.fround;
const CHUNK = 65_536;

/** Adds rows [from, to) to the gradient and the lower triangle of the Hessian of the log-likelihood. */
function accumulate(
  z: Float64Array,
  p: number,
  beta: Float64Array,
  weights: Float64Array,
  labels: Uint8Array,
  from: number,
  to: number,
  grad: Float64Array,
  hess: Float64Array,
): void {
  for (let i = from; i < to; i++) {
    const o = i * p;
    let eta = 0;
    for (let k = 0; k < p; k++) eta += (z[o + k] as number) * (beta[k] as number);
    const mu = sigmoid(eta);
    const w = weights[i] as number;
    const r = w * (mu - (labels[i] as number));
    const h = w * mu * (1 - mu);
    for (let a = 0; a < p; a++) {
      const za = z[o + a] as number;
      if (za === 0) continue;
      grad[a] = (grad[a] as number) + r * za;
      const hz = h * za;
      const ra = a * p;
      for (let b = 0; b <= a; b++) hess[ra + b] = (hess[ra + b] as number) + hz * (z[o + b] as number);
    }
  }
}

function prepare(columns: readonly DataColumn[]): { impute: Float32Array; design: DesignColumn[] } {
  const impute = new Float32Array(columns.length);
  const numeric: DesignColumn[] = [];
  const oneHot: DesignColumn[] = [];
  columns.forEach((c, j) => {
    if (c.type === 'category') {
      const counts = new Map<number, number>();
      for (const v of c.values) if (!Number.isNaN(v)) counts.set(v, (counts.get(v) ?? 0) + 1);
      let mode = c.categories?.[0]?.value ?? 0;
      let best = -1;
      for (const k of c.categories ?? []) {
        const n = counts.get(k.value) ?? 0;
        if (n > best) {
          best = n;
          mode = k.value;
        }
      }
      impute[j] = mode;
      for (const k of c.categories ?? []) oneHot.push({ feature: j, kind: 'one-hot', value: k.value });
      return;
    }
    let sum = 0;
    let n = 0;
    for (const v of c.values) {
      if (Number.isNaN(v)) continue;
      sum += f32(v);
      n++;
    }
    const mean = f32(n > 0 ? sum / n : 0);
    let ss = 0;
    for (const v of c.values) {
      const x = Number.isNaN(v) ? mean : f32(v);
      ss += (x - mean) ** 2;
    }
    const sd = Math.sqrt(ss / Math.max(c.values.length, 1));
    impute[j] = mean;
    numeric.push({ feature: j, kind: 'scaled', offset: mean, scale: f32(sd > 1e-12 ? 1 / sd : 1) });
  });
  return { impute, design: [...numeric, ...oneHot] };
}

/** Fills row-major design values for one row, the way the ONNX graph computes them in float32. */
function designRow(
  columns: readonly ArrayLike<number>[],
  row: number,
  impute: Float32Array,
  design: readonly DesignColumn[],
  out: Float64Array,
) {
  for (let k = 0; k < design.length; k++) {
    const d = design[k] as DesignColumn;
    let x = f32((columns[d.feature] as ArrayLike<number>)[row] as number);
    if (Number.isNaN(x)) x = impute[d.feature] as number;
    out[k] = d.kind === 'scaled' ? f32(f32(x - d.offset) * d.scale) : x === d.value ? 1 : 0;
  }
}

/**
 * Fits an L2-penalised logistic regression by Newton's method (IRLS) to convergence, on
 * standardised numeric features and one-hot encoded categories (missing values imputed).
 */
export async function trainLogistic(data: TrainingData, params: LogisticParams = {}, hooks: LearnerHooks = {}): Promise<LogisticModel> {
  const l2 = params.l2 ?? 1;
  const maxIterations = params.maxIterations ?? 100;
  const tolerance = params.tolerance ?? 1e-9;
  if (!(l2 >= 0) || !Number.isFinite(l2)) throw invalidArgument('params.l2', 'must be a finite number ≥ 0');
  if (!Number.isInteger(maxIterations) || maxIterations < 1) throw invalidArgument('params.maxIterations', 'must be a positive integer');
  const yieldNow = createYielder(hooks.signal);
  const { columns, labels } = data;
  const n = labels.length;
  const weights = classWeights(labels, params.positiveWeight, data.weights);
  const { impute, design } = prepare(columns);
  const p = design.length + 1; // intercept last
  const z = new Float64Array(n * p);
  const row = new Float64Array(p - 1);
  const values = columns.map((c) => c.values);
  for (let i = 0; i < n; i++) {
    designRow(values, i, impute, design, row);
    z.set(row, i * p);
    z[i * p + p - 1] = 1;
    if (i % CHUNK === CHUNK - 1) await yieldNow();
  }

  let totalW = 0;
  let posW = 0;
  for (let i = 0; i < n; i++) {
    totalW += weights[i] as number;
    posW += (weights[i] as number) * (labels[i] as number);
  }
  const beta = new Float64Array(p);
  beta[p - 1] = Math.log(posW / (totalW - posW));
  // A tiny ridge keeps the Hessian invertible when l2 is 0 and one-hot columns are collinear with the intercept.
  const ridge = Math.max(l2, 1e-8 * totalW);

  const objective = (b: Float64Array): number => {
    let loss = 0;
    for (let i = 0; i < n; i++) {
      let eta = 0;
      const o = i * p;
      for (let k = 0; k < p; k++) eta += (z[o + k] as number) * (b[k] as number);
      // log(1 + e^eta) - y eta, computed stably.
      const softplus = eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta));
      loss += (weights[i] as number) * (softplus - (labels[i] as number) * eta);
    }
    let pen = 0;
    for (let k = 0; k < p - 1; k++) pen += (b[k] as number) ** 2;
    return loss + 0.5 * l2 * pen;
  };

  let converged = false;
  let iterations = 0;
  let current = objective(beta);
  const grad = new Float64Array(p);
  const hess = new Float64Array(p * p);
  for (; iterations < maxIterations; iterations++) {
    await yieldNow();
    hooks.onProgress?.(iterations / maxIterations);
    grad.fill(0);
    hess.fill(0);
    // In chunks, so a large fit lets the event loop (and a cancellation) in between.
    for (let from = 0; from < n; from += CHUNK) {
      accumulate(z, p, beta, weights, labels, from, Math.min(n, from + CHUNK), grad, hess);
      await yieldNow();
    }
    for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) hess[b * p + a] = hess[a * p + b] as number;
    for (let k = 0; k < p - 1; k++) {
      grad[k] = (grad[k] as number) + l2 * (beta[k] as number);
      hess[k * p + k] = (hess[k * p + k] as number) + ridge;
    }
    let gmax = 0;
    for (const g of grad) gmax = Math.max(gmax, Math.abs(g));
    if (gmax <= tolerance * totalW) {
      converged = true;
      break;
    }
    const step = choleskySolve(hess, grad, p);
    if (!step) {
      throw new CairnError('internal', 'logistic regression: the Hessian is not positive definite (perfectly collinear features?)', {
        issues: [issue(['params', 'l2'], 'invalid', 'increase l2 to regularise the fit')],
      });
    }
    // Newton step with halving: the penalised log-likelihood is convex, so this always ends.
    let t = 1;
    const next = new Float64Array(p);
    let value = current;
    for (let halvings = 0; halvings < 30; halvings++) {
      for (let k = 0; k < p; k++) next[k] = (beta[k] as number) - t * (step[k] as number);
      value = objective(next);
      if (value <= current + 1e-12 * Math.abs(current)) break;
      t /= 2;
    }
    beta.set(next);
    const improvement = current - value;
    current = value;
    if (improvement >= 0 && improvement <= 1e-15 * Math.max(1, Math.abs(current))) {
      converged = true;
      iterations++;
      break;
    }
  }
  hooks.onProgress?.(1);

  const coefficients = Float32Array.from(beta.subarray(0, p - 1));
  const intercept = f32(beta[p - 1] as number);
  const features = modelFeatures(columns);
  const fitted = { l2, maxIterations, tolerance, positiveWeight: params.positiveWeight ?? 1 };
  return createLogisticModel(features, impute, design, coefficients, intercept, fitted, iterations, converged);
}

function createLogisticModel(
  features: readonly ModelFeature[],
  impute: Float32Array,
  design: readonly DesignColumn[],
  coefficients: Float32Array,
  intercept: number,
  params: Record<string, unknown>,
  iterations: number,
  converged: boolean,
): LogisticModel {
  return {
    kind: 'logistic',
    features,
    params,
    impute,
    design,
    coefficients,
    intercept,
    iterations,
    converged,
    predict(columns) {
      const n = columns[0]?.length ?? 0;
      const out = new Float64Array(n);
      const row = new Float64Array(design.length);
      for (let i = 0; i < n; i++) {
        designRow(columns, i, impute, design, row);
        let eta = intercept;
        for (let k = 0; k < design.length; k++) eta += (coefficients[k] as number) * (row[k] as number);
        out[i] = sigmoid(eta);
      }
      return out;
    },
    toOnnx: () => logisticOnnx(features, impute, design, coefficients, intercept),
  };
}

function logisticOnnx(
  features: readonly ModelFeature[],
  impute: Float32Array,
  design: readonly DesignColumn[],
  coefficients: Float32Array,
  intercept: number,
): Uint8Array {
  const width = features.length;
  const nodes: NodeSpec[] = [];
  const initializers: InitializerSpec[] = [];
  nodes.push({
    opType: 'Imputer',
    domain: 'ai.onnx.ml',
    inputs: ['input'],
    outputs: ['imputed'],
    attributes: { imputed_value_floats: { floats: impute }, replaced_value_float: { float: Number.NaN } },
  });
  const parts: string[] = [];
  const scaled = design.filter((d): d is Extract<DesignColumn, { kind: 'scaled' }> => d.kind === 'scaled');
  if (scaled.length > 0) {
    let source = 'imputed';
    const inOrder = scaled.length === width && scaled.every((d, k) => d.feature === k);
    if (!inOrder) {
      initializers.push({ name: 'numeric_columns', dtype: 'int64', dims: [scaled.length], values: scaled.map((d) => d.feature) });
      nodes.push({ opType: 'ArrayFeatureExtractor', domain: 'ai.onnx.ml', inputs: ['imputed', 'numeric_columns'], outputs: ['numeric'] });
      source = 'numeric';
    }
    nodes.push({
      opType: 'Scaler',
      domain: 'ai.onnx.ml',
      inputs: [source],
      outputs: ['scaled'],
      attributes: { offset: { floats: scaled.map((d) => d.offset) }, scale: { floats: scaled.map((d) => d.scale) } },
    });
    parts.push('scaled');
  }
  const categorical = [...new Set(design.filter((d) => d.kind === 'one-hot').map((d) => d.feature))];
  for (const j of categorical) {
    const values = design
      .filter((d): d is Extract<DesignColumn, { kind: 'one-hot' }> => d.kind === 'one-hot' && d.feature === j)
      .map((d) => d.value);
    const name = `f${j}`;
    initializers.push({ name: `${name}_index`, dtype: 'int64', dims: [1], values: [j] });
    initializers.push({ name: `${name}_shape`, dtype: 'int64', dims: [2], values: [-1, values.length] });
    nodes.push(
      { opType: 'ArrayFeatureExtractor', domain: 'ai.onnx.ml', inputs: ['imputed', `${name}_index`], outputs: [`${name}_value`] },
      { opType: 'Cast', inputs: [`${name}_value`], outputs: [`${name}_code`], attributes: { to: { int: 7 } } },
      {
        opType: 'OneHotEncoder',
        domain: 'ai.onnx.ml',
        inputs: [`${name}_code`],
        outputs: [`${name}_onehot3d`],
        attributes: { cats_int64s: { ints: values }, zeros: { int: 1 } },
      },
      { opType: 'Reshape', inputs: [`${name}_onehot3d`, `${name}_shape`], outputs: [`${name}_onehot`] },
    );
    parts.push(`${name}_onehot`);
  }
  let featuresName = parts[0] as string;
  if (parts.length > 1) {
    nodes.push({ opType: 'Concat', inputs: parts, outputs: ['design'], attributes: { axis: { int: 1 } } });
    featuresName = 'design';
  }
  nodes.push({
    opType: 'LinearClassifier',
    domain: 'ai.onnx.ml',
    inputs: [featuresName],
    outputs: ['label', 'probabilities'],
    // Both classes spelled out ([-w, w], [-b, b]): onnxruntime then applies LOGISTIC per class, giving
    // [1 - p, p] without its single-row binary special case, which readers of the graph model differently.
    attributes: {
      coefficients: { floats: [...Array.from(coefficients, (c) => -c), ...coefficients] },
      intercepts: { floats: [-intercept, intercept] },
      classlabels_ints: { ints: [0, 1] },
      post_transform: { string: 'LOGISTIC' },
    },
  });
  return buildModel({
    inputs: [{ name: 'input', dtype: 'float32', shape: ['N', width] }],
    outputs: [
      { name: 'label', dtype: 'int64', shape: ['N'] },
      { name: 'probabilities', dtype: 'float32', shape: ['N', 2] },
    ],
    nodes,
    initializers,
    graphName: 'cairn_logistic',
  });
}
