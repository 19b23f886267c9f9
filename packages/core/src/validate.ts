import { type CairnError, type Issue, invalidInput, issue } from './errors.js';
import type { Feature } from './manifest.js';

/** A validated feature value; `null` means missing (the model receives NaN or an empty string). */
export type FeatureValue = number | string | boolean | null;

/** Validated values keyed by feature name. */
export type FeatureRecord = Readonly<Record<string, FeatureValue>>;

/** A value with its unit, e.g. `{ value: 7.1, unit: 'mmol/L' }`. */
export interface ValueWithUnit {
  readonly value: number | string;
  readonly unit: string;
}

/**
 * Converts `value` from unit `from` to unit `to` (UCUM codes); returns undefined when the
 * units are not convertible. Supply one (e.g. the UCUM converter of @cairn/fhir-adapter)
 * to accept values in other units than the feature's.
 */
export type UnitConverter = (value: number, from: string, to: string, feature: Feature) => number | undefined;

/** Options of {@link createValidator}. */
export interface ValidateOptions {
  /**
   * What to do with record keys that are not features.
   * @defaultValue 'reject'
   */
  unknownFields?: 'reject' | 'ignore';
  /** Unit conversion for values given with a unit other than the feature's. */
  convertUnit?: UnitConverter;
}

/** Result of validating one record: values on success, every problem otherwise. */
export type ValidationResult =
  | { readonly ok: true; readonly values: FeatureRecord; readonly warnings: readonly Issue[] }
  | { readonly ok: false; readonly issues: readonly Issue[]; readonly error: CairnError };

/** Validates user input (form values, JSON, CSV cells, FHIR-derived records) against a feature list. */
export interface Validator {
  readonly features: readonly Feature[];
  /** Never throws; returns every problem at once. */
  validate(record: unknown, path?: ReadonlyArray<string | number>): ValidationResult;
  /** Returns the values or throws a {@link CairnError} `invalid_input` listing every problem. */
  parse(record: unknown, path?: ReadonlyArray<string | number>): { values: FeatureRecord; warnings: readonly Issue[] };
}

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const TRUE_WORDS = new Set(['true', 'yes', 'y', '1', 't']);
const FALSE_WORDS = new Set(['false', 'no', 'n', '0', 'f']);

type Check = (raw: unknown, path: ReadonlyArray<string | number>, issues: Issue[]) => FeatureValue;

function isMissing(raw: unknown): boolean {
  return raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '');
}

function describe(raw: unknown): string {
  if (typeof raw === 'string') return `'${raw.length > 40 ? `${raw.slice(0, 40)}…` : raw}'`;
  if (typeof raw === 'object') return Array.isArray(raw) ? 'an array' : 'an object';
  return String(raw);
}

function compileNumeric(f: Feature, convertUnit: UnitConverter | undefined): Check {
  const integer = f.type === 'integer';
  const { limits, plausible, unit } = f;
  const what = integer ? 'a whole number' : 'a number';
  const unitText = unit ? ` ${unit}` : '';
  return (raw, path, issues) => {
    let value: number;
    let input = raw;
    let fromUnit: string | undefined;
    if (input !== null && typeof input === 'object' && !Array.isArray(input) && 'value' in input) {
      const u = (input as { unit?: unknown }).unit;
      if (u !== undefined && typeof u !== 'string') {
        issues.push(issue([...path, 'unit'], 'type', 'unit must be a UCUM code string'));
        return null;
      }
      fromUnit = u;
      input = (input as { value: unknown }).value;
      if (isMissing(input)) {
        issues.push(issue(path, 'required', `${f.label} is required`));
        return null;
      }
    }
    if (typeof input === 'number') value = input;
    else if (typeof input === 'string') {
      const s = input.trim();
      if (!NUMBER_RE.test(s)) {
        if (/^[+-]?(nan|inf(inity)?)$/i.test(s)) {
          issues.push(issue(path, 'not_finite', `${f.label} must be a finite number, got ${describe(input)}`));
        } else issues.push(issue(path, 'type', `${f.label} must be ${what}, got ${describe(input)}`));
        return null;
      }
      value = Number(s);
    } else {
      issues.push(issue(path, 'type', `${f.label} must be ${what}, got ${describe(input)}`));
      return null;
    }
    if (!Number.isFinite(value)) {
      issues.push(issue(path, 'not_finite', `${f.label} must be a finite number, got ${value}`));
      return null;
    }
    if (fromUnit !== undefined && unit !== undefined && fromUnit !== unit) {
      const converted = convertUnit ? convertUnit(value, fromUnit, unit, f) : undefined;
      if (converted === undefined || !Number.isFinite(converted)) {
        issues.push(
          issue(
            [...path, 'unit'],
            'unit',
            `${f.label}: cannot convert ${fromUnit} to ${unit}${convertUnit ? '' : ' (no unit converter configured)'}`,
          ),
        );
        return null;
      }
      value = converted;
    } else if (fromUnit !== undefined && unit === undefined) {
      issues.push(issue([...path, 'unit'], 'unit', `${f.label} has no unit, got a value in ${fromUnit}`));
      return null;
    }
    if (integer && !Number.isInteger(value)) {
      issues.push(issue(path, 'not_integer', `${f.label} must be a whole number, got ${value}`));
      return null;
    }
    if (limits?.min !== undefined && value < limits.min) {
      issues.push(issue(path, 'below_minimum', `${f.label} must be at least ${limits.min}${unitText}, got ${value}`));
      return null;
    }
    if (limits?.max !== undefined && value > limits.max) {
      issues.push(issue(path, 'above_maximum', `${f.label} must be at most ${limits.max}${unitText}, got ${value}`));
      return null;
    }
    if (plausible && ((plausible.min !== undefined && value < plausible.min) || (plausible.max !== undefined && value > plausible.max))) {
      issues.push(
        issue(
          path,
          'implausible',
          `${f.label} of ${value}${unitText} is outside the plausible range ${plausible.min ?? '−∞'}–${plausible.max ?? '∞'}; check the value`,
          'warning',
        ),
      );
    }
    return value;
  };
}

