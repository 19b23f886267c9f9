import { assembleBundle, type Bundle, createExplainer, createPredictor, type FeatureRecord, treeEnsembleClassifierNode } from '@cairn/core';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { numericFeatures, randomRows, testSpec, toRecord } from '../__fixtures__/explain-bundles.js';
import { singleInputModel } from '../__fixtures__/explain-models.js';
import { randomShapTree, rng } from '../__fixtures__/random-ensemble.js';
import { bruteForceShapley } from '../__fixtures__/shapley.js';

/** p = sigmoid(tanh(x W1) w2 + b): a small network, which only KernelSHAP can explain. */
function network(features: number, seed: number): Uint8Array {
  const random = rng(seed);
  const hidden = 3;
  const w1 = Array.from({ length: features * hidden }, () => random() * 2 - 1);
  const w2 = Array.from({ length: hidden }, () => random() * 3 - 1.5);
  return singleInputModel(
    features,
    [
      { opType: 'MatMul', inputs: ['input', 'w1'], outputs: ['h0'] },
      { opType: 'Tanh', inputs: ['h0'], outputs: ['h'] },
      { opType: 'MatMul', inputs: ['h', 'w2'], outputs: ['z0'] },
      { opType: 'Add', inputs: ['z0', 'b'], outputs: ['z'] },
      { opType: 'Sigmoid', inputs: ['z'], outputs: ['p'] },
    ],
    [{ name: 'p', dtype: 'float32', shape: ['N', 1] }],
    [
      { name: 'w1', dtype: 'float32', dims: [features, hidden], values: w1 },
      { name: 'w2', dtype: 'float32', dims: [hidden, 1], values: w2 },
      { name: 'b', dtype: 'float32', dims: [1], values: [0.2] },
    ],
  );
}

async function networkBundle(features: number, references: number): Promise<{ bundle: Bundle; rows: FeatureRecord[] }> {
  const random = rng(features);
  const reference = randomRows(random, references, features, 0).map(toRecord);
  const rows = randomRows(random, 3, features, 0).map(toRecord);
  const spec = testSpec(numericFeatures(features), { output: { name: 'p', kind: 'probability' } });
  const { bundle } = await assembleBundle(spec, network(features, 5), { reference });
  return { bundle, rows };
}

/** Exact Shapley values of the background-averaged game, from onnxruntime outputs. */
async function bruteForce(bundle: Bundle, x: FeatureRecord, background: readonly FeatureRecord[], target: (p: number) => number) {
  const names = bundle.manifest.features.map((f) => f.name);
  const predictor = await createPredictor(bundle, { runtime: ort });
  const rows: FeatureRecord[] = [];
  for (let mask = 0; mask < 2 ** names.length; mask++) {
    for (const r of background)
      rows.push(Object.fromEntries(names.map((n, i) => [n, ((mask >> i) & 1) === 1 ? (x[n] ?? null) : (r[n] ?? null)])));
  }
  const p = (await predictor.predictValues(rows)).probability;
  await predictor.release();
  return bruteForceShapley(names.length, (mask) => {
    let s = 0;
    for (let b = 0; b < background.length; b++) s += target(p[mask * background.length + b] as number);
    return s / background.length;
  });
}

const logit = (p: number) => Math.log(p / (1 - p));

describe('KernelSHAP', () => {
  it('is chosen for models the exact explainers cannot read, and is exact when the budget covers all coalitions', async () => {
    const { bundle, rows } = await networkBundle(4, 12);
    const explainer = await createExplainer(bundle, { runtime: ort });
    expect(explainer.method).toBe('kernel');
    expect(explainer.space).toBe('log-odds');
    const background = bundle.reference?.rows ?? [];
    for (const x of rows) {
      const e = await explainer.explain(x);
      expect(e.exact).toBe(true);
      expect(e.evaluations).toBe(1 + 14 * background.length);
      const expected = await bruteForce(bundle, x, background, logit);
      e.contributions.forEach((c, i) => {
        expect(c.contribution).toBeCloseTo(expected[i] as number, 8);
      });
      expect(e.additivityError).toBeLessThan(1e-9);
      expect(e.output).toBeCloseTo(logit(e.probability), 6);
    }
    await explainer.release();
  });

  it('samples coalitions within the budget and stays close to the exact values (probability space)', async () => {
    const { bundle, rows } = await networkBundle(8, 10);
    const background = bundle.reference?.rows ?? [];
    const exact = await createExplainer(bundle, { runtime: ort, space: 'probability' });
    const sampled = await createExplainer(bundle, { runtime: ort, space: 'probability', kernelBudget: 1201, seed: 3 });
    expect(sampled.space).toBe('probability');
    const x = rows[0] as FeatureRecord;
    const e = await sampled.explain(x);
    expect(e.exact).toBe(false);
    expect(e.evaluations).toBeLessThanOrEqual(1201);
    expect(e.additivityError).toBeLessThan(1e-9);
    const reference = await exact.explain(x);
    expect(reference.exact).toBe(true);
    const expected = await bruteForce(bundle, x, background, (p) => p);
    reference.contributions.forEach((c, i) => {
      expect(c.contribution).toBeCloseTo(expected[i] as number, 8);
    });
    const scale = Math.max(...expected.map(Math.abs));
    e.contributions.forEach((c, i) => {
      expect(Math.abs(c.contribution - (expected[i] as number))).toBeLessThan(0.1 * scale);
    });
    await sampled.release();
    await exact.release();
  });

  it('needs a runtime', async () => {
    const { bundle } = await networkBundle(3, 5);
    await expect(createExplainer(bundle)).rejects.toMatchObject({
      name: 'CairnError',
      code: 'invalid_argument',
      message: expect.stringContaining('Sigmoid'),
    });
    await expect(createExplainer(bundle, { method: 'linear' })).rejects.toMatchObject({ code: 'unsupported' });
  });

  it('refuses a budget too small to identify the values', async () => {
    const { bundle } = await networkBundle(6, 5);
    await expect(createExplainer(bundle, { runtime: ort, kernelBudget: 10 })).rejects.toMatchObject({ code: 'limit_exceeded' });
  });
});

