import type { Bundle, OperationOutcome, Resource } from '@medplum/fhirtypes';
import type { Client } from 'fhir-kit-client';
import { FhirRequestError, httpError, isFhirRequestError, networkError, parseRetryAfter } from './http-errors.js';
import { type RetryOptions, withRetry } from './retry.js';
import type { FhirSource } from './source.js';

type FhirKitClient = Client;

/** Options of {@link createFhirKitSource}. */
export interface FhirKitSourceOptions {
  /** FHIR base URL, e.g. https://ehr.example.org/fhir. */
  baseUrl: string;
  /** OAuth 2 access token sent as `Authorization: Bearer …`. */
  bearerToken?: string;
  /** An existing fhir-kit-client Client (otherwise one is created on first use). */
  client?: FhirKitClient;
  retry?: RetryOptions;
}

function asOutcome(data: unknown): OperationOutcome | undefined {
  return data && typeof data === 'object' && (data as { resourceType?: string }).resourceType === 'OperationOutcome'
    ? (data as OperationOutcome)
    : undefined;
}

function normalise(error: unknown, url: string): FhirRequestError {
  if (isFhirRequestError(error)) return error;
  const e = error as { response?: { status?: number; data?: unknown }; config?: { headers?: Headers; url?: string } };
  const status = e?.response?.status;
  if (typeof status === 'number') {
    const headers = e.config?.headers;
    const retryAfter = parseRetryAfter(typeof headers?.get === 'function' ? headers.get('retry-after') : undefined);
    // fhir-kit-client reports a 2xx with a non-JSON body with the same shape as an HTTP error.
    if (status < 400)
      return new FhirRequestError('bad_response', `the FHIR server sent a response that is not FHIR JSON: ${e.config?.url ?? url}`, {
        status,
        url,
        cause: error,
      });
    return httpError(status, e.config?.url ?? url, asOutcome(e.response?.data), retryAfter, error);
  }
  return networkError(url, error);
}

function sameServer(link: string, baseUrl: string): boolean {
  try {
    return new URL(link).origin === new URL(baseUrl).origin;
  } catch {
    return false;
  }
}

/**
 * A {@link FhirSource} for any FHIR R4 server through fhir-kit-client, with a bearer token and
 * retries. fhir-kit-client is Node-oriented (it imports an HTTP agent), so it is loaded on first
 * use; in browsers use createMedplumSource.
 */
export function createFhirKitSource(options: FhirKitSourceOptions): FhirSource {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  let client: Promise<FhirKitClient> | undefined = options.client ? Promise.resolve(options.client) : undefined;
  const getClient = () => {
    client ??= import('fhir-kit-client').then(
      (m) => new m.Client({ baseUrl, ...(options.bearerToken ? { bearerToken: options.bearerToken } : {}) }),
    );
    return client;
  };
  const call = <T>(url: string, op: (c: FhirKitClient) => Promise<unknown>): Promise<T> =>
    withRetry(async () => {
      const c = await getClient();
      try {
        return (await op(c)) as T;
      } catch (error) {
        throw normalise(error, url);
      }
    }, options.retry);

  return {
    baseUrl,
    read: (resourceType, id) => call<Resource>(`${baseUrl}/${resourceType}/${id}`, (c) => c.read({ resourceType, id })),
    async *searchPages(resourceType, params) {
      let page = await call<Bundle>(`${baseUrl}/${resourceType}`, (c) => c.search({ resourceType, searchParams: { ...params } }));
      for (;;) {
        if (page?.resourceType !== 'Bundle')
          throw new FhirRequestError('bad_response', `search ${resourceType} did not return a Bundle`, {
            url: `${baseUrl}/${resourceType}`,
          });
        yield page;
        const next = page.link?.find((l) => l.relation === 'next')?.url;
        if (!next) return;
        if (!sameServer(next, baseUrl))
          throw new FhirRequestError('bad_response', `the next-page link ${next} points away from ${baseUrl}; not followed`, { url: next });
        const current = page;
        page = await call<Bundle>(next, (c) => c.nextPage({ bundle: current as never }) ?? Promise.resolve(undefined));
      }
    },
    create: (resource) =>
      call(`${baseUrl}/${resource.resourceType}`, (c) => c.create({ resourceType: resource.resourceType, body: resource as never })),
  };
}
