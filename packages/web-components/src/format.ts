import type { Feature } from '@cairn/core';
import type { WidgetMessages } from './messages.js';

/** Fills `{name}` placeholders of a message template; unknown placeholders are left as they are. */
export function fill(template: string, values: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => {
    const v = values[key];
    return v === undefined ? whole : String(v);
  });
}

/** Formats a number for people: at most four significant digits, whole numbers as they are. */
export function formatNumber(value: number, locale: string): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(value);
  const abs = Math.abs(value);
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 1 ? 2 : 3;
  return new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(value);
}

/** Formats a probability as a percentage, with a decimal near 0 and 100 % so 0.4 % is not shown as 0 %. */
export function formatPercent(p: number, locale: string): string {
  const v = p * 100;
  const digits = (v > 0 && v < 1) || (v > 99 && v < 100) ? 1 : 0;
  return new Intl.NumberFormat(locale, { style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: digits }).format(p);
}

/** The words shown after a value for a UCUM unit (empty without a unit). */
export function unitWords(unit: string | undefined, messages: WidgetMessages): string {
  if (!unit) return '';
  return messages.units[unit] ?? unit;
}

/** A value with its unit words, e.g. `67 years`. */
export function withUnit(text: string, unit: string | undefined, messages: WidgetMessages): string {
  const words = unitWords(unit, messages);
  return words ? `${text} ${words}` : text;
}

/** Formats a feature value the way a clinician reads it: category labels, yes/no, numbers with units. */
export function formatFeatureValue(
  feature: Pick<Feature, 'type' | 'unit' | 'categories'> | undefined,
  value: unknown,
  messages: WidgetMessages,
): string {
  if (value === null || value === undefined || value === '') return messages.notRecorded;
  if (typeof value === 'boolean') return value ? messages.yes : messages.no;
  if (feature?.type === 'category') {
    const c = feature.categories?.find((k) => String(k.value) === String(value));
    if (c) return c.label;
  }
  if (typeof value === 'number') return withUnit(formatNumber(value, messages.locale), feature?.unit, messages);
  return String(value);
}

/** Formats an ISO date (or date-time) as a date in the locale; returns the input when it is not a date. */
export function formatDate(iso: string | undefined, locale: string): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  return new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' }).format(t);
}
