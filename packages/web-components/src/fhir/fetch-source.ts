import { CairnError, issue } from '@cairn/core';
import { type FhirErrorReason, FhirRequestError, type FhirSource } from '@cairn/fhir-adapter';

/** Options of {@link createFetchSource}. */
export interface FetchSourceOptions {
  /** FHIR base URL, e.g. `https://ehr.example.org/fhir`. */
  readonly baseUrl: string;
  /** Bearer token (from the EHR or a SMART launch). */
  readonly accessToken?: string | undefined;
  /** @defaultValue globalThis.fetch */
  readonly fetch?: typeof fetch;
  readonly signal?: AbortSignal | undefined;
}

const REASONS: Record<number, FhirErrorReason> = {
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  410: 'not_found',
  429: 'rate_limited',
};

function reasonFor(status: number): FhirErrorReason {
  return REASONS[status] ?? (status >= 500 ? 'server_error' : 'bad_request');
}

function outcomeText(body: unknown): string | undefined {
  const first = (body as { resourceType?: string; issue?: Array<{ details?: { text?: string }; diagnostics?: string }> } | undefined)
    ?.issue?.[0];
  return first?.details?.text ?? first?.diagnostics;
}

/**
 * A FHIR source over plain `fetch` for the browser (no FHIR client library in the page): reads,
 * searches with `next`-link paging on the same server, and typed errors (401 → `unauthorized`).
 */
export function createFetchSource(options: FetchSourceOptions): FhirSource {
  const f = options.fetch ?? globalThis.fetch;
  let baseUrl: string;
  try {
    baseUrl = new URL(options.baseUrl).href.replace(/\/+$/, '');
  } catch {
    throw new CairnError('invalid_argument', `fhir-server: '${options.baseUrl}' is not an absolute URL`, {
      issues: [issue(['fhir-server'], 'format', 'must be an absolute URL')],
    });
  }
  const origin = new URL(baseUrl).origin;
  const headers: Record<string, string> = { accept: 'application/fhir+json' };
  if (options.accessToken) headers.authorization = `Bearer ${options.accessToken}`;

  async function get(url: string, init: RequestInit = {}): Promise<unknown> {
    let response: Response;
    try {
      response = await f(url, {
        ...init,
        headers: { ...headers, ...(init.headers as Record<string, string>) },
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (cause) {
      throw new FhirRequestError(
        'network',
        `the FHIR server could not be reached: ${url} (${cause instanceof Error ? cause.message : String(cause)})`,
        {
          url,
          cause,
        },
      );
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
    if (!response.ok) {
      const reason = reasonFor(response.status);
      const detail = outcomeText(body);
      return Promise.reject(
        new FhirRequestError(
          reason,
          `the FHIR server answered ${response.status} (${reason.replace('_', ' ')}) for ${url}${detail ? `: ${detail}` : ''}`,
          {
            status: response.status,
            url,
          },
        ),
      );
    }
    if (!body || typeof body !== 'object')
      throw new FhirRequestError('bad_response', `the FHIR server did not answer FHIR JSON for ${url}`, { url });
    return body;
  }

  return {
    baseUrl,
    read: async (resourceType, id) => (await get(`${baseUrl}/${resourceType}/${encodeURIComponent(id)}`)) as never,
    async *searchPages(resourceType, params) {
      let url: string | undefined = `${baseUrl}/${resourceType}?${new URLSearchParams({ ...params }).toString()}`;
      while (url) {
        const page = (await get(url)) as { resourceType?: string; link?: Array<{ relation?: string; url?: string }> };
        if (page.resourceType !== 'Bundle')
          throw new FhirRequestError('bad_response', `search ${resourceType} did not return a Bundle`, { url });
        yield page as never;
        const next = page.link?.find((l) => l.relation === 'next')?.url;
        // Following a next link to another origin would hand the token to a stranger.
        url = next && new URL(next, baseUrl).origin === origin ? new URL(next, baseUrl).href : undefined;
      }
    },
    create: async (resource) =>
      (await get(`${baseUrl}/${resource.resourceType}`, {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json' },
        body: JSON.stringify(resource),
      })) as never,
  };
}
