import type { Explanation, Manifest, Prediction, ValidationResult } from '@cairn/core';
import type { PredictionSource } from '../events.js';

/** A model the widget can score with: a bundle run in the page, or a Cairn server. */
export interface PredictionEngine {
  readonly source: PredictionSource;
  readonly manifest: Manifest;
  /** SHA-256 of model.onnx (printed on reports). */
  readonly modelSha256: string;
  /** The bundle's fhir-mapping.json (parsed JSON), when it has one. */
  readonly fhirMapping: unknown;
  /** Validates a record with @cairn/core, without scoring it. */
  validate(record: unknown): ValidationResult;
  /** Validates and scores one patient; the explanation is null when the model cannot be explained. */
  predict(record: Readonly<Record<string, unknown>>): Promise<{ prediction: Prediction; explanation: Explanation | null }>;
  /** Frees the inference session. */
  release(): Promise<void>;
}
