import { buildReport, CairnError, type Explanation, issue, type Manifest, type Prediction, type ReportMessages } from '@cairn/core';
import type { ReportFontUrls } from './report-fonts.js';

/** What a PDF report is made of. */
export interface PdfReportInput {
  readonly prediction: Prediction;
  readonly explanation: Explanation | null;
  readonly manifest: Manifest;
  readonly modelSha256: string;
  readonly narrative?: readonly string[] | undefined;
}

/** Options of {@link createPdfReport}. */
export interface PdfReportOptions {
  readonly fonts: ReportFontUrls;
  readonly institution?: string | undefined;
  readonly messages?: Partial<ReportMessages> | undefined;
  readonly language?: string | undefined;
  /** @defaultValue globalThis.fetch */
  readonly fetch?: typeof fetch;
}

async function fontBytes(f: typeof fetch, url: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await f(url);
  } catch (cause) {
    throw new CairnError('not_found', `the report font ${url} could not be downloaded`, {
      cause,
      issues: [issue(['fonts-base-url'], 'invalid', 'network error')],
    });
  }
  if (!response.ok) {
    throw new CairnError('not_found', `the report font ${url} could not be downloaded: HTTP ${response.status}`, {
      issues: [issue(['fonts-base-url'], 'invalid', `HTTP ${response.status}`)],
    });
  }
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * Builds the report with @cairn/core and renders it as PDF in the page; pdf-lib is loaded here,
 * on first use, so it stays out of the widget's initial JavaScript.
 */
export async function createPdfReport(input: PdfReportInput, options: PdfReportOptions): Promise<Uint8Array> {
  const f = options.fetch ?? globalThis.fetch;
  const [pdf, regular, bold] = await Promise.all([
    import('@cairn/core/pdf'),
    fontBytes(f, options.fonts.regular),
    options.fonts.bold ? fontBytes(f, options.fonts.bold) : Promise.resolve(undefined),
  ]);
  const report = buildReport(
    {
      prediction: input.prediction,
      bundle: { manifest: input.manifest, modelSha256: input.modelSha256 },
      ...(input.explanation ? { explanation: input.explanation } : {}),
      ...(input.narrative ? { narrative: input.narrative } : {}),
    },
    {
      ...(options.institution ? { institution: options.institution } : {}),
      ...(options.messages ? { messages: options.messages } : {}),
      ...(options.language ? { language: options.language } : {}),
    },
  );
  return pdf.renderReportPdf(report, { fonts: bold ? { regular, bold } : { regular } });
}

/** Offers bytes to the user as a file download. */
export function saveFile(bytes: Uint8Array, fileName: string, type = 'application/pdf'): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  // A detached anchor downloads as well, and leaves the host page's DOM untouched.
  a.click();
  // Revoking at once can cancel the download in some browsers.
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}
