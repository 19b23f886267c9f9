import { type Feature, type Manifest, parseManifest } from '@cairn/core';

/** Features of a small heart-risk model, covering every feature type. */
export const features: Feature[] = [
  { name: 'age', label: 'Age', type: 'integer', unit: 'a', limits: { min: 18, max: 110 }, plausible: { min: 30, max: 80 }, required: true },
  { name: 'sex', label: 'Male sex', type: 'boolean', required: true },
  {
    name: 'cp',
    label: 'Chest pain type',
    type: 'category',
    categories: [
      { value: 1, label: 'Typical angina' },
      { value: 2, label: 'Atypical angina' },
      { value: 3, label: 'Non-anginal pain' },
      { value: 4, label: 'Asymptomatic', aliases: ['none'] },
    ],
    required: true,
  },
  {
    name: 'chol',
    label: 'Cholesterol',
    type: 'number',
    unit: 'mg/dL',
    limits: { min: 50 },
    plausible: { min: 120, max: 400 },
    required: false,
  },
];

/** A manifest with those features, three bands and a model card with curves. */
export const manifest: Manifest = parseManifest({
  schemaVersion: 1,
  id: 'heart-test',
  name: 'Heart disease risk (test)',
  version: '1.2.0',
  description: 'Test model',
  intendedUse: 'Research only.',
  limitations: ['Small data', 'Out of scope: children'],
  features,
  inputs: { layout: 'tensor', name: 'input', dtype: 'float32', columns: features.map((f) => ({ feature: f.name })) },
  output: { name: 'probabilities', kind: 'probabilities', positiveIndex: 1 },
  threshold: 0.5,
  riskBands: [
    { id: 'low', label: 'Low risk', below: 0.2, description: 'Routine care' },
    { id: 'medium', label: 'Medium risk', below: 0.5 },
    { id: 'high', label: 'High risk' },
  ],
  metrics: [
    { name: 'roc_auc', value: 0.912345, ci: [0.85, 0.96], ciLevel: 0.95, dataset: 'test' },
    { name: 'brier_score', value: 0.12, dataset: 'test' },
  ],
  modelCard: {
    intendedUse: { use: 'Research only.', users: 'Cardiologists', population: null },
    trainingData: { source: 'heart-cleveland.csv', rowsUsed: 297 },
    plots: {
      roc: [
        { x: 0, y: 0, threshold: 1 },
        { x: 0.1, y: 0.6, threshold: 0.7 },
        { x: 1, y: 1, threshold: 0 },
      ],
      calibration: [
        { lower: 0, upper: 0.5, count: 10, meanPredicted: 0.2, observed: 0.25 },
        { lower: 0.5, upper: 1, count: 10, meanPredicted: 0.8, observed: 0.7 },
      ],
    },
  },
  provenance: { createdAt: '2026-01-01T00:00:00Z' },
  model: { sha256: '0'.repeat(64) },
});
