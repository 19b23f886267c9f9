import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import {
  buildReport,
  CairnError,
  createExplainer,
  createPredictor,
  type Explanation,
  type LoadBundleOptions,
  loadBundle,
  narrate,
  type ReportImage,
  renderReportHtml,
  renderReportText,
} from '@cairn/core';
import { renderReportPdf } from '@cairn/core/pdf';
import { readBundleFiles } from '../files.js';
import { loadReportFonts } from '../fonts.js';
import { nodeRuntime } from '../runtime.js';
import type { CliIO } from './io.js';

/** Options of `cairn report`. */
export interface ReportCommandOptions {
  bundle: string;
  input: string;
  out: string;
  format?: 'pdf' | 'html' | 'text';
  institution?: string;
  logo?: string;
  pageSize: 'A4' | 'Letter';
  load: LoadBundleOptions;
}

/** `cairn report` */
export async function reportCommand(io: CliIO, options: ReportCommandOptions): Promise<void> {
  const format = options.format ?? (/\.html?$/i.test(options.out) ? 'html' : /\.txt$/i.test(options.out) ? 'text' : 'pdf');
  let patient: unknown;
  try {
    patient = JSON.parse(await readFile(resolve(io.cwd, options.input), 'utf8'));
  } catch (cause) {
    throw new CairnError('invalid_input', `--input: cannot read ${options.input} as one patient's JSON (${(cause as Error).message})`, {
      cause,
    });
  }
  let logo: ReportImage | undefined;
  if (options.logo) {
    const bytes = await readFile(resolve(io.cwd, options.logo)).catch((cause) => {
      throw new CairnError('not_found', `--logo: cannot read ${options.logo}`, { cause });
    });
    logo = { bytes: new Uint8Array(bytes), type: /\.jpe?g$/i.test(options.logo) ? 'image/jpeg' : 'image/png' };
  }
  const bundle = await loadBundle(await readBundleFiles(resolve(io.cwd, options.bundle)), options.load);
  const predictor = await createPredictor(bundle, { runtime: nodeRuntime });
  let explanation: Explanation | undefined;
  try {
    const prediction = await predictor.predict(patient);
    try {
      const explainer = await createExplainer(bundle, { runtime: nodeRuntime });
      explanation = await explainer.explain(prediction.values);
      await explainer.release();
    } catch (error) {
      // The report still goes out, with the chart marked unavailable and the reason on stderr.
      io.stderr.write(`warning: no explanation for this report (${error instanceof Error ? error.message : String(error)})\n`);
    }
    const report = buildReport(
      { prediction, bundle, ...(explanation ? { explanation, narrative: narrate(explanation).sentences } : {}) },
      { ...(options.institution ? { institution: options.institution } : {}), ...(logo ? { logo } : {}) },
    );
    const content =
      format === 'pdf'
        ? await renderReportPdf(report, { fonts: await loadReportFonts(), pageSize: options.pageSize })
        : format === 'html'
          ? renderReportHtml(report, { document: true })
          : renderReportText(report);
    const path = resolve(io.cwd, options.out);
    const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
    try {
      await writeFile(temp, content);
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    io.stdout.write(
      `Wrote ${options.out} (${format}): ${Math.round(prediction.probability * 100)}% ${prediction.band.label}, ${bundle.manifest.id} ${bundle.manifest.version}.\n`,
    );
  } finally {
    await predictor.release();
  }
}
