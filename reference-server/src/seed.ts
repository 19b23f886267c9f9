import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createExplainer, nodeRuntime, sha256Hex, summarizeExplanations, writeBundleArchive } from '@cairn/node';
import { type DataSchema, type ModelDescription, type ReadCsvOptions, readCsv, runPipeline } from '@cairn/pipelines';
import type { ServerContext } from './context.js';

/** An example model trained on first start from a dataset in the shared folder. */
interface Example {
  readonly file: string;
  readonly csv: Omit<ReadCsvOptions, 'schema'> & { schema: DataSchema };
  readonly model: ModelDescription;
  readonly fhirMapping?: Record<string, unknown>;
}

// Findings without a standard code (stress-test results and the like) come from a local code system:
// an EHR that records them under these codes fills them in, otherwise the form asks for them.
const LOCAL = 'http://cairn.example.org/fhir/CodeSystem/heart-work-up';
const YES_NO = { yes: true, no: false };
const local = (code: string, values: Record<string, number | boolean>) => ({
  source: 'observation',
  codes: [{ system: LOCAL, code }],
  select: 'latest',
  valueMap: Object.fromEntries(Object.entries(values).map(([k, v]) => [`${LOCAL}|${k}`, v])),
});

const cat = (pairs: Array<[number, string]>) => pairs.map(([value, label]) => ({ value, label }));

/** The bundled examples: UCI heart disease (Cleveland) and Pima Indians diabetes. */
export const EXAMPLES: readonly Example[] = [
  {
    file: 'heart-cleveland.csv',
    csv: {
      target: 'num',
      positive: 'num > 0',
      missing: ['?', ''],
      name: 'heart-cleveland.csv',
      schema: {
        columns: {
          age: { label: 'Age', unit: 'a' },
          sex: { label: 'Male sex', type: 'boolean' },
          cp: {
            label: 'Chest pain type',
            type: 'category',
            categories: cat([
              [1, 'Typical angina'],
              [2, 'Atypical angina'],
              [3, 'Non-anginal pain'],
              [4, 'Asymptomatic'],
            ]),
          },
          trestbps: { label: 'Resting blood pressure', unit: 'mm[Hg]' },
          chol: { label: 'Serum cholesterol', unit: 'mg/dL' },
          fbs: { label: 'Fasting blood sugar > 120 mg/dL', type: 'boolean' },
          restecg: {
            label: 'Resting ECG',
            type: 'category',
            categories: cat([
              [0, 'Normal'],
              [1, 'ST-T wave abnormality'],
              [2, 'Left ventricular hypertrophy'],
            ]),
          },
          thalach: { label: 'Maximum heart rate achieved', unit: '/min' },
          exang: { label: 'Exercise-induced angina', type: 'boolean' },
          oldpeak: { label: 'ST depression (exercise vs rest)', unit: 'mm' },
          slope: {
            label: 'Slope of peak exercise ST segment',
            type: 'category',
            categories: cat([
              [1, 'Upsloping'],
              [2, 'Flat'],
              [3, 'Downsloping'],
            ]),
          },
          ca: { label: 'Major vessels coloured by fluoroscopy', type: 'integer' },
          thal: {
            label: 'Thallium stress test',
            type: 'category',
            categories: cat([
              [3, 'Normal'],
              [6, 'Fixed defect'],
              [7, 'Reversible defect'],
            ]),
          },
        },
      },
    },
    model: {
      id: 'heart-disease',
      name: 'Coronary artery disease (Cleveland)',
      description: 'Estimates the probability of angiographic coronary artery disease (> 50 % narrowing) from a cardiology work-up.',
      intendedUse: 'Demonstration only: ranks adults referred for angiography by their probability of coronary artery disease.',
      limitations: ['Trained on 303 patients from one hospital in 1981–1984', 'Not validated for clinical use'],
      dataSource: 'UCI Machine Learning Repository: Heart Disease (Cleveland Clinic Foundation)',
      trainingPeriod: '1981–1984',
    },
    fhirMapping: {
      version: 1,
      lookbackDays: 730,
      features: {
        age: { source: 'age', unit: 'a' },
        sex: { source: 'gender', map: { male: true, female: false } },
        cp: local('chest-pain-type', { 'typical-angina': 1, 'atypical-angina': 2, 'non-anginal-pain': 3, asymptomatic: 4 }),
        trestbps: { source: 'observation', codes: ['8480-6'], select: 'latest' },
        chol: { source: 'observation', codes: ['2093-3'], select: 'latest' },
        fbs: local('fasting-glucose-over-120', YES_NO),
        restecg: local('resting-ecg', { normal: 0, 'st-t-abnormality': 1, 'lv-hypertrophy': 2 }),
        thalach: { source: 'observation', codes: ['8867-4'], select: 'max', lookbackDays: 30 },
        exang: local('exercise-induced-angina', YES_NO),
        oldpeak: { source: 'observation', codes: [{ system: LOCAL, code: 'st-depression' }], select: 'latest' },
        slope: local('st-slope', { upsloping: 1, flat: 2, downsloping: 3 }),
        ca: { source: 'observation', codes: [{ system: LOCAL, code: 'fluoroscopy-vessels' }], select: 'latest' },
        thal: local('thallium-stress-test', { normal: 3, 'fixed-defect': 6, 'reversible-defect': 7 }),
      },
    },
  },
  {
    file: 'pima-diabetes.csv',
    csv: {
      target: 'Outcome',
      positive: 'Outcome == 1',
      columnMissing: { Glucose: [0], BloodPressure: [0], SkinThickness: [0], Insulin: [0], BMI: [0] },
      name: 'pima-diabetes.csv',
      schema: {
        columns: {
          Pregnancies: { label: 'Pregnancies' },
          Glucose: { label: 'Plasma glucose (2 h OGTT)', unit: 'mg/dL' },
          BloodPressure: { label: 'Diastolic blood pressure', unit: 'mm[Hg]' },
          SkinThickness: { label: 'Triceps skinfold thickness', unit: 'mm' },
          Insulin: { label: '2-hour serum insulin', unit: 'u[IU]/mL' },
          BMI: { label: 'Body mass index', unit: 'kg/m2' },
          DiabetesPedigreeFunction: { label: 'Diabetes pedigree function' },
          Age: { label: 'Age', unit: 'a' },
        },
      },
    },
    model: {
      id: 'diabetes',
      name: 'Type 2 diabetes within five years (Pima)',
      description: 'Estimates the probability of a diabetes diagnosis within five years.',
      intendedUse: 'Demonstration only: ranks adult Pima women by their risk of diabetes within five years.',
      limitations: ['Pima Indian women aged 21 and over only', 'Data from the 1990s; not validated for clinical use'],
      dataSource: 'National Institute of Diabetes and Digestive and Kidney Diseases (UCI)',
    },
  },
];

