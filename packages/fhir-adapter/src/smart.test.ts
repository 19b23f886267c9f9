import {
  beginSmartLaunch,
  completeSmartLaunch,
  createFhirKitSource,
  discoverSmartConfiguration,
  parseLaunchRequest,
  pkceChallenge,
} from '@cairn/fhir-adapter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFhirServer, type TestFhirServer } from './__fixtures__/fhir-server.js';

const CLIENT_ID = 'cairn-widget';
const REDIRECT = 'https://app.example.org/callback';
const ACCESS_TOKEN = 'smart-access-token';

let server: TestFhirServer;
/** Authorization codes the "EHR" issued: code → the authorize request it answered. */
const codes = new Map<string, URLSearchParams>();
const tokenRequests: Array<{ body: URLSearchParams; authorization: string | undefined }> = [];
let offerS256 = true;

/** Plays the EHR's authorization server: approves the request and returns the redirect. */
function approve(authorizeUrl: string): string {
  const q = new URL(authorizeUrl).searchParams;
  const code = `code-${codes.size + 1}`;
  codes.set(code, q);
  const back = new URL(q.get('redirect_uri')!);
  back.searchParams.set('code', code);
  back.searchParams.set('state', q.get('state')!);
  return back.toString();
}

beforeAll(async () => {
  server = await startFhirServer({
    resources: [{ resourceType: 'Patient', id: 'smart-1', gender: 'female', birthDate: '1970-01-01' }],
    token: ACCESS_TOKEN,
    routes: [
      (_req, res, _b, url) => {
        if (url.pathname !== '/fhir/.well-known/smart-configuration') return false;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            authorization_endpoint: `${server.origin}/authorize`,
            token_endpoint: `${server.origin}/token`,
            code_challenge_methods_supported: offerS256 ? ['S256'] : ['plain'],
            capabilities: ['launch-ehr', 'launch-standalone', 'context-ehr-patient', 'context-standalone-patient', 'client-public'],
          }),
        );
        return true;
      },
      async (req, res, body, url) => {
        if (url.pathname !== '/token' || req.method !== 'POST') return false;
        const form = new URLSearchParams(body);
        tokenRequests.push({ body: form, authorization: req.headers.authorization });
        const sent = codes.get(form.get('code') ?? '');
        const reply = (status: number, json: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(json));
        };
        if (!sent || form.get('grant_type') !== 'authorization_code' || form.get('redirect_uri') !== sent.get('redirect_uri')) {
          reply(400, { error: 'invalid_grant', error_description: 'unknown code' });
          return true;
        }
        // PKCE: the verifier must hash to the challenge sent with the authorize request.
        if ((await pkceChallenge(form.get('code_verifier') ?? '')) !== sent.get('code_challenge')) {
          reply(400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
          return true;
        }
        codes.delete(form.get('code')!);
        const scope = sent.get('scope') ?? '';
        reply(200, {
          access_token: ACCESS_TOKEN,
          token_type: 'Bearer',
          expires_in: 3600,
          scope,
          ...(scope.includes('launch') ? { patient: 'smart-1' } : {}),
          ...(sent.get('launch') ? { encounter: 'enc-9' } : {}),
        });
        return true;
      },
    ],
  });
});

afterAll(async () => {
  await server.close();
});

