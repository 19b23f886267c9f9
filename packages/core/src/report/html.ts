import { formatNumber } from './build.js';
import type { Report, ReportSection } from './types.js';

/** Options of {@link renderReportHtml}. */
export interface HtmlOptions {
  /**
   * Put styles on each element (for printing, email, or pasting into another page)
   * instead of one `<style>` block with `cairn-report` classes.
   * @defaultValue false
   */
  inlineStyles?: boolean;
  /** Return a whole document (`<!doctype html>…`) rather than a fragment. @defaultValue false */
  document?: boolean;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

const STYLES: Record<string, string> = {
  report:
    'font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#21262e;max-width:760px;line-height:1.4;font-size:14px',
  muted: 'color:#616b78',
  h1: 'font-size:22px;margin:2px 0',
  h2: 'font-size:16px;margin:18px 0 6px;padding-bottom:3px;border-bottom:1px solid #d1d6dd',
  prob: 'font-size:34px;font-weight:700',
  band: 'font-size:17px;font-weight:700;margin-left:12px',
  table: 'border-collapse:collapse;width:100%',
  cell: 'text-align:left;padding:3px 8px 3px 0;border-bottom:1px solid #e4e7eb;vertical-align:top',
  flag: 'color:#c4302a',
  footer: 'margin-top:18px;font-size:11px;color:#616b78',
};

function bandColor(index: number, count: number): string {
  const t = count <= 1 ? 1 : index / (count - 1);
  return t < 0.34 ? '#2e9940' : t < 0.67 ? '#d99a21' : '#c4302a';
}

type Styler = (name: string) => string;

function chart(bars: ReadonlyArray<{ label: string; valueText: string; contribution: number }>): string {
  const rowH = 22;
  const labelW = 300;
  const chartW = 360;
  const mid = labelW + chartW / 2;
  const max = Math.max(...bars.map((b) => Math.abs(b.contribution)), 1e-12);
  const half = chartW / 2 - 50;
  const rows = bars.map((b, i) => {
    const y = i * rowH;
    const len = (Math.abs(b.contribution) / max) * half;
    const up = b.contribution >= 0;
    const label = escapeHtml(b.valueText ? `${b.label} = ${b.valueText}` : b.label);
    const value = `${up ? '+' : '−'}${Math.abs(b.contribution).toFixed(3)}`;
    return (
      `<g><text x="0" y="${y + 15}" font-size="12">${label.length > 48 ? `${label.slice(0, 47)}…` : label}</text>` +
      `<rect x="${up ? mid : mid - len}" y="${y + 5}" width="${Math.max(len, 0.5).toFixed(1)}" height="12" fill="${up ? '#c4302a' : '#216bb3'}"><title>${label}: ${value}</title></rect>` +
      `<text x="${up ? mid + len + 4 : mid - len - 4}" y="${y + 15}" font-size="11" fill="#616b78" text-anchor="${up ? 'start' : 'end'}">${value}</text></g>`
    );
  });
  const h = bars.length * rowH + 4;
  return `<svg role="img" aria-hidden="true" width="100%" viewBox="0 0 ${labelW + chartW} ${h}" xmlns="http://www.w3.org/2000/svg">${rows.join('')}<line x1="${mid}" y1="0" x2="${mid}" y2="${h}" stroke="#616b78" stroke-width="1"/></svg>`;
}

function section(s: ReportSection, st: Styler): string {
  const h2 = (title: string) => `<h2${st('h2')}>${escapeHtml(title)}</h2>`;
  switch (s.kind) {
    case 'header':
      return `<header>${s.institution ? `<div${st('muted')}>${escapeHtml(s.institution)}</div>` : ''}<h1${st('h1')}>${escapeHtml(s.title)}</h1><div${st('muted')}>${escapeHtml(s.subtitle)}</div></header>`;
    case 'result':
      return `<section>${h2(s.title)}<div><span${st('prob')}>${escapeHtml(s.probabilityText)}</span><span${st('band')} style="color:${bandColor(s.band.index, s.band.count)}">${escapeHtml(s.band.label)}</span></div><p${st('muted')}>${escapeHtml(s.meaning)}</p></section>`;
    case 'inputs':
      return `<section>${h2(s.title)}<table${st('table')}><tbody>${s.rows
        .map(
          (r) =>
            `<tr><th scope="row"${st('cell')}>${escapeHtml(r.label)}</th><td${st('cell')}><strong>${escapeHtml(r.value)}</strong></td><td${st('cell')}>${escapeHtml(r.unit)}</td><td${r.flag === 'implausible' ? st('flag') : st('muted')}>${escapeHtml(r.note ?? '')}</td></tr>`,
        )
        .join('')}</tbody></table></section>`;
    case 'contributions': {
      const list = s.bars
        .map(
          (b) =>
            `<li>${escapeHtml(b.valueText ? `${b.label} = ${b.valueText}` : b.label)}: ${b.contribution >= 0 ? '+' : '−'}${formatNumber(Math.abs(b.contribution))}</li>`,
        )
        .join('');
      return `<section>${h2(s.title)}<figure style="margin:0">${chart(s.bars)}<figcaption${st('muted')}>${escapeHtml(s.caption)}</figcaption></figure><ul class="cairn-report-sr" style="position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)">${list}</ul></section>`;
    }
    case 'text':
      return `<section>${h2(s.title)}${s.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('')}${s.bullets ? `<ul>${s.bullets.map((b) => `<li>${escapeHtml(b)}</li>`).join('')}</ul>` : ''}</section>`;
    case 'model-card':
      return `<section>${h2(s.title)}<dl>${s.facts.map((f) => `<dt><strong>${escapeHtml(f.label)}</strong></dt><dd>${escapeHtml(f.text)}</dd>`).join('')}</dl><strong>${escapeHtml(s.limitationsTitle)}</strong><ul>${s.limitations.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul><strong>${escapeHtml(s.metricsTitle)}</strong><ul>${s.metrics.map((x) => `<li>${escapeHtml(x.name)}: ${escapeHtml(x.text)}</li>`).join('')}</ul>${s.noMetrics ? `<p${st('muted')}>${escapeHtml(s.noMetrics)}</p>` : ''}</section>`;
    case 'table':
      return `<section>${h2(s.title)}<table${st('table')}><thead><tr>${s.columns.map((c) => `<th${st('cell')}>${escapeHtml(c)}</th>`).join('')}</tr></thead><tbody>${s.rows.map((r) => `<tr>${r.map((c) => `<td${st('cell')}>${escapeHtml(c)}</td>`).join('')}</tr>`).join('')}</tbody></table></section>`;
    case 'unavailable':
      return `<section>${h2(s.title)}<p${st('muted')}>${escapeHtml(s.reason)}</p></section>`;
  }
}

/** Renders a report as HTML (no DOM needed): a fragment with its styles, or a whole printable document. */
export function renderReportHtml(report: Report, options: HtmlOptions = {}): string {
  const inline = options.inlineStyles ?? false;
  const st: Styler = (name) => (inline ? ` style="${STYLES[name]}"` : ` class="cairn-report-${name}"`);
  const style = inline
    ? ''
    : `<style>${Object.entries(STYLES)
        .map(([k, v]) => `.cairn-report-${k}{${v}}`)
        .join('')}@media print{.cairn-report-report{max-width:none}}</style>`;
  const body = `<article${st('report')} lang="${escapeHtml(report.language)}" data-model-id="${escapeHtml(report.modelId)}" data-model-version="${escapeHtml(report.modelVersion)}">${report.sections
    .map((s) => section(s, st))
    .join('')}<footer${st('footer')}>${escapeHtml(report.footer)}</footer></article>`;
  if (!options.document) return `${style}${body}`;
  return `<!doctype html><html lang="${escapeHtml(report.language)}"><head><meta charset="utf-8"><title>${escapeHtml(report.title)}</title>${style}</head><body>${body}</body></html>`;
}
