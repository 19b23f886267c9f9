import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { writeAudit } from '../audit/audit.js';
import { can, type Permission, ROLE_PERMISSIONS } from '../auth/access.js';
import { changePassword, decideUser, listUsers, login, logout, register } from '../auth/accounts.js';
import { passwordProblem } from '../auth/passwords.js';
import { randomSecret } from '../auth/principals.js';
import { ROLES } from '../config.js';
import { actorOf, principalOf, type ServerContext } from '../context.js';
import { cookieNames, type RouteDef } from '../http/app.js';
import { badRequest, conflict, forbidden, notFound } from '../http/problem.js';

type Route = <B, Q, P>(def: RouteDef<B, Q, P>) => void;

const email = z.email('must be an email address').max(254);
const role = z.enum(ROLES);
const password = z
  .string()
  .max(256)
  .refine((p) => passwordProblem(p) === undefined, { message: 'must be 12 to 256 characters' });

export const registerBody = z.strictObject({
  email,
  name: z.string().trim().min(1, 'is required').max(120),
  password,
  requestedRole: role.optional(),
  _csrf: z.string().optional(),
});

export const loginBody = z.strictObject({
  email: z.string().trim().min(1, 'is required').max(254),
  password: z.string().min(1, 'is required').max(256),
  _csrf: z.string().optional(),
  next: z.string().max(2000).optional(),
});

const idParams = z.strictObject({ id: z.uuid('must be a user id (UUID)') });
const rolesBody = z.strictObject({ roles: z.array(role).min(1, 'give at least one role').max(3) });

/** Session cookie options. */
export function sessionCookie(ctx: ServerContext, expiresAt: Date) {
  return {
    path: '/',
    httpOnly: true,
    secure: ctx.config.cookieSecure,
    sameSite: 'lax' as const,
    expires: expiresAt,
  };
}

/** The double-submit CSRF token of an anonymous visitor (set as a cookie when missing). */
export function anonymousCsrf(ctx: ServerContext, request: FastifyRequest, reply: FastifyReply): string {
  const names = cookieNames(ctx.config.cookieSecure);
  const existing = request.cookies[names.csrf];
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const token = randomSecret();
  reply.setCookie(names.csrf, token, { path: '/', httpOnly: true, secure: ctx.config.cookieSecure, sameSite: 'lax' });
  return token;
}

/** The permissions a principal holds (for the UI). */
export function permissionsOf(p: Parameters<typeof can>[0]): Permission[] {
  const all = new Set<Permission>(Object.values(ROLE_PERMISSIONS).flat());
  return [...all].filter((perm) => can(p, perm));
}

