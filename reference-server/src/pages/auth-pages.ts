import type { FastifyReply, FastifyRequest } from 'fastify';
import { changePassword, login, logout, register } from '../auth/accounts.js';
import { ROLES } from '../config.js';
import { actorOf, principalOf, type ServerContext } from '../context.js';
import { cookieNames, type RouteDef } from '../http/app.js';
import { HttpError } from '../http/problem.js';
import { anonymousCsrf, loginBody, registerBody, sessionCookie } from '../routes/accounts.js';
import { safeNext } from '../routes/sso.js';
import { type Html, html } from './html.js';
import { notice, page } from './layout.js';

type Route = <B, Q, P>(def: RouteDef<B, Q, P>) => void;

const ROLE_LABELS: Record<(typeof ROLES)[number], string> = {
  clinician: 'Clinician',
  data_scientist: 'Data scientist',
  admin: 'Administrator',
};

export { ROLE_LABELS };

type Form = Record<string, string | undefined>;

/** Sign-in, registration, sign-out and the account page. */
export function authPages(route: Route, ctx: ServerContext): void {
  const names = cookieNames(ctx.config.cookieSecure);
  const rl = ctx.config.rateLimits;

  function loginPage(request: FastifyRequest, reply: FastifyReply, message?: Html, email = '', next = '/'): string {
    const csrf = anonymousCsrf(ctx, request, reply);
    return page(request, {
      title: 'Sign in',
      csrf,
      body: html`${message ?? ''}
      <form method="post" action="/login" class="card narrow">
        <input type="hidden" name="_csrf" value="${csrf}">
        <input type="hidden" name="next" value="${next}">
        <label>Email <input name="email" type="email" autocomplete="username" required value="${email}"></label>
        <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
        <button type="submit">Sign in</button>
      </form>
      ${ctx.config.oidc ? html`<p><a class="button secondary" href="/auth/oidc/login?next=${encodeURIComponent(next)}">${ctx.config.oidc.label}</a></p>` : ''}
      <p>No account yet? <a href="/register">Register</a>; an administrator approves new accounts.</p>`,
    });
  }

  route({
    method: 'GET',
    url: '/',
    access: 'public',
    page: true,
    summary: 'Start page',
    handler: async (request, reply) => {
      const p = request.principal;
      if (!p) return reply.redirect('/login', 303);
      if (p.status !== 'active' || p.mustChangePassword) return reply.redirect('/account', 303);
      return reply.redirect(p.roles.includes('clinician') || p.roles.length === 0 ? '/predict' : '/models', 303);
    },
  });

  route<unknown, { next?: string }, unknown>({
    method: 'GET',
    url: '/login',
    access: 'public',
    page: true,
    summary: 'Sign-in page',
    handler: async (request, reply) => {
      const next = safeNext(request.query.next);
      return reply.type('text/html; charset=utf-8').send(loginPage(request, reply, undefined, '', next));
    },
  });

  route<Form, unknown, unknown>({
    method: 'POST',
    url: '/login',
    access: 'public',
    page: true,
    summary: 'Sign in (form)',
    rateLimit: { group: 'login', max: rl.loginPerMinute, windowMs: 60_000, per: 'ip' },
    handler: async (request, reply) => {
      const parsed = loginBody.safeParse(request.body ?? {});
      const next = safeNext(request.body?.next);
      const email = typeof request.body?.email === 'string' ? request.body.email : '';
      if (!parsed.success) {
        return reply
          .code(400)
          .type('text/html; charset=utf-8')
          .send(loginPage(request, reply, notice('error', 'Enter your email and password.'), email, next));
      }
      try {
        const s = await login(ctx, parsed.data.email, parsed.data.password, actorOf(request), request.principal?.sessionHash);
        reply.setCookie(names.session, s.token, sessionCookie(ctx, s.expiresAt));
        return reply.redirect(s.status === 'active' ? next : '/account', 303);
      } catch (error) {
        if (error instanceof HttpError && error.status === 401) {
          return reply
            .code(401)
            .type('text/html; charset=utf-8')
            .send(loginPage(request, reply, notice('error', error.message), email, next));
        }
        throw error;
      }
    },
  });

  function registerPage(request: FastifyRequest, reply: FastifyReply, message?: Html, form: Form = {}): string {
    const csrf = anonymousCsrf(ctx, request, reply);
    return page(request, {
      title: 'Register',
      csrf,
      body: html`${message ?? ''}
      <form method="post" action="/register" class="card narrow">
        <input type="hidden" name="_csrf" value="${csrf}">
        <label>Name <input name="name" required maxlength="120" value="${form.name ?? ''}" autocomplete="name"></label>
        <label>Email <input name="email" type="email" required value="${form.email ?? ''}" autocomplete="email"></label>
        <label>Password (at least 12 characters) <input name="password" type="password" minlength="12" required autocomplete="new-password"></label>
        <label>Role you need
          <select name="requestedRole">${ROLES.map((r) => html`<option value="${r}"${form.requestedRole === r ? html` selected` : ''}>${ROLE_LABELS[r]}</option>`)}</select>
        </label>
        <button type="submit">Register</button>
      </form>`,
    });
  }

  route({
    method: 'GET',
    url: '/register',
    access: 'public',
    page: true,
    summary: 'Registration page',
    handler: async (request, reply) => reply.type('text/html; charset=utf-8').send(registerPage(request, reply)),
  });

  route<Form, unknown, unknown>({
    method: 'POST',
    url: '/register',
    access: 'public',
    page: true,
    summary: 'Register (form)',
    rateLimit: { group: 'register', max: rl.registerPerHour, windowMs: 3_600_000, per: 'ip' },
    handler: async (request, reply) => {
      const form = request.body ?? {};
      const parsed = registerBody.safeParse(form);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`);
        return reply
          .code(400)
          .type('text/html; charset=utf-8')
          .send(
            registerPage(request, reply, notice('error', html`Please correct: <ul>${problems.map((p) => html`<li>${p}</li>`)}</ul>`), form),
          );
      }
      await register(ctx, parsed.data, actorOf(request));
      return reply.type('text/html; charset=utf-8').send(
        page(request, {
          title: 'Registration received',
          body: html`${notice('success', 'Thank you. An administrator will review your registration; you can sign in to see its status.')}<p><a href="/login">Sign in</a></p>`,
        }),
      );
    },
  });

  route({
    method: 'POST',
    url: '/logout',
    access: 'authenticated',
    page: true,
    summary: 'Sign out (form)',
    handler: async (request, reply) => {
      const p = principalOf(request);
      if (p.sessionHash) await logout(ctx, p.sessionHash, actorOf(request));
      reply.clearCookie(names.session, { path: '/' });
      return reply.redirect('/login', 303);
    },
  });

  function accountPage(request: FastifyRequest, message?: Html): string {
    const p = principalOf(request);
    const status =
      p.status === 'pending'
        ? notice('info', 'Your registration is waiting for an administrator. You can use Cairn once it is approved.')
        : p.status === 'rejected'
          ? notice('error', 'Your registration was not approved. Contact an administrator if this is a mistake.')
          : p.mustChangePassword
            ? notice('info', 'Choose a new password: the first-start password can be used only once.')
            : '';
    return page(request, {
      title: 'Account',
      active: '/account',
      script: p.status === 'active' && !p.mustChangePassword ? 'account.js' : undefined,
      body: html`${message ?? ''}${status}
      <section class="card">
        <dl class="facts">
          <dt>Name</dt><dd>${p.name}</dd>
          <dt>Email</dt><dd>${p.email}</dd>
          <dt>Status</dt><dd><span class="status status-${p.status}" data-testid="account-status">${p.status}</span></dd>
          <dt>Roles</dt><dd>${p.roles.length ? p.roles.map((r) => ROLE_LABELS[r]).join(', ') : 'none yet'}</dd>
        </dl>
      </section>
      <section class="card">
        <h2>Change password</h2>
        <form method="post" action="/account/password" class="narrow">
          <input type="hidden" name="_csrf" value="${p.csrfToken ?? ''}">
          <label>Current password <input name="currentPassword" type="password" required autocomplete="current-password"></label>
          <label>New password (at least 12 characters) <input name="newPassword" type="password" minlength="12" required autocomplete="new-password"></label>
          <button type="submit">Change password</button>
        </form>
      </section>
      ${
        p.status === 'active' && !p.mustChangePassword
          ? html`<section class="card">
        <h2>API tokens</h2>
        <p>Tokens let programs call the API (<a href="/api/docs">documentation</a>) with one of your roles. The secret is shown once.</p>
        <form id="token-form" class="row">
          <label>Name <input name="name" required maxlength="80"></label>
          <label>Role <select name="role">${p.roles.map((r) => html`<option value="${r}">${ROLE_LABELS[r]}</option>`)}</select></label>
          <label>Expires in days <input name="expiresInDays" type="number" min="1" max="3650" value="90"></label>
          <button type="submit">Create token</button>
        </form>
        <div id="token-secret" hidden></div>
        <table id="tokens"><thead><tr><th>Name</th><th>Role</th><th>Created</th><th>Expires</th><th>Last used</th><th></th></tr></thead><tbody></tbody></table>
      </section>`
          : ''
      }`,
    });
  }

  route({
    method: 'GET',
    url: '/account',
    access: 'authenticated',
    page: true,
    summary: 'Account page',
    handler: async (request, reply) => reply.type('text/html; charset=utf-8').send(accountPage(request)),
  });

  route<Form, unknown, unknown>({
    method: 'POST',
    url: '/account/password',
    access: 'authenticated',
    page: true,
    summary: 'Change password (form)',
    handler: async (request, reply) => {
      const p = principalOf(request);
      const current = request.body?.currentPassword ?? '';
      const next = request.body?.newPassword ?? '';
      if (next.length < 12 || next.length > 256) {
        return reply
          .code(400)
          .type('text/html; charset=utf-8')
          .send(accountPage(request, notice('error', 'The new password must be 12 to 256 characters.')));
      }
      try {
        await changePassword(ctx, p.userId, current, next, p.sessionHash, actorOf(request));
      } catch (error) {
        if (error instanceof HttpError && error.status === 400) {
          return reply
            .code(400)
            .type('text/html; charset=utf-8')
            .send(accountPage(request, notice('error', error.message)));
        }
        throw error;
      }
      return reply.redirect('/', 303);
    },
  });
}
