import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPredictor, type Predictor } from '@cairn/core';
import {
  type CdsHooksService,
  createCdsHooksService,
  createMemoryJtiStore,
  type FeedbackRecord,
  patientViewRequestSchema,
  prefetchTemplates,
} from '@cairn/fhir-adapter';
import type { Bundle } from '@medplum/fhirtypes';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startFhirServer, storeTransaction, type TestFhirServer } from '../__fixtures__/fhir-server.js';
import { cardioBundle, cardioMapping, linearExplanation } from '../__fixtures__/model.js';

const here = new URL('.', import.meta.url).pathname;
const shared = join(here, '../../../../../shared/fhir');
const example = (name: string) => JSON.parse(readFileSync(join(shared, 'cds-hooks', name), 'utf8'));
const leanFile = readdirSync(join(shared, 'patients')).find((f) => f.startsWith('Lean294'))!;
const lean: Bundle = JSON.parse(readFileSync(join(shared, 'patients', leanFile), 'utf8'));
const leanId = lean.entry!.find((e) => e.resource?.resourceType === 'Patient')!.resource!.id!;

// CDS Hooks 2.0 response shapes, written from the specification.
const coding = z.looseObject({ system: z.string().optional(), code: z.string(), display: z.string().optional() });
const discoverySchema = z.strictObject({
  services: z.array(
    z.looseObject({
      hook: z.string(),
      title: z.string().optional(),
      description: z.string(),
      id: z.string().regex(/^[A-Za-z0-9._~-]+$/),
      prefetch: z.record(z.string(), z.string()).optional(),
      usageRequirements: z.string().optional(),
      extension: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
});
const cardSchema = z.looseObject({
  uuid: z.string().optional(),
  summary: z.string().max(139),
  detail: z.string().optional(),
  indicator: z.enum(['info', 'warning', 'critical']),
  source: z.looseObject({ label: z.string().min(1), url: z.url().optional(), icon: z.url().optional(), topic: coding.optional() }),
  suggestions: z.array(z.unknown()).optional(),
  selectionBehavior: z.enum(['at-most-one', 'any']).optional(),
  overrideReasons: z.array(coding).optional(),
  links: z
    .array(
      z.looseObject({
        label: z.string(),
        url: z.url(),
        type: z.enum(['absolute', 'smart']),
        appContext: z.string().optional(),
        autolaunchable: z.boolean().optional(),
      }),
    )
    .optional(),
});
const cardsSchema = z.looseObject({ cards: z.array(cardSchema), systemActions: z.array(z.unknown()).optional() });

const EHR = 'https://ehr.example.org';
const SERVICE_URL = 'https://cds.example.org';
const ENDPOINT = `${SERVICE_URL}/cds-services/cardio-risk`;
const TOKEN = 'ehr-access-token';
const NOW = new Date('2020-01-01T00:00:00Z');

let server: TestFhirServer;
let predictor: Predictor;
let service: CdsHooksService;
let publicJwk: JWK;
type SigningKey = Parameters<SignJWT['sign']>[0];
let sign: (claims?: Record<string, unknown>, header?: Record<string, unknown>, key?: SigningKey) => Promise<string>;
let otherKey: SigningKey;
const feedback: FeedbackRecord[] = [];
let ids = 0;

async function prefetchFor(templates: Record<string, string>): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [key, template] of Object.entries(templates)) {
    const res = await fetch(`${server.url}/${template.replaceAll('{{context.patientId}}', leanId)}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    out[key] = await res.json();
  }
  return out;
}

function hookRequest(extra: Record<string, unknown> = {}) {
  return {
    hookInstance: 'd1577c69-dfbe-44ad-ba6d-3e05e953b2ea',
    hook: 'patient-view',
    context: { userId: 'Practitioner/example', patientId: leanId },
    ...extra,
  };
}

beforeAll(async () => {
  const bundle = await cardioBundle();
  predictor = await createPredictor(bundle, { runtime: ort as never });
  const { publicKey, privateKey } = await generateKeyPair('ES384', { extractable: true });
  otherKey = (await generateKeyPair('ES384')).privateKey;
  publicJwk = { ...(await exportJWK(publicKey)), kid: 'ehr-key-1', alg: 'ES384', use: 'sig' };
  server = await startFhirServer({
    resources: storeTransaction(lean),
    token: TOKEN,
    routes: [
      (_req, res, _body, url) => {
        if (url.pathname !== '/jwks.json') return false;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ keys: [publicJwk] }));
        return true;
      },
    ],
  });
  sign = (claims = {}, header = {}, key = privateKey) => {
    const t = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: EHR, sub: 'ehr-client-id', aud: ENDPOINT, iat: t, exp: t + 300, jti: crypto.randomUUID(), ...claims })
      .setProtectedHeader({ alg: 'ES384', typ: 'JWT', kid: 'ehr-key-1', jku: `${server.origin}/jwks.json`, ...header })
      .sign(key);
  };
  service = createCdsHooksService({
    id: 'cardio-risk',
    title: 'Cardiovascular risk',
    description: 'Estimates cardiovascular risk from the record',
    predictor,
    mapping: cardioMapping,
    serviceUrl: SERVICE_URL,
    auth: { trustedClients: [{ iss: EHR, jwksUrl: `${server.origin}/jwks.json` }], jtiStore: createMemoryJtiStore() },
    feedbackSink: { record: (items) => void feedback.push(...items) },
    source: { label: 'Cairn', url: 'https://cairn.example.org/models/cardio-test' },
    smartApp: { url: 'https://cairn.example.org/launch', label: 'Open Cairn risk view' },
    overrideReasons: [{ system: 'urn:cairn:override', code: 'not-relevant', display: 'Not relevant for this patient' }],
    explain: async (prediction) => linearExplanation(prediction.values),
    retry: { retries: 1, baseDelayMs: 1 },
    now: () => NOW,
    uuid: () => `card-${++ids}`,
  });
}, 60_000);

afterAll(async () => {
  await predictor?.release();
  await server?.close();
});

async function call(body: unknown, token?: string, path = '/cds-services/cardio-risk') {
  return service.handle({
    method: 'POST',
    path,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body,
  });
}

describe('CDS Hooks discovery', () => {
  it('the schema accepts the reference examples', () => {
    expect(discoverySchema.safeParse(example('discovery-response.json')).success).toBe(true);
    expect(discoverySchema.safeParse(example('discovery-response-with-extension.json')).success).toBe(true);
    expect(cardsSchema.safeParse(example('card-response.json')).success).toBe(true);
    expect(cardsSchema.safeParse(example('card-response-empty.json')).success).toBe(true);
    expect(patientViewRequestSchema.safeParse(example('patient-view-request-with-prefetch.json')).success).toBe(true);
    // No patientId in context: not a valid patient-view request.
    expect(patientViewRequestSchema.safeParse(example('patient-view-request-with-extension.json')).success).toBe(false);
  });

  it('lists the service with prefetch templates from the mapping, without authentication', async () => {
    const res = await service.handle({ method: 'GET', path: '/cds-services', headers: {} });
    expect(res.status).toBe(200);
    const doc = discoverySchema.parse(res.body);
    expect(doc.services).toHaveLength(1);
    expect(doc.services[0]).toMatchObject({ hook: 'patient-view', id: 'cardio-risk', title: 'Cardiovascular risk' });
    expect(doc.services[0]!.prefetch).toEqual(prefetchTemplates(cardioMapping));
    expect(doc.services[0]!.prefetch!.patient).toBe('Patient/{{context.patientId}}');
  });
});

describe('CDS Hooks patient-view', () => {
  it('answers from prefetch with a risk card', async () => {
    const fhirRequests = () => server.requests.filter((r) => r.url.startsWith('/fhir/')).length;
    const before = fhirRequests();
    const prefetch = await prefetchFor(prefetchTemplates(cardioMapping));
    const fetchesForPrefetch = fhirRequests() - before;
    const res = await call(hookRequest({ prefetch }), await sign());
    expect(res.status).toBe(200);
    // The service itself fetched no FHIR data: prefetch was complete.
    expect(fhirRequests() - before).toBe(fetchesForPrefetch);
    const { cards } = cardsSchema.parse(res.body);
    expect(cards).toHaveLength(1);
    const card = cards[0]!;
    expect(card.summary).toMatch(/^Cardiovascular risk \(test\): \d+(\.\d)?% risk \((Low|Moderate|High)\)$/);
    expect(card.summary.length).toBeLessThan(140);
    expect(card.indicator).toBe(card.summary.includes('(Low)') ? 'info' : card.summary.includes('(High)') ? 'critical' : 'warning');
    expect(card.source).toEqual({
      label: 'Cairn: Cardiovascular risk (test) 2.1.0',
      url: 'https://cairn.example.org/models/cardio-test',
      topic: { system: 'urn:cairn:model', code: 'cardio-test@2.1.0', display: 'Cardiovascular risk (test) 2.1.0' },
    });
    expect(card.links).toEqual([{ label: 'Open Cairn risk view', url: 'https://cairn.example.org/launch', type: 'smart' }]);
    expect(card.detail).toContain('**Top contributors**');
    expect(card.detail).toMatch(/\| Age \| \d+ a \| ↑ raises risk \|/);
    expect(card.detail).toContain('**Data used**');
    expect(card.detail).toMatch(/\| Systolic blood pressure \| \d+ mm\[Hg\] \| 20\d\d-\d\d-\d\d \| Observation\//);
    expect(card.detail).toMatch(/\| Total cholesterol \| [\d.]+ mmol\/L \(from [\d.]+ mg\/dL\) \| 2019-\d\d-\d\d \|/);
    expect(card.detail).toContain('| Diabetes | false |  | none recorded |');
    expect(card.overrideReasons).toHaveLength(1);
  });

  it('fetches from fhirServer with fhirAuthorization when prefetch is missing', async () => {
    const before = server.requests.length;
    const res = await call(
      hookRequest({
        fhirServer: server.url,
        fhirAuthorization: {
          access_token: TOKEN,
          token_type: 'Bearer',
          expires_in: 300,
          scope: 'user/Patient.read user/Observation.read',
          subject: 'cds-service',
        },
      }),
      await sign(),
    );
    expect(res.status).toBe(200);
    const fetched = server.requests.slice(before).filter((r) => r.url.startsWith('/fhir/'));
    expect(fetched.length).toBeGreaterThanOrEqual(4);
    expect(fetched.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(fetched[0]!.url).toBe(`/fhir/Patient/${leanId}`);
    const withPrefetch = await call(hookRequest({ prefetch: await prefetchFor(prefetchTemplates(cardioMapping)) }), await sign());
    const a = cardsSchema.parse(res.body).cards[0]!;
    const b = cardsSchema.parse(withPrefetch.body).cards[0]!;
    expect(a.summary).toBe(b.summary);
  });

  it('answers 412 when the patient can be neither prefetched nor fetched', async () => {
    const res = await call(hookRequest(), await sign());
    expect(res.status).toBe(412);
    const refused = await call(
      hookRequest({
        fhirServer: server.url,
        fhirAuthorization: { access_token: 'expired', token_type: 'Bearer', scope: 'x', subject: 's' },
      }),
      await sign(),
    );
    expect(refused.status).toBe(412);
    expect((refused.body as { error: string }).error).toContain('401');
  });

  it('shows what is missing instead of a risk when required data is absent', async () => {
    const prefetch = { patient: { resourceType: 'Patient', id: leanId, gender: 'female', birthDate: '1945-12-19' } };
    const res = await call(hookRequest({ prefetch }), await sign());
    const card = cardsSchema.parse(res.body).cards[0]!;
    expect(card.indicator).toBe('info');
    expect(card.summary).toBe('Cardiovascular risk (test): risk not calculated, data missing');
    expect(card.detail).toContain('- Systolic blood pressure: no data');
  });

  it('rejects malformed hook requests', async () => {
    const res = await call({ hook: 'patient-view', context: {} }, await sign());
    expect(res.status).toBe(400);
    expect((res.body as { issues: unknown[] }).issues.length).toBeGreaterThan(0);
  });
});

describe('CDS Hooks authentication', () => {
  const body = () => hookRequest({ prefetch: { patient: { resourceType: 'Patient', id: leanId } } });

  it('refuses calls without a JWT', async () => {
    const res = await call(body());
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  it('refuses a JWT signed with another key', async () => {
    expect((await call(body(), await sign({}, {}, otherKey))).status).toBe(401);
  });

  it('refuses a wrong audience, an expired token, an untrusted issuer and a jku off the allow-list', async () => {
    expect((await call(body(), await sign({ aud: 'https://elsewhere.example.org/cds-services/cardio-risk' }))).status).toBe(401);
    expect(
      (await call(body(), await sign({ exp: Math.floor(Date.now() / 1000) - 3600, iat: Math.floor(Date.now() / 1000) - 3900 }))).status,
    ).toBe(401);
    expect((await call(body(), await sign({ iss: 'https://rogue.example.org' }))).status).toBe(401);
    const offList = await call(body(), await sign({}, { jku: 'http://127.0.0.1:1/keys.json' }));
    expect(offList.status).toBe(401);
    expect((offList.body as { error: string }).error).toContain('allow-list');
  });

  it('refuses a replayed token', async () => {
    const token = await sign();
    expect((await call(body(), token)).status).toBe(200);
    const replay = await call(body(), token);
    expect(replay.status).toBe(401);
    expect((replay.body as { error: string }).error).toContain('replay');
  });

  it('refuses a tampered payload', async () => {
    const [h, , s] = (await sign()).split('.');
    const forged = Buffer.from(JSON.stringify({ iss: EHR, aud: ENDPOINT, exp: 4_000_000_000, iat: 1, jti: 'x' })).toString('base64url');
    expect((await call(body(), `${h}.${forged}.${s}`)).status).toBe(401);
  });
});

describe('CDS Hooks feedback', () => {
  it('records accepted and overridden cards with the reason', async () => {
    const res = await call(
      {
        feedback: [
          { card: 'card-1', outcome: 'accepted', acceptedSuggestions: [], outcomeTimestamp: '2020-01-01T10:00:00Z' },
          {
            card: 'card-2',
            outcome: 'overridden',
            overrideReason: {
              reason: { system: 'urn:cairn:override', code: 'not-relevant', display: 'Not relevant for this patient' },
              userComment: 'Palliative care',
            },
            outcomeTimestamp: '2020-01-01T10:05:00Z',
          },
        ],
      },
      await sign({ aud: `${ENDPOINT}/feedback` }),
      '/cds-services/cardio-risk/feedback',
    );
    expect(res.status).toBe(200);
    expect(feedback).toHaveLength(2);
    expect(feedback[1]).toMatchObject({
      serviceId: 'cardio-risk',
      client: EHR,
      card: 'card-2',
      outcome: 'overridden',
      overrideReason: { reason: { code: 'not-relevant' }, userComment: 'Palliative care' },
    });
  });

  it('refuses unauthenticated or malformed feedback', async () => {
    const n = feedback.length;
    expect((await call({ feedback: [] }, undefined, '/cds-services/cardio-risk/feedback')).status).toBe(401);
    expect((await call({ feedback: [{ card: 'x', outcome: 'maybe' }] }, await sign(), '/cds-services/cardio-risk/feedback')).status).toBe(
      400,
    );
    expect(feedback).toHaveLength(n);
  });

  it('routes unknown services and methods', async () => {
    expect((await call({}, await sign(), '/cds-services/other')).status).toBe(404);
    expect((await service.handle({ method: 'GET', path: '/cds-services/cardio-risk', headers: {} })).status).toBe(405);
  });
});
