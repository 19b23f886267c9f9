import {
  type Bundle,
  CairnError,
  createPredictor,
  type Feature,
  type FeatureRecord,
  formatReferenceCsv,
  issue,
  loadBundle,
  type ManifestInput,
  type Metric,
  type OrtRuntime,
  type RiskBand,
  sha256Hex,
} from '@cairn/core';
import type { DataColumn, Dataset } from '../data/dataset.js';
import type { DataReport } from '../data/describe.js';
import { demographicColumns, type Evaluation } from '../evaluate/evaluate.js';
import { bandsAt, type ThresholdChoice } from '../evaluate/threshold.js';
import type { BinaryClassifier } from '../learn/model.js';
import type { ModelDescription, PlotData, SearchResult } from '../pipeline/types.js';
import { createRandom } from '../random.js';

/** Version written into provenance. */
export const PIPELINES_VERSION = '0.1.0';

/** Most rows in reference.csv. */
export const REFERENCE_ROWS = 500;

/** Manifest features for dataset columns (plausible range = training range; optional when training had missing values). */
export function manifestFeatures(columns: readonly DataColumn[]): Feature[] {
  return columns.map((c) => {
    let missing = false;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const v of c.values) {
      if (Number.isNaN(v)) missing = true;
      else {
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    const numeric = c.type === 'number' || c.type === 'integer';
    return {
      name: c.name,
      label: c.label,
      ...(c.description ? { description: c.description } : {}),
      type: c.type,
      ...(c.unit ? { unit: c.unit } : {}),
      ...(c.categories ? { categories: c.categories.map((k) => ({ value: k.value, label: k.label })) } : {}),
      ...(numeric && min <= max ? { plausible: { min, max } } : {}),
      required: !missing,
    };
  });
}

/** Rows of a dataset as validated feature records (numbers, booleans, category codes; null = missing). */
export function featureRecords(data: Dataset, rows: readonly number[]): FeatureRecord[] {
  return rows.map((r) => {
    const record: Record<string, number | boolean | null> = {};
    for (const c of data.columns) {
      const v = c.values[r] as number;
      record[c.name] = Number.isNaN(v) ? null : c.type === 'boolean' ? v === 1 : v;
    }
    return record;
  });
}

/** Row-major float32 matrix of the model input (one column per feature, NaN = missing). */
export function inputMatrix(data: Dataset): Float32Array {
  const width = data.columns.length;
  const out = new Float32Array(data.rows * width);
  data.columns.forEach((c, j) => {
    for (let i = 0; i < data.rows; i++) out[i * width + j] = c.values[i] as number;
  });
  return out;
}

/** Seeded sample of row indices, in row order. */
export function sampleRows(rows: number, count: number, seed: number): number[] {
  if (rows <= count) return Array.from({ length: rows }, (_, i) => i);
  const random = createRandom(seed);
  const picked = new Set<number>();
  // Floyd's algorithm: exactly `count` distinct rows without shuffling them all.
  for (let j = rows - count; j < rows; j++) {
    const t = random.int(j + 1);
    picked.add(picked.has(t) ? j : t);
  }
  return [...picked].sort((a, b) => a - b);
}

/** Everything that goes into a bundle. */
export interface BundleContent {
  readonly pipeline: { readonly id: string; readonly label: string };
  readonly model: BinaryClassifier;
  readonly description: ModelDescription;
  readonly train: Dataset;
  readonly validationRows: number;
  readonly test: Dataset;
  readonly testSource: 'split' | 'file';
  readonly report: DataReport;
  readonly evaluation: Evaluation;
  readonly threshold: ThresholdChoice;
  readonly riskBands?: readonly RiskBand[];
  readonly plots: PlotData;
  readonly search?: SearchResult;
  readonly seed: number;
  readonly createdAt: Date;
}

const finite = (v: number) => (Number.isFinite(v) ? v : null);

function headline(e: Evaluation): Metric[] {
  const out: Metric[] = [];
  const add = (name: string, value: number, ci?: readonly [number, number]) => {
    if (!Number.isFinite(value)) return;
    out.push({ name, value, ...(ci ? { ci: [ci[0], ci[1]] as [number, number], ciLevel: e.ciLevel } : {}), dataset: 'test' });
  };
  add('roc_auc', e.rocAuc.value, e.rocAuc.ci);
  add('pr_auc', e.prAuc.value, e.prAuc.ci);
  add('brier_score', e.brier);
  add('accuracy', e.accuracy);
  add('sensitivity', e.recall);
  add('specificity', e.specificity);
  add('ppv', e.precision);
  add('npv', e.npv);
  add('f1', e.f1);
  add('f2', e.f2);
  return out;
}

function demographics(data: Dataset) {
  const columns = demographicColumns(data);
  return columns.map((name) => {
    const c = data.columns.find((k) => k.name === name) as DataColumn;
    if (c.type === 'number' || c.type === 'integer') {
      const present = Float64Array.from(c.values.filter((v) => !Number.isNaN(v))).sort();
      const q = (p: number) => present[Math.floor((present.length - 1) * p)] ?? null;
      return { attribute: c.name, label: c.label, min: q(0), median: q(0.5), max: q(1), missing: data.rows - present.length };
    }
    const labels =
      c.type === 'boolean'
        ? new Map([
            [0, 'false'],
            [1, 'true'],
          ])
        : new Map((c.categories ?? []).map((k) => [k.value, k.label]));
    const counts = new Map<string, number>();
    for (const v of c.values) {
      const key = Number.isNaN(v) ? 'missing' : (labels.get(v) ?? String(v));
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return {
      attribute: c.name,
      label: c.label,
      groups: [...counts.entries()].map(([group, n]) => ({ group, n, fraction: n / data.rows })),
    };
  });
}

function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'number' ? finite(v) : v)));
}

