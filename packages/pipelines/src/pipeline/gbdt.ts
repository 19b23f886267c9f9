import { z } from 'zod';
import { trainGbdt } from '../learn/gbdt.js';
import { defineTrainingPipeline } from './define.js';

const fraction = z.number().gt(0).max(1);

/** Parameters of the gradient-boosted trees pipeline. */
export const gbdtParamsSchema = z.strictObject({
  trees: z.number().int().min(1).max(5000).default(300).describe('Most boosting rounds'),
  learningRate: fraction.default(0.05),
  maxDepth: z.number().int().min(1).max(16).default(3),
  maxLeaves: z.number().int().min(0).default(0).describe('0 = limited by depth only'),
  minChildWeight: z.number().min(0).default(1),
  lambda: z.number().min(0).default(1),
  gamma: z.number().min(0).default(0),
  subsample: fraction.default(0.8),
  colsample: fraction.default(0.8),
  maxBins: z.number().int().min(2).max(256).default(256),
  positiveWeight: z.union([z.number().positive(), z.literal('balanced')]).default(1),
  earlyStoppingRounds: z.number().int().min(0).default(30),
});

/** Histogram-based, second-order gradient-boosted trees with early stopping. */
export const gbdtPipeline = defineTrainingPipeline({
  id: 'gbdt',
  label: 'Gradient-boosted trees',
  description:
    'Histogram-based, second-order gradient boosting (log loss) with learned missing-value branches, row and column subsampling and early stopping on the validation rows.',
  params: gbdtParamsSchema,
  sampleParams: (u) => ({
    learningRate: 10 ** (-2 + 1.5 * u()),
    maxDepth: 2 + Math.floor(u() * 5),
    minChildWeight: 10 ** (u() * 1.3),
    lambda: 10 ** (-1 + 2 * u()),
    subsample: 0.6 + 0.4 * u(),
    colsample: 0.5 + 0.5 * u(),
  }),
  fit: (data, params, options) => trainGbdt(data, params, options),
});
