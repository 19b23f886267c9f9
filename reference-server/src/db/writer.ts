import { type AuditEntry, writeAudit } from '../audit/audit.js';
import type { Database } from './database.js';

interface Hit {
  readonly key: string;
  readonly windowStart: number;
  readonly windowMs: number;
  readonly resolve: (r: { count: number; ttlMs: number }) => void;
  readonly reject: (e: unknown) => void;
}

interface PendingAudit {
  readonly entry: AuditEntry;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Group commit for the hot path: rate-limit counters and prediction audit records from many
 * concurrent requests go to the database together, one transaction per round, and each request
 * waits until its own write is committed. While one round runs, the next one fills up, so a busy
 * server makes few large writes and an idle one writes at once.
 */
export interface Writer {
  /** Counts a request against `key` in a fixed window; resolves with the committed count in that window. */
  hit(key: string, windowMs: number): Promise<{ count: number; ttlMs: number }>;
  /** Writes an audit record; resolves once it is committed. */
  audit(entry: AuditEntry): Promise<void>;
  /** Resolves when everything queued so far is written. */
  flush(): Promise<void>;
}

/** Creates the group-commit writer on a database. */
export function createWriter(db: Database, options: { maxBatch?: number } = {}): Writer {
  const maxBatch = options.maxBatch ?? 2000;
  const hits: Hit[] = [];
  const audits: PendingAudit[] = [];
  let running: Promise<void> | undefined;
  let idleWaiters: Array<() => void> = [];

  function schedule(): void {
    if (running) return;
    running = (async () => {
      // Let the requests that arrive in the same tick join this round.
      await new Promise<void>((r) => setImmediate(r));
      while (hits.length > 0 || audits.length > 0) {
        const h = hits.splice(0, maxBatch);
        const a = audits.splice(0, maxBatch);
        await round(h, a);
      }
    })().finally(() => {
      running = undefined;
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
      if (hits.length > 0 || audits.length > 0) schedule();
    });
  }

  async function round(h: Hit[], a: PendingAudit[]): Promise<void> {
    // Sum the increments per (key, window); each request then learns its own position.
    const totals = new Map<string, { key: string; windowStart: number; n: number }>();
    for (const x of h) {
      const id = `${x.windowStart}\u0000${x.key}`;
      const t = totals.get(id);
      if (t) t.n++;
      else totals.set(id, { key: x.key, windowStart: x.windowStart, n: 1 });
    }
    try {
      const counts = await db.transaction(async (tx) => {
        const out = new Map<string, number>();
        if (totals.size > 0) {
          const rows = [...totals.values()].map((t) => ({ key: t.key, window_start: t.windowStart, n: t.n }));
          const r = await tx.query<{ key: string; window_start: number; count: number }>(
            `insert into rate_limits (key, window_start, count)
             select key, window_start, n from jsonb_to_recordset($1::jsonb) as x(key text, window_start bigint, n integer)
             on conflict (key, window_start) do update set count = rate_limits.count + excluded.count
             returning key, window_start, count`,
            [JSON.stringify(rows)],
          );
          for (const row of r.rows) out.set(`${Number(row.window_start)}\u0000${row.key}`, Number(row.count));
        }
        if (a.length > 0)
          await writeAudit(
            tx,
            a.map((x) => x.entry),
          );
        return out;
      });
      const seen = new Map<string, number>();
      const now = Date.now();
      for (const x of h) {
        const id = `${x.windowStart}\u0000${x.key}`;
        const final = counts.get(id) ?? 0;
        const total = totals.get(id)?.n ?? 1;
        const k = seen.get(id) ?? 0;
        seen.set(id, k + 1);
        x.resolve({ count: final - total + k + 1, ttlMs: Math.max(0, x.windowStart + x.windowMs - now) });
      }
      for (const x of a) x.resolve();
    } catch (error) {
      for (const x of h) x.reject(error);
      for (const x of a) x.reject(error);
    }
  }

  return {
    hit(key, windowMs) {
      const windowStart = Math.floor(Date.now() / windowMs) * windowMs;
      return new Promise((resolve, reject) => {
        hits.push({ key, windowStart, windowMs, resolve, reject });
        schedule();
      });
    },
    audit(entry) {
      return new Promise((resolve, reject) => {
        audits.push({ entry, resolve, reject });
        schedule();
      });
    },
    flush() {
      if (!running && hits.length === 0 && audits.length === 0) return Promise.resolve();
      return new Promise((resolve) => {
        idleWaiters.push(resolve);
      });
    },
  };
}
