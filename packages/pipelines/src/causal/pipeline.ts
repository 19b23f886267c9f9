import { CairnError, invalidArgument, invalidInput, issue } from '@cairn/core';
import { throwIfAborted } from '../cancel.js';
import type { DataColumn, Dataset } from '../data/dataset.js';
import { featureName } from '../data/read-csv.js';
import type { PipelineContext, PipelineStage } from '../pipeline/types.js';
import { createRandom, shuffle } from '../random.js';
import { type CateModel, type CateSettings, fitDrLearner, fitTLearner } from './cate.js';
import { type CausalDataset, causalDataset } from './data.js';
import {
  ateWeights,
  balanceDiagnostics,
  type CausalWarning,
  commonSupport,
  eValue,
  overlapDiagnostics,
  separatingCovariate,
} from './diagnostics.js';
import { clipPropensity, type EstimateSet, type EstimatorInput, estimateEffects, pseudoOutcomes } from './estimate.js';
import { checkCausalBundle, covariateRecords, createCausalBundleFiles } from './export.js';
import { type CausalFrame, crossFit, type NuisanceSettings } from './nuisance.js';
import { type CausalParams, causalParamsSchema } from './params.js';
import type { CausalInput, CausalPipeline, CausalResult, EffectDistribution, Refutation, Refutations, TrimmedEstimates } from './types.js';

const OUTCOME_GBDT = { trees: 500, learningRate: 0.05, maxDepth: 3, minChildWeight: 5, subsample: 0.8, earlyStoppingRounds: 50 };
const PROPENSITY_GBDT = { trees: 300, learningRate: 0.05, maxDepth: 3, minChildWeight: 1, subsample: 0.8, earlyStoppingRounds: 30 };
const CATE_GBDT = { trees: 500, learningRate: 0.02, maxDepth: 2, minChildWeight: 20, subsample: 0.8, earlyStoppingRounds: 50 };
const RIDGE_PENALTIES = [0.1, 1, 10, 100, 1000, 10000];

function parseParams(raw: unknown): CausalParams {
  const result = causalParamsSchema.safeParse(raw ?? {});
  if (!result.success) {
    const issues = result.error.issues.map((i) =>
      issue(['params', ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))], 'invalid', i.message),
    );
    throw new CairnError(
      'invalid_argument',
      `params of pipeline 'causal-dr': ${issues.map((i) => `${i.path.slice(1).join('.')}: ${i.message}`).join('; ')}`,
      { issues },
    );
  }
  return result.data;
}

function checkDescription(input: CausalInput): void {
  const m = input.model;
  if (!m || typeof m !== 'object') throw invalidArgument('model', 'describe the model: id, name, intendedUse and limitations');
  if (typeof m.intendedUse !== 'string' || m.intendedUse.trim() === '') {
    throw invalidArgument('model.intendedUse', 'state who should use the effect estimates, for whom, and for what decision');
  }
  if (!Array.isArray(m.limitations) || m.limitations.length === 0 || m.limitations.some((l) => typeof l !== 'string' || l.trim() === '')) {
    throw invalidArgument('model.limitations', 'give at least one known limitation');
  }
}

const same = (a: string, b: string) => a === b || featureName(a) === featureName(b);

/** The causal dataset of the input, with `params.exclude` applied and `params.treatment`/`outcome` checked. */
function resolveData(input: CausalInput, params: CausalParams): CausalDataset {
  const raw = input.data;
  if (!raw || typeof raw !== 'object')
    throw invalidArgument('data', 'pass the rows (readCausalCsv, or readCsv with the treatment as target)');
  let data: CausalDataset;
  if ('covariates' in raw) {
    data = raw;
    if (params.outcome !== undefined && !same(params.outcome, data.outcome.column)) {
      throw invalidArgument('params.outcome', `the data's outcome is '${data.outcome.column}', not '${params.outcome}'`);
    }
    const unknown = params.exclude.filter(
      (e) => !data.covariates.some((c) => same(e, c.name) || e === c.label) && !data.ingest.excluded.some((x) => same(e, x)),
    );
    if (unknown.length > 0) {
      throw invalidInput(unknown.map((e) => issue(['params', 'exclude', e], 'unknown_field', `there is no column '${e}'`)));
    }
    const covariates = data.covariates.filter((c) => !params.exclude.some((e) => same(e, c.name) || e === c.label));
    data = { ...data, covariates, ingest: { ...data.ingest, excluded: [...new Set([...data.ingest.excluded, ...params.exclude])] } };
  } else {
    if (params.outcome === undefined) throw invalidArgument('params.outcome', 'name the outcome column');
    data = causalDataset(raw as Dataset, { outcome: params.outcome, exclude: params.exclude });
  }
  if (params.treatment !== undefined && !same(params.treatment, data.treatment.column)) {
    throw invalidArgument('params.treatment', `the data's treatment is '${data.treatment.column}', not '${params.treatment}'`);
  }
  if (data.covariates.length === 0) throw invalidInput([issue(['covariates'], 'required', 'there are no covariates left to adjust for')]);
  return data;
}

