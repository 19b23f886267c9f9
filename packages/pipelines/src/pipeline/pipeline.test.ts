import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createExplainer, createPredictor, isCairnError, loadBundle, summarizeExplanations } from '@cairn/core';
import {
  type Dataset,
  defineTrainingPipeline,
  getPipeline,
  type PipelineInput,
  type PipelineProgress,
  pipelines,
  readCsv,
  runPipeline,
  trainGbdt,
  trainLogistic,
} from '@cairn/pipelines';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

const datasets = join(import.meta.dirname, '../../../../../shared/datasets');
const heartText = readFileSync(join(datasets, 'heart-cleveland.csv'), 'utf8');
const pimaText = readFileSync(join(datasets, 'pima-diabetes.csv'), 'utf8');
const PIMA_ZEROS = { Glucose: [0], BloodPressure: [0], SkinThickness: [0], Insulin: [0], BMI: [0] };
// biome-ignore lint/suspicious/noExplicitAny: the model card is a free-form record; tests read into it.
type Loose = any;
const fixedClock = () => new Date('2026-01-01T00:00:00Z');

const describeModel = (id: string) => ({
  id,
  name: `${id} test model`,
  intendedUse: 'Research use: ranks adults by risk to test the pipeline; not for patient care.',
  limitations: ['Trained on a small public research dataset'],
  outOfScopeUse: ['Diagnosis of individual patients'],
  trainingPeriod: '1981–1988',
});

let heart: Dataset;
let pima: Dataset;
beforeAll(async () => {
  heart = await readCsv(heartText, { target: 'num', positive: 'num > 0', name: 'heart-cleveland.csv' });
  pima = await readCsv(pimaText, { target: 'Outcome', positive: 'Outcome == 1', columnMissing: PIMA_ZEROS, name: 'pima-diabetes.csv' });
});

async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isCairnError(error)) throw new Error(`expected a CairnError, got ${String(error)}`);
  return error;
}

describe('built-in pipelines end to end', () => {
  const cases = [
    ['heart-cleveland', 'logistic', 0.85],
    ['heart-cleveland', 'gbdt', 0.85],
    ['heart-cleveland', 'random-forest', 0.85],
    ['pima-diabetes', 'logistic', 0.78],
    ['pima-diabetes', 'gbdt', 0.78],
    ['pima-diabetes', 'random-forest', 0.78],
  ] as const;
  it.each(cases)('%s with %s trains, evaluates, exports and checks a bundle', async (name, id, minAuc) => {
    const data = name === 'heart-cleveland' ? heart : pima;
    const stages: PipelineProgress[] = [];
    const result = await runPipeline(
      id,
      { data, model: describeModel(`${name}-${id}`) },
      { runtime: ort, onProgress: (p) => stages.push(p) },
    );
    const m = result.manifest;
    const auc = m.metrics.find((x) => x.name === 'roc_auc');
    expect(auc?.value).toBeGreaterThan(minAuc);
    expect(auc?.ci?.[0]).toBeLessThan(auc?.value as number);
    expect(auc?.ci?.[1]).toBeGreaterThan(auc?.value as number);
    expect(m.metrics.map((x) => x.name)).toEqual(
      expect.arrayContaining(['roc_auc', 'pr_auc', 'brier_score', 'accuracy', 'sensitivity', 'specificity', 'ppv', 'f1', 'f2']),
    );
    expect(m.inputs).toMatchObject({ layout: 'tensor', name: 'input', columns: data.columns.map((c) => ({ feature: c.name })) });
    expect(m.output).toMatchObject({ name: 'probabilities', kind: 'probabilities', positiveIndex: 1 });
    expect(m.threshold).toBe(result.threshold.threshold);
    expect(m.riskBands[0]?.below).toBe(m.threshold);
    expect(m.provenance).toMatchObject({ pipeline: id, trainingDataSha256: data.source.sha256 });

    const card = m.modelCard as Loose;
    expect(card.intendedUse.use).toContain('Research use');
    expect(card.intendedUse.outOfScopeUse).toEqual(['Diagnosis of individual patients']);
    expect(card.trainingData).toMatchObject({ sha256: data.source.sha256, period: '1981–1988', rowsUsed: data.rows });
    expect(m.reference?.rows).toBe(card.trainingData.split.train);
    expect(card.trainingData.split.train + card.trainingData.split.validation + card.trainingData.split.test).toBe(data.rows);
    expect(card.performance.confusion ?? card.performance.atThreshold.confusion).toBeDefined();
    expect(card.plots.roc.length).toBeGreaterThan(2);
    expect(card.plots.calibration.length).toBeGreaterThan(2);
    expect(card.plots.shapSummary).toBeUndefined();
    const attributes = card.sourceAttributes as Array<{ attribute: string; status: string }>;
    expect(attributes.length).toBeGreaterThan(15);
    expect(attributes.find((a) => a.attribute === 'Intended use')?.status).toBe('provided');
    expect(attributes.find((a) => a.attribute === 'Funding source of the development')?.status).toBe('not-provided');
    expect(card.parameters).toEqual(JSON.parse(JSON.stringify(result.params)));
    if (name === 'heart-cleveland') {
      expect(card.demographicInputs).toEqual(['age', 'sex']);
      expect(result.metrics.subgroups.map((s) => s.attribute)).toEqual(expect.arrayContaining(['age', 'sex']));
    }
    expect(stages.map((s) => s.stage).filter((s, i, all) => all.indexOf(s) === i)).toEqual([
      'data',
      'train',
      'evaluate',
      'export',
      'check',
    ]);
    expect(stages.every((s) => s.fraction >= 0 && s.fraction <= 1)).toBe(true);

    // The files stand on their own: core loads them and a predictor scores a patient.
    const bundle = await loadBundle(result.files);
    const predictor = await createPredictor(bundle, { runtime: ort });
    const first = bundle.reference?.rows[0] ?? {};
    const prediction = await predictor.predict(first);
    expect(prediction.probability).toBeGreaterThan(0);
    expect(prediction.probability).toBeLessThan(1);
    await predictor.release();
  });
});

