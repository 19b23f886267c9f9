import {
  type Bundle,
  type BundleFiles,
  createPredictor as createCorePredictor,
  type LoadBundleOptions,
  loadBundle as loadCoreBundle,
  type Predictor,
  type PredictorOptions,
} from '@cairn/core';
import { readBundleFiles } from './files.js';
import { nodeRuntime } from './runtime.js';

export * from '@cairn/core';
export type { CliIO } from './cli/io.js';
export { registerCommands, runCli } from './cli/main.js';
export { readBundleFiles, writeBundleFiles } from './files.js';
export { readPrivateKey, readTrustedKeys, signatureAlgorithmFor } from './keys.js';
export { nodeRuntime } from './runtime.js';
export { VERSION } from './version.js';

/**
 * Loads a bundle from a folder or `.cairn` archive path (or from files already in memory).
 *
 * @example
 * ```ts
 * const bundle = await loadBundle('bundles/heart');
 * const predictor = await createPredictor(bundle);
 * const p = await predictor.predict({ age: 63, sex: 'male', ... });
 * ```
 */
export async function loadBundle(source: string | BundleFiles, options?: LoadBundleOptions): Promise<Bundle> {
  const files = typeof source === 'string' ? await readBundleFiles(source) : source;
  return loadCoreBundle(files, options);
}

/** Creates a predictor on onnxruntime-node (other options as in @cairn/core). */
export function createPredictor(bundle: Bundle, options: Partial<PredictorOptions> = {}): Promise<Predictor> {
  return createCorePredictor(bundle, { ...options, runtime: options.runtime ?? nodeRuntime });
}
export type { PdfOptions, ReportFonts } from '@cairn/core/pdf';
export { renderReportPdf } from '@cairn/core/pdf';
export { loadReportFonts } from './fonts.js';
