// biome-ignore-all lint/suspicious/noExplicitAny: response bodies in tests are loosely typed JSON
// Signed bundles against trusted keys, and hardened cookies.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyId, parseManifest, readBundleArchive, signManifest, writeBundleArchive } from '@cairn/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heartArchive } from './__fixtures__/bundles.js';
import { Client } from './__fixtures__/client.js';
import { ADMIN, startTestServer, type TestServer } from './__fixtures__/server.js';

let t: TestServer;
let dir: string;
const trusted = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const untrusted = generateKeyPairSync('ec', { namedCurve: 'P-256' });

async function signed(version: string, key = trusted.privateKey, tamper = false): Promise<Uint8Array> {
  const files = readBundleArchive(await heartArchive('heart-signed', version));
  const manifest = parseManifest(new TextDecoder().decode(files.manifest as Uint8Array));
  const signature = await signManifest(manifest, key, {
    alg: 'ES256',
    kid: await keyId(key === trusted.privateKey ? trusted.publicKey : untrusted.publicKey),
  });
  const shipped = tamper ? { ...manifest, intendedUse: 'Something else entirely.' } : manifest;
  return writeBundleArchive({ ...files, manifest: shipped, signature });
}

function upload(c: Client, bytes: Uint8Array) {
  const form = new FormData();
  form.append('bundle', new Blob([bytes]), 'm.cairn');
  return c.request('POST', '/api/v1/models', { body: form });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cairn-keys-'));
  const pem = join(dir, 'release.pem');
  await writeFile(pem, trusted.publicKey.export({ type: 'spki', format: 'pem' }));
  t = await startTestServer({ TRUSTED_KEYS: pem, COOKIE_SECURE: 'true' });
});
afterAll(async () => {
  await t?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('bundle signatures', () => {
  it('accepts bundles signed by a trusted key and refuses the rest', async () => {
    const admin = new Client(t.url);
    // Secure cookies carry the __Host- prefix; plain fetch still sends them back to http://127.0.0.1.
    const csrf = await admin.get('/api/v1/auth/csrf');
    admin.csrf = csrf.body.csrfToken;
    const login = await admin.post('/api/v1/auth/login', { email: ADMIN.email, password: ADMIN.password });
    admin.csrf = login.body.csrfToken;
    const ok = await upload(admin, await signed('1.0.0'));
    expect(ok.status, ok.text).toBe(201);
    const model = await admin.get('/api/v1/models/heart-signed');
    expect(model.body.model.versions[0].signature).toMatchObject({ alg: 'ES256' });
    const cases: Array<[string, Uint8Array, string]> = [
      ['unsigned', await heartArchive('heart-signed', '2.0.0'), 'signature_required'],
      ['signed by an unknown key', await signed('2.1.0', untrusted.privateKey), 'signature_invalid'],
      ['changed after signing', await signed('2.2.0', trusted.privateKey, true), 'signature_invalid'],
    ];
    for (const [name, bytes, code] of cases) {
      const r = await upload(admin, bytes);
      expect(r.status, `${name}: ${r.text}`).toBe(422);
      expect(r.body.code, name).toBe(code);
    }
  });
});

describe('cookies', () => {
  it('are HttpOnly, Secure, SameSite and __Host- prefixed', async () => {
    const csrf = await fetch(`${t.url}/api/v1/auth/csrf`);
    const set = csrf.headers.getSetCookie()[0] as string;
    expect(set).toMatch(/^__Host-cairn_csrf=/);
    const c = new Client(t.url);
    await c.get('/api/v1/auth/csrf');
    c.csrf = [...c.cookies.values()][0];
    const login = await fetch(`${t.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: `__Host-cairn_csrf=${c.csrf}`, 'x-csrf-token': c.csrf as string },
      body: JSON.stringify({ email: ADMIN.email, password: ADMIN.password }),
    });
    const session = login.headers.getSetCookie()[0] as string;
    expect(session).toMatch(/^__Host-cairn_session=/);
    expect(session).toMatch(/; HttpOnly/i);
    expect(session).toMatch(/; Secure/i);
    expect(session).toMatch(/; SameSite=Lax/i);
    expect(session).toMatch(/; Path=\//i);
    expect(session).not.toMatch(/Domain=/i);
  });
});
