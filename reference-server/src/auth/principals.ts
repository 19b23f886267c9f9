import { createHash, randomBytes } from 'node:crypto';
import type { Role } from '../config.js';
import type { Database, Queryable } from '../db/database.js';
import type { EventBus, ServerEvent } from '../db/events.js';
import type { Principal, UserStatus } from './access.js';

/** SHA-256 (hex) of a secret: sessions and API tokens are stored only as hashes. */
export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** A new random secret (256 bits, base64url). */
export const randomSecret = () => randomBytes(32).toString('base64url');

/** Prefix of API tokens, so they are recognisable in secret scanners. */
export const TOKEN_PREFIX = 'cairn_';

interface Cached {
  readonly principal: Principal | undefined;
  readonly until: number;
}

interface UserRow {
  user_id: string;
  email: string;
  name: string;
  status: UserStatus;
  roles: Role[];
  must_change_password: boolean;
}

/** Resolves principals from session cookies and API tokens, with a short cache kept coherent across instances by events. */
export interface Principals {
  fromSession(token: string): Promise<Principal | undefined>;
  fromApiToken(token: string): Promise<Principal | undefined>;
  /** Creates a session for a user (a new id on every login). */
  createSession(tx: Queryable, userId: string): Promise<{ token: string; csrfToken: string; expiresAt: Date }>;
  /** Ends a session; other instances hear about it through the event. */
  endSession(tx: Queryable, sessionHash: string): Promise<void>;
  /** Ends every session of a user (after rejection, disabling or a role change). */
  endUserSessions(tx: Queryable, userId: string): Promise<void>;
  /** Creates an API token; the secret is returned once. */
  createToken(
    tx: Queryable,
    userId: string,
    name: string,
    role: Role,
    expiresAt: Date | null,
  ): Promise<{ id: string; token: string; createdAt: Date }>;
  close(): void;
}

/** Creates the principal resolver. */
export function createPrincipals(
  db: Database,
  events: EventBus,
  options: { cacheMs: number; sessionTtlMs: number; sessionIdleMs: number },
): Principals {
  const tokens = new Map<string, Cached>();
  const max = 10_000;

  const off = events.on((event: ServerEvent) => {
    switch (event.t) {
      case 'reset':
        tokens.clear();
        break;
      case 'user':
      case 'token':
        for (const [k, v] of tokens) if (v.principal?.userId === event.id || v.principal?.tokenId === event.id) tokens.delete(k);
        break;
      default:
        break;
    }
  });

  function remember<T extends Cached>(map: Map<string, T>, key: string, value: T): void {
    if (map.size >= max) map.delete(map.keys().next().value as string);
    map.set(key, value);
  }

  return {
    async fromSession(token) {
      if (!token || token.length > 100) return undefined;
      const hash = sha256(token);
      const now = Date.now();
      // Sessions are read from the database on every request (browser traffic is light), so signing
      // out or disabling a user takes effect on every instance at once. Tokens are cached instead.
      const { rows } = await db.query<UserRow & { csrf_token: string; last_seen_ms: number }>(
        `select s.csrf_token, (extract(epoch from s.last_seen_at) * 1000)::float8 as last_seen_ms,
                u.id as user_id, u.email, u.name, u.status, u.roles, u.must_change_password
           from sessions s join users u on u.id = s.user_id
          where s.id_hash = $1 and s.expires_at > now() and s.last_seen_at > now() - make_interval(secs => $2)`,
        [hash, options.sessionIdleMs / 1000],
      );
      const row = rows[0];
      const principal: Principal | undefined = row
        ? {
            kind: 'session',
            userId: row.user_id,
            email: row.email,
            name: row.name,
            status: row.status,
            roles: row.roles,
            mustChangePassword: row.must_change_password,
            sessionHash: hash,
            csrfToken: row.csrf_token,
          }
        : undefined;
      // Sliding idle timeout: refresh last_seen_at at most once a minute per session.
      if (row && now - Number(row.last_seen_ms) > 60_000) {
        await db.query('update sessions set last_seen_at = now() where id_hash = $1', [hash]);
      }
      return principal;
    },

    async fromApiToken(token) {
      if (!token.startsWith(TOKEN_PREFIX) || token.length > 100) return undefined;
      const hash = sha256(token);
      const now = Date.now();
      const hit = tokens.get(hash);
      if (hit && hit.until > now) return hit.principal;
      const { rows } = await db.query<UserRow & { token_id: string; token_name: string; role: Role }>(
        `select t.id as token_id, t.name as token_name, t.role, u.id as user_id, u.email, u.name, u.status, u.roles, u.must_change_password
           from api_tokens t join users u on u.id = t.user_id
          where t.token_hash = $1 and t.revoked_at is null and (t.expires_at is null or t.expires_at > now())`,
        [hash],
      );
      const row = rows[0];
      const principal: Principal | undefined = row
        ? {
            kind: 'token',
            userId: row.user_id,
            email: row.email,
            name: row.name,
            status: row.status,
            // A token acts with its one role, and only while the user still holds it.
            roles: row.roles.includes(row.role) ? [row.role] : [],
            mustChangePassword: row.must_change_password,
            tokenId: row.token_id,
            tokenName: row.token_name,
          }
        : undefined;
      if (row)
        await db.query(
          "update api_tokens set last_used_at = now() where id = $1 and (last_used_at is null or last_used_at < now() - interval '1 minute')",
          [row.token_id],
        );
      remember(tokens, hash, { principal, until: now + options.cacheMs });
      return principal;
    },

    async createSession(tx, userId) {
      const token = randomSecret();
      const csrfToken = randomSecret();
      const expiresAt = new Date(Date.now() + options.sessionTtlMs);
      await tx.query('insert into sessions (id_hash, user_id, csrf_token, expires_at) values ($1, $2, $3, $4)', [
        sha256(token),
        userId,
        csrfToken,
        expiresAt.toISOString(),
      ]);
      await tx.query('delete from sessions where user_id = $1 and expires_at < now()', [userId]);
      return { token, csrfToken, expiresAt };
    },

    async endSession(tx, sessionHash) {
      await tx.query('delete from sessions where id_hash = $1', [sessionHash]);
      await events.publish(tx, { t: 'session', id: sessionHash });
    },

    async endUserSessions(tx, userId) {
      await tx.query('delete from sessions where user_id = $1', [userId]);
      await events.publish(tx, { t: 'user', id: userId });
    },

    async createToken(tx, userId, name, role, expiresAt) {
      const token = `${TOKEN_PREFIX}${randomSecret()}`;
      const { rows } = await tx.query<{ id: string; created_at: Date }>(
        'insert into api_tokens (token_hash, user_id, name, role, expires_at) values ($1, $2, $3, $4, $5) returning id, created_at',
        [sha256(token), userId, name, role, expiresAt?.toISOString() ?? null],
      );
      const row = rows[0] as { id: string; created_at: Date };
      return { id: row.id, token, createdAt: row.created_at };
    },

    close() {
      off();
    },
  };
}
