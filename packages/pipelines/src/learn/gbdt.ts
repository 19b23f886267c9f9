import { buildModel, invalidArgument, treeEnsembleClassifierNode } from '@cairn/core';
import { createYielder } from '../cancel.js';
import { createRandom } from '../random.js';
import { applyCuts, type BinnedMatrix, computeCuts } from './binning.js';
import {
  type BinaryClassifier,
  classWeights,
  type LearnerHooks,
  type ModelFeature,
  modelFeatures,
  sigmoid,
  type TrainingData,
  threadsFor,
} from './model.js';
import { type Tree, TreeBuilder, type TreeParams, treeOutput, treeOutputBinned } from './tree-builder.js';

/** Hyperparameters of {@link trainGbdt} (names follow XGBoost's where they mean the same). */
export interface GbdtParams {
  /** Boosting rounds (the most; early stopping may keep fewer). @defaultValue 200 */
  trees?: number;
  /** @defaultValue 0.1 */
  learningRate?: number;
  /** @defaultValue 4 */
  maxDepth?: number;
  /** Most leaves per tree; 0 = depth only. @defaultValue 0 */
  maxLeaves?: number;
  /** @defaultValue 1 */
  minChildWeight?: number;
  /** L2 penalty on leaf values. @defaultValue 1 */
  lambda?: number;
  /** Least loss reduction to split. @defaultValue 0 */
  gamma?: number;
  /** Fraction of rows sampled per tree. @defaultValue 1 */
  subsample?: number;
  /** Fraction of features sampled per tree. @defaultValue 1 */
  colsample?: number;
  /** Quantile bins per feature (missing values get their own). @defaultValue 256 */
  maxBins?: number;
  /** Weight of positive rows (XGBoost's scale_pos_weight), or `balanced`. @defaultValue 1 */
  positiveWeight?: number | 'balanced';
  /** Stop when validation log loss has not improved for this many rounds (0 = never). @defaultValue 20 */
  earlyStoppingRounds?: number;
}

/** Options of {@link trainGbdt}. */
export interface GbdtOptions extends LearnerHooks {
  /** Rows for early stopping. */
  readonly validation?: TrainingData;
  /** @defaultValue 1 */
  readonly seed?: number;
}

/** A fitted gradient-boosted tree ensemble (log loss, second order). */
export interface GbdtModel extends BinaryClassifier {
  readonly kind: 'gbdt';
  readonly trees: readonly Tree[];
  /** Margin (log-odds) every row starts from. */
  readonly baseMargin: number;
  /** Validation log loss after each round (empty without validation data). */
  readonly validationLoss: readonly number[];
  /** Rounds kept (the best validation round when early stopping ran). */
  readonly rounds: number;
}

interface ResolvedGbdtParams {
  trees: number;
  learningRate: number;
  maxDepth: number;
  maxLeaves: number;
  minChildWeight: number;
  lambda: number;
  gamma: number;
  subsample: number;
  colsample: number;
  maxBins: number;
  positiveWeight: number | 'balanced';
  earlyStoppingRounds: number;
}

function resolve(params: GbdtParams): ResolvedGbdtParams {
  const r: ResolvedGbdtParams = {
    trees: params.trees ?? 200,
    learningRate: params.learningRate ?? 0.1,
    maxDepth: params.maxDepth ?? 4,
    maxLeaves: params.maxLeaves ?? 0,
    minChildWeight: params.minChildWeight ?? 1,
    lambda: params.lambda ?? 1,
    gamma: params.gamma ?? 0,
    subsample: params.subsample ?? 1,
    colsample: params.colsample ?? 1,
    maxBins: params.maxBins ?? 256,
    positiveWeight: params.positiveWeight ?? 1,
    earlyStoppingRounds: params.earlyStoppingRounds ?? 20,
  };
  const positiveInt = (k: keyof ResolvedGbdtParams, min: number) => {
    const v = r[k] as number;
    if (!Number.isInteger(v) || v < min) throw invalidArgument(`params.${k}`, `must be an integer ≥ ${min}`);
  };
  positiveInt('trees', 1);
  positiveInt('maxDepth', 1);
  positiveInt('maxLeaves', 0);
  positiveInt('maxBins', 2);
  positiveInt('earlyStoppingRounds', 0);
  if (!(r.learningRate > 0 && r.learningRate <= 1)) throw invalidArgument('params.learningRate', 'must be in (0, 1]');
  if (!(r.subsample > 0 && r.subsample <= 1)) throw invalidArgument('params.subsample', 'must be in (0, 1]');
  if (!(r.colsample > 0 && r.colsample <= 1)) throw invalidArgument('params.colsample', 'must be in (0, 1]');
  if (!(r.minChildWeight >= 0)) throw invalidArgument('params.minChildWeight', 'must be ≥ 0');
  if (!(r.lambda >= 0)) throw invalidArgument('params.lambda', 'must be ≥ 0');
  if (!(r.gamma >= 0)) throw invalidArgument('params.gamma', 'must be ≥ 0');
  if (r.maxBins > 256) throw invalidArgument('params.maxBins', 'must be at most 256');
  return r;
}

function logLoss(margin: Float64Array, labels: Uint8Array, weights: Float64Array): number {
  let loss = 0;
  let total = 0;
  for (let i = 0; i < margin.length; i++) {
    const m = margin[i] as number;
    const softplus = m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m));
    loss += (weights[i] as number) * (softplus - (labels[i] as number) * m);
    total += weights[i] as number;
  }
  return loss / total;
}

