import { z } from 'zod';

const gbdtOverrides = z
  .strictObject({
    trees: z.number().int().min(1).max(5000).optional(),
    learningRate: z.number().gt(0).max(1).optional(),
    maxDepth: z.number().int().min(1).max(12).optional(),
    minChildWeight: z.number().min(0).optional(),
    subsample: z.number().gt(0).max(1).optional(),
    colsample: z.number().gt(0).max(1).optional(),
    lambda: z.number().min(0).optional(),
  })
  .default({});

/** Parameters of the `causal-dr` pipeline. */
export const causalParamsSchema = z.strictObject({
  treatment: z.string().min(1).optional().describe('The treatment column (checked against the data)'),
  outcome: z.string().min(1).optional().describe('The outcome column (required when the data is a plain Dataset)'),
  exclude: z.array(z.string().min(1)).default([]).describe('Columns that must not be covariates (e.g. y_cfactual, mu0, mu1)'),
  folds: z.number().int().min(2).max(20).default(5).describe('Cross-fitting folds (stratified by treatment, seeded)'),
  propensity: z.enum(['logistic', 'gbdt']).default('logistic').describe('Propensity learner'),
  outcomeModel: z.enum(['gbdt', 'linear']).default('gbdt').describe('Outcome regressions (one per arm, cross-fitted)'),
  cateLearner: z.enum(['dr', 't']).default('dr').describe('The learner exported as the effect model (the other is the baseline)'),
  cateModel: z.enum(['gbdt', 'linear']).default('gbdt').describe('Family of the exported effect model'),
  clip: z.number().gt(0).lt(0.5).default(0.01).describe('Propensities are clipped into [clip, 1 − clip] for weighting'),
  trim: z
    .union([z.literal(false), z.number().gt(0).lt(0.5)])
    .default(false)
    .describe('Also re-estimate on units with propensity in [trim, 1 − trim] (false: not)'),
  bootstrap: z
    .number()
    .int()
    .min(0)
    .max(100_000)
    .default(0)
    .describe('Bootstrap resamples for intervals (0: influence-function intervals)'),
  ciLevel: z.number().gt(0.5).lt(1).default(0.95),
  refute: z.boolean().default(true).describe('Run the placebo-treatment and random-common-cause refutations'),
  overlapTolerance: z.number().min(0).max(1).default(0.1).describe('Largest share of units outside [0.1, 0.9] before a warning'),
  balanceThreshold: z.number().gt(0).default(0.1).describe('|SMD| after weighting above this raises a warning'),
  l2: z.number().min(0).default(1).describe('L2 penalty of the logistic propensity model'),
  outcomeGbdt: gbdtOverrides.describe('Overrides of the outcome regressors (trees, learningRate, maxDepth, …)'),
  propensityGbdt: gbdtOverrides.describe('Overrides of the GBDT propensity model'),
  cateGbdt: gbdtOverrides.describe('Overrides of the effect model’s trees'),
});

/** Parameters of the `causal-dr` pipeline after defaults. */
export type CausalParams = z.output<typeof causalParamsSchema>;
/** Parameters of the `causal-dr` pipeline as given. */
export type CausalParamsInput = z.input<typeof causalParamsSchema>;
