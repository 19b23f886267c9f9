// Starts a server for one test file: in-memory PGlite (or a given PostgreSQL URL), an ephemeral port, quiet logs.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Role } from '../config.js';
import { openPglite } from '../db/database.js';
import { type CairnServer, startServer } from '../server.js';
import { Client } from './client.js';

export const ADMIN = { email: 'admin@example.org', password: 'admin-password-for-tests' } as const;

export interface TestServer {
  readonly server: CairnServer;
  readonly url: string;
  readonly dataDir: string;
  admin(): Promise<Client>;
  /** Registers, approves (with roles) and signs in a user; returns their client. */
  user(roles: readonly Role[] | 'pending' | 'rejected', email?: string): Promise<Client>;
  client(): Client;
  close(): Promise<void>;
}

let counter = 0;

/** Starts a server with test settings; `env` overrides any variable. */
export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cairn-server-test-'));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    EXAMPLES: 'false',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    COOKIE_SECURE: 'false',
    LOG_LEVEL: 'silent',
    AUTH_CACHE_SECONDS: '0',
    CDS_AUTH: 'off',
    ...env,
  });
  const database = env.DATABASE_URL ? undefined : await openPglite(undefined);
  const server = await startServer(config, { ...(database ? { database } : {}), announce: () => undefined });
  const url = server.url as string;
  let adminClient: Client | undefined;
  const t: TestServer = {
    server,
    url,
    dataDir,
    client: () => new Client(url),
    async admin() {
      if (!adminClient) {
        adminClient = new Client(url);
        const r = await adminClient.login(ADMIN.email, ADMIN.password);
        if (r.status !== 200) throw new Error(`admin login failed: ${r.status} ${r.text}`);
      }
      return adminClient;
    },
    async user(roles, email) {
      const c = new Client(url);
      const address = email ?? `user${++counter}-${Date.now()}@example.org`;
      const password = 'a-long-enough-password';
      const reg = await c.register(address, `User ${counter}`, password);
      if (reg.status !== 202) throw new Error(`register failed: ${reg.status} ${reg.text}`);
      if (roles !== 'pending') {
        const admin = await t.admin();
        const users = await admin.get('/api/v1/users?status=pending');
        const u = users.body.users.find((x: { email: string }) => x.email === address);
        const r =
          roles === 'rejected'
            ? await admin.post(`/api/v1/users/${u.id}/reject`)
            : await admin.post(`/api/v1/users/${u.id}/approve`, { roles });
        if (r.status !== 200) throw new Error(`decision failed: ${r.status} ${r.text}`);
      }
      const login = await c.login(address, password);
      if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.text}`);
      return c;
    },
    async close() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return t;
}
