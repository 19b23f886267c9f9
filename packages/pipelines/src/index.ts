// Data.

// Treatment effects (causal-dr).
export type {
  BalanceDiagnostics,
  BalanceRow,
  CateFamily,
  CateLearner,
  CateModel,
  CateSummary,
  CausalDataset,
  CausalDatasetOptions,
  CausalInput,
  CausalOutcome,
  CausalParams,
  CausalParamsInput,
  CausalPipeline,
  CausalPlots,
  CausalResult,
  CausalTreatment,
  CausalWarning,
  EffectDistribution,
  EffectEstimate,
  EstimateSet,
  EstimatorInput,
  EValue,
  GbdtRegressor,
  GbdtRegressorOptions,
  GbdtRegressorParams,
  IntervalSettings,
  OverlapDiagnostics,
  PropensityHistogram,
  ReadCausalCsvOptions,
  Refutation,
  Refutations,
  RegressionData,
  Regressor,
  TrimmedEstimates,
} from './causal/index.js';
export {
  causalDataset,
  causalDrPipeline,
  causalParamsSchema,
  estimateEffects,
  eValue,
  formatCausalSummary,
  readCausalCsv,
  standardizedMeanDifference,
  trainGbdtRegressor,
} from './causal/index.js';
export type {
  CategoryLevel,
  CoercedCells,
  ColumnType,
  DataColumn,
  DataSource,
  Dataset,
  DatasetTarget,
  DroppedRows,
  IngestReport,
} from './data/dataset.js';
export type { ColumnReport, DataReport } from './data/describe.js';
export { describeDataset } from './data/describe.js';
export type { ReadCsvOptions } from './data/read-csv.js';
export { DEFAULT_MISSING_TOKENS, readCsv } from './data/read-csv.js';
export type { ColumnSchema, DataSchema } from './data/schema.js';
export { dataSchemaSchema } from './data/schema.js';
export type { DatasetSplit, SplitOptions } from './data/split.js';
export { splitDataset } from './data/split.js';
// Evaluation.
export type { Estimate, EvaluateOptions, Evaluation, Subgroup, SubgroupMetrics, SubgroupSpec } from './evaluate/evaluate.js';
export { defineSubgroups, evaluate } from './evaluate/evaluate.js';
export type { CalibrationBin, ConfusionMatrix, CurvePoint, ThresholdMetrics } from './evaluate/metrics.js';
export type { SearchObjective } from './evaluate/objective.js';
export type { ThresholdChoice, ThresholdRule } from './evaluate/threshold.js';
export { chooseThreshold } from './evaluate/threshold.js';
// Learners.
export type { ForestModel, ForestOptions, ForestParams } from './learn/forest.js';
export { trainForest } from './learn/forest.js';
export type { GbdtModel, GbdtOptions, GbdtParams } from './learn/gbdt.js';
export { trainGbdt } from './learn/gbdt.js';
export type { DesignColumn, LogisticModel, LogisticParams } from './learn/logistic.js';
export { trainLogistic } from './learn/logistic.js';
export type { BinaryClassifier, LearnerHooks, ModelFeature, TrainingData } from './learn/model.js';
export type { Tree } from './learn/tree-builder.js';
// Pipelines.
export type { FitOptions, TrainingPipelineSpec } from './pipeline/define.js';
export { defineTrainingPipeline } from './pipeline/define.js';
export { causalPipelines, getCausalPipeline, getPipeline, pipelines, runCausalPipeline, runPipeline } from './pipeline/registry.js';
export type {
  ModelDescription,
  Pipeline,
  PipelineContext,
  PipelineInput,
  PipelineLogger,
  PipelineProgress,
  PipelineResult,
  PipelineStage,
  PlotData,
  SearchResult,
  SearchSettings,
  SearchTrial,
  ShapExplainer,
  ShapSummary,
} from './pipeline/types.js';
