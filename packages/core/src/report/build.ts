import { invalidArgument } from '../errors.js';
import type { Feature, Manifest } from '../manifest.js';
import type { Prediction } from '../predictor.js';
import type { FeatureValue } from '../validate.js';
import { defaultReportMessages, type ReportMessages } from './messages.js';
import type {
  ContributionBar,
  InputFlag,
  Report,
  ReportExplanation,
  ReportImage,
  ReportSection,
  TableSection,
  TextSection,
} from './types.js';

/** Sections that configuration may leave out. */
export type OptionalSectionId = 'inputs' | 'contributions' | 'narrative' | 'model-card' | 'disclaimer';

/** What a report is built from. */
export interface ReportInput {
  readonly prediction: Prediction;
  /** The bundle (or just its manifest and model hash). */
  readonly bundle: { readonly manifest: Manifest; readonly modelSha256: string };
  /** The prediction's explanation; the chart is marked unavailable without it. */
  readonly explanation?: ReportExplanation;
  /** Narrative sentences (e.g. from `narrate(explanation).sentences`). */
  readonly narrative?: readonly string[];
}

/** Options of {@link buildReport}. */
export interface ReportOptions {
  /** Shown in the header. @defaultValue '' */
  institution?: string;
  logo?: ReportImage;
  /** Sections to leave out. */
  omit?: readonly OptionalSectionId[];
  /** Extra sections, placed after the section with id `after` (default: before the disclaimer). */
  custom?: ReadonlyArray<{ readonly section: (Omit<TextSection, 'kind'> & { kind?: 'text' }) | TableSection; readonly after?: string }>;
  messages?: Partial<ReportMessages>;
  /** @defaultValue new Date() */
  now?: Date;
  /** BCP 47 language of the wording. @defaultValue 'en' */
  language?: string;
  /** Bars shown before the rest are summed as "other features". @defaultValue 10 */
  topFeatures?: number;
}

const LIMITS = { short: 120, long: 2000 } as const;

/** Caps a string's length so no field can break a layout. */
export function clampText(text: string, max: number = LIMITS.long): string {
  let clean = '';
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    // Control characters (other than tab and newlines) have no place in a report.
    if (code >= 32 || code === 9 || code === 10 || code === 13) clean += code === 127 ? '' : ch;
  }
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** Formats a number compactly for people (at most 4 significant digits, no exponent for usual values). */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 1 ? 2 : 3;
  return Number(value.toFixed(digits)).toString();
}

function formatValue(feature: Feature | undefined, value: FeatureValue | unknown, m: ReportMessages): string {
  if (value === null || value === undefined) return m.missing;
  if (typeof value === 'boolean') return value ? m.yes : m.no;
  if (feature?.type === 'category') {
    const c = feature.categories?.find((k) => String(k.value) === String(value));
    if (c) return c.label;
  }
  if (typeof value === 'number') return formatNumber(value);
  return String(value);
}

function percent(p: number): string {
  const v = p * 100;
  return `${v < 1 && v > 0 ? v.toFixed(1) : v >= 99 && v < 100 ? v.toFixed(1) : Math.round(v).toString()}%`;
}

function metricName(name: string): string {
  const known: Record<string, string> = {
    roc_auc: 'ROC AUC',
    pr_auc: 'PR AUC',
    brier: 'Brier score',
    accuracy: 'Accuracy',
    sensitivity: 'Sensitivity',
    specificity: 'Specificity',
    recall: 'Recall',
    precision: 'Precision',
    f1: 'F1',
    f2: 'F2',
  };
  return known[name] ?? name.replace(/_/g, ' ');
}

/**
 * Assembles a report from a prediction, its explanation, the validated inputs and the
 * model card, as plain data. Render it with `renderReportPdf`, `renderReportHtml` or
 * `renderReportText`; the same content appears in all three.
 */
