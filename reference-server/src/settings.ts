import { randomBytes } from 'node:crypto';
import type { Database, Queryable } from './db/database.js';
import type { EventBus } from './db/events.js';

/** Settings an admin can change at runtime (shared by every instance through the database). */
export interface RuntimeSettings {
  /** Store patient inputs in audit records (off by default: only a keyed hash is kept). */
  readonly storePatientInputs: boolean;
}

/** Reads and writes runtime settings and the installation secrets kept in the database. */
export interface Settings {
  get(): Promise<RuntimeSettings>;
  update(tx: Queryable, changes: Partial<RuntimeSettings>, by: string): Promise<RuntimeSettings>;
  /** The key of the audit input hashes (created once per installation, shared by all instances). */
  auditHashKey(): Promise<string>;
  close(): void;
}

const DEFAULTS: RuntimeSettings = { storePatientInputs: false };

/** Creates the settings store; `initial` seeds values that were never set (from the environment). */
export async function createSettings(db: Database, events: EventBus, initial: Partial<RuntimeSettings>): Promise<Settings> {
  // Secrets are created with "insert … on conflict do nothing", so concurrent first starts agree on one.
  await db.query(`insert into settings (key, value) values ('audit.hashKey', $1::jsonb) on conflict (key) do nothing`, [
    JSON.stringify(randomBytes(32).toString('base64url')),
  ]);
  if (initial.storePatientInputs !== undefined) {
    await db.query(`insert into settings (key, value) values ('storePatientInputs', $1::jsonb) on conflict (key) do nothing`, [
      JSON.stringify(initial.storePatientInputs),
    ]);
  }
  let cached: Promise<RuntimeSettings> | undefined;
  let hashKey: string | undefined;
  const off = events.on((e) => {
    if (e.t === 'settings' || e.t === 'reset') cached = undefined;
  });
  const load = async (): Promise<RuntimeSettings> => {
    const { rows } = await db.query<{ key: string; value: unknown }>("select key, value from settings where key = 'storePatientInputs'");
    const out: { -readonly [K in keyof RuntimeSettings]: RuntimeSettings[K] } = { ...DEFAULTS };
    for (const r of rows) if (r.key === 'storePatientInputs') out.storePatientInputs = r.value === true;
    return out;
  };
  return {
    get() {
      cached ??= load().catch((error) => {
        cached = undefined;
        throw error;
      });
      return cached;
    },
    async update(tx, changes, by) {
      if (changes.storePatientInputs !== undefined) {
        await tx.query(
          `insert into settings (key, value, updated_by, updated_at) values ('storePatientInputs', $1::jsonb, $2, now())
           on conflict (key) do update set value = excluded.value, updated_by = excluded.updated_by, updated_at = now()`,
          [JSON.stringify(changes.storePatientInputs), by],
        );
      }
      await events.publish(tx, { t: 'settings' });
      cached = undefined;
      const { rows } = await tx.query<{ value: unknown }>("select value from settings where key = 'storePatientInputs'");
      return { storePatientInputs: rows[0]?.value === true };
    },
    async auditHashKey() {
      if (hashKey) return hashKey;
      const { rows } = await db.query<{ value: string }>("select value from settings where key = 'audit.hashKey'");
      hashKey = rows[0]?.value as string;
      return hashKey;
    },
    close() {
      off();
    },
  };
}
