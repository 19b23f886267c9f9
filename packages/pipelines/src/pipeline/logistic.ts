import { z } from 'zod';
import { trainLogistic } from '../learn/logistic.js';
import { defineTrainingPipeline } from './define.js';

const positiveWeight = z.union([z.number().positive(), z.literal('balanced')]);

/** Parameters of the logistic regression pipeline. */
export const logisticParamsSchema = z.strictObject({
  l2: z.number().min(0).default(1).describe('L2 penalty on standardised coefficients'),
  maxIterations: z.number().int().min(1).max(1000).default(100),
  positiveWeight: positiveWeight.default(1).describe("Weight of positive rows, or 'balanced'"),
});

/** L2-penalised logistic regression (IRLS) with standardisation and one-hot encoding. */
export const logisticPipeline = defineTrainingPipeline({
  id: 'logistic',
  label: 'Logistic regression',
  description:
    'L2-penalised logistic regression fitted by Newton/IRLS; numeric features standardised, categories one-hot encoded, missing values imputed.',
  params: logisticParamsSchema,
  sampleParams: (u) => ({ l2: 10 ** (-3 + 5 * u()) }),
  fit: (data, params, options) => trainLogistic(data, params, options),
});
