import { invalidArgument } from '@cairn/core';
import { createYielder } from '../cancel.js';
import type { DataColumn } from '../data/dataset.js';
import { applyCuts, type BinnedMatrix, computeCuts } from '../learn/binning.js';
import { choleskySolve } from '../learn/linalg.js';
import { type LearnerHooks, type ModelFeature, modelFeatures } from '../learn/model.js';
import { type Tree, TreeBuilder, type TreeParams, treeOutput, treeOutputBinned } from '../learn/tree-builder.js';
import { createRandom } from '../random.js';

/** Rows for a regression learner: feature columns, a real target and optional row weights. */
export interface RegressionData {
  readonly columns: readonly DataColumn[];
  readonly target: Float64Array;
  readonly weights?: Float64Array;
  /** Prediction each row starts from before the model's own output (XGBoost's base_margin); the model learns the rest. */
  readonly offset?: Float64Array;
}

/** A fitted regression model that predicts from column arrays (NaN = missing) as its ONNX graph does on float32 inputs. */
export interface Regressor {
  readonly kind: 'gbdt-regressor' | 'ridge';
  readonly features: readonly ModelFeature[];
  readonly params: Readonly<Record<string, unknown>>;
  predict(columns: readonly ArrayLike<number>[]): Float64Array;
}

/** Hyperparameters of {@link trainGbdtRegressor} (XGBoost names where they mean the same). */
export interface GbdtRegressorParams {
  /** Boosting rounds (the most; early stopping may keep fewer). @defaultValue 300 */
  trees?: number;
  /** @defaultValue 0.05 */
  learningRate?: number;
  /** @defaultValue 3 */
  maxDepth?: number;
  /** Least rows (summed weights) in a child. @defaultValue 5 */
  minChildWeight?: number;
  /** L2 penalty on leaf values. @defaultValue 1 */
  lambda?: number;
  /** @defaultValue 0 */
  gamma?: number;
  /** Fraction of rows sampled per tree. @defaultValue 0.8 */
  subsample?: number;
  /** Fraction of features sampled per tree. @defaultValue 1 */
  colsample?: number;
  /** @defaultValue 256 */
  maxBins?: number;
  /** Stop when validation squared error has not improved for this many rounds (0 = never). @defaultValue 30 */
  earlyStoppingRounds?: number;
}

/** Options of {@link trainGbdtRegressor}. */
export interface GbdtRegressorOptions extends LearnerHooks {
  /** Rows for early stopping. */
  readonly validation?: RegressionData;
  /** @defaultValue 1 */
  readonly seed?: number;
}

/** Gradient-boosted regression trees (squared error). */
export interface GbdtRegressor extends Regressor {
  readonly kind: 'gbdt-regressor';
  readonly trees: readonly Tree[];
  /** Prediction every row starts from (the weighted mean of the target, less any offset). */
  readonly base: number;
  /** Validation squared error after each round (empty without validation rows). */
  readonly validationLoss: readonly number[];
}

type ResolvedRegressorParams = Required<GbdtRegressorParams>;

function resolveGbdt(params: GbdtRegressorParams): ResolvedRegressorParams {
  const r: ResolvedRegressorParams = {
    trees: params.trees ?? 300,
    learningRate: params.learningRate ?? 0.05,
    maxDepth: params.maxDepth ?? 3,
    minChildWeight: params.minChildWeight ?? 5,
    lambda: params.lambda ?? 1,
    gamma: params.gamma ?? 0,
    subsample: params.subsample ?? 0.8,
    colsample: params.colsample ?? 1,
    maxBins: params.maxBins ?? 256,
    earlyStoppingRounds: params.earlyStoppingRounds ?? 30,
  };
  for (const [k, min] of [
    ['trees', 1],
    ['maxDepth', 1],
    ['maxBins', 2],
    ['earlyStoppingRounds', 0],
  ] as const) {
    if (!Number.isInteger(r[k]) || r[k] < min) throw invalidArgument(`params.${k}`, `must be an integer ≥ ${min}`);
  }
  if (r.maxBins > 256) throw invalidArgument('params.maxBins', 'must be at most 256');
  if (!(r.learningRate > 0 && r.learningRate <= 1)) throw invalidArgument('params.learningRate', 'must be in (0, 1]');
  if (!(r.subsample > 0 && r.subsample <= 1)) throw invalidArgument('params.subsample', 'must be in (0, 1]');
  if (!(r.colsample > 0 && r.colsample <= 1)) throw invalidArgument('params.colsample', 'must be in (0, 1]');
  if (!(r.minChildWeight >= 0)) throw invalidArgument('params.minChildWeight', 'must be ≥ 0');
  if (!(r.lambda >= 0)) throw invalidArgument('params.lambda', 'must be ≥ 0');
  if (!(r.gamma >= 0)) throw invalidArgument('params.gamma', 'must be ≥ 0');
  return r;
}

