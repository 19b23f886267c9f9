import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPredictor, loadBundle } from '@cairn/core';
import { type CausalResult, readCausalCsv, runCausalPipeline } from '@cairn/pipelines';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';

// IHDP replication 1 (Hill 2011, as distributed with the CEVAE code): no header row.
const file = join(import.meta.dirname, '../../../../../shared/datasets/ihdp_npci_1.csv');
const COLUMNS = ['treatment', 'y_factual', 'y_cfactual', 'mu0', 'mu1', ...Array.from({ length: 25 }, (_, i) => `x${i + 1}`)];
const TRUE_ATE = 4.016;

/** The noiseless potential outcomes, read apart from the pipeline: they are for evaluation only. */
function trueEffects(): Float64Array {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  return Float64Array.from(lines, (line) => {
    const cells = line.split(',').map(Number);
    return (cells[4] as number) - (cells[3] as number);
  });
}

function rootMeanSquare(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += ((a[i] as number) - (b[i] as number)) ** 2;
  return Math.sqrt(s / a.length);
}

let result: CausalResult;
let tau: Float64Array;
beforeAll(async () => {
  const data = await readCausalCsv(readFileSync(file), {
    treatment: 'treatment',
    outcome: 'y_factual',
    exclude: ['y_cfactual', 'mu0', 'mu1'],
    columns: COLUMNS,
    name: 'ihdp_npci_1.csv',
  });
  result = await runCausalPipeline(
    'causal-dr',
    {
      data,
      model: {
        id: 'ihdp-effect',
        name: 'IHDP home visits: effect on cognitive score',
        intendedUse: 'Benchmark of the causal pipeline on semi-synthetic data; not for decisions about children.',
        limitations: ['Semi-synthetic outcomes (Hill 2011, setting B)'],
      },
    },
    { runtime: ort, seed: 1 },
  );
  tau = trueEffects();
});

describe('IHDP replication 1 (acceptance)', () => {
  it('uses the 25 covariates only: the counterfactual and noiseless outcomes never enter a model', () => {
    expect(result.data.covariates).toEqual(COLUMNS.slice(5));
    expect(result.manifest.features.map((f) => f.name)).toEqual(COLUMNS.slice(5));
    expect(result.data).toMatchObject({ rows: 747, treated: 139, control: 608 });
    expect(Math.abs(tau.reduce((a, b) => a + b, 0) / tau.length - TRUE_ATE)).toBeLessThan(5e-4);
  });

  it('estimates the ATE within 0.15 of the truth, with a 95% interval that covers it', () => {
    expect(Math.abs(result.ate.value - TRUE_ATE)).toBeLessThan(0.15);
    expect(result.ate.ci[0]).toBeLessThan(TRUE_ATE);
    expect(result.ate.ci[1]).toBeGreaterThan(TRUE_ATE);
  });

  it('has an exported effect model with in-sample sqrt(PEHE) at most 0.9, also through onnxruntime', async () => {
    expect(rootMeanSquare(result.cate.effects, tau)).toBeLessThanOrEqual(0.9);
    const predictor = await createPredictor(await loadBundle(result.files), { runtime: ort });
    try {
      const matrix = new Float32Array(747 * 25);
      const columns = readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(',').map(Number).slice(5));
      columns.forEach((row, i) => {
        matrix.set(row, i * 25);
      });
      const effects = await predictor.predictEffectMatrix(matrix, 747);
      expect(rootMeanSquare(effects, tau)).toBeLessThanOrEqual(0.9);
      expect(rootMeanSquare(effects, result.cate.effects)).toBeLessThan(1e-5);
    } finally {
      await predictor.release();
    }
  });

  it('reports the overlap problem of IHDP instead of burying it', () => {
    // About one treated child in seven and two untreated in five have a propensity outside [0.1, 0.9].
    expect(result.overlap.ok).toBe(false);
    expect(result.warnings.map((w) => w.code)).toContain('poor-overlap');
    expect(result.refutations?.placebo.passed).toBe(true);
    expect(result.refutations?.randomCommonCause.passed).toBe(true);
  });
});
