import { type CausalResult, estimateEffects, runCausalPipeline } from '@cairn/pipelines';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { simulate } from './__fixtures__/simulate.js';

const model = { id: 'sim', name: 'Simulated effect', intendedUse: 'Testing the estimators only.', limitations: ['Simulated data'] };

async function run(data: ReturnType<typeof simulate>['data'], params: Record<string, unknown>, seed = 1): Promise<CausalResult> {
  return runCausalPipeline('causal-dr', { data, model, params }, { runtime: ort, seed });
}

const covers = (ci: readonly [number, number], value: number) => ci[0] <= value && value <= ci[1];

describe('estimateEffects', () => {
  it('computes the stabilised IPW, AIPW and ATT formulas on a hand-checked example', () => {
    const input = {
      treatment: [1, 1, 0, 0, 0],
      outcome: [5, 3, 2, 1, 4],
      propensity: [0.5, 0.25, 0.5, 0.2, 0.6],
      mu0: [2, 1, 2, 1, 3],
      mu1: [4, 3, 4, 2, 5],
    };
    const e = estimateEffects(input);
    // Hájek IPW: treated mean weighted by 1/e, untreated by 1/(1 − e).
    const ipw1 = (5 / 0.5 + 3 / 0.25) / (1 / 0.5 + 1 / 0.25);
    const ipw0 = (2 / 0.5 + 1 / 0.8 + 4 / 0.4) / (1 / 0.5 + 1 / 0.8 + 1 / 0.4);
    expect(e.ipw.ate.value).toBeCloseTo(ipw1 - ipw0, 12);
    // AIPW: mean of μ1 − μ0 + t(y − μ1)/e − (1 − t)(y − μ0)/(1 − e).
    const psi = [4 - 2 + (5 - 4) / 0.5, 3 - 1 + 0, 4 - 2 - 0, 2 - 1 - 0, 5 - 3 - (4 - 3) / 0.4];
    expect(e.aipw.ate.value).toBeCloseTo(psi.reduce((a, b) => a + b) / 5, 12);
    // DR ATT: Σ[t(y − μ0) − (1 − t)·e/(1 − e)·(y − μ0)] / Σt.
    const att = (5 - 2 + (3 - 1) - (0.5 / 0.5) * 0 - (0.2 / 0.8) * 0 - (0.6 / 0.4) * (4 - 3)) / 2;
    expect(e.aipw.att.value).toBeCloseTo(att, 12);
    expect(e.naive.value).toBeCloseTo(4 - 7 / 3, 12);
    // The influence-function interval is symmetric with the normal quantile.
    expect(e.aipw.ate.ci[1] - e.aipw.ate.value).toBeCloseTo(1.959964 * e.aipw.ate.se, 5);
    expect(e.aipw.ate.interval).toBe('influence-function');
  });

  it('refuses rows with fewer than two units in an arm', () => {
    expect(() =>
      estimateEffects({ treatment: [1, 0, 0], outcome: [1, 2, 3], propensity: [0.5, 0.5, 0.5], mu0: [0, 0, 0], mu1: [0, 0, 0] }),
    ).toThrow(/at least two treated and two untreated/);
  });
});

describe('causal-dr on simulated data with a known effect', () => {
  it('removes confounding that biases the naive difference', async () => {
    const { data } = simulate({ n: 1500, seed: 11 });
    const r = await run(data, { refute: false });
    // x1 raises both the chance of treatment and the outcome, so the naive difference overstates the effect of 2.
    expect(r.estimates.naive.value).toBeGreaterThan(2.4);
    expect(covers(r.estimates.naive.ci, 2)).toBe(false);
    for (const e of [r.ate, r.att, r.estimates.ipw.ate, r.estimates.ipw.att]) {
      expect(Math.abs(e.value - 2)).toBeLessThan(0.2);
      expect(covers(e.ci, 2)).toBe(true);
    }
    expect(r.balance.maxBefore).toBeGreaterThan(0.3);
    expect(r.balance.maxAfter).toBeLessThan(0.1);
    expect(r.balance.ok).toBe(true);
  });

  it('estimates heterogeneous effects: ATE, ATT and individual effects', async () => {
    const { data, effects } = simulate({ n: 2000, seed: 5, effect: (a) => 1 + a });
    const r = await run(data, { refute: false });
    const t = data.treatment.values;
    let ate = 0;
    let att = 0;
    let treated = 0;
    effects.forEach((v, i) => {
      ate += v;
      if (t[i] === 1) {
        att += v;
        treated++;
      }
    });
    ate /= effects.length;
    att /= treated;
    // The treated have higher x1, so their average effect exceeds the population's.
    expect(att - ate).toBeGreaterThan(0.3);
    expect(Math.abs(r.ate.value - ate)).toBeLessThan(0.2);
    expect(Math.abs(r.att.value - att)).toBeLessThan(0.2);
    let se = 0;
    for (let i = 0; i < effects.length; i++) se += ((r.cate.effects[i] as number) - (effects[i] as number)) ** 2;
    expect(Math.sqrt(se / effects.length)).toBeLessThan(0.35);
    expect(r.cate.learner).toBe('dr');
    expect(r.cate.baseline.learner).toBe('t');
    expect(r.cate.baseline.correlation).toBeGreaterThan(0.8);
  });

  it('has intervals that cover the true effect about 95% of the time (100 simulations)', async () => {
    const runs = 100;
    let ate = 0;
    let att = 0;
    let ipw = 0;
    for (let k = 0; k < runs; k++) {
      const { data } = simulate({ n: 400, seed: 1000 + k });
      const r = await run(data, { outcomeModel: 'linear', cateModel: 'linear', folds: 2, refute: false }, k + 1);
      if (covers(r.ate.ci, 2)) ate++;
      if (covers(r.att.ci, 2)) att++;
      if (covers(r.estimates.ipw.ate.ci, 2)) ipw++;
    }
    // Binomial(100, 0.95): within 3 standard deviations (2.2 points each) below, and not every interval.
    for (const count of [ate, att]) {
      expect(count).toBeGreaterThanOrEqual(88);
      expect(count).toBeLessThanOrEqual(99);
    }
    // The IPW interval treats the propensity as known, which is conservative: only a lower bound holds.
    expect(ipw).toBeGreaterThanOrEqual(88);
  });

  it('gives bootstrap percentile intervals close to the influence-function ones', async () => {
    const { data } = simulate({ n: 600, seed: 3 });
    const params = { outcomeModel: 'linear', cateModel: 'linear', refute: false };
    const plain = await run(data, params);
    const boot = await run(data, { ...params, bootstrap: 400 });
    expect(boot.ate.interval).toBe('bootstrap');
    expect(boot.ate.value).toBe(plain.ate.value);
    const width = (e: CausalResult['ate']) => e.ci[1] - e.ci[0];
    expect(width(boot.ate) / width(plain.ate)).toBeGreaterThan(0.75);
    expect(width(boot.ate) / width(plain.ate)).toBeLessThan(1.33);
    expect(covers(boot.ate.ci, boot.ate.value)).toBe(true);
  });
});