/** Registration, sign-in, the current account, users (admin) and API tokens. */
export function accountRoutes(route: Route, ctx: ServerContext): void {
  const names = cookieNames(ctx.config.cookieSecure);
  const rl = ctx.config.rateLimits;

  route({
    method: 'GET',
    url: '/api/v1/auth/csrf',
    access: 'public',
    summary: 'A CSRF token for anonymous requests (sign-in, registration): also set as a cookie, send it back in X-CSRF-Token',
    tags: ['auth'],
    handler: async (request, reply) => ({ csrfToken: anonymousCsrf(ctx, request, reply) }),
  });

  route({
    method: 'POST',
    url: '/api/v1/auth/register',
    access: 'public',
    summary: 'Register: creates a pending account that an administrator approves or rejects',
    tags: ['auth'],
    body: registerBody,
    rateLimit: { group: 'register', max: rl.registerPerHour, windowMs: 3_600_000, per: 'ip' },
    handler: async (request, reply) => {
      const { email: e, name, password: pw, requestedRole } = request.body;
      await register(ctx, { email: e, name, password: pw, requestedRole }, actorOf(request));
      // The same answer whether or not the email was already registered.
      return reply.code(202).send({ status: 'pending', message: 'Registration received: an administrator will review it.' });
    },
  });

  route({
    method: 'POST',
    url: '/api/v1/auth/login',
    access: 'public',
    summary: 'Sign in with email and password: sets the session cookie and returns the CSRF token',
    tags: ['auth'],
    body: loginBody,
    rateLimit: { group: 'login', max: rl.loginPerMinute, windowMs: 60_000, per: 'ip' },
    handler: async (request, reply) => {
      const s = await login(ctx, request.body.email, request.body.password, actorOf(request), request.principal?.sessionHash);
      reply.setCookie(names.session, s.token, sessionCookie(ctx, s.expiresAt));
      return { status: s.status, csrfToken: s.csrfToken, expiresAt: s.expiresAt.toISOString() };
    },
  });

  route({
    method: 'POST',
    url: '/api/v1/auth/logout',
    access: 'authenticated',
    summary: 'Sign out: ends the session',
    tags: ['auth'],
    handler: async (request, reply) => {
      const p = principalOf(request);
      if (p.sessionHash) await logout(ctx, p.sessionHash, actorOf(request));
      reply.clearCookie(names.session, { path: '/' });
      return reply.code(204).send();
    },
  });

  route({
    method: 'GET',
    url: '/api/v1/me',
    access: 'authenticated',
    summary: 'The signed-in account: status, roles and permissions (also for pending and rejected accounts)',
    tags: ['auth'],
    handler: async (request) => {
      const p = principalOf(request);
      return {
        id: p.userId,
        email: p.email,
        name: p.name,
        status: p.status,
        roles: p.roles,
        mustChangePassword: p.mustChangePassword,
        permissions: permissionsOf(p),
        via: p.kind,
        ...(p.kind === 'session' ? { csrfToken: p.csrfToken } : {}),
      };
    },
  });

  route({
    method: 'POST',
    url: '/api/v1/me/password',
    access: 'authenticated',
    summary: 'Change your password (required after the first start with a generated admin password)',
    tags: ['auth'],
    body: z.strictObject({ currentPassword: z.string().min(1).max(256), newPassword: password, _csrf: z.string().optional() }),
    handler: async (request, reply) => {
      const p = principalOf(request);
      if (p.kind === 'token') throw forbidden('Sign in to change your password');
      await changePassword(ctx, p.userId, request.body.currentPassword, request.body.newPassword, p.sessionHash, actorOf(request));
      return reply.code(204).send();
    },
  });

  route({
    method: 'GET',
    url: '/api/v1/users',
    access: 'admin',
    summary: 'Users, pending registrations first',
    tags: ['users'],
    query: z.strictObject({ status: z.enum(['pending', 'active', 'rejected', 'disabled']).optional() }),
    handler: async (request) => ({ users: await listUsers(ctx, request.query.status) }),
  });

  route({
    method: 'POST',
    url: '/api/v1/users/:id/approve',
    access: 'admin',
    summary: 'Approve a registration with roles',
    tags: ['users'],
    params: idParams,
    body: rolesBody,
    handler: async (request) => ({
      user: await decideUser(ctx, request.params.id, { kind: 'approve', roles: request.body.roles }, actorOf(request)),
    }),
  });

  route({
    method: 'POST',
    url: '/api/v1/users/:id/reject',
    access: 'admin',
    summary: 'Reject a pending registration',
    tags: ['users'],
    params: idParams,
    handler: async (request) => ({ user: await decideUser(ctx, request.params.id, { kind: 'reject' }, actorOf(request)) }),
  });

  route({
    method: 'PUT',
    url: '/api/v1/users/:id/roles',
    access: 'admin',
    summary: "Change an active user's roles",
    tags: ['users'],
    params: idParams,
    body: rolesBody,
    handler: async (request) => ({
      user: await decideUser(ctx, request.params.id, { kind: 'roles', roles: request.body.roles }, actorOf(request)),
    }),
  });

  route({
    method: 'POST',
    url: '/api/v1/users/:id/disable',
    access: 'admin',
    summary: 'Disable a user (ends their sessions; their tokens stop working)',
    tags: ['users'],
    params: idParams,
    handler: async (request) => {
      if (request.params.id === principalOf(request).userId) throw conflict('You cannot disable your own account');
      return { user: await decideUser(ctx, request.params.id, { kind: 'disable' }, actorOf(request)) };
    },
  });

  route({
    method: 'GET',
    url: '/api/v1/tokens',
    access: 'models:read',
    summary: 'Your API tokens (secrets are never shown again)',
    tags: ['tokens'],
    handler: async (request) => {
      const { rows } = await ctx.db.query(
        `select id, name, role, created_at as "createdAt", expires_at as "expiresAt", last_used_at as "lastUsedAt", revoked_at as "revokedAt"
           from api_tokens where user_id = $1 order by created_at desc`,
        [principalOf(request).userId],
      );
      return { tokens: rows };
    },
  });

  route({
    method: 'POST',
    url: '/api/v1/tokens',
    access: 'models:read',
    summary: 'Create an API token acting with one of your roles; the secret is returned once',
    tags: ['tokens'],
    body: z.strictObject({
      name: z.string().trim().min(1).max(80),
      role,
      expiresInDays: z.number().int().min(1).max(3650).optional(),
    }),
    handler: async (request, reply) => {
      const p = principalOf(request);
      if (p.kind === 'token') throw forbidden('API tokens cannot create API tokens: sign in');
      if (!p.roles.includes(request.body.role)) {
        throw badRequest(`You do not hold the role '${request.body.role}' (yours: ${p.roles.join(', ')})`, ['body', 'role'], 'not_allowed');
      }
      const expiresAt = request.body.expiresInDays ? new Date(Date.now() + request.body.expiresInDays * 86_400_000) : null;
      const created = await ctx.db.transaction(async (tx) => {
        const t = await ctx.principals.createToken(tx, p.userId, request.body.name, request.body.role, expiresAt);
        await writeAudit(tx, [
          {
            ...actorOf(request),
            action: 'token.create',
            outcome: 'success',
            targetType: 'token',
            targetId: t.id,
            details: { name: request.body.name, role: request.body.role, expiresAt: expiresAt?.toISOString() ?? null },
          },
        ]);
        return t;
      });
      return reply.code(201).send({ id: created.id, token: created.token, name: request.body.name, role: request.body.role, expiresAt });
    },
  });

  route({
    method: 'DELETE',
    url: '/api/v1/tokens/:id',
    access: 'models:read',
    summary: 'Revoke one of your API tokens (admins: anyone’s)',
    tags: ['tokens'],
    params: z.strictObject({ id: z.uuid() }),
    handler: async (request, reply) => {
      const p = principalOf(request);
      await ctx.db.transaction(async (tx) => {
        const { rows } = await tx.query<{ id: string; user_id: string }>(
          'update api_tokens set revoked_at = now() where id = $1 and revoked_at is null and (user_id = $2 or $3) returning id, user_id',
          [request.params.id, p.userId, can(p, 'admin')],
        );
        if (!rows[0]) throw notFound(`Active API token ${request.params.id}`);
        await ctx.events.publish(tx, { t: 'token', id: request.params.id });
        await writeAudit(tx, [
          { ...actorOf(request), action: 'token.revoke', outcome: 'success', targetType: 'token', targetId: request.params.id },
        ]);
      });
      return reply.code(204).send();
    },
  });

  route({
    method: 'GET',
    url: '/api/v1/settings',
    access: 'admin',
    summary: 'Runtime settings',
    tags: ['settings'],
    handler: async () => ctx.settings.get(),
  });

  route({
    method: 'PUT',
    url: '/api/v1/settings',
    access: 'admin',
    summary: 'Change runtime settings (e.g. storing patient inputs in audit records)',
    tags: ['settings'],
    body: z.strictObject({ storePatientInputs: z.boolean() }),
    handler: async (request) =>
      ctx.db.transaction(async (tx) => {
        const before = await ctx.settings.get();
        const after = await ctx.settings.update(tx, request.body, principalOf(request).userId);
        await writeAudit(tx, [
          { ...actorOf(request), action: 'settings.update', outcome: 'success', targetType: 'settings', details: { before, after } },
        ]);
        return after;
      }),
  });
}
