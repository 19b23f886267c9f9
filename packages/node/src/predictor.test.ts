import { assembleBundle, type BundleSpec, CairnError, createPredictor, nodeRuntime, type Predictor } from '@cairn/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomEnsembleModel } from '../../core/src/__fixtures__/random-ensemble.js';

const spec: BundleSpec = {
  id: 'ensemble',
  name: 'Random ensemble',
  version: '2.1.0',
  intendedUse: 'Tests.',
  limitations: ['Random trees.'],
  features: [
    { name: 'a', label: 'A', type: 'number', required: false },
    { name: 'b', label: 'B', type: 'number', limits: { min: -10, max: 10 } },
    { name: 'c', label: 'C', type: 'boolean' },
    {
      name: 'd',
      label: 'D',
      type: 'category',
      categories: [
        { value: 0, label: 'zero' },
        { value: 1, label: 'one' },
      ],
    },
  ],
  threshold: 0.45,
  riskBands: [
    { id: 'low', label: 'Low', below: 0.4 },
    { id: 'mid', label: 'Middle', below: 0.6 },
    { id: 'high', label: 'High' },
  ],
};

let predictor: Predictor;
beforeAll(async () => {
  const { bundle } = await assembleBundle(spec, randomEnsembleModel({ trees: 30, depth: 4, features: 4, seed: 11 }));
  predictor = await createPredictor(bundle);
});
afterAll(() => predictor.release());

async function rejection(p: Promise<unknown>): Promise<CairnError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(CairnError);
    return e as CairnError;
  }
  throw new Error('expected rejection');
}

describe('predictor', () => {
  it('predicts one patient with label at the threshold and band', async () => {
    const p = await predictor.predict({ a: 0.2, b: -1, c: true, d: 'one' });
    expect(p.probability).toBeGreaterThan(0);
    expect(p.probability).toBeLessThan(1);
    expect(p.label).toBe(p.probability >= 0.45 ? 1 : 0);
    expect(p.band.id).toBe(p.probability < 0.4 ? 'low' : p.probability < 0.6 ? 'mid' : 'high');
    expect(p).toMatchObject({ modelId: 'ensemble', modelVersion: '2.1.0', threshold: 0.45 });
  });

  it('gives the same probability for single, batch, values and matrix paths', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => ({ a: Math.sin(i), b: Math.cos(i) * 3, c: i % 2 === 0, d: i % 3 === 0 ? 1 : 0 }));
    const single = await Promise.all(rows.map((r) => predictor.predict(r)));
    const batch = await predictor.predictBatch(rows, { chunkSize: 7 });
    const values = await predictor.predictValues(rows.map((r) => predictor.validator.parse(r).values));
    const matrix = Float32Array.from(rows.flatMap((r) => [r.a, r.b, r.c ? 1 : 0, r.d]));
    const fast = await predictor.predictMatrix(matrix, rows.length, { chunkSize: 16 });
    rows.forEach((_, i) => {
      const p = single[i]?.probability as number;
      const item = batch[i];
      expect(item?.ok && item.prediction.probability).toBe(p);
      expect(values.probability[i]).toBe(p);
      expect(fast.probability[i]).toBe(p);
      expect(fast.label[i]).toBe(p >= 0.45 ? 1 : 0);
    });
    expect(new Set(single.map((s) => s.probability)).size).toBeGreaterThan(10);
  });

  it('sends missing optional values to the model as NaN (its missing-value branch)', async () => {
    const withNaN = await predictor.predict({ b: 1, c: false, d: 0 });
    expect(Number.isFinite(withNaN.probability)).toBe(true);
    const fast = await predictor.predictMatrix(Float32Array.from([Number.NaN, 1, 0, 0]), 1);
    expect(fast.probability[0]).toBe(withNaN.probability);
  });

  it('scores the valid rows of a batch and returns typed errors for the rest', async () => {
    const items = await predictor.predictBatch([
      { a: 1, b: 2, c: true, d: 1 },
      { a: 'x', b: 99, c: 'maybe', d: 5, e: 1 },
      null,
      { a: Number.POSITIVE_INFINITY, b: 0, c: false, d: 0 },
      { b: 0, c: false, d: 0 },
    ]);
    expect(items.map((i) => i.ok)).toEqual([true, false, false, false, true]);
    const bad = items[1];
    if (bad && !bad.ok) {
      expect(bad.error.code).toBe('invalid_input');
      expect(bad.error.issues.map((i) => `${i.path.join('.')}:${i.rule}`)).toEqual([
        '1.a:type',
        '1.b:above_maximum',
        '1.c:type',
        '1.d:not_allowed',
        '1.e:unknown_field',
      ]);
    }
  });

  it('throws invalid_input listing every problem for one bad patient', async () => {
    const e = await rejection(predictor.predict({ b: 'NaN', d: 'two' }));
    expect(e.code).toBe('invalid_input');
    expect(e.issues.map((i) => i.rule)).toEqual(['not_finite', 'required', 'not_allowed']);
  });

  it('refuses a matrix of the wrong shape', async () => {
    const e = await rejection(predictor.predictMatrix(new Float32Array(10), 3));
    expect(e.code).toBe('invalid_input');
    expect(e.message).toMatch(/3 rows × 4 columns need 12/);
    await expect(predictor.predictMatrix(new Float32Array(8), -2)).rejects.toThrow(/rows/);
    await expect(predictor.predictBatch('rows' as never)).rejects.toThrow(/array/);
  });

  it('reports progress and stops when cancelled', async () => {
    const progress: number[] = [];
    await predictor.predictMatrix(new Float32Array(4 * 100), 100, { chunkSize: 30, onProgress: (done) => progress.push(done) });
    expect(progress).toEqual([30, 60, 90, 100]);
    const controller = new AbortController();
    const run = predictor.predictMatrix(new Float32Array(4 * 100), 100, {
      chunkSize: 10,
      onProgress: (done) => done >= 20 && controller.abort(),
      signal: controller.signal,
    });
    const e = await rejection(run);
    expect(e.code).toBe('cancelled');
  });

  it('needs a runtime', async () => {
    const { bundle } = await assembleBundle(spec, randomEnsembleModel({ trees: 2, depth: 2, features: 4 }));
    await expect(createPredictor(bundle, { runtime: {} as never })).rejects.toThrow(/onnxruntime module/);
    await expect(createPredictor(bundle, { runtime: nodeRuntime })).resolves.toBeDefined();
  });

  it('fails at creation, not on the first patient, when the output is not a probability', async () => {
    const { bundle } = await assembleBundle(
      { ...spec, output: { name: 'probabilities', kind: 'logit', positiveIndex: 0 } },
      randomEnsembleModel({ trees: 2, depth: 2, features: 4 }),
    );
    const e = await rejection(createPredictor(bundle));
    expect(e.code).toBe('model_mismatch');
  });
});
