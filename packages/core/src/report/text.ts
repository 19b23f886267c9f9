import { formatNumber } from './build.js';
import type { Report } from './types.js';

/** Renders a report as plain text, for pasting into an EHR note. */
export function renderReportText(report: Report, options: { width?: number } = {}): string {
  const width = options.width ?? 80;
  const out: string[] = [];
  const wrap = (text: string, indent = '') => {
    let line = indent;
    for (const word of text.split(/\s+/).filter(Boolean)) {
      if (line.trim() && line.length + word.length + 1 > width) {
        out.push(line.trimEnd());
        line = indent;
      }
      line += `${word} `;
    }
    if (line.trim()) out.push(line.trimEnd());
  };
  const heading = (title: string) => {
    out.push('', title.toUpperCase());
  };
  for (const s of report.sections) {
    switch (s.kind) {
      case 'header':
        if (s.institution) out.push(s.institution);
        out.push(s.title, s.subtitle);
        break;
      case 'result':
        heading(s.title);
        out.push(`${s.probabilityText} — ${s.band.label}`);
        wrap(s.meaning);
        break;
      case 'inputs': {
        heading(s.title);
        const w = Math.min(36, Math.max(...s.rows.map((r) => r.label.length)));
        for (const r of s.rows) out.push(`${r.label.padEnd(w)}  ${r.value}${r.unit ? ` ${r.unit}` : ''}${r.note ? `  [${r.note}]` : ''}`);
        break;
      }
      case 'contributions':
        heading(s.title);
        for (const b of s.bars)
          out.push(
            `${b.contribution >= 0 ? '+' : '-'}${formatNumber(Math.abs(b.contribution)).padEnd(7)} ${b.label}${b.valueText ? ` = ${b.valueText}` : ''}`,
          );
        wrap(s.caption);
        break;
      case 'text':
        heading(s.title);
        for (const p of s.paragraphs) wrap(p);
        for (const b of s.bullets ?? []) wrap(b, '  - ');
        break;
      case 'model-card':
        heading(s.title);
        for (const f of s.facts) wrap(`${f.label}: ${f.text}`);
        out.push(`${s.limitationsTitle}:`);
        for (const l of s.limitations) wrap(l, '  - ');
        out.push(`${s.metricsTitle}:`);
        for (const x of s.metrics) out.push(`  - ${x.name}: ${x.text}`);
        if (s.noMetrics) wrap(s.noMetrics, '  ');
        break;
      case 'table':
        heading(s.title);
        out.push(s.columns.join(' | '));
        for (const r of s.rows) out.push(r.join(' | '));
        break;
      case 'unavailable':
        heading(s.title);
        wrap(s.reason);
        break;
    }
  }
  out.push('', report.footer);
  return `${out.join('\n').trim()}\n`;
}
