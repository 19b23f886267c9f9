import { z } from 'zod';

const identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/, 'must start with a letter or _ and hold only letters, digits, _ . -');

/** What a training run is asked to do (besides the pipeline and its parameters). */
export const trainingSpecSchema = z.strictObject({
  target: z.string().trim().min(1, 'name the target column').max(200),
  positive: z.string().trim().min(1).max(200).optional(),
  missing: z.array(z.string().max(50)).max(50).optional(),
  columnMissing: z.record(z.string().max(200), z.array(z.union([z.string().max(50), z.number()])).max(20)).optional(),
  exclude: z.array(z.string().max(200)).max(500).optional(),
  model: z.strictObject({
    id: identifier,
    name: z.string().trim().min(1).max(200),
    version: z
      .string()
      .regex(/^\d+\.\d+\.\d+$/, 'must be a version such as 1.0.0')
      .optional(),
    description: z.string().max(2000).optional(),
    intendedUse: z.string().trim().min(1, 'say who should use the model, for whom and for what decision').max(2000),
    limitations: z.array(z.string().trim().min(1).max(500)).min(1, 'list at least one known limitation').max(20),
  }),
  split: z.strictObject({ test: z.number().gt(0).lt(0.9).optional(), validation: z.number().gt(0).lt(0.9).optional() }).optional(),
  threshold: z
    .discriminatedUnion('rule', [
      z.strictObject({ rule: z.literal('f-beta'), beta: z.number().positive().max(10).optional() }),
      z.strictObject({ rule: z.literal('recall'), recall: z.number().gt(0).max(1) }),
      z.strictObject({ rule: z.literal('fixed'), threshold: z.number().gt(0).lt(1) }),
    ])
    .optional(),
  search: z
    .strictObject({
      trials: z.number().int().min(0).max(100),
      folds: z.number().int().min(2).max(10).optional(),
      objective: z.enum(['roc-auc', 'f1', 'f2']).optional(),
    })
    .optional(),
  bootstrap: z.number().int().min(0).max(2000).optional(),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .optional(),
  /** Make the trained version the active one when the model already exists. */
  activate: z.boolean().optional(),
});

/** A validated training spec. */
export type TrainingSpec = z.infer<typeof trainingSpecSchema>;

/** What the training worker thread receives. */
export interface WorkerInput {
  readonly pipeline: string;
  readonly params: Record<string, unknown>;
  readonly spec: TrainingSpec;
  /** The version the trained bundle gets. */
  readonly version: string;
  readonly train: { readonly name: string; readonly bytes: Uint8Array };
  readonly test?: { readonly name: string; readonly bytes: Uint8Array };
}

/** Messages from the worker thread. */
export type WorkerMessage =
  | { readonly type: 'progress'; readonly stage: string; readonly fraction: number }
  | { readonly type: 'result'; readonly archive: Uint8Array; readonly metrics: unknown }
  | { readonly type: 'error'; readonly error: { code: string; message: string; issues: unknown[] } };

/** CSV reading options of a spec. */
export function csvOptions(spec: TrainingSpec, name: string) {
  return {
    target: spec.target,
    name,
    ...(spec.positive ? { positive: spec.positive } : {}),
    ...(spec.missing ? { missing: spec.missing } : {}),
    ...(spec.columnMissing ? { columnMissing: spec.columnMissing } : {}),
    ...(spec.exclude ? { exclude: spec.exclude } : {}),
  };
}
