import type { Feature } from '@cairn/core';
import type { ExtractionResult } from '@cairn/fhir-adapter';
import { fill, formatDate, formatFeatureValue, formatNumber, withUnit } from '../format.js';
import type { MissingDataReason, WidgetMessages } from '../messages.js';

/** One feature read from the record, in words. */
export interface UsedDataRow {
  readonly feature: string;
  readonly label: string;
  readonly text: string;
  /** References of the resources the value rests on. */
  readonly resources: readonly string[];
}

/** One feature the record did not give, and why. */
export interface MissingDataRow {
  readonly feature: string;
  readonly label: string;
  readonly reason: MissingDataReason;
  readonly text: string;
}

/** What the widget shows about a FHIR extraction: which data was used and what is missing. */
export interface PatientDataSummary {
  readonly used: readonly UsedDataRow[];
  readonly missing: readonly MissingDataRow[];
}

/** Summarises an extraction for people (values with units and dates, reasons for missing features). */
export function summarizeExtraction(
  extraction: Pick<ExtractionResult, 'record' | 'provenance' | 'missing'>,
  features: readonly Feature[],
  messages: WidgetMessages,
): PatientDataSummary {
  const used: UsedDataRow[] = [];
  const missing: MissingDataRow[] = [];
  const missingByName = new Map(extraction.missing.map((m) => [m.feature, m]));
  for (const f of features) {
    const m = missingByName.get(f.name);
    const value = extraction.record[f.name];
    if (m || value === null || value === undefined) {
      const reason = (m?.reason ?? 'unmapped') as MissingDataReason;
      let text = messages.missingReasons[reason] ?? m?.message ?? '';
      if (m?.latest?.date)
        text = `${text} (${fill(messages.provenanceValue, { value: withUnit(String(m.latest.value), m.latest.unit, messages), date: formatDate(m.latest.date, messages.locale) })})`;
      missing.push({ feature: f.name, label: f.label, reason, text });
      continue;
    }
    const p = extraction.provenance[f.name];
    const valueText = formatFeatureValue(f, value, messages);
    let text = p?.date ? fill(messages.provenanceValue, { value: valueText, date: formatDate(p.date, messages.locale) }) : valueText;
    const first = p?.values[0];
    if (first?.converted && typeof first.value === 'number') {
      text = `${text}; ${fill(messages.provenanceConverted, { value: formatNumber(first.value, messages.locale), unit: first.unit ?? '' }).trim()}`;
    }
    used.push({ feature: f.name, label: f.label, text, resources: p?.resources ?? [] });
  }
  return { used, missing };
}
