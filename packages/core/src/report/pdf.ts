import fontkit from '@pdf-lib/fontkit';
import { PDFDocument, type PDFFont, type PDFImage, type PDFPage, rgb } from 'pdf-lib';
import { CairnError, invalidArgument } from '../errors.js';
import type { Report, ReportSection } from './types.js';

/** Font files (TTF, OTF or WOFF) embedded and subset into the PDF. */
export interface ReportFonts {
  readonly regular: Uint8Array;
  readonly bold?: Uint8Array;
}

/** Options of {@link renderReportPdf}. */
export interface PdfOptions {
  /**
   * Fonts with the glyphs the report needs (accents, µ, ≥ …). In Node, `loadReportFonts()`
   * from @cairn/node gives DejaVu Sans; in a browser, fetch the font files you serve.
   */
  fonts: ReportFonts;
  /** @defaultValue 'A4' */
  pageSize?: 'A4' | 'Letter';
}

const SIZES = { A4: [595.28, 841.89], Letter: [612, 792] } as const;
const MARGIN = 48;
const INK = rgb(0.13, 0.15, 0.18);
const MUTED = rgb(0.38, 0.42, 0.47);
const RULE = rgb(0.82, 0.84, 0.87);
const UP = rgb(0.77, 0.19, 0.16);
const DOWN = rgb(0.13, 0.42, 0.7);

/** Colour of band `index` of `count`, from green through amber to red. */
function bandColor(index: number, count: number) {
  const t = count <= 1 ? 1 : index / (count - 1);
  return t < 0.5 ? rgb(0.18 + t * 1.4, 0.6, 0.25) : rgb(0.88, 0.6 - (t - 0.5) * 0.9, 0.2 - (t - 0.5) * 0.2);
}

interface Fonts {
  regular: PDFFont;
  bold: PDFFont;
  chars: Set<number>;
}

// OpenType shaping (ligatures, kerning, mark positioning) costs ~0.5 ms per string with fontkit
// and pdf-lib does not apply kerning anyway; report text is NFC-normalised, so accented letters
// are single code points and need no shaping.
const NO_SHAPING = { liga: false, kern: false, calt: false, clig: false, mark: false, mkmk: false, ccmp: false, locl: false, rlig: false };

const advanceCache = new WeakMap<PDFFont, Map<string, number>>();

/** Width of text at a size, from memoised per-character advances (no shaping, so they add up). */
function measure(font: PDFFont, text: string, size: number): number {
  let cache = advanceCache.get(font);
  if (!cache) {
    cache = new Map();
    advanceCache.set(font, cache);
  }
  let width = 0;
  for (const ch of text) {
    let w = cache.get(ch);
    if (w === undefined) {
      w = font.widthOfTextAtSize(ch, 1);
      cache.set(ch, w);
    }
    width += w;
  }
  return width * size;
}

/** Lays text out on pages, breaking pages as needed. */
class Layout {
  page!: PDFPage;
  y = 0;
  readonly pages: PDFPage[] = [];
  readonly width: number;

  constructor(
    readonly doc: PDFDocument,
    readonly size: readonly [number, number],
    readonly fonts: Fonts,
  ) {
    this.width = size[0] - 2 * MARGIN;
    this.newPage();
  }

  newPage(): void {
    this.page = this.doc.addPage([this.size[0], this.size[1]]);
    this.pages.push(this.page);
    this.y = this.size[1] - MARGIN;
  }

  /** Makes room for `height` points, starting a new page when the current one is full. */
  need(height: number): void {
    if (this.y - height < MARGIN + 28) this.newPage();
  }

  /** Replaces characters the font cannot draw, so nothing renders as a blank box or throws. */
  safe(text: string): string {
    let out = '';
    for (const ch of text.normalize('NFC')) {
      const code = ch.codePointAt(0) as number;
      out += code === 10 || this.fonts.chars.has(code) ? ch : '?';
    }
    return out;
  }

