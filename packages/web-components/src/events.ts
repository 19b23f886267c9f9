import { type CairnErrorCode, type Explanation, type FeatureRecord, type Issue, normalizeError, type Prediction } from '@cairn/core';
import type { ErrorStage } from './messages.js';

/** Detail of `cairn-submit`: the record the form validated. */
export interface SubmitDetail {
  readonly values: FeatureRecord;
  /** Non-blocking issues (implausible values, imputation). */
  readonly warnings: readonly Issue[];
}

/** Where a prediction was computed. */
export type PredictionSource = 'bundle' | 'endpoint';

/** Detail of `cairn-prediction`. */
export interface PredictionDetail {
  readonly prediction: Prediction;
  /** Null when the model cannot be explained (or the server sent none). */
  readonly explanation: Explanation | null;
  readonly source: PredictionSource;
}

/** Detail of `cairn-error`: Cairn's error code and issues, and the stage that failed. */
export interface ErrorDetail {
  readonly stage: ErrorStage;
  readonly code: CairnErrorCode;
  readonly message: string;
  readonly issues: readonly Issue[];
  /** The error as thrown. */
  readonly cause: unknown;
}

/** Names and details of the events the elements emit. */
export interface CairnEventMap {
  'cairn-submit': CustomEvent<SubmitDetail>;
  'cairn-prediction': CustomEvent<PredictionDetail>;
  'cairn-error': CustomEvent<ErrorDetail>;
}

/** Turns anything thrown at a stage into an {@link ErrorDetail}. */
export function errorDetail(stage: ErrorStage, error: unknown): ErrorDetail {
  const e = normalizeError(error);
  return { stage, code: e.code, message: e.message, issues: e.issues, cause: error };
}

/** Creates one of the elements' events: bubbling and composed, so it crosses shadow roots to the host page. */
export function cairnEvent<K extends keyof CairnEventMap>(type: K, detail: CairnEventMap[K]['detail']): CairnEventMap[K] {
  return new CustomEvent(type, { detail, bubbles: true, composed: true }) as CairnEventMap[K];
}

declare global {
  interface HTMLElementEventMap extends CairnEventMap {}
}
