// biome-ignore-all lint/suspicious/noExplicitAny: response bodies in tests are loosely typed JSON
// The real entry point as a process: configuration errors, first start (examples, one-time admin
// password), graceful shutdown with a request in flight, restart on the same data, logs without PHI.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerProcess, startServerProcess } from '../test/processes.js';
import { PATIENT } from './__fixtures__/bundles.js';
import { Client } from './__fixtures__/client.js';

const SERVER_DIR = fileURLToPath(new URL('..', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));

describe('the server process', () => {
  let data: string;
  let server: ServerProcess | undefined;
  const password = 'a-new-admin-password';

  beforeAll(async () => {
    data = await mkdtemp(join(tmpdir(), 'cairn-lifecycle-'));
  });
  afterAll(async () => {
    await server?.stop();
    await rm(data, { recursive: true, force: true });
  });

  it('refuses a bad configuration with a message naming each variable', async () => {
    const child = spawn(TSX, ['--conditions=@cairn/source', 'src/main.ts'], {
      cwd: SERVER_DIR,
      env: { PATH: process.env.PATH ?? '', PORT: 'http', DATABASE_URL: 'mysql://nope', OIDC_CLIENT_ID: 'x' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stderr.on('data', (d) => {
      out += String(d);
    });
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(1);
    expect(out).toMatch(/PORT: must be a whole number/);
    expect(out).toMatch(/DATABASE_URL: must start with postgres/);
  });

  it('installs the examples and prints a one-time admin password on first start, which must be replaced', async () => {
    server = await startServerProcess({ DATA_DIR: data, EXAMPLES: 'true', ADMIN_EMAIL: 'admin@example.org', LOG_LEVEL: 'info' }, 180_000);
    const printed = /password: (\S+)/.exec(server.output())?.[1];
    expect(printed).toBeDefined();
    const admin = new Client(server.url);
    expect((await admin.login('admin@example.org', printed as string)).status).toBe(200);
    expect((await admin.get('/api/v1/me')).body.mustChangePassword).toBe(true);
    expect((await admin.get('/api/v1/models')).status).toBe(403);
    expect((await admin.post('/api/v1/me/password', { currentPassword: printed, newPassword: password })).status).toBe(204);
    const models = await admin.get('/api/v1/models');
    expect(models.body.models.map((m: any) => [m.id, m.activeVersion])).toEqual([
      ['diabetes', '1.0.0'],
      ['heart-disease', '1.0.0'],
    ]);
    expect(
      (await admin.get('/api/v1/models/heart-disease/metrics')).body.metrics.find((m: any) => m.name === 'roc_auc').value,
    ).toBeGreaterThan(0.8);
  }, 240_000);

  it('finishes a request in flight when stopped, and refuses new ones', async () => {
    const s = server as ServerProcess;
    const admin = new Client(s.url);
    await admin.login('admin@example.org', password);
    const token = await admin.post('/api/v1/tokens', { name: 'shutdown', role: 'admin' });
    const body = JSON.stringify({ inputs: PATIENT });
    const { port } = new URL(s.url);
    // Half a request is sent before SIGTERM, the rest after: the server must still answer it.
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/v1/models/heart-disease/predict',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: `Bearer ${token.body.token}`,
          },
        },
        (res) => {
          let text = '';
          res.on('data', (d) => {
            text += String(d);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 20));
      setTimeout(() => {
        s.child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(20)), 500);
      }, 200);
    });
    const r = await answer;
    expect(r.status, r.text).toBe(200);
    expect(JSON.parse(r.text).prediction.modelId).toBe('heart-disease');
    const code = await new Promise<number | null>((resolve) =>
      s.child.exitCode !== null ? resolve(s.child.exitCode) : s.child.once('exit', resolve),
    );
    expect(code).toBe(0);
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
    expect(s.output()).toMatch(/shutting down/);
  }, 60_000);

  it('reuses its data on the next start, and never logs patient values', async () => {
    server = await startServerProcess({ DATA_DIR: data, EXAMPLES: 'true', ADMIN_EMAIL: 'admin@example.org', LOG_LEVEL: 'debug' }, 180_000);
    // A second process on the same data folder is refused (PGlite would be corrupted).
    await expect(startServerProcess({ DATA_DIR: data, ADMIN_EMAIL: 'admin@example.org' }, 60_000)).rejects.toThrow(/another Cairn server/);
    expect(server.output()).not.toMatch(/password:/);
    expect(server.output()).not.toMatch(/example models installed/);
    const admin = new Client(server.url);
    expect((await admin.login('admin@example.org', password)).status).toBe(200);
    expect((await admin.get('/api/v1/models')).body.models).toHaveLength(2);
    const refused = await admin.post('/api/v1/models/heart-disease/predict', { inputs: { ...PATIENT, chol: 'XYZZY-PATIENT-VALUE' } });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('XYZZY');
    expect((await admin.post('/api/v1/models/heart-disease/predict?note=Q-SECRET', { inputs: PATIENT })).status).toBe(200);
    await admin.request('POST', '/api/v1/models/heart-disease/predict', {
      body: '{"inputs": {"chol": "XYZZY',
      headers: { 'content-type': 'application/json' },
    });
    await new Promise((r) => setTimeout(r, 200));
    const log = server.output();
    expect(log).toMatch(/"route":"\/api\/v1\/models\/:id\/predict"/);
    expect(log).not.toContain('XYZZY');
    expect(log).not.toContain('Q-SECRET');
    // No patient field is logged, and the patient's cholesterol never appears as a JSON value
    // (a bare '233' can turn up by chance inside timestamps or ids).
    expect(log).not.toMatch(/"(inputs|chol|trestbps|thalach|oldpeak)"/);
    expect(log).not.toMatch(new RegExp(`[:\\[,]\\s*${PATIENT.chol}\\s*[,\\]}]`));
  }, 240_000);
});