  /** Splits text into lines that fit `width` (long words are broken). */
  wrap(text: string, font: PDFFont, size: number, width: number): string[] {
    const lines: string[] = [];
    for (const paragraph of this.safe(text).split('\n')) {
      let line = '';
      for (const word of paragraph.split(/\s+/).filter(Boolean)) {
        let w = word;
        while (measure(font, w, size) > width) {
          // Longest prefix that fits, by binary search (a pasted identifier can be thousands of characters).
          let lo = 1;
          let hi = w.length - 1;
          while (lo < hi) {
            const mid = (lo + hi + 1) >> 1;
            if (measure(font, w.slice(0, mid), size) <= width) lo = mid;
            else hi = mid - 1;
          }
          const cut = lo;
          if (line) {
            lines.push(line);
            line = '';
          }
          lines.push(w.slice(0, cut));
          w = w.slice(cut);
        }
        const next = line ? `${line} ${w}` : w;
        if (measure(font, next, size) <= width) line = next;
        else {
          lines.push(line);
          line = w;
        }
      }
      lines.push(line);
    }
    return lines;
  }

  text(
    text: string,
    options: { size?: number; bold?: boolean; color?: ReturnType<typeof rgb>; x?: number; width?: number; gap?: number } = {},
  ): void {
    const size = options.size ?? 9.5;
    const font = options.bold ? this.fonts.bold : this.fonts.regular;
    const x = MARGIN + (options.x ?? 0);
    const lineHeight = size * 1.35;
    for (const line of this.wrap(text, font, size, options.width ?? this.width - (options.x ?? 0))) {
      this.need(lineHeight);
      this.y -= lineHeight;
      this.page.drawText(line, { x, y: this.y + size * 0.3, size, font, color: options.color ?? INK });
    }
    this.y -= options.gap ?? 0;
  }

  heading(title: string): void {
    this.need(40);
    this.y -= 12;
    this.text(title, { size: 12, bold: true, gap: 2 });
    this.page.drawLine({ start: { x: MARGIN, y: this.y }, end: { x: MARGIN + this.width, y: this.y }, thickness: 0.6, color: RULE });
    this.y -= 6;
  }
}