describe('bad input', () => {
  it('a missing value where the linear model has no imputer is an invalid_input error naming the feature', async () => {
    const model = singleInputModel(
      3,
      [
        {
          opType: 'LinearClassifier',
          domain: 'ai.onnx.ml',
          inputs: ['input'],
          outputs: ['label', 'probabilities'],
          attributes: {
            coefficients: { floats: [-0.5, 0.2, 1, 0.5, -0.2, -1] },
            intercepts: { floats: [-0.1, 0.1] },
            classlabels_ints: { ints: [0, 1] },
            post_transform: { string: 'LOGISTIC' },
          },
        },
      ],
      [
        { name: 'label', dtype: 'int64', shape: ['N'] },
        { name: 'probabilities', dtype: 'float32', shape: ['N', 2] },
      ],
    );
    const reference = [toRecord([1, 2, 3]), toRecord([0, Number.NaN, 1]), toRecord([-1, 0, 2])];
    const { bundle } = await assembleBundle(testSpec(numericFeatures(3)), model, { reference });
    const explainer = await createExplainer(bundle, { runtime: ort });
    expect(explainer.method).toBe('linear');
    // The background row with a missing value is left out of the mean.
    expect(explainer.base).toBeCloseTo(0.5 * 0 - 0.2 * 1 - 1 * 2.5 + 0.1, 6);
    await expect(explainer.explain({ f0: 1, f1: null, f2: 2 })).rejects.toMatchObject({
      code: 'invalid_input',
      issues: [expect.objectContaining({ path: ['f1'] })],
    });
    const ok = await explainer.explain({ f0: 1, f1: 0, f2: 2 });
    expect(ok.contributions.map((c) => c.contribution)).toEqual([
      expect.closeTo(0.5 * (1 - 0), 6),
      expect.closeTo(-0.2 * (0 - 1), 6),
      expect.closeTo(-1 * (2 - 2.5), 6),
    ]);
  });

  it('a missing value reaching trees trained without missing values is an invalid_input error', async () => {
    const random = rng(8);
    const trees = [0, 1, 2].map(() =>
      randomShapTree(random, { depth: 3, features: 3 }).map((n) => ('leaf' in n ? n : { ...n, missingGoesYes: false })),
    );
    const model = singleInputModel(
      3,
      [treeEnsembleClassifierNode({ trees, input: 'input', outputs: ['label', 'probabilities'] })],
      [
        { name: 'label', dtype: 'int64', shape: ['N'] },
        { name: 'probabilities', dtype: 'float32', shape: ['N', 2] },
      ],
    );
    const { bundle } = await assembleBundle(testSpec(numericFeatures(3)), model, {});
    const explainer = await createExplainer(bundle);
    await expect(explainer.explain({ f0: null, f1: 0, f2: 0 })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(explainer.explain({ f0: 0.3, f1: 0, f2: 0 })).resolves.toMatchObject({ method: 'tree-path' });
  });

  it('invalid records and options are refused with typed errors', async () => {
    const { bundle } = await networkBundle(3, 5);
    await expect(createExplainer(bundle, { method: 'magic' as never })).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(createExplainer(bundle, { kernelBudget: 0 })).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(createExplainer(bundle, { runtime: ort, background: [{ f0: 'x' }] })).rejects.toMatchObject({ code: 'invalid_input' });
    const explainer = await createExplainer(bundle, { runtime: ort });
    await expect(explainer.explain({ f0: 'high' } as never)).rejects.toMatchObject({ code: 'invalid_input' });
    await explainer.release();
  });
});
