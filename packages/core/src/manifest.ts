import { z } from 'zod';
import { type Issue, invalidManifest, issue } from './errors.js';

/** The manifest format version this library reads and writes. */
export const MANIFEST_SCHEMA_VERSION = 1;

const identifier = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'must start with a letter or _ and hold only letters, digits, _ . -');

const semver = z
  .string()
  .regex(/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-.]+)?(?:\+[0-9A-Za-z-.]+)?$/, 'must be a semantic version such as 1.2.0');

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex SHA-256 digest');

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

/** A code from a terminology (LOINC, SNOMED CT, ICD-10, RxNorm, …). */
export const codingSchema = z.strictObject({
  system: z.string().min(1).describe('Code system URI, e.g. http://loinc.org'),
  code: z.string().min(1),
  display: z.string().optional(),
});

const rangeSchema = z
  .strictObject({ min: finite.optional(), max: finite.optional() })
  .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, 'min must not exceed max');

/** One allowed value of a category feature. */
export const categorySchema = z.strictObject({
  value: z.union([z.string().min(1), finite]).describe('The value the model sees (string or number)'),
  label: z.string().min(1).describe('What a clinician sees'),
  aliases: z.array(z.string()).optional().describe('Other spellings accepted on input (case-insensitive)'),
  codes: z.array(codingSchema).optional(),
});

const featureValue = z.union([finite, z.string(), z.boolean()]);

/** A user-facing input feature. */
export const featureSchema = z
  .strictObject({
    name: identifier.describe('Key in input records'),
    label: z.string().min(1),
    description: z.string().optional(),
    type: z.enum(['number', 'integer', 'boolean', 'category']),
    unit: z.string().min(1).optional().describe('UCUM unit of the value the model expects'),
    categories: z.array(categorySchema).min(1).optional(),
    limits: rangeSchema.optional().describe('Hard limits: values outside are rejected'),
    plausible: rangeSchema.optional().describe('Plausible range: values outside are accepted with a warning'),
    required: z.boolean().default(true).describe('A missing value is rejected unless false'),
    impute: featureValue
      .optional()
      .describe('Value used when missing and not required; without it the model receives NaN (or an empty string)'),
    codes: z.array(codingSchema).optional().describe('Terminology codes (LOINC, SNOMED CT) the feature corresponds to'),
  })
  .superRefine((f, ctx) => {
    if (f.type === 'category' && !f.categories) {
      ctx.addIssue({ code: 'custom', path: ['categories'], message: 'category features need categories' });
    }
    if (f.type !== 'category' && f.categories) {
      ctx.addIssue({ code: 'custom', path: ['categories'], message: `only category features have categories (type is ${f.type})` });
    }
    if (f.categories) {
      const seen = new Set<string>();
      f.categories.forEach((c, i) => {
        const key = String(c.value);
        if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['categories', i, 'value'], message: `duplicate category value '${key}'` });
        seen.add(key);
      });
    }
    if ((f.limits || f.plausible) && (f.type === 'boolean' || f.type === 'category')) {
      ctx.addIssue({ code: 'custom', path: ['limits'], message: 'limits and plausible ranges apply to number and integer features only' });
    }
  });

/** One column of a single float input tensor: a feature's value, or 1/0 for one category (one-hot). */
export const tensorColumnSchema = z.strictObject({
  feature: identifier,
  oneHot: z.union([z.string(), finite]).optional().describe('Column is 1 when the feature equals this category, else 0'),
});

/** How features become ONNX inputs. */
export const inputsSchema = z.discriminatedUnion('layout', [
  z.strictObject({
    layout: z.literal('tensor').describe('One [N, columns] tensor, columns in order'),
    name: z.string().min(1),
    dtype: z.enum(['float32', 'float64']).default('float32'),
    columns: z.array(tensorColumnSchema).min(1),
  }),
  z.strictObject({
    layout: z.literal('columns').describe('One [N, 1] input per feature, as scikit-learn pipelines export'),
    columns: z
      .array(
        z.strictObject({
          name: z.string().min(1).describe('ONNX input name'),
          feature: identifier,
          dtype: z.enum(['float32', 'float64', 'int64', 'string']),
        }),
      )
      .min(1),
  }),
]);

/** Where the model's score is read from: the positive-class probability, or a real value (a treatment effect). */
export const outputSchema = z.strictObject({
  name: z.string().min(1).describe('ONNX output (a ZipMap output is resolved to its probability tensor)'),
  kind: z
    .enum(['probabilities', 'probability', 'logit', 'value'])
    .default('probabilities')
    .describe(
      'probabilities: [N, classes]; probability: [N] or [N, 1]; logit: [N] or [N, 1] log-odds; value: [N] or [N, 1] real numbers (treatment-effect models)',
    ),
  positiveClass: z.union([z.string(), z.number()]).optional().describe('Label of the positive class'),
  positiveIndex: z.number().int().min(0).optional().describe('Column of the positive class, when labels are unknown'),
});

