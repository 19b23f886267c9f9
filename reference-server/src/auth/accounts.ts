import { writeAudit } from '../audit/audit.js';
import type { Role } from '../config.js';
import type { ServerContext } from '../context.js';
import type { Queryable } from '../db/database.js';
import { conflict, HttpError, notFound } from '../http/problem.js';
import type { Actor } from '../models/registry.js';
import type { UserStatus } from './access.js';
import { hashPassword, verifyDummy, verifyPassword } from './passwords.js';

/** A user as the API shows it. */
export interface UserView {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly status: UserStatus;
  readonly roles: readonly Role[];
  readonly requestedRole: Role | null;
  readonly sso: boolean;
  readonly createdAt: string;
  readonly decidedAt: string | null;
  readonly lockedUntil: string | null;
}

interface UserRow {
  id: string;
  email: string;
  name: string;
  status: UserStatus;
  roles: Role[];
  requested_role: Role | null;
  password_hash: string | null;
  oidc_subject: string | null;
  failed_logins: number;
  locked_until: Date | null;
  created_at: Date;
  decided_at: Date | null;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

/** The API view of a user row. */
export function userView(r: UserRow): UserView {
  return {
    id: r.id,
    email: r.email,
    name: r.name,
    status: r.status,
    roles: r.roles,
    requestedRole: r.requested_role,
    sso: r.oidc_subject !== null,
    createdAt: iso(r.created_at) as string,
    decidedAt: iso(r.decided_at),
    lockedUntil: r.locked_until && new Date(r.locked_until).getTime() > Date.now() ? iso(r.locked_until) : null,
  };
}

/** Registers a pending account. Returns whether it was created (an existing email is not revealed to the caller). */
export async function register(
  ctx: ServerContext,
  input: { email: string; name: string; password: string; requestedRole?: Role | undefined },
  actor: Actor,
): Promise<{ created: boolean }> {
  const email = input.email.trim().toLowerCase();
  const hash = await hashPassword(input.password);
  return ctx.db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string }>(
      `insert into users (email, name, password_hash, status, requested_role) values ($1, $2, $3, 'pending', $4)
       on conflict ((lower(email))) do nothing returning id`,
      [email, input.name.trim(), hash, input.requestedRole ?? null],
    );
    const id = rows[0]?.id;
    await writeAudit(tx, [
      {
        ...actor,
        actor: actor.actorId ? actor.actor : email,
        action: 'auth.register',
        outcome: id ? 'success' : 'failure',
        targetType: 'user',
        ...(id ? { targetId: id } : {}),
        details: id ? { requestedRole: input.requestedRole ?? null } : { reason: 'email already registered' },
      },
    ]);
    return { created: id !== undefined };
  });
}

/** The generic sign-in failure (it does not say whether the account exists). */
const badCredentials = () => new HttpError(401, 'unauthorized', 'The email or password is wrong');

/**
 * Checks a password and opens a new session. Failures are counted per account: after
 * LOGIN_MAX_FAILURES in a row the account is locked for LOCKOUT_MINUTES. The password is checked
 * outside any transaction (scrypt is slow and PGlite has a single connection).
 */
