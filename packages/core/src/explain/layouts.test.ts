import {
  assembleBundle,
  type BundleSpec,
  buildModel,
  createExplainer,
  createPredictor,
  type TreeNodeSpec,
  treeEnsembleClassifierNode,
} from '@cairn/core';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { numericFeatures, randomRows, testSpec, toRecord } from '../__fixtures__/explain-bundles.js';
import { asTensorAttributes, singleInputModel, treeAttributes } from '../__fixtures__/explain-models.js';
import { randomShapTree, rng } from '../__fixtures__/random-ensemble.js';

const F = 5;

function forest(seed: number, count: number): TreeNodeSpec[][] {
  const random = rng(seed);
  return Array.from({ length: count }, () => randomShapTree(random, { depth: 4, features: F }));
}

/** Explains rows with and without onnxruntime and checks additivity and agreement with the predictor. */
async function check(model: Uint8Array, spec: Partial<BundleSpec>, expectedSpace: string) {
  const random = rng(99);
  const reference = randomRows(random, 50, F).map(toRecord);
  const rows = randomRows(random, 8, F).map(toRecord);
  const { bundle } = await assembleBundle(testSpec(numericFeatures(F), spec), model, { reference });
  const predictor = await createPredictor(bundle, { runtime: ort });
  const scores = await predictor.predictValues(rows);
  for (const method of ['tree-path', 'tree-interventional'] as const) {
    const explainer = await createExplainer(bundle, { runtime: ort, method });
    expect(explainer.space).toBe(expectedSpace);
    const explanations = await explainer.explainBatch(rows);
    explanations.forEach((e, i) => {
      const sum = e.contributions.reduce((s, c) => s + c.contribution, 0);
      expect(Math.abs(e.base + sum - e.output)).toBeLessThan(1e-9);
      expect(e.probability).toBeCloseTo(scores.probability[i] as number, 5);
    });
    await explainer.release();
  }
  await predictor.release();
}

const probabilities = [
  { name: 'label', dtype: 'int64' as const, shape: ['N'] },
  { name: 'probabilities', dtype: 'float32' as const, shape: ['N', 3] },
];

describe('tree ensemble layouts, checked against onnxruntime', () => {
  it('multi-class SOFTMAX with one tree per class and base values (explains one class, raw-score space)', async () => {
    const trees = forest(1, 9);
    const attributes = treeAttributes(trees, 'class', (t, leaf) => [[t % 3, leaf.leaf]]);
    const model = singleInputModel(
      F,
      [
        {
          opType: 'TreeEnsembleClassifier',
          domain: 'ai.onnx.ml',
          inputs: ['input'],
          outputs: ['label', 'probabilities'],
          attributes: {
            ...attributes,
            classlabels_int64s: { ints: [0, 1, 2] },
            post_transform: { string: 'SOFTMAX' },
            base_values: { floats: [0.1, -0.2, 0.3] },
          },
        },
      ],
      probabilities,
    );
    await check(model, { output: { name: 'probabilities', positiveClass: 2 } }, 'raw-score');
  });

  it('random-forest style votes for every class at every leaf, post_transform NONE (probability space)', async () => {
    const trees = forest(2, 6);
    const attributes = treeAttributes(trees, 'class', (_, leaf) => {
      const a = Math.abs(leaf.leaf);
      const p = [a, (1 - a) / 2, (1 - a) / 2];
      return p.map((v, k) => [k, v / 6] as const);
    });
    const model = singleInputModel(
      F,
      [
        {
          opType: 'TreeEnsembleClassifier',
          domain: 'ai.onnx.ml',
          inputs: ['input'],
          outputs: ['label', 'probabilities'],
          attributes: { ...attributes, classlabels_int64s: { ints: [0, 1, 2] }, post_transform: { string: 'NONE' } },
        },
      ],
      probabilities,
    );
    await check(model, { output: { name: 'probabilities', positiveClass: 0 } }, 'probability');
  });

  it('binary with all-positive weights and no transform: onnxruntime writes [1 − s, s]', async () => {
    const trees = forest(3, 4).map((t) => t.map((n) => ('leaf' in n ? { ...n, leaf: Math.abs(n.leaf) / 4 } : n)));
    const attributes = treeAttributes(trees, 'class', (_, leaf) => [[0, leaf.leaf]]);
    const model = singleInputModel(
      F,
      [
        {
          opType: 'TreeEnsembleClassifier',
          domain: 'ai.onnx.ml',
          inputs: ['input'],
          outputs: ['label', 'probabilities'],
          attributes: { ...attributes, classlabels_int64s: { ints: [0, 1] }, post_transform: { string: 'NONE' } },
        },
      ],
      [probabilities[0] as (typeof probabilities)[0], { name: 'probabilities', dtype: 'float32', shape: ['N', 2] }],
    );
    await check(model, { output: { name: 'probabilities', positiveIndex: 0 } }, 'probability');
  });

  it('regressor summing trees into a logit', async () => {
    const trees = forest(4, 7);
    const attributes = treeAttributes(trees, 'target', (_, leaf) => [[0, leaf.leaf]]);
    const model = singleInputModel(
      F,
      [
        {
          opType: 'TreeEnsembleRegressor',
          domain: 'ai.onnx.ml',
          inputs: ['input'],
          outputs: ['logit'],
          attributes: { ...attributes, n_targets: { int: 1 }, base_values: { floats: [-0.4] } },
        },
      ],
      [{ name: 'logit', dtype: 'float32', shape: ['N', 1] }],
    );
    await check(model, { output: { name: 'logit', kind: 'logit' } }, 'log-odds');
  });

  it('regressor averaging trees into a probability', async () => {
    const trees = forest(5, 5).map((t) => t.map((n) => ('leaf' in n ? { ...n, leaf: Math.abs(n.leaf) } : n)));
    const attributes = treeAttributes(trees, 'target', (_, leaf) => [[0, leaf.leaf]]);
    const model = singleInputModel(
      F,
      [
        {
          opType: 'TreeEnsembleRegressor',
          domain: 'ai.onnx.ml',
          inputs: ['input'],
          outputs: ['p'],
          attributes: { ...attributes, n_targets: { int: 1 }, aggregate_function: { string: 'AVERAGE' } },
        },
      ],
      [{ name: 'p', dtype: 'float32', shape: ['N', 1] }],
    );
    await check(model, { output: { name: 'p', kind: 'probability' } }, 'probability');
  });

  it('reads the opset-3 *_as_tensor attributes', async () => {
    const trees = forest(6, 5);
    const attributes = treeAttributes(trees, 'class', (_, leaf) => [[0, leaf.leaf]]);
    const plain = buildModel({
      inputs: [{ name: 'input', dtype: 'float64', shape: ['N', F] }],
      outputs: [
        { name: 'label', dtype: 'int64', shape: ['N'] },
        { name: 'probabilities', dtype: 'float32', shape: ['N', 2] },
      ],
      nodes: [
        {
          opType: 'TreeEnsembleClassifier',
          domain: 'ai.onnx.ml',
          inputs: ['input'],
          outputs: ['label', 'probabilities'],
          attributes: {
            ...attributes,
            classlabels_int64s: { ints: [0, 1] },
            post_transform: { string: 'LOGISTIC' },
            base_values: { floats: [0.25] },
          },
        },
      ],
    });
    const model = asTensorAttributes(plain, ['nodes_values', 'class_weights', 'base_values']);
    await check(model, { output: { name: 'probabilities', positiveClass: 1 } }, 'log-odds');
  });
});