/** Builds the bundle files (cairn.json with model card, model.onnx, reference.csv) in memory. */
export async function createBundleFiles(content: BundleContent): Promise<{ manifest: string; model: Uint8Array; reference: string }> {
  const { model, description: d, train, evaluation: e, report } = content;
  const features = manifestFeatures(train.columns);
  const onnx = model.toOnnx();
  const referenceRows = sampleRows(train.rows, REFERENCE_ROWS, content.seed);
  const reference = formatReferenceCsv(featureRecords(train, referenceRows), features);
  const demographicInputs = demographicColumns(train);
  const threshold = content.threshold.threshold;
  const modelCard = {
    format: 'cairn-model-card/1',
    details: {
      name: d.name,
      version: d.version ?? '0.1.0',
      description: d.description ?? '',
      developer: d.developer ?? null,
      fundingSource: d.fundingSource ?? null,
      modelType: content.pipeline.label,
      output: 'Probability of the positive class, with a label at the threshold and a risk band',
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
    inputFeatures: report.features.map((f) => ({
      name: f.name,
      label: f.label,
      type: f.type,
      missingInTraining: f.missingFraction,
      demographic: demographicInputs.includes(f.name),
    })),
    demographicInputs,
    target: report.target,
    trainingData: {
      source: d.dataSource ?? train.source.name ?? null,
      period: d.trainingPeriod ?? null,
      criteria: d.dataCriteria ?? null,
      deploymentRelevance: d.deploymentRelevance ?? null,
      sha256: train.source.sha256,
      rowsRead: report.rowsRead,
      rowsUsed: report.rows,
      split: { train: train.rows, validation: content.validationRows, test: content.test.rows, testSource: content.testSource },
      classBalance: report.classBalance,
      exclusions: { droppedRows: report.dropped, coercedCells: report.coerced, excludedColumns: report.excluded },
      missingness: report.features.map((f) => ({ name: f.name, missing: f.missing, fraction: f.missingFraction })),
      demographics: demographics(train),
    },
    parameters: model.params,
    search: content.search ?? null,
    seed: content.seed,
    threshold: {
      value: threshold,
      rule: content.threshold.rule,
      chosenOn: 'validation',
      validationPrecision: content.threshold.precision,
      validationRecall: content.threshold.recall,
    },
    performance: {
      dataset: content.testSource === 'file' ? 'separate test file' : 'held-out test split of the development data',
      n: e.n,
      positives: e.positives,
      prevalence: e.prevalence,
      rocAuc: e.rocAuc,
      prAuc: e.prAuc,
      ciLevel: e.ciLevel,
      bootstrapResamples: e.resamples,
      brier: e.brier,
      meanPredicted: e.meanPredicted,
      atThreshold: {
        threshold,
        accuracy: e.accuracy,
        sensitivity: e.recall,
        specificity: e.specificity,
        ppv: e.precision,
        npv: e.npv,
        f1: e.f1,
        f2: e.f2,
        confusion: e.confusion,
      },
    },
    fairness: {
      approach: d.fairnessApproach ?? 'Performance is reported per subgroup for review; no bias mitigation was applied during training.',
      subgroups: e.subgroups,
    },
    externalValidation: d.externalValidation ?? 'Not performed: metrics come from data of the same source as the training data.',
    maintenance: d.maintenance ?? 'Not specified: monitor calibration and subgroup performance after deployment and retrain on drift.',
    evidence: d.evidence ?? [],
    plots: content.plots,
  };
  const card = { ...modelCard, sourceAttributes: sourceAttributes(d, demographicInputs) };
  const manifest: ManifestInput = {
    schemaVersion: 1,
    id: d.id,
    name: d.name,
    version: d.version ?? '0.1.0',
    task: 'binary-classification',
    description: d.description ?? '',
    intendedUse: d.intendedUse,
    limitations: [...d.limitations, ...(d.outOfScopeUse ?? []).map((u) => `Out of scope: ${u}`)],
    features,
    inputs: { layout: 'tensor', name: 'input', dtype: 'float32', columns: features.map((f) => ({ feature: f.name })) },
    output: { name: 'probabilities', kind: 'probabilities', positiveIndex: 1 },
    threshold,
    riskBands: content.riskBands ? [...content.riskBands] : bandsAt(threshold),
    metrics: headline(e),
    modelCard: plain(card) as Record<string, unknown>,
    provenance: {
      createdAt: content.createdAt.toISOString(),
      tool: `@cairn/pipelines ${PIPELINES_VERSION}`,
      source: `${content.pipeline.label} trained by @cairn/pipelines`,
      pipeline: content.pipeline.id,
      params: plain(model.params) as Record<string, unknown>,
      trainingDataSha256: train.source.sha256,
    },
    model: { file: 'model.onnx', sha256: await sha256Hex(onnx) },
    reference: { file: 'reference.csv', sha256: await sha256Hex(reference), rows: referenceRows.length },
    explanation: { method: model.kind === 'logistic' ? 'linear' : 'tree-path' },
  };
  return { manifest: `${JSON.stringify(manifest, null, 2)}\n`, model: onnx, reference };
}

type AttributeStatus = 'provided' | 'not-provided' | 'not-applicable';

/**
 * The source attributes the ONC HTI-1 rule (45 CFR 170.315(b)(11)(iv)) asks of predictive decision
 * support interventions, each pointing to where the model card answers it, and whether it does.
 */
function sourceAttributes(d: ModelDescription, demographicInputs: readonly string[]) {
  const given = (v: unknown): AttributeStatus => (v === undefined || (Array.isArray(v) && v.length === 0) ? 'not-provided' : 'provided');
  const external: AttributeStatus = d.externalValidation ? 'provided' : 'not-applicable';
  const row = (group: string, attribute: string, at: string, status: AttributeStatus) => ({ group, attribute, at, status });
  return [
    row('details', 'Developer name and contact', 'details.developer', given(d.developer)),
    row('details', 'Funding source of the development', 'details.fundingSource', given(d.fundingSource)),
    row('details', 'Output value and its type (prediction)', 'details.output', 'provided'),
    row('purpose', 'Intended use', 'intendedUse.use', 'provided'),
    row('purpose', 'Intended patient population', 'intendedUse.population', given(d.population)),
    row('purpose', 'Intended users', 'intendedUse.users', given(d.intendedUsers)),
    row('purpose', 'Intended decision-making role', 'intendedUse.decisionRole', given(d.decisionRole)),
    row('out-of-scope', 'Tasks, situations or populations to avoid', 'intendedUse.outOfScopeUse', given(d.outOfScopeUse)),
    row('out-of-scope', 'Known risks and limitations', 'limitations', 'provided'),
    row(
      'development',
      'Inclusion and exclusion criteria of the training data',
      'trainingData.criteria, trainingData.exclusions',
      'provided',
    ),
    row(
      'development',
      'Demographic variables used as input features',
      'demographicInputs, inputFeatures[].demographic',
      demographicInputs.length > 0 ? 'provided' : 'not-applicable',
    ),
    row('development', 'Demographic representativeness of the training data', 'trainingData.demographics', 'provided'),
    row(
      'development',
      'Relevance of the training data to the deployment setting',
      'trainingData.deploymentRelevance',
      given(d.deploymentRelevance),
    ),
    row('fairness', 'Approach to fair output and to bias management', 'fairness.approach', 'provided'),
    row('external-validation', 'External validation data, setting, party and process', 'externalValidation', external),
    row('performance', 'Validity in test data from the training source', 'performance', 'provided'),
    row('performance', 'Fairness in test data from the training source', 'fairness.subgroups', 'provided'),
    row('performance', 'Validity and fairness in external data', 'externalValidation', external),
    row('performance', 'Evidence on outcomes of use', 'evidence', given(d.evidence)),
    row('maintenance', 'Update, validation and fairness monitoring schedule', 'maintenance', given(d.maintenance)),
    row('maintenance', 'Validity and fairness in local data', 'maintenance', 'not-applicable'),
  ];
}

/** Largest difference allowed between the runtime's and the TypeScript model's probabilities. */
export const SELF_CHECK_TOLERANCE = 1e-5;

/**
 * Loads the files with core's loader and scores the test rows with the injected runtime; throws
 * `model_mismatch` unless every probability equals the TypeScript model's within 1e-5.
 */
export async function checkBundle(
  files: { manifest: string; model: Uint8Array; reference: string },
  model: BinaryClassifier,
  test: Dataset,
  runtime: OrtRuntime,
): Promise<Bundle> {
  const bundle = await loadBundle(files);
  const predictor = await createPredictor(bundle, { runtime });
  try {
    const scores = await predictor.predictMatrix(inputMatrix(test), test.rows);
    const expected = model.predict(test.columns.map((c) => c.values));
    const issues = [];
    let worst = 0;
    for (let i = 0; i < test.rows; i++) {
      const diff = Math.abs((scores.probability[i] as number) - (expected[i] as number));
      if (!(diff <= SELF_CHECK_TOLERANCE)) {
        worst = Math.max(worst, Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff);
        if (issues.length < 10) {
          issues.push(
            issue(
              ['test', i],
              'mismatch',
              `onnxruntime gives ${scores.probability[i]}, the trained model ${expected[i]} (difference ${diff})`,
            ),
          );
        }
      }
    }
    if (issues.length > 0) {
      throw new CairnError(
        'model_mismatch',
        `Self-check failed: the exported model.onnx disagrees with the trained model by up to ${worst} (tolerance ${SELF_CHECK_TOLERANCE})`,
        { issues },
      );
    }
  } finally {
    await predictor.release();
  }
  return bundle;
}
