import { createHash } from 'node:crypto';
import { beginSmartLaunch, completeSmartLaunch, type PendingSmartLaunch } from '@cairn/fhir-adapter';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createRemoteJWKSet, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { z } from 'zod';
import { writeAudit } from '../audit/audit.js';
import { randomSecret, sha256 } from '../auth/principals.js';
import type { Role } from '../config.js';
import { actorOf, principalOf, type ServerContext } from '../context.js';
import { cookieNames, type RouteDef } from '../http/app.js';
import { badRequest, HttpError } from '../http/problem.js';
import { sessionCookie } from './accounts.js';

type Route = <B, Q, P>(def: RouteDef<B, Q, P>) => void;

const FLOW_TTL_MS = 10 * 60_000;

/** A path inside this server to return to after signing in (anything else becomes `/`). */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) && next.length < 1000 ? next : '/';
}

interface OidcMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
}

/** The roles an ID token's claim maps to (the claim may be a string, an array, or nested under a dotted path). */
export function rolesFromClaims(claims: JWTPayload, claimPath: string, roleMap: Readonly<Record<string, readonly Role[]>>): Role[] {
  let value: unknown = claims;
  for (const part of claimPath.split('.'))
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  const values = Array.isArray(value) ? value.map(String) : typeof value === 'string' ? value.split(/[\s,]+/) : [];
  const roles = new Set<Role>();
  for (const v of values) for (const r of roleMap[v] ?? []) roles.add(r);
  return [...roles].sort();
}

async function saveFlow(ctx: ServerContext, state: string, kind: 'oidc' | 'smart', data: Record<string, unknown>): Promise<void> {
  await ctx.db.query('insert into auth_flows (state_hash, kind, data, expires_at) values ($1, $2, $3::jsonb, $4)', [
    sha256(state),
    kind,
    JSON.stringify(data),
    new Date(Date.now() + FLOW_TTL_MS).toISOString(),
  ]);
}

/** Takes a pending flow by its state (once: it is deleted), refusing unknown, expired or other-browser flows. */
async function takeFlow<T>(ctx: ServerContext, state: unknown, kind: 'oidc' | 'smart', browser: string | undefined): Promise<T> {
  if (typeof state !== 'string' || state.length === 0 || state.length > 200)
    throw badRequest('The sign-in response has no state', ['query', 'state'], 'required');
  const { rows } = await ctx.db.query<{ data: T & { browser: string }; expired: boolean }>(
    'delete from auth_flows where state_hash = $1 and kind = $2 returning data, expires_at < now() as expired',
    [sha256(state), kind],
  );
  const row = rows[0];
  if (!row || row.expired) throw badRequest('This sign-in link is unknown or has expired: start again', ['query', 'state'], 'invalid');
  if (!browser || sha256(browser) !== row.data.browser) {
    throw badRequest('This sign-in was started in another browser or session: start again', ['query', 'state'], 'mismatch');
  }
  return row.data;
}

