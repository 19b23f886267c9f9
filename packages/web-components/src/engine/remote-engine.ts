import { createValidator } from '@cairn/core';
import { fetchModelInfo, type PredictApiOptions, requestPrediction } from '../predict-api.js';
import type { PredictionEngine } from './types.js';

/**
 * Connects to a Cairn server: reads the model's cairn.json (for the form and the card) and
 * scores through `POST …/predict`. Records are validated in the page first, and again by the server.
 */
export async function startRemoteEngine(endpoint: string, modelId: string, options: PredictApiOptions = {}): Promise<PredictionEngine> {
  const { manifest, fhirMapping } = await fetchModelInfo(endpoint, modelId, options);
  const validator = createValidator(manifest.features, { unknownFields: 'ignore' });
  return {
    source: 'endpoint',
    manifest,
    modelSha256: manifest.model.sha256,
    fhirMapping,
    validate: (record) => validator.validate(record),
    async predict(record) {
      const values = validator.parse(record).values;
      return requestPrediction(endpoint, modelId, values, options);
    },
    async release() {},
  };
}
