import {
  type Bundle,
  CairnError,
  createExplainer,
  createPredictor,
  type Explainer,
  isCairnError,
  issue,
  loadBundle,
  readBundleArchive,
} from '@cairn/core';
import { loadOrt, type OrtSettings } from '../ort-runtime.js';
import type { PredictionEngine } from './types.js';

/** Options of {@link fetchBundle}. */
export interface FetchBundleOptions {
  /** @defaultValue globalThis.fetch */
  readonly fetch?: typeof fetch;
  readonly signal?: AbortSignal;
}

function looksLikeJson(bytes: Uint8Array, contentType: string | null): boolean {
  if (contentType?.includes('json')) return true;
  for (const b of bytes.subarray(0, 64)) {
    if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09 || b === 0xef || b === 0xbb || b === 0xbf) continue;
    return b === 0x7b || b === 0x5b;
  }
  return false;
}

/** Downloads a `.cairn` archive and loads it with @cairn/core (hash, manifest and graph checks). */
export async function fetchBundle(url: string, options: FetchBundleOptions = {}): Promise<Bundle> {
  const f = options.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await f(url, options.signal ? { signal: options.signal } : {});
  } catch (cause) {
    if (options.signal?.aborted) throw new CairnError('cancelled', 'loading the bundle was cancelled', { cause });
    throw new CairnError(
      'unavailable',
      `the bundle at ${url} could not be downloaded (${cause instanceof Error ? cause.message : String(cause)})`,
      {
        cause,
        issues: [issue(['bundle-url'], 'invalid', 'network error')],
      },
    );
  }
  if (!response.ok) {
    throw new CairnError(
      response.status === 404 || response.status === 410 ? 'not_found' : 'invalid_bundle',
      `the bundle at ${url} could not be downloaded: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`,
      { issues: [issue(['bundle-url'], 'invalid', `HTTP ${response.status}`)] },
    );
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (looksLikeJson(bytes, response.headers.get('content-type'))) {
    throw new CairnError('invalid_bundle', `${url} is JSON, not a .cairn archive (a zip holding cairn.json and model.onnx)`, {
      issues: [issue(['bundle-url'], 'format', 'expected a .cairn archive')],
    });
  }
  return loadBundle(readBundleArchive(bytes));
}

/** Starts onnxruntime-web on a loaded bundle: a predictor, and an explainer when the model can be explained. */
export async function startLocalEngine(bundle: Bundle, settings: OrtSettings = {}): Promise<PredictionEngine> {
  const runtime = await loadOrt(settings);
  const predictor = await createPredictor(bundle, { runtime, unknownFields: 'ignore' });
  let explainer: Explainer | undefined;
  try {
    explainer = await createExplainer(bundle, { runtime });
  } catch (error) {
    // A model without an explanation still predicts; the chart says the factors are unavailable.
    if (!isCairnError(error) || (error.code !== 'unsupported' && error.code !== 'invalid_argument')) {
      await predictor.release().catch(() => undefined);
      throw error;
    }
  }
  return {
    source: 'bundle',
    manifest: bundle.manifest,
    modelSha256: bundle.modelSha256,
    fhirMapping: bundle.fhirMapping,
    validate: (record) => predictor.validate(record),
    async predict(record) {
      const prediction = await predictor.predict(record);
      const explanation = explainer ? await explainer.explain(prediction.values) : null;
      return { prediction, explanation };
    },
    async release() {
      await Promise.all([predictor.release(), explainer?.release()]);
    },
  };
}
