// biome-ignore-all lint/suspicious/noExplicitAny: response bodies in tests are loosely typed JSON
// Two server processes against one PostgreSQL database: shared state, and each queued run executed once.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase } from '../test/postgres.js';
import { type ServerProcess, startServerProcess } from '../test/processes.js';
import { DATASETS, heartArchive, PATIENT } from './__fixtures__/bundles.js';
import { Client } from './__fixtures__/client.js';
import { MIGRATIONS } from './db/migrations.js';

const baseUrl = inject('postgresUrl');
const skip = inject('postgresSkip');
const ADMIN = { email: 'admin@example.org', password: 'admin-password-two-instances' };

describe.skipIf(!baseUrl)(`two instances on one PostgreSQL${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let db: pg.Client;

  beforeAll(async () => {
    const url = await createDatabase(baseUrl, `scale_${process.pid}_${Date.now()}`);
    const env = {
      DATABASE_URL: url,
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      RATE_LIMIT_LOGIN_PER_MINUTE: '12',
      TRAINING_CONCURRENCY: '1',
    };
    // Both start at once on an empty database: migrations and the first admin must not collide.
    const started = await Promise.allSettled([
      startServerProcess({ ...env, INSTANCE_ID: 'a' }),
      startServerProcess({ ...env, INSTANCE_ID: 'b' }),
    ]);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      // Stop whichever did start, so no server outlives the test.
      await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
      throw (failed as PromiseRejectedResult).reason;
    }
    [a, b] = started.map((s) => (s as PromiseFulfilledResult<ServerProcess>).value) as [ServerProcess, ServerProcess];
    db = new pg.Client({ connectionString: url });
    await db.connect();
  }, 180_000);

  afterAll(async () => {
    await db?.end();
    const codes = await Promise.all([a?.stop(), b?.stop()]);
    expect(codes).toEqual([0, 0]);
  });

  it('applied every migration once and created one admin', async () => {
    const m = await db.query('select version from schema_migrations order by version');
    expect(m.rows.map((r) => r.version)).toEqual(MIGRATIONS.map((x) => x.version));
    const admins = await db.query("select count(*)::int as n from users where 'admin' = any(roles)");
    expect(admins.rows[0].n).toBe(1);
  });

  it('shares users, approvals and sessions', async () => {
    const onA = new Client(a.url);
    const email = `shared-${Date.now()}@example.org`;
    expect((await onA.register(email, 'Shared User', 'a-long-enough-password')).status).toBe(202);
    const adminB = new Client(b.url);
    expect((await adminB.login(ADMIN.email, ADMIN.password)).status).toBe(200);
    const pending = await adminB.get('/api/v1/users?status=pending');
    const u = pending.body.users.find((x: any) => x.email === email);
    expect(u).toBeDefined();
    expect((await adminB.post(`/api/v1/users/${u.id}/approve`, { roles: ['clinician'] })).status).toBe(200);
    expect((await onA.login(email, 'a-long-enough-password')).body.status).toBe('active');
    // The session made on A is valid on B, and signing out on B ends it on A at once.
    const onB = new Client(b.url);
    for (const [k, v] of onA.cookies) onB.cookies.set(k, v);
    onB.csrf = onA.csrf;
    expect((await onA.get('/api/v1/me')).status).toBe(200);
    expect((await onB.get('/api/v1/me')).body.email).toBe(email);
    expect((await onB.post('/api/v1/auth/logout')).status).toBe(204);
    expect((await onA.get('/api/v1/me')).status).toBe(401);
  });

  it('shares models: an upload on one is served by the other, an archive on the other is seen by the first', async () => {
    const adminA = new Client(a.url);
    await adminA.login(ADMIN.email, ADMIN.password);
    const form = new FormData();
    form.append('bundle', new Blob([await heartArchive('heart-shared', '1.0.0')]), 'm.cairn');
    expect((await adminA.request('POST', '/api/v1/models', { body: form })).status).toBe(201);
    const adminB = new Client(b.url);
    await adminB.login(ADMIN.email, ADMIN.password);
    const p = await adminB.post('/api/v1/models/heart-shared/predict', { inputs: PATIENT });
    expect(p.status, p.text).toBe(200);
    expect(p.body.prediction.modelVersion).toBe('1.0.0');
    expect((await adminB.post('/api/v1/models/heart-shared/archive')).status).toBe(200);
    // A's model cache is dropped by the notification B's commit sent (milliseconds; allow a second).
    let status = 0;
    for (let i = 0; i < 20 && status !== 409; i++) {
      status = (await adminA.post('/api/v1/models/heart-shared/predict', { inputs: PATIENT })).status;
      if (status !== 409) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(409);
    // Both instances wrote audit records to the one log.
    const audit = await adminA.get('/api/v1/audit?model=heart-shared');
    expect(new Set(audit.body.records.map((r: any) => r.action))).toEqual(new Set(['model.archive', 'model.upload', 'predict']));
  });

  it('executes each queued training run exactly once, and its result is visible everywhere', async () => {
    const pima = new Uint8Array(await readFile(join(DATASETS, 'pima-diabetes.csv')));
    const scientistA = new Client(a.url);
    await scientistA.login(ADMIN.email, ADMIN.password);
    const scientistB = new Client(b.url);
    await scientistB.login(ADMIN.email, ADMIN.password);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const f = new FormData();
      f.append('pipeline', 'logistic');
      f.append(
        'spec',
        JSON.stringify({
          target: 'Outcome',
          model: { id: `pima-scale-${i}`, name: 'Scale test', intendedUse: 'Testing.', limitations: ['Test'] },
          bootstrap: 10,
        }),
      );
      f.append('train', new Blob([pima]), 'pima.csv');
      const r = await (i % 2 ? scientistB : scientistA).request('POST', '/api/v1/training-runs', { body: f });
      expect(r.status, r.text).toBe(202);
      ids.push(r.body.run.id);
    }
    const deadline = Date.now() + 120_000;
    let runs: any[] = [];
    while (Date.now() < deadline) {
      runs = await Promise.all(ids.map(async (id) => (await scientistB.get(`/api/v1/training-runs/${id}`)).body.run));
      if (runs.every((r) => ['succeeded', 'failed', 'cancelled'].includes(r.status))) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    const starts = await db.query(
      "select target_id, count(*)::int as n from audit_log where action = 'training.start' and target_id = any($1) group by target_id",
      [ids],
    );
    expect(starts.rows.map((r) => r.n)).toEqual([1, 1, 1, 1]);
    for (const r of runs) expect(['a', 'b']).toContain(r.instance);
    const models = await scientistA.get('/api/v1/models');
    expect(models.body.models.filter((m: any) => m.id.startsWith('pima-scale-'))).toHaveLength(4);
  }, 150_000);

  it('shares rate-limit counters', { timeout: 90_000 }, async () => {
    // Counters use fixed one-minute windows: start well inside one so the loop does not straddle two.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 50_000) await new Promise((r) => setTimeout(r, 60_500 - intoMinute));
    let limitedAt = 0;
    for (let i = 1; i <= 16 && !limitedAt; i++) {
      const c = new Client(i % 2 ? a.url : b.url);
      const r = await c.login('nobody@example.org', 'wrong password');
      if (r.status === 429) limitedAt = i;
    }
    // Sign-ins above used part of the budget; the limit of 12 per minute is reached by the two instances together.
    expect(limitedAt).toBeGreaterThan(0);
    expect(limitedAt).toBeLessThanOrEqual(13);
  });
});
