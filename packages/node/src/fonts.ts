import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { ReportFonts } from '@cairn/core/pdf';

const require = createRequire(import.meta.url);
let cached: Promise<ReportFonts> | undefined;

/** DejaVu Sans (regular and bold TTF, from dejavu-fonts-ttf) for PDF reports: Latin with accents, Greek, Cyrillic, µ, ≥ and more. */
export function loadReportFonts(): Promise<ReportFonts> {
  cached ??= (async () => {
    const dir = require.resolve('dejavu-fonts-ttf/package.json').replace(/package\.json$/, 'ttf/');
    const [regular, bold] = await Promise.all([readFile(`${dir}DejaVuSans.ttf`), readFile(`${dir}DejaVuSans-Bold.ttf`)]);
    return { regular: new Uint8Array(regular), bold: new Uint8Array(bold) };
  })();
  return cached;
}
