import { buildModel, type InitializerSpec, type NodeSpec } from '@cairn/core';
import type { DataColumn } from '../data/dataset.js';
import type { ModelFeature } from '../learn/model.js';
import type { Tree } from '../learn/tree-builder.js';
import { treeOutput } from '../learn/tree-builder.js';
import { type FitHooks, fitRegressor, foldsOf, subsetColumns } from './nuisance.js';
import { createRidge, type GbdtRegressorParams, type RidgeColumn, type RidgeRegressor, trainRidge } from './regression.js';

/** How individual effects are learned: the DR-learner (regression of doubly robust pseudo-outcomes) or the T-learner baseline. */
export type CateLearner = 'dr' | 't';
/** The family of the exported effect model. */
export type CateFamily = 'gbdt' | 'linear';

/** A model of the conditional average treatment effect that predicts from raw covariates and exports itself to ONNX. */
export interface CateModel {
  readonly learner: CateLearner;
  readonly family: CateFamily;
  readonly features: readonly ModelFeature[];
  /** How it was fitted (rounds or penalty chosen, and the cross-validation behind the choice). */
  readonly params: Readonly<Record<string, unknown>>;
  /** Estimated effects for rows given as one array per covariate (NaN = missing), computed as the ONNX graph computes them. */
  predict(columns: readonly ArrayLike<number>[]): Float64Array;
  /** The model as ONNX: input `input` [N, covariates] float32, output `effect` [N, 1] float32. */
  toOnnx(): Uint8Array;
}

/** Output name of an exported effect model. */
export const EFFECT_OUTPUT = 'effect';

const f32 = Math.fround;

/** An effect model from gradient-boosted trees (leaves and base rounded to float32, as exported). */
function treeCate(
  learner: CateLearner,
  features: readonly ModelFeature[],
  trees: readonly Tree[],
  base: number,
  params: Record<string, unknown>,
): CateModel {
  const rounded = trees.map((t) => ({ ...t, value: Float64Array.from(t.value, f32) }));
  const b = f32(base);
  return {
    learner,
    family: 'gbdt',
    features,
    params,
    predict(columns) {
      const n = columns[0]?.length ?? 0;
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (const tree of rounded) s += treeOutput(tree, columns, i);
        out[i] = f32(b + s);
      }
      return out;
    },
    toOnnx: () => treeRegressorOnnx(features.length, rounded, b),
  };
}

/** An effect model from a linear model on the raw covariates (coefficients rounded to float32, as exported). */
function linearCate(learner: CateLearner, model: RidgeRegressor, params: Record<string, unknown>): CateModel {
  const coefficients = Float64Array.from(model.coefficients, f32);
  const impute = Float64Array.from(model.impute, f32);
  const intercept = f32(model.intercept);
  const rounded = createRidge(model.features, impute, model.design, coefficients, intercept, model.params);
  return {
    learner,
    family: 'linear',
    features: model.features,
    params,
    predict: (columns) => Float64Array.from(rounded.predict(columns), f32),
    toOnnx: () => linearRegressorOnnx(model.features, impute, model.design, coefficients, intercept),
  };
}

function negated(tree: Tree): Tree {
  return { ...tree, value: Float64Array.from(tree.value, (v) => -v) };
}

/** Settings of the effect-model fits. */
export interface CateSettings {
  readonly family: CateFamily;
  /** Folds for choosing the boosting rounds or the ridge penalty. */
  readonly folds: number;
  readonly gbdt: GbdtRegressorParams;
  /** Ridge penalties tried (chosen by cross-validation). */
  readonly penalties: readonly number[];
}

/** Ridge with the penalty that predicts held-out targets best (K-fold, seeded); missing values take `impute` when given. */
function cvRidge(
  columns: readonly DataColumn[],
  target: Float64Array,
  rows: readonly number[],
  penalties: readonly number[],
  folds: number,
  seed: number,
  impute?: Float64Array,
): { model: RidgeRegressor; l2: number; scores: { l2: number; mse: number }[] } {
  const fixed = impute ? { impute } : {};
  const strata = new Uint8Array(rows.length);
  const parts = foldsOf(strata, Math.max(2, Math.min(folds, Math.floor(rows.length / 5))), seed).map((p) =>
    p.map((i) => rows[i] as number),
  );
  const pick = (r: readonly number[]) => ({ columns: subsetColumns(columns, r), target: Float64Array.from(r, (i) => target[i] as number) });
  const scores = penalties.map((l2) => {
    let sse = 0;
    let count = 0;
    parts.forEach((held, k) => {
      const train = parts.filter((_, j) => j !== k).flat();
      const m = trainRidge(pick(train), { l2 }, fixed);
      const p = m.predict(subsetColumns(columns, held).map((c) => c.values));
      held.forEach((r, i) => {
        sse += ((p[i] as number) - (target[r] as number)) ** 2;
        count++;
      });
    });
    return { l2, mse: sse / count };
  });
  let best = scores[0] as { l2: number; mse: number };
  for (const s of scores) if (s.mse < best.mse) best = s;
  return { model: trainRidge(pick(rows), { l2: best.l2 }, fixed), l2: best.l2, scores };
}