describe('runs', () => {
  const input = (data: Dataset, extra: Partial<PipelineInput> = {}): PipelineInput => ({ data, model: describeModel('run'), ...extra });

  it('repeat exactly for a seed and differ for another', async () => {
    const a = await runPipeline('gbdt', input(heart), { runtime: ort, seed: 4, now: fixedClock });
    const b = await runPipeline('gbdt', input(heart), { runtime: ort, seed: 4, now: fixedClock });
    const c = await runPipeline('gbdt', input(heart), { runtime: ort, seed: 5, now: fixedClock });
    expect(b.files.manifest).toBe(a.files.manifest);
    expect(Buffer.from(b.files.model).equals(Buffer.from(a.files.model))).toBe(true);
    expect(b.files.reference).toBe(a.files.reference);
    expect(c.files.manifest).not.toBe(a.files.manifest);
  });

  it('stop with CairnError cancelled and return nothing when the signal fires', async () => {
    const controller = new AbortController();
    const error = await failure(
      runPipeline('gbdt', input(pima, { params: { trees: 2000, earlyStoppingRounds: 0 } }), {
        runtime: ort,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.stage === 'train' && p.fraction > 0.01) controller.abort();
        },
      }),
    );
    expect(error.code).toBe('cancelled');
  });

  it('search hyperparameters by cross-validation within the trial budget', async () => {
    const result = await runPipeline('logistic', input(pima, { search: { trials: 4, folds: 3, objective: 'f2' } }), { runtime: ort });
    const search = result.search;
    expect(search?.trials).toHaveLength(4);
    expect(search?.trials.every((t) => t.foldScores.length === 3)).toBe(true);
    expect(search?.best.score).toBe(Math.max(...(search?.trials.map((t) => t.score) ?? [])));
    expect(result.params.l2).toBe(search?.best.params.l2);
    expect((result.manifest.modelCard as Loose).search.objective).toBe('f2');
    const recall = await runPipeline('gbdt', input(heart, { search: { trials: 2, folds: 2, objective: { recallAtPrecision: 0.8 } } }), {
      runtime: ort,
    });
    expect(recall.search?.objective).toBe('recall at precision ≥ 0.8');
  });

  it('meet a recall target on the validation rows for screening', async () => {
    const result = await runPipeline('logistic', input(pima, { threshold: { rule: 'recall', recall: 0.9 } }), { runtime: ort });
    expect(result.threshold.recall).toBeGreaterThanOrEqual(0.9);
    expect(result.manifest.threshold).toBe(result.threshold.threshold);
    expect((result.manifest.modelCard as Loose).threshold.rule).toEqual({ rule: 'recall', recall: 0.9 });
    const stricter = await runPipeline('logistic', input(pima, { threshold: { rule: 'recall', recall: 0.97 } }), { runtime: ort });
    expect(stricter.threshold.recall).toBeGreaterThanOrEqual(0.97);
    expect(stricter.threshold.threshold).toBeLessThan(result.threshold.threshold);
  });

  it('evaluate on a separate test file', async () => {
    const lines = heartText.trimEnd().split('\n');
    const train = await readCsv([lines[0], ...lines.slice(1, 231)].join('\n'), { target: 'num', positive: 'num > 0' });
    const test = await readCsv([lines[0], ...lines.slice(231)].join('\n'), { target: 'num', positive: 'num > 0', template: train });
    const result = await runPipeline('random-forest', input(train, { testData: test }), { runtime: ort });
    expect(result.metrics.n).toBe(test.rows);
    expect((result.manifest.modelCard as Loose).performance.dataset).toBe('separate test file');
  });
});