function checkTarget(data: RegressionData, what: string): number {
  const n = data.target.length;
  if (n === 0) throw invalidArgument(what, 'has no rows');
  for (const c of data.columns) {
    if (c.values.length !== n) throw invalidArgument(what, `column '${c.name}' has ${c.values.length} values for ${n} targets`);
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(data.target[i] as number)) throw invalidArgument(`${what}.target`, `row ${i} is not a finite number`);
  }
  return n;
}

/**
 * Trains gradient-boosted regression trees for squared error on the same quantile-binned tree
 * builder as the classifiers (missing-value branches, row and feature subsampling, early stopping
 * on validation rows). Exported as a TreeEnsembleRegressor by {@link treeRegressorNode}.
 */
export async function trainGbdtRegressor(
  data: RegressionData,
  params: GbdtRegressorParams = {},
  options: GbdtRegressorOptions = {},
): Promise<GbdtRegressor> {
  const p = resolveGbdt(params);
  const n = checkTarget(data, 'data');
  const yieldNow = createYielder(options.signal);
  const random = createRandom(options.seed ?? 1);
  const { columns, target } = data;
  const weights = data.weights ?? new Float64Array(n).fill(1);
  const values = columns.map((c) => c.values);
  const cuts = await computeCuts(values, p.maxBins, random.fork(), yieldNow);
  const matrix = await applyCuts(values, cuts, false, yieldNow);
  let wSum = 0;
  let wy = 0;
  const offset = data.offset;
  for (let i = 0; i < n; i++) {
    wSum += weights[i] as number;
    wy += (weights[i] as number) * ((target[i] as number) - (offset ? (offset[i] as number) : 0));
  }
  if (!(wSum > 0)) throw invalidArgument('data.weights', 'must have a positive sum');
  const base = Math.fround(wy / wSum);
  const pred = new Float64Array(n).fill(base);
  if (offset) for (let i = 0; i < n; i++) pred[i] = (pred[i] as number) + (offset[i] as number);
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);

  const validation = options.validation;
  let validMatrix: BinnedMatrix | undefined;
  let validPred: Float64Array | undefined;
  if (validation && validation.target.length > 0) {
    checkTarget(validation, 'options.validation');
    validMatrix = await applyCuts(
      validation.columns.map((c) => c.values),
      cuts,
      false,
      yieldNow,
    );
    validPred = new Float64Array(validation.target.length).fill(base);
    const vo = validation.offset;
    if (vo) for (let i = 0; i < vo.length; i++) validPred[i] = (validPred[i] as number) + (vo[i] as number);
  }
  const builder = await TreeBuilder.create(matrix, 1);
  const treeParams: TreeParams = {
    maxDepth: p.maxDepth,
    maxLeaves: 0,
    minChildWeight: p.minChildWeight,
    lambda: p.lambda,
    gamma: p.gamma,
    learningRate: p.learningRate,
    featuresPerSplit: 0,
  };
  const allFeatures = Int32Array.from(columns.keys());
  const featureCount = Math.max(1, Math.round(p.colsample * columns.length));
  const trees: Tree[] = [];
  const history: number[] = [];
  let best = Number.POSITIVE_INFINITY;
  let bestRound = 0;
  const inSample = p.subsample < 1 ? new Uint8Array(n) : undefined;
  try {
    for (let t = 0; t < p.trees; t++) {
      await yieldNow();
      options.onProgress?.(t / p.trees);
      for (let i = 0; i < n; i++) {
        const w = weights[i] as number;
        grad[i] = w * ((pred[i] as number) - (target[i] as number));
        hess[i] = w;
      }
      let rows = n;
      const index = builder.index;
      if (inSample) {
        rows = 0;
        for (let i = 0; i < n; i++) {
          const take = random.next() < p.subsample ? 1 : 0;
          inSample[i] = take;
          if (take) index[rows++] = i;
        }
      } else for (let i = 0; i < n; i++) index[i] = i;
      let features = allFeatures;
      if (featureCount < columns.length) {
        const pool = Int32Array.from(allFeatures);
        for (let i = 0; i < featureCount; i++) {
          const j = i + random.int(pool.length - i);
          const tmp = pool[i] as number;
          pool[i] = pool[j] as number;
          pool[j] = tmp;
        }
        features = pool.subarray(0, featureCount).sort();
      }
      const tree = await builder.build(grad, hess, rows, features, treeParams, random, yieldNow);
      trees.push(tree);
      for (let i = 0; i < n; i++) pred[i] = (pred[i] as number) + treeOutputBinned(tree, matrix.bins, n, i);
      if (validMatrix && validPred && validation) {
        const vn = validPred.length;
        let loss = 0;
        let total = 0;
        for (let i = 0; i < vn; i++) {
          validPred[i] = (validPred[i] as number) + treeOutputBinned(tree, validMatrix.bins, vn, i);
          const w = validation.weights ? (validation.weights[i] as number) : 1;
          loss += w * ((validPred[i] as number) - (validation.target[i] as number)) ** 2;
          total += w;
        }
        loss /= total;
        history.push(loss);
        if (loss < best - 1e-12) {
          best = loss;
          bestRound = t + 1;
        } else if (p.earlyStoppingRounds > 0 && t + 1 - bestRound >= p.earlyStoppingRounds) break;
      }
    }
  } finally {
    await builder.close();
  }
  options.onProgress?.(1);
  const kept = validMatrix && p.earlyStoppingRounds > 0 ? trees.slice(0, Math.max(bestRound, 1)) : trees;
  return createGbdtRegressor(modelFeatures(columns), kept, base, { ...p }, history);
}

