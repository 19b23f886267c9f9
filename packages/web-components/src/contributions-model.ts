import type { Contribution } from '@cairn/core';
import { fill, formatNumber, formatPercent, withUnit } from './format.js';
import type { WidgetMessages } from './messages.js';

/** The explanation shape the chart reads (structurally core's `Explanation`; a server's JSON fits too). */
export interface ChartExplanation {
  readonly space: string;
  readonly method?: string;
  readonly base?: number;
  readonly output?: number;
  readonly contributions: ReadonlyArray<
    Pick<Contribution, 'feature' | 'label' | 'value' | 'contribution'> & { valueLabel?: string; unit?: string }
  >;
}

/** One bar of the chart. */
export interface ContributionBar {
  /** Feature name, or `others` for the bar that sums the rest. */
  readonly key: string;
  readonly label: string;
  /** The patient's value in words (empty for the others bar). */
  readonly valueText: string;
  readonly contribution: number;
  readonly direction: 'raises' | 'lowers' | 'none';
  /** The signed amount as shown at the bar's end. */
  readonly amountText: string;
  /** One sentence for screen readers. */
  readonly description: string;
  /** How many features the bar sums (1 except for others). */
  readonly count: number;
}

/** The chart as data: bars largest first, the scale and a caption. */
export interface ContributionChart {
  readonly bars: readonly ContributionBar[];
  /** Largest |contribution| among the bars (the half-width of the axis). */
  readonly maxAbs: number;
  readonly caption: string;
}

function valueText(c: ChartExplanation['contributions'][number], messages: WidgetMessages): string {
  const v = c.value;
  if (v === null || v === undefined) return messages.notRecorded;
  if (typeof v === 'boolean') return v ? messages.yes : messages.no;
  if (c.valueLabel !== undefined) return c.valueLabel;
  if (typeof v === 'number') return withUnit(formatNumber(v, messages.locale), c.unit, messages);
  return String(v);
}

function amount(value: number, space: string, messages: WidgetMessages, signed = true): string {
  const sign = !signed ? '' : value > 0 ? '+' : value < 0 ? '−' : '';
  const abs = Math.abs(value);
  if (space === 'probability' || space === 'probability-rescaled') {
    // Percentage points: a share of probability, not a relative change.
    return `${sign}${formatPercent(abs, messages.locale)}`;
  }
  return `${sign}${formatNumber(abs, messages.locale)}`;
}

/**
 * Orders an explanation's contributions by size and keeps the top `topN`, summing the rest into
 * one "others" bar, with the words each bar needs.
 */
export function contributionChart(explanation: ChartExplanation, messages: WidgetMessages, topN = 8): ContributionChart {
  const space = explanation.space;
  const sorted = [...explanation.contributions].sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
  const n = Math.max(1, Math.floor(topN));
  // Summing a single leftover feature into "1 other feature" hides its name for nothing.
  const shown = sorted.length <= n + 1 ? sorted : sorted.slice(0, n);
  const rest = sorted.slice(shown.length);
  const direction = (v: number): ContributionBar['direction'] => (v > 0 ? 'raises' : v < 0 ? 'lowers' : 'none');
  const describe = (label: string, value: string, v: number) =>
    fill(messages.contributionItem, {
      label,
      value,
      direction: v >= 0 ? messages.raisesRisk : messages.lowersRisk,
      amount: amount(Math.abs(v), space, messages, false),
    }).replace(' ()', '');
  const bars: ContributionBar[] = shown.map((c) => {
    const text = valueText(c, messages);
    return {
      key: c.feature,
      label: c.label,
      valueText: text,
      contribution: c.contribution,
      direction: direction(c.contribution),
      amountText: amount(c.contribution, space, messages),
      description: describe(c.label, text, c.contribution),
      count: 1,
    };
  });
  if (rest.length > 0) {
    const sum = rest.reduce((s, c) => s + c.contribution, 0);
    const label = messages.otherFeatures(rest.length);
    bars.push({
      key: 'others',
      label,
      valueText: '',
      contribution: sum,
      direction: direction(sum),
      amountText: amount(sum, space, messages),
      description: describe(label, '', sum),
      count: rest.length,
    });
  }
  const maxAbs = bars.reduce((m, b) => Math.max(m, Math.abs(b.contribution)), 0);
  return { bars, maxAbs, caption: messages.contributionsCaption[space] ?? '' };
}
