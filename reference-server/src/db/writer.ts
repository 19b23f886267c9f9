import { AUDIT_COLUMNS_SQL, type AuditEntry, auditRecordsetSql, auditRows } from '../audit/audit.js';
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

/** A counter kept locally between rounds: `known` is the shared total at the last round, `pending` what this instance added since. */
interface SyncedCounter {
  readonly key: string;
  readonly windowStart: number;
  readonly windowMs: number;
  known: number;
  pending: number;
  sending: number;
}

/**
 * Group commit for the hot path: rate-limit counters and prediction audit records from many
 * concurrent requests go to the database together, one statement per round, and each request
 * waits until its own write is committed. While one round runs, the next one fills up; rounds
 * start at most every `minIntervalMs`, so a busy server makes few large writes and an idle one
 * writes at once.
 */
export interface Writer {
  /** Counts a request against `key` in a fixed window; resolves with the committed count in that window (exact across instances). */
  hit(key: string, windowMs: number): Promise<{ count: number; ttlMs: number }>;
  /**
   * Counts a request without waiting: the answer is the shared total from the last round plus what
   * this instance counted since (other instances' requests show up within one round, a few ms).
   */
  hitSynced(key: string, windowMs: number): { count: number; ttlMs: number };
  /** Writes an audit record; resolves once it is committed. */
  audit(entry: AuditEntry): Promise<void>;
  /** Resolves when everything queued so far is written. */
  flush(): Promise<void>;
}

/** Creates the group-commit writer on a database. */
export function createWriter(db: Database, options: { maxBatch?: number; minIntervalMs?: number } = {}): Writer {
  const maxBatch = options.maxBatch ?? 2000;
  const minIntervalMs = options.minIntervalMs ?? 4;
  const hits: Hit[] = [];
  const audits: PendingAudit[] = [];
  const synced = new Map<string, SyncedCounter>();
  let running: Promise<void> | undefined;
  let idleWaiters: Array<() => void> = [];
  let lastRound = 0;
  let lastDuration = 0;

  const pendingSynced = () => {
    for (const c of synced.values()) if (c.pending > 0) return true;
    return false;
  };
  const hasWork = () => hits.length > 0 || audits.length > 0 || pendingSynced();

  function schedule(): void {
    if (running) return;
    running = (async () => {
      while (hasWork()) {
        // Let the requests that arrive meanwhile join this round: rounds start at most every
        // minIntervalMs, and at most every three round durations, so an embedded database (whose
        // queries run on this thread) never takes more than about a third of it.
        const wait = lastRound + Math.max(minIntervalMs, 3 * lastDuration) - Date.now();
        await new Promise<void>((r) => (wait > 0 ? setTimeout(r, wait) : setImmediate(r)));
        lastRound = Date.now();
        await round(hits.splice(0, maxBatch), audits.splice(0, maxBatch));
        lastDuration = Date.now() - lastRound;
      }
    })().finally(() => {
      running = undefined;
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
      if (hasWork()) schedule();
    });
  }

  async function round(h: Hit[], a: PendingAudit[]): Promise<void> {
    const now = Date.now();
    // Sum the increments per (key, window); each exact request then learns its own position.
    const totals = new Map<string, { key: string; windowStart: number; n: number }>();
    const exactCounts = new Map<string, number>();
    for (const x of h) {
      const id = `${x.windowStart}\u0000${x.key}`;
      exactCounts.set(id, (exactCounts.get(id) ?? 0) + 1);
      const t = totals.get(id);
      if (t) t.n++;
      else totals.set(id, { key: x.key, windowStart: x.windowStart, n: 1 });
    }
    const sending: SyncedCounter[] = [];
    for (const [id, c] of synced) {
      if (c.windowStart + c.windowMs < now - 1000) {
        synced.delete(id);
        continue;
      }
      if (c.pending === 0) continue;
      c.sending = c.pending;
      c.pending = 0;
      sending.push(c);
      const t = totals.get(id);
      if (t) t.n += c.sending;
      else totals.set(id, { key: c.key, windowStart: c.windowStart, n: c.sending });
    }
    try {
      const counts = new Map<string, number>();
      const rows = [...totals.values()].map((t) => ({ key: t.key, window_start: t.windowStart, n: t.n }));
      // One statement (data-modifying CTEs run in full and commit together): counters and audit records.
      const r = await db.query<{ key: string; window_start: number; count: number }>(
        `with audit as (
           insert into audit_log (${AUDIT_COLUMNS_SQL}) select ${AUDIT_COLUMNS_SQL} from ${auditRecordsetSql('$2')}
           returning 1
         )
         insert into rate_limits (key, window_start, count)
         select key, window_start, n from jsonb_to_recordset($1::jsonb) as x(key text, window_start bigint, n integer)
         on conflict (key, window_start) do update set count = rate_limits.count + excluded.count
         returning key, window_start, count`,
        [JSON.stringify(rows), JSON.stringify(auditRows(a.map((x) => x.entry)))],
      );
      for (const row of r.rows) counts.set(`${Number(row.window_start)}\u0000${row.key}`, Number(row.count));
      for (const c of sending) {
        c.known = counts.get(`${c.windowStart}\u0000${c.key}`) ?? c.known + c.sending;
        c.sending = 0;
      }
      const seen = new Map<string, number>();
      const at = Date.now();
      for (const x of h) {
        const id = `${x.windowStart}\u0000${x.key}`;
        const final = counts.get(id) ?? 0;
        const exact = exactCounts.get(id) ?? 1;
        const k = seen.get(id) ?? 0;
        seen.set(id, k + 1);
        x.resolve({ count: final - exact + k + 1, ttlMs: Math.max(0, x.windowStart + x.windowMs - at) });
      }
      for (const x of a) x.resolve();
    } catch (error) {
      // Synced increments are kept for the next round; waiting requests learn of the failure.
      for (const c of sending) {
        c.pending += c.sending;
        c.sending = 0;
      }
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
    hitSynced(key, windowMs) {
      const now = Date.now();
      const windowStart = Math.floor(now / windowMs) * windowMs;
      const id = `${windowStart}\u0000${key}`;
      let c = synced.get(id);
      if (!c) {
        c = { key, windowStart, windowMs, known: 0, pending: 0, sending: 0 };
        synced.set(id, c);
      }
      c.pending++;
      schedule();
      return { count: c.known + c.sending + c.pending, ttlMs: windowStart + windowMs - now };
    },
    audit(entry) {
      return new Promise((resolve, reject) => {
        audits.push({ entry, resolve, reject });
        schedule();
      });
    },
    flush() {
      if (!running && !hasWork()) return Promise.resolve();
      return new Promise((resolve) => {
        idleWaiters.push(resolve);
      });
    },
  };
}
