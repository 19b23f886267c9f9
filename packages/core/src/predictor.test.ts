import { buildModel, CairnError, createPredictor, loadBundle, type ManifestInput, sha256Hex } from '@cairn/core';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { heartBundleFiles } from './__fixtures__/bundles.js';

const COEFFICIENTS = [0.5, -0.25, 2];
const INTERCEPT = 1.5;

/** A linear effect model: effect = 1.5 + 0.5·age − 0.25·dose + 2·diabetic, output [N, columns]. */
function effectModel(columns = 1): Uint8Array {
  return buildModel({
    inputs: [{ name: 'input', dtype: 'float32', shape: ['N', 3] }],
    outputs: [{ name: 'effect', dtype: 'float32', shape: ['N', columns] }],
    nodes: [
      {
        opType: 'LinearRegressor',
        domain: 'ai.onnx.ml',
        inputs: ['input'],
        outputs: ['effect'],
        attributes: {
          coefficients: { floats: Array.from({ length: columns }, () => COEFFICIENTS).flat() },
          intercepts: { floats: Array.from({ length: columns }, () => INTERCEPT) },
          targets: { int: columns },
        },
      },
    ],
  });
}

async function effectFiles(overrides: Partial<ManifestInput> = {}, model = effectModel()) {
  const manifest: ManifestInput = {
    schemaVersion: 1,
    id: 'effect-test',
    name: 'Treatment effect (test)',
    version: '1.0.0',
    task: 'treatment-effect',
    intendedUse: 'Testing only.',
    limitations: ['Synthetic test model.'],
    features: [
      { name: 'age', label: 'Age', type: 'number', plausible: { min: 18, max: 90 } },
      { name: 'dose', label: 'Dose', type: 'number' },
      { name: 'diabetic', label: 'Diabetic', type: 'boolean' },
    ],
    inputs: { layout: 'tensor', name: 'input', columns: [{ feature: 'age' }, { feature: 'dose' }, { feature: 'diabetic' }] },
    output: { name: 'effect', kind: 'value' },
    effect: { treatment: 'drug', outcome: 'systolic blood pressure', unit: 'mm[Hg]' },
    provenance: { createdAt: '2026-01-01T00:00:00Z' },
    model: { file: 'model.onnx', sha256: await sha256Hex(model) },
    ...overrides,
  };
  return { manifest, model };
}

const expected = (age: number, dose: number, diabetic: boolean) =>
  Math.fround(INTERCEPT + COEFFICIENTS[0]! * age + COEFFICIENTS[1]! * dose + COEFFICIENTS[2]! * (diabetic ? 1 : 0));

async function rejects(promise: Promise<unknown>): Promise<CairnError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CairnError);
  return error as CairnError;
}

describe('treatment-effect bundles', () => {
  it('resolve a value output and estimate each patient’s effect', async () => {
    const bundle = await loadBundle(await effectFiles());
    expect(bundle.manifest.effect).toEqual({ treatment: 'drug', outcome: 'systolic blood pressure', scale: 'difference', unit: 'mm[Hg]' });
    expect(bundle.io.output).toMatchObject({ tensor: 'effect', measure: 'value', positiveIndex: 0 });
    const predictor = await createPredictor(bundle, { runtime: ort });
    try {
      expect(predictor.task).toBe('treatment-effect');
      const one = await predictor.predictEffect({ age: 60, dose: 10, diabetic: true });
      expect(one.effect).toBeCloseTo(expected(60, 10, true), 5);
      expect(one.effect).toBeGreaterThan(1); // not clamped like a probability
      const implausible = await predictor.predictEffect({ age: 95, dose: 0, diabetic: false });
      expect(implausible.effect).toBeCloseTo(expected(95, 0, false), 4);
      expect(implausible.warnings.map((w) => w.rule)).toContain('implausible');

      const batch = await predictor.predictEffectBatch([
        { age: 40, dose: 200, diabetic: false },
        { age: 'old', dose: 1, diabetic: false },
        { age: 50, dose: 1, diabetic: true },
      ]);
      expect(batch.map((b) => b.ok)).toEqual([true, false, true]);
      expect(batch[0]?.ok && batch[0].prediction.effect).toBeCloseTo(expected(40, 200, false), 4);
      expect(batch[0]?.ok && batch[0].prediction.effect).toBeLessThan(0);
      expect(!batch[1]?.ok && batch[1]?.error.code).toBe('invalid_input');

      const matrix = await predictor.predictEffectMatrix(Float32Array.of(40, 200, 0, 50, 1, 1), 2);
      expect(Array.from(matrix)).toEqual([expected(40, 200, false), expected(50, 1, true)]);
    } finally {
      await predictor.release();
    }
  });

  it('refuse the probability methods, and classification bundles refuse the effect methods', async () => {
    const effect = await createPredictor(await loadBundle(await effectFiles()), { runtime: ort });
    try {
      const e = await rejects(effect.predict({ age: 60, dose: 10, diabetic: true }));
      expect(e.code).toBe('unsupported');
      expect(e.message).toMatch(/estimates treatment effects: use predictEffect/);
      expect((await rejects(effect.predictBatch([]))).code).toBe('unsupported');
      expect((await rejects(effect.predictMatrix(new Float32Array(3), 1))).code).toBe('unsupported');
      expect((await rejects(effect.predictValues([]))).code).toBe('unsupported');
    } finally {
      await effect.release();
    }
    const risk = await createPredictor(await loadBundle(await heartBundleFiles()), { runtime: ort });
    try {
      expect(risk.task).toBe('binary-classification');
      const e = await rejects(risk.predictEffect({ age: 60, chol: 200, smoker: false, cp: 1 }));
      expect(e.code).toBe('unsupported');
      expect(e.message).toMatch(/is a binary-classification model/);
      expect((await rejects(risk.predictEffectBatch([]))).code).toBe('unsupported');
    } finally {
      await risk.release();
    }
  });

  it('check the output against the graph and the manifest rules', async () => {
    const wide = await effectFiles({}, effectModel(2));
    const e = await rejects(loadBundle(wide));
    expect(e.code).toBe('model_mismatch');
    expect(e.message).toMatch(/has 2 columns; a value output has one per row/);

    const noEffect = await effectFiles({ effect: undefined });
    expect((await rejects(loadBundle(noEffect))).issues.map((i) => i.path.join('.'))).toContain('effect');
    const asProbability = await effectFiles({ output: { name: 'effect', kind: 'probability' } });
    expect((await rejects(loadBundle(asProbability))).message).toMatch(/outputs a value: kind must be 'value'/);
    const classifierWithValue = await effectFiles({ task: 'binary-classification', effect: undefined });
    expect((await rejects(loadBundle(classifierWithValue))).message).toMatch(/kind 'value' is for treatment-effect models/);
    const positive = await effectFiles({ output: { name: 'effect', kind: 'value', positiveIndex: 0 } });
    expect((await rejects(loadBundle(positive))).message).toMatch(/a value output has no positive class/);
  });
});
