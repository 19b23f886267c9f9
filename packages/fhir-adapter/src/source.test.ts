import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createFhirKitSource,
  createMedplumSource,
  extractFeatures,
  type FhirSource,
  fetchPatientRecord,
  isFhirRequestError,
  parseMapping,
  prefetchTemplates,
} from '@cairn/fhir-adapter';
import { MedplumClient } from '@medplum/core';
import type { Bundle } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFhirServer, storeTransaction, type TestFhirServer } from './__fixtures__/fhir-server.js';

const here = new URL('.', import.meta.url).pathname;
const mappingJson = JSON.parse(readFileSync(join(here, '__fixtures__/fhir-mapping.json'), 'utf8'));
const mapping = parseMapping(mappingJson);
// Weight averaged over all time, so its search pages through every result.
const pagingMapping = parseMapping({
  ...mappingJson,
  features: { ...mappingJson.features, weight: { ...mappingJson.features.weight, lookbackDays: 36500 } },
});
const patientsDir = join(here, '../../../../shared/fhir/patients');
const leanFile = readdirSync(patientsDir).find((f) => f.startsWith('Lean294'))!;
const lean: Bundle = JSON.parse(readFileSync(join(patientsDir, leanFile), 'utf8'));
const leanId = lean.entry!.find((e) => e.resource?.resourceType === 'Patient')!.resource!.id!;
const TOKEN = 'test-token-123';
const asOf = '2020-01-01';

let server: TestFhirServer;
const noWait = { retries: 3, baseDelayMs: 1, maxDelayMs: 50 };

beforeAll(async () => {
  server = await startFhirServer({ resources: storeTransaction(lean), token: TOKEN });
});
afterAll(async () => {
  await server.close();
});

async function expectFhirError(p: Promise<unknown>, reason: string, status?: number) {
  try {
    await p;
    expect.unreachable('expected a FhirRequestError');
  } catch (e) {
    expect(isFhirRequestError(e), String(e)).toBe(true);
    expect((e as { reason: string }).reason).toBe(reason);
    if (status !== undefined) expect((e as { status: number }).status).toBe(status);
  }
}

function sources(): Array<[string, () => FhirSource]> {
  return [
    ['fhir-kit-client', () => createFhirKitSource({ baseUrl: server.url, bearerToken: TOKEN, retry: noWait })],
    [
      'MedplumClient',
      () =>
        createMedplumSource(
          new MedplumClient({ baseUrl: `${server.origin}/`, fhirUrlPath: 'fhir/', accessToken: TOKEN, fetch: globalThis.fetch }),
          {
            retry: noWait,
          },
        ),
    ],
  ];
}