function distribution(values: Float64Array, bins = 30): EffectDistribution {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const q = (p: number) => {
    const h = (n - 1) * p;
    const lo = Math.floor(h);
    return (sorted[lo] as number) + (h - lo) * ((sorted[Math.min(n - 1, lo + 1)] as number) - (sorted[lo] as number));
  };
  let mean = 0;
  for (const v of values) mean += v;
  mean /= n;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  const min = sorted[0] as number;
  const max = sorted[n - 1] as number;
  const width = max > min ? (max - min) / bins : 1;
  const edges = Array.from({ length: bins + 1 }, (_, k) => min + k * width);
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor((v - min) / width)));
    counts[b] = (counts[b] as number) + 1;
  }
  return {
    mean,
    sd: Math.sqrt(ss / Math.max(1, n - 1)),
    quantiles: { p05: q(0.05), p25: q(0.25), p50: q(0.5), p75: q(0.75), p95: q(0.95) },
    histogram: { edges, counts },
  };
}

function correlation(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] as number;
    mb += b[i] as number;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = (a[i] as number) - ma;
    const db = (b[i] as number) - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : Number.NaN;
}

function isConstant(c: DataColumn): boolean {
  let first: number | undefined;
  for (const v of c.values) {
    if (Number.isNaN(v)) continue;
    if (first === undefined) first = v;
    else if (v !== first) return false;
  }
  return true;
}

interface Fitted {
  readonly nuisance: Awaited<ReturnType<typeof crossFit>>;
  readonly input: EstimatorInput;
  readonly clipped: number;
  readonly estimates: EstimateSet;
}

/**
 * The `causal-dr` pipeline: cross-fitted propensity and outcome models, IPW and doubly robust (AIPW)
 * ATE and ATT with intervals, overlap and balance diagnostics, optional trimming, placebo and
 * random-common-cause refutations, an E-value, and individual effects by the DR-learner (T-learner
 * as baseline) exported as a checked treatment-effect bundle.
 */
