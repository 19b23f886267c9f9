import {
  createValidator,
  type Feature,
  type FeatureRecord,
  type Issue,
  type UnitConverter,
  type ValidationResult,
  type Validator,
} from '@cairn/core';
import { fill, formatNumber, unitWords } from './format.js';
import type { WidgetMessages } from './messages.js';

/** One field of the generated form. */
export interface FieldModel {
  readonly name: string;
  readonly label: string;
  readonly description: string | undefined;
  readonly type: Feature['type'];
  /** Words shown after the input (the unit), empty without one. */
  readonly unit: string;
  readonly required: boolean;
  /** `select` for booleans and categories, `text` (with a numeric keyboard) for numbers. */
  readonly control: 'select' | 'text';
  readonly inputMode: 'decimal' | 'numeric' | undefined;
  /** Choices of a select, values as the form holds them (strings). */
  readonly options: ReadonlyArray<{ readonly value: string; readonly label: string }>;
  /** Hard limits and plausible range in words, e.g. `Allowed 0–120 years · usual 34–71 years`. */
  readonly hint: string;
}

/** What the form holds: one string per feature (`''` when empty). */
export type RawValues = Readonly<Record<string, string>>;

/** Builds the fields of a form from a bundle's features. */
export function buildFields(features: readonly Feature[], messages: WidgetMessages): FieldModel[] {
  return features.map((f) => {
    const unit = unitWords(f.unit, messages);
    const unitSuffix = unit ? ` ${unit}` : '';
    const n = (v: number) => formatNumber(v, messages.locale);
    const hints: string[] = [];
    const { limits, plausible } = f;
    if (limits?.min !== undefined && limits.max !== undefined)
      hints.push(fill(messages.allowedRange, { min: n(limits.min), max: n(limits.max), unit: unitSuffix }));
    else if (limits?.min !== undefined) hints.push(fill(messages.allowedMin, { min: n(limits.min), unit: unitSuffix }));
    else if (limits?.max !== undefined) hints.push(fill(messages.allowedMax, { max: n(limits.max), unit: unitSuffix }));
    if (plausible && (plausible.min !== undefined || plausible.max !== undefined)) {
      hints.push(
        fill(messages.usualRange, {
          min: plausible.min === undefined ? '…' : n(plausible.min),
          max: plausible.max === undefined ? '…' : n(plausible.max),
          unit: unitSuffix,
        }),
      );
    }
    let options: FieldModel['options'] = [];
    if (f.type === 'boolean') {
      options = [
        { value: 'true', label: messages.yes },
        { value: 'false', label: messages.no },
      ];
    } else if (f.type === 'category') {
      options = (f.categories ?? []).map((c) => ({ value: String(c.value), label: c.label }));
    }
    const numeric = f.type === 'number' || f.type === 'integer';
    return {
      name: f.name,
      label: f.label,
      description: f.description,
      type: f.type,
      unit: numeric ? unit : '',
      required: f.required,
      control: numeric ? 'text' : 'select',
      inputMode: f.type === 'number' ? 'decimal' : f.type === 'integer' ? 'numeric' : undefined,
      options,
      hint: hints.join(' · '),
    };
  });
}

/**
 * Turns a patient record (JSON features, or a FHIR extraction's record) into form strings;
 * values the form cannot show (objects, unknown categories) are kept as text so validation names them.
 */
export function toRawValues(record: Readonly<Record<string, unknown>> | undefined, features: readonly Feature[]): RawValues {
  const out: Record<string, string> = {};
  for (const f of features) {
    const v = record?.[f.name];
    if (v === null || v === undefined) out[f.name] = '';
    else if (typeof v === 'boolean') out[f.name] = String(v);
    else if (typeof v === 'number') out[f.name] = Number.isFinite(v) ? String(v) : '';
    else if (typeof v === 'string') {
      if (f.type === 'boolean') {
        const s = v.trim().toLowerCase();
        out[f.name] = ['true', 'yes', 'y', '1', 't'].includes(s) ? 'true' : ['false', 'no', 'n', '0', 'f'].includes(s) ? 'false' : v;
      } else if (f.type === 'category') {
        const hit = f.categories?.find(
          (c) =>
            String(c.value) === v ||
            c.label.toLowerCase() === v.trim().toLowerCase() ||
            c.aliases?.some((a) => a.toLowerCase() === v.trim().toLowerCase()),
        );
        out[f.name] = hit ? String(hit.value) : v;
      } else out[f.name] = v;
    } else if (typeof v === 'object' && 'value' in (v as object)) out[f.name] = String((v as { value: unknown }).value ?? '');
    else out[f.name] = String(v);
  }
  return out;
}

/** The record handed to the validator: empty strings become missing values, everything else goes as typed. */
export function readRecord(raw: RawValues, features: readonly Feature[]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const f of features) {
    const v = raw[f.name] ?? '';
    out[f.name] = v.trim() === '' ? undefined : v;
  }
  return out;
}

/** Issues grouped by the feature they concern (the first path element). */
export function issuesByField(issues: readonly Issue[]): Map<string, Issue[]> {
  const map = new Map<string, Issue[]>();
  for (const i of issues) {
    const key = typeof i.path[0] === 'string' ? i.path[0] : '';
    const list = map.get(key);
    if (list) list.push(i);
    else map.set(key, [i]);
  }
  return map;
}

/** The message shown for an issue: the table's wording for its rule when there is one, else core's message. */
export function issueText(i: Issue, feature: Feature | undefined, raw: string | undefined, messages: WidgetMessages): string {
  const template = messages.issues[i.rule];
  if (!template) return i.message;
  const unit = unitWords(feature?.unit, messages);
  const lim = i.rule === 'implausible' ? feature?.plausible : feature?.limits;
  return fill(template, {
    label: feature?.label ?? String(i.path[0] ?? ''),
    value: raw ?? '',
    min: lim?.min === undefined ? '' : formatNumber(lim.min, messages.locale),
    max: lim?.max === undefined ? '' : formatNumber(lim.max, messages.locale),
    unit,
  });
}

/** The outcome of validating the form: values ready for a predictor, or every problem by field. */
export interface FormValidation {
  readonly ok: boolean;
  readonly values: FeatureRecord | undefined;
  readonly errors: Map<string, Issue[]>;
  readonly warnings: Map<string, Issue[]>;
  readonly result: ValidationResult;
}

/** Validates form strings with @cairn/core's validator (compile the validator once per feature list). */
export function validateForm(validator: Validator, raw: RawValues): FormValidation {
  const result = validator.validate(readRecord(raw, validator.features));
  const all = result.ok ? result.warnings : result.issues;
  return {
    ok: result.ok,
    values: result.ok ? result.values : undefined,
    errors: issuesByField(all.filter((i) => i.severity === 'error')),
    warnings: issuesByField(all.filter((i) => i.severity === 'warning')),
    result,
  };
}

/** A validator for the form: unknown fields are ignored (the form only holds features). */
export function createFormValidator(features: readonly Feature[], convertUnit?: UnitConverter): Validator {
  return createValidator(features, { unknownFields: 'ignore', ...(convertUnit ? { convertUnit } : {}) });
}