/** Trains one example and returns its archive (with a FHIR mapping when the example has one). */
export async function trainExample(
  example: Example,
  csv: Uint8Array,
  params: Record<string, unknown> = {},
  model: Partial<ModelDescription> = {},
): Promise<Uint8Array> {
  const data = await readCsv(csv, example.csv);
  const result = await runPipeline(
    'gbdt',
    { data, model: { version: '1.0.0', ...example.model, ...model }, params: { trees: 100, ...params }, bootstrap: 200 },
    {
      runtime: nodeRuntime,
      seed: 1,
      explain: async (bundle, rows) => {
        const explainer = await createExplainer(bundle, { runtime: nodeRuntime });
        try {
          return summarizeExplanations(await explainer.explainBatch(rows));
        } finally {
          await explainer.release();
        }
      },
    },
  );
  if (!example.fhirMapping) return writeBundleArchive(result.files);
  const mapping = `${JSON.stringify(example.fhirMapping, null, 2)}\n`;
  const manifest = JSON.parse(result.files.manifest) as Record<string, unknown>;
  manifest.fhirMapping = { file: 'fhir-mapping.json', sha256: await sha256Hex(new TextEncoder().encode(mapping)) };
  return writeBundleArchive({ ...result.files, manifest: `${JSON.stringify(manifest, null, 2)}\n`, fhirMapping: mapping });
}

/** Installs the examples that are missing, when their datasets are present; returns the ids installed. */
export async function installExamples(ctx: ServerContext): Promise<string[]> {
  const installed: string[] = [];
  for (const example of EXAMPLES) {
    const path = join(ctx.config.datasetsDir, example.file);
    const exists = await ctx.db.query('select 1 from models where id = $1', [example.model.id]);
    if (exists.rows.length > 0) continue;
    try {
      await access(path);
    } catch {
      ctx.log.warn({ dataset: path }, `example ${example.model.id} skipped: dataset not found`);
      continue;
    }
    const archive = await trainExample(example, new Uint8Array(await readFile(path)));
    try {
      await ctx.models.ingest(archive, { actor: { actorId: null, actor: 'system', actorKind: 'system' }, source: 'example' });
      installed.push(example.model.id);
    } catch (error) {
      // Another instance installed it first.
      if ((error as { code?: string }).code !== 'conflict') throw error;
    }
  }
  return installed;
}
