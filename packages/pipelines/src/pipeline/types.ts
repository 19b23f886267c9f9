import type { Bundle, BundleFiles, FeatureRecord, Manifest, OrtRuntime, PopulationSummary, RiskBand } from '@cairn/core';
import type { z } from 'zod';
import type { Dataset } from '../data/dataset.js';
import type { DataReport } from '../data/describe.js';
import type { Evaluation, SubgroupSpec } from '../evaluate/evaluate.js';
import type { CalibrationBin, CurvePoint } from '../evaluate/metrics.js';
import type { SearchObjective } from '../evaluate/objective.js';
import type { ThresholdChoice, ThresholdRule } from '../evaluate/threshold.js';
import type { BinaryClassifier } from '../learn/model.js';

/** Stages a run reports progress for, in order. */
export type PipelineStage = 'data' | 'search' | 'train' | 'evaluate' | 'export' | 'check';

/** One progress report: the stage and the fraction of it done (0–1). */
export interface PipelineProgress {
  readonly stage: PipelineStage;
  readonly fraction: number;
}

/** Where a run's messages go (no console in library code). */
export interface PipelineLogger {
  debug?(message: string, data?: Record<string, unknown>): void;
  info?(message: string, data?: Record<string, unknown>): void;
  warn?(message: string, data?: Record<string, unknown>): void;
}

/** A SHAP summary as core's `summarizeExplanations` computes it (for the model card's plot data). */
export type ShapSummary = PopulationSummary;

/** Computes a SHAP summary for a checked bundle over rows (the test set, up to 500 rows). */
export type ShapExplainer = (bundle: Bundle, rows: readonly FeatureRecord[]) => Promise<ShapSummary> | ShapSummary;

/** What a run needs from its environment. */
export interface PipelineContext {
  /** onnxruntime (onnxruntime-node in Node) for the self-check of the exported model. */
  readonly runtime: OrtRuntime;
  /** Seed of every random choice (split, sampling, search, bootstrap). @defaultValue 1 */
  readonly seed?: number;
  /** Cancels the run; it then rejects with CairnError `cancelled` and returns nothing. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: PipelineProgress) => void;
  readonly logger?: PipelineLogger;
  /** When given, fills `plots.shapSummary` (e.g. core's TreeSHAP explainer). */
  readonly explain?: ShapExplainer;
  /** Clock for `provenance.createdAt` (inject a fixed one for byte-identical reruns). @defaultValue () => new Date() */
  readonly now?: () => Date;
}

/** The model's identity and intended use, as the user states them (they go into the manifest and model card). */
export interface ModelDescription {
  readonly id: string;
  readonly name: string;
  /** @defaultValue '0.1.0' */
  readonly version?: string;
  readonly description?: string;
  /** Who should use the model, for whom, and for what decision. */
  readonly intendedUse: string;
  /** Known limitations (at least one). */
  readonly limitations: readonly string[];
  /** Uses the model is not meant for. */
  readonly outOfScopeUse?: readonly string[];
  readonly intendedUsers?: string;
  readonly population?: string;
  readonly developer?: string;
  readonly fundingSource?: string;
  /** Where the training data came from. */
  readonly dataSource?: string;
  /** When the training data was collected, e.g. '1981–1984'. */
  readonly trainingPeriod?: string;
  /** The decision the output informs, e.g. 'flags patients for a confirmatory test'. */
  readonly decisionRole?: string;
  /** Inclusion and exclusion criteria that shaped the training data. */
  readonly dataCriteria?: string;
  /** How the training data relates to the setting the model will be deployed in. */
  readonly deploymentRelevance?: string;
  readonly fairnessApproach?: string;
  readonly externalValidation?: string;
  readonly maintenance?: string;
  /** Evidence on outcomes of using the model (citations, links). */
  readonly evidence?: readonly string[];
}

/** Hyperparameter search settings. */
export interface SearchSettings {
  /** Random configurations to try (0 = no search). */
  readonly trials: number;
  /** @defaultValue 5 */
  readonly folds?: number;
  /** @defaultValue 'roc-auc' */
  readonly objective?: SearchObjective;
}

/** What a run trains on and how. */
export interface PipelineInput {
  /** Labelled rows; split into train, validation and (without `testData`) test. */
  readonly data: Dataset;
  /** A separate test file (read with `template: data`). */
  readonly testData?: Dataset;
  /** Hyperparameters, checked by the pipeline's schema (defaults fill the rest). */
  readonly params?: unknown;
  readonly model: ModelDescription;
  /** @defaultValue `{ test: 0.2, validation: 0.2 }` */
  readonly split?: { readonly test?: number; readonly validation?: number };
  /** @defaultValue `{ rule: 'f-beta', beta: 1 }` */
  readonly threshold?: ThresholdRule;
  /** @defaultValue two bands split at the threshold */
  readonly riskBands?: readonly RiskBand[];
  /** Columns to report performance for separately. @defaultValue the demographic columns found (sex, age, race, …) */
  readonly subgroups?: readonly (string | SubgroupSpec)[];
  readonly search?: SearchSettings;
  /** Bootstrap resamples for confidence intervals. @defaultValue 1000 */
  readonly bootstrap?: number;
}

/** ROC, PR and calibration curves (and a SHAP summary when an explainer was given). */
export interface PlotData {
  readonly roc: readonly CurvePoint[];
  readonly pr: readonly CurvePoint[];
  readonly calibration: readonly CalibrationBin[];
  /** Filled only when `context.explain` is given. */
  readonly shapSummary?: ShapSummary;
}

/** One tried configuration of a search. */
export interface SearchTrial {
  readonly params: Readonly<Record<string, unknown>>;
  readonly score: number;
  readonly foldScores: readonly number[];
}

/** What a hyperparameter search tried and chose. */
export interface SearchResult {
  readonly objective: string;
  readonly folds: number;
  readonly trials: readonly SearchTrial[];
  readonly best: SearchTrial;
}

/** A run's output: bundle files in memory (nothing is written to disk), metrics and plot data. */
export interface PipelineResult {
  readonly files: BundleFiles & { readonly manifest: string; readonly reference: string };
  readonly manifest: Manifest;
  readonly model: BinaryClassifier;
  /** Fitted hyperparameters. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Metrics on the test set. */
  readonly metrics: Evaluation;
  readonly threshold: ThresholdChoice;
  readonly plots: PlotData;
  readonly report: DataReport;
  readonly search?: SearchResult;
}

/** A training pipeline: an id, a parameter schema and a run step from data to a checked bundle. */
export interface Pipeline<P = unknown> {
  readonly id: string;
  readonly label: string;
  readonly description: string;
  /** Zod schema of the parameters (with defaults). */
  readonly params: z.ZodType<P>;
  run(input: PipelineInput, context: PipelineContext): Promise<PipelineResult>;
}
