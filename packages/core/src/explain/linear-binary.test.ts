import { assembleBundle, buildModel, createExplainer, createPredictor } from '@cairn/core';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';

// skl2onnx writes a binary logistic regression as one coefficient row; onnxruntime then
// outputs [1 − σ(s), σ(s)] with LOGISTIC and [1 − s, s] with NONE.
function binaryLinear(postTransform: 'LOGISTIC' | 'NONE') {
  return buildModel({
    inputs: [{ name: 'input', dtype: 'float32', shape: ['N', 2] }],
    outputs: [
      { name: 'label', dtype: 'int64', shape: ['N'] },
      { name: 'probabilities', dtype: 'float32', shape: ['N', 2] },
    ],
    nodes: [
      {
        opType: 'LinearClassifier',
        domain: 'ai.onnx.ml',
        inputs: ['input'],
        outputs: ['label', 'probabilities'],
        attributes: {
          coefficients: { floats: [0.8, -0.5] },
          intercepts: { floats: [0.1] },
          classlabels_ints: { ints: [0, 1] },
          post_transform: { string: postTransform },
        },
      },
    ],
  });
}

const spec = {
  id: 'binary-linear',
  name: 'Binary linear',
  version: '1.0.0',
  intendedUse: 'Tests.',
  limitations: ['Synthetic.'],
  features: [
    { name: 'a', label: 'A', type: 'number' as const },
    { name: 'b', label: 'B', type: 'number' as const },
  ],
};
const reference = [
  { a: 0, b: 0 },
  { a: 1, b: 1 },
  { a: 2, b: -1 },
];

describe('exact linear SHAP on one-row binary LinearClassifier exports', () => {
  it('matches onnxruntime with LOGISTIC: contributions are coefficient × (x − background mean) in log-odds', async () => {
    const { bundle } = await assembleBundle(spec, binaryLinear('LOGISTIC'), { reference });
    const explainer = await createExplainer(bundle, { runtime: ort, method: 'linear' });
    const predictor = await createPredictor(bundle, { runtime: ort });
    const e = await explainer.explain({ a: 1, b: 2 });
    expect(e.space).toBe('log-odds');
    expect(e.base).toBeCloseTo(0.8 * 1 - 0.5 * 0 + 0.1, 6);
    expect(e.contributions.map((c) => c.contribution)).toEqual([expect.closeTo(0, 6), expect.closeTo(-1, 6)]);
    expect(e.additivityError).toBeLessThan(1e-4);
    expect(e.probability).toBeCloseTo((await predictor.predict({ a: 1, b: 2 })).probability, 6);
    await predictor.release();
    await explainer.release();
  });

  it('matches onnxruntime with NONE (scores used as they are)', async () => {
    const { bundle } = await assembleBundle(
      { ...spec, output: { name: 'probabilities', kind: 'probabilities', positiveIndex: 1 } },
      binaryLinear('NONE'),
      {
        reference: [
          { a: 0.1, b: 0.1 },
          { a: 0.3, b: 0.2 },
        ],
      },
    );
    const explainer = await createExplainer(bundle, { runtime: ort, method: 'linear' });
    const e = await explainer.explain({ a: 0.2, b: 0.1 });
    expect(e.output).toBeCloseTo(0.8 * 0.2 - 0.5 * 0.1 + 0.1, 6);
    expect(e.additivityError).toBeLessThan(1e-4);
    await explainer.release();
  });
});
