import { readTrustedKeys } from '@cairn/node';
import type { FastifyInstance } from 'fastify';
import { ensureAdmin } from './auth/accounts.js';
import { generatePassword } from './auth/passwords.js';
import { createPrincipals } from './auth/principals.js';
import type { ServerConfig } from './config.js';
import type { ServerContext } from './context.js';
import { type Database, openPglite, openPostgres } from './db/database.js';
import { createEventBus } from './db/events.js';
import { migrate } from './db/migrations.js';
import { createWriter } from './db/writer.js';
import { createApp } from './http/app.js';
import { createMetrics } from './http/metrics.js';
import { serveStatic } from './http/static.js';
import { createBatchJobs } from './jobs/batch.js';
import { startJobs } from './jobs/jobs.js';
import { createModelRegistry } from './models/registry.js';
import { createMonitoringAggregator } from './monitoring/aggregator.js';
import { appPages } from './pages/app-pages.js';
import { authPages } from './pages/auth-pages.js';
import { errorPage } from './pages/layout.js';
import { accountRoutes } from './routes/accounts.js';
import { auditRoutes } from './routes/audit.js';
import { fhirRoutes } from './routes/fhir.js';
import { healthRoutes } from './routes/health.js';
import { modelRoutes } from './routes/models.js';
import { monitoringRoutes } from './routes/monitoring.js';
import { ssoRoutes } from './routes/sso.js';
import { trainingRoutes } from './routes/training.js';
import { installExamples } from './seed.js';
import { createSettings } from './settings.js';
import { createTrainingService } from './training/service.js';

/** A started server. */
export interface CairnServer {
  readonly app: FastifyInstance;
  readonly ctx: ServerContext;
  /** The address it listens on (undefined when started with listen: false). */
  readonly url: string | undefined;
  /** The generated first-start admin password (shown once), when one was generated. */
  readonly adminPassword: string | undefined;
  /** Graceful shutdown: stops accepting, finishes in-flight requests and jobs, flushes and closes the database. */
  close(): Promise<void>;
}

/** Options of {@link startServer}. */
export interface StartOptions {
  /** Listen on config.host:config.port. @defaultValue true */
  readonly listen?: boolean;
  /** Use this database instead of opening one from the configuration (tests). */
  readonly database?: Database;
  /** Where the one-time admin password is written. @defaultValue stdout */
  readonly announce?: (message: string) => void;
}

/** Opens the database, applies migrations, starts the services and (by default) listens. */
export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<CairnServer> {
  const state = { shuttingDown: false, onShutdown: [] as Array<() => void> };
  const ctx = { config, state, metrics: createMetrics() } as { -readonly [K in keyof ServerContext]: ServerContext[K] };
  const { app, route } = await createApp(ctx, { renderErrorPage: errorPage });
  ctx.log = app.log;
  const onError = (error: unknown) => app.log.error({ err: error }, 'background task failed');

  const db =
    options.database ??
    (config.database.kind === 'postgres'
      ? await openPostgres(config.database.url, config.databasePoolSize, onError)
      : await openPglite(config.database.dir));
  ctx.db = db;
  const cleanups: Array<() => Promise<void> | void> = [];
  try {
    const applied = await migrate(db);
    if (applied.length > 0) app.log.info({ applied }, 'database migrated');
    ctx.events = await createEventBus(db, onError);
    ctx.writer = createWriter(db);
    ctx.principals = createPrincipals(db, ctx.events, {
      cacheMs: config.authCacheMs,
      sessionTtlMs: config.session.ttlMs,
      sessionIdleMs: config.session.idleMs,
    });
    ctx.settings = await createSettings(
      db,
      ctx.events,
      config.storePatientInputs === undefined ? {} : { storePatientInputs: config.storePatientInputs },
    );
    ctx.models = createModelRegistry(db, ctx.events, {
      bundleDir: config.bundleDir,
      trustedKeys: await readTrustedKeys(config.trustedKeyPaths),
      requireSignature: config.requireSignedBundles,
      maxBundleBytes: config.limits.bundleBytes,
      onError,
    });
    ctx.monitoring = createMonitoringAggregator(db, onError);
    ctx.jobs = await startJobs(db, onError);
    ctx.training = createTrainingService(ctx);
    ctx.batches = createBatchJobs(ctx);

    healthRoutes(route, ctx);
    accountRoutes(route, ctx);
    auditRoutes(route, ctx);
    modelRoutes(route, ctx);
    monitoringRoutes(route, ctx);
    trainingRoutes(route, ctx);
    fhirRoutes(route, ctx);
    ssoRoutes(route, ctx);
    authPages(route, ctx);
    appPages(route, ctx);
    const { widgets } = await serveStatic(app);
    if (!widgets) app.log.warn('the web components are not built: pages need them (npm run build -w @cairn/web-components)');

    let adminPassword: string | undefined;
    const password = config.admin.password ?? generatePassword();
    if (await ensureAdmin(ctx, config.admin.email, password, config.admin.password === undefined)) {
      if (config.admin.password === undefined) {
        adminPassword = password;
        (options.announce ?? ((m: string) => process.stdout.write(`${m}\n`)))(
          [
            '',
            `┌${'─'.repeat(66)}┐`,
            `│ ${'Cairn: first start. Administrator account created.'.padEnd(65)}│`,
            `│ ${`  email:    ${config.admin.email}`.padEnd(65)}│`,
            `│ ${`  password: ${password}`.padEnd(65)}│`,
            `│ ${'This password is shown once and must be changed on first use.'.padEnd(65)}│`,
            `└${'─'.repeat(66)}┘`,
            '',
          ].join('\n'),
        );
      } else app.log.info({ email: config.admin.email }, 'administrator account created from ADMIN_PASSWORD');
    }
    if (config.examples) {
      const installed = await installExamples(ctx);
      if (installed.length > 0) app.log.info({ installed }, 'example models installed');
    }

    const maintenance = setInterval(() => {
      void (async () => {
        await db.query('delete from rate_limits where window_start < $1', [Date.now() - 2 * 86_400_000]);
        await db.query('delete from sessions where expires_at < now()');
        await db.query('delete from auth_flows where expires_at < now()');
        await db.query('delete from cds_jti where expires_at < now()');
        await db.query(
          "update batch_jobs set result_csv = null where result_csv is not null and finished_at < now() - interval '24 hours'",
        );
      })().catch(onError);
    }, 60_000);
    maintenance.unref();
    cleanups.push(() => clearInterval(maintenance));

    await app.ready();
    await ctx.training.start();
    await ctx.batches.start();
    let url: string | undefined;
    if (options.listen !== false) url = await app.listen({ port: config.port, host: config.host });

    let closing: Promise<void> | undefined;
    const close = () => {
      closing ??= (async () => {
        state.shuttingDown = true;
        for (const fn of state.onShutdown) fn();
        await app.close();
        await ctx.training.stop();
        await ctx.jobs.stop(config.shutdownTimeoutMs).catch(onError);
        for (const c of cleanups) await c();
        await ctx.monitoring.close().catch(onError);
        await ctx.writer.flush().catch(onError);
        await ctx.models.close();
        ctx.principals.close();
        ctx.settings.close();
        await ctx.events.close();
        await db.close();
      })();
      return closing;
    };
    return { app, ctx, url, adminPassword, close };
  } catch (error) {
    await app.close().catch(() => undefined);
    await ctx.jobs?.stop(1000).catch(() => undefined);
    await db.close().catch(() => undefined);
    throw error;
  }
}
