import { seededRandom } from '../explain/kernel.js';
import { buildModel, type TreeNodeSpec, treeEnsembleClassifierNode } from '../onnx/build.js';

/** Small deterministic PRNG (mulberry32) so fixtures are reproducible. */
export const rng = seededRandom;

/** A full random binary tree of the given depth over `features` standard-normal features. */
export function randomTree(random: () => number, depth: number, features: number): TreeNodeSpec[] {
  const nodes: TreeNodeSpec[] = [];
  const build = (d: number, cover: number): number => {
    const id = nodes.length;
    if (d === depth) {
      nodes.push({ leaf: (random() - 0.5) * 0.4, cover });
      return id;
    }
    nodes.push({ leaf: 0 }); // placeholder, replaced below
    const share = 0.2 + random() * 0.6;
    const yes = build(d + 1, Math.max(1, Math.round(cover * share)));
    const no = build(d + 1, Math.max(1, cover - Math.round(cover * share)));
    nodes[id] = {
      feature: Math.floor(random() * features),
      threshold: (random() - 0.5) * 2,
      yes,
      no,
      missingGoesYes: random() < 0.5,
      cover,
    };
    return id;
  };
  build(0, 1000);
  return nodes;
}

/** ONNX bytes of a random binary tree ensemble with one float input `input` of [N, features]. */
export function randomEnsembleModel(options: { trees: number; depth: number; features: number; seed?: number }): Uint8Array {
  const random = rng(options.seed ?? 42);
  const trees = Array.from({ length: options.trees }, () => randomTree(random, options.depth, options.features));
  return buildModel({
    inputs: [{ name: 'input', dtype: 'float32', shape: ['N', options.features] }],
    outputs: [
      { name: 'label', dtype: 'int64', shape: ['N'] },
      { name: 'probabilities', dtype: 'float32', shape: ['N', 2] },
    ],
    nodes: [treeEnsembleClassifierNode({ trees, input: 'input', outputs: ['label', 'probabilities'], baseValue: -0.1 })],
  });
}

const MODES = ['BRANCH_LEQ', 'BRANCH_LT', 'BRANCH_GTE', 'BRANCH_GT', 'BRANCH_EQ', 'BRANCH_NEQ'] as const;

/** Options of {@link randomShapTree}. */
export interface RandomShapTreeOptions {
  readonly depth: number;
  readonly features: number;
  /** Chance that a split stops early in a leaf (uneven trees). @defaultValue 0.15 */
  readonly earlyLeaf?: number;
  /** Use all six split modes (EQ/NEQ on thresholds drawn from `grid`). @defaultValue true */
  readonly allModes?: boolean;
  /** Values features take, so EQ/NEQ splits can fire. @defaultValue [-1, -0.5, 0, 0.5, 1] */
  readonly grid?: readonly number[];
  /** Leave covers out (models without nodes_hitrates). @defaultValue false */
  readonly noCovers?: boolean;
}

/**
 * A random tree for SHAP tests: uneven depth, every split mode, random missing-value directions,
 * and consistent covers (each split's cover is its children's sum; leaves get 1–20).
 */
export function randomShapTree(random: () => number, options: RandomShapTreeOptions): TreeNodeSpec[] {
  const grid = options.grid ?? [-1, -0.5, 0, 0.5, 1];
  const nodes: Array<TreeNodeSpec & { cover?: number }> = [];
  const build = (d: number): number => {
    const id = nodes.length;
    nodes.push({ leaf: 0 });
    if (d === options.depth || (d > 0 && random() < (options.earlyLeaf ?? 0.15))) {
      const cover = 1 + Math.floor(random() * 20);
      nodes[id] = { leaf: Math.round((random() - 0.5) * 2000) / 1000, ...(options.noCovers ? {} : { cover }) };
      return id;
    }
    const mode = options.allModes === false ? 'BRANCH_LEQ' : (MODES[Math.floor(random() * MODES.length)] as (typeof MODES)[number]);
    const threshold =
      mode === 'BRANCH_EQ' || mode === 'BRANCH_NEQ' ? (grid[Math.floor(random() * grid.length)] as number) : (random() - 0.5) * 2;
    const feature = Math.floor(random() * options.features);
    const missingGoesYes = random() < 0.5;
    const yes = build(d + 1);
    const no = build(d + 1);
    const cover = ((nodes[yes] as { cover?: number }).cover ?? 0) + ((nodes[no] as { cover?: number }).cover ?? 0);
    nodes[id] = { feature, threshold, mode, yes, no, missingGoesYes, ...(options.noCovers ? {} : { cover }) };
    return id;
  };
  build(0);
  return nodes;
}
