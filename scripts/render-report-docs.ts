/**
 * Regenerates docs/report-page1.png: trains the heart-disease example, builds the report for its
 * sample patient and renders page one with pdftoppm (Debian's poppler-utils).
 * Run: npx tsx --conditions=@cairn/source scripts/render-report-docs.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReport, loadBundle, loadReportFonts, narrate, renderReportPdf } from '@cairn/node';
import { main } from '../examples/heart-disease/train.js';

const dir = mkdtempSync(join(tmpdir(), 'cairn-docs-'));
const out = join(dir, 'bundle');
const { prediction, explanation } = await main(out, () => {});
const bundle = await loadBundle(out);
const report = buildReport(
  { prediction, bundle, explanation, narrative: narrate(explanation).sentences },
  { institution: 'Hôpital Saint-Éloi · Cardiologie', now: new Date('2026-11-23T09:00:00Z') },
);
const pdf = join(dir, 'report.pdf');
writeFileSync(pdf, await renderReportPdf(report, { fonts: await loadReportFonts() }));
execFileSync('pdftoppm', ['-png', '-r', '80', '-f', '1', '-l', '1', '-singlefile', pdf, join(dir, 'page')]);
renameSync(join(dir, 'page.png'), join(import.meta.dirname, '../docs/report-page1.png'));
console.log('wrote docs/report-page1.png');