function drawSection(l: Layout, s: ReportSection, logo: PDFImage | undefined): void {
  switch (s.kind) {
    case 'header': {
      const top = l.y;
      if (logo) {
        const h = 36;
        const w = Math.min(140, (logo.width / logo.height) * h);
        l.page.drawImage(logo, { x: MARGIN + l.width - w, y: top - h, width: w, height: h });
      }
      const textWidth = l.width - (logo ? 150 : 0);
      if (s.institution) l.text(s.institution, { size: 10, color: MUTED, width: textWidth });
      l.text(s.title, { size: 18, bold: true, width: textWidth, gap: 2 });
      l.text(s.subtitle, { size: 10, color: MUTED, width: textWidth });
      l.y = Math.min(l.y, top - 40) - 8;
      return;
    }
    case 'result': {
      l.heading(s.title);
      l.need(64);
      const color = bandColor(s.band.index, s.band.count);
      const boxTop = l.y;
      l.page.drawRectangle({ x: MARGIN, y: boxTop - 56, width: 6, height: 56, color });
      l.page.drawText(l.safe(s.probabilityText), { x: MARGIN + 16, y: boxTop - 34, size: 28, font: l.fonts.bold, color: INK });
      const pw = measure(l.fonts.bold, l.safe(s.probabilityText), 28);
      l.page.drawText(l.safe(s.band.label), { x: MARGIN + 28 + pw, y: boxTop - 30, size: 14, font: l.fonts.bold, color });
      l.y = boxTop - 42;
      l.text(s.meaning, { x: 16, size: 9.5, color: MUTED });
      l.y = Math.min(l.y, boxTop - 60);
      return;
    }
    case 'inputs': {
      l.heading(s.title);
      const cols = [0, l.width * 0.36, l.width * 0.62, l.width * 0.72];
      for (const row of s.rows) {
        const labelLines = l.wrap(row.label, l.fonts.regular, 9.5, cols[1]! - 8);
        const valueLines = l.wrap(row.value, l.fonts.bold, 9.5, cols[2]! - cols[1]! - 8);
        const noteLines = row.note ? l.wrap(row.note, l.fonts.regular, 8.5, l.width - cols[3]!) : [];
        const lines = Math.max(labelLines.length, valueLines.length, noteLines.length, 1);
        const h = lines * 12.8 + 3;
        l.need(h);
        const y0 = l.y;
        const put = (ls: string[], x: number, font: PDFFont, size: number, color = INK) =>
          ls.forEach((t, i) => {
            l.page.drawText(t, { x: MARGIN + x, y: y0 - 10 - i * 12.8, size, font, color });
          });
        put(labelLines, cols[0]!, l.fonts.regular, 9.5);
        put(valueLines, cols[1]!, l.fonts.bold, 9.5);
        put(l.wrap(row.unit, l.fonts.regular, 9, cols[3]! - cols[2]! - 6), cols[2]!, l.fonts.regular, 9, MUTED);
        put(noteLines, cols[3]!, l.fonts.regular, 8.5, row.flag === 'implausible' ? UP : MUTED);
        l.y = y0 - h;
        l.page.drawLine({ start: { x: MARGIN, y: l.y + 1 }, end: { x: MARGIN + l.width, y: l.y + 1 }, thickness: 0.3, color: RULE });
      }
      return;
    }
    case 'contributions': {
      l.heading(s.title);
      const labelW = l.width * 0.38;
      const chartW = l.width - labelW - 8;
      const mid = MARGIN + labelW + 8 + chartW / 2;
      const max = Math.max(...s.bars.map((b) => Math.abs(b.contribution)), 1e-12);
      const half = chartW / 2 - 44;
      // The zero axis is drawn per row, so it spans the chart across page breaks and wrapped labels.
      for (const bar of s.bars) {
        const label = l.wrap(bar.valueText ? `${bar.label} = ${bar.valueText}` : bar.label, l.fonts.regular, 9, labelW);
        const h = Math.max(16, label.length * 11.5 + 4);
        l.need(h);
        const y0 = l.y;
        label.forEach((t, i) => {
          l.page.drawText(t, { x: MARGIN, y: y0 - 11 - i * 11.5, size: 9, font: l.fonts.regular, color: INK });
        });
        const len = (Math.abs(bar.contribution) / max) * half;
        const up = bar.contribution >= 0;
        l.page.drawRectangle({ x: up ? mid : mid - len, y: y0 - 13, width: Math.max(len, 0.5), height: 10, color: up ? UP : DOWN });
        const value = `${up ? '+' : '−'}${Math.abs(bar.contribution).toFixed(3)}`;
        const vw = measure(l.fonts.regular, value, 8);
        l.page.drawText(value, { x: up ? mid + len + 3 : mid - len - 3 - vw, y: y0 - 11, size: 8, font: l.fonts.regular, color: MUTED });
        l.page.drawLine({ start: { x: mid, y: y0 }, end: { x: mid, y: y0 - h }, thickness: 0.5, color: MUTED });
        l.y = y0 - h;
      }
      l.y -= 4;
      l.text(s.caption, { size: 8, color: MUTED });
      return;
    }
    case 'text': {
      l.heading(s.title);
      for (const p of s.paragraphs) l.text(p, { gap: 4 });
      for (const b of s.bullets ?? []) l.text(`• ${b}`, { x: 8, gap: 1 });
      return;
    }
    case 'model-card': {
      l.heading(s.title);
      for (const f of s.facts) {
        l.text(f.label, { bold: true, size: 9 });
        l.text(f.text, { gap: 4 });
      }
      l.text(s.limitationsTitle, { bold: true, size: 9 });
      for (const x of s.limitations) l.text(`• ${x}`, { x: 8, gap: 1 });
      l.y -= 3;
      l.text(s.metricsTitle, { bold: true, size: 9 });
      for (const x of s.metrics) l.text(`${x.name}: ${x.text}`, { x: 8, gap: 1 });
      if (s.noMetrics) l.text(s.noMetrics, { x: 8, color: MUTED });
      return;
    }
    case 'table': {
      l.heading(s.title);
      l.text(s.columns.join('  |  '), { bold: true, size: 9 });
      for (const row of s.rows) l.text(row.join('  |  '), { size: 9 });
      return;
    }
    case 'unavailable': {
      l.heading(s.title);
      l.text(s.reason, { color: MUTED });
      return;
    }
  }
}

