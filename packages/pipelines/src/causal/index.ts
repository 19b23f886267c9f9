// Treatment-effect estimation (the causal-dr pipeline): see examples/causal/README.md.
export type { CateFamily, CateLearner, CateModel } from './cate.js';
export type { CausalDataset, CausalDatasetOptions, CausalOutcome, CausalTreatment, ReadCausalCsvOptions } from './data.js';
export { causalDataset, readCausalCsv } from './data.js';
export type { BalanceDiagnostics, BalanceRow, CausalWarning, EValue, OverlapDiagnostics, PropensityHistogram } from './diagnostics.js';
export { eValue, standardizedMeanDifference } from './diagnostics.js';
export type { EffectEstimate, EstimateSet, EstimatorInput, IntervalSettings } from './estimate.js';
export { estimateEffects } from './estimate.js';
export type { CausalParams, CausalParamsInput } from './params.js';
export { causalParamsSchema } from './params.js';
export { causalDrPipeline } from './pipeline.js';
export type { GbdtRegressor, GbdtRegressorOptions, GbdtRegressorParams, RegressionData, Regressor } from './regression.js';
export { trainGbdtRegressor } from './regression.js';
export { formatCausalSummary } from './summary.js';
export type {
  CateSummary,
  CausalInput,
  CausalPipeline,
  CausalPlots,
  CausalResult,
  EffectDistribution,
  Refutation,
  Refutations,
  TrimmedEstimates,
} from './types.js';