/** Single sign-on with an OpenID Connect provider, and SMART on FHIR launches from an EHR. */
export function ssoRoutes(route: Route, ctx: ServerContext): void {
  const names = cookieNames(ctx.config.cookieSecure);
  const flowCookie = (reply: FastifyReply, value: string) =>
    reply.setCookie(names.flow, value, {
      path: '/',
      httpOnly: true,
      secure: ctx.config.cookieSecure,
      sameSite: 'lax',
      maxAge: FLOW_TTL_MS / 1000,
    });

  const oidc = ctx.config.oidc;
  if (oidc) {
    let metadata: Promise<OidcMetadata> | undefined;
    let jwks: JWTVerifyGetKey | undefined;
    const discover = () => {
      metadata ??= (async () => {
        const res = await fetch(`${oidc.issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(10_000) });
        if (!res.ok) throw new HttpError(503, 'unavailable', `The identity provider answered ${res.status} to discovery`);
        const m = (await res.json()) as OidcMetadata;
        if (!m.authorization_endpoint || !m.token_endpoint || !m.jwks_uri || m.issuer.replace(/\/+$/, '') !== oidc.issuer) {
          throw new HttpError(503, 'unavailable', 'The identity provider’s discovery document is incomplete or names another issuer');
        }
        jwks = createRemoteJWKSet(new URL(m.jwks_uri));
        return m;
      })().catch((error) => {
        metadata = undefined;
        throw error instanceof HttpError ? error : new HttpError(503, 'unavailable', 'The identity provider cannot be reached');
      });
      return metadata;
    };
    const redirectUri = `${ctx.config.publicUrl}/auth/oidc/callback`;

    route({
      method: 'GET',
      url: '/auth/oidc/login',
      access: 'public',
      page: true,
      summary: 'Start single sign-on',
      query: z.object({ next: z.string().max(1000).optional() }),
      handler: async (request, reply) => {
        const m = await discover();
        const state = randomSecret();
        const nonce = randomSecret();
        const verifier = randomSecret() + randomSecret();
        const browser = randomSecret();
        await saveFlow(ctx, state, 'oidc', { nonce, verifier, next: safeNext(request.query.next), browser: sha256(browser) });
        flowCookie(reply, browser);
        const url = new URL(m.authorization_endpoint);
        url.searchParams.set('response_type', 'code');
        url.searchParams.set('client_id', oidc.clientId);
        url.searchParams.set('redirect_uri', redirectUri);
        url.searchParams.set('scope', oidc.scopes);
        url.searchParams.set('state', state);
        url.searchParams.set('nonce', nonce);
        url.searchParams.set('code_challenge', createHash('sha256').update(verifier).digest('base64url'));
        url.searchParams.set('code_challenge_method', 'S256');
        return reply.redirect(url.toString(), 303);
      },
    });

    route({
      method: 'GET',
      url: '/auth/oidc/callback',
      access: 'public',
      page: true,
      summary: 'Single sign-on callback',
      query: z.object({
        code: z.string().max(4000).optional(),
        state: z.string().max(200).optional(),
        error: z.string().max(200).optional(),
        error_description: z.string().max(1000).optional(),
      }),
      handler: async (request, reply) => {
        const q = request.query;
        if (q.error)
          throw new HttpError(
            401,
            'unauthorized',
            `The identity provider refused the sign-in: ${q.error}${q.error_description ? ` (${q.error_description})` : ''}`,
          );
        const flow = await takeFlow<{ nonce: string; verifier: string; next: string }>(ctx, q.state, 'oidc', request.cookies[names.flow]);
        reply.clearCookie(names.flow, { path: '/' });
        if (!q.code) throw badRequest('The sign-in response has no code', ['query', 'code'], 'required');
        const m = await discover();
        const body = new URLSearchParams({
          grant_type: 'authorization_code',
          code: q.code,
          redirect_uri: redirectUri,
          code_verifier: flow.verifier,
        });
        const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
        if (oidc.clientSecret)
          headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(oidc.clientId)}:${encodeURIComponent(oidc.clientSecret)}`).toString('base64')}`;
        else body.set('client_id', oidc.clientId);
        let tokens: { id_token?: unknown };
        try {
          const res = await fetch(m.token_endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
          tokens = (await res.json()) as { id_token?: unknown };
          if (!res.ok) throw new Error(`status ${res.status}`);
        } catch {
          throw new HttpError(401, 'unauthorized', 'The identity provider did not exchange the sign-in code for tokens');
        }
        if (typeof tokens.id_token !== 'string') throw new HttpError(401, 'unauthorized', 'The identity provider returned no ID token');
        let claims: JWTPayload;
        try {
          ({ payload: claims } = await jwtVerify(tokens.id_token, jwks as JWTVerifyGetKey, {
            issuer: m.issuer,
            audience: oidc.clientId,
            clockTolerance: 60,
          }));
        } catch (error) {
          throw new HttpError(401, 'unauthorized', `The ID token was refused: ${error instanceof Error ? error.message : 'invalid'}`);
        }
        if (claims.nonce !== flow.nonce)
          throw new HttpError(401, 'unauthorized', 'The ID token was refused: its nonce does not match this sign-in');
        if (typeof claims.sub !== 'string' || claims.sub === '') throw new HttpError(401, 'unauthorized', 'The ID token has no subject');
        const email = typeof claims.email === 'string' ? claims.email.toLowerCase() : `${claims.sub}@${new URL(oidc.issuer).hostname}`;
        const name = typeof claims.name === 'string' ? claims.name : email;
        const roles = rolesFromClaims(claims, oidc.rolesClaim, oidc.roleMap);
        const actor = actorOf(request);
        const session = await ctx.db.transaction(async (tx) => {
          let { rows } = await tx.query<{ id: string; status: string }>(
            'select id, status from users where oidc_issuer = $1 and oidc_subject = $2 for update',
            [oidc.issuer, claims.sub],
          );
          if (!rows[0] && claims.email_verified === true) {
            // A verified email links an existing local account to this provider.
            ({ rows } = await tx.query<{ id: string; status: string }>(
              'update users set oidc_issuer = $2, oidc_subject = $3 where lower(email) = $1 and oidc_subject is null returning id, status',
              [email, oidc.issuer, claims.sub],
            ));
          }
          let userId = rows[0]?.id;
          let status = rows[0]?.status;
          if (!userId) {
            const created = await tx.query<{ id: string; status: string }>(
              `insert into users (email, name, status, roles, oidc_issuer, oidc_subject) values ($1, $2, $3, $4, $5, $6)
               on conflict ((lower(email))) do nothing returning id, status`,
              [email, name, roles.length > 0 ? 'active' : 'pending', roles, oidc.issuer, claims.sub],
            );
            if (!created.rows[0]) {
              throw new HttpError(
                409,
                'conflict',
                `An account with the email ${email} already exists: sign in with its password (the provider did not verify the email)`,
              );
            }
            userId = created.rows[0].id;
            status = created.rows[0].status;
            await writeAudit(tx, [
              {
                ...actor,
                actorId: userId,
                actor: email,
                actorKind: 'user',
                action: 'auth.register',
                outcome: 'success',
                targetType: 'user',
                targetId: userId,
                details: { method: 'oidc', roles },
              },
            ]);
          } else if (roles.length > 0 && (status === 'active' || status === 'pending')) {
            // The provider is the source of truth for the roles of its users.
            await tx.query("update users set roles = $2, status = 'active', updated_at = now() where id = $1", [userId, roles]);
            status = 'active';
            await ctx.events.publish(tx, { t: 'user', id: userId });
          }
          if (status === 'disabled') throw new HttpError(403, 'forbidden', 'This account is disabled');
          const previous = request.principal?.sessionHash;
          if (previous) await ctx.principals.endSession(tx, previous);
          const s = await ctx.principals.createSession(tx, userId);
          await writeAudit(tx, [
            {
              ...actor,
              actorId: userId,
              actor: email,
              actorKind: 'user',
              action: 'auth.login',
              outcome: 'success',
              targetType: 'user',
              targetId: userId,
              details: { method: 'oidc', issuer: oidc.issuer, roles },
            },
          ]);
          return s;
        });
        reply.setCookie(names.session, session.token, sessionCookie(ctx, session.expiresAt));
        return reply.redirect(flow.next, 303);
      },
    });
  }

  const smart = ctx.config.smart;
  if (smart) {
    const redirectUri = `${ctx.config.publicUrl}/smart/callback`;
    route({
      method: 'GET',
      url: '/smart/launch',
      access: 'predict',
      page: true,
      summary: 'SMART on FHIR EHR launch (the EHR opens this with iss and launch)',
      query: z.object({ iss: z.url().max(2000), launch: z.string().max(4000).optional() }),
      handler: async (request, reply) => {
        const iss = request.query.iss.replace(/\/+$/, '');
        // Only configured FHIR servers: a launch URL must not make the server fetch arbitrary addresses.
        if (!smart.allowedIssuers.includes(iss))
          throw new HttpError(403, 'forbidden', `The FHIR server ${iss} is not allowed to launch Cairn (SMART_ALLOWED_ISSUERS)`);
        const { authorizeUrl, pending } = await beginSmartLaunch({
          iss,
          clientId: smart.clientId,
          redirectUri,
          scope: smart.scopes,
          ...(request.query.launch ? { launch: request.query.launch } : {}),
        });
        await saveFlow(ctx, pending.state, 'smart', { pending, browser: sha256(principalOf(request).sessionHash ?? 'token') });
        return reply.redirect(authorizeUrl, 303);
      },
    });

    route({
      method: 'GET',
      url: '/smart/callback',
      access: 'predict',
      page: true,
      summary: 'SMART on FHIR launch callback',
      query: z.object({
        code: z.string().max(4000).optional(),
        state: z.string().max(200).optional(),
        error: z.string().max(200).optional(),
        error_description: z.string().max(1000).optional(),
      }),
      handler: async (request: FastifyRequest<{ Querystring: { state?: string } }>, reply) => {
        const p = principalOf(request);
        const flow = await takeFlow<{ pending: PendingSmartLaunch }>(ctx, request.query.state, 'smart', p.sessionHash ?? 'token');
        const session = await completeSmartLaunch(
          new URL(request.url, ctx.config.publicUrl),
          flow.pending,
          smart.clientSecret ? { clientSecret: smart.clientSecret } : {},
        );
        await ctx.db.transaction(async (tx) => {
          await tx.query("update sessions set data = jsonb_set(data, '{smart}', $2::jsonb) where id_hash = $1", [
            p.sessionHash,
            JSON.stringify({
              fhirBaseUrl: session.fhirBaseUrl,
              accessToken: session.accessToken,
              ...(session.patientId ? { patientId: session.patientId } : {}),
              ...(session.expiresAt ? { expiresAt: session.expiresAt } : {}),
            }),
          ]);
          await writeAudit(tx, [
            {
              ...actorOf(request),
              action: 'smart.launch',
              outcome: 'success',
              targetType: 'patient',
              ...(session.patientId ? { targetId: createHash('sha256').update(session.patientId).digest('hex').slice(0, 16) } : {}),
              details: { iss: session.fhirBaseUrl },
            },
          ]);
        });
        return reply.redirect('/predict?smart=1', 303);
      },
    });
  }
}
