import { invalidArgument } from '../errors.js';
import type { Contribution, Explanation, Narrative, NarrativeFactor } from './types.js';

/**
 * Every word a narrative uses, in one table so it can be translated. Placeholders in braces are
 * filled in; `units` maps UCUM codes to the words shown after values.
 */
export interface NarrativeMessages {
  /** BCP 47 locale used to format numbers. */
  readonly locale: string;
  readonly intro: string;
  readonly raising: string;
  readonly lowering: string;
  readonly noRaising: string;
  readonly noLowering: string;
  readonly factor: string;
  readonly valueWithUnit: string;
  readonly missing: string;
  readonly yes: string;
  readonly no: string;
  readonly separator: string;
  readonly lastSeparator: string;
  readonly units: Readonly<Record<string, string>>;
  /** Wording for value models (a treatment effect, explanation space `value`); English when absent. */
  readonly effect?: {
    readonly intro: string;
    readonly raising: string;
    readonly lowering: string;
    readonly noRaising: string;
    readonly noLowering: string;
  };
}

const EFFECT_WORDING: NonNullable<NarrativeMessages['effect']> = {
  intro: 'Estimated effect: {value}.',
  raising: 'Increasing the effect: {factors}.',
  lowering: 'Decreasing the effect: {factors}.',
  noRaising: 'No factor increases the effect noticeably.',
  noLowering: 'No factor decreases the effect noticeably.',
};

/** The English message table. */
export const narrativeMessages: NarrativeMessages = {
  locale: 'en',
  intro: 'Estimated risk: {probability}.',
  raising: 'Raising the risk: {factors}.',
  lowering: 'Lowering the risk: {factors}.',
  noRaising: 'No factor raises the risk noticeably.',
  noLowering: 'No factor lowers the risk noticeably.',
  factor: '{label} ({value})',
  valueWithUnit: '{value} {unit}',
  missing: 'not recorded',
  yes: 'yes',
  no: 'no',
  separator: ', ',
  lastSeparator: ' and ',
  units: { a: 'years', mo: 'months', wk: 'weeks', d: 'days', 'mm[Hg]': 'mmHg', '/min': 'per minute', '%': '%', 'kg/m2': 'kg/m²' },
  effect: EFFECT_WORDING,
};

/** Options of {@link narrate}. */
export interface NarrateOptions {
  /**
   * Most factors named on each side.
   * @defaultValue 3
   */
  topN?: number;
  /** Message table (translations). @defaultValue {@link narrativeMessages} */
  messages?: NarrativeMessages;
  /**
   * Factors below this share of the total |contribution| are not named.
   * @defaultValue 0.02
   */
  minShare?: number;
}

const formatters = new Map<string, Intl.NumberFormat>();

/** One formatter per locale and style: building an Intl.NumberFormat costs more than a narrative's arithmetic. */
function numberFormat(locale: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, options);
    formatters.set(key, f);
  }
  return f;
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
}

function formatValue(c: Contribution, m: NarrativeMessages): string {
  const v = c.value;
  if (v === null) return m.missing;
  if (typeof v === 'boolean') return v ? m.yes : m.no;
  if (c.valueLabel !== undefined) return c.valueLabel;
  if (typeof v === 'string') return v;
  const text = numberFormat(m.locale, { maximumFractionDigits: Number.isInteger(v) ? 0 : 2 }).format(v);
  if (!c.unit) return text;
  return fill(m.valueWithUnit, { value: text, unit: m.units[c.unit] ?? c.unit }).trim();
}

function list(items: readonly string[], m: NarrativeMessages): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(m.separator)}${m.lastSeparator}${items[items.length - 1]}`;
}

/** Plain-words summary of an explanation: the top factors raising and lowering the risk, with values and units. */
export function narrate(explanation: Explanation, options: NarrateOptions = {}): Narrative {
  if (!explanation || !Array.isArray(explanation.contributions)) throw invalidArgument('explanation', 'must be an explanation');
  const topN = options.topN ?? 3;
  if (!Number.isInteger(topN) || topN < 0) throw invalidArgument('options.topN', 'must be a non-negative integer');
  const m = options.messages ?? narrativeMessages;
  const minShare = options.minShare ?? 0.02;
  const total = explanation.contributions.reduce((s, c) => s + Math.abs(c.contribution), 0);
  const floor = total * minShare;
  const toFactor = (c: Contribution): NarrativeFactor => ({
    feature: c.feature,
    label: c.label,
    contribution: c.contribution,
    text: fill(m.factor, { label: c.label, value: formatValue(c, m) }),
  });
  const named = explanation.contributions.filter((c) => Math.abs(c.contribution) > floor && c.contribution !== 0);
  const raising = named
    .filter((c) => c.contribution > 0)
    .sort((a, b) => b.contribution - a.contribution)
    .slice(0, topN)
    .map(toFactor);
  const lowering = named
    .filter((c) => c.contribution < 0)
    .sort((a, b) => a.contribution - b.contribution)
    .slice(0, topN)
    .map(toFactor);
  const isValue = explanation.space === 'value';
  const words = isValue ? (m.effect ?? EFFECT_WORDING) : m;
  const intro = isValue
    ? fill(words.intro, { value: numberFormat(m.locale, { maximumSignificantDigits: 3 }).format(explanation.output) })
    : fill(m.intro, {
        probability: numberFormat(m.locale, { style: 'percent', maximumFractionDigits: 1 }).format(explanation.probability),
      });
  const sentences = [
    intro,
    raising.length > 0
      ? fill(words.raising, {
          factors: list(
            raising.map((f) => f.text),
            m,
          ),
        })
      : words.noRaising,
    lowering.length > 0
      ? fill(words.lowering, {
          factors: list(
            lowering.map((f) => f.text),
            m,
          ),
        })
      : words.noLowering,
  ];
  return { text: sentences.join(' '), sentences, raising, lowering };
}
