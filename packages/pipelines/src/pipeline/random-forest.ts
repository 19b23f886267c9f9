import { z } from 'zod';
import { trainForest } from '../learn/forest.js';
import { defineTrainingPipeline } from './define.js';

/** Parameters of the random forest pipeline. */
export const forestParamsSchema = z.strictObject({
  trees: z.number().int().min(1).max(2000).default(300),
  maxDepth: z.number().int().min(1).max(20).default(8),
  minLeafWeight: z.number().min(0).default(2).describe('Least bootstrap-weighted rows per leaf'),
  maxFeatures: z.union([z.literal('sqrt'), z.number().gt(0).max(1)]).default('sqrt'),
  sampleFraction: z.number().gt(0).max(1).default(1),
  maxBins: z.number().int().min(2).max(256).default(256),
  positiveWeight: z.union([z.number().positive(), z.literal('balanced')]).default(1),
});

/** Random forest (bootstrap rows, feature subsets per split) on the shared histogram tree builder. */
export const randomForestPipeline = defineTrainingPipeline({
  id: 'random-forest',
  label: 'Random forest',
  description:
    'Bagged classification trees (bootstrap rows, a random subset of features at each split); the probability is the mean leaf class fraction.',
  params: forestParamsSchema,
  sampleParams: (u) => ({
    maxDepth: 3 + Math.floor(u() * 10),
    minLeafWeight: Math.round(10 ** (u() * 1.3)),
    maxFeatures: u() < 0.5 ? 'sqrt' : 0.3 + 0.5 * u(),
  }),
  fit: (data, params, options) => trainForest(data, params, options),
});
