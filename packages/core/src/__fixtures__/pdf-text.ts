import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReportFonts } from '@cairn/core/pdf';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';

const fontDir = join(import.meta.dirname, '../../../../node_modules/dejavu-fonts-ttf/ttf');

/** DejaVu Sans regular and bold, as the Node runtime ships them. */
export function testFonts(): ReportFonts {
  return {
    regular: new Uint8Array(readFileSync(join(fontDir, 'DejaVuSans.ttf'))),
    bold: new Uint8Array(readFileSync(join(fontDir, 'DejaVuSans-Bold.ttf'))),
  };
}

/** Reads a PDF back with pdf.js: text per page (lines joined by newlines) and the document info. */
export async function readPdf(bytes: Uint8Array): Promise<{ pages: string[]; info: Record<string, unknown> }> {
  const doc = await getDocument({ data: bytes.slice(), useSystemFonts: false, isEvalSupported: false }).promise;
  const pages: string[] = [];
  for (let i = 1; i <= doc.numPages; i++) {
    const content = await (await doc.getPage(i)).getTextContent();
    let text = '';
    let lastY: number | undefined;
    for (const item of content.items) {
      if (!('str' in item)) continue;
      const y = item.transform[5] as number;
      if (lastY !== undefined && Math.abs(y - lastY) > 2) text += '\n';
      else if (text && !text.endsWith(' ')) text += ' ';
      text += item.str;
      lastY = y;
    }
    pages.push(text);
  }
  const meta = await doc.getMetadata();
  await doc.destroy();
  return { pages, info: meta.info as Record<string, unknown> };
}