/** A risk band: applies to probabilities below `below` (the last band has none). */
export const riskBandSchema = z.strictObject({
  id: identifier,
  label: z.string().min(1),
  below: z.number().gt(0).max(1).optional(),
  description: z.string().optional(),
});

/** What a treatment-effect model estimates: the effect of a treatment on an outcome for a patient with these features. */
export const effectSchema = z.strictObject({
  treatment: z.string().min(1).describe('The treatment compared with no treatment, e.g. the column it was read from'),
  outcome: z.string().min(1).describe('The outcome the effect is on'),
  scale: z
    .enum(['difference', 'risk-difference'])
    .default('difference')
    .describe('difference: expected outcome if treated minus if untreated; risk-difference: the same for a binary outcome'),
  unit: z.string().min(1).optional().describe('Unit of the outcome (and so of the effect)'),
});

/** A metric with an optional confidence interval. */
export const metricSchema = z.strictObject({
  name: z.string().min(1),
  value: finite,
  ci: z.tuple([finite, finite]).optional().describe('Confidence interval [low, high]'),
  ciLevel: z.number().gt(0).lt(1).optional(),
  dataset: z.string().optional().describe('Which data the metric was computed on, e.g. test'),
});

const manifestShape = z.strictObject({
  $schema: z.string().optional(),
  schemaVersion: z.literal(MANIFEST_SCHEMA_VERSION),
  id: identifier,
  name: z.string().min(1).max(200),
  version: semver,
  task: z
    .enum(['binary-classification', 'treatment-effect'])
    .default('binary-classification')
    .describe('binary-classification: probability of the positive class; treatment-effect: estimated individual treatment effect'),
  description: z.string().default(''),
  intendedUse: z.string().min(1).describe('Who should use the model, for whom, and for what decision'),
  limitations: z.array(z.string().min(1)).min(1).describe('Known limitations and out-of-scope uses'),
  features: z.array(featureSchema).min(1),
  inputs: inputsSchema,
  output: outputSchema,
  effect: effectSchema.optional().describe('What the model estimates (treatment-effect models only)'),
  threshold: z
    .number()
    .gt(0)
    .lt(1)
    .default(0.5)
    .describe('Probability at or above which the label is positive (binary-classification only)'),
  riskBands: z
    .array(riskBandSchema)
    .min(1)
    .default([
      { id: 'low', label: 'Low', below: 0.5 },
      { id: 'high', label: 'High' },
    ]),
  metrics: z.array(metricSchema).default([]),
  modelCard: z.record(z.string(), z.unknown()).optional().describe('Model card details written by training pipelines'),
  provenance: z
    .strictObject({
      createdAt: z.iso.datetime({ offset: true }),
      createdBy: z.string().optional(),
      tool: z.string().optional().describe('What produced the bundle, e.g. cairn 0.1.0'),
      source: z.string().optional().describe('Where the model came from, e.g. scikit-learn 1.5 via skl2onnx'),
      pipeline: z.string().optional(),
      params: z.record(z.string(), z.unknown()).optional(),
      trainingDataSha256: sha256Hex.optional(),
    })
    .describe('How the model was made'),
  model: z.strictObject({
    file: z.literal('model.onnx').default('model.onnx'),
    sha256: sha256Hex,
  }),
  reference: z
    .strictObject({
      file: z.literal('reference.csv').default('reference.csv'),
      sha256: sha256Hex,
      rows: z.number().int().min(1),
    })
    .optional()
    .describe('Background rows for explanations and drift'),
  fhirMapping: z
    .strictObject({
      file: z.literal('fhir-mapping.json').default('fhir-mapping.json'),
      sha256: sha256Hex,
    })
    .optional()
    .describe('How features are read from FHIR R4 records (see @cairn/fhir-adapter)'),
  explanation: z
    .strictObject({
      method: z.enum(['auto', 'tree-path', 'tree-interventional', 'linear', 'kernel']).default('auto'),
    })
    .optional(),
});

