import { z } from 'zod';

const columnSchema = z.strictObject({
  type: z.enum(['number', 'integer', 'boolean', 'category']).optional().describe('Overrides the inferred type'),
  label: z.string().min(1).optional().describe('What a clinician sees'),
  unit: z.string().min(1).optional().describe('UCUM unit'),
  description: z.string().optional(),
  missing: z
    .array(z.union([z.string(), z.number()]))
    .optional()
    .describe("Extra cell values that mean 'not measured' in this column, e.g. [0]"),
  categories: z
    .array(z.strictObject({ value: z.number().int(), label: z.string().min(1) }))
    .min(1)
    .optional()
    .describe('Levels of a category column: cells are matched by value or label'),
  exclude: z.boolean().optional().describe('Leave the column out'),
});

/** Zod schema of a data schema object or file: per-column overrides of what the reader infers. */
export const dataSchemaSchema = z.strictObject({
  missing: z.array(z.string()).optional().describe('Missing tokens for every column (replaces the defaults)'),
  columns: z.record(z.string(), columnSchema).default({}),
});

/** A data schema: per-column type, label, unit, missing tokens, categories or exclusion. */
export type DataSchema = z.input<typeof dataSchemaSchema>;
/** Overrides for one column. */
export type ColumnSchema = z.input<typeof columnSchema>;