export async function login(
  ctx: ServerContext,
  emailInput: string,
  password: string,
  actor: Actor,
  previousSessionHash?: string,
): Promise<{ token: string; csrfToken: string; expiresAt: Date; status: UserStatus }> {
  const email = emailInput.trim().toLowerCase();
  const { rows } = await ctx.db.query<UserRow>('select * from users where lower(email) = $1', [email]);
  const user = rows[0];
  const fail = async (reason: string, lock = false) => {
    await ctx.db.transaction(async (tx) => {
      let lockedUntil: Date | null = null;
      if (user && lock) {
        const r = await tx.query<{ failed_logins: number }>(
          'update users set failed_logins = failed_logins + 1 where id = $1 returning failed_logins',
          [user.id],
        );
        if ((r.rows[0]?.failed_logins ?? 0) >= ctx.config.lockout.maxFailures) {
          lockedUntil = new Date(Date.now() + ctx.config.lockout.durationMs);
          await tx.query('update users set failed_logins = 0, locked_until = $2 where id = $1', [user.id, lockedUntil.toISOString()]);
        }
      }
      await writeAudit(tx, [
        {
          ...actor,
          actorId: user?.id ?? null,
          actor: email,
          actorKind: 'anonymous',
          action: 'auth.login',
          outcome: 'failure',
          targetType: 'user',
          ...(user ? { targetId: user.id } : {}),
          details: { reason },
        },
        ...(lockedUntil && user
          ? [
              {
                ...actor,
                actorId: user.id,
                actor: email,
                actorKind: 'anonymous' as const,
                action: 'auth.lockout',
                outcome: 'success' as const,
                targetType: 'user',
                targetId: user.id,
                details: { until: lockedUntil.toISOString(), failures: ctx.config.lockout.maxFailures },
              },
            ]
          : []),
      ]);
    });
  };

  if (!user?.password_hash) {
    await verifyDummy(password);
    await fail(user ? 'account has no password (single sign-on only)' : 'unknown email');
    throw badCredentials();
  }
  if (user.locked_until && new Date(user.locked_until).getTime() > Date.now()) {
    await verifyDummy(password);
    await fail('account locked');
    throw new HttpError(
      401,
      'unauthorized',
      `Too many failed sign-ins: this account is locked until ${new Date(user.locked_until).toISOString()}. Try again later.`,
    );
  }
  if (!(await verifyPassword(password, user.password_hash))) {
    await fail('wrong password', true);
    throw badCredentials();
  }
  return ctx.db.transaction(async (tx) => {
    await tx.query('update users set failed_logins = 0, locked_until = null where id = $1', [user.id]);
    // A new session id on every sign-in (rotation); the session the browser had before ends.
    if (previousSessionHash) await ctx.principals.endSession(tx, previousSessionHash);
    const session = await ctx.principals.createSession(tx, user.id);
    await writeAudit(tx, [
      {
        ...actor,
        actorId: user.id,
        actor: user.email,
        actorKind: 'user',
        action: 'auth.login',
        outcome: 'success',
        targetType: 'user',
        targetId: user.id,
        details: { method: 'password', status: user.status },
      },
    ]);
    return { ...session, status: user.status };
  });
}

/** Ends a session with its audit record. */
export async function logout(ctx: ServerContext, sessionHash: string, actor: Actor): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    await ctx.principals.endSession(tx, sessionHash);
    await writeAudit(tx, [
      { ...actor, action: 'auth.logout', outcome: 'success', targetType: 'user', ...(actor.actorId ? { targetId: actor.actorId } : {}) },
    ]);
  });
}

/** Lists users, optionally by status. */
export async function listUsers(ctx: ServerContext, status?: UserStatus): Promise<UserView[]> {
  const { rows } = await ctx.db.query<UserRow>(
    `select * from users ${status ? 'where status = $1' : ''} order by status = 'pending' desc, created_at desc`,
    status ? [status] : [],
  );
  return rows.map(userView);
}

async function lockUser(tx: Queryable, id: string): Promise<UserRow> {
  const { rows } = await tx.query<UserRow>('select * from users where id = $1 for update', [id]);
  if (!rows[0]) throw notFound(`User ${id}`);
  return rows[0];
}

async function assertAnotherAdmin(tx: Queryable, userId: string): Promise<void> {
  const { rows } = await tx.query<{ n: number }>(
    "select count(*)::int as n from users where status = 'active' and 'admin' = any(roles) and id <> $1",
    [userId],
  );
  if ((rows[0]?.n ?? 0) === 0) throw conflict('This is the last active administrator: make another admin first', ['roles']);
}

