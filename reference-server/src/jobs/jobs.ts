import PgBoss from 'pg-boss';
import type { Database, Queryable } from '../db/database.js';

/** Queues of background work; any instance may take a job, and each job is taken by one. */
export type QueueName = 'training' | 'batch';

/** pg-boss on the server's database (PostgreSQL, or PGlite through its `db.executeSql` adapter). */
export interface Jobs {
  /** Queues a job inside the caller's transaction, so the job exists exactly when the transaction commits. */
  send(tx: Queryable, queue: QueueName, data: Record<string, unknown>, options: { expireInSeconds: number }): Promise<string>;
  /** Takes jobs from a queue, `concurrency` at a time on this instance. */
  work(queue: QueueName, concurrency: number, handler: (data: Record<string, unknown>, jobId: string) => Promise<void>): Promise<void>;
  /** Cancels a job that has not started yet. */
  cancel(queue: QueueName, id: string): Promise<void>;
  /** Stops taking new jobs, waiting up to `timeoutMs` for running handlers. */
  stop(timeoutMs: number): Promise<void>;
}

const JOBS_LOCK = 0x636169726e02n;

/** Starts pg-boss (creating or migrating its schema under its own advisory lock). */
export async function startJobs(db: Database, onError: (error: unknown) => void): Promise<Jobs> {
  const boss = new PgBoss({
    db: { executeSql: (text, values) => db.executeSql(text, values) },
    schema: 'pgboss',
    supervise: true,
    schedule: false,
    migrate: true,
    maintenanceIntervalSeconds: 120,
  });
  boss.on('error', onError);
  // pg-boss creates its schema with "create schema if not exists", which races when several
  // instances start together on an empty database: serialise the start on an advisory lock.
  await db.withAdvisoryLock(JOBS_LOCK, async () => {
    await boss.start();
    for (const queue of ['training', 'batch'] as const) {
      if (!(await boss.getQueue(queue))) await boss.createQueue(queue, { name: queue, retryLimit: 0 });
    }
  });
  const workers: string[] = [];
  return {
    async send(tx, queue, data, options) {
      const id = await boss.send(queue, data, {
        retryLimit: 0,
        expireInSeconds: options.expireInSeconds,
        db: { executeSql: (text, values) => tx.query(text, values) },
      });
      if (!id) throw new Error(`pg-boss did not queue the ${queue} job`);
      return id;
    },
    async work(queue, concurrency, handler) {
      for (let i = 0; i < concurrency; i++) {
        workers.push(
          await boss.work<Record<string, unknown>>(queue, { batchSize: 1, pollingIntervalSeconds: 1 }, async (jobs) => {
            for (const job of jobs) await handler(job.data, job.id);
          }),
        );
      }
    },
    async cancel(queue, id) {
      await boss.cancel(queue, id);
    },
    async stop(timeoutMs) {
      await boss.stop({ graceful: true, wait: true, timeout: timeoutMs, close: false });
    },
  };
}