/**
 * The DR-learner (Kennedy 2023): regresses the cross-fitted doubly robust pseudo-outcomes on the
 * covariates with boosted trees (rounds chosen by K-fold cross-validation) or ridge (penalty chosen likewise).
 */
export async function fitDrLearner(
  covariates: readonly DataColumn[],
  pseudo: Float64Array,
  settings: CateSettings,
  hooks: FitHooks,
): Promise<CateModel> {
  const rows = Array.from({ length: pseudo.length }, (_, i) => i);
  if (settings.family === 'linear') {
    const { model, l2, scores } = cvRidge(covariates, pseudo, rows, settings.penalties, settings.folds, hooks.seed);
    return linearCate('dr', model, { family: 'linear', l2, crossValidation: scores });
  }
  const { model, rounds, curve } = await fitRegressor(covariates, pseudo, rows, settings.gbdt, hooks, { folds: settings.folds });
  return treeCate('dr', model.features, model.trees, model.base, {
    family: 'gbdt',
    ...settings.gbdt,
    trees: rounds,
    crossValidatedLoss: curve[rounds - 1],
  });
}

/**
 * The T-learner baseline: one outcome regression per arm on all rows, the effect being their
 * difference (one tree ensemble with the untreated trees negated, or one linear model).
 */
export async function fitTLearner(
  covariates: readonly DataColumn[],
  outcome: Float64Array,
  treatment: Uint8Array,
  settings: CateSettings,
  hooks: FitHooks,
): Promise<CateModel> {
  const treated: number[] = [];
  const control: number[] = [];
  treatment.forEach((t, i) => {
    (t === 1 ? treated : control).push(i);
  });
  if (settings.family === 'linear') {
    // Both arms impute missing values with the overall means, so their difference is one linear model.
    const { impute } = trainRidge({ columns: covariates, target: outcome }, { l2: 1 });
    const m1 = cvRidge(covariates, outcome, treated, settings.penalties, settings.folds, hooks.seed, impute);
    const m0 = cvRidge(covariates, outcome, control, settings.penalties, settings.folds, hooks.seed + 1, impute);
    const coefficients = Float64Array.from(m1.model.coefficients, (c, k) => c - (m0.model.coefficients[k] as number));
    const difference = createRidge(m1.model.features, impute, m1.model.design, coefficients, m1.model.intercept - m0.model.intercept, {});
    return linearCate('t', difference, { family: 'linear', l2: { treated: m1.l2, untreated: m0.l2 } });
  }
  const f1 = await fitRegressor(covariates, outcome, treated, settings.gbdt, { ...hooks, seed: hooks.seed + 1 }, { folds: settings.folds });
  const f0 = await fitRegressor(covariates, outcome, control, settings.gbdt, { ...hooks, seed: hooks.seed + 2 }, { folds: settings.folds });
  const trees = [...f1.model.trees, ...f0.model.trees.map(negated)];
  return treeCate('t', f1.model.features, trees, f1.model.base - f0.model.base, {
    family: 'gbdt',
    ...settings.gbdt,
    trees: { treated: f1.rounds, untreated: f0.rounds },
  });
}

/** Writes trees as a single-target TreeEnsembleRegressor with node covers (for path-dependent TreeSHAP). */
export function treeRegressorOnnx(width: number, trees: readonly Tree[], base: number): Uint8Array {
  const a = {
    treeIds: [] as number[],
    nodeIds: [] as number[],
    featureIds: [] as number[],
    modes: [] as string[],
    values: [] as number[],
    yes: [] as number[],
    no: [] as number[],
    missing: [] as number[],
    hitrates: [] as number[],
    targetTree: [] as number[],
    targetNode: [] as number[],
    targetWeight: [] as number[],
  };
  trees.forEach((tree, t) => {
    for (let id = 0; id < tree.feature.length; id++) {
      const f = tree.feature[id] as number;
      a.treeIds.push(t);
      a.nodeIds.push(id);
      a.hitrates.push(tree.cover[id] as number);
      if (f < 0) {
        a.featureIds.push(0);
        a.modes.push('LEAF');
        a.values.push(0);
        a.yes.push(0);
        a.no.push(0);
        a.missing.push(0);
        a.targetTree.push(t);
        a.targetNode.push(id);
        a.targetWeight.push(tree.value[id] as number);
      } else {
        a.featureIds.push(f);
        a.modes.push('BRANCH_LEQ');
        a.values.push(tree.threshold[id] as number);
        a.yes.push(tree.left[id] as number);
        a.no.push(tree.right[id] as number);
        a.missing.push(tree.missingLeft[id] as number);
      }
    }
  });
  const node: NodeSpec = {
    opType: 'TreeEnsembleRegressor',
    domain: 'ai.onnx.ml',
    inputs: ['input'],
    outputs: [EFFECT_OUTPUT],
    attributes: {
      n_targets: { int: 1 },
      nodes_treeids: { ints: a.treeIds },
      nodes_nodeids: { ints: a.nodeIds },
      nodes_featureids: { ints: a.featureIds },
      nodes_modes: { strings: a.modes },
      nodes_values: { floats: a.values },
      nodes_truenodeids: { ints: a.yes },
      nodes_falsenodeids: { ints: a.no },
      nodes_missing_value_tracks_true: { ints: a.missing },
      nodes_hitrates: { floats: a.hitrates },
      target_treeids: { ints: a.targetTree },
      target_nodeids: { ints: a.targetNode },
      target_ids: { ints: a.targetTree.map(() => 0) },
      target_weights: { floats: a.targetWeight },
      base_values: { floats: [base] },
      aggregate_function: { string: 'SUM' },
      post_transform: { string: 'NONE' },
    },
  };
  return buildModel({
    inputs: [{ name: 'input', dtype: 'float32', shape: ['N', width] }],
    outputs: [{ name: EFFECT_OUTPUT, dtype: 'float32', shape: ['N', 1] }],
    nodes: [node],
    graphName: 'cairn_cate_trees',
  });
}

