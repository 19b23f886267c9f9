import { getStatus, isOperationOutcome, type MedplumClient, type MedplumRequestOptions } from '@medplum/core';
import type { Bundle, Resource, ResourceType } from '@medplum/fhirtypes';
import { FhirRequestError, httpError, isFhirRequestError, networkError } from './http-errors.js';
import { type RetryOptions, withRetry } from './retry.js';
import type { FhirSource } from './source.js';

/** Options of {@link createMedplumSource}. */
export interface MedplumSourceOptions {
  retry?: RetryOptions;
}

// Retries and caching are the adapter's: Medplum's own would retry twice per attempt and serve stale reads.
const REQUEST = { cache: 'no-cache', maxRetries: 0 } as MedplumRequestOptions;

// MedplumClient throws the server's OperationOutcome without the HTTP status, so the status is
// recovered from the issue code (the codes FHIR servers use for these failures).
const STATUS_BY_ISSUE_CODE: Record<string, number> = {
  login: 401,
  unknown: 401,
  expired: 401,
  security: 403,
  forbidden: 403,
  suppressed: 403,
  'not-found': 404,
  deleted: 410,
  throttled: 429,
  'too-costly': 429,
  exception: 500,
  transient: 503,
  timeout: 504,
  'not-supported': 501,
};

function normalise(error: unknown, url: string): FhirRequestError {
  if (isFhirRequestError(error)) return error;
  const outcome = (error as { outcome?: unknown })?.outcome;
  if (isOperationOutcome(outcome)) {
    const code = outcome.issue?.[0]?.code;
    const status = (code && STATUS_BY_ISSUE_CODE[code]) || getStatus(outcome);
    if (status >= 400) return httpError(status, url, outcome, undefined, error);
  }
  return networkError(url, error);
}

/**
 * A {@link FhirSource} through @medplum/core's MedplumClient (Medplum, or any FHIR R4 server
 * via `fhirUrlPath`); works in browsers and Node. The client's own token handling applies.
 */
export function createMedplumSource(medplum: MedplumClient, options: MedplumSourceOptions = {}): FhirSource {
  const baseUrl = medplum.fhirUrl().toString().replace(/\/+$/, '');
  const call = <T>(url: string, op: () => Promise<unknown>): Promise<T> =>
    withRetry(async () => {
      try {
        return (await op()) as T;
      } catch (error) {
        throw normalise(error, url);
      }
    }, options.retry);
  return {
    baseUrl,
    read: (resourceType, id) =>
      call<Resource>(`${baseUrl}/${resourceType}/${id}`, () => medplum.readResource(resourceType as ResourceType, id, REQUEST)),
    async *searchPages(resourceType, params) {
      let page = await call<Bundle>(`${baseUrl}/${resourceType}`, () =>
        medplum.search(resourceType as ResourceType, { ...params }, REQUEST),
      );
      for (;;) {
        if (page?.resourceType !== 'Bundle')
          throw new FhirRequestError('bad_response', `search ${resourceType} did not return a Bundle`, {
            url: `${baseUrl}/${resourceType}`,
          });
        yield page;
        const next = page.link?.find((l) => l.relation === 'next')?.url;
        if (!next) return;
        if (new URL(next, baseUrl).origin !== new URL(baseUrl).origin) {
          throw new FhirRequestError('bad_response', `the next-page link ${next} points away from ${baseUrl}; not followed`, { url: next });
        }
        page = await call<Bundle>(next, () => medplum.get(next, REQUEST));
      }
    },
    create: (resource) => call(`${baseUrl}/${resource.resourceType}`, () => medplum.createResource(resource, REQUEST)),
  };
}
