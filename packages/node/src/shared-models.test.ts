import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assembleBundle, createPredictor, decodeModel, encodeModel, nodeRuntime } from '@cairn/node';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { sharedDir, sharedModelSpecs } from './__fixtures__/shared-models.js';

const modelsDir = join(sharedDir, 'models/skl2onnx-docs');

function rng(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

/**
 * What the graph itself computes, independently of Cairn's rewrite: the original model with
 * the probability tensor added as an extra graph output (the ZipMap stays in place), run
 * directly on onnxruntime-node, fetching only that tensor.
 */
async function graphProbabilities(bytes: Uint8Array, tensor: string, feeds: Record<string, ort.Tensor>): Promise<Float32Array> {
  const model = decodeModel(bytes);
  if (!model.outputs.some((o) => o.name === tensor)) {
    model.proto.graph.output.push({ name: tensor, type: { tensorType: { elemType: 1 } } });
  }
  const session = await ort.InferenceSession.create(encodeModel(model), { logSeverityLevel: 3 });
  const out = await session.run(feeds, [tensor]);
  await session.release();
  return out[tensor]?.data as Float32Array;
}

describe.each(Object.entries(sharedModelSpecs))('%s', (file, { spec, row }) => {
  const bytes = new Uint8Array(readFileSync(join(modelsDir, file)));

  it('loads as a bundle and predicts what the graph computes', async () => {
    const { bundle } = await assembleBundle(spec, bytes);
    const predictor = await createPredictor(bundle);
    const random = rng(file.length);
    const records = Array.from({ length: 40 }, () => row(random));
    const items = await predictor.predictBatch(records);
    expect(items.every((i) => i.ok)).toBe(true);
    const probs = items.map((i) => (i.ok ? i.prediction.probability : Number.NaN));

    const valid = records.map((r) => predictor.validator.parse(r).values);
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of predictor.encoder.encode(valid))
      feeds[input.name] = new ort.Tensor(input.dtype, input.data as never, [...input.dims]);
    const expected = await graphProbabilities(bytes, bundle.io.output.tensor, feeds);
    const width = expected.length / records.length;
    expect(width).toBeGreaterThanOrEqual(2);
    probs.forEach((p, i) => {
      expect(p).toBeCloseTo(expected[i * width + bundle.io.output.positiveIndex] as number, 6);
    });
    // Real variation, not a constant: the model responds to its inputs.
    expect(Math.max(...probs) - Math.min(...probs)).toBeGreaterThan(0.05);
    await predictor.release();
  });

  it('carries model id, version, label and band on every prediction', async () => {
    const { bundle } = await assembleBundle(spec, bytes);
    const predictor = await createPredictor(bundle, { runtime: nodeRuntime });
    const p = await predictor.predict(row(rng(3)));
    expect(p.modelId).toBe(spec.id);
    expect(p.modelVersion).toBe('1.0.0');
    expect(p.label).toBe(p.probability >= 0.5 ? 1 : 0);
    expect(['low', 'high']).toContain(p.band.id);
    await predictor.release();
  });
});

describe('titanic ZipMap and no-ZipMap exports', () => {
  it('resolve the positive class to the same column', async () => {
    const a = await assembleBundle(
      sharedModelSpecs['pipeline_titanic.onnx']!.spec,
      new Uint8Array(readFileSync(join(modelsDir, 'pipeline_titanic.onnx'))),
    );
    const b = await assembleBundle(
      sharedModelSpecs['pipeline_titanic_nozipmap.onnx']!.spec,
      new Uint8Array(readFileSync(join(modelsDir, 'pipeline_titanic_nozipmap.onnx'))),
    );
    expect(a.bundle.io.output.positiveIndex).toBe(1);
    expect(b.bundle.io.output.positiveIndex).toBe(1);
    expect(a.bundle.io.inputs.find((i) => i.name === 'pclass')?.dtype).toBe('string');
    expect(b.bundle.io.inputs.find((i) => i.name === 'pclass')?.dtype).toBe('int64');
    // Survival odds: first-class women far above third-class men, in both exports.
    for (const { bundle } of [a, b]) {
      const predictor = await createPredictor(bundle);
      const woman = await predictor.predict({ pclass: 1, sex: 'female', age: 30, fare: 80, embarked: 'S' });
      const man = await predictor.predict({ pclass: 3, sex: 'male', age: 30, fare: 8, embarked: 'S' });
      expect(woman.probability).toBeGreaterThan(0.8);
      expect(man.probability).toBeLessThan(0.2);
      await predictor.release();
    }
  });
});
