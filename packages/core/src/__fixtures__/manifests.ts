import type { ManifestInput } from '@cairn/core';

/** A small valid manifest (model hash filled in by the caller). */
export function heartManifest(overrides: Partial<ManifestInput> = {}): ManifestInput {
  return {
    schemaVersion: 1,
    id: 'heart-test',
    name: 'Heart disease (test)',
    version: '1.2.0',
    task: 'binary-classification',
    intendedUse: 'Testing only.',
    limitations: ['Synthetic test model.'],
    features: [
      { name: 'age', label: 'Age', type: 'integer', unit: 'a', limits: { min: 0, max: 120 }, plausible: { min: 18, max: 100 } },
      { name: 'chol', label: 'Cholesterol', type: 'number', unit: 'mg/dL', limits: { min: 50, max: 1000 }, required: false },
      { name: 'smoker', label: 'Smoker', type: 'boolean' },
      {
        name: 'cp',
        label: 'Chest pain type',
        type: 'category',
        categories: [
          { value: 1, label: 'Typical angina', codes: [{ system: 'http://snomed.info/sct', code: '429559004' }] },
          { value: 2, label: 'Atypical angina', aliases: ['atypical'] },
          { value: 3, label: 'Non-anginal pain' },
          { value: 4, label: 'Asymptomatic' },
        ],
      },
    ],
    inputs: {
      layout: 'tensor',
      name: 'input',
      columns: [{ feature: 'age' }, { feature: 'chol' }, { feature: 'smoker' }, { feature: 'cp' }],
    },
    output: { name: 'probabilities', positiveClass: 1 },
    riskBands: [
      { id: 'low', label: 'Low', below: 0.2 },
      { id: 'moderate', label: 'Moderate', below: 0.5 },
      { id: 'high', label: 'High' },
    ],
    provenance: { createdAt: '2026-01-01T00:00:00Z' },
    model: { file: 'model.onnx', sha256: '0'.repeat(64) },
    ...overrides,
  };
}
