import { CairnError, type CairnErrorCode, issue } from '@cairn/core';
import type { OperationOutcome } from '@medplum/fhirtypes';

/** Why a FHIR request failed; stable, so callers can branch on it. */
export type FhirErrorReason =
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'rate_limited'
  | 'server_error'
  | 'bad_request'
  | 'network'
  | 'bad_response';

const CODE: Record<FhirErrorReason, CairnErrorCode> = {
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  not_found: 'not_found',
  rate_limited: 'unavailable',
  server_error: 'unavailable',
  bad_request: 'invalid_input',
  network: 'unavailable',
  bad_response: 'internal',
};

/** A FHIR server refused or failed a request: `reason` and `status` say how. */
export class FhirRequestError extends CairnError {
  readonly reason: FhirErrorReason;
  readonly status: number | undefined;
  readonly url: string | undefined;
  readonly outcome: OperationOutcome | undefined;
  /** Milliseconds the server asked to wait (Retry-After), when it said. */
  readonly retryAfterMs: number | undefined;

  constructor(
    reason: FhirErrorReason,
    message: string,
    details: { status?: number; url?: string; outcome?: OperationOutcome; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(CODE[reason], message, { issues: [issue(['fhir', reason], 'invalid', message)], cause: details.cause });
    this.name = 'CairnError';
    this.reason = reason;
    this.status = details.status;
    this.url = details.url;
    this.outcome = details.outcome;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** True when `e` is a {@link FhirRequestError}. */
export function isFhirRequestError(e: unknown): e is FhirRequestError {
  return e instanceof FhirRequestError;
}

/** The reason for an HTTP status. */
export function reasonForStatus(status: number): FhirErrorReason {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404 || status === 410) return 'not_found';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server_error';
  return 'bad_request';
}

/** Parses Retry-After (delta-seconds or an HTTP date) to milliseconds. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isFinite(t) ? Math.max(0, t - now) : undefined;
}

function outcomeText(outcome: OperationOutcome | undefined): string | undefined {
  const i = outcome?.issue?.[0];
  return i?.details?.text ?? i?.diagnostics ?? undefined;
}

const MESSAGES: Record<FhirErrorReason, string> = {
  unauthorized: 'the FHIR server refused the access token (401): it is missing, expired or invalid',
  forbidden: 'the access token lacks permission for this request (403): check the granted scopes',
  not_found: 'the FHIR server has no such resource (404)',
  rate_limited: 'the FHIR server is rate limiting requests (429)',
  server_error: 'the FHIR server failed',
  bad_request: 'the FHIR server rejected the request',
  network: 'the FHIR server could not be reached',
  bad_response: 'the FHIR server sent a response that is not FHIR JSON',
};

/** Builds the error for an HTTP failure. */
export function httpError(
  status: number,
  url: string | undefined,
  outcome?: OperationOutcome,
  retryAfterMs?: number,
  cause?: unknown,
): FhirRequestError {
  const reason = reasonForStatus(status);
  const detail = outcomeText(outcome);
  const base = reason === 'server_error' || reason === 'bad_request' ? `${MESSAGES[reason]} (${status})` : MESSAGES[reason];
  return new FhirRequestError(reason, `${base}${url ? `: ${url}` : ''}${detail ? ` — ${detail}` : ''}`, {
    status,
    ...(url ? { url } : {}),
    ...(outcome ? { outcome } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    cause,
  });
}

/** Builds the error for a request that never got a response. */
export function networkError(url: string | undefined, cause: unknown): FhirRequestError {
  return new FhirRequestError(
    'network',
    `${MESSAGES.network}${url ? `: ${url}` : ''} (${cause instanceof Error ? cause.message : String(cause)})`,
    {
      ...(url ? { url } : {}),
      cause,
    },
  );
}
