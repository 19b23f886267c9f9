import { advanceSmartLaunch, type LaunchStorage } from '@cairn/web-components';
import { describe, expect, it } from 'vitest';

function memoryStorage(): LaunchStorage & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return { items, getItem: (k) => items.get(k) ?? null, setItem: (k, v) => void items.set(k, v), removeItem: (k) => void items.delete(k) };
}

const ISS = 'https://ehr.example.org/fhir';
const fetchFn = (async (url: string, init?: RequestInit) => {
  if (String(url) === `${ISS}/.well-known/smart-configuration`) {
    return Response.json({
      authorization_endpoint: 'https://ehr.example.org/authorize',
      token_endpoint: 'https://ehr.example.org/token',
      code_challenge_methods_supported: ['S256'],
    });
  }
  if (String(url) === 'https://ehr.example.org/token') {
    const body = new URLSearchParams(String(init?.body));
    if (body.get('code') !== 'the-code' || !body.get('code_verifier')) return Response.json({ error: 'invalid_grant' }, { status: 400 });
    return Response.json({ access_token: 'at', token_type: 'Bearer', patient: 'p9', scope: 'patient/Observation.rs' });
  }
  return new Response('not found', { status: 404 });
}) as typeof fetch;

describe('SMART launch in the widget', () => {
  it('redirects an EHR launch with PKCE and keeps the state, then exchanges the code for a patient session', async () => {
    const storage = memoryStorage();
    const launch = new URL(`https://app.example.org/widget.html?iss=${encodeURIComponent(ISS)}&launch=xyz`);
    const step = await advanceSmartLaunch(launch, storage, { clientId: 'cairn' }, { fetch: fetchFn });
    if (step.kind !== 'redirect') throw new Error('expected a redirect');
    const authorize = new URL(step.url);
    expect(authorize.origin + authorize.pathname).toBe('https://ehr.example.org/authorize');
    expect(authorize.searchParams.get('launch')).toBe('xyz');
    expect(authorize.searchParams.get('redirect_uri')).toBe('https://app.example.org/widget.html');
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('scope')).toContain('patient/Observation.rs');
    const state = authorize.searchParams.get('state') as string;
    expect(storage.items.size).toBe(1);

    const callback = new URL(`https://app.example.org/widget.html?code=the-code&state=${state}`);
    const done = await advanceSmartLaunch(callback, storage, { clientId: 'cairn' }, { fetch: fetchFn });
    if (done.kind !== 'session') throw new Error('expected a session');
    expect(done.session).toMatchObject({ fhirBaseUrl: ISS, accessToken: 'at', patientId: 'p9' });
    expect(storage.items.size).toBe(0);
  });

  it('refuses a callback whose state it did not issue, and does nothing without a launch', async () => {
    const storage = memoryStorage();
    await expect(
      advanceSmartLaunch(new URL('https://app.example.org/?code=c&state=forged'), storage, { clientId: 'cairn' }, { fetch: fetchFn }),
    ).rejects.toThrow(/does not match a launch started here/);
    expect(await advanceSmartLaunch(new URL('https://app.example.org/'), storage, { clientId: 'cairn' }, { fetch: fetchFn })).toEqual({
      kind: 'none',
    });
  });
});
