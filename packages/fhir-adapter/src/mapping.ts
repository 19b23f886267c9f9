import { CairnError, type Feature, type Issue, issue } from '@cairn/core';
import { z } from 'zod';
import { CODE_SYSTEMS, resolveSystem } from './systems.js';

const featureName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'must start with a letter or _ and hold only letters, digits, _ . -')
  .max(128);

const positive = z.number().refine((n) => Number.isFinite(n) && n > 0, 'must be a positive number');

/** A code as written in a mapping: `"8480-6"`, `"loinc|8480-6"`, `"http://loinc.org|8480-6"` or `{ system, code }`. */
const codeInput = z.union([
  z.string().min(1),
  z.strictObject({ system: z.string().min(1), code: z.string().min(1), display: z.string().optional() }),
]);

const mappedValue = z.union([z.string().min(1), z.number().refine(Number.isFinite, 'must be finite'), z.boolean()]);

const ageSchema = z.strictObject({
  source: z.literal('age').describe('Age at the as-of date, from Patient.birthDate'),
  unit: z.enum(['a', 'mo', 'wk', 'd']).default('a').describe('UCUM unit of the age: years (a), months, weeks or days'),
  label: z.string().optional(),
});

const genderSchema = z.strictObject({
  source: z.literal('gender').describe('Patient.gender (male | female | other | unknown)'),
  map: z
    .partialRecord(z.enum(['male', 'female', 'other', 'unknown']), mappedValue)
    .optional()
    .describe('Feature value per administrative gender; genders not listed are reported missing'),
  label: z.string().optional(),
});

const observationSchema = z.strictObject({
  source: z.literal('observation'),
  codes: z.array(codeInput).min(1).describe('Observation or component codes (LOINC by default)'),
  select: z.enum(['latest', 'mean', 'min', 'max', 'count']).default('latest'),
  lookbackDays: positive.optional().describe('Values older than this before the as-of date are stale (default: the mapping-wide value)'),
  unit: z.string().min(1).optional().describe("UCUM unit of the feature; values are converted to it (default: the model feature's unit)"),
  molecularWeight: positive.optional().describe('g/mol, for mass ↔ amount-of-substance conversion (mg/dL ↔ mmol/L)'),
  valueMap: z
    .record(z.string().min(1), mappedValue)
    .optional()
    .describe('For coded values: feature value per code ("system|code" or bare code)'),
  label: z.string().optional(),
});

const conditionSchema = z.strictObject({
  source: z.literal('condition'),
  codes: z.array(codeInput).min(1).describe('SNOMED CT by default; "icd10|E11*" matches a code prefix'),
  clinicalStatus: z.array(z.string().min(1)).min(1).default(['active', 'recurrence', 'relapse']),
  present: mappedValue.default(true),
  absent: mappedValue.nullable().default(false).describe('Value when no matching condition is recorded; null reports it missing'),
  label: z.string().optional(),
});

const medicationSchema = z.strictObject({
  source: z.literal('medication'),
  codes: z.array(codeInput).min(1).describe('RxNorm by default'),
  statuses: z.array(z.string().min(1)).min(1).default(['active']).describe('MedicationRequest/MedicationStatement statuses that count'),
  lookbackDays: positive.optional().describe('Only orders/statements dated within this many days count'),
  present: mappedValue.default(true),
  absent: mappedValue.nullable().default(false),
  label: z.string().optional(),
});

const featureMappingSchema = z.discriminatedUnion('source', [
  ageSchema,
  genderSchema,
  observationSchema,
  conditionSchema,
  medicationSchema,
]);

/** Zod schema of a mapping file (fhir-mapping.json). */
export const mappingSchema = z.strictObject({
  $schema: z.string().optional(),
  version: z.literal(1).default(1),
  lookbackDays: positive.default(365).describe('Default look-back window for observations, in days'),
  features: z.record(featureName, featureMappingSchema).refine((r) => Object.keys(r).length > 0, 'map at least one feature'),
});

/** A mapping file as written. */
export type MappingInput = z.input<typeof mappingSchema>;

/** A code after parsing: full system URI, and whether it matches as a prefix (`E11*`). */
export interface MappedCode {
  readonly system: string;
  readonly code: string;
  readonly prefix: boolean;
}

type Parsed = z.output<typeof mappingSchema>;
type ParsedFeature = Parsed['features'][string];
type WithCodes<T> = T extends { codes: unknown } ? Omit<T, 'codes'> & { readonly codes: readonly MappedCode[] } : T;

/** How one feature is read from FHIR, after parsing. */
export type FeatureMapping = WithCodes<ParsedFeature>;
/** Observation feature mapping. */
export type ObservationMapping = Extract<FeatureMapping, { source: 'observation' }>;
/** Condition feature mapping. */
export type ConditionMapping = Extract<FeatureMapping, { source: 'condition' }>;
/** Medication feature mapping. */
export type MedicationMapping = Extract<FeatureMapping, { source: 'medication' }>;

/** A parsed, checked mapping. */
export interface FeatureMappingSpec {
  readonly version: 1;
  readonly lookbackDays: number;
  readonly features: Readonly<Record<string, FeatureMapping>>;
}

const DEFAULT_SYSTEM: Record<string, string> = {
  observation: CODE_SYSTEMS.loinc,
  condition: CODE_SYSTEMS.snomed,
  medication: CODE_SYSTEMS.rxnorm,
};

