// Starts a throwaway PostgreSQL server (Debian's binaries) on a free local port, as the postgres
// user when running as root (postgres refuses to run as root).
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestPostgres {
  /** Connection URL of the maintenance database. */
  readonly url: string;
  stop(): Promise<void>;
}

/** Where PostgreSQL's binaries are, or why they cannot be used. */
export function findPostgres(): { bin: string } | { missing: string } {
  const candidates = process.env.PG_BIN ? [process.env.PG_BIN] : [];
  if (existsSync('/usr/lib/postgresql')) {
    for (const v of readdirSync('/usr/lib/postgresql').sort().reverse()) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  }
  const bin = candidates.find((c) => existsSync(join(c, 'initdb')) && existsSync(join(c, 'pg_ctl')));
  return bin ? { bin } : { missing: 'PostgreSQL binaries not found (install Debian postgresql or set PG_BIN)' };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** initdb into a temp dir and start the server; resolves when it accepts connections. */
export async function startPostgres(bin: string): Promise<TestPostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  let uid: number | undefined;
  let gid: number | undefined;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const g = await run('id', ['-g', 'postgres']);
    uid = Number(stdout.trim());
    gid = Number(g.stdout.trim());
    await chown(dir, uid, gid);
  }
  await chmod(dir, 0o700);
  const exec = (cmd: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]) : run(join(bin, cmd), args);
  await exec('initdb', ['-D', data, '-U', 'cairn', '--auth=trust', '-E', 'UTF8', '--no-instructions']);
  const port = await freePort();
  await exec('pg_ctl', [
    '-D',
    data,
    '-l',
    join(dir, 'log.txt'),
    '-w',
    '-t',
    '60',
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`,
    'start',
  ]);
  return {
    url: `postgres://cairn@127.0.0.1:${port}/postgres`,
    async stop() {
      await exec('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Creates a fresh database on the test server and returns its URL. */
export async function createDatabase(baseUrl: string, name: string): Promise<string> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  return baseUrl.replace(/\/[^/]*$/, `/${name}`);
}
