import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CairnError, createExplainer, createPredictor, type LoadBundleOptions, loadBundle } from '@cairn/core';
import { buildRiskAssessment, createUcumConverter, extractFeatures, parseMapping } from '@cairn/fhir-adapter';
import { readBundleFiles } from '../files.js';
import { nodeRuntime } from '../runtime.js';
import type { CliIO } from './io.js';

/** Options of `cairn fhir features` and `cairn fhir assess`. */
export interface FhirCommandOptions {
  bundle: string;
  fhir: string;
  mapping?: string;
  asOf?: string;
  patient?: string;
  load: LoadBundleOptions;
}

async function readJson(io: CliIO, path: string, what: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(resolve(io.cwd, path), 'utf8'));
  } catch (cause) {
    throw new CairnError('invalid_input', `${what}: cannot read ${path} as JSON (${(cause as Error).message})`, { cause });
  }
}

async function extract(io: CliIO, options: FhirCommandOptions) {
  const bundle = await loadBundle(await readBundleFiles(resolve(io.cwd, options.bundle)), options.load);
  const rawMapping = options.mapping ? await readJson(io, options.mapping, '--mapping') : bundle.fhirMapping;
  if (rawMapping === undefined) {
    throw new CairnError('invalid_argument', `${options.bundle} has no fhir-mapping.json: give --mapping`);
  }
  const mapping = parseMapping(rawMapping, bundle.manifest.features);
  const resources = await readJson(io, options.fhir, '--fhir');
  const extraction = extractFeatures(resources, mapping, {
    features: bundle.manifest.features,
    ...(options.asOf ? { asOf: options.asOf } : {}),
    ...(options.patient ? { patientId: options.patient } : {}),
  });
  return { bundle, extraction };
}

/** `cairn fhir features`: the feature record, per-feature provenance and the missing list. */
export async function fhirFeaturesCommand(io: CliIO, options: FhirCommandOptions): Promise<void> {
  const { extraction } = await extract(io, options);
  io.stdout.write(`${JSON.stringify(extraction, null, 2)}\n`);
}

/** `cairn fhir assess`: features, the prediction with its explanation, and a validated RiskAssessment. */
export async function fhirAssessCommand(io: CliIO, options: FhirCommandOptions): Promise<void> {
  const { bundle, extraction } = await extract(io, options);
  const predictor = await createPredictor(bundle, { runtime: nodeRuntime, convertUnit: createUcumConverter() });
  try {
    const prediction = await predictor.predict(extraction.record);
    let explanation: Awaited<ReturnType<Awaited<ReturnType<typeof createExplainer>>['explain']>> | undefined;
    try {
      const explainer = await createExplainer(bundle, { runtime: nodeRuntime });
      explanation = await explainer.explain(prediction.values);
      await explainer.release();
    } catch (error) {
      io.stderr.write(`warning: no explanation (${error instanceof Error ? error.message : String(error)})\n`);
    }
    const riskAssessment = await buildRiskAssessment({
      prediction,
      extraction,
      modelName: bundle.manifest.name,
      ...(explanation ? { explanation } : {}),
    });
    const { values: _values, ...rest } = prediction;
    io.stdout.write(`${JSON.stringify({ ...extraction, prediction: rest, explanation, riskAssessment }, null, 2)}\n`);
  } finally {
    await predictor.release();
  }
}