/** A GBDT regressor from its parts (also used to combine ensembles). */
export function createGbdtRegressor(
  features: readonly ModelFeature[],
  trees: readonly Tree[],
  base: number,
  params: Record<string, unknown>,
  validationLoss: readonly number[] = [],
): GbdtRegressor {
  return {
    kind: 'gbdt-regressor',
    features,
    params,
    trees,
    base,
    validationLoss,
    predict(columns) {
      const n = columns[0]?.length ?? 0;
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (const tree of trees) s += treeOutput(tree, columns, i);
        out[i] = base + s;
      }
      return out;
    },
  };
}

/** Hyperparameters of {@link trainRidge}. */
export interface RidgeParams {
  /** L2 penalty on the standardised coefficients, relative to the rows' weight (the intercept is not penalised). @defaultValue 1 */
  l2?: number;
}

/** A ridge regression on the raw covariates: missing values take the training mean, categories are one-hot encoded. */
export interface RidgeRegressor extends Regressor {
  readonly kind: 'ridge';
  /** Value put in for a missing input, per feature (training mean, or mode for categories). */
  readonly impute: Float64Array;
  /** One design column per numeric feature (its raw value) or per category level (1 when equal). */
  readonly design: readonly RidgeColumn[];
  /** Coefficients on the raw design columns. */
  readonly coefficients: Float64Array;
  readonly intercept: number;
}

/** One column of a ridge design: a feature's raw value or an indicator of one category level. */
export type RidgeColumn = { readonly feature: number; readonly value?: number };

/**
 * Fits a (weighted) ridge regression by solving the normal equations on standardised columns, then
 * expresses the coefficients on the raw columns so the model reads raw inputs.
 */
