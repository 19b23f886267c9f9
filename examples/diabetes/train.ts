/**
 * Trains a diabetes screening model on the Pima Indians data, where a 0 in Glucose,
 * BloodPressure, SkinThickness, Insulin or BMI means "not measured" (see schema.json), with a
 * threshold chosen for screening (90% of cases caught); then loads, predicts and explains.
 * Run: npm start -w @cairn/example-diabetes
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createExplainer, createPredictor, loadBundle, narrate, nodeRuntime, writeBundleFiles } from '@cairn/node';
import { dataSchemaSchema, readCsv, runPipeline } from '@cairn/pipelines';

const here = import.meta.dirname;

export async function main(out = join(here, 'bundles/diabetes'), log: (line: string) => void = console.log) {
  const schema = dataSchemaSchema.parse(JSON.parse(await readFile(join(here, 'schema.json'), 'utf8')));
  const data = await readCsv(await readFile(join(here, 'data/pima-diabetes.csv')), {
    target: 'Outcome',
    positive: 'Outcome == 1',
    schema,
    name: 'pima-diabetes.csv',
  });

  const result = await runPipeline(
    'logistic',
    {
      data,
      model: {
        id: 'diabetes-screening',
        name: 'Type 2 diabetes screening (Pima)',
        version: '1.0.0',
        intendedUse:
          'Research and teaching: ranks adult women by risk of type 2 diabetes within five years, to prioritise a confirmatory test.',
        limitations: [
          'Pima Indian women aged 21 and over, Arizona, collected before 1990; not validated elsewhere.',
          'Zeros in five measurements were read as missing; many Insulin and skinfold values are absent.',
        ],
        population: 'Women aged 21+ of Pima Indian heritage',
        dataSource: 'NIDDK, via the UCI repository (Smith et al., 1988)',
        decisionRole: 'Screening: flags patients for a confirmatory glucose test.',
      },
      // Screening: the highest threshold that still catches 90% of the cases.
      threshold: { rule: 'recall', recall: 0.9 },
      riskBands: [
        { id: 'low', label: 'Low', below: 0.15 },
        { id: 'moderate', label: 'Moderate', below: 0.4 },
        { id: 'high', label: 'High' },
      ],
    },
    { runtime: nodeRuntime, seed: 3 },
  );
  await writeBundleFiles(out, result.files, { overwrite: true });
  const auc = result.metrics.rocAuc;
  log(
    `Trained ${result.manifest.name}: test ROC AUC ${auc.value.toFixed(3)} (95% CI ${auc.ci?.[0].toFixed(3)}–${auc.ci?.[1].toFixed(3)}), threshold ${result.threshold.threshold.toFixed(3)}`,
  );

  const bundle = await loadBundle(out);
  const predictor = await createPredictor(bundle);
  const explainer = await createExplainer(bundle, { runtime: nodeRuntime });
  // Insulin and skinfold not measured: the model imputes them as it was trained to.
  const patient = {
    Pregnancies: 2,
    Glucose: 148,
    BloodPressure: 72,
    SkinThickness: null,
    Insulin: null,
    BMI: 33.6,
    DiabetesPedigreeFunction: 0.63,
    Age: 50,
  };
  const prediction = await predictor.predict(patient);
  const explanation = await explainer.explain(prediction.values);
  log(
    `Patient: ${(prediction.probability * 100).toFixed(0)}% (${prediction.band.label}); ${prediction.label === 1 ? 'refer for a confirmatory test' : 'below the screening threshold'}`,
  );
  log(narrate(explanation).text);
  await explainer.release();
  await predictor.release();
  return { result, prediction, explanation };
}

if (process.argv[1] === import.meta.filename) await main();
