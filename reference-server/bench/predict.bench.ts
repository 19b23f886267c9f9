// biome-ignore-all lint/suspicious/noExplicitAny: API answers are loosely typed JSON
// Predict-with-explanation throughput and latency at a fixed concurrency, on loopback.
// The server runs in its own process (as deployed); autocannon drives it from this one.
//   npm run bench -w @cairn/reference-server            # PGlite, 10 connections, 15 s
//   BENCH_CONNECTIONS=20 BENCH_SECONDS=30 DATABASE_URL=postgres://… npm run bench -w @cairn/reference-server
import { availableParallelism, loadavg } from 'node:os';
import autocannon from 'autocannon';
import { startServerProcess } from '../test/processes.js';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const ADMIN = { email: 'bench@example.org', password: 'bench-password-long-enough' };
const PATIENT = {
  age: 63,
  sex: true,
  cp: 1,
  trestbps: 145,
  chol: 233,
  fbs: true,
  restecg: 2,
  thalach: 150,
  exang: false,
  oldpeak: 2.3,
  slope: 3,
  ca: 0,
  thal: 6,
};

async function json(url: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, any>; headers: Headers }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

const server = await startServerProcess(
  {
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    EXAMPLES: 'true',
    RATE_LIMIT_PREDICT_PER_MINUTE: '100000000',
    LOG_LEVEL: 'warn',
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
  },
  300_000,
);
try {
  // An API token (clinician role) for the admin, as a machine client would use.
  const csrf = await json(`${server.url}/api/v1/auth/csrf`);
  const cookie = (csrf.headers.getSetCookie()[0] ?? '').split(';')[0] as string;
  const login = await json(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrf.body.csrfToken, cookie },
    body: JSON.stringify(ADMIN),
  });
  const session = (login.headers.getSetCookie()[0] ?? '').split(';')[0] as string;
  await json(`${server.url}/api/v1/users/${(await json(`${server.url}/api/v1/me`, { headers: { cookie: session } })).body.id}/roles`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'x-csrf-token': login.body.csrfToken, cookie: session },
    body: JSON.stringify({ roles: ['admin', 'clinician'] }),
  });
  const token = await json(`${server.url}/api/v1/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf-token': login.body.csrfToken, cookie: session },
    body: JSON.stringify({ name: 'bench', role: 'clinician' }),
  });
  const auth = `Bearer ${token.body.token}`;
  const url = `${server.url}/api/v1/models/heart-disease/predict`;
  const body = JSON.stringify({ inputs: PATIENT });
  const check = await json(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body });
  if (check.status !== 200 || !check.body.explanation) throw new Error(`predict failed: ${check.status} ${JSON.stringify(check.body)}`);

  const run = (duration: number) =>
    autocannon({
      url,
      method: 'POST',
      connections: CONNECTIONS,
      duration,
      headers: { 'content-type': 'application/json', authorization: auth },
      body,
    });
  await run(3); // warm-up: JIT, caches, the database's buffers
  const r = await run(SECONDS);
  const adminToken = await json(`${server.url}/api/v1/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf-token': login.body.csrfToken, cookie: session },
    body: JSON.stringify({ name: 'bench-audit', role: 'admin' }),
  });
  const audited = await json(`${server.url}/api/v1/audit?action=predict&limit=1`, {
    headers: { authorization: `Bearer ${adminToken.body.token}` },
  });

  const rps = r.requests.average;
  const p50 = r.latency.p50;
  const p99 = r.latency.p99;
  const ok = r['2xx'];
  const errors = r.non2xx + r.errors + r.timeouts;
  console.log(`\nPOST /api/v1/models/heart-disease/predict (prediction + TreeSHAP explanation + narrative + audit record)`);
  console.log(
    `database: ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}, ${CONNECTIONS} connections, ${SECONDS} s, loopback; ` +
      `${availableParallelism()} cores, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  );
  console.log(`| requests/s | p50 ms | p99 ms | max ms | 2xx | errors |`);
  console.log(`| ---: | ---: | ---: | ---: | ---: | ---: |`);
  console.log(`| ${rps.toFixed(0)} | ${p50} | ${p99} | ${r.latency.max} | ${ok} | ${errors} |`);
  console.log(`target: ≥ 1000 requests/s with p99 < 50 ms → ${rps >= 1000 && p99 < 50 ? 'met' : 'NOT met on this run'}`);
  console.log(`last audit record id: ${audited.body.records?.[0]?.id} (every prediction is audited before it is answered)`);
} finally {
  await server.stop();
}
