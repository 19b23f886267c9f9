// biome-ignore-all lint/suspicious/noExplicitAny: response bodies in tests are loosely typed JSON
// Single sign-on against a local OIDC provider, SMART on FHIR launches, FHIR patient loading and CDS Hooks.
import { randomUUID } from 'node:crypto';
import type { Observation, Patient, Resource } from '@medplum/fhirtypes';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFhirServer, type TestFhirServer } from '../../packages/fhir-adapter/src/__fixtures__/fhir-server.js';
import { bloodPressure, quantityObservation } from '../../packages/fhir-adapter/src/__fixtures__/synthetic.js';
import { type AuthProvider, startAuthProvider } from './__fixtures__/auth-provider.js';
import { heartArchive } from './__fixtures__/bundles.js';
import { Client } from './__fixtures__/client.js';
import { startTestServer, type TestServer } from './__fixtures__/server.js';

const PUBLIC_URL = 'https://cairn.test';
const FHIR_TOKEN = 'fhir-access-token';

let t: TestServer;
let provider: AuthProvider;
let fhir: TestFhirServer;
let cdsKey: Awaited<ReturnType<typeof generateKeyPair>>;

const LOCAL = 'http://cairn.example.org/fhir/CodeSystem/heart-work-up';
const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();
function coded(id: string, patientId: string, code: string, value: string): Observation {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { coding: [{ system: LOCAL, code }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: daysAgo(5),
    valueCodeableConcept: { coding: [{ system: LOCAL, code: value }] },
  };
}
function local(id: string, patientId: string, code: string, value: number, unit?: string): Observation {
  const o = quantityObservation(id, patientId, code, daysAgo(5), value, unit ?? '1') as Observation;
  return {
    ...o,
    code: { coding: [{ system: LOCAL, code }] },
    valueQuantity: { value, ...(unit ? { unit, system: 'http://unitsofmeasure.org', code: unit } : {}) },
  };
}
// p1 has every feature the heart model needs; p2 only what a usual record holds.
const resources: Resource[] = [
  { resourceType: 'Patient', id: 'p1', gender: 'male', birthDate: '1960-03-01' } as Patient,
  bloodPressure('bp1', 'p1', daysAgo(30), 142, 88),
  quantityObservation('chol1', 'p1', '2093-3', daysAgo(60), 231, 'mg/dL') as Observation,
  quantityObservation('hr1', 'p1', '8867-4', daysAgo(3), 150, '/min') as Observation,
  coded('cp1', 'p1', 'chest-pain-type', 'typical-angina'),
  coded('fbs1', 'p1', 'fasting-glucose-over-120', 'no'),
  coded('ecg1', 'p1', 'resting-ecg', 'normal'),
  coded('ex1', 'p1', 'exercise-induced-angina', 'no'),
  local('st1', 'p1', 'st-depression', 1.2, 'mm'),
  coded('sl1', 'p1', 'st-slope', 'flat'),
  local('ca1', 'p1', 'fluoroscopy-vessels', 0),
  coded('th1', 'p1', 'thallium-stress-test', 'normal'),
  { resourceType: 'Patient', id: 'p2', gender: 'female', birthDate: '1955-07-12' } as Patient,
  bloodPressure('bp2', 'p2', daysAgo(10), 128, 80),
];

/** Follows a sign-in: our redirect to the provider, its redirect back, our callback. */
async function signInWithProvider(c: Client, startPath: string): Promise<Awaited<ReturnType<Client['get']>>> {
  const start = await c.get(startPath);
  expect(start.status, start.text).toBe(303);
  const authorize = new URL(start.headers.get('location') as string);
  const back = await fetch(authorize, { redirect: 'manual' });
  expect(back.status).toBe(302);
  const callback = new URL(back.headers.get('location') as string);
  expect(callback.origin).toBe(PUBLIC_URL);
  return c.get(`${callback.pathname}${callback.search}`);
}

beforeAll(async () => {
  provider = await startAuthProvider('cairn-test');
  fhir = await startFhirServer({
    resources,
    token: FHIR_TOKEN,
    routes: [
      (_req, res, _body, url) => {
        if (!url.pathname.endsWith('/.well-known/smart-configuration')) return false;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            authorization_endpoint: `${provider.issuer}/authorize`,
            token_endpoint: `${provider.issuer}/token`,
            code_challenge_methods_supported: ['S256'],
          }),
        );
        return true;
      },
    ],
  });
  cdsKey = await generateKeyPair('ES384');
  const jwk = { ...(await exportJWK(cdsKey.publicKey)), kid: 'ehr-1', alg: 'ES384' };
  t = await startTestServer({
    PUBLIC_URL,
    OIDC_ISSUER: provider.issuer,
    OIDC_CLIENT_ID: 'cairn-test',
    OIDC_ROLE_MAP: 'cairn-clinicians=clinician,cairn-ds=data_scientist',
    OIDC_ROLES_CLAIM: 'groups',
    SMART_CLIENT_ID: 'cairn-test',
    SMART_ALLOWED_ISSUERS: fhir.url,
    FHIR_BASE_URL: fhir.url,
    FHIR_BEARER_TOKEN: FHIR_TOKEN,
    CDS_AUTH: 'jwt',
    CDS_TRUSTED_CLIENTS: JSON.stringify([{ iss: 'https://ehr.example.org', jwks: { keys: [jwk] } }]),
  });
  const admin = await t.admin();
  const form = new FormData();
  form.append('bundle', new Blob([await heartArchive('heart-sso', '1.0.0')]), 'heart.cairn');
  expect((await admin.request('POST', '/api/v1/models', { body: form })).status).toBe(201);
}, 120_000);

