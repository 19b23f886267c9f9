import { assembleBundle, buildModel, createExplainer, narrate } from '@cairn/core';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';

// A treatment-effect model: effect = 2·a − 0.5·b + 1 (LinearRegressor on the raw covariates).
const model = buildModel({
  inputs: [{ name: 'input', dtype: 'float32', shape: ['N', 2] }],
  outputs: [{ name: 'effect', dtype: 'float32', shape: ['N', 1] }],
  nodes: [
    {
      opType: 'LinearRegressor',
      domain: 'ai.onnx.ml',
      inputs: ['input'],
      outputs: ['effect'],
      attributes: { coefficients: { floats: [2, -0.5] }, intercepts: { floats: [1] }, targets: { int: 1 } },
    },
  ],
});

async function effectBundle() {
  const { bundle } = await assembleBundle(
    {
      id: 'effect-test',
      name: 'Effect test',
      version: '1.0.0',
      task: 'treatment-effect',
      intendedUse: 'Tests.',
      limitations: ['Synthetic.'],
      features: [
        { name: 'a', label: 'A', type: 'number' },
        { name: 'b', label: 'B', type: 'number', unit: 'kg' },
      ],
      output: { name: 'effect', kind: 'value' },
      effect: { treatment: 'drug', outcome: 'score' },
    },
    model,
    {
      reference: [
        { a: 0, b: 0 },
        { a: 1, b: 2 },
        { a: 2, b: 4 },
      ],
    },
  );
  return bundle;
}

describe('explaining value models (treatment effects)', () => {
  it('explains the effect itself, exactly, in the value space, with effect wording', async () => {
    const bundle = await effectBundle();
    const explainer = await createExplainer(bundle, { runtime: ort });
    const e = await explainer.explain({ a: 3, b: 1 });
    expect(e.space).toBe('value');
    expect(e.method).toBe('linear');
    expect(e.output).toBeCloseTo(2 * 3 - 0.5 * 1 + 1, 5);
    expect(e.base).toBeCloseTo(2 * 1 - 0.5 * 2 + 1, 5);
    expect(e.contributions.map((c) => c.contribution)).toEqual([expect.closeTo(4, 5), expect.closeTo(0.5, 5)]);
    expect(narrate(e).text).toMatch(/^Estimated effect: 6\.5\. Increasing the effect: A \(3\) and B \(1 kg\)\./);
    await explainer.release();
  });

  it('KernelSHAP keeps values as they are (no log-odds)', async () => {
    const bundle = await effectBundle();
    const explainer = await createExplainer(bundle, { runtime: ort, method: 'kernel' });
    const e = await explainer.explain({ a: 3, b: 1 });
    expect(e.space).toBe('value');
    expect(e.output).toBeCloseTo(6.5, 4);
    expect(e.additivityError).toBeLessThan(1e-4);
    expect(e.contributions[0]?.contribution).toBeCloseTo(4, 3);
    await explainer.release();
  });

  it('refuses a probability space for a value model', async () => {
    await expect(createExplainer(await effectBundle(), { runtime: ort, space: 'probability' })).rejects.toMatchObject({
      code: 'invalid_argument',
    });
  });
});
