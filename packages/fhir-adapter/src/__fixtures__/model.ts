import { type Bundle, buildModel, type FeatureRecord, loadBundle, type ManifestInput, sha256Hex } from '@cairn/core';
import type { PredictionExplanation } from '@cairn/fhir-adapter';

/** Columns of the test model's input tensor, with their logistic weights. */
const COLUMNS = [
  { feature: 'age', weight: 0.06 },
  { feature: 'sex', oneHot: 'male', weight: 0.5 },
  { feature: 'sbp', weight: 0.02 },
  { feature: 'cholesterol', weight: 0.3 },
  { feature: 'diabetes', weight: 0.8 },
  { feature: 'smoker', weight: 0.7 },
] as const;
const BIAS = -9;

/** A small logistic cardiovascular model (MatMul + Add + Sigmoid) and its cairn.json. */
export async function cardioBundle(): Promise<Bundle> {
  const model = buildModel({
    inputs: [{ name: 'input', dtype: 'float32', shape: ['N', COLUMNS.length] }],
    outputs: [{ name: 'probability', dtype: 'float32', shape: ['N', 1] }],
    initializers: [
      { name: 'W', dtype: 'float32', dims: [COLUMNS.length, 1], values: COLUMNS.map((c) => c.weight) },
      { name: 'B', dtype: 'float32', dims: [1], values: [BIAS] },
    ],
    nodes: [
      { opType: 'MatMul', inputs: ['input', 'W'], outputs: ['z'] },
      { opType: 'Add', inputs: ['z', 'B'], outputs: ['logit'] },
      { opType: 'Sigmoid', inputs: ['logit'], outputs: ['probability'] },
    ],
  });
  const manifest: ManifestInput = {
    schemaVersion: 1,
    id: 'cardio-test',
    name: 'Cardiovascular risk (test)',
    version: '2.1.0',
    task: 'binary-classification',
    intendedUse: 'Testing the FHIR adapter only.',
    limitations: ['Synthetic weights; not for clinical use.'],
    features: [
      { name: 'age', label: 'Age', type: 'integer', unit: 'a', limits: { min: 0, max: 130 } },
      {
        name: 'sex',
        label: 'Sex',
        type: 'category',
        categories: [
          { value: 'male', label: 'Male', aliases: ['M'] },
          { value: 'female', label: 'Female', aliases: ['F'] },
        ],
      },
      { name: 'sbp', label: 'Systolic blood pressure', type: 'number', unit: 'mm[Hg]', limits: { min: 40, max: 300 } },
      {
        name: 'cholesterol',
        label: 'Total cholesterol',
        type: 'number',
        unit: 'mmol/L',
        limits: { min: 0.5, max: 30 },
        required: false,
        impute: 5.2,
        codes: [{ system: 'http://loinc.org', code: '2093-3' }],
      },
      { name: 'diabetes', label: 'Diabetes', type: 'boolean' },
      { name: 'smoker', label: 'Current smoker', type: 'boolean', required: false, impute: false },
    ],
    inputs: {
      layout: 'tensor',
      name: 'input',
      columns: COLUMNS.map((c) => ('oneHot' in c ? { feature: c.feature, oneHot: c.oneHot } : { feature: c.feature })),
    },
    output: { name: 'probability', kind: 'probability' },
    threshold: 0.2,
    riskBands: [
      { id: 'low', label: 'Low', below: 0.1 },
      { id: 'moderate', label: 'Moderate', below: 0.2 },
      { id: 'high', label: 'High' },
    ],
    provenance: { createdAt: '2026-01-01T00:00:00Z' },
    model: { file: 'model.onnx', sha256: await sha256Hex(model) },
  };
  return loadBundle({ manifest, model });
}

/** The mapping from FHIR to the test model's features. */
export const cardioMapping = {
  lookbackDays: 730,
  features: {
    age: { source: 'age' },
    sex: { source: 'gender', map: { male: 'male', female: 'female' } },
    sbp: { source: 'observation', codes: ['8480-6'], select: 'latest' },
    cholesterol: { source: 'observation', codes: ['2093-3', '14647-2'], select: 'latest' },
    diabetes: { source: 'condition', codes: ['44054006', 'icd10-cm|E11*'] },
    smoker: {
      source: 'observation',
      codes: ['72166-2'],
      valueMap: {
        'http://snomed.info/sct|449868002': true,
        'http://snomed.info/sct|266919005': false,
        'http://snomed.info/sct|8517006': false,
      },
    },
  },
};

/** Exact linear contributions (weight × value) for the test model, shaped as an explanation. */
export function linearExplanation(values: FeatureRecord): PredictionExplanation {
  const labels: Record<string, [string, string | undefined]> = {
    age: ['Age', 'a'],
    sex: ['Sex', undefined],
    sbp: ['Systolic blood pressure', 'mm[Hg]'],
    cholesterol: ['Total cholesterol', 'mmol/L'],
    diabetes: ['Diabetes', undefined],
    smoker: ['Current smoker', undefined],
  };
  return {
    contributions: COLUMNS.map((c) => {
      const v = values[c.feature];
      const x = 'oneHot' in c ? (v === c.oneHot ? 1 : 0) : typeof v === 'boolean' ? Number(v) : Number(v ?? 0);
      const [label, unit] = labels[c.feature] as [string, string | undefined];
      return { feature: c.feature, label, value: v, ...(unit ? { unit } : {}), contribution: c.weight * x };
    }),
  };
}
