import type { Manifest } from '@cairn/core';
import type { z } from 'zod';
import type { Dataset } from '../data/dataset.js';
import type { ModelDescription, PipelineContext, ShapSummary } from '../pipeline/types.js';
import type { CateFamily, CateLearner, CateModel } from './cate.js';
import type { CausalDataset } from './data.js';
import type { BalanceDiagnostics, BalanceRow, CausalWarning, EValue, OverlapDiagnostics, PropensityHistogram } from './diagnostics.js';
import type { EffectEstimate, EstimateSet } from './estimate.js';
import type { CausalParams } from './params.js';

/** What a causal run estimates from. */
export interface CausalInput {
  /**
   * The rows: a {@link CausalDataset} (readCausalCsv), or a Dataset read by readCsv with the treatment
   * as its target (then `params.outcome` names the outcome column).
   */
  readonly data: CausalDataset | Dataset;
  /** Parameters, checked by the pipeline's schema (defaults fill the rest). */
  readonly params?: unknown;
  /** The effect model's identity and intended use (required, as in every pipeline). */
  readonly model: ModelDescription;
}

/** A refutation: the effect re-estimated after a change that should (placebo) or should not (common cause) move it. */
export interface Refutation {
  /** The AIPW ATE after the change. */
  readonly estimate: EffectEstimate;
  /** The original AIPW ATE. */
  readonly original: number;
  readonly passed: boolean;
  /** What passing means, in words. */
  readonly criterion: string;
}

/** The placebo-treatment and random-common-cause refutations. */
export interface Refutations {
  /** Treatment replaced by a seeded permutation of itself: the effect should vanish. */
  readonly placebo: Refutation;
  /** A random N(0, 1) covariate added: the effect should not move. */
  readonly randomCommonCause: Refutation;
}

/** Distribution of in-sample effect estimates. */
export interface EffectDistribution {
  readonly mean: number;
  readonly sd: number;
  /** 5th, 25th, 50th, 75th and 95th percentiles. */
  readonly quantiles: { readonly p05: number; readonly p25: number; readonly p50: number; readonly p75: number; readonly p95: number };
  readonly histogram: { readonly edges: readonly number[]; readonly counts: readonly number[] };
}

/** The individual-effect model and its baseline. */
export interface CateSummary {
  readonly learner: CateLearner;
  readonly family: CateFamily;
  readonly params: Readonly<Record<string, unknown>>;
  /** In-sample estimates of the exported model. */
  readonly effects: Float64Array;
  readonly distribution: EffectDistribution;
  /** The other learner, for comparison (the T-learner when the DR-learner is exported, and vice versa). */
  readonly baseline: {
    readonly learner: CateLearner;
    readonly effects: Float64Array;
    readonly distribution: EffectDistribution;
    /** Pearson correlation of the two learners' in-sample estimates. */
    readonly correlation: number;
  };
}

/** Trimming: the effect re-estimated on units whose propensity lies within the bounds. */
export interface TrimmedEstimates {
  readonly bounds: readonly [number, number];
  readonly estimates: EstimateSet;
  readonly dropped: { readonly treated: number; readonly control: number };
}

/** Plot data kept in the model card. */
export interface CausalPlots {
  /** Love plot: |SMD| per covariate before and after weighting, with the reference line. */
  readonly lovePlot: { readonly threshold: number; readonly rows: readonly BalanceRow[] };
  readonly propensity: PropensityHistogram;
  readonly cate: EffectDistribution['histogram'];
  /** Filled only when `context.explain` is given. */
  readonly shapSummary?: ShapSummary;
}

/** What a causal run returns: the checked bundle files, the estimates and every diagnostic. */
export interface CausalResult {
  readonly files: { readonly manifest: string; readonly model: Uint8Array; readonly reference: string };
  readonly manifest: Manifest;
  /** Parameters after defaults. */
  readonly params: CausalParams;
  readonly data: {
    readonly rows: number;
    readonly treated: number;
    readonly control: number;
    readonly treatment: string;
    readonly outcome: { readonly column: string; readonly type: 'continuous' | 'binary' };
    readonly covariates: readonly string[];
    /** Covariates left out of the models (constant). */
    readonly droppedCovariates: readonly string[];
  };
  /** The headline: doubly robust (AIPW) ATE. */
  readonly ate: EffectEstimate;
  /** Doubly robust ATT. */
  readonly att: EffectEstimate;
  /** Every estimator on all rows. */
  readonly estimates: EstimateSet;
  readonly trimmed?: TrimmedEstimates;
  /** Cross-fitted propensity scores (unclipped). */
  readonly propensity: Float64Array;
  readonly overlap: OverlapDiagnostics;
  readonly balance: BalanceDiagnostics;
  readonly refutations?: Refutations;
  readonly eValue: EValue;
  readonly cate: CateSummary;
  /** The exported effect model (its `predict` is what onnxruntime was checked against). */
  readonly model: CateModel;
  readonly plots: CausalPlots;
  /** Failed checks (also logged through `context.logger.warn`). */
  readonly warnings: readonly CausalWarning[];
}

/** A pipeline that estimates treatment effects. */
export interface CausalPipeline {
  readonly id: string;
  readonly label: string;
  readonly description: string;
  /** Zod schema of the parameters (with defaults). */
  readonly params: z.ZodType<CausalParams>;
  run(input: CausalInput, context: PipelineContext): Promise<CausalResult>;
}
