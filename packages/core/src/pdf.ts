// Subpath entry `@cairn/core/pdf`: keeps pdf-lib out of bundles that only predict.
export type { PdfOptions, ReportFonts } from './report/pdf.js';
export { renderReportPdf } from './report/pdf.js';
