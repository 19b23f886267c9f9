import { invalidArgument } from '@cairn/core';
import { createYielder } from '../cancel.js';
import { createRandom } from '../random.js';
import { applyCuts, computeCuts } from './binning.js';
import { treesOnnx } from './gbdt.js';
import {
  type BinaryClassifier,
  classWeights,
  type LearnerHooks,
  type ModelFeature,
  modelFeatures,
  type TrainingData,
  threadsFor,
} from './model.js';
import { type Tree, TreeBuilder, type TreeParams, treeOutput } from './tree-builder.js';

/** Hyperparameters of {@link trainForest}. */
export interface ForestParams {
  /** @defaultValue 200 */
  trees?: number;
  /** @defaultValue 8 */
  maxDepth?: number;
  /** Least (bootstrap-weighted) rows in a leaf. @defaultValue 1 */
  minLeafWeight?: number;
  /** Features tried per split: `sqrt`, or a fraction of the features. @defaultValue 'sqrt' */
  maxFeatures?: 'sqrt' | number;
  /** Rows drawn with replacement per tree, as a fraction of the rows. @defaultValue 1 */
  sampleFraction?: number;
  /** @defaultValue 256 */
  maxBins?: number;
  /** Weight of positive rows, or `balanced`. @defaultValue 1 */
  positiveWeight?: number | 'balanced';
}

/** Options of {@link trainForest}. */
export interface ForestOptions extends LearnerHooks {
  /** @defaultValue 1 */
  readonly seed?: number;
}

/** A fitted random forest: the probability is the mean of the trees' leaf class fractions. */
export interface ForestModel extends BinaryClassifier {
  readonly kind: 'random-forest';
  readonly trees: readonly Tree[];
}

/**
 * Trains a random forest (bootstrap rows, a random subset of features at each split) with the
 * same histogram tree builder as the boosted trees: squared loss on the 0/1 label makes each
 * split the weighted Gini reduction and each leaf the positive fraction.
 */
export async function trainForest(data: TrainingData, params: ForestParams = {}, options: ForestOptions = {}): Promise<ForestModel> {
  const p = {
    trees: params.trees ?? 200,
    maxDepth: params.maxDepth ?? 8,
    minLeafWeight: params.minLeafWeight ?? 1,
    maxFeatures: params.maxFeatures ?? ('sqrt' as const),
    sampleFraction: params.sampleFraction ?? 1,
    maxBins: params.maxBins ?? 256,
    positiveWeight: params.positiveWeight ?? 1,
  };
  if (!Number.isInteger(p.trees) || p.trees < 1) throw invalidArgument('params.trees', 'must be an integer ≥ 1');
  if (!Number.isInteger(p.maxDepth) || p.maxDepth < 1) throw invalidArgument('params.maxDepth', 'must be an integer ≥ 1');
  if (!(p.minLeafWeight >= 0)) throw invalidArgument('params.minLeafWeight', 'must be ≥ 0');
  if (!(p.sampleFraction > 0 && p.sampleFraction <= 1)) throw invalidArgument('params.sampleFraction', 'must be in (0, 1]');
  if (p.maxFeatures !== 'sqrt' && !(p.maxFeatures > 0 && p.maxFeatures <= 1)) {
    throw invalidArgument('params.maxFeatures', "must be 'sqrt' or a fraction in (0, 1]");
  }
  const yieldNow = createYielder(options.signal);
  const random = createRandom(options.seed ?? 1);
  const { columns, labels } = data;
  const n = labels.length;
  const f = columns.length;
  const values = columns.map((c) => c.values);
  const threads = threadsFor(n, options.threads);
  const matrix = await applyCuts(values, await computeCuts(values, p.maxBins, random.fork(), yieldNow), threads >= 2, yieldNow);
  const weights = classWeights(labels, p.positiveWeight, data.weights);
  const featuresPerSplit = Math.max(1, p.maxFeatures === 'sqrt' ? Math.round(Math.sqrt(f)) : Math.round(p.maxFeatures * f));
  const treeParams: TreeParams = {
    maxDepth: p.maxDepth,
    maxLeaves: 0,
    minChildWeight: p.minLeafWeight,
    lambda: 0,
    gamma: 0,
    learningRate: 1,
    featuresPerSplit: featuresPerSplit >= f ? 0 : featuresPerSplit,
  };
  const builder = await TreeBuilder.create(matrix, threads);
  const features = Int32Array.from(columns.keys());
  const counts = new Float64Array(n);
  const g = new Float64Array(n);
  const h = new Float64Array(n);
  const draws = Math.max(1, Math.round(p.sampleFraction * n));
  const trees: Tree[] = [];
  try {
    for (let t = 0; t < p.trees; t++) {
      await yieldNow();
      options.onProgress?.(t / p.trees);
      counts.fill(0);
      for (let k = 0; k < draws; k++) {
        const r = random.int(n);
        counts[r] = (counts[r] as number) + 1;
      }
      let rows = 0;
      const index = builder.index;
      for (let i = 0; i < n; i++) {
        const c = counts[i] as number;
        if (c === 0) continue;
        const w = c * (weights[i] as number);
        g[i] = -(labels[i] as number) * w;
        h[i] = w;
        index[rows++] = i;
      }
      trees.push(await builder.build(g, h, rows, features, treeParams, random, yieldNow));
    }
  } finally {
    await builder.close();
  }
  options.onProgress?.(1);
  return createForestModel(modelFeatures(columns), trees, { ...p });
}

function createForestModel(features: readonly ModelFeature[], trees: readonly Tree[], params: Record<string, unknown>): ForestModel {
  const scale = 1 / trees.length;
  return {
    kind: 'random-forest',
    features,
    params,
    trees,
    predict(columns) {
      const n = columns[0]?.length ?? 0;
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (const tree of trees) s += Math.fround(treeOutput(tree, columns, i) * scale);
        // float32 leaf shares can sum a hair past 1.
        out[i] = Math.min(1, s);
      }
      return out;
    },
    toOnnx: () => treesOnnx(features.length, trees, 'NONE', 0, scale, 'cairn_random_forest'),
  };
}