export function buildReport(input: ReportInput, options: ReportOptions = {}): Report {
  if (!input?.prediction || !input.bundle?.manifest) throw invalidArgument('input', 'needs a prediction and the bundle it came from');
  const m: ReportMessages = { ...defaultReportMessages, ...options.messages };
  const { prediction, bundle, explanation } = input;
  const manifest = bundle.manifest;
  if (prediction.modelId !== manifest.id || prediction.modelVersion !== manifest.version) {
    throw invalidArgument(
      'input.prediction',
      `was made by ${prediction.modelId} ${prediction.modelVersion}, not by ${manifest.id} ${manifest.version}`,
    );
  }
  const omit = new Set(options.omit ?? []);
  const features = new Map(manifest.features.map((f) => [f.name, f]));
  const generatedAt = (options.now ?? new Date()).toISOString();
  const modelText = `${manifest.id} ${manifest.version}`;
  const sections: ReportSection[] = [];

  sections.push({
    kind: 'header',
    id: 'header',
    institution: clampText(options.institution ?? '', LIMITS.short),
    title: m.title,
    subtitle: clampText(`${manifest.name} (${modelText})`, LIMITS.short * 2),
    ...(options.logo ? { logo: options.logo } : {}),
  });

  const band = manifest.riskBands.findIndex((b) => b.id === prediction.band.id);
  const threshold = percent(prediction.threshold);
  sections.push({
    kind: 'result',
    id: 'result',
    title: m.resultTitle,
    probability: prediction.probability,
    probabilityText: percent(prediction.probability),
    band: {
      id: prediction.band.id,
      label: clampText(prediction.band.label, LIMITS.short),
      index: Math.max(0, band),
      count: manifest.riskBands.length,
    },
    thresholdText: threshold,
    meaning: clampText(
      [prediction.label === 1 ? m.aboveThreshold(threshold) : m.belowThreshold(threshold), manifest.riskBands[band]?.description ?? '']
        .filter(Boolean)
        .join(' '),
    ),
  });

  if (!omit.has('inputs')) {
    const flags = new Map<string, InputFlag>();
    for (const w of prediction.warnings) {
      const name = String(w.path[w.path.length - 1] ?? w.path[0]);
      if (w.rule === 'implausible') flags.set(name, 'implausible');
      else if (w.rule === 'imputed') flags.set(name, 'imputed');
    }
    sections.push({
      kind: 'inputs',
      id: 'inputs',
      title: m.inputsTitle,
      rows: manifest.features.map((f) => {
        const value = prediction.values[f.name] ?? null;
        const flag = flags.get(f.name) ?? (value === null ? 'missing' : undefined);
        const note =
          flag === 'implausible' ? m.flagImplausible : flag === 'imputed' ? m.flagImputed : flag === 'missing' ? m.flagMissing : undefined;
        return {
          label: clampText(f.label, LIMITS.short),
          value: clampText(formatValue(f, value, m), LIMITS.short),
          unit: clampText(f.unit ?? '', 40),
          ...(flag ? { flag } : {}),
          ...(note ? { note } : {}),
        };
      }),
    });
  }

  if (!omit.has('contributions')) {
    const valid =
      explanation &&
      Array.isArray(explanation.contributions) &&
      explanation.contributions.length > 0 &&
      explanation.contributions.every((c) => Number.isFinite(c.contribution));
    if (!valid) {
      sections.push({ kind: 'unavailable', id: 'contributions', title: m.contributionsTitle, reason: m.explanationUnavailable });
    } else {
      const top = Math.max(1, options.topFeatures ?? 10);
      const sorted = [...explanation.contributions].sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
      const bars: ContributionBar[] = sorted.slice(0, top).map((c) => {
        const f = features.get(c.feature);
        const valueText = c.valueLabel ?? formatValue(f, c.value, m);
        const unit = c.unit ?? f?.unit;
        return {
          label: clampText(c.label, LIMITS.short),
          valueText: clampText(`${valueText}${unit && c.value !== null && typeof c.value === 'number' ? ` ${unit}` : ''}`, LIMITS.short),
          contribution: c.contribution,
        };
      });
      const rest = sorted.slice(top);
      if (rest.length > 0)
        bars.push({ label: m.otherFeatures(rest.length), valueText: '', contribution: rest.reduce((s, c) => s + c.contribution, 0) });
      sections.push({
        kind: 'contributions',
        id: 'contributions',
        title: m.contributionsTitle,
        caption: m.contributionsCaption(explanation.method, explanation.space),
        bars,
      });
    }
  }

  if (!omit.has('narrative') && input.narrative && input.narrative.length > 0) {
    sections.push({
      kind: 'text',
      id: 'narrative',
      title: m.narrativeTitle,
      paragraphs: [clampText(input.narrative.join(' '), LIMITS.long * 2)],
    });
  }

  if (!omit.has('model-card')) {
    const card = (manifest.modelCard ?? {}) as Record<string, unknown>;
    const training =
      typeof card.trainingData === 'object' && card.trainingData ? (card.trainingData as Record<string, unknown>) : undefined;
    const trainingText = training?.summary ?? (typeof training?.rows === 'number' ? `${training.rows} rows` : undefined);
    sections.push({
      kind: 'model-card',
      id: 'model-card',
      title: m.modelCardTitle,
      facts: [
        { label: m.modelLabel, text: clampText(`${manifest.name}, version ${manifest.version} (${manifest.id})`) },
        { label: m.intendedUse, text: clampText(manifest.intendedUse) },
        ...(trainingText ? [{ label: m.trainingData, text: clampText(String(trainingText)) }] : []),
      ],
      limitationsTitle: m.limitations,
      limitations: manifest.limitations.map((l) => clampText(l)),
      metricsTitle: m.metrics,
      ...(manifest.metrics.length === 0 ? { noMetrics: m.noMetrics } : {}),
      metrics: manifest.metrics.map((x) => ({
        name: metricName(x.name),
        text: `${formatNumber(x.value)}${x.ci ? ` (${m.ci(`${Math.round((x.ciLevel ?? 0.95) * 100)}%`)} ${formatNumber(x.ci[0])}–${formatNumber(x.ci[1])})` : ''}${x.dataset ? `, ${x.dataset}` : ''}`,
      })),
    });
  }

  if (!omit.has('disclaimer')) {
    sections.push({ kind: 'text', id: 'disclaimer', title: m.disclaimerTitle, paragraphs: [...m.disclaimer] });
  }

  for (const extra of options.custom ?? []) {
    const section: ReportSection =
      extra.section.kind === 'table'
        ? {
            ...extra.section,
            title: clampText(extra.section.title, LIMITS.short),
            rows: extra.section.rows.map((r) => r.map((c) => clampText(c, LIMITS.short * 4))),
          }
        : {
            ...(extra.section as TextSection),
            kind: 'text',
            title: clampText(extra.section.title, LIMITS.short),
            paragraphs: (extra.section as TextSection).paragraphs.map((p) => clampText(p)),
          };
    const at = extra.after ? sections.findIndex((s) => s.id === extra.after) : sections.findIndex((s) => s.id === 'disclaimer') - 1;
    sections.splice(at < 0 ? sections.length : at + 1, 0, section);
  }

  return {
    title: `${m.title}: ${manifest.name}`,
    subject: `${percent(prediction.probability)} (${prediction.band.label}) by ${modelText}`,
    language: options.language ?? 'en',
    generatedAt,
    modelId: manifest.id,
    modelVersion: manifest.version,
    modelSha256: bundle.modelSha256,
    sections,
    footer: m.footer(generatedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'), modelText, bundle.modelSha256),
    pageLabel: m.page,
  };
}