/** Zod schema of cairn.json (cross-field rules included). */
export const manifestSchema = manifestShape.superRefine((m, ctx) => {
  const names = new Map<string, number>();
  m.features.forEach((f, i) => {
    if (names.has(f.name)) ctx.addIssue({ code: 'custom', path: ['features', i, 'name'], message: `duplicate feature '${f.name}'` });
    names.set(f.name, i);
  });
  const byName = new Map(m.features.map((f) => [f.name, f]));
  const used = new Set<string>();
  m.inputs.columns.forEach((c, i) => {
    const f = byName.get(c.feature);
    if (!f) {
      ctx.addIssue({ code: 'custom', path: ['inputs', 'columns', i, 'feature'], message: `unknown feature '${c.feature}'` });
      return;
    }
    used.add(c.feature);
    if ('oneHot' in c && c.oneHot !== undefined) {
      if (f.type !== 'category' || !f.categories?.some((k) => String(k.value) === String(c.oneHot))) {
        ctx.addIssue({
          code: 'custom',
          path: ['inputs', 'columns', i, 'oneHot'],
          message: `'${c.oneHot}' is not a category of '${c.feature}'`,
        });
      }
    } else if (m.inputs.layout === 'tensor' && f.type === 'category' && f.categories?.some((k) => typeof k.value !== 'number')) {
      ctx.addIssue({
        code: 'custom',
        path: ['inputs', 'columns', i],
        message: `category feature '${c.feature}' has text values: map it with oneHot columns, or give numeric values`,
      });
    }
  });
  m.features.forEach((f, i) => {
    if (!used.has(f.name)) ctx.addIssue({ code: 'custom', path: ['features', i], message: `feature '${f.name}' feeds no model input` });
  });
  let last = 0;
  m.riskBands.forEach((b, i) => {
    const isLast = i === m.riskBands.length - 1;
    if (isLast && b.below !== undefined && b.below !== 1) {
      ctx.addIssue({ code: 'custom', path: ['riskBands', i, 'below'], message: 'the last band must be open-ended (no below)' });
    }
    if (!isLast) {
      if (b.below === undefined)
        ctx.addIssue({ code: 'custom', path: ['riskBands', i, 'below'], message: 'required except on the last band' });
      else if (b.below <= last)
        ctx.addIssue({ code: 'custom', path: ['riskBands', i, 'below'], message: 'bands must be in increasing order' });
      else last = b.below;
    }
  });
  if (m.output.positiveClass !== undefined && m.output.positiveIndex !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['output'], message: 'give positiveClass or positiveIndex, not both' });
  }
  if (m.task === 'treatment-effect') {
    if (m.output.kind !== 'value') {
      ctx.addIssue({ code: 'custom', path: ['output', 'kind'], message: `a treatment-effect model outputs a value: kind must be 'value'` });
    }
    if (!m.effect)
      ctx.addIssue({ code: 'custom', path: ['effect'], message: 'a treatment-effect model must say which treatment and outcome' });
  } else {
    if (m.output.kind === 'value') {
      ctx.addIssue({
        code: 'custom',
        path: ['output', 'kind'],
        message: `kind 'value' is for treatment-effect models; a ${m.task} model outputs a probability`,
      });
    }
    if (m.effect) ctx.addIssue({ code: 'custom', path: ['effect'], message: 'only treatment-effect models have effect' });
  }
  if (m.output.kind === 'value' && (m.output.positiveClass !== undefined || m.output.positiveIndex !== undefined)) {
    ctx.addIssue({ code: 'custom', path: ['output'], message: 'a value output has no positive class' });
  }
});

/** cairn.json after defaults are applied. */
export type Manifest = z.output<typeof manifestSchema>;
/** cairn.json as written (defaults optional). */
export type ManifestInput = z.input<typeof manifestSchema>;
/** A feature definition. */
export type Feature = Manifest['features'][number];
/** A category of a category feature. */
export type Category = z.output<typeof categorySchema>;
/** A terminology code. */
export type Coding = z.output<typeof codingSchema>;
/** A risk band. */
export type RiskBand = Manifest['riskBands'][number];
/** A metric with optional interval. */
export type Metric = Manifest['metrics'][number];
/** The input layout. */
export type InputsSpec = Manifest['inputs'];
/** The output spec. */
export type OutputSpec = Manifest['output'];
/** What a treatment-effect model estimates. */
export type EffectSpec = NonNullable<Manifest['effect']>;

/** Converts zod issues into Cairn issues. */
export function zodIssues(error: z.ZodError, prefix: ReadonlyArray<string | number> = []): Issue[] {
  return error.issues.map((i) =>
    issue(
      [...prefix, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
      i.code === 'invalid_type' ? 'type' : i.code === 'unrecognized_keys' ? 'unknown_field' : 'invalid',
      i.message,
    ),
  );
}

/** Parses and checks a manifest (object or JSON text); throws `invalid_manifest` listing every problem. */
export function parseManifest(input: unknown): Manifest {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (cause) {
      throw invalidManifest([issue([], 'format', `not valid JSON (${cause instanceof Error ? cause.message : String(cause)})`)]);
    }
  }
  const result = manifestSchema.safeParse(value);
  if (!result.success) throw invalidManifest(zodIssues(result.error));
  return result.data;
}

/** JSON Schema (draft 2020-12) of cairn.json, generated from the zod schema. */
export function manifestJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(manifestShape, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

/** Serialises a manifest deterministically (sorted keys), the form that is hashed and signed. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as object).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}
