import type { ColumnType, DataColumn } from '../data/dataset.js';

/** A feature as a trained model sees it: name, type and (for categories) the numeric codes. */
export interface ModelFeature {
  readonly name: string;
  readonly type: ColumnType;
  readonly categories?: readonly number[];
}

/** A trained binary classifier that scores column-major data and exports itself to ONNX. */
export interface BinaryClassifier {
  readonly kind: 'logistic' | 'gbdt' | 'random-forest' | (string & {});
  readonly features: readonly ModelFeature[];
  /** Hyperparameters as fitted (after defaults). */
  readonly params: Readonly<Record<string, unknown>>;
  /**
   * Positive-class probabilities for rows given as one array per feature (NaN = missing),
   * computed on float32-rounded inputs exactly as the exported ONNX graph computes them.
   */
  predict(columns: readonly ArrayLike<number>[]): Float64Array;
  /** The model as an ONNX graph: input `input` [N, features] float32, output `probabilities` [N, 2]. */
  toOnnx(): Uint8Array;
}

/** Training data as learners take it: feature columns, 0/1 labels and optional row weights. */
export interface TrainingData {
  readonly columns: readonly DataColumn[];
  readonly labels: Uint8Array;
  readonly weights?: Float64Array;
}

/** Progress and cancellation hooks shared by the learners. */
export interface LearnerHooks {
  /**
   * Threads for histogram building in the tree learners (1 or 2); the model is the same either way.
   * @defaultValue 2 from 100,000 rows, else 1
   */
  readonly threads?: number;
  readonly signal?: AbortSignal;
  /** Called with the fraction done (0–1). */
  readonly onProgress?: (fraction: number) => void;
}

/** Threads to use for a training set of `rows` rows. */
export function threadsFor(rows: number, requested: number | undefined): number {
  return requested ?? (rows >= 100_000 ? 2 : 1);
}

/** The model features of a set of columns. */
export function modelFeatures(columns: readonly DataColumn[]): ModelFeature[] {
  return columns.map((c) => ({
    name: c.name,
    type: c.type,
    ...(c.categories ? { categories: c.categories.map((k) => k.value) } : {}),
  }));
}

/** Positive-class row weights: `balanced` makes both classes weigh the same in total. */
export function classWeights(labels: Uint8Array, positiveWeight: number | 'balanced' | undefined, base?: Float64Array): Float64Array {
  let pos = 0;
  for (const l of labels) pos += l;
  const wPos = positiveWeight === 'balanced' ? (labels.length - pos) / Math.max(pos, 1) : (positiveWeight ?? 1);
  const w = new Float64Array(labels.length);
  for (let i = 0; i < labels.length; i++) w[i] = (labels[i] ? wPos : 1) * (base ? (base[i] as number) : 1);
  return w;
}

/** The logistic function, stable for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}
