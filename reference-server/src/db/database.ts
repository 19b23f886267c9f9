import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import pg from 'pg';

/** One row as returned by a query. */
export type Row = Record<string, unknown>;

/** Something SQL can be run on: the database, or a transaction. */
export interface Queryable {
  query<T = Row>(text: string, params?: readonly unknown[]): Promise<{ rows: T[]; rowCount: number }>;
  /** In a transaction: runs `fn` once the transaction has committed (never on rollback). */
  afterCommit?(fn: () => void): void;
}

/** The database the server keeps its state in: embedded PGlite or a PostgreSQL server, one interface. */
export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Runs `fn` on one connection holding a session-level advisory lock (waits for it). */
  withAdvisoryLock<T>(key: bigint, fn: (q: Queryable & { exec(sql: string): Promise<void> }) => Promise<T>): Promise<T>;
  /** Subscribes to NOTIFY on a channel; `onReset` is called when notifications may have been missed. */
  listen(channel: string, onPayload: (payload: string) => void, onReset?: () => void): Promise<() => Promise<void>>;
  /** What pg-boss needs to run its queue on this database. */
  executeSql(text: string, values?: unknown[]): Promise<{ rows: Row[] }>;
  close(): Promise<void>;
}

// int8 and numeric come back as numbers: counts and ids here stay far below 2^53.
const toNumber = (v: string) => Number(v);

/**
 * Takes the data folder for this process: PGlite has no locking of its own, and two processes
 * writing one folder would corrupt it. A lock left by a process that no longer runs is taken over.
 */
