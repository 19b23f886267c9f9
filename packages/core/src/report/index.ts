export type { OptionalSectionId, ReportInput, ReportOptions } from './build.js';
export { buildReport, formatNumber } from './build.js';
export type { HtmlOptions } from './html.js';
export { escapeHtml, renderReportHtml } from './html.js';
export type { ReportMessages } from './messages.js';
export { defaultReportMessages } from './messages.js';
export { renderReportText } from './text.js';
export type {
  ContributionBar,
  ContributionsSection,
  HeaderSection,
  InputFlag,
  InputsSection,
  ModelCardSection,
  Report,
  ReportExplanation,
  ReportImage,
  ReportSection,
  ResultSection,
  TableSection,
  TextSection,
  UnavailableSection,
} from './types.js';