describe.each(sources())('online record through %s', (_name, make) => {
  it('pages through sorted searches and yields the same features as the offline Bundle', async () => {
    const source = make();
    const before = server.requests.length;
    const fetched = await fetchPatientRecord(source, leanId, pagingMapping, { asOf, pageSize: 3 });
    const seen = server.requests.slice(before);
    expect(seen.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    const weight = seen.filter((r) => r.url.includes('combo-code=http%3A%2F%2Floinc.org%7C29463-7'));
    expect(weight).toHaveLength(4); // 10 weights, 3 a page: followed `next` links to the end
    expect(weight[0]!.url).toContain('_sort=-date');
    expect(weight[0]!.url).toContain('_count=3');
    expect(weight[1]!.url).toContain('_offset=3');
    // `latest` features stop after the first page with a usable value.
    expect(seen.filter((r) => r.url.includes('8480-6'))).toHaveLength(1);
    const online = extractFeatures(fetched.resources, pagingMapping, { asOf });
    const offline = extractFeatures(lean, pagingMapping, { asOf });
    expect(online.provenance.weight!.values).toHaveLength(9); // the tenth weight is after the as-of date
    expect(online.record).toEqual(offline.record);
    expect(online.provenance.sbp!.resources).toEqual(offline.provenance.sbp!.resources);
  });

  it('retries 429 honouring Retry-After and 5xx with back-off', async () => {
    const waits: number[] = [];
    const source =
      _name === 'fhir-kit-client'
        ? createFhirKitSource({ baseUrl: server.url, bearerToken: TOKEN, retry: { ...noWait, sleep: async (ms) => void waits.push(ms) } })
        : createMedplumSource(
            new MedplumClient({ baseUrl: `${server.origin}/`, fhirUrlPath: 'fhir/', accessToken: TOKEN, fetch: globalThis.fetch }),
            {
              retry: { ...noWait, sleep: async (ms) => void waits.push(ms) },
            },
          );
    server.fault({ path: /\/fhir\/Patient\//, status: 429, headers: { 'retry-after': '0' }, times: 1 });
    server.fault({ path: /\/fhir\/Patient\//, status: 503, times: 1 });
    const p = await source.read('Patient', leanId);
    expect(p.id).toBe(leanId);
    expect(waits).toHaveLength(2);
    if (_name === 'fhir-kit-client') expect(waits[0]).toBe(0); // Retry-After: 0 (Medplum does not expose the header)
    expect(waits[1]).toBeGreaterThan(0);
  });

  it('gives up after the configured retries with a server_error', async () => {
    const source = make();
    server.fault({ path: /\/fhir\/Patient\//, status: 500, times: 4 });
    const before = server.requests.length;
    await expectFhirError(source.read('Patient', leanId), 'server_error', 500);
    expect(server.requests.length - before).toBe(4);
  });

  it('fails at once with typed errors on 401, 403 and 404', async () => {
    const source = make();
    const before = server.requests.length;
    await expectFhirError(source.read('Patient', 'nobody'), 'not_found', 404);
    server.fault({ path: /\/fhir\/Condition/, status: 403, times: 1 });
    await expectFhirError(
      fetchPatientRecord(source, leanId, { features: { dm: { source: 'condition', codes: ['44054006'] } } }),
      'forbidden',
      403,
    );
    expect(server.requests.length - before).toBe(3);
  });
});

describe('online errors', () => {
  it('reports a refused token as unauthorized without retrying', async () => {
    const source = createFhirKitSource({ baseUrl: server.url, bearerToken: 'wrong', retry: noWait });
    const before = server.requests.length;
    await expectFhirError(source.read('Patient', leanId), 'unauthorized', 401);
    expect(server.requests.length - before).toBe(1);
    const medplum = createMedplumSource(
      new MedplumClient({ baseUrl: `${server.origin}/`, fhirUrlPath: 'fhir/', accessToken: 'wrong', fetch: globalThis.fetch }),
      {
        retry: noWait,
      },
    );
    await expectFhirError(medplum.read('Patient', leanId), 'unauthorized', 401);
  });

  it('fails fast when Retry-After asks for longer than allowed', async () => {
    const source = createFhirKitSource({ baseUrl: server.url, bearerToken: TOKEN, retry: noWait });
    server.fault({ path: /\/fhir\/Patient\//, status: 429, headers: { 'retry-after': '120' }, times: 1 });
    await expectFhirError(source.read('Patient', leanId), 'rate_limited', 429);
  });

  it('reports an unreachable server as a network error', async () => {
    const closed = await startFhirServer({ resources: [] });
    const url = closed.url;
    await closed.close();
    await expectFhirError(createFhirKitSource({ baseUrl: url, retry: { retries: 1, baseDelayMs: 1 } }).read('Patient', 'x'), 'network');
  });

  it('does not follow next links to another server', async () => {
    const evil: Bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      link: [{ relation: 'next', url: 'http://127.0.0.2:9/fhir/Observation?page=2' }],
      entry: [],
    };
    const s = await startFhirServer({
      resources: [],
      routes: [
        (_req, res, _b, url) => {
          if (!url.pathname.startsWith('/fhir/Observation')) return false;
          res.writeHead(200, { 'content-type': 'application/fhir+json' });
          res.end(JSON.stringify(evil));
          return true;
        },
      ],
    });
    const pages = createFhirKitSource({ baseUrl: s.url }).searchPages('Observation', { patient: 'x' });
    const it = pages[Symbol.asyncIterator]();
    await it.next();
    await expectFhirError(it.next(), 'bad_response');
    await s.close();
  });

  it('refuses a patient id that is not a FHIR id', async () => {
    const source = createFhirKitSource({ baseUrl: server.url, bearerToken: TOKEN });
    await expect(fetchPatientRecord(source, '../Patient?x=1', mapping)).rejects.toMatchObject({ code: 'invalid_argument' });
  });
});

describe('prefetch templates', () => {
  it('builds one search per observation feature plus conditions and medications', () => {
    const t = prefetchTemplates(mapping);
    expect(t.patient).toBe('Patient/{{context.patientId}}');
    expect(t['obs-sbp']).toBe(
      'Observation?patient={{context.patientId}}&combo-code=http%3A%2F%2Floinc.org%7C8480-6&_sort=-date&_count=100',
    );
    // The ICD-10 prefix (E11*) cannot be a token search: all conditions are requested.
    expect(t.conditions).toBe('Condition?patient={{context.patientId}}&_count=100');
    expect(t['medication-requests']).toContain('code=http%3A%2F%2Fwww.nlm.nih.gov%2Fresearch%2Fumls%2Frxnorm%7C314231%2C');
    expect(Object.keys(t)).toHaveLength(1 + 7 + 1 + 2);
  });
});
