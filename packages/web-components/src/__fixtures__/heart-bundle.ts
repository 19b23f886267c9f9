// A realistic test bundle (Node only): logistic regression trained by @cairn/pipelines on the
// Cleveland heart data, with labels, units, categories, three risk bands and a FHIR mapping.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type BundleFiles,
  createPredictor,
  type FeatureRecord,
  loadBundle,
  type Manifest,
  type Predictor,
  parseManifest,
  sha256Hex,
  writeBundleArchive,
} from '@cairn/core';
import { readCsv, runPipeline } from '@cairn/pipelines';
import * as ort from 'onnxruntime-node';

/** The shared datasets folder (beside the repository). */
export const DATASETS = join(import.meta.dirname, '../../../../../shared/datasets');

const SCHEMA = {
  columns: {
    age: { label: 'Age', unit: 'a' },
    sex: { label: 'Male sex', type: 'boolean' as const },
    cp: {
      label: 'Chest pain type',
      type: 'category' as const,
      categories: [
        { value: 1, label: 'Typical angina' },
        { value: 2, label: 'Atypical angina' },
        { value: 3, label: 'Non-anginal pain' },
        { value: 4, label: 'Asymptomatic' },
      ],
    },
    trestbps: { label: 'Resting systolic blood pressure', unit: 'mm[Hg]' },
    chol: { label: 'Serum cholesterol', unit: 'mg/dL' },
    fbs: { label: 'Fasting blood sugar over 120 mg/dL', type: 'boolean' as const },
    restecg: {
      label: 'Resting ECG',
      type: 'category' as const,
      categories: [
        { value: 0, label: 'Normal' },
        { value: 1, label: 'ST-T wave abnormality' },
        { value: 2, label: 'Left ventricular hypertrophy' },
      ],
    },
    thalach: { label: 'Maximum heart rate', unit: '/min' },
    exang: { label: 'Exercise-induced angina', type: 'boolean' as const },
    oldpeak: { label: 'ST depression on exercise', unit: 'mm' },
    slope: {
      label: 'Slope of peak exercise ST',
      type: 'category' as const,
      categories: [
        { value: 1, label: 'Upsloping' },
        { value: 2, label: 'Flat' },
        { value: 3, label: 'Downsloping' },
      ],
    },
    ca: { label: 'Vessels coloured by fluoroscopy', type: 'integer' as const },
    thal: {
      label: 'Thallium stress test',
      type: 'category' as const,
      categories: [
        { value: 3, label: 'Normal' },
        { value: 6, label: 'Fixed defect' },
        { value: 7, label: 'Reversible defect' },
      ],
    },
  },
};

const LIMITS: Record<string, { min: number; max: number }> = {
  age: { min: 18, max: 110 },
  trestbps: { min: 50, max: 300 },
  chol: { min: 50, max: 1000 },
  thalach: { min: 30, max: 250 },
  oldpeak: { min: 0, max: 10 },
  ca: { min: 0, max: 3 },
};

/** Where each feature comes from in a FHIR record (the rest are left for the clinician). */
export const HEART_FHIR_MAPPING = {
  version: 1,
  lookbackDays: 730,
  features: {
    age: { source: 'age', unit: 'a' },
    sex: { source: 'gender', map: { male: true, female: false } },
    trestbps: { source: 'observation', codes: ['8480-6'], select: 'latest', unit: 'mm[Hg]' },
    chol: { source: 'observation', codes: ['2093-3'], select: 'latest', unit: 'mg/dL', molecularWeight: 386.65 },
    thalach: { source: 'observation', codes: ['8867-4'], select: 'max', lookbackDays: 365, unit: '/min' },
  },
};

