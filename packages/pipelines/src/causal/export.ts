import {
  type Bundle,
  CairnError,
  createPredictor,
  type FeatureRecord,
  formatReferenceCsv,
  issue,
  loadBundle,
  type ManifestInput,
  type Metric,
  type OrtRuntime,
  sha256Hex,
} from '@cairn/core';
import type { DataColumn } from '../data/dataset.js';
import { manifestFeatures, PIPELINES_VERSION, REFERENCE_ROWS, sampleRows } from '../export/bundle.js';
import type { ModelDescription } from '../pipeline/types.js';
import type { CateModel } from './cate.js';
import { EFFECT_OUTPUT } from './cate.js';
import type { CausalDataset } from './data.js';
import type { EffectEstimate } from './estimate.js';
import type { CausalParams } from './params.js';
import type { CausalResult } from './types.js';

/** Largest difference allowed between onnxruntime's and the TypeScript model's effects. */
export const EFFECT_SELF_CHECK_TOLERANCE = 1e-5;

/** Rows of covariate columns as feature records (numbers, booleans, category codes; null = missing). */
export function covariateRecords(columns: readonly DataColumn[], rows: readonly number[]): FeatureRecord[] {
  return rows.map((r) => {
    const record: Record<string, number | boolean | null> = {};
    for (const c of columns) {
      const v = c.values[r] as number;
      record[c.name] = Number.isNaN(v) ? null : c.type === 'boolean' ? v === 1 : v;
    }
    return record;
  });
}

/** Row-major float32 matrix of covariate columns. */
export function covariateMatrix(columns: readonly DataColumn[], rows: number): Float32Array {
  const width = columns.length;
  const out = new Float32Array(rows * width);
  columns.forEach((c, j) => {
    for (let i = 0; i < rows; i++) out[i * width + j] = c.values[i] as number;
  });
  return out;
}

/** Everything the bundle of a causal run is written from. */
export interface CausalBundleContent {
  readonly description: ModelDescription;
  readonly data: CausalDataset;
  readonly covariates: readonly DataColumn[];
  readonly params: CausalParams;
  readonly model: CateModel;
  readonly result: Omit<CausalResult, 'files' | 'manifest' | 'model'>;
  readonly seed: number;
  readonly createdAt: Date;
}

const finite = (v: number) => (Number.isFinite(v) ? v : null);

function plain(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_k, v) => {
      if (typeof v === 'number') return finite(v);
      if (v instanceof Float64Array || v instanceof Float32Array) return undefined;
      return v;
    }),
  );
}

function metric(name: string, e: EffectEstimate, dataset: string): Metric {
  return { name, value: e.value, ci: [e.ci[0], e.ci[1]], ciLevel: e.ciLevel, dataset };
}

