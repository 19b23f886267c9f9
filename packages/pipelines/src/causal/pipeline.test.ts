import { createExplainer, createPredictor, type FeatureRecord, isCairnError, loadBundle } from '@cairn/core';
import {
  type CausalResult,
  causalPipelines,
  formatCausalSummary,
  getCausalPipeline,
  getPipeline,
  runCausalPipeline,
} from '@cairn/pipelines';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { simulate } from './__fixtures__/simulate.js';

const model = {
  id: 'sim-effect',
  name: 'Simulated treatment effect',
  intendedUse: 'Testing the treatment-effect bundle only.',
  limitations: ['Simulated data'],
  outOfScopeUse: ['Patient care'],
};
const fixedClock = () => new Date('2026-01-01T00:00:00Z');

function records(data: ReturnType<typeof simulate>['data'], rows: number): FeatureRecord[] {
  return Array.from({ length: rows }, (_, i) => Object.fromEntries(data.covariates.map((c) => [c.name, c.values[i] as number])));
}

const sim = simulate({ n: 800, seed: 31, effect: (a, b) => 1 + a - 0.5 * b });
let trees: CausalResult;
beforeAll(async () => {
  trees = await runCausalPipeline('causal-dr', { data: sim.data, model }, { runtime: ort, seed: 4, now: fixedClock });
});

