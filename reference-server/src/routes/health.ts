import type { ServerContext } from '../context.js';
import type { RouteDef } from '../http/app.js';
import { HttpError, unauthorized } from '../http/problem.js';
import { VERSION } from '../version.js';

type Route = <B, Q, P>(def: RouteDef<B, Q, P>) => void;

/** Liveness, readiness and Prometheus metrics. */
export function healthRoutes(route: Route, ctx: ServerContext): void {
  route({
    method: 'GET',
    url: '/healthz',
    access: 'public',
    summary: 'Liveness: the process is up',
    tags: ['operations'],
    handler: async () => ({ status: 'ok', version: VERSION, instance: ctx.config.instanceId }),
  });

  route({
    method: 'GET',
    url: '/readyz',
    access: 'public',
    summary: 'Readiness: the database answers and the server is not shutting down',
    tags: ['operations'],
    handler: async (_request, reply) => {
      if (ctx.state.shuttingDown) return reply.code(503).send({ status: 'shutting-down' });
      try {
        await ctx.db.query('select 1');
      } catch {
        return reply.code(503).send({ status: 'database-unavailable' });
      }
      return { status: 'ready' };
    },
  });

  route({
    method: 'GET',
    url: '/metrics',
    access: 'public',
    summary: 'Prometheus metrics (needs the METRICS_TOKEN bearer token when one is configured)',
    tags: ['operations'],
    handler: async (request, reply) => {
      const token = ctx.config.metricsToken;
      if (token) {
        const auth = request.headers.authorization;
        if (!auth) throw unauthorized('The metrics endpoint needs the METRICS_TOKEN bearer token');
        if (auth !== `Bearer ${token}`) throw new HttpError(403, 'forbidden', 'Wrong metrics token');
      }
      reply.type(ctx.metrics.registry.contentType);
      return ctx.metrics.registry.metrics();
    },
  });
}
