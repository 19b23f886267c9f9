/** Where the report fonts are served (TTF with the glyphs reports need; DejaVu Sans by default). */
export interface ReportFontUrls {
  readonly regular: string;
  readonly bold?: string | undefined;
}

/** File names looked up under `fonts-base-url`. */
export const REPORT_FONT_FILES = { regular: 'DejaVuSans.ttf', bold: 'DejaVuSans-Bold.ttf' } as const;

/** The font URLs under a base URL (resolved against the page by fetch). */
export function reportFontUrls(baseUrl: string): ReportFontUrls {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return { regular: `${base}${REPORT_FONT_FILES.regular}`, bold: `${base}${REPORT_FONT_FILES.bold}` };
}