/** Patients of known risk (values as a form or JSON gives them). */
export const PATIENTS = {
  low: {
    age: 41,
    sex: false,
    cp: 2,
    trestbps: 130,
    chol: 204,
    fbs: false,
    restecg: 2,
    thalach: 172,
    exang: false,
    oldpeak: 1.4,
    slope: 1,
    ca: 0,
    thal: 3,
  },
  high: {
    age: 60,
    sex: true,
    cp: 4,
    trestbps: 145,
    chol: 250,
    fbs: false,
    restecg: 0,
    thalach: 135,
    exang: false,
    oldpeak: 1.4,
    slope: 2,
    ca: 1,
    thal: 7,
  },
} satisfies Record<string, Record<string, number | boolean>>;

/** A trained heart bundle, as files, archive and a Node predictor (onnxruntime-node) to compare with. */
export interface HeartBundle {
  readonly files: BundleFiles;
  readonly archive: Uint8Array;
  readonly manifest: Manifest;
  /** Validated rows of the data set, to score in both runtimes. */
  readonly rows: readonly FeatureRecord[];
  readonly predictor: Predictor;
}

/** Trains the heart model (about 0.2 s) and packs it with its FHIR mapping. */
export async function makeHeartBundle(): Promise<HeartBundle> {
  const text = readFileSync(join(DATASETS, 'heart-cleveland.csv'), 'utf8');
  const data = await readCsv(text, { target: 'num', positive: 'num > 0', name: 'heart-cleveland.csv', schema: SCHEMA });
  const result = await runPipeline(
    'logistic',
    {
      data,
      model: {
        id: 'heart-cleveland',
        name: 'Coronary artery disease risk',
        version: '1.0.0',
        description: 'Probability of angiographic coronary artery disease (over 50 % narrowing).',
        intendedUse: 'Research and demonstration: estimates coronary artery disease risk in adults referred for angiography.',
        limitations: ['Trained on 297 patients from one hospital (Cleveland Clinic, 1981–1984)'],
        outOfScopeUse: ['Screening of the general population'],
        intendedUsers: 'Cardiologists',
        population: 'Adults referred for coronary angiography',
      },
      riskBands: [
        { id: 'low', label: 'Low risk', below: 0.2, description: 'Coronary disease is unlikely.' },
        { id: 'medium', label: 'Medium risk', below: 0.6, description: 'Consider further testing.' },
        { id: 'high', label: 'High risk', description: 'Coronary disease is likely.' },
      ],
    },
    { runtime: ort, seed: 1 },
  );
  const mappingText = `${JSON.stringify(HEART_FHIR_MAPPING, null, 2)}\n`;
  const manifestJson = JSON.parse(result.files.manifest) as { features: Array<{ name: string; limits?: object }> } & Record<
    string,
    unknown
  >;
  // Hard limits are a clinical decision the pipeline leaves to the author.
  for (const f of manifestJson.features) {
    const limits = LIMITS[f.name];
    if (limits) f.limits = limits;
  }
  manifestJson.fhirMapping = { file: 'fhir-mapping.json', sha256: await sha256Hex(new TextEncoder().encode(mappingText)) };
  const files: BundleFiles = {
    manifest: `${JSON.stringify(manifestJson, null, 2)}\n`,
    model: result.files.model,
    reference: result.files.reference,
    fhirMapping: mappingText,
  };
  const bundle = await loadBundle(files);
  const predictor = await createPredictor(bundle, { runtime: ort });
  const rows = bundle.reference?.rows ?? [];
  return { files, archive: writeBundleArchive(files), manifest: parseManifest(manifestJson), rows, predictor };
}

/** A bundle whose model.onnx is garbage with a matching checksum: the archive opens, the model does not. */
export async function corruptModelArchive(files: BundleFiles): Promise<Uint8Array> {
  const model = new Uint8Array(4096);
  for (let i = 0; i < model.length; i++) model[i] = (i * 7919 + 13) % 251;
  const manifest = JSON.parse(String(files.manifest)) as { model: { sha256: string } };
  manifest.model.sha256 = await sha256Hex(model);
  return writeBundleArchive({ ...files, manifest: JSON.stringify(manifest), model });
}