/**
 * Renders a report as a PDF in memory (pdf-lib; Node and browsers, no temporary files):
 * vector chart, wrapped text, page breaks, embedded subset fonts, document metadata.
 */
export async function renderReportPdf(report: Report, options: PdfOptions): Promise<Uint8Array> {
  if (!options?.fonts?.regular) throw invalidArgument('options.fonts.regular', 'a font file (TTF, OTF or WOFF) is required');
  const size = SIZES[options.pageSize ?? 'A4'];
  if (!size) throw invalidArgument('options.pageSize', "must be 'A4' or 'Letter'");
  const doc = await PDFDocument.create();
  doc.registerFontkit(fontkit);
  let regular: PDFFont;
  let bold: PDFFont;
  try {
    regular = await doc.embedFont(options.fonts.regular, { subset: true, features: NO_SHAPING });
    bold = options.fonts.bold ? await doc.embedFont(options.fonts.bold, { subset: true, features: NO_SHAPING }) : regular;
  } catch (cause) {
    throw new CairnError(
      'invalid_argument',
      `options.fonts: not a usable font file (${cause instanceof Error ? cause.message : String(cause)})`,
      { cause },
    );
  }
  const chars = new Set(regular.getCharacterSet());

  const header = report.sections.find((s) => s.kind === 'header');
  let logo: PDFImage | undefined;
  let sections = report.sections;
  if (header?.kind === 'header' && header.logo) {
    try {
      logo = header.logo.type === 'image/png' ? await doc.embedPng(header.logo.bytes) : await doc.embedJpg(header.logo.bytes);
    } catch {
      // A broken logo must not cost the clinician the report: leave it out and say so.
      sections = sections.map((s) =>
        s.kind === 'header' ? { ...s, logo: undefined, institution: `${s.institution}${s.institution ? ' · ' : ''}(logo unavailable)` } : s,
      );
    }
  }

  const layout = new Layout(doc, size, { regular, bold, chars });
  for (const s of sections) drawSection(layout, s, logo);

  const pages = layout.pages.length;
  layout.pages.forEach((page, i) => {
    const footer = layout.wrap(report.footer, regular, 7, layout.width - 70);
    footer.forEach((line, k) => {
      page.drawText(line, { x: MARGIN, y: MARGIN - 8 - k * 9, size: 7, font: regular, color: MUTED });
    });
    const label = layout.safe(report.pageLabel(i + 1, pages));
    page.drawText(label, {
      x: MARGIN + layout.width - measure(regular, label, 7),
      y: MARGIN - 8,
      size: 7,
      font: regular,
      color: MUTED,
    });
  });

  const when = new Date(report.generatedAt);
  doc.setTitle(layout.safe(report.title));
  doc.setSubject(layout.safe(report.subject));
  doc.setAuthor('Cairn');
  doc.setCreator(`Cairn (${report.modelId} ${report.modelVersion})`);
  doc.setProducer('Cairn report renderer (pdf-lib)');
  doc.setLanguage(report.language);
  doc.setKeywords(['clinical decision support', report.modelId, report.modelVersion]);
  if (!Number.isNaN(when.getTime())) {
    doc.setCreationDate(when);
    doc.setModificationDate(when);
  }
  return doc.save({ useObjectStreams: true });
}