/** Builds cairn.json (task treatment-effect, with the estimates, diagnostics and plot data in the model card), model.onnx and reference.csv. */
export async function createCausalBundleFiles(
  content: CausalBundleContent,
): Promise<{ manifest: string; model: Uint8Array; reference: string }> {
  const { description: d, data, covariates, model, result: r, params } = content;
  const features = manifestFeatures(covariates);
  const onnx = model.toOnnx();
  const referenceRows = sampleRows(data.rows, REFERENCE_ROWS, content.seed);
  const reference = formatReferenceCsv(covariateRecords(covariates, referenceRows), features);
  const binary = data.outcome.type === 'binary';
  const scale = binary ? ('risk-difference' as const) : ('difference' as const);
  const inSample = 'all rows, cross-fitted';
  const metrics: Metric[] = [
    metric('ate_aipw', r.ate, inSample),
    metric('att_aipw', r.att, inSample),
    metric('ate_ipw', r.estimates.ipw.ate, inSample),
    metric('att_ipw', r.estimates.ipw.att, inSample),
    metric('difference_in_means', r.estimates.naive, inSample),
    ...(r.trimmed ? [metric('ate_aipw_trimmed', r.trimmed.estimates.aipw.ate, `propensity in [${r.trimmed.bounds.join(', ')}]`)] : []),
    { name: 'e_value', value: r.eValue.estimate, dataset: inSample },
    { name: 'e_value_ci', value: r.eValue.ciLimit, dataset: inSample },
  ].filter((m) => Number.isFinite(m.value) && (!m.ci || m.ci.every(Number.isFinite)));
  const card = {
    format: 'cairn-model-card/1',
    details: {
      name: d.name,
      version: d.version ?? '0.1.0',
      description: d.description ?? '',
      developer: d.developer ?? null,
      fundingSource: d.fundingSource ?? null,
      modelType: `Doubly robust treatment-effect estimation; individual effects by the ${model.learner === 'dr' ? 'DR-learner' : 'T-learner'} (${model.family === 'gbdt' ? 'gradient-boosted trees' : 'linear model'})`,
      output: `Estimated individual treatment effect: expected ${data.outcome.label} if treated minus if untreated${binary ? ' (risk difference)' : ''}, given the covariates`,
      createdAt: content.createdAt.toISOString(),
    },
    intendedUse: {
      use: d.intendedUse,
      users: d.intendedUsers ?? null,
      population: d.population ?? null,
      decisionRole: d.decisionRole ?? null,
      outOfScopeUse: d.outOfScopeUse ?? [],
    },
    limitations: d.limitations,
    assumptions: [
      'No unmeasured confounding: the covariates include every common cause of treatment and outcome (the E-value says how strong a hidden confounder would have to be).',
      'Overlap: every unit could have received either treatment (see the overlap diagnostics).',
      'Consistency and no interference between units.',
    ],
    trainingData: {
      source: d.dataSource ?? data.source.name ?? null,
      period: d.trainingPeriod ?? null,
      criteria: d.dataCriteria ?? null,
      sha256: data.source.sha256,
      rowsRead: data.ingest.rowsRead,
      rowsUsed: data.rows,
      treated: r.data.treated,
      untreated: r.data.control,
      treatment: { column: data.treatment.column, treatedWhen: data.treatment.treated },
      outcome: { column: data.outcome.column, type: data.outcome.type },
      covariates: r.data.covariates,
      droppedCovariates: r.data.droppedCovariates,
      exclusions: { droppedRows: data.ingest.dropped, coercedCells: data.ingest.coerced, excludedColumns: data.ingest.excluded },
    },
    parameters: params,
    seed: content.seed,
    estimation: {
      method: `Cross-fitting (${params.folds} folds, stratified by treatment); propensity by ${params.propensity === 'logistic' ? 'L2-penalised logistic regression' : 'gradient-boosted trees'}, clipped into [${params.clip}, ${1 - params.clip}]; outcome regressions per arm by ${params.outcomeModel === 'gbdt' ? 'gradient-boosted trees' : 'ridge regression'}`,
      intervals:
        params.bootstrap > 0
          ? `bootstrap percentile (${params.bootstrap} resamples, nuisance predictions fixed)`
          : 'influence function (normal approximation)',
      estimates: r.estimates,
      trimmed: r.trimmed ?? null,
    },
    diagnostics: {
      overlap: r.overlap,
      balance: {
        threshold: r.balance.threshold,
        maxBefore: r.balance.maxBefore,
        maxAfter: r.balance.maxAfter,
        maxAfterAtt: r.balance.maxAfterAtt,
        imbalanced: r.balance.imbalanced,
        ok: r.balance.ok,
      },
      refutations: r.refutations ?? null,
      eValue: r.eValue,
      warnings: r.warnings,
    },
    individualEffects: {
      learner: r.cate.learner,
      family: r.cate.family,
      params: r.cate.params,
      inSample: r.cate.distribution,
      baseline: { learner: r.cate.baseline.learner, inSample: r.cate.baseline.distribution, correlation: r.cate.baseline.correlation },
    },
    externalValidation: d.externalValidation ?? 'Not performed: effects are estimated in the development data only.',
    maintenance: d.maintenance ?? 'Not specified: re-estimate when the population, the treatment or its delivery changes.',
    evidence: d.evidence ?? [],
    plots: r.plots,
  };
  const manifest: ManifestInput = {
    schemaVersion: 1,
    id: d.id,
    name: d.name,
    version: d.version ?? '0.1.0',
    task: 'treatment-effect',
    description: d.description ?? '',
    intendedUse: d.intendedUse,
    limitations: [...d.limitations, ...(d.outOfScopeUse ?? []).map((u) => `Out of scope: ${u}`)],
    features,
    inputs: { layout: 'tensor', name: 'input', dtype: 'float32', columns: features.map((f) => ({ feature: f.name })) },
    output: { name: EFFECT_OUTPUT, kind: 'value' },
    effect: {
      treatment: data.treatment.column,
      outcome: data.outcome.label,
      scale,
      ...(data.outcome.unit ? { unit: data.outcome.unit } : {}),
    },
    metrics,
    modelCard: plain(card) as Record<string, unknown>,
    provenance: {
      createdAt: content.createdAt.toISOString(),
      tool: `@cairn/pipelines ${PIPELINES_VERSION}`,
      source: 'Doubly robust effect estimation trained by @cairn/pipelines',
      pipeline: 'causal-dr',
      params: plain(params) as Record<string, unknown>,
      trainingDataSha256: data.source.sha256,
    },
    model: { file: 'model.onnx', sha256: await sha256Hex(onnx) },
    reference: { file: 'reference.csv', sha256: await sha256Hex(reference), rows: referenceRows.length },
    explanation: { method: model.family === 'linear' ? 'linear' : 'tree-path' },
  };
  return { manifest: `${JSON.stringify(manifest, null, 2)}\n`, model: onnx, reference };
}

/**
 * Loads the files with core's loader and estimates every row's effect with the injected runtime;
 * throws `model_mismatch` unless each equals the TypeScript model's within 1e-5.
 */
export async function checkCausalBundle(
  files: { manifest: string; model: Uint8Array; reference: string },
  model: CateModel,
  covariates: readonly DataColumn[],
  rows: number,
  runtime: OrtRuntime,
): Promise<Bundle> {
  const bundle = await loadBundle(files);
  const predictor = await createPredictor(bundle, { runtime });
  try {
    const effects = await predictor.predictEffectMatrix(covariateMatrix(covariates, rows), rows);
    const expected = model.predict(covariates.map((c) => c.values));
    const issues = [];
    let worst = 0;
    for (let i = 0; i < rows; i++) {
      const diff = Math.abs((effects[i] as number) - (expected[i] as number));
      if (!(diff <= EFFECT_SELF_CHECK_TOLERANCE)) {
        worst = Math.max(worst, Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff);
        if (issues.length < 10) {
          issues.push(
            issue(['rows', i], 'mismatch', `onnxruntime gives ${effects[i]}, the trained model ${expected[i]} (difference ${diff})`),
          );
        }
      }
    }
    if (issues.length > 0) {
      throw new CairnError(
        'model_mismatch',
        `Self-check failed: the exported model.onnx disagrees with the trained effect model by up to ${worst} (tolerance ${EFFECT_SELF_CHECK_TOLERANCE})`,
        { issues },
      );
    }
  } finally {
    await predictor.release();
  }
  return bundle;
}
