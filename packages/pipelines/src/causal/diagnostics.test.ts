import { eValue, runCausalPipeline, standardizedMeanDifference } from '@cairn/pipelines';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { simulate } from './__fixtures__/simulate.js';

const model = { id: 'sim', name: 'Simulated effect', intendedUse: 'Testing the diagnostics only.', limitations: ['Simulated data'] };
const estimate = (value: number, lo: number, hi: number) => ({
  value,
  se: (hi - lo) / 3.92,
  ci: [lo, hi] as const,
  ciLevel: 0.95,
  interval: 'influence-function' as const,
});

describe('standardizedMeanDifference', () => {
  // Treated 1, 2, 3 (mean 2, variance 1); untreated 2, 4, 6, 8 (mean 5, variance 20/3).
  const values = [1, 2, 3, 2, 4, 6, 8];
  const treatment = [1, 1, 1, 0, 0, 0, 0];
  const pooled = Math.sqrt((1 + 20 / 3) / 2);

  it('divides the difference in means by the pooled standard deviation', () => {
    expect(standardizedMeanDifference(values, treatment)).toBeCloseTo((2 - 5) / pooled, 12);
  });

  it('weights the means but keeps the unweighted pooled standard deviation', () => {
    const weights = [1, 1, 2, 1, 1, 1, 3];
    const mean1 = (1 + 2 + 6) / 4;
    const mean0 = (2 + 4 + 6 + 24) / 6;
    expect(standardizedMeanDifference(values, treatment, weights)).toBeCloseTo((mean1 - mean0) / pooled, 12);
  });

  it('leaves out missing values, and reports separation as null', () => {
    expect(standardizedMeanDifference([1, 2, 3, Number.NaN, 2, 4, 6, 8], [...treatment.slice(0, 3), 1, ...treatment.slice(3)])).toBeCloseTo(
      (2 - 5) / pooled,
      12,
    );
    expect(standardizedMeanDifference([1, 1, 0, 0], [1, 1, 0, 0])).toBeNull();
    expect(standardizedMeanDifference([1, 1, 1, 1], [1, 1, 0, 0])).toBe(0);
  });
});

describe('eValue', () => {
  it('matches VanderWeele and Ding’s worked example (RR 3.9, CI 1.8–8.7)', () => {
    const e = eValue(estimate(3.9, 0, 0), { kind: 'risk-ratio', logRatio: estimate(Math.log(3.9), Math.log(1.8), Math.log(8.7)) });
    expect(e.estimate).toBeCloseTo(7.26, 2);
    expect(e.ciLimit).toBeCloseTo(3.0, 2);
    expect(e.method).toBe('risk-ratio');
  });

  it('inverts protective ratios and gives 1 when the interval includes no effect', () => {
    const protective = eValue(estimate(0, 0, 0), { kind: 'risk-ratio', logRatio: estimate(Math.log(0.5), Math.log(0.3), Math.log(0.8)) });
    expect(protective.estimate).toBeCloseTo(2 + Math.sqrt(2), 10);
    expect(protective.ciLimit).toBeCloseTo(1.25 + Math.sqrt(1.25 * 0.25), 10);
    const null_ = eValue(estimate(0, 0, 0), { kind: 'risk-ratio', logRatio: estimate(Math.log(1.5), Math.log(0.9), Math.log(2.5)) });
    expect(null_.ciLimit).toBe(1);
  });

  it('converts a difference in a continuous outcome with RR = exp(0.91 d)', () => {
    const e = eValue(estimate(2, 1, 3), { kind: 'difference', sd: 4 });
    const rr = Math.exp(0.91 * 0.5);
    expect(e.riskRatio).toBeCloseTo(rr, 12);
    expect(e.estimate).toBeCloseTo(rr + Math.sqrt(rr * (rr - 1)), 12);
    const lo = Math.exp(0.91 * 0.25);
    expect(e.ciLimit).toBeCloseTo(lo + Math.sqrt(lo * (lo - 1)), 12);
  });
});

describe('overlap, balance and trimming in causal-dr', () => {
  it('warns about poor overlap, trims and re-estimates on the units in [0.1, 0.9]', async () => {
    // Strong confounding: x1 nearly decides treatment, so many units have extreme propensities.
    const { data } = simulate({ n: 1200, seed: 21, logit: (a) => 3 * a });
    const warned: string[] = [];
    const r = await runCausalPipeline(
      'causal-dr',
      { data, model, params: { refute: false, trim: 0.1 } },
      { runtime: ort, seed: 2, logger: { warn: (_m, d) => warned.push(String(d?.code)) } },
    );
    expect(r.overlap.ok).toBe(false);
    expect(r.overlap.outside.all).toBeGreaterThan(0.3);
    expect(r.warnings.map((w) => w.code)).toContain('poor-overlap');
    expect(warned).toContain('poor-overlap');
    expect(warned).toEqual(r.warnings.map((w) => w.code));
    const hist = r.plots.propensity;
    expect(hist.edges).toHaveLength(21);
    expect(hist.treated.reduce((a, b) => a + b) + hist.control.reduce((a, b) => a + b)).toBe(data.rows);

    const trimmed = r.trimmed;
    if (!trimmed) throw new Error('expected a trimmed estimate');
    let inside = 0;
    let droppedTreated = 0;
    r.propensity.forEach((e, i) => {
      if (e >= 0.1 && e <= 0.9) inside++;
      else if (data.treatment.values[i] === 1) droppedTreated++;
    });
    expect(trimmed.estimates.n).toBe(inside);
    expect(trimmed.dropped.treated).toBe(droppedTreated);
    expect(trimmed.dropped.treated + trimmed.dropped.control).toBe(data.rows - inside);
    // The effect is 2 everywhere, so the trimmed population has it too.
    expect(Math.abs(trimmed.estimates.aipw.ate.value - 2)).toBeLessThan(0.25);
    expect(trimmed.estimates.aipw.ate.ci[0]).toBeLessThanOrEqual(2);
    expect(trimmed.estimates.aipw.ate.ci[1]).toBeGreaterThanOrEqual(2);
  });

  it('gives love-plot data with one row per covariate and per category level', async () => {
    const { data } = simulate({ n: 600, seed: 8 });
    const group = Float64Array.from(data.covariates[0]?.values ?? [], (v) => (v < -0.5 ? 0 : v < 0.5 ? 1 : 2));
    const withCategory = {
      ...data,
      covariates: [
        ...data.covariates,
        {
          name: 'band',
          label: 'x1 band',
          type: 'category' as const,
          values: group,
          categories: [
            { value: 0, label: 'low' },
            { value: 1, label: 'mid' },
            { value: 2, label: 'high' },
          ],
        },
      ],
    };
    const r = await runCausalPipeline('causal-dr', { data: withCategory, model, params: { refute: false } }, { runtime: ort, seed: 1 });
    expect(r.plots.lovePlot.threshold).toBe(0.1);
    expect(r.plots.lovePlot.rows.map((row) => row.label)).toEqual(['x1', 'x2', 'x1 band = low', 'x1 band = mid', 'x1 band = high']);
    const x1 = r.balance.rows[0];
    expect(x1?.before).toBeCloseTo(standardizedMeanDifference(data.covariates[0]?.values ?? [], data.treatment.values) ?? Number.NaN, 10);
    expect(Math.abs(x1?.before ?? 0)).toBeGreaterThan(Math.abs(x1?.after ?? 1));
  });
});