describe('causal-dr bundle', () => {
  it('is a treatment-effect bundle whose model card holds the estimates, diagnostics and plot data', async () => {
    const bundle = await loadBundle(trees.files);
    const m = bundle.manifest;
    expect(m.task).toBe('treatment-effect');
    expect(m.output).toEqual({ name: 'effect', kind: 'value' });
    expect(m.effect).toEqual({ treatment: 't', outcome: 'y', scale: 'difference' });
    expect(m.features.map((f) => f.name)).toEqual(['x1', 'x2']);
    expect(m.explanation?.method).toBe('tree-path');
    expect(m.provenance.pipeline).toBe('causal-dr');
    const ate = m.metrics.find((x) => x.name === 'ate_aipw');
    expect(ate?.value).toBeCloseTo(trees.ate.value, 12);
    expect(ate?.ci).toEqual([trees.ate.ci[0], trees.ate.ci[1]]);
    expect(m.metrics.map((x) => x.name)).toEqual(
      expect.arrayContaining(['att_aipw', 'ate_ipw', 'att_ipw', 'difference_in_means', 'e_value', 'e_value_ci']),
    );
    // biome-ignore lint/suspicious/noExplicitAny: the model card is a free-form record.
    const card = m.modelCard as any;
    expect(card.intendedUse.use).toBe(model.intendedUse);
    expect(card.diagnostics.overlap.histogram.edges).toHaveLength(21);
    expect(card.diagnostics.refutations.placebo.passed).toBe(true);
    expect(card.plots.lovePlot.rows.map((r: { covariate: string }) => r.covariate)).toEqual(['x1', 'x2']);
    expect(card.plots.cate.counts.reduce((a: number, b: number) => a + b, 0)).toBe(sim.data.rows);
    expect(card.individualEffects.baseline.learner).toBe('t');
    expect(m.limitations).toContain('Out of scope: Patient care');
  });

  it('reproduces the TypeScript effects through onnxruntime-node, row by row', async () => {
    const bundle = await loadBundle(trees.files);
    const predictor = await createPredictor(bundle, { runtime: ort });
    try {
      const rows = records(sim.data, sim.data.rows);
      const items = await predictor.predictEffectBatch(rows);
      const expected = trees.model.predict(sim.data.covariates.map((c) => c.values));
      let worst = 0;
      items.forEach((item, i) => {
        if (!item.ok) throw item.error;
        worst = Math.max(worst, Math.abs(item.prediction.effect - (expected[i] as number)));
      });
      expect(worst).toBeLessThanOrEqual(1e-5);
      expect(Array.from(expected)).toEqual(Array.from(trees.cate.effects));
      // And the effects track the truth (1 + x1 − 0.5 x2).
      let se = 0;
      sim.effects.forEach((v, i) => {
        se += ((expected[i] as number) - v) ** 2;
      });
      expect(Math.sqrt(se / sim.data.rows)).toBeLessThan(0.5);
    } finally {
      await predictor.release();
    }
  });

  it('is explained exactly by core’s TreeSHAP: contributions add up to each effect', async () => {
    const bundle = await loadBundle(trees.files);
    const explainer = await createExplainer(bundle, { runtime: ort });
    try {
      expect(explainer.method).toBe('tree-path');
      const explanations = await explainer.explainBatch(records(sim.data, 20));
      explanations.forEach((e, i) => {
        const sum = e.base + e.contributions.reduce((a, c) => a + c.contribution, 0);
        expect(sum).toBeCloseTo(trees.cate.effects[i] as number, 4);
        expect(e.output).toBeCloseTo(trees.cate.effects[i] as number, 4);
      });
      // x1 drives the effect most (coefficient 1 against 0.5).
      const mean = (f: string) =>
        explanations.reduce((a, e) => a + Math.abs(e.contributions.find((c) => c.feature === f)?.contribution ?? 0), 0);
      expect(mean('x1')).toBeGreaterThan(mean('x2'));
    } finally {
      await explainer.release();
    }
  });

  it('exports a linear effect model (DR- or T-learner) that onnxruntime and linear SHAP reproduce', async () => {
    for (const cateLearner of ['dr', 't'] as const) {
      const r = await runCausalPipeline(
        'causal-dr',
        { data: sim.data, model, params: { cateModel: 'linear', outcomeModel: 'linear', cateLearner, refute: false } },
        { runtime: ort, seed: 4 },
      );
      expect(r.cate.learner).toBe(cateLearner);
      expect(r.cate.family).toBe('linear');
      const bundle = await loadBundle(r.files);
      expect(bundle.manifest.explanation?.method).toBe('linear');
      const predictor = await createPredictor(bundle, { runtime: ort });
      const effects = await predictor.predictEffectBatch(records(sim.data, 50));
      await predictor.release();
      effects.forEach((item, i) => {
        if (!item.ok) throw item.error;
        expect(Math.abs(item.prediction.effect - (r.cate.effects[i] as number))).toBeLessThanOrEqual(1e-5);
      });
      const explainer = await createExplainer(bundle, { runtime: ort });
      const [e] = await explainer.explainBatch(records(sim.data, 1));
      await explainer.release();
      expect((e?.base ?? 0) + (e?.contributions.reduce((a, c) => a + c.contribution, 0) ?? 0)).toBeCloseTo(r.cate.effects[0] as number, 4);
    }
  });

  it('handles missing covariate values and category covariates in both model families', async () => {
    const x1 = sim.data.covariates[0]?.values ?? new Float64Array(0);
    const gappy = Float64Array.from(sim.data.covariates[1]?.values ?? [], (v, i) => (i % 9 === 0 ? Number.NaN : v));
    const band = Float64Array.from(x1, (v, i) => (i % 13 === 0 ? Number.NaN : v < -0.5 ? 10 : v < 0.5 ? 20 : 30));
    const data = {
      ...sim.data,
      covariates: [
        { ...(sim.data.covariates[0] as (typeof sim.data.covariates)[number]) },
        { name: 'x2', label: 'x2', type: 'number' as const, values: gappy },
        {
          name: 'band',
          label: 'Band',
          type: 'category' as const,
          values: band,
          categories: [
            { value: 10, label: 'low' },
            { value: 20, label: 'mid' },
            { value: 30, label: 'high' },
          ],
        },
      ],
    };
    for (const family of ['gbdt', 'linear'] as const) {
      // The run's own self-check holds onnxruntime to the TypeScript effects on every row, missing values included.
      const r = await runCausalPipeline(
        'causal-dr',
        { data, model, params: { cateModel: family, outcomeModel: family, refute: false } },
        { runtime: ort, seed: 3 },
      );
      const bundle = await loadBundle(r.files);
      expect(bundle.manifest.features.map((f) => [f.name, f.required])).toEqual([
        ['x1', true],
        ['x2', false],
        ['band', false],
      ]);
      const predictor = await createPredictor(bundle, { runtime: ort });
      const one = await predictor.predictEffect({ x1: 0.3, x2: null, band: 30 });
      await predictor.release();
      expect(one.effect).toBeCloseTo(r.model.predict([[0.3], [Number.NaN], [30]])[0] as number, 5);
      const explainer = await createExplainer(bundle, { runtime: ort });
      const [e] = await explainer.explainBatch([{ x1: 0.3, x2: null, band: 30 }]);
      await explainer.release();
      expect((e?.base ?? 0) + (e?.contributions.reduce((a, c) => a + c.contribution, 0) ?? 0)).toBeCloseTo(one.effect, 4);
    }
  });

  it('is reproducible: the same seed and clock give the same files', async () => {
    const again = await runCausalPipeline('causal-dr', { data: sim.data, model }, { runtime: ort, seed: 4, now: fixedClock });
    expect(again.files.manifest).toBe(trees.files.manifest);
    expect(Buffer.from(again.files.model).equals(Buffer.from(trees.files.model))).toBe(true);
  });
});