describe('PKCE', () => {
  it('matches the RFC 7636 appendix B example', async () => {
    expect(await pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });
});

describe('SMART App Launch', () => {
  it('runs an EHR launch end to end and reads the patient in context', async () => {
    const { iss, launch } = parseLaunchRequest(`https://app.example.org/launch?iss=${encodeURIComponent(server.url)}&launch=xyz123`);
    const { authorizeUrl, pending } = await beginSmartLaunch({
      iss,
      launch,
      clientId: CLIENT_ID,
      redirectUri: REDIRECT,
      scope: 'openid fhirUser patient/*.rs',
    });
    const q = new URL(authorizeUrl).searchParams;
    expect(authorizeUrl.startsWith(`${server.origin}/authorize?`)).toBe(true);
    expect(Object.fromEntries(q)).toMatchObject({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT,
      scope: 'openid fhirUser patient/*.rs launch',
      aud: server.url,
      launch: 'xyz123',
      code_challenge_method: 'S256',
    });
    expect(q.get('state')!.length).toBeGreaterThanOrEqual(32);
    expect(pending.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    expect(q.get('code_challenge')).toBe(await pkceChallenge(pending.codeVerifier));
    // The pending state survives storage as JSON (sessionStorage, a server session).
    const restored = JSON.parse(JSON.stringify(pending));
    const session = await completeSmartLaunch(approve(authorizeUrl), restored, { now: () => 1_000 });
    expect(session).toMatchObject({
      fhirBaseUrl: server.url,
      accessToken: ACCESS_TOKEN,
      patientId: 'smart-1',
      encounterId: 'enc-9',
      expiresAt: 1_000 + 3_600_000,
    });
    expect(tokenRequests.at(-1)!.body.get('client_id')).toBe(CLIENT_ID);
    const patient = await createFhirKitSource({ baseUrl: session.fhirBaseUrl, bearerToken: session.accessToken }).read(
      'Patient',
      session.patientId!,
    );
    expect(patient.id).toBe('smart-1');
  });

  it('runs a standalone launch asking for launch/patient, with an injected fetch and a confidential client', async () => {
    const seen: string[] = [];
    const fetchSpy: typeof fetch = (input, init) => {
      seen.push(String(input));
      return fetch(input, init);
    };
    const { authorizeUrl, pending } = await beginSmartLaunch(
      { iss: server.url, clientId: CLIENT_ID, redirectUri: REDIRECT, scope: 'patient/Observation.rs' },
      { fetch: fetchSpy },
    );
    expect(new URL(authorizeUrl).searchParams.get('scope')).toBe('patient/Observation.rs launch/patient');
    expect(new URL(authorizeUrl).searchParams.has('launch')).toBe(false);
    const session = await completeSmartLaunch(approve(authorizeUrl), pending, { fetch: fetchSpy, clientSecret: 's3cret' });
    expect(session.patientId).toBe('smart-1');
    expect(seen).toEqual([`${server.url}/.well-known/smart-configuration`, `${server.origin}/token`]);
    expect(tokenRequests.at(-1)!.authorization).toBe(`Basic ${btoa(`${CLIENT_ID}:s3cret`)}`);
    expect(tokenRequests.at(-1)!.body.has('client_id')).toBe(false);
  });

  it('refuses a callback whose state does not match', async () => {
    const { authorizeUrl, pending } = await beginSmartLaunch({
      iss: server.url,
      clientId: CLIENT_ID,
      redirectUri: REDIRECT,
      scope: 'patient/*.rs',
    });
    const callback = new URL(approve(authorizeUrl));
    callback.searchParams.set('state', 'forged');
    await expect(completeSmartLaunch(callback, pending)).rejects.toThrow(/state does not match/);
  });

  it('reports a refused authorization and a refused code exchange', async () => {
    const { pending } = await beginSmartLaunch({ iss: server.url, clientId: CLIENT_ID, redirectUri: REDIRECT, scope: 'patient/*.rs' });
    await expect(
      completeSmartLaunch(`${REDIRECT}?error=access_denied&error_description=User+said+no&state=${pending.state}`, pending),
    ).rejects.toThrow(/access_denied \(User said no\)/);
    const tampered = { ...pending, codeVerifier: 'x'.repeat(64) };
    const { authorizeUrl } = await beginSmartLaunch({ iss: server.url, clientId: CLIENT_ID, redirectUri: REDIRECT, scope: 'patient/*.rs' });
    const callback = new URL(approve(authorizeUrl));
    await expect(completeSmartLaunch(callback, { ...tampered, state: callback.searchParams.get('state')! })).rejects.toThrow(
      /PKCE verification failed/,
    );
  });

  it('refuses a server without PKCE S256 and launch URLs without iss or launch', async () => {
    offerS256 = false;
    await expect(discoverSmartConfiguration(server.url)).rejects.toMatchObject({ code: 'unsupported' });
    offerS256 = true;
    expect(() => parseLaunchRequest('https://app.example.org/launch?launch=1')).toThrow(/iss/);
    expect(() => parseLaunchRequest('https://app.example.org/launch?iss=https://ehr.example.org/fhir')).toThrow(/launch/);
    await expect(discoverSmartConfiguration(`${server.origin}/nowhere`)).rejects.toMatchObject({ reason: 'not_found' });
  });
});