export function trainRidge(data: RegressionData, params: RidgeParams = {}, fixed: { readonly impute?: Float64Array } = {}): RidgeRegressor {
  const l2 = params.l2 ?? 1;
  if (!(l2 >= 0) || !Number.isFinite(l2)) throw invalidArgument('params.l2', 'must be a finite number ≥ 0');
  const n = checkTarget(data, 'data');
  const { columns, target } = data;
  const weights = data.weights ?? new Float64Array(n).fill(1);
  const impute = new Float64Array(columns.length);
  const design: RidgeColumn[] = [];
  columns.forEach((c, j) => {
    if (c.type === 'category') {
      // The first level is the reference: with an intercept, a full set of indicators is collinear.
      for (const k of (c.categories ?? []).slice(1)) design.push({ feature: j, value: k.value });
      if (fixed.impute) {
        impute[j] = fixed.impute[j] as number;
        return;
      }
      const counts = new Map<number, number>();
      for (const v of c.values) if (!Number.isNaN(v)) counts.set(v, (counts.get(v) ?? 0) + 1);
      let mode = c.categories?.[0]?.value ?? 0;
      let best = -1;
      for (const k of c.categories ?? []) {
        const m = counts.get(k.value) ?? 0;
        if (m > best) {
          best = m;
          mode = k.value;
        }
      }
      impute[j] = mode;
      return;
    }
    design.push({ feature: j });
    if (fixed.impute) {
      impute[j] = fixed.impute[j] as number;
      return;
    }
    let sum = 0;
    let count = 0;
    for (const v of c.values) {
      if (Number.isNaN(v)) continue;
      sum += Math.fround(v);
      count++;
    }
    impute[j] = Math.fround(count > 0 ? sum / count : 0);
  });
  const p = design.length;
  const x = new Float64Array(n * p);
  const row = new Float64Array(p);
  const values = columns.map((c) => c.values);
  for (let i = 0; i < n; i++) {
    designRow(values, i, impute, design, row);
    x.set(row, i * p);
  }
  // Weighted means and scales, so the penalty treats every column alike.
  let wSum = 0;
  for (let i = 0; i < n; i++) wSum += weights[i] as number;
  if (!(wSum > 0)) throw invalidArgument('data.weights', 'must have a positive sum');
  const mean = new Float64Array(p);
  let yMean = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i] as number;
    yMean += w * (target[i] as number);
    for (let k = 0; k < p; k++) mean[k] = (mean[k] as number) + w * (x[i * p + k] as number);
  }
  yMean /= wSum;
  for (let k = 0; k < p; k++) mean[k] = (mean[k] as number) / wSum;
  const scale = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    const w = weights[i] as number;
    for (let k = 0; k < p; k++) scale[k] = (scale[k] as number) + w * ((x[i * p + k] as number) - (mean[k] as number)) ** 2;
  }
  for (let k = 0; k < p; k++) {
    const sd = Math.sqrt((scale[k] as number) / wSum);
    scale[k] = sd > 1e-12 ? sd : 0;
  }
  const a = new Float64Array(p * p);
  const b = new Float64Array(p);
  const z = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    const w = weights[i] as number;
    for (let k = 0; k < p; k++) {
      const s = scale[k] as number;
      z[k] = s > 0 ? ((x[i * p + k] as number) - (mean[k] as number)) / s : 0;
    }
    const r = (target[i] as number) - yMean;
    for (let k = 0; k < p; k++) {
      const zk = z[k] as number;
      if (zk === 0) continue;
      b[k] = (b[k] as number) + w * zk * r;
      for (let m = 0; m <= k; m++) a[k * p + m] = (a[k * p + m] as number) + w * zk * (z[m] as number);
    }
  }
  for (let k = 0; k < p; k++) for (let m = 0; m < k; m++) a[m * p + k] = a[k * p + m] as number;
  // l2 is per unit of row weight, so the penalty keeps its strength as the data grows.
  const ridge = Math.max(l2, 1e-8) * (wSum / n);
  for (let k = 0; k < p; k++) a[k * p + k] = (a[k * p + k] as number) + ridge + (scale[k] === 0 ? 1 : 0);
  const beta = p > 0 ? choleskySolve(a, b, p) : new Float64Array(0);
  if (!beta) throw invalidArgument('params.l2', 'the ridge system is singular: increase l2');
  const coefficients = new Float64Array(p);
  let intercept = yMean;
  for (let k = 0; k < p; k++) {
    const s = scale[k] as number;
    const c = s > 0 ? (beta[k] as number) / s : 0;
    coefficients[k] = c;
    intercept -= c * (mean[k] as number);
  }
  return createRidge(modelFeatures(columns), impute, design, coefficients, intercept, { l2 });
}

function designRow(
  columns: readonly ArrayLike<number>[],
  row: number,
  impute: Float64Array,
  design: readonly RidgeColumn[],
  out: Float64Array,
): void {
  for (let k = 0; k < design.length; k++) {
    const d = design[k] as RidgeColumn;
    let x = Math.fround((columns[d.feature] as ArrayLike<number>)[row] as number);
    if (Number.isNaN(x)) x = impute[d.feature] as number;
    out[k] = d.value === undefined ? x : x === d.value ? 1 : 0;
  }
}

/** A ridge model from its parts. */
export function createRidge(
  features: readonly ModelFeature[],
  impute: Float64Array,
  design: readonly RidgeColumn[],
  coefficients: Float64Array,
  intercept: number,
  params: Record<string, unknown>,
): RidgeRegressor {
  return {
    kind: 'ridge',
    features,
    params,
    impute,
    design,
    coefficients,
    intercept,
    predict(columns) {
      const n = columns[0]?.length ?? 0;
      const out = new Float64Array(n);
      const row = new Float64Array(design.length);
      for (let i = 0; i < n; i++) {
        designRow(columns, i, impute, design, row);
        let s = intercept;
        for (let k = 0; k < design.length; k++) s += (coefficients[k] as number) * (row[k] as number);
        out[i] = s;
      }
      return out;
    },
  };
}
