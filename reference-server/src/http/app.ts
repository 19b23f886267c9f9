import { randomUUID, timingSafeEqual } from 'node:crypto';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type HTTPMethods, LogController } from 'fastify';
import type { z } from 'zod';
import { type Access, can } from '../auth/access.js';
import type { ServerContext } from '../context.js';
import { VERSION } from '../version.js';
import { HttpError, type Problem, toProblem, unauthorized } from './problem.js';
import { schema, zodValidatorCompiler } from './validation.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; every route must say. */
    access?: Access;
    /** An HTML page: failures render pages and sign-in redirects instead of problem documents. */
    page?: boolean;
    /** Set false on state-changing routes that are not reached with cookies (CDS Hooks, OIDC callbacks). */
    csrf?: boolean;
  }
}

/** A rate limit on a route, counted in the database so every instance shares it. */
export interface RouteRateLimit {
  readonly group: string;
  readonly max: number;
  readonly windowMs: number;
  /** Count per client address, or per signed-in principal. */
  readonly per: 'ip' | 'principal';
}

/** A route: its access rule, validation schemas, documentation and handler. */
export interface RouteDef<B, Q, P> {
  readonly method: HTTPMethods;
  readonly url: string;
  readonly access: Access;
  readonly page?: boolean;
  readonly csrf?: boolean;
  readonly summary: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  /** Leave out of the OpenAPI document (pages). */
  readonly hide?: boolean;
  readonly body?: z.ZodType<B>;
  readonly query?: z.ZodType<Q>;
  readonly params?: z.ZodType<P>;
  readonly bodyLimit?: number;
  readonly rateLimit?: RouteRateLimit;
  /** Extra OpenAPI fields (request body content types, responses). */
  readonly openapi?: Record<string, unknown>;
  handler(request: FastifyRequest<{ Body: B; Querystring: Q; Params: P }>, reply: FastifyReply): Promise<unknown>;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Rate-limit groups counted with {@link Writer.hitSynced}; the others (sign-in, registration) wait for the exact shared count. */
const SYNCED_GROUPS = new Set(['predict']);

/** Names of the cookies (with the __Host- prefix when cookies are Secure). */
export function cookieNames(secure: boolean): { session: string; csrf: string; flow: string } {
  const p = secure ? '__Host-' : '';
  return { session: `${p}cairn_session`, csrf: `${p}cairn_csrf`, flow: `${p}cairn_flow` };
}

function sameSecret(a: unknown, b: unknown): boolean {
  if (typeof a !== 'string' || typeof b !== 'string' || a.length === 0 || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** Creates the Fastify instance with security plugins, authentication, access control and error handling. */
export async function createApp(
  ctx: ServerContext,
  options: { renderErrorPage?: (request: FastifyRequest, problem: Problem) => string } = {},
): Promise<{
  app: FastifyInstance;
  route: <B = unknown, Q = unknown, P = unknown>(def: RouteDef<B, Q, P>) => void;
}> {
  const { config } = ctx;
  const names = cookieNames(config.cookieSecure);
  const app = Fastify({
    logger: {
      level: config.logLevel,
      // Never log headers, bodies or query strings: they can carry credentials and patient data.
      serializers: {
        req: (req: { id?: string; method?: string }) => ({ id: req.id, method: req.method }),
        res: (res: { statusCode?: number }) => ({ status: res.statusCode }),
      },
    },
    bodyLimit: config.limits.bodyBytes,
    trustProxy: config.trustProxy,
    genReqId: () => randomUUID(),
    // One line per request is logged by the onResponse hook instead (without URLs' query strings).
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    routerOptions: { maxParamLength: 200 },
  });
  app.setValidatorCompiler(zodValidatorCompiler);
  app.decorateRequest('principal', undefined);

  // Forms post urlencoded bodies; parsed without a plugin (and within the body limit).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    const out: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(body as string)) out[k] = v;
    done(null, out);
  });
  // Bundle archives may also be sent as the raw body.
  app.addContentTypeParser(['application/octet-stream', 'application/zip'], { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  // CSV bodies (batch prediction) arrive as text.
  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string' }, (_req, body, done) => done(null, body));

  await app.register(cookie);
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", "'wasm-unsafe-eval'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        workerSrc: ["'self'", 'blob:'],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'", ...(config.oidc ? [config.oidc.issuer] : []), ...(config.smart?.allowedIssuers ?? [])],
        frameAncestors: [...config.frameAncestors],
      },
    },
    // frame-ancestors decides embedding; X-Frame-Options cannot express an allow-list, so it is left out.
    frameguard: false,
    hsts: config.hsts ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'same-origin' },
  });
  await app.register(multipart, {
    limits: {
      fileSize: Math.max(config.limits.bundleBytes, config.limits.csvBytes),
      files: 2,
      fields: 40,
      fieldSize: 64 * 1024,
      parts: 50,
    },
    throwFileSizeLimit: true,
  });

  class DatabaseStore {
    private readonly windowMs: number;
    private readonly prefix: string;
    constructor(options: { timeWindow?: number; groupId?: string }) {
      this.windowMs = Number(options.timeWindow ?? 60_000);
      this.prefix = options.groupId ?? 'global';
    }
    incr(key: string, cb: (error: Error | null, result?: { current: number; ttl: number }) => void): void {
      if (SYNCED_GROUPS.has(this.prefix)) {
        // High-volume limits count locally and share their counts every round (a few ms) instead of waiting on the database.
        const r = ctx.writer.hitSynced(`${this.prefix}:${key}`, this.windowMs);
        cb(null, { current: r.count, ttl: r.ttlMs });
        return;
      }
      ctx.writer.hit(`${this.prefix}:${key}`, this.windowMs).then(
        (r) => cb(null, { current: r.count, ttl: r.ttlMs }),
        (error: Error) => cb(error),
      );
    }
    child(routeOptions: { timeWindow?: number; groupId?: string }): DatabaseStore {
      return new DatabaseStore(routeOptions);
    }
  }
  await app.register(rateLimit, {
    global: false,
    store: DatabaseStore as never,
    errorResponseBuilder: (_req, context) =>
      new HttpError(429, 'rate_limited', `Too many requests: the limit is ${context.max} per ${context.after}; try again later`, {
        headers: { 'retry-after': String(Math.ceil(context.ttl / 1000)) },
      }),
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Cairn reference server API',
        version: VERSION,
        description:
          'Clinical prediction models as a service: predictions with explanations, reports, models, training runs, audit and monitoring. ' +
          'Errors are RFC 9457 problem documents (application/problem+json) carrying a stable `code` and `issues` with the path of each offending field.',
      },
      servers: [{ url: config.publicUrl }],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API token (cairn_…) created on the Account page' },
          sessionCookie: {
            type: 'apiKey',
            in: 'cookie',
            name: names.session,
            description: 'Browser session; state changes also need X-CSRF-Token',
          },
        },
      },
    },
  });

  // The route options objects are kept (not their config): plugins' own onRoute hooks may replace config afterwards.
  const routes: Array<{ method: string; url: string; options: { config?: unknown } }> = [];
  app.addHook('onRoute', (r) => {
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    for (const m of methods) if (m !== 'HEAD') routes.push({ method: m, url: r.url, options: r });
  });

  await app.register(
    async (docs) => {
      // Routes of the docs plugin are public and carry no config of their own.
      docs.addHook('onRoute', (r) => {
        r.config = { ...(r.config ?? {}), access: 'public' };
      });
      await docs.register(swaggerUi, { routePrefix: '/api/docs', staticCSP: true });
    },
    { prefix: '' },
  );

  // Authentication: an API token in Authorization, else the session cookie.
  app.addHook('onRequest', async (request, reply) => {
    const access = request.routeOptions.config?.access;
    if (access === undefined) return;
    const auth = request.headers.authorization;
    if (auth !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(auth);
      request.principal = m ? await ctx.principals.fromApiToken(m[1] as string) : undefined;
      if (!request.principal && access !== 'public') throw unauthorized('The API token is unknown, expired or revoked');
    } else {
      const token = request.cookies[names.session];
      if (token) {
        request.principal = await ctx.principals.fromSession(token);
        // A stale cookie is cleared so the browser stops sending it.
        if (!request.principal) reply.clearCookie(names.session, { path: '/' });
      }
    }
    if (access === 'public') return;
    if (!request.principal) throw unauthorized();
    if (access === 'authenticated') return;
    if (!can(request.principal, access)) {
      const p = request.principal;
      throw new HttpError(
        403,
        'forbidden',
        p.status !== 'active'
          ? `Your account is ${p.status}: an administrator must approve it before you can use Cairn`
          : p.mustChangePassword
            ? 'Set a new password first (Account page): the first-start password can be used only once'
            : `Your role (${p.roles.join(', ') || 'none'}) does not allow this (it needs the '${access}' permission)`,
      );
    }
  });

  // CSRF: state changes through a session cookie must carry the session's token; anonymous
  // forms carry the double-submit cookie's value. API tokens are not ambient, so they need neither.
  app.addHook('preValidation', async (request) => {
    const cfg = request.routeOptions.config;
    if (cfg?.access === undefined || SAFE_METHODS.has(request.method) || cfg.csrf === false) return;
    const p = request.principal;
    if (p?.kind === 'token') return;
    const header = request.headers['x-csrf-token'];
    const supplied = typeof header === 'string' ? header : (request.body as { _csrf?: unknown } | undefined)?._csrf;
    const expected = p?.kind === 'session' ? p.csrfToken : request.cookies[names.csrf];
    if (!sameSecret(supplied, expected)) {
      throw new HttpError(403, 'forbidden', 'The CSRF token is missing or wrong: reload the page and try again');
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    ctx.metrics.httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    // One line per request: no query string, no body, no headers (they can hold patient identifiers).
    request.log.info(
      { method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime), user: request.principal?.userId },
      'request',
    );
  });

  app.setErrorHandler(async (error, request, reply) => {
    const problem = toProblem(error, request.id);
    if (problem.status >= 500) request.log.error({ err: error, reqId: request.id }, 'request failed');
    else request.log.info({ reqId: request.id, code: problem.code, status: problem.status }, 'request refused');
    if (error instanceof HttpError) reply.headers(error.headers);
    if (request.routeOptions.config?.page && options.renderErrorPage) {
      if (error instanceof HttpError && error.signIn) {
        return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 303);
      }
      return reply.code(problem.status).type('text/html; charset=utf-8').send(options.renderErrorPage(request, problem));
    }
    return reply.code(problem.status).type('application/problem+json').send(problem);
  });

  app.setNotFoundHandler(async (request, reply) => {
    const problem = toProblem(new HttpError(404, 'not_found', `There is no ${request.method} ${request.url.split('?')[0]}`), request.id);
    if (!request.url.startsWith('/api/') && request.method === 'GET' && options.renderErrorPage) {
      return reply.code(404).type('text/html; charset=utf-8').send(options.renderErrorPage(request, problem));
    }
    return reply.code(404).type('application/problem+json').send(problem);
  });

  app.addHook('onReady', async () => {
    const missing = routes
      .filter((r) => (r.options.config as { access?: Access } | undefined)?.access === undefined)
      .map((r) => `${r.method} ${r.url}`);
    if (missing.length > 0) throw new Error(`routes without an access rule: ${missing.join(', ')}`);
  });
  (app as unknown as { cairnRoutes: typeof routes }).cairnRoutes = routes;

  function route<B = unknown, Q = unknown, P = unknown>(def: RouteDef<B, Q, P>): void {
    const s: Record<string, unknown> = {
      summary: def.summary,
      ...(def.description ? { description: def.description } : {}),
      tags: def.tags ? [...def.tags] : [],
      ...(def.hide || def.page ? { hide: true } : {}),
      ...(def.access === 'public' ? {} : { security: [{ bearerAuth: [] }, { sessionCookie: [] }] }),
      ...(def.body ? { body: schema(def.body) } : {}),
      ...(def.query ? { querystring: schema(def.query) } : {}),
      ...(def.params ? { params: schema(def.params) } : {}),
      ...(def.openapi ?? {}),
    };
    const rl = def.rateLimit;
    app.route({
      method: def.method,
      url: def.url,
      schema: s,
      ...(def.bodyLimit ? { bodyLimit: def.bodyLimit } : {}),
      config: {
        access: def.access,
        page: def.page ?? false,
        csrf: def.csrf ?? true,
        ...(rl
          ? {
              rateLimit: {
                max: rl.max,
                timeWindow: rl.windowMs,
                groupId: rl.group,
                keyGenerator: (req: FastifyRequest) =>
                  rl.per === 'principal' && req.principal ? `u:${req.principal.userId}` : `ip:${req.ip}`,
              },
            }
          : {}),
      },
      handler: def.handler as never,
    });
  }

  return { app, route };
}

/** Every route with its access rule (for the RBAC matrix test). */
export function listRoutes(app: FastifyInstance): ReadonlyArray<{ method: string; url: string; access: Access | undefined }> {
  return (app as unknown as { cairnRoutes: Array<{ method: string; url: string; options: { config?: unknown } }> }).cairnRoutes.map(
    (r) => ({
      method: r.method,
      url: r.url,
      access: (r.options.config as { access?: Access } | undefined)?.access,
    }),
  );
}