function toIssues(error: z.ZodError, prefix: ReadonlyArray<string | number>): Issue[] {
  return error.issues.map((i) =>
    issue(
      [...prefix, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
      i.code === 'invalid_type' ? 'type' : i.code === 'unrecognized_keys' ? 'unknown_field' : 'invalid',
      i.message,
    ),
  );
}

function parseCode(input: z.output<typeof codeInput>, source: string, path: Array<string | number>, issues: Issue[]): MappedCode {
  let system: string;
  let code: string;
  if (typeof input === 'string') {
    const bar = input.lastIndexOf('|');
    system = bar >= 0 ? resolveSystem(input.slice(0, bar)) : (DEFAULT_SYSTEM[source] as string);
    code = bar >= 0 ? input.slice(bar + 1) : input;
  } else {
    system = resolveSystem(input.system);
    code = input.code;
  }
  const prefix = code.endsWith('*');
  if (prefix) code = code.slice(0, -1);
  if (code === '') issues.push(issue(path, 'format', 'code is empty'));
  if (prefix && source === 'observation')
    issues.push(issue(path, 'not_allowed', 'prefix codes (ending in *) are for conditions and medications only'));
  return { system, code, prefix };
}

/**
 * Parses a mapping (object or JSON text) and checks it; with the model's features it also
 * checks every feature is mapped and units and value kinds fit. Throws `invalid_input`
 * listing every problem.
 */
export function parseMapping(input: unknown, features?: readonly Feature[]): FeatureMappingSpec {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (cause) {
      throw new CairnError(
        'invalid_input',
        `fhir-mapping.json is not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`,
        {
          issues: [issue(['mapping'], 'format', 'not valid JSON')],
          cause,
        },
      );
    }
  }
  const result = mappingSchema.safeParse(value);
  if (!result.success) {
    const issues = toIssues(result.error, ['mapping']);
    throw new CairnError(
      'invalid_input',
      `Invalid FHIR mapping: ${issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}`,
      {
        issues,
      },
    );
  }
  const issues: Issue[] = [];
  const out: Record<string, FeatureMapping> = {};
  for (const [name, f] of Object.entries(result.data.features)) {
    if (f.source === 'observation' && f.valueMap && f.select !== 'latest' && f.select !== 'count') {
      issues.push(
        issue(
          ['mapping', 'features', name, 'select'],
          'not_allowed',
          `coded values (valueMap) can only be selected as latest or count, not ${f.select}`,
        ),
      );
    }
    if ('codes' in f) {
      const codes = f.codes.map((c, i) => parseCode(c, f.source, ['mapping', 'features', name, 'codes', i], issues));
      out[name] = { ...f, codes } as FeatureMapping;
    } else out[name] = f as FeatureMapping;
  }
  if (features) checkAgainstFeatures(out, features, issues);
  if (issues.some((i) => i.severity === 'error')) {
    throw new CairnError(
      'invalid_input',
      `Invalid FHIR mapping: ${issues
        .filter((i) => i.severity === 'error')
        .slice(0, 3)
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}`,
      { issues },
    );
  }
  const spec: FeatureMappingSpec = { version: 1, lookbackDays: result.data.lookbackDays, features: out };
  parsed.add(spec);
  return spec;
}

const parsed = new WeakSet<object>();

/** True when `value` came from {@link parseMapping} (so it need not be parsed again). */
export function isParsedMapping(value: unknown): value is FeatureMappingSpec {
  return typeof value === 'object' && value !== null && parsed.has(value);
}

function checkAgainstFeatures(mapping: Record<string, FeatureMapping>, features: readonly Feature[], issues: Issue[]): void {
  const byName = new Map(features.map((f) => [f.name, f]));
  for (const f of features) {
    if (!mapping[f.name])
      issues.push(
        issue(
          ['mapping', 'features', f.name],
          'required',
          `model feature '${f.name}' (${f.label}) has no FHIR mapping`,
          f.required ? 'error' : 'warning',
        ),
      );
  }
  for (const [name, m] of Object.entries(mapping)) {
    const path = ['mapping', 'features', name];
    const f = byName.get(name);
    if (!f) {
      issues.push(issue(path, 'unknown_field', `'${name}' is not a feature of the model`));
      continue;
    }
    const numeric = f.type === 'number' || f.type === 'integer';
    if (m.source === 'age' && !numeric) issues.push(issue(path, 'type', `age gives a number, but '${name}' is ${f.type}`));
    if (m.source === 'age' && f.unit && f.unit !== m.unit)
      issues.push(issue([...path, 'unit'], 'unit', `age is in ${m.unit}, the model expects ${f.unit}`));
    if (m.source === 'observation') {
      if (m.select === 'count' && !numeric)
        issues.push(issue([...path, 'select'], 'type', `count gives a number, but '${name}' is ${f.type}`));
      if (numeric && m.select !== 'count' && !m.valueMap && m.unit && f.unit && m.unit !== f.unit)
        issues.push(
          issue(
            [...path, 'unit'],
            'unit',
            `mapping unit ${m.unit} differs from the model's ${f.unit}; drop it to convert to the model unit`,
          ),
        );
      if (!numeric && !m.valueMap)
        issues.push(issue([...path, 'valueMap'], 'required', `'${name}' is ${f.type}: map observation codes to its values with valueMap`));
    }
  }
}

/** The feature's target unit: the mapping's, else the model feature's (ages are in their own unit). */
export function targetUnit(mapping: FeatureMapping, feature: Feature | undefined): string | undefined {
  if (mapping.source === 'observation') return mapping.unit ?? feature?.unit;
  if (mapping.source === 'age') return mapping.unit;
  return undefined;
}