describe('unsupported structures', () => {
  it('aggregate MIN is not additive: exact methods refuse it, auto falls back to KernelSHAP', async () => {
    const trees = forest(7, 3);
    const attributes = treeAttributes(trees, 'target', (_, leaf) => [[0, leaf.leaf]]);
    const model = singleInputModel(
      F,
      [
        {
          opType: 'TreeEnsembleRegressor',
          domain: 'ai.onnx.ml',
          inputs: ['input'],
          outputs: ['logit'],
          attributes: { ...attributes, n_targets: { int: 1 }, aggregate_function: { string: 'MIN' } },
        },
      ],
      [{ name: 'logit', dtype: 'float32', shape: ['N', 1] }],
    );
    const reference = randomRows(rng(3), 20, F).map(toRecord);
    const { bundle } = await assembleBundle(testSpec(numericFeatures(F), { output: { name: 'logit', kind: 'logit' } }), model, {
      reference,
    });
    await expect(createExplainer(bundle, { method: 'tree-path' })).rejects.toMatchObject({
      code: 'unsupported',
      message: expect.stringContaining('MIN'),
    });
    const explainer = await createExplainer(bundle, { runtime: ort });
    expect(explainer.method).toBe('kernel');
    const e = await explainer.explain(reference[0] as Record<string, number>);
    expect(e.additivityError).toBeLessThan(1e-9);
    await explainer.release();
  });
});

describe('preprocessing that mixes features', () => {
  it('a Normalizer before the trees cannot be credited per feature: exact methods refuse, auto uses KernelSHAP', async () => {
    const trees = forest(8, 3);
    const model = singleInputModel(
      F,
      [
        { opType: 'Normalizer', domain: 'ai.onnx.ml', inputs: ['input'], outputs: ['normed'], attributes: { norm: { string: 'L2' } } },
        treeEnsembleClassifierNode({ trees, input: 'normed', outputs: ['label', 'probabilities'] }),
      ],
      [
        { name: 'label', dtype: 'int64', shape: ['N'] },
        { name: 'probabilities', dtype: 'float32', shape: ['N', 2] },
      ],
    );
    const reference = randomRows(rng(4), 20, F, 0).map(toRecord);
    const { bundle } = await assembleBundle(testSpec(numericFeatures(F)), model, { reference });
    await expect(createExplainer(bundle, { method: 'tree-path' })).rejects.toMatchObject({
      code: 'unsupported',
      message: expect.stringContaining('several features'),
    });
    const explainer = await createExplainer(bundle, { runtime: ort });
    expect(explainer.method).toBe('kernel');
    await explainer.release();
  });
});