export const causalDrPipeline: CausalPipeline = {
  id: 'causal-dr',
  label: 'Doubly robust treatment effects',
  description:
    'Average and individual treatment effects from observational data: cross-fitted AIPW with overlap, balance and refutation diagnostics; a DR-learner effect model as the bundle.',
  params: causalParamsSchema,
  async run(input: CausalInput, context: PipelineContext): Promise<CausalResult> {
    if (!context?.runtime?.InferenceSession) {
      throw invalidArgument('context.runtime', 'pass the onnxruntime module (onnxruntime-node) for the self-check');
    }
    const seed = context.seed ?? 1;
    if (!Number.isInteger(seed)) throw invalidArgument('context.seed', 'must be an integer');
    const signal = context.signal;
    const log = context.logger;
    const report = (stage: PipelineStage, fraction: number) =>
      context.onProgress?.({ stage, fraction: Math.min(1, Math.max(0, fraction)) });
    const warnings: CausalWarning[] = [];
    const warn = (w: CausalWarning) => {
      warnings.push(w);
      log?.warn?.(w.message, { code: w.code, ...(w.data ?? {}) });
    };
    throwIfAborted(signal);
    checkDescription(input);
    const params = parseParams(input.params);

    report('data', 0);
    const data = resolveData(input, params);
    const dropped = data.covariates.filter(isConstant);
    if (dropped.length > 0) {
      warn({
        code: 'constant-covariate',
        message: `covariate${dropped.length > 1 ? 's' : ''} ${dropped.map((c) => `'${c.label}'`).join(', ')} ${dropped.length > 1 ? 'are' : 'is'} constant: no information to adjust for, left out of the models`,
        data: { covariates: dropped.map((c) => c.name) },
      });
    }
    const covariates = data.covariates.filter((c) => !dropped.includes(c));
    if (covariates.length === 0) {
      throw invalidInput(
        [issue(['covariates'], 'invalid', 'every covariate is constant: there is nothing to adjust for')],
        'No usable covariates',
      );
    }
    const treatment = data.treatment.values;
    const outcome = data.outcome.values;
    const n = data.rows;
    let treatedCount = 0;
    for (const t of treatment) treatedCount += t;
    const controlCount = n - treatedCount;
    const minimum = Math.max(10, 2 * params.folds);
    if (treatedCount < minimum || controlCount < minimum) {
      throw invalidInput(
        [
          issue(
            ['treatment'],
            'invalid',
            `cross-fitting with ${params.folds} folds needs at least ${minimum} treated and ${minimum} untreated rows; there are ${treatedCount} and ${controlCount}`,
          ),
        ],
        'Too few rows per arm',
      );
    }
    const separation = separatingCovariate(covariates, treatment);
    if (separation) {
      throw invalidInput(
        [
          issue(
            ['covariates', separation.covariate],
            'invalid',
            `no overlap: '${separation.label}' separates the groups (${separation.description}), so treatment is decided by it and the treated cannot be compared with the untreated; restrict the data to where both occur`,
          ),
        ],
        'No overlap',
      );
    }
    const binary = data.outcome.type === 'binary';
    log?.info?.('causal data', {
      rows: n,
      treated: treatedCount,
      untreated: controlCount,
      covariates: covariates.length,
      outcome: data.outcome.type,
    });
    report('data', 1);

    const nuisanceSettings: NuisanceSettings = {
      folds: params.folds,
      propensity: params.propensity,
      outcome: params.outcomeModel,
      logistic: { l2: params.l2 },
      gbdtClassifier: { ...PROPENSITY_GBDT, ...params.propensityGbdt },
      gbdtRegressor: { ...OUTCOME_GBDT, ...params.outcomeGbdt },
      ridge: { l2: 1 },
    };
    const interval = { level: params.ciLevel, bootstrap: params.bootstrap, seed };
    const fit = async (frame: CausalFrame, fitSeed: number, onProgress?: (f: number) => void): Promise<Fitted> => {
      const nuisance = await crossFit(frame, nuisanceSettings, {
        seed: fitSeed,
        ...(signal ? { signal } : {}),
        ...(onProgress ? { onProgress } : {}),
      });
      const { clipped, moved } = clipPropensity(nuisance.propensity, params.clip);
      const mu = (m: Float64Array) => (binary ? Float64Array.from(m, (v) => Math.min(1, Math.max(0, v))) : m);
      const fitted: EstimatorInput = {
        treatment: frame.treatment,
        outcome: frame.outcome,
        propensity: clipped,
        mu0: mu(nuisance.mu0),
        mu1: mu(nuisance.mu1),
      };
      return { nuisance, input: fitted, clipped: moved, estimates: estimateEffects(fitted, undefined, interval) };
    };

    report('train', 0);
    const frame: CausalFrame = { rows: n, covariates, treatment, outcome, binaryOutcome: binary };
    const main = await fit(frame, seed, (f) => report('train', 0.6 * f));
    const propensity = main.nuisance.propensity;
    const support = commonSupport(propensity, treatment);
    if (support.treated < 2 || support.control < 2) {
      const range = (group: number) => {
        const v = Array.from(propensity).filter((_, i) => treatment[i] === group);
        return `[${Math.min(...v).toFixed(3)}, ${Math.max(...v).toFixed(3)}]`;
      };
      throw invalidInput(
        [
          issue(
            ['treatment'],
            'invalid',
            `no overlap: the cross-fitted propensity scores of the treated span ${range(1)} and those of the untreated ${range(0)}; only ${support.treated} treated and ${support.control} untreated units share a range, so the covariates all but determine treatment and the groups cannot be compared`,
          ),
        ],
        'No overlap',
      );
    }
    log?.info?.('effects estimated', {
      ate: main.estimates.aipw.ate.value,
      ateCi: main.estimates.aipw.ate.ci,
      att: main.estimates.aipw.att.value,
      ipwAte: main.estimates.ipw.ate.value,
    });
    throwIfAborted(signal);

    // Individual effects: the DR-learner and the T-learner; one is exported, the other is the baseline.
    const pseudo = pseudoOutcomes(main.input);
    const cateSettings: CateSettings = {
      family: params.cateModel,
      folds: params.folds,
      gbdt: { ...CATE_GBDT, ...params.cateGbdt },
      penalties: RIDGE_PENALTIES,
    };
    const hooks = { seed: seed + 17, ...(signal ? { signal } : {}) };
    const dr = await fitDrLearner(covariates, pseudo, cateSettings, hooks);
    report('train', 0.8);
    const tl = await fitTLearner(covariates, outcome, treatment, cateSettings, hooks);
    report('train', 1);
    const exported: CateModel = params.cateLearner === 'dr' ? dr : tl;
    const other: CateModel = params.cateLearner === 'dr' ? tl : dr;
    const columns = covariates.map((c) => c.values);
    const effects = exported.predict(columns);
    const baselineEffects = other.predict(columns);
    log?.info?.('effect model fitted', {
      learner: exported.learner,
      family: exported.family,
      params: exported.params as Record<string, unknown>,
    });
    throwIfAborted(signal);

    report('evaluate', 0);
    const weights = ateWeights(main.input.propensity, treatment);
    const overlap = overlapDiagnostics(propensity, treatment, {
      clip: params.clip,
      clipped: main.clipped,
      weights,
      tolerance: params.overlapTolerance,
    });
    if (!overlap.ok) {
      warn({
        code: 'poor-overlap',
        message: `poor overlap: ${(overlap.outside.all * 100).toFixed(1)}% of units have a propensity outside [0.1, 0.9] (treated ${(overlap.outside.treated * 100).toFixed(1)}%, untreated ${(overlap.outside.control * 100).toFixed(1)}%; tolerance ${(params.overlapTolerance * 100).toFixed(0)}%): estimates lean on few units and on the outcome models; ${params.trim === false ? 'consider trimming (trim: 0.1)' : `see the estimate trimmed to [${params.trim}, ${1 - params.trim}]`}`,
        data: { outside: overlap.outside },
      });
    }
    if (main.clipped > 0) {
      warn({
        code: 'extreme-propensity',
        message: `${main.clipped} unit${main.clipped > 1 ? 's have' : ' has'} a propensity below ${params.clip} or above ${1 - params.clip}: ${main.clipped > 1 ? 'their weights were' : 'its weight was'} capped at ${(1 / params.clip).toFixed(0)} (largest weight ${overlap.maxWeight.toFixed(1)})`,
        data: { clipped: main.clipped, clip: params.clip },
      });
    }
    const balance = balanceDiagnostics(covariates, treatment, main.input.propensity, params.balanceThreshold);
    if (!balance.ok) {
      warn({
        code: 'imbalance',
        message: `covariate balance fails after weighting: |SMD| > ${params.balanceThreshold} for ${balance.imbalanced.length} covariate${balance.imbalanced.length > 1 ? 's' : ''} (${balance.imbalanced.slice(0, 8).join(', ')}${balance.imbalanced.length > 8 ? ', …' : ''}); largest ${balance.maxAfter.toFixed(3)} (${balance.maxAfterAtt.toFixed(3)} with ATT weights): extreme weights or a misspecified propensity model; the doubly robust estimate then relies on the outcome models`,
        data: { imbalanced: balance.imbalanced, maxAfter: balance.maxAfter },
      });
    }

    let trimmed: TrimmedEstimates | undefined;
    if (params.trim !== false) {
      const lo = params.trim;
      const hi = 1 - params.trim;
      const keep: number[] = [];
      let droppedT = 0;
      let droppedC = 0;
      for (let i = 0; i < n; i++) {
        const e = propensity[i] as number;
        if (e >= lo && e <= hi) keep.push(i);
        else if (treatment[i] === 1) droppedT++;
        else droppedC++;
      }
      const keptT = treatedCount - droppedT;
      const keptC = controlCount - droppedC;
      if (keptT < 2 || keptC < 2) {
        warn({
          code: 'trim-empty',
          message: `trimming to propensity [${lo}, ${hi}] leaves ${keptT} treated and ${keptC} untreated units: no trimmed estimate`,
          data: { bounds: [lo, hi] },
        });
      } else {
        // Nuisance predictions stay cross-fitted on all rows; only the averaging is restricted.
        trimmed = {
          bounds: [lo, hi],
          estimates: estimateEffects(main.input, Int32Array.from(keep), interval),
          dropped: { treated: droppedT, control: droppedC },
        };
        log?.info?.('trimmed estimate', { bounds: [lo, hi], kept: keep.length, ate: trimmed.estimates.aipw.ate.value });
      }
    }
    report('evaluate', 0.2);

    let refutations: Refutations | undefined;
    if (params.refute) {
      const original = main.estimates.aipw.ate;
      const random = createRandom(seed ^ 0x91ace);
      const permuted = shuffle(Uint8Array.from(treatment), random);
      const placeboFit = await fit({ ...frame, treatment: permuted }, seed + 1000);
      const pe = placeboFit.estimates.aipw.ate;
      const placebo: Refutation = {
        estimate: pe,
        original: original.value,
        passed: pe.ci[0] <= 0 && pe.ci[1] >= 0,
        criterion: 'the effect of a randomly permuted treatment is indistinguishable from 0 (its interval covers 0)',
      };
      report('evaluate', 0.6);
      const noise = new Float64Array(n);
      for (let i = 0; i < n; i += 2) {
        // Box–Muller: two independent standard normal values per pair of uniforms.
        const u = Math.max(random.next(), 1e-12);
        const v = random.next();
        const r = Math.sqrt(-2 * Math.log(u));
        noise[i] = r * Math.cos(2 * Math.PI * v);
        if (i + 1 < n) noise[i + 1] = r * Math.sin(2 * Math.PI * v);
      }
      const extra: DataColumn = { name: '_random_common_cause', label: 'random common cause', type: 'number', values: noise };
      const rccFit = await fit({ ...frame, covariates: [...covariates, extra] }, seed);
      const re = rccFit.estimates.aipw.ate;
      const randomCommonCause: Refutation = {
        estimate: re,
        original: original.value,
        passed: Math.abs(re.value - original.value) <= original.se,
        criterion: 'adding a random covariate moves the effect by less than one standard error',
      };
      refutations = { placebo, randomCommonCause };
      for (const [name, r] of [
        ['placebo-treatment', placebo],
        ['random-common-cause', randomCommonCause],
      ] as const) {
        if (!r.passed) {
          warn({
            code: `refutation-${name}`,
            message: `${name} refutation failed: ${r.criterion} does not hold (estimate ${r.estimate.value.toFixed(4)} [${r.estimate.ci[0].toFixed(4)}, ${r.estimate.ci[1].toFixed(4)}], original ${r.original.toFixed(4)})`,
            data: { estimate: r.estimate.value, ci: r.estimate.ci },
          });
        }
      }
      log?.info?.('refutations', {
        placebo: pe.value,
        placeboPassed: placebo.passed,
        randomCommonCause: re.value,
        rccPassed: randomCommonCause.passed,
      });
    }
    report('evaluate', 0.9);

    let sd = 0;
    let mean = 0;
    for (const y of outcome) mean += y;
    mean /= n;
    for (const y of outcome) sd += (y - mean) ** 2;
    sd = Math.sqrt(sd / Math.max(1, n - 1));
    const logRr = main.estimates.aipw.logRiskRatio;
    const evalue =
      binary && logRr
        ? eValue(main.estimates.aipw.ate, { kind: 'risk-ratio', logRatio: logRr })
        : eValue(main.estimates.aipw.ate, { kind: 'difference', sd: sd > 0 ? sd : 1 });
    report('evaluate', 1);

    report('export', 0);
    const drDistribution = distribution(effects);
    const result: Omit<CausalResult, 'files' | 'manifest' | 'model'> = {
      params,
      data: {
        rows: n,
        treated: treatedCount,
        control: controlCount,
        treatment: data.treatment.column,
        outcome: { column: data.outcome.column, type: data.outcome.type },
        covariates: covariates.map((c) => c.name),
        droppedCovariates: dropped.map((c) => c.name),
      },
      ate: main.estimates.aipw.ate,
      att: main.estimates.aipw.att,
      estimates: main.estimates,
      ...(trimmed ? { trimmed } : {}),
      propensity,
      overlap,
      balance,
      ...(refutations ? { refutations } : {}),
      eValue: evalue,
      cate: {
        learner: exported.learner,
        family: exported.family,
        params: exported.params,
        effects,
        distribution: drDistribution,
        baseline: {
          learner: other.learner,
          effects: baselineEffects,
          distribution: distribution(baselineEffects),
          correlation: correlation(effects, baselineEffects),
        },
      },
      plots: {
        lovePlot: { threshold: balance.threshold, rows: balance.rows },
        propensity: overlap.histogram,
        cate: drDistribution.histogram,
      },
      warnings,
    };
    const content = {
      description: input.model,
      data,
      covariates,
      params,
      model: exported,
      seed,
      createdAt: (context.now ?? (() => new Date()))(),
    };
    let files = await createCausalBundleFiles({ ...content, result });
    report('export', 1);

    report('check', 0);
    let bundle = await checkCausalBundle(files, exported, covariates, n, context.runtime);
    let finalResult = result;
    if (context.explain) {
      const rows = Array.from({ length: Math.min(n, 500) }, (_, k) => Math.floor((k * n) / Math.min(n, 500)));
      const shapSummary = await context.explain(bundle, covariateRecords(covariates, rows));
      finalResult = { ...result, plots: { ...result.plots, shapSummary } };
      files = await createCausalBundleFiles({ ...content, result: finalResult });
      bundle = await checkCausalBundle(files, exported, covariates, n, context.runtime);
    }
    log?.info?.('bundle checked: onnxruntime agrees with the effect model on every row', { rows: n });
    report('check', 1);
    return { ...finalResult, files, manifest: bundle.manifest, model: exported };
  },
};
