// biome-ignore-all lint/suspicious/noExplicitAny: response bodies in tests are loosely typed JSON
// The API test suite, run against PGlite and against a real PostgreSQL server.
import { readBundleArchive, writeBundleArchive } from '@cairn/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heartArchive, PATIENT } from './bundles.js';
import { Client } from './client.js';
import type { TestServer } from './server.js';
import { makeZip } from './zip.js';

/** Settings every API suite server uses (small limits so limits can be tested quickly). */
export const API_SUITE_ENV = {
  RATE_LIMIT_REGISTER_PER_HOUR: '20',
  RATE_LIMIT_LOGIN_PER_MINUTE: '1000',
  RATE_LIMIT_PREDICT_PER_MINUTE: '40',
  MAX_BODY_BYTES: '65536',
  MAX_BUNDLE_BYTES: '2000000',
  MAX_BATCH_ROWS: '500',
  LOGIN_MAX_FAILURES: '3',
} as const;

function upload(client: Client, bytes: Uint8Array, query = ''): ReturnType<Client['request']> {
  const form = new FormData();
  form.append('bundle', new Blob([bytes]), 'model.cairn');
  return client.request('POST', `/api/v1/models${query}`, { body: form });
}

/** Defines the API tests against the server `start` returns (one server for the whole suite). */
export function apiSuite(start: () => Promise<TestServer>): void {
  let t: TestServer;
  let admin: Client;
  let clinician: Client;
  let scientist: Client;

  beforeAll(async () => {
    t = await start();
    admin = await t.admin();
    clinician = await t.user(['clinician']);
    scientist = await t.user(['data_scientist']);
    const up = await upload(scientist, await heartArchive('heart-test', '1.0.0'));
    expect(up.status, up.text).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('operations', () => {
    it('answers health, readiness and metrics', async () => {
      const c = t.client();
      expect((await c.get('/healthz')).body.status).toBe('ok');
      expect((await c.get('/readyz')).body.status).toBe('ready');
      const m = await c.get('/metrics');
      expect(m.status).toBe(200);
      expect(m.text).toContain('cairn_http_request_duration_seconds');
    });

    it('publishes an OpenAPI document covering the API', async () => {
      const doc = await t.client().get('/api/docs/json');
      expect(doc.status).toBe(200);
      expect(doc.body.openapi).toBe('3.1.0');
      expect(Object.keys(doc.body.paths)).toEqual(
        expect.arrayContaining(['/api/v1/models/{id}/predict', '/api/v1/training-runs', '/api/v1/audit/export']),
      );
      expect(
        Object.keys(doc.body.paths).some(
          (p) => !p.startsWith('/api/') && !['/healthz', '/readyz', '/metrics'].includes(p) && !p.startsWith('/cds-services'),
        ),
      ).toBe(false);
      const docs = await t.client().get('/api/docs');
      expect([200, 302]).toContain(docs.status);
    });

    it('sends security headers', async () => {
      const r = await t.client().get('/healthz');
      expect(r.headers.get('content-security-policy')).toContain("frame-ancestors 'self'");
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    });
  });

  describe('registration and sign-in', () => {
    it('keeps a registration pending until an admin approves it', async () => {
      const c = t.client();
      const email = `pending-${Date.now()}@example.org`;
      expect((await c.register(email, 'Pat Pending', 'correct horse battery')).status).toBe(202);
      expect((await c.login(email, 'correct horse battery')).body.status).toBe('pending');
      const me = await c.get('/api/v1/me');
      expect(me.body).toMatchObject({ status: 'pending', roles: [], permissions: [] });
      const denied = await c.get('/api/v1/models');
      expect(denied.status).toBe(403);
      expect(denied.body.detail).toMatch(/pending/);
      const users = await admin.get('/api/v1/users?status=pending');
      const u = users.body.users.find((x: any) => x.email === email);
      expect((await admin.post(`/api/v1/users/${u.id}/approve`, { roles: ['clinician'] })).status).toBe(200);
      const allowed = await c.get('/api/v1/models');
      expect(allowed.status).toBe(200);
      expect(allowed.body.models.map((m: any) => m.id)).toContain('heart-test');
    });

    it('lets rejected users see only their status', async () => {
      const c = await t.user('rejected');
      expect((await c.get('/api/v1/me')).body.status).toBe('rejected');
      expect((await c.post('/api/v1/models/heart-test/predict', { inputs: PATIENT })).status).toBe(403);
    });

    it('does not reveal whether an email is registered', async () => {
      const c = t.client();
      const r = await c.register(ADMIN_EMAIL, 'Someone', 'correct horse battery');
      expect(r.status).toBe(202);
      const wrong = await c.login(ADMIN_EMAIL, 'not the password at all');
      const unknown = await c.login('nobody@example.org', 'not the password at all');
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect(wrong.body.detail).toBe(unknown.body.detail);
    });

    it('rotates the session on sign-in and ends it on sign-out', async () => {
      const c = await t.user(['clinician']);
      const first = [...c.cookies.entries()].find(([k]) => k.includes('cairn_session'))?.[1];
      const me = await c.get('/api/v1/me');
      const again = await c.post('/api/v1/auth/login', { email: me.body.email, password: 'a-long-enough-password' });
      expect(again.status).toBe(200);
      c.csrf = again.body.csrfToken;
      const second = [...c.cookies.entries()].find(([k]) => k.includes('cairn_session'))?.[1];
      expect(second).toBeDefined();
      expect(second).not.toBe(first);
      const stale = new Client(t.url);
      stale.cookies.set('cairn_session', first as string);
      expect((await stale.get('/api/v1/me')).status).toBe(401);
      expect((await c.post('/api/v1/auth/logout')).status).toBe(204);
      expect((await c.get('/api/v1/me')).status).toBe(401);
    });

    it('locks an account after repeated failures', async () => {
      const c = await t.user(['clinician']);
      const email = (await c.get('/api/v1/me')).body.email;
      const other = t.client();
      for (let i = 0; i < 3; i++) expect((await other.login(email, 'wrong password here')).status).toBe(401);
      const locked = await other.login(email, 'a-long-enough-password');
      expect(locked.status).toBe(401);
      expect(locked.body.detail).toMatch(/locked/);
      const audit = await admin.get('/api/v1/audit?action=auth.lockout');
      expect(audit.body.records.some((r: any) => r.actor === email)).toBe(true);
    });

    it('refuses state changes without the CSRF token', async () => {
      const c = await t.user(['clinician']);
      const r = await c.post('/api/v1/models/heart-test/predict', { inputs: PATIENT }, { noCsrf: true });
      expect(r.status).toBe(403);
      expect(r.body.detail).toMatch(/CSRF/);
      const anon = t.client();
      const login = await anon.post('/api/v1/auth/login', { email: 'x@example.org', password: 'whatever' });
      expect(login.status).toBe(403);
    });

    it('validates registration input', async () => {
      const c = t.client();
      const r = await c.register('not-an-email', '', 'short');
      expect(r.status).toBe(400);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      expect(r.body.issues.map((i: any) => i.field).sort()).toEqual(['body.email', 'body.name', 'body.password']);
    });

    it('requires a password change after a generated first-start password', async () => {
      const me = await admin.get('/api/v1/me');
      expect(me.body.mustChangePassword).toBe(false);
    });
  });

  describe('API tokens', () => {
    it('acts with one role of its owner, and stops working when revoked', async () => {
      const created = await scientist.post('/api/v1/tokens', { name: 'ci', role: 'data_scientist' });
      expect(created.status).toBe(201);
      expect(created.body.token).toMatch(/^cairn_/);
      const api = Client.withToken(t.url, created.body.token);
      expect((await api.post('/api/v1/models/heart-test/predict', { inputs: PATIENT })).status).toBe(200);
      expect((await scientist.delete(`/api/v1/tokens/${created.body.id}`)).status).toBe(204);
      const revoked = await api.get('/api/v1/models');
      expect(revoked.status).toBe(401);
      expect(revoked.body.detail).toMatch(/revoked/);
    });

    it('cannot take a role its owner does not hold', async () => {
      const r = await clinician.post('/api/v1/tokens', { name: 'x', role: 'admin' });
      expect(r.status).toBe(400);
      expect(r.body.issues[0].field).toBe('body.role');
    });

    it('scopes a token to its role', async () => {
      const adminToken = await admin.post('/api/v1/tokens', { name: 'admin-as-admin', role: 'admin' });
      const api = Client.withToken(t.url, adminToken.body.token);
      expect((await api.get('/api/v1/users')).status).toBe(200);
      // A user holding two roles can hand out a token with only one of them.
      const both = await t.user(['clinician', 'data_scientist']);
      const tok = await both.post('/api/v1/tokens', { name: 'clin', role: 'clinician' });
      const limited = Client.withToken(t.url, tok.body.token);
      expect((await limited.get('/api/v1/models')).status).toBe(200);
      expect((await limited.get('/api/v1/training-runs')).status).toBe(403);
    });

    it('refuses forged and malformed tokens', async () => {
      for (const token of ['cairn_forged', 'eyJhbGciOiJIUzI1NiJ9.e30.xx', 'x'.repeat(5000)]) {
        const r = await Client.withToken(t.url, token).get('/api/v1/models');
        expect(r.status).toBe(401);
      }
      const bad = await t.client().get('/api/v1/models', { headers: { authorization: 'Basic abc' } });
      expect(bad.status).toBe(401);
    });
  });

  describe('users (admin)', () => {
    it('changes roles, disables users and protects the last admin', async () => {
      const c = await t.user(['clinician']);
      const id = (await c.get('/api/v1/me')).body.id;
      expect((await admin.put(`/api/v1/users/${id}/roles`, { roles: ['data_scientist'] })).body.user.roles).toEqual(['data_scientist']);
      expect((await c.get('/api/v1/training-runs')).status).toBe(200);
      expect((await admin.post(`/api/v1/users/${id}/disable`)).status).toBe(200);
      expect((await c.get('/api/v1/me')).status).toBe(401);
      const adminId = (await admin.get('/api/v1/me')).body.id;
      const last = await admin.put(`/api/v1/users/${adminId}/roles`, { roles: ['clinician'] });
      expect(last.status).toBe(409);
      expect((await admin.put(`/api/v1/users/${id}/roles`, { roles: [] })).status).toBe(400);
      expect((await admin.post('/api/v1/users/not-a-uuid/approve', { roles: ['clinician'] })).status).toBe(400);
      expect((await admin.post('/api/v1/users/00000000-0000-4000-8000-000000000000/approve', { roles: ['clinician'] })).status).toBe(404);
    });
  });

  describe('models', () => {
    it('lists, details and documents a model', async () => {
      const list = await clinician.get('/api/v1/models');
      const m = list.body.models.find((x: any) => x.id === 'heart-test');
      expect(m).toMatchObject({ activeVersion: '1.0.0', status: 'active' });
      const detail = await clinician.get('/api/v1/models/heart-test');
      expect(detail.body.manifest.features).toHaveLength(13);
      expect(detail.body.manifest.modelCard.format).toBe('cairn-model-card/1');
      const metrics = await clinician.get('/api/v1/models/heart-test/metrics');
      expect(metrics.body.metrics.map((x: any) => x.name)).toContain('roc_auc');
      expect(metrics.body.performance.atThreshold.confusion).toBeDefined();
      const plots = await clinician.get('/api/v1/models/heart-test/plots');
      expect(plots.body.roc.length).toBeGreaterThan(2);
      expect(plots.body.calibration.length).toBeGreaterThan(0);
      expect(plots.body.shapSummary.features).toHaveLength(13);
      const features = await clinician.get('/api/v1/models/heart-test/features');
      expect(features.body.fhirMapping.features.trestbps.codes).toEqual(['8480-6']);
      expect((await clinician.get('/api/v1/models/nope')).status).toBe(404);
      expect((await clinician.get('/api/v1/models/heart-test?version=9.9.9')).status).toBe(404);
    });

    it('keeps versions side by side and promotes one', async () => {
      const up = await upload(scientist, await heartArchive('heart-test', '1.1.0'));
      expect(up.status, up.text).toBe(201);
      let detail = await clinician.get('/api/v1/models/heart-test');
      expect(detail.body.model.versions.map((v: any) => v.version)).toEqual(['1.1.0', '1.0.0']);
      expect(detail.body.version).toBe('1.0.0');
      expect((await clinician.post('/api/v1/models/heart-test/versions/1.1.0/promote')).status).toBe(403);
      expect((await scientist.post('/api/v1/models/heart-test/versions/1.1.0/promote')).status).toBe(200);
      detail = await clinician.get('/api/v1/models/heart-test');
      expect(detail.body.version).toBe('1.1.0');
      const p = await clinician.post('/api/v1/models/heart-test/predict', { inputs: PATIENT });
      expect(p.body.prediction.modelVersion).toBe('1.1.0');
      expect((await scientist.post('/api/v1/models/heart-test/versions/1.1.0/promote')).status).toBe(409);
      expect((await scientist.post('/api/v1/models/heart-test/versions/1.0.0/promote')).status).toBe(200);
      const dup = await upload(scientist, await heartArchive('heart-test', '1.0.0'));
      expect(dup.status).toBe(409);
    });

    it('archives and restores a model', async () => {
      const up = await upload(scientist, await heartArchive('heart-archive', '1.0.0'), '?activate=true');
      expect(up.status).toBe(201);
      expect((await scientist.post('/api/v1/models/heart-archive/archive')).status).toBe(200);
      expect((await clinician.get('/api/v1/models')).body.models.map((m: any) => m.id)).not.toContain('heart-archive');
      expect((await clinician.get('/api/v1/models/heart-archive')).status).toBe(404);
      const refused = await clinician.post('/api/v1/models/heart-archive/predict', { inputs: PATIENT });
      expect(refused.status).toBe(409);
      const all = await scientist.get('/api/v1/models?include=archived');
      expect(all.body.models.find((m: any) => m.id === 'heart-archive').status).toBe('archived');
      expect((await scientist.post('/api/v1/models/heart-archive/archive')).status).toBe(409);
      expect((await scientist.post('/api/v1/models/heart-archive/restore')).status).toBe(200);
      expect((await clinician.post('/api/v1/models/heart-archive/predict', { inputs: PATIENT })).status).toBe(200);
      const bundle = await scientist.request('GET', '/api/v1/models/heart-archive/versions/1.0.0/bundle');
      expect(bundle.status).toBe(200);
    });

    it('accepts an archive as a raw body', async () => {
      const bytes = await heartArchive('heart-raw', '1.0.0');
      const r = await scientist.request('POST', '/api/v1/models', { body: bytes, headers: { 'content-type': 'application/octet-stream' } });
      expect(r.status, r.text).toBe(201);
    });

    it('refuses hostile and broken archives with a clear 4xx', async () => {
      const good = readBundleArchive(await heartArchive('heart-test', '1.0.0'));
      const manifest = JSON.parse(new TextDecoder().decode(good.manifest as Uint8Array));
      const tamperedModel = new Uint8Array(good.model);
      tamperedModel[tamperedModel.length - 5] = (tamperedModel[tamperedModel.length - 5] ?? 0) ^ 0xff;
      const renamed = structuredClone(manifest);
      renamed.version = '3.0.0';
      renamed.inputs.name = 'not-the-input';
      const cases: Array<[string, Uint8Array, number, RegExp]> = [
        ['not a zip', new TextEncoder().encode('just some text, not an archive at all'), 422, /not a .cairn archive/],
        ['path traversal', makeZip({ '../../etc/cairn.json': new Uint8Array([1]) }), 422, /unsafe path/],
        ['absolute path', makeZip({ '/tmp/model.onnx': new Uint8Array([1]) }), 422, /unsafe path/],
        [
          'unexpected entry',
          makeZip({ 'cairn.json': new Uint8Array([1]), 'run.sh': new Uint8Array([1]) }),
          422,
          /not part of a Cairn bundle/,
        ],
        [
          'zip bomb',
          makeZip({ 'cairn.json': new Uint8Array([123]), 'model.onnx': new Uint8Array(1_500_000) }, true),
          413,
          /compression ratio/,
        ],
        ['checksum mismatch', writeBundleArchive({ ...good, model: tamperedModel }), 422, /SHA-256/],
        ['manifest and graph disagree', writeBundleArchive({ ...good, manifest: renamed }), 422, /not-the-input|input/],
        ['invalid manifest', writeBundleArchive({ ...good, manifest: '{"schemaVersion": 1}' }), 422, /cairn\.json/],
        ['truncated archive', (await heartArchive('heart-test', '1.0.0')).subarray(0, 400), 422, /corrupt|archive/],
        ['too large', new Uint8Array(2_100_000), 413, /larger|size|too large/i],
      ];
      for (const [name, bytes, status, message] of cases) {
        const r: any = await upload(scientist, bytes);
        expect(r.status, `${name}: ${r.text}`).toBe(status);
        expect(r.headers.get('content-type'), name).toContain('application/problem+json');
        expect(r.body.detail, name).toMatch(message);
      }
      const empty = await scientist.request('POST', '/api/v1/models', { body: new FormData() });
      expect(empty.status).toBe(400);
      const wrongType = await scientist.request('POST', '/api/v1/models', { body: 'x', headers: { 'content-type': 'text/html' } });
      expect(wrongType.status).toBe(415);
      expect((await t.client().get('/healthz')).status).toBe(200);
    });
  });

  describe('prediction', () => {
    it('predicts with an explanation and a narrative', async () => {
      const r = await clinician.post('/api/v1/models/heart-test/predict', { inputs: PATIENT });
      expect(r.status).toBe(200);
      const { prediction, explanation, narrative } = r.body;
      expect(prediction.probability).toBeGreaterThan(0);
      expect(prediction.probability).toBeLessThan(1);
      expect(prediction.band.id).toMatch(/low|high/);
      expect(explanation.contributions).toHaveLength(13);
      const sum = explanation.base + explanation.contributions.reduce((a: number, c: any) => a + c.contribution, 0);
      expect(sum).toBeCloseTo(explanation.output, 6);
      expect(narrative.sentences.length).toBeGreaterThan(0);
    });

    it('refuses bad input on every part of the request', async () => {
      const cases: Array<[string, RequestInit & { path?: string }, number, string?]> = [
        ['malformed JSON', { body: '{"inputs": {', headers: { 'content-type': 'application/json' } }, 400],
        ['wrong content type', { body: 'inputs', headers: { 'content-type': 'application/xml' } }, 415],
        ['no inputs', { body: '{}', headers: { 'content-type': 'application/json' } }, 400, 'body.inputs'],
        ['inputs not an object', { body: '{"inputs": [1,2]}', headers: { 'content-type': 'application/json' } }, 400, 'body.inputs'],
        ['extra field', { body: JSON.stringify({ inputs: PATIENT, x: 1 }), headers: { 'content-type': 'application/json' } }, 400],
        [
          'huge body',
          { body: JSON.stringify({ inputs: { ...PATIENT, pad: 'x'.repeat(70_000) } }), headers: { 'content-type': 'application/json' } },
          413,
        ],
        [
          'wrong type',
          { body: JSON.stringify({ inputs: { ...PATIENT, age: 'sixty' } }), headers: { 'content-type': 'application/json' } },
          422,
          'age',
        ],
        [
          'unknown feature',
          { body: JSON.stringify({ inputs: { ...PATIENT, weight: 80 } }), headers: { 'content-type': 'application/json' } },
          422,
          'weight',
        ],
        [
          'out of limits',
          { body: JSON.stringify({ inputs: { ...PATIENT, cp: 9 } }), headers: { 'content-type': 'application/json' } },
          422,
          'cp',
        ],
      ];
      for (const [name, init, status, field] of cases) {
        const r = await clinician.request('POST', '/api/v1/models/heart-test/predict', {
          body: init.body as string,
          headers: init.headers as Record<string, string>,
        });
        expect(r.status, `${name}: ${r.text}`).toBe(status);
        expect(r.headers.get('content-type'), name).toContain('application/problem+json');
        expect(typeof r.body.detail).toBe('string');
        if (field)
          expect(
            r.body.issues.map((i: any) => i.field),
            name,
          ).toContain(field);
      }
      const missing = { ...PATIENT } as Record<string, unknown>;
      delete missing.age;
      const r = await clinician.post('/api/v1/models/heart-test/predict', { inputs: missing });
      expect(r.status).toBe(422);
      expect(r.body.issues[0]).toMatchObject({ field: 'age', rule: 'required' });
      expect((await t.client().get('/healthz')).status).toBe(200);
    });

    it('renders the report as PDF and HTML', async () => {
      const pdf = await clinician.request('POST', '/api/v1/models/heart-test/report', { json: { inputs: PATIENT } });
      expect(pdf.status).toBe(200);
      expect(pdf.headers.get('content-type')).toBe('application/pdf');
      expect(pdf.text.startsWith('%PDF-')).toBe(true);
      const html = await clinician.post('/api/v1/models/heart-test/report?format=html', { inputs: PATIENT });
      expect(html.text).toContain('<html');
      expect(html.text).toContain('Coronary');
    });

    it('predicts batches from CSV and JSON, row errors included', async () => {
      const header = Object.keys(PATIENT).join(',');
      const row = Object.values(PATIENT)
        .map((v) => (typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v)))
        .join(',');
      const bad = row.replace(/^63/, 'old');
      const csv = await clinician.request('POST', '/api/v1/models/heart-test/predict/batch', {
        body: `${header}\n${row}\n${bad}\n${row}\n`,
        headers: { 'content-type': 'text/csv' },
      });
      expect(csv.status, csv.text).toBe(200);
      const lines = csv.text.trim().split('\n');
      expect(lines[0]).toBe('row,probability,label,band,error');
      expect(lines).toHaveLength(4);
      expect(lines[2]).toMatch(/^2,,,,".*Age/);
      expect(Number(lines[1]?.split(',')[1])).toBeGreaterThan(0);
      const json = await clinician.post('/api/v1/models/heart-test/predict/batch', { rows: [PATIENT, { ...PATIENT, cp: 'x' }] });
      const items = json.text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(items[0].probability).toBeGreaterThan(0);
      expect(items[1].error.code).toBe('invalid_input');
      const malformed = await clinician.request('POST', '/api/v1/models/heart-test/predict/batch', {
        body: 'a,b\n"unclosed,1\n',
        headers: { 'content-type': 'text/csv' },
      });
      expect(malformed.status).toBe(400);
      const headerOnly = await clinician.request('POST', '/api/v1/models/heart-test/predict/batch', {
        body: `${header}\n`,
        headers: { 'content-type': 'text/csv' },
      });
      expect(headerOnly.status).toBe(400);
      const many = await clinician.request('POST', '/api/v1/models/heart-test/predict/batch', {
        body: `${header}\n${`${row}\n`.repeat(501)}`,
        headers: { 'content-type': 'text/csv' },
      });
      expect(many.status).toBe(413);
      expect((await clinician.post('/api/v1/models/heart-test/predict/batch', { rows: [] })).status).toBe(400);
    });

    it('queues batch jobs that any instance runs, and keeps results to their owner', async () => {
      const c = await t.user(['clinician']);
      const queued = await c.post('/api/v1/models/heart-test/batch-jobs', { rows: [PATIENT, { ...PATIENT, age: 'x' }, PATIENT] });
      expect(queued.status, queued.text).toBe(202);
      const id = queued.body.job.id;
      let job: any = queued.body.job;
      for (let i = 0; i < 100 && !['succeeded', 'failed'].includes(job.status); i++) {
        await new Promise((r) => setTimeout(r, 100));
        job = (await c.get(`/api/v1/batch-jobs/${id}`)).body.job;
      }
      expect(job).toMatchObject({ status: 'succeeded', rows: 3, summary: { scored: 2, refused: 1 } });
      const result = await c.get(`/api/v1/batch-jobs/${id}/result`);
      expect(result.headers.get('content-type')).toContain('text/csv');
      expect(result.text.trim().split('\n')).toHaveLength(4);
      expect((await clinician.get(`/api/v1/batch-jobs/${id}`)).status).toBe(404);
      expect((await admin.get(`/api/v1/batch-jobs/${id}/result`)).status).toBe(200);
      const audit = await admin.get(`/api/v1/audit?action=batch`);
      expect(
        audit.body.records
          .filter((r: any) => r.targetId === id)
          .map((r: any) => r.action)
          .sort(),
      ).toEqual(['batch.create', 'batch.finish']);
      expect((await c.post('/api/v1/models/heart-test/batch-jobs', { rows: [] })).status).toBe(400);
    });

    it('rate-limits predictions per principal, across requests', async () => {
      const c = await t.user(['clinician']);
      let limited: any;
      for (let i = 0; i < 45 && !limited; i++) {
        const r = await c.post('/api/v1/models/heart-test/predict', { inputs: PATIENT });
        if (r.status === 429) limited = r;
        else expect(r.status).toBe(200);
      }
      expect(limited).toBeDefined();
      expect(limited.body.code).toBe('rate_limited');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    });
  });

  describe('audit', () => {
    it('records predictions with a hash of the inputs and no patient values by default', async () => {
      await clinician.post('/api/v1/models/heart-test/predict', { inputs: PATIENT });
      const r = await admin.get('/api/v1/audit?action=predict&limit=5');
      const rec = r.body.records.find((x: any) => x.outcome === 'success');
      expect(rec).toMatchObject({ action: 'predict', modelId: 'heart-test', actorKind: 'user' });
      expect(rec.inputsHash).toMatch(/^[0-9a-f]{64}$/);
      expect(rec.inputs).toBeUndefined();
      expect(JSON.stringify(r.body)).not.toContain('"chol":233');
      expect((await clinician.get('/api/v1/audit')).status).toBe(403);
    });

    it('stores inputs only after an admin enables it', async () => {
      expect((await admin.put('/api/v1/settings', { storePatientInputs: true })).body.storePatientInputs).toBe(true);
      await clinician.post('/api/v1/models/heart-test/predict', { inputs: PATIENT });
      const r = await admin.get('/api/v1/audit?action=predict&limit=1');
      expect(r.body.records[0].inputs).toMatchObject({ chol: 233 });
      await admin.put('/api/v1/settings', { storePatientInputs: false });
      const changes = await admin.get('/api/v1/audit?action=settings');
      expect(changes.body.records).toHaveLength(2);
    });

    it('filters and exports as CSV', async () => {
      const byModel = await admin.get('/api/v1/audit?model=heart-test&outcome=success&limit=1000');
      expect(byModel.body.records.every((r: any) => r.modelId === 'heart-test')).toBe(true);
      const modelRecords = (await admin.get('/api/v1/audit?action=model&limit=1000')).body.records;
      const families = new Set(modelRecords.map((r: any) => r.action));
      expect([...families].sort()).toEqual(['model.archive', 'model.promote', 'model.restore', 'model.upload']);
      const csv = await admin.get('/api/v1/audit/export?action=model');
      expect(csv.headers.get('content-type')).toContain('text/csv');
      const lines = csv.text.trim().split('\n');
      expect(lines[0]).toMatch(/^id,at,actor,/);
      expect(lines.length - 1).toBe(modelRecords.length);
      expect((await admin.get('/api/v1/audit?from=yesterday')).status).toBe(400);
      expect((await admin.get('/api/v1/audit?limit=100000')).status).toBe(400);
    });

    it('commits an action and its audit record together or not at all', async () => {
      await t.server.ctx.db.exec(`
        create function cairn_test_fail_audit() returns trigger language plpgsql as $$
        begin raise exception 'audit store unavailable'; end $$;
        create trigger cairn_test_fail_audit before insert on audit_log for each row
          when (new.action = 'model.archive') execute function cairn_test_fail_audit();`);
      try {
        const r = await scientist.post('/api/v1/models/heart-test/archive');
        expect(r.status).toBe(500);
        expect(r.body.detail).not.toMatch(/audit store/);
        expect((await clinician.get('/api/v1/models/heart-test')).body.model.status).toBe('active');
      } finally {
        await t.server.ctx.db.exec('drop trigger cairn_test_fail_audit on audit_log; drop function cairn_test_fail_audit();');
      }
    });
  });

  describe('monitoring', () => {
    it('aggregates counts, latency and drift without patient rows', async () => {
      const r = await scientist.get('/api/v1/models/heart-test/monitoring?version=1.0.0');
      expect(r.status).toBe(200);
      expect(r.body.totals.count).toBeGreaterThan(3);
      expect(r.body.totals.latencyP50Ms).toBeGreaterThan(0);
      const age = r.body.drift.find((d: any) => d.feature === 'age');
      expect(age.bins.reduce((a: number, b: any) => a + b.expected, 0)).toBeCloseTo(1, 6);
      expect(age.psi).toBeGreaterThan(0);
      expect((await clinician.get('/api/v1/models/heart-test/monitoring')).status).toBe(403);
    });
  });

  describe('registration rate limit', () => {
    it('is shared and answers 429 with Retry-After', async () => {
      let limited: any;
      for (let i = 0; i < 45 && !limited; i++) {
        const r = await t.client().register(`flood-${i}-${Date.now()}@example.org`, 'Flood', 'correct horse battery');
        if (r.status === 429) limited = r;
      }
      expect(limited?.body.code).toBe('rate_limited');
    });
  });
}

const ADMIN_EMAIL = 'admin@example.org';
