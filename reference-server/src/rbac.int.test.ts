// The RBAC matrix: every route of the server, called as anonymous, pending, clinician, data scientist and admin.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthProvider, startAuthProvider } from './__fixtures__/auth-provider.js';
import { heartArchive } from './__fixtures__/bundles.js';
import type { Client } from './__fixtures__/client.js';
import { startTestServer, type TestServer } from './__fixtures__/server.js';
import type { Access } from './auth/access.js';
import { ROLE_PERMISSIONS } from './auth/access.js';
import { listRoutes } from './http/app.js';

/** Who may call each route, written out by hand: a route missing here, or declared differently, fails the test. */
const MATRIX: Record<string, Access> = {
  'GET /api/docs': 'public',
  'GET /api/docs/static/index.html': 'public',
  'GET /api/docs/static/swagger-initializer.js': 'public',
  'GET /api/docs/json': 'public',
  'GET /api/docs/yaml': 'public',
  'GET /api/docs/static/*': 'public',
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'GET /metrics': 'public',
  'GET /api/v1/auth/csrf': 'public',
  'POST /api/v1/auth/register': 'public',
  'POST /api/v1/auth/login': 'public',
  'POST /api/v1/auth/logout': 'authenticated',
  'GET /api/v1/me': 'authenticated',
  'POST /api/v1/me/password': 'authenticated',
  'GET /api/v1/users': 'admin',
  'POST /api/v1/users/:id/approve': 'admin',
  'POST /api/v1/users/:id/reject': 'admin',
  'PUT /api/v1/users/:id/roles': 'admin',
  'POST /api/v1/users/:id/disable': 'admin',
  'GET /api/v1/tokens': 'models:read',
  'POST /api/v1/tokens': 'models:read',
  'DELETE /api/v1/tokens/:id': 'models:read',
  'GET /api/v1/settings': 'admin',
  'PUT /api/v1/settings': 'admin',
  'GET /api/v1/audit': 'audit',
  'GET /api/v1/audit/export': 'audit',
  'GET /api/v1/models': 'models:read',
  'GET /api/v1/models/:id': 'models:read',
  'GET /api/v1/models/:id/metrics': 'models:read',
  'GET /api/v1/models/:id/plots': 'models:read',
  'GET /api/v1/models/:id/features': 'models:read',
  'GET /api/v1/models/:id/versions/:version/bundle': 'models:manage',
  'POST /api/v1/models': 'models:manage',
  'POST /api/v1/models/:id/archive': 'models:manage',
  'POST /api/v1/models/:id/restore': 'models:manage',
  'POST /api/v1/models/:id/versions/:version/promote': 'models:manage',
  'POST /api/v1/models/:id/predict': 'predict',
  'POST /api/v1/models/:id/report': 'predict',
  'POST /api/v1/models/:id/predict/batch': 'predict',
  'POST /api/v1/models/:id/batch-jobs': 'predict',
  'GET /api/v1/batch-jobs/:id': 'predict',
  'GET /api/v1/batch-jobs/:id/result': 'predict',
  'GET /api/v1/models/:id/monitoring': 'monitoring',
  'GET /api/v1/pipelines': 'training',
  'POST /api/v1/training-runs': 'training',
  'GET /api/v1/training-runs': 'training',
  'GET /api/v1/training-runs/:id': 'training',
  'POST /api/v1/training-runs/:id/cancel': 'training',
  'GET /api/v1/training-runs/:id/events': 'training',
  'GET /api/v1/models/:id/fhir/patients/:patientId': 'predict',
  'GET /api/v1/smart/context': 'predict',
  'GET /cds-services': 'public',
  'POST /cds-services/:id': 'public',
  'POST /cds-services/:id/feedback': 'public',
  'GET /auth/oidc/login': 'public',
  'GET /auth/oidc/callback': 'public',
  'GET /smart/launch': 'predict',
  'GET /smart/callback': 'predict',
  'GET /': 'public',
  'GET /login': 'public',
  'POST /login': 'public',
  'GET /register': 'public',
  'POST /register': 'public',
  'POST /logout': 'authenticated',
  'GET /account': 'authenticated',
  'POST /account/password': 'authenticated',
  'GET /predict': 'predict',
  'GET /result': 'predict',
  'GET /models': 'models:read',
  'GET /models/:id': 'models:read',
  'GET /manage': 'models:manage',
  'GET /train': 'training',
  'GET /train/:id': 'training',
  'GET /admin': 'admin',
  'GET /audit': 'audit',
  'GET /monitoring': 'monitoring',
  'GET /monitoring/:id': 'monitoring',
  'GET /static/*': 'public',
  'GET /widgets/*': 'public',
};

type Who = 'anonymous' | 'pending' | 'clinician' | 'data_scientist' | 'admin';
const WHO: readonly Who[] = ['anonymous', 'pending', 'clinician', 'data_scientist', 'admin'];