describe('causal-dr estimates and report', () => {
  it('passes the placebo and random-common-cause refutations on unconfounded-given-x data', () => {
    const { placebo, randomCommonCause } = trees.refutations ?? {};
    expect(placebo?.passed).toBe(true);
    expect(Math.abs(placebo?.estimate.value ?? 1)).toBeLessThan(0.3);
    expect(randomCommonCause?.passed).toBe(true);
    expect(randomCommonCause?.original).toBe(trees.ate.value);
    let truth = 0;
    for (const v of sim.effects) truth += v;
    truth /= sim.effects.length;
    expect(Math.abs(trees.ate.value - truth)).toBeLessThan(0.2);
    expect(trees.eValue.estimate).toBeGreaterThan(1);
    expect(trees.eValue.ciLimit).toBeLessThanOrEqual(trees.eValue.estimate);
  });

  it('formats a plain-text summary with the estimates, diagnostics and warnings', () => {
    const text = formatCausalSummary(trees);
    expect(text).toMatch(/^Effect of 't' on 'y' \(continuous outcome\)/);
    expect(text).toMatch(
      new RegExp(
        `ATE\\s+AIPW \\(doubly robust\\)\\s+${trees.ate.value.toFixed(3)}\\s+${trees.ate.se.toFixed(3)}\\s+\\[${trees.ate.ci[0].toFixed(3)}, ${trees.ate.ci[1].toFixed(3)}\\]`,
      ),
    );
    expect(text).toMatch(/ATT\s+AIPW \(doubly robust\)/);
    expect(text).toMatch(/overlap\s+(ok|WARN)/);
    expect(text).toMatch(/placebo\s+ok/);
    expect(text).toMatch(/E-value\s+\d+\.\d\d for the estimate/);
    expect(text).toMatch(/Individual effects: DR-learner \(boosted trees\)/);
    expect(text.includes('Warnings')).toBe(trees.warnings.length > 0);
  });

  it('handles a binary outcome: risk differences and a risk-ratio E-value', async () => {
    const binary = simulate({ n: 1500, seed: 17, binary: true, effect: () => 1 });
    const r = await runCausalPipeline('causal-dr', { data: binary.data, model, params: { refute: false } }, { runtime: ort, seed: 2 });
    let truth = 0;
    for (const v of binary.effects) truth += v;
    truth /= binary.effects.length;
    expect(Math.abs(r.ate.value - truth)).toBeLessThan(0.06);
    expect(r.ate.ci[0]).toBeLessThanOrEqual(truth);
    expect(r.ate.ci[1]).toBeGreaterThanOrEqual(truth);
    expect(r.eValue.method).toBe('risk-ratio');
    expect(r.manifest.effect?.scale).toBe('risk-difference');
    expect(formatCausalSummary(r)).toMatch(/binary outcome, risk difference/);
  });

  it('stops when cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await runCausalPipeline('causal-dr', { data: sim.data, model }, { runtime: ort, signal: controller.signal }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isCairnError(error) && error.code).toBe('cancelled');
  });
});

describe('registry', () => {
  it('lists causal-dr with the treatment-effect pipelines and points classification callers to it', () => {
    expect(causalPipelines.map((p) => p.id)).toEqual(['causal-dr']);
    expect(getCausalPipeline('causal-dr').label).toBe('Doubly robust treatment effects');
    expect(() => getPipeline('causal-dr')).toThrow(/estimates treatment effects: run it with runCausalPipeline/);
    expect(() => getCausalPipeline('gbdt')).toThrow(/no treatment-effect pipeline 'gbdt'/);
    expect(getCausalPipeline('causal-dr').params.parse({}).folds).toBe(5);
  });
});