function compileBoolean(f: Feature): Check {
  return (raw, path, issues) => {
    if (typeof raw === 'boolean') return raw;
    if (raw === 1 || raw === 0) return raw === 1;
    if (typeof raw === 'string') {
      const s = raw.trim().toLowerCase();
      if (TRUE_WORDS.has(s)) return true;
      if (FALSE_WORDS.has(s)) return false;
    }
    issues.push(issue(path, 'type', `${f.label} must be true or false, got ${describe(raw)}`));
    return null;
  };
}

function compileCategory(f: Feature): Check {
  const categories = f.categories ?? [];
  const exact = new Map<string, string | number>();
  const loose = new Map<string, string | number>();
  for (const c of categories) exact.set(String(c.value), c.value);
  for (const c of categories) {
    const keys = [String(c.value), c.label, ...(c.aliases ?? []), ...(c.codes ?? []).map((k) => k.code)];
    for (const k of keys) {
      const key = k.trim().toLowerCase();
      if (!loose.has(key)) loose.set(key, c.value);
    }
  }
  const allowed = categories.map((c) => (String(c.value) === c.label ? c.label : `${c.value} (${c.label})`)).join(', ');
  return (raw, path, issues) => {
    let key: string | undefined;
    if (typeof raw === 'string') key = raw;
    else if (typeof raw === 'number' && Number.isFinite(raw)) key = String(raw);
    else if (typeof raw === 'boolean') key = String(raw);
    else if (raw && typeof raw === 'object' && typeof (raw as { code?: unknown }).code === 'string') key = (raw as { code: string }).code;
    if (key !== undefined) {
      const hit = exact.get(key) ?? loose.get(key.trim().toLowerCase());
      if (hit !== undefined) return hit;
      issues.push(issue(path, 'not_allowed', `${f.label} must be one of ${allowed}; got ${describe(raw)}`));
      return null;
    }
    issues.push(issue(path, 'type', `${f.label} must be one of ${allowed}; got ${describe(raw)}`));
    return null;
  };
}

interface CompiledFeature {
  readonly name: string;
  readonly path: readonly string[];
  readonly check: Check;
  readonly feature: Feature;
}

/** Compiles a validator for a feature list (do this once per model, not per record). */
export function createValidator(features: readonly Feature[], options: ValidateOptions = {}): Validator {
  const unknownFields = options.unknownFields ?? 'reject';
  const compiled: CompiledFeature[] = features.map((f) => ({
    name: f.name,
    path: Object.freeze([f.name]),
    feature: f,
    check:
      f.type === 'number' || f.type === 'integer'
        ? compileNumeric(f, options.convertUnit)
        : f.type === 'boolean'
          ? compileBoolean(f)
          : compileCategory(f),
  }));
  const known = new Set(features.map((f) => f.name));
  const expected = features.map((f) => f.name).join(', ');

  function validate(record: unknown, path: ReadonlyArray<string | number> = []): ValidationResult {
    const issues: Issue[] = [];
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      issues.push(issue(path, 'type', `a patient record must be an object of feature values, got ${describe(record)}`));
      return { ok: false, issues, error: invalidInput(issues) };
    }
    const input = record as Record<string, unknown>;
    const values: Record<string, FeatureValue> = {};
    const base = path.length === 0 ? undefined : path;
    for (const c of compiled) {
      const raw = Object.hasOwn(input, c.name) ? input[c.name] : undefined;
      // Shared one-element paths keep the common (valid) case free of per-field allocations.
      const p = base ? [...base, c.name] : c.path;
      if (isMissing(raw)) {
        const f = c.feature;
        if (f.impute !== undefined && !f.required) {
          values[c.name] = f.impute;
          issues.push(issue(p, 'imputed', `${f.label} is missing; ${String(f.impute)} was used`, 'warning'));
        } else if (f.required) {
          issues.push(issue(p, 'required', `${f.label} is required`));
          values[c.name] = null;
        } else values[c.name] = null;
        continue;
      }
      values[c.name] = c.check(raw, p, issues);
    }
    if (unknownFields === 'reject') {
      for (const key of Object.keys(input)) {
        if (!known.has(key))
          issues.push(issue([...path, key], 'unknown_field', `'${key}' is not a feature of this model (features: ${expected})`));
      }
    }
    for (const i of issues) {
      if (i.severity === 'error') return { ok: false, issues, error: invalidInput(issues) };
    }
    return { ok: true, values, warnings: issues };
  }

  return {
    features,
    validate,
    parse(record, path) {
      const r = validate(record, path);
      if (!r.ok) throw r.error;
      return { values: r.values, warnings: r.warnings };
    },
  };
}