/** What a caller must get: refused as unauthenticated, refused as forbidden, or let through (any other status). */
function expected(access: Access, who: Who): 'unauthenticated' | 'forbidden' | 'allowed' {
  if (access === 'public') return 'allowed';
  if (who === 'anonymous') return 'unauthenticated';
  if (access === 'authenticated') return 'allowed';
  if (who === 'pending') return 'forbidden';
  return ROLE_PERMISSIONS[who].includes(access) ? 'allowed' : 'forbidden';
}

// Parameters that reach the handler without changing anything (unknown ids give 404, empty bodies 400).
const UNKNOWN_UUID = '00000000-0000-4000-8000-000000000000';
function concrete(url: string): string {
  if (url === '/smart/launch') return `/smart/launch?iss=${encodeURIComponent(provider.issuer)}&launch=abc`;
  return url
    .replace(':patientId', 'patient-1')
    .replace(':version', '9.9.9')
    .replace(/\/users\/:id/, `/users/${UNKNOWN_UUID}`)
    .replace(/\/tokens\/:id/, `/tokens/${UNKNOWN_UUID}`)
    .replace(/\/training-runs\/:id/, `/training-runs/${UNKNOWN_UUID}`)
    .replace(/\/batch-jobs\/:id/, `/batch-jobs/${UNKNOWN_UUID}`)
    .replace(/\/models\/:id\/(archive|restore)/, '/models/no-such-model/$1')
    .replace(':id', 'heart-rbac')
    .replace('/widgets/*', '/widgets/cairn-widget.js')
    .replace('*', 'app.css');
}

let t: TestServer;
let provider: AuthProvider;
const clients = {} as Record<Exclude<Who, 'anonymous'>, () => Promise<Client>>;

beforeAll(async () => {
  provider = await startAuthProvider('cairn-rbac');
  t = await startTestServer({
    RATE_LIMIT_LOGIN_PER_MINUTE: '1000',
    RATE_LIMIT_REGISTER_PER_HOUR: '1000',
    OIDC_ISSUER: provider.issuer,
    OIDC_CLIENT_ID: 'cairn-rbac',
    SMART_CLIENT_ID: 'cairn-rbac',
    SMART_ALLOWED_ISSUERS: provider.issuer,
  });
  const admin = await t.admin();
  const form = new FormData();
  form.append('bundle', new Blob([await heartArchive('heart-rbac', '1.0.0')]), 'm.cairn');
  expect((await admin.request('POST', '/api/v1/models', { body: form })).status).toBe(201);
  // Fresh clients per call for routes that end sessions; shared ones otherwise.
  const shared = new Map<Who, Client>();
  for (const who of ['pending', 'clinician', 'data_scientist', 'admin'] as const) {
    clients[who] = async () => {
      const existing = shared.get(who);
      if (existing) return existing;
      const c = who === 'admin' ? await t.user(['admin']) : who === 'pending' ? await t.user('pending') : await t.user([who]);
      shared.set(who, c);
      return c;
    };
  }
});
afterAll(async () => {
  await t?.close();
  await provider?.close();
});

describe('RBAC matrix', () => {
  it('has an expected access rule for every route, matching what the route declares', () => {
    const declared = Object.fromEntries(listRoutes(t.server.app).map((r) => [`${r.method} ${r.url}`, r.access]));
    expect(Object.keys(declared).sort()).toEqual(Object.keys(MATRIX).sort());
    expect(declared).toEqual(MATRIX);
  });

  it.each(Object.entries(MATRIX))('%s is enforced for every kind of caller', async (route, access) => {
    const [method, url] = route.split(' ') as [string, string];
    for (const who of WHO) {
      const ending = url.endsWith('/logout');
      let client: Client;
      if (who === 'anonymous') client = t.client();
      else if (ending) client = who === 'pending' ? await t.user('pending') : await t.user(who === 'admin' ? ['admin'] : [who]);
      else client = await clients[who]();
      if (who === 'anonymous' && method !== 'GET') {
        // Anonymous callers get a CSRF cookie first, so the answer is about access, not CSRF.
        const token = await client.get('/api/v1/auth/csrf');
        client.csrf = token.body.csrfToken;
      }
      const r = await client.request(method, concrete(url), method === 'GET' || method === 'DELETE' ? {} : { json: {} });
      const want = expected(access, who);
      // Pages answer an anonymous caller with a redirect to the sign-in page instead of a 401.
      const toLogin = access !== 'public' && r.status === 303 && (r.headers.get('location') ?? '').startsWith('/login?next=');
      const got = r.status === 401 || toLogin ? 'unauthenticated' : r.status === 403 && !/CSRF/.test(r.text) ? 'forbidden' : 'allowed';
      expect(got, `${route} as ${who}: ${r.status} ${r.text.slice(0, 200)}`).toBe(want);
      expect(r.status, `${route} as ${who}`).toBeLessThan(500);
    }
  });
});