describe('explanations through the SHAP hook', () => {
  it.each(['gbdt', 'logistic'])('fills shapSummary from core explainer for %s', async (id) => {
    const result = await runPipeline(
      id,
      { data: heart, model: describeModel(`shap-${id}`) },
      {
        runtime: ort,
        explain: async (bundle, rows) => {
          const explainer = await createExplainer(bundle, { runtime: ort });
          try {
            return summarizeExplanations(await explainer.explainBatch(rows));
          } finally {
            await explainer.release();
          }
        },
      },
    );
    const summary = result.plots.shapSummary as Loose;
    expect(summary.features).toHaveLength(heart.columns.length);
    expect(summary.features[0].meanAbsContribution).toBeGreaterThan(0);
    expect(summary.features[0].contributions).toHaveLength(result.metrics.n);
    expect((result.manifest.modelCard as Loose).plots.shapSummary.features).toHaveLength(heart.columns.length);
  });
});

describe('registry and contract', () => {
  it('lists the built-in pipelines and refuses unknown ids', async () => {
    expect(pipelines.map((p) => p.id)).toEqual(['logistic', 'gbdt', 'random-forest']);
    expect((getPipeline('gbdt').params.parse({}) as { maxDepth: number }).maxDepth).toBe(3);
    const error = await failure(runPipeline('xgboost', { data: heart, model: describeModel('x') }, { runtime: ort }));
    expect(error.code).toBe('not_found');
  });

  it('refuses bad parameters and a missing intended use before training', async () => {
    const bad = await failure(
      runPipeline('gbdt', { data: heart, model: describeModel('x'), params: { maxDepth: 0, typo: 1 } }, { runtime: ort }),
    );
    expect(bad.code).toBe('invalid_argument');
    expect(bad.issues.map((i) => i.path.join('.'))).toEqual(expect.arrayContaining(['params.maxDepth', 'params']));
    const noUse = await failure(
      runPipeline('logistic', { data: heart, model: { ...describeModel('x'), intendedUse: ' ' } }, { runtime: ort }),
    );
    expect(noUse.issues[0]?.path).toEqual(['model.intendedUse']);
    const noRuntime = await failure(runPipeline('logistic', { data: heart, model: describeModel('x') }, {} as never));
    expect(noRuntime.issues[0]?.path).toEqual(['context.runtime']);
  });

  it('fails the self-check when the exported model disagrees with the trained one', async () => {
    const broken = defineTrainingPipeline({
      id: 'broken',
      label: 'Broken',
      description: 'Its ONNX graph is not the model it trained.',
      params: z.strictObject({}),
      async fit(data) {
        const model = await trainLogistic(data);
        const other = await trainLogistic(data, { l2: 1000 });
        return { ...model, toOnnx: () => other.toOnnx() };
      },
    });
    const error = await failure(broken.run({ data: heart, model: describeModel('broken') }, { runtime: ort }));
    expect(error.code).toBe('model_mismatch');
    expect(error.issues[0]?.path[0]).toBe('test');
  });

  it('runs a pipeline defined in one module (the README example)', async () => {
    const stumps = defineTrainingPipeline({
      id: 'boosted-stumps',
      label: 'Boosted stumps',
      description: 'Gradient boosting with depth-1 trees: one feature per tree, easy to read.',
      params: z.strictObject({ trees: z.number().int().min(1).default(100) }),
      sampleParams: (u) => ({ trees: 50 + Math.floor(u() * 200) }),
      fit: (data, params, options) => trainGbdt(data, { trees: params.trees, maxDepth: 1, learningRate: 0.1 }, options),
    });
    const result = await stumps.run({ data: pima, model: describeModel('stumps') }, { runtime: ort });
    expect(result.manifest.provenance.pipeline).toBe('boosted-stumps');
    expect(result.metrics.rocAuc.value).toBeGreaterThan(0.75);
  });
});
