import { readFileSync } from 'node:fs';
import { assembleBundle, type Bundle, createExplainer, createPredictor, type FeatureRecord, type Predictor } from '@cairn/core';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rng } from '../__fixtures__/random-ensemble.js';
import { bruteForceShapley } from '../__fixtures__/shapley.js';
import { sharedModels, sharedModelsUrl } from '../__fixtures__/shared-models.js';

const logit = (p: number) => Math.log(p / (1 - p));

async function load(file: string): Promise<{ bundle: Bundle; rows: FeatureRecord[] }> {
  const entry = sharedModels[file];
  if (!entry) throw new Error(file);
  const random = rng(file.length * 7919);
  const reference = Array.from({ length: 60 }, () => entry.row(random));
  const rows = Array.from({ length: 12 }, () => entry.row(random));
  const { bundle } = await assembleBundle(entry.spec, new Uint8Array(readFileSync(new URL(file, sharedModelsUrl))), { reference });
  return { bundle, rows };
}

describe.each(Object.keys(sharedModels))('%s', (file) => {
  let bundle: Bundle;
  let rows: FeatureRecord[];
  let predictor: Predictor;
  beforeAll(async () => {
    ({ bundle, rows } = await load(file));
    predictor = await createPredictor(bundle, { runtime: ort });
  });
  afterAll(() => predictor.release());

  const family = sharedModels[file]?.family;
  const methods = family === 'tree' ? (['tree-path', 'tree-interventional'] as const) : (['linear'] as const);

  for (const method of methods) {
    it(`${method}: additive, one contribution per feature, probability as onnxruntime gives it`, async () => {
      const explainer = await createExplainer(bundle, { runtime: ort, method });
      expect(explainer.method).toBe(method);
      const explanations = await explainer.explainBatch(rows);
      const scores = await predictor.predictValues(rows);
      explanations.forEach((e, i) => {
        const sum = e.contributions.reduce((s, c) => s + c.contribution, 0);
        expect(Math.abs(e.base + sum - e.output)).toBeLessThan(1e-4);
        expect(e.additivityError).toBeLessThan(1e-4);
        expect(e.probability).toBeCloseTo(scores.probability[i] as number, 5);
        expect(e.contributions.map((c) => c.feature)).toEqual(bundle.manifest.features.map((f) => f.name));
        if (e.space === 'log-odds') expect(e.probability).toBeCloseTo(1 / (1 + Math.exp(-e.output)), 6);
        if (e.space === 'probability') expect(e.output).toBeCloseTo(e.probability, 6);
      });
      await explainer.release();
    });
  }

  it('picks the exact method for the model family by default', async () => {
    const explainer = await createExplainer(bundle);
    expect(explainer.method).toBe(family === 'tree' ? 'tree-path' : 'linear');
  });
});

describe('spaces of the shared models', () => {
  it.each([
    ['rf_iris.onnx', 'probability'],
    ['pipeline_xgboost.onnx', 'raw-score'],
    ['pipeline_lightgbm.onnx', 'raw-score'],
    ['logreg_iris.onnx', 'raw-score'],
    ['pipeline_titanic.onnx', 'log-odds'],
  ])('%s explains in %s space', async (file, space) => {
    const { bundle } = await load(file);
    expect((await createExplainer(bundle)).space).toBe(space);
  });
});

describe('string-input scikit-learn pipelines (titanic)', () => {
  for (const file of ['pipeline_titanic.onnx', 'pipeline_titanic_nozipmap.onnx']) {
    it(`${file}: linear SHAP equals brute-force Shapley values of the original features`, async () => {
      const { bundle, rows } = await load(file);
      const explainer = await createExplainer(bundle, { runtime: ort });
      const predictor = await createPredictor(bundle, { runtime: ort });
      const names = bundle.manifest.features.map((f) => f.name);
      expect(names).toEqual(['pclass', 'sex', 'age', 'fare', 'embarked']);
      const background = bundle.reference?.rows ?? [];
      for (const x of rows.slice(0, 3)) {
        const e = await explainer.explain(x);
        expect(e.contributions.map((c) => c.feature)).toEqual(names);
        const hybrids: FeatureRecord[] = [];
        for (let mask = 0; mask < 2 ** names.length; mask++) {
          for (const r of background)
            hybrids.push(Object.fromEntries(names.map((n, i) => [n, ((mask >> i) & 1) === 1 ? (x[n] ?? null) : (r[n] ?? null)])));
        }
        const p = (await predictor.predictValues(hybrids)).probability;
        const expected = bruteForceShapley(names.length, (mask) => {
          let s = 0;
          for (let b = 0; b < background.length; b++) s += logit(p[mask * background.length + b] as number);
          return s / background.length;
        });
        e.contributions.forEach((c, i) => {
          expect(c.contribution).toBeCloseTo(expected[i] as number, 4);
        });
        const sex = e.contributions.find((c) => c.feature === 'sex');
        expect(sex?.value).toBe(x.sex);
      }
      await predictor.release();
    });
  }

  it('explains a patient with a missing age (the model imputes it)', async () => {
    const { bundle } = await load('pipeline_titanic.onnx');
    const explainer = await createExplainer(bundle);
    const e = await explainer.explain({ pclass: '3', sex: 'male', age: null, fare: 7.25, embarked: 'S' });
    expect(e.contributions.find((c) => c.feature === 'age')).toMatchObject({ value: null, unit: 'a' });
    expect(e.contributions.find((c) => c.feature === 'embarked')).toMatchObject({ value: 'S', valueLabel: 'Southampton' });
    expect(e.additivityError).toBeLessThan(1e-9);
  });
});

describe('random forest (probability space): interventional TreeSHAP through a Scaler-free pipeline', () => {
  it('equals brute-force Shapley values computed from onnxruntime outputs', async () => {
    const { bundle, rows } = await load('rf_iris.onnx');
    const background = (bundle.reference?.rows ?? []).slice(0, 20);
    const explainer = await createExplainer(bundle, { method: 'tree-interventional', background });
    const predictor = await createPredictor(bundle, { runtime: ort });
    const names = bundle.manifest.features.map((f) => f.name);
    for (const x of rows.slice(0, 2)) {
      const e = await explainer.explain(x);
      const hybrids: FeatureRecord[] = [];
      for (let mask = 0; mask < 2 ** names.length; mask++) {
        for (const r of background)
          hybrids.push(Object.fromEntries(names.map((n, i) => [n, ((mask >> i) & 1) === 1 ? (x[n] ?? null) : (r[n] ?? null)])));
      }
      const p = (await predictor.predictValues(hybrids)).probability;
      const expected = bruteForceShapley(names.length, (mask) => {
        let s = 0;
        for (let b = 0; b < background.length; b++) s += p[mask * background.length + b] as number;
        return s / background.length;
      });
      e.contributions.forEach((c, i) => {
        expect(c.contribution).toBeCloseTo(expected[i] as number, 5);
      });
    }
    await predictor.release();
  });
});
