/**
 * Trains a heart-disease model on the UCI Cleveland data, saves it as a Cairn bundle,
 * then loads it back and predicts and explains one patient.
 * Run: npm start -w @cairn/example-heart-disease
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createExplainer, createPredictor, loadBundle, narrate, nodeRuntime, writeBundleFiles } from '@cairn/node';
import { dataSchemaSchema, readCsv, runPipeline } from '@cairn/pipelines';

const here = import.meta.dirname;

export async function main(out = join(here, 'bundles/heart-disease'), log: (line: string) => void = console.log) {
  const schema = dataSchemaSchema.parse(JSON.parse(await readFile(join(here, 'schema.json'), 'utf8')));
  // '?' marks a missing value in this file (6 rows); disease is any num above 0.
  const data = await readCsv(await readFile(join(here, 'data/heart-cleveland.csv')), {
    target: 'num',
    positive: 'num > 0',
    schema,
    name: 'heart-cleveland.csv',
  });

  const result = await runPipeline(
    'gbdt',
    {
      data,
      model: {
        id: 'heart-disease',
        name: 'Coronary artery disease (Cleveland)',
        version: '1.0.0',
        intendedUse:
          'Research and teaching: estimates the probability of angiographic coronary artery disease (> 50% narrowing) in adults referred for coronary angiography.',
        limitations: [
          'Trained on 303 patients from the Cleveland Clinic Foundation, 1981–1984; not validated on other populations.',
          'Needs exercise-test and fluoroscopy results, so it does not apply before those tests.',
        ],
        population: 'Adults referred for coronary angiography',
        dataSource: 'UCI Heart Disease, Cleveland subset (Janosi et al., 1988)',
        trainingPeriod: '1981–1984',
        decisionRole: 'Informs, does not replace, the decision to proceed with angiography.',
      },
      search: { trials: 30, objective: 'roc-auc' },
      threshold: { rule: 'f-beta', beta: 1 },
    },
    {
      runtime: nodeRuntime,
      seed: 7,
      explain: async (bundle, rows) => {
        const { summarizeExplanations } = await import('@cairn/node');
        const explainer = await createExplainer(bundle, { runtime: nodeRuntime });
        try {
          return summarizeExplanations(await explainer.explainBatch(rows));
        } finally {
          await explainer.release();
        }
      },
    },
  );
  await writeBundleFiles(out, result.files, { overwrite: true });
  const auc = result.metrics.rocAuc;
  log(`Trained ${result.manifest.name}: test ROC AUC ${auc.value.toFixed(3)} (95% CI ${auc.ci?.[0].toFixed(3)}–${auc.ci?.[1].toFixed(3)})`);

  // Use the bundle as an application would.
  const bundle = await loadBundle(out);
  const predictor = await createPredictor(bundle);
  const explainer = await createExplainer(bundle, { runtime: nodeRuntime });
  const patient = {
    age: 61,
    sex: 'Male',
    cp: 'Asymptomatic',
    trestbps: 140,
    chol: 290,
    fbs: false,
    restecg: 'Normal',
    thalach: 120,
    exang: true,
    oldpeak: 2.4,
    slope: 'Flat',
    ca: 2,
    thal: 'Reversible defect',
  };
  const prediction = await predictor.predict(patient);
  const explanation = await explainer.explain(prediction.values);
  log(
    `Patient: ${(prediction.probability * 100).toFixed(0)}% (${prediction.band.label}) by ${prediction.modelId} ${prediction.modelVersion}`,
  );
  log(narrate(explanation).text);
  await explainer.release();
  await predictor.release();
  return { result, prediction, explanation };
}

if (process.argv[1] === import.meta.filename) await main();