/** Writes a linear model on raw covariates: Imputer, one-hot categories, LinearRegressor. */
export function linearRegressorOnnx(
  features: readonly ModelFeature[],
  impute: Float64Array,
  design: readonly RidgeColumn[],
  coefficients: Float64Array,
  intercept: number,
): Uint8Array {
  const width = features.length;
  const nodes: NodeSpec[] = [
    {
      opType: 'Imputer',
      domain: 'ai.onnx.ml',
      inputs: ['input'],
      outputs: ['imputed'],
      attributes: { imputed_value_floats: { floats: impute }, replaced_value_float: { float: Number.NaN } },
    },
  ];
  const initializers: InitializerSpec[] = [];
  const parts: string[] = [];
  const order: number[] = [];
  const numeric = design.map((d, k) => ({ d, k })).filter(({ d }) => d.value === undefined);
  if (numeric.length > 0) {
    const inOrder = numeric.length === width && numeric.every(({ d }, j) => d.feature === j);
    if (inOrder) parts.push('imputed');
    else {
      initializers.push({ name: 'numeric_columns', dtype: 'int64', dims: [numeric.length], values: numeric.map(({ d }) => d.feature) });
      nodes.push({ opType: 'ArrayFeatureExtractor', domain: 'ai.onnx.ml', inputs: ['imputed', 'numeric_columns'], outputs: ['numeric'] });
      parts.push('numeric');
    }
    for (const { k } of numeric) order.push(k);
  }
  const categorical = [...new Set(design.filter((d) => d.value !== undefined).map((d) => d.feature))];
  for (const j of categorical) {
    const levels = design.map((d, k) => ({ d, k })).filter(({ d }) => d.feature === j && d.value !== undefined);
    const name = `f${j}`;
    initializers.push({ name: `${name}_index`, dtype: 'int64', dims: [1], values: [j] });
    initializers.push({ name: `${name}_shape`, dtype: 'int64', dims: [2], values: [-1, levels.length] });
    nodes.push(
      { opType: 'ArrayFeatureExtractor', domain: 'ai.onnx.ml', inputs: ['imputed', `${name}_index`], outputs: [`${name}_value`] },
      { opType: 'Cast', inputs: [`${name}_value`], outputs: [`${name}_code`], attributes: { to: { int: 7 } } },
      {
        opType: 'OneHotEncoder',
        domain: 'ai.onnx.ml',
        inputs: [`${name}_code`],
        outputs: [`${name}_onehot3d`],
        attributes: { cats_int64s: { ints: levels.map(({ d }) => d.value as number) }, zeros: { int: 1 } },
      },
      { opType: 'Reshape', inputs: [`${name}_onehot3d`, `${name}_shape`], outputs: [`${name}_onehot`] },
    );
    parts.push(`${name}_onehot`);
    for (const { k } of levels) order.push(k);
  }
  let input = parts[0] as string;
  if (parts.length > 1) {
    nodes.push({ opType: 'Concat', inputs: parts, outputs: ['design'], attributes: { axis: { int: 1 } } });
    input = 'design';
  }
  nodes.push({
    opType: 'LinearRegressor',
    domain: 'ai.onnx.ml',
    inputs: [input],
    outputs: [EFFECT_OUTPUT],
    attributes: {
      coefficients: { floats: order.map((k) => coefficients[k] as number) },
      intercepts: { floats: [intercept] },
      targets: { int: 1 },
      post_transform: { string: 'NONE' },
    },
  });
  return buildModel({
    inputs: [{ name: 'input', dtype: 'float32', shape: ['N', width] }],
    outputs: [{ name: EFFECT_OUTPUT, dtype: 'float32', shape: ['N', 1] }],
    nodes,
    initializers,
    graphName: 'cairn_cate_linear',
  });
}