/** Applies an admin decision about a user, with its audit record, in one transaction. */
export async function decideUser(
  ctx: ServerContext,
  id: string,
  decision:
    | { kind: 'approve'; roles: readonly Role[] }
    | { kind: 'reject' }
    | { kind: 'roles'; roles: readonly Role[] }
    | { kind: 'disable' },
  actor: Actor,
): Promise<UserView> {
  return ctx.db.transaction(async (tx) => {
    const before = await lockUser(tx, id);
    let action: 'user.approve' | 'user.reject' | 'user.roles' | 'user.disable';
    let status: UserStatus = before.status;
    let roles: readonly Role[] = before.roles;
    switch (decision.kind) {
      case 'approve':
        if (before.status === 'active') throw conflict('The user is already active');
        action = 'user.approve';
        status = 'active';
        roles = decision.roles;
        break;
      case 'reject':
        if (before.status !== 'pending') throw conflict(`Only pending registrations can be rejected (this one is ${before.status})`);
        action = 'user.reject';
        status = 'rejected';
        roles = [];
        break;
      case 'roles':
        if (before.status !== 'active') throw conflict(`Roles can be changed on active users only (this one is ${before.status})`);
        action = 'user.roles';
        roles = decision.roles;
        if (before.roles.includes('admin') && !roles.includes('admin')) await assertAnotherAdmin(tx, id);
        break;
      case 'disable':
        if (before.status === 'disabled') throw conflict('The user is already disabled');
        if (before.roles.includes('admin')) await assertAnotherAdmin(tx, id);
        action = 'user.disable';
        status = 'disabled';
        break;
    }
    const { rows } = await tx.query<UserRow>(
      `update users set status = $2, roles = $3, decided_by = $4, decided_at = now(), updated_at = now() where id = $1 returning *`,
      [id, status, roles, actor.actorId],
    );
    // Sessions and tokens of the user see the change at once, on every instance.
    if (decision.kind === 'reject' || decision.kind === 'disable') await ctx.principals.endUserSessions(tx, id);
    else await ctx.events.publish(tx, { t: 'user', id });
    await writeAudit(tx, [
      {
        ...actor,
        action,
        outcome: 'success',
        targetType: 'user',
        targetId: id,
        details: { email: before.email, before: { status: before.status, roles: before.roles }, after: { status, roles } },
      },
    ]);
    return userView(rows[0] as UserRow);
  });
}

/** Sets a new password after checking the current one; ends the user's other sessions. */
export async function changePassword(
  ctx: ServerContext,
  userId: string,
  current: string,
  next: string,
  keepSessionHash: string | undefined,
  actor: Actor,
): Promise<void> {
  const { rows } = await ctx.db.query<UserRow>('select * from users where id = $1', [userId]);
  const user = rows[0];
  if (!user?.password_hash || !(await verifyPassword(current, user.password_hash))) {
    throw new HttpError(400, 'invalid_input', 'The current password is wrong', {
      issues: [{ path: ['body', 'currentPassword'], rule: 'mismatch', message: 'is wrong', severity: 'error' }],
    });
  }
  if (current === next) {
    throw new HttpError(400, 'invalid_input', 'The new password must differ from the current one', {
      issues: [{ path: ['body', 'newPassword'], rule: 'invalid', message: 'must differ from the current password', severity: 'error' }],
    });
  }
  const hash = await hashPassword(next);
  await ctx.db.transaction(async (tx) => {
    await tx.query('update users set password_hash = $2, must_change_password = false, updated_at = now() where id = $1', [userId, hash]);
    await tx.query('delete from sessions where user_id = $1 and id_hash <> $2', [userId, keepSessionHash ?? '']);
    await ctx.events.publish(tx, { t: 'user', id: userId });
    await writeAudit(tx, [{ ...actor, action: 'user.password', outcome: 'success', targetType: 'user', targetId: userId }]);
  });
}

/** Creates the first admin account when there is no admin yet; returns whether it was created. */
export async function ensureAdmin(ctx: ServerContext, email: string, password: string, mustChange: boolean): Promise<boolean> {
  const hash = await hashPassword(password);
  return ctx.db.transaction(async (tx) => {
    // Serialises concurrent first starts of several instances.
    await tx.query('select pg_advisory_xact_lock(7170302)');
    const { rows } = await tx.query<{ n: number }>("select count(*)::int as n from users where 'admin' = any(roles)");
    if ((rows[0]?.n ?? 0) > 0) return false;
    const created = await tx.query<{ id: string }>(
      `insert into users (email, name, password_hash, status, roles, decided_at, must_change_password)
       values ($1, 'Administrator', $2, 'active', '{admin}', now(), $3)
       on conflict ((lower(email))) do update set status = 'active', roles = '{admin}', password_hash = excluded.password_hash,
         must_change_password = excluded.must_change_password
       returning id`,
      [email, hash, mustChange],
    );
    await writeAudit(tx, [
      {
        actorId: null,
        actor: 'system',
        actorKind: 'system',
        action: 'user.create',
        outcome: 'success',
        targetType: 'user',
        targetId: created.rows[0]?.id as string,
        details: { email, roles: ['admin'], reason: 'first start' },
      },
    ]);
    return true;
  });
}
