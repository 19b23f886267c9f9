import type { Feature, Issue, Manifest, Prediction } from '@cairn/core';
import type { Coding } from '@medplum/fhirtypes';
import { formatValue, type PredictionExplanation, topContributions } from '../explanation.js';
import type { ExtractionResult } from '../extract.js';
import type { CdsCard, CdsLink, CdsSource } from './types.js';

/** How cards look: source, SMART app link, indicators by band. */
export interface CardOptions {
  /** Card source: who provides the advice. The model name and version are appended. */
  readonly source?: { readonly label: string; readonly url?: string; readonly icon?: string };
  /** A SMART app to open from the card (e.g. the Cairn widget). */
  readonly smartApp?: { readonly url: string; readonly label?: string; readonly appContext?: string };
  /** Indicator per risk-band id; by default the first band is info, the last critical (when there are three or more), others warning. */
  readonly indicators?: Readonly<Record<string, CdsCard['indicator']>>;
  /**
   * Contributors listed in the detail.
   * @defaultValue 3
   */
  readonly topContributors?: number;
  /** Reasons offered to clinicians who override the card (reported back through feedback). */
  readonly overrideReasons?: readonly Coding[];
}

const MAX_SUMMARY = 139;

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function percent(p: number): string {
  return `${(p * 100).toFixed(p < 0.1 ? 1 : 0)}%`;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The indicator for a band: configured, else by the band's position. */
export function indicatorFor(manifest: Manifest, bandId: string, indicators?: CardOptions['indicators']): CdsCard['indicator'] {
  const configured = indicators?.[bandId];
  if (configured) return configured;
  const i = manifest.riskBands.findIndex((b) => b.id === bandId);
  if (i <= 0) return 'info';
  return i === manifest.riskBands.length - 1 && manifest.riskBands.length >= 3 ? 'critical' : 'warning';
}

function cardSource(manifest: Manifest, options: CardOptions): CdsSource {
  const base = options.source?.label ?? 'Cairn';
  return {
    label: truncate(`${base}: ${manifest.name} ${manifest.version}`, 200),
    ...(options.source?.url ? { url: options.source.url } : {}),
    ...(options.source?.icon ? { icon: options.source.icon } : {}),
    topic: { system: 'urn:cairn:model', code: `${manifest.id}@${manifest.version}`, display: `${manifest.name} ${manifest.version}` },
  };
}

function links(options: CardOptions): CdsLink[] | undefined {
  if (!options.smartApp) return undefined;
  return [
    {
      label: options.smartApp.label ?? 'Open risk details',
      url: options.smartApp.url,
      type: 'smart',
      ...(options.smartApp.appContext ? { appContext: options.smartApp.appContext } : {}),
    },
  ];
}

function dataUsed(features: readonly Feature[], extraction: ExtractionResult): string {
  const rows: string[] = [];
  for (const f of features) {
    const p = extraction.provenance[f.name];
    if (!p || p.value === null) continue;
    const first = p.values[0];
    const date = p.date ? p.date.slice(0, 10) : '';
    const src = p.resources.length > 1 ? `${p.resources[0]} +${p.resources.length - 1}` : (p.resources[0] ?? 'none recorded');
    const how = p.select && p.select !== 'latest' ? ` (${p.select} of ${p.values.length})` : '';
    const original = first?.converted ? ` (from ${formatValue(first.value, first.unit)})` : '';
    rows.push(
      `| ${escapeCell(f.label)} | ${escapeCell(formatValue(p.value, f.unit ?? p.unit))}${how}${escapeCell(original)} | ${date} | ${escapeCell(src)} |`,
    );
  }
  return rows.length === 0 ? '' : `**Data used**\n\n| Feature | Value | Date | Source |\n|---|---|---|---|\n${rows.join('\n')}`;
}

function gaps(features: readonly Feature[], extraction: ExtractionResult, warnings: readonly Issue[]): string {
  const label = new Map(features.map((f) => [f.name, f]));
  const lines = extraction.missing.map((m) => {
    const f = label.get(m.feature);
    const imputed = f?.impute !== undefined && !f.required ? `; ${formatValue(f.impute, f.unit)} assumed` : '';
    const stale = m.latest?.date ? ` (last ${m.latest.date.slice(0, 10)})` : '';
    return `- ${f?.label ?? m.feature}: ${m.reason.replace('-', ' ')}${stale}${imputed}`;
  });
  for (const w of warnings) if (w.rule === 'implausible') lines.push(`- ${w.message}`);
  return lines.length === 0 ? '' : `**Missing, stale or unusual data**\n\n${lines.join('\n')}`;
}

/** The card for a prediction: risk and band in the summary, contributors and data used in the detail. */
export function riskCard(
  manifest: Manifest,
  prediction: Prediction,
  extraction: ExtractionResult,
  explanation: PredictionExplanation | undefined,
  options: CardOptions & { readonly uuid: string },
): CdsCard {
  const summary = truncate(`${manifest.name}: ${percent(prediction.probability)} risk (${prediction.band.label})`, MAX_SUMMARY);
  const parts = [
    `**${percent(prediction.probability)}** estimated risk — **${prediction.band.label}** (threshold ${percent(prediction.threshold)}), ${manifest.name} ${manifest.version}.`,
  ];
  const top = topContributions(explanation, options.topContributors ?? 3);
  if (top.length > 0) {
    parts.push(
      `**Top contributors**\n\n| Factor | Value | Effect |\n|---|---|---|\n${top
        .map(
          (c) =>
            `| ${escapeCell(c.label)} | ${escapeCell(formatValue(c.value, c.unit))} | ${c.contribution >= 0 ? '↑ raises' : '↓ lowers'} risk |`,
        )
        .join('\n')}`,
    );
  }
  const used = dataUsed(manifest.features, extraction);
  if (used) parts.push(used);
  const gap = gaps(manifest.features, extraction, prediction.warnings);
  if (gap) parts.push(gap);
  const l = links(options);
  return {
    uuid: options.uuid,
    summary,
    detail: parts.join('\n\n'),
    indicator: indicatorFor(manifest, prediction.band.id, options.indicators),
    source: cardSource(manifest, options),
    ...(l ? { links: l } : {}),
    ...(options.overrideReasons?.length ? { overrideReasons: [...options.overrideReasons] } : {}),
  };
}

/** The card shown when the record lacks what the model needs: no risk, the reasons instead. */
export function insufficientDataCard(
  manifest: Manifest,
  extraction: ExtractionResult,
  issues: readonly Issue[],
  options: CardOptions & { readonly uuid: string },
): CdsCard {
  const labels = new Map(manifest.features.map((f) => [f.name, f.label]));
  const problems = issues
    .filter((i) => i.severity === 'error')
    .map((i) => {
      const name = String(i.path[0] ?? '');
      const m = extraction.missing.find((x) => x.feature === name);
      return `- ${labels.get(name) ?? name}: ${m ? `${m.reason.replace('-', ' ')}${m.latest?.date ? ` (last ${m.latest.date.slice(0, 10)})` : ''}` : i.message}`;
    });
  const l = links(options);
  return {
    uuid: options.uuid,
    summary: truncate(`${manifest.name}: risk not calculated, data missing`, MAX_SUMMARY),
    detail: `The record lacks data the model needs:\n\n${problems.join('\n')}`,
    indicator: 'info',
    source: cardSource(manifest, options),
    ...(l ? { links: l } : {}),
  };
}
