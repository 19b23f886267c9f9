/** A flag on an input row. */
export type InputFlag = 'implausible' | 'imputed' | 'missing';

/** The explanation shape a report needs (structurally the same as core's `Explanation`). */
export interface ReportExplanation {
  readonly method: string;
  readonly space: string;
  readonly base: number;
  readonly output: number;
  readonly contributions: ReadonlyArray<{
    readonly feature: string;
    readonly label: string;
    readonly value: unknown;
    readonly valueLabel?: string;
    readonly unit?: string;
    readonly contribution: number;
  }>;
}

/** An image for the header. */
export interface ReportImage {
  readonly bytes: Uint8Array;
  readonly type: 'image/png' | 'image/jpeg';
}

/** Header: institution, optional logo, title. */
export interface HeaderSection {
  readonly kind: 'header';
  readonly id: 'header';
  readonly institution: string;
  readonly title: string;
  readonly subtitle: string;
  readonly logo?: ReportImage;
}

/** The patient's inputs with units and flags. */
export interface InputsSection {
  readonly kind: 'inputs';
  readonly id: 'inputs';
  readonly title: string;
  readonly rows: ReadonlyArray<{
    readonly label: string;
    readonly value: string;
    readonly unit: string;
    readonly flag?: InputFlag;
    readonly note?: string;
  }>;
}

/** Probability, band, threshold and what it means. */
export interface ResultSection {
  readonly kind: 'result';
  readonly id: 'result';
  readonly title: string;
  readonly probability: number;
  readonly probabilityText: string;
  readonly band: { readonly id: string; readonly label: string; readonly index: number; readonly count: number };
  readonly thresholdText: string;
  readonly meaning: string;
}

/** One bar of the contribution chart. */
export interface ContributionBar {
  readonly label: string;
  readonly valueText: string;
  readonly contribution: number;
}

/** The contribution chart. */
export interface ContributionsSection {
  readonly kind: 'contributions';
  readonly id: 'contributions';
  readonly title: string;
  readonly caption: string;
  readonly bars: readonly ContributionBar[];
}

/** Paragraphs of text (narrative, disclaimers, custom sections). */
export interface TextSection {
  readonly kind: 'text';
  readonly id: string;
  readonly title: string;
  readonly paragraphs: readonly string[];
  readonly bullets?: readonly string[];
}

/** Model card summary. */
export interface ModelCardSection {
  readonly kind: 'model-card';
  readonly id: 'model-card';
  readonly title: string;
  readonly facts: ReadonlyArray<{ readonly label: string; readonly text: string }>;
  readonly limitationsTitle: string;
  readonly limitations: readonly string[];
  readonly metricsTitle: string;
  readonly metrics: ReadonlyArray<{ readonly name: string; readonly text: string }>;
  /** Shown instead of metrics when the bundle records none. */
  readonly noMetrics?: string;
}

/** A part that could not be produced, with the reason shown in its place. */
export interface UnavailableSection {
  readonly kind: 'unavailable';
  readonly id: string;
  readonly title: string;
  readonly reason: string;
}

/** A table (custom sections). */
export interface TableSection {
  readonly kind: 'table';
  readonly id: string;
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: ReadonlyArray<ReadonlyArray<string>>;
}

/** Any section of a report. */
export type ReportSection =
  | HeaderSection
  | InputsSection
  | ResultSection
  | ContributionsSection
  | TextSection
  | ModelCardSection
  | UnavailableSection
  | TableSection;

/** A report assembled once and rendered as PDF, HTML or text. */
export interface Report {
  readonly title: string;
  readonly subject: string;
  readonly language: string;
  /** ISO 8601 timestamp. */
  readonly generatedAt: string;
  readonly modelId: string;
  readonly modelVersion: string;
  readonly modelSha256: string;
  readonly sections: readonly ReportSection[];
  /** Footer line printed on every page. */
  readonly footer: string;
  /** Page label template, e.g. "Page 1 of 2". */
  readonly pageLabel: (page: number, pages: number) => string;
}