async function lockFolder(dir: string): Promise<() => Promise<void>> {
  const path = `${dir}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, String(process.pid), { flag: 'wx' });
      return async () => {
        await rm(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      let alive = false;
      try {
        if (Number.isInteger(pid) && pid > 0 && pid !== process.pid) {
          process.kill(pid, 0);
          alive = true;
        }
      } catch {
        alive = false;
      }
      if (alive) throw new Error(`another Cairn server (process ${pid}) is using ${dir}: stop it, or give this one another DATA_DIR`);
      await rm(path, { force: true });
    }
  }
  throw new Error(`could not lock ${dir}`);
}

/** Opens an embedded PGlite database (in memory when `dir` is undefined). */
export async function openPglite(dir: string | undefined): Promise<Database> {
  let unlock = async () => {};
  if (dir) {
    await mkdir(dir, { recursive: true });
    unlock = await lockFolder(dir);
  }
  let db: PGlite;
  try {
    db = await PGlite.create(dir, {
      parsers: { [pgliteTypes.INT8]: toNumber, [pgliteTypes.NUMERIC]: toNumber },
    });
  } catch (error) {
    await unlock();
    throw error;
  }
  // PGlite is a single connection: transactions are serialised by PGlite itself, and a
  // session-level lock is held by "the" session, so the lock helper just runs the function.
  const exec = async (sql: string) => {
    await db.exec(sql);
  };
  const query = async <T>(text: string, params?: readonly unknown[]) => {
    const r = await db.query<T>(text, params as unknown[] | undefined);
    return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
  };
  return {
    kind: 'pglite',
    query,
    exec,
    async transaction(fn) {
      const committed: Array<() => void> = [];
      const result = await db.transaction(async (tx) =>
        fn({
          async query<T>(text: string, params?: readonly unknown[]) {
            const r = await tx.query<T>(text, params as unknown[] | undefined);
            return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
          },
          afterCommit: (cb) => committed.push(cb),
        }),
      );
      for (const cb of committed) cb();
      return result;
    },
    async withAdvisoryLock(key, fn) {
      await db.query('select pg_advisory_lock($1)', [key.toString()]);
      try {
        return await fn({ query, exec });
      } finally {
        await db.query('select pg_advisory_unlock($1)', [key.toString()]);
      }
    },
    async listen(channel, onPayload) {
      const unsubscribe = await db.listen(channel, onPayload);
      return async () => {
        await unsubscribe();
      };
    },
    async executeSql(text, values) {
      if (values && values.length > 0) return db.query(text, values);
      const results = await db.exec(text);
      return { rows: (results[results.length - 1]?.rows ?? []) as Row[] };
    },
    async close() {
      await db.close();
      await unlock();
    },
  };
}

function pgTypes(): pg.CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: string) => {
      if (oid === 20 || oid === 1700) return toNumber;
      return pg.types.getTypeParser(oid, format as 'text');
    }) as pg.CustomTypesConfig['getTypeParser'],
  };
}

/** Opens a pool on a PostgreSQL server. */
export async function openPostgres(url: string, poolSize: number, onError: (error: Error) => void): Promise<Database> {
  const types = pgTypes();
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types, application_name: 'cairn-server' });
  pool.on('error', onError);
  // Fail fast with a clear error when the server is unreachable.
  await pool.query('select 1');
  const listeners = new Set<{ channel: string; onPayload: (p: string) => void; onReset?: () => void }>();
  let listenClient: pg.Client | undefined;
  let connecting: Promise<void> | undefined;
  let closed = false;

  async function connectListener(): Promise<void> {
    const client = new pg.Client({ connectionString: url, types, application_name: 'cairn-server-listen' });
    client.on('notification', (msg) => {
      for (const l of listeners) if (l.channel === msg.channel) l.onPayload(msg.payload ?? '');
    });
    client.on('error', (error) => {
      onError(error);
      if (listenClient === client) listenClient = undefined;
      client.end().catch(() => undefined);
      // Notifications sent while disconnected are lost: tell listeners to drop what they cached.
      for (const l of listeners) l.onReset?.();
      if (!closed) setTimeout(() => void ensureListener().catch(onError), 1000).unref();
    });
    await client.connect();
    for (const channel of new Set([...listeners].map((l) => l.channel))) await client.query(`listen ${quoteIdent(channel)}`);
    listenClient = client;
  }
  async function ensureListener(): Promise<void> {
    if (listenClient || closed) return;
    connecting ??= connectListener().finally(() => {
      connecting = undefined;
    });
    await connecting;
  }

  const query = async <T>(text: string, params?: readonly unknown[]) => {
    const r = await pool.query(text, params as unknown[] | undefined);
    return { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length };
  };
  const clientQueryable = (client: pg.PoolClient) => ({
    async query<T>(text: string, params?: readonly unknown[]) {
      const r = await client.query(text, params as unknown[] | undefined);
      return { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length };
    },
    async exec(sql: string) {
      await client.query(sql);
    },
  });

  return {
    kind: 'postgres',
    query,
    async exec(sql) {
      await pool.query(sql);
    },
    async transaction(fn) {
      const client = await pool.connect();
      const committed: Array<() => void> = [];
      try {
        await client.query('begin');
        const result = await fn({ ...clientQueryable(client), afterCommit: (cb) => committed.push(cb) });
        await client.query('commit');
        for (const cb of committed) cb();
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async withAdvisoryLock(key, fn) {
      const client = await pool.connect();
      try {
        await client.query('select pg_advisory_lock($1)', [key.toString()]);
        try {
          return await fn(clientQueryable(client));
        } finally {
          await client.query('select pg_advisory_unlock($1)', [key.toString()]);
        }
      } finally {
        client.release();
      }
    },
    async listen(channel, onPayload, onReset) {
      const entry = { channel, onPayload, ...(onReset ? { onReset } : {}) };
      listeners.add(entry);
      await ensureListener();
      await listenClient?.query(`listen ${quoteIdent(channel)}`);
      return async () => {
        listeners.delete(entry);
      };
    },
    async executeSql(text, values) {
      return pool.query(text, values);
    },
    async close() {
      closed = true;
      await listenClient?.end().catch(() => undefined);
      await pool.end();
    },
  };
}

function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsafe channel name '${name}'`);
  return name;
}