/**
 * Trains gradient-boosted trees for log loss with second-order (Newton) leaves on a quantile-binned
 * uint8 matrix: missing values take a learned default branch, rows and features can be subsampled,
 * and with validation data boosting stops once the validation loss stops improving.
 */
export async function trainGbdt(data: TrainingData, params: GbdtParams = {}, options: GbdtOptions = {}): Promise<GbdtModel> {
  const p = resolve(params);
  const yieldNow = createYielder(options.signal);
  const random = createRandom(options.seed ?? 1);
  const { columns, labels } = data;
  const n = labels.length;
  const cuts = await computeCuts(
    columns.map((c) => c.values),
    p.maxBins,
    random.fork(),
    yieldNow,
  );
  const threads = threadsFor(n, options.threads);
  const matrix = await applyCuts(
    columns.map((c) => c.values),
    cuts,
    threads >= 2,
    yieldNow,
  );
  await yieldNow();
  const weights = classWeights(labels, p.positiveWeight, data.weights);
  let wSum = 0;
  let wPos = 0;
  for (let i = 0; i < n; i++) {
    wSum += weights[i] as number;
    wPos += (weights[i] as number) * (labels[i] as number);
  }
  const baseMargin = Math.log(wPos / (wSum - wPos));
  const margin = new Float64Array(n).fill(baseMargin);
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);

  const validation = options.validation;
  let validMatrix: BinnedMatrix | undefined;
  let validMargin: Float64Array | undefined;
  let validWeights: Float64Array | undefined;
  if (validation && validation.labels.length > 0) {
    validMatrix = await applyCuts(
      validation.columns.map((c) => c.values),
      cuts,
      false,
      yieldNow,
    );
    validMargin = new Float64Array(validation.labels.length).fill(baseMargin);
    validWeights = classWeights(validation.labels, p.positiveWeight, validation.weights);
  }

  const builder = await TreeBuilder.create(matrix, threads);
  const treeParams: TreeParams = {
    maxDepth: p.maxDepth,
    maxLeaves: p.maxLeaves,
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
        const pr = sigmoid(margin[i] as number);
        const w = weights[i] as number;
        grad[i] = (pr - (labels[i] as number)) * w;
        hess[i] = Math.max(pr * (1 - pr), 1e-16) * w;
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
      const ranges = builder.leafRanges;
      for (let k = 0; k < ranges.length; k += 3) {
        const v = tree.value[ranges[k] as number] as number;
        for (let q = ranges[k + 1] as number; q < (ranges[k + 2] as number); q++) {
          const r = index[q] as number;
          margin[r] = (margin[r] as number) + v;
        }
      }
      if (inSample) {
        for (let i = 0; i < n; i++) if (!inSample[i]) margin[i] = (margin[i] as number) + treeOutputBinned(tree, matrix.bins, n, i);
      }
      if (validMatrix && validMargin && validWeights && validation) {
        const vn = validMargin.length;
        for (let i = 0; i < vn; i++) validMargin[i] = (validMargin[i] as number) + treeOutputBinned(tree, validMatrix.bins, vn, i);
        const loss = logLoss(validMargin, validation.labels, validWeights);
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
  return createGbdtModel(modelFeatures(columns), kept, baseMargin, { ...p }, history);
}

function createGbdtModel(
  features: readonly ModelFeature[],
  trees: readonly Tree[],
  baseMargin: number,
  params: Record<string, unknown>,
  validationLoss: readonly number[],
): GbdtModel {
  const base = Math.fround(baseMargin);
  return {
    kind: 'gbdt',
    features,
    params,
    trees,
    baseMargin: base,
    validationLoss,
    rounds: trees.length,
    predict(columns) {
      const n = columns[0]?.length ?? 0;
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let m = base;
        for (const tree of trees) m += Math.fround(treeOutput(tree, columns, i));
        out[i] = sigmoid(m);
      }
      return out;
    },
    toOnnx: () => treesOnnx(features.length, trees, 'LOGISTIC', base, 1, 'cairn_gbdt'),
  };
}

/** Writes trees as a binary TreeEnsembleClassifier with covers; leaves are scaled by `leafScale`. */
export function treesOnnx(
  width: number,
  trees: readonly Tree[],
  postTransform: 'LOGISTIC' | 'NONE',
  baseValue: number,
  leafScale: number,
  graphName: string,
): Uint8Array {
  const specs = trees.map((tree) =>
    Array.from(tree.feature, (f, i) =>
      f < 0
        ? { leaf: (tree.value[i] as number) * leafScale, cover: tree.cover[i] as number }
        : {
            feature: f,
            threshold: tree.threshold[i] as number,
            mode: 'BRANCH_LEQ' as const,
            yes: tree.left[i] as number,
            no: tree.right[i] as number,
            missingGoesYes: tree.missingLeft[i] === 1,
            cover: tree.cover[i] as number,
          },
    ),
  );
  return buildModel({
    inputs: [{ name: 'input', dtype: 'float32', shape: ['N', width] }],
    outputs: [
      { name: 'label', dtype: 'int64', shape: ['N'] },
      { name: 'probabilities', dtype: 'float32', shape: ['N', 2] },
    ],
    nodes: [treeEnsembleClassifierNode({ trees: specs, input: 'input', outputs: ['label', 'probabilities'], postTransform, baseValue })],
    graphName,
  });
}
