import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { Principal } from './auth/access.js';
import type { Principals } from './auth/principals.js';
import type { ServerConfig } from './config.js';
import type { Database } from './db/database.js';
import type { EventBus } from './db/events.js';
import type { Writer } from './db/writer.js';
import type { Metrics } from './http/metrics.js';
import type { BatchJobs } from './jobs/batch.js';
import type { Jobs } from './jobs/jobs.js';
import type { Actor, ModelRegistry } from './models/registry.js';
import type { MonitoringAggregator } from './monitoring/aggregator.js';
import type { Settings } from './settings.js';
import type { TrainingService } from './training/service.js';

/** Everything a route needs: configuration and the services of this process. */
export interface ServerContext {
  readonly config: ServerConfig;
  readonly db: Database;
  readonly events: EventBus;
  readonly writer: Writer;
  readonly principals: Principals;
  readonly settings: Settings;
  readonly models: ModelRegistry;
  readonly monitoring: MonitoringAggregator;
  readonly jobs: Jobs;
  readonly metrics: Metrics;
  readonly log: FastifyBaseLogger;
  readonly training: TrainingService;
  readonly batches: BatchJobs;
  /** Process state: set when shutdown begins; long-lived responses (event streams) register to end then. */
  readonly state: { shuttingDown: boolean; readonly onShutdown: Array<() => void> };
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

/** The audit actor of a request (its principal, or anonymous). */
export function actorOf(request: FastifyRequest): Actor {
  const p = request.principal;
  return {
    actorId: p?.userId ?? null,
    actor: p ? (p.kind === 'token' ? `${p.email} (token ${p.tokenName})` : p.email) : 'anonymous',
    actorKind: p ? (p.kind === 'token' ? 'token' : 'user') : 'anonymous',
    ip: request.ip,
    requestId: request.id,
  };
}

/** The principal of a request that passed an access check (routes with a permission always have one). */
export function principalOf(request: FastifyRequest): Principal {
  const p = request.principal;
  if (!p) throw new Error('route reached without a principal: check its access setting');
  return p;
}