afterAll(async () => {
  await t?.close();
  await fhir?.close();
  await provider?.close();
});

describe('OpenID Connect single sign-on', () => {
  it('signs in with the authorization code flow and PKCE, mapping a claim to roles', async () => {
    provider.next = {
      claims: { sub: 'doc-1', email: 'Doc@Example.org', email_verified: true, name: 'Dr Doc', groups: ['cairn-clinicians', 'other'] },
    };
    const c = new Client(t.url);
    const start = await c.get('/auth/oidc/login?next=/predict');
    const authorize = new URL(start.headers.get('location') as string);
    expect(authorize.origin).toBe(provider.issuer);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${PUBLIC_URL}/auth/oidc/callback`);
    expect(authorize.searchParams.get('nonce')).toBeTruthy();
    const done = await signInWithProvider(c, '/auth/oidc/login?next=/predict');
    expect(done.status, done.text).toBe(303);
    expect(done.headers.get('location')).toBe('/predict');
    const me = await c.get('/api/v1/me');
    expect(me.body).toMatchObject({ email: 'doc@example.org', status: 'active', roles: ['clinician'] });
    c.csrf = me.body.csrfToken;
    expect((await c.post('/api/v1/models/heart-sso/predict', { inputs: {} })).status).toBe(422);
    const audit = await (await t.admin()).get('/api/v1/audit?action=auth.login&actor=doc@example.org');
    expect(audit.body.records[0].details).toMatchObject({ method: 'oidc', roles: ['clinician'] });
  });

  it('keeps users without a mapped role pending', async () => {
    provider.next = { claims: { sub: 'nobody-1', email: 'nobody@example.org', email_verified: true, groups: ['visitors'] } };
    const c = new Client(t.url);
    expect((await signInWithProvider(c, '/auth/oidc/login')).status).toBe(303);
    expect((await c.get('/api/v1/me')).body).toMatchObject({ status: 'pending', roles: [] });
  });

  it.each([
    ['a token signed by another key', 'other-key', /signature/i],
    ['an expired token', 'expired', /exp/i],
    ['a token for another client', 'other-audience', /aud/i],
    ['a token with another nonce', 'other-nonce', /nonce/i],
    ['a token from another issuer', 'other-issuer', /iss/i],
  ] as const)('refuses %s', async (_name, forge, message) => {
    provider.next = { claims: { sub: 'mallory', email: 'mallory@example.org', email_verified: true, groups: ['cairn-ds'] }, forge };
    const c = new Client(t.url);
    const r = await signInWithProvider(c, '/auth/oidc/login');
    expect(r.status).toBe(401);
    expect(r.headers.get('content-type')).toContain('text/html');
    expect(r.text).toMatch(message);
    expect((await c.get('/api/v1/me')).status).toBe(401);
  });

  it('refuses replayed, foreign and expired callbacks', async () => {
    provider.next = { claims: { sub: 'doc-1', email: 'doc@example.org', email_verified: true, groups: ['cairn-clinicians'] } };
    const c = new Client(t.url);
    const start = await c.get('/auth/oidc/login');
    const back = await fetch(new URL(start.headers.get('location') as string), { redirect: 'manual' });
    const callback = new URL(back.headers.get('location') as string);
    const path = `${callback.pathname}${callback.search}`;
    // Another browser (without the flow cookie) cannot finish this sign-in.
    expect((await new Client(t.url).get(path)).status).toBe(400);
    // The state was consumed by that attempt: it cannot be used again either.
    expect((await c.get(path)).status).toBe(400);
    expect((await c.get('/auth/oidc/callback?code=x&state=made-up')).status).toBe(400);
    expect((await c.get('/auth/oidc/callback?error=access_denied&error_description=no')).status).toBe(401);
  });
});

describe('SMART on FHIR and FHIR patients', () => {
  it('launches from the EHR, keeps the patient in context and reads their features', async () => {
    provider.next = { claims: { sub: 'ehr-user' }, patient: 'p1' };
    const clinician = await t.user(['clinician']);
    const launch = `/smart/launch?iss=${encodeURIComponent(fhir.url)}&launch=launch-123`;
    const start = await clinician.get(launch);
    expect(start.status, start.text).toBe(303);
    const authorize = new URL(start.headers.get('location') as string);
    expect(authorize.searchParams.get('launch')).toBe('launch-123');
    expect(authorize.searchParams.get('aud')).toBe(fhir.url);
    // The provider issues the FHIR server's token for this launch.
    const back = await fetch(authorize, { redirect: 'manual' });
    const callback = new URL(back.headers.get('location') as string);
    provider.tokensIssued.length = 0;
    const done = await clinician.get(`${callback.pathname}${callback.search}`);
    expect(done.status, done.text).toBe(303);
    expect(done.headers.get('location')).toBe('/predict?smart=1');
    const context = await clinician.get('/api/v1/smart/context');
    expect(context.body.smart).toEqual({ fhirBaseUrl: fhir.url, patientId: 'p1' });
  });

  it('reads a patient from the configured FHIR server', async () => {
    const clinician = await t.user(['clinician']);
    const full = await clinician.get('/api/v1/models/heart-sso/fhir/patients/p1');
    expect(full.status, full.text).toBe(200);
    expect(full.body.record).toMatchObject({ sex: true, trestbps: 142, chol: 231, cp: 1, thal: 3, slope: 2, exang: false });
    expect(full.body.record.age).toBeGreaterThan(60);
    expect(full.body.missing).toEqual([]);
    const partial = await clinician.get('/api/v1/models/heart-sso/fhir/patients/p2');
    expect(partial.body.record).toMatchObject({ sex: false, trestbps: 128 });
    expect(partial.body.missing.map((m: any) => m.feature)).toEqual(expect.arrayContaining(['cp', 'chol', 'thal']));
    expect((await clinician.get('/api/v1/models/heart-sso/fhir/patients/..%2Fetc')).status).toBe(400);
    expect((await clinician.get('/api/v1/models/heart-sso/fhir/patients/nobody')).status).toBe(404);
    const audit = await (await t.admin()).get('/api/v1/audit?action=fhir.read');
    expect(audit.body.records[0].targetId).not.toContain('p1');
  });

  it('refuses launches from FHIR servers that are not allowed, and asks anonymous users to sign in', async () => {
    const clinician = await t.user(['clinician']);
    const r = await clinician.get(`/smart/launch?iss=${encodeURIComponent('https://evil.example/fhir')}&launch=x`);
    expect(r.status).toBe(403);
    const anon = await new Client(t.url).get(`/smart/launch?iss=${encodeURIComponent(fhir.url)}&launch=x`);
    expect(anon.status).toBe(303);
    expect(anon.headers.get('location')).toMatch(/^\/login\?next=%2Fsmart%2Flaunch/);
  });
});

describe('CDS Hooks', () => {
  async function cdsJwt(
    options: { jti?: string; aud?: string; key?: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'] } = {},
  ): Promise<string> {
    return new SignJWT({ jti: options.jti ?? randomUUID() })
      .setProtectedHeader({ alg: 'ES384', kid: 'ehr-1', typ: 'JWT' })
      .setIssuer('https://ehr.example.org')
      .setAudience(options.aud ?? `${PUBLIC_URL}/cds-services/heart-sso`)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(options.key ?? cdsKey.privateKey);
  }
  const hook = () => ({
    hook: 'patient-view',
    hookInstance: randomUUID(),
    fhirServer: fhir.url,
    fhirAuthorization: { access_token: FHIR_TOKEN, token_type: 'Bearer', scope: 'patient/*.read', subject: 'cairn' },
    context: { userId: 'Practitioner/1', patientId: 'p1' },
  });

  it('discovers a service per model with a FHIR mapping', async () => {
    const r = await new Client(t.url).get('/cds-services');
    expect(r.body.services.map((s: any) => s.id)).toContain('heart-sso');
    expect(r.body.services[0].hook).toBe('patient-view');
  });

  it('answers an authenticated patient-view hook with a card, audits it, and refuses replays and forgeries', async () => {
    const c = new Client(t.url);
    const token = await cdsJwt();
    const r = await c.post('/cds-services/heart-sso', hook(), { headers: { authorization: `Bearer ${token}` } });
    expect(r.status, r.text).toBe(200);
    expect(r.body.cards).toHaveLength(1);
    expect(r.body.cards[0].source.label).toContain('Coronary');
    const replay = await c.post('/cds-services/heart-sso', hook(), { headers: { authorization: `Bearer ${token}` } });
    expect(replay.status).toBe(401);
    const other = await generateKeyPair('ES384');
    const forged = await c.post('/cds-services/heart-sso', hook(), {
      headers: { authorization: `Bearer ${await cdsJwt({ key: other.privateKey })}` },
    });
    expect(forged.status).toBe(401);
    expect((await c.post('/cds-services/heart-sso', hook())).status).toBe(401);
    expect((await c.post('/cds-services/nope', hook(), { headers: { authorization: `Bearer ${await cdsJwt()}` } })).status).toBe(404);
    const audit = await (await t.admin()).get('/api/v1/audit?action=cds.predict');
    expect(audit.body.records).toHaveLength(1);
    expect(audit.body.records[0]).toMatchObject({ actor: 'https://ehr.example.org', actorKind: 'cds', modelId: 'heart-sso' });
    expect(audit.body.records[0].inputsHash).toMatch(/^[0-9a-f]{64}$/);
    const feedback = await c.post(
      '/cds-services/heart-sso/feedback',
      { feedback: [{ card: r.body.cards[0].uuid, outcome: 'accepted', outcomeTimestamp: new Date().toISOString() }] },
      { headers: { authorization: `Bearer ${await cdsJwt({ aud: `${PUBLIC_URL}/cds-services/heart-sso/feedback` })}` } },
    );
    expect(feedback.status, feedback.text).toBe(200);
    expect((await (await t.admin()).get('/api/v1/audit?action=cds.feedback')).body.records).toHaveLength(1);
  });
});
