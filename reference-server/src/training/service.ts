import { Worker } from 'node:worker_threads';
import { CairnError, isCairnError } from '@cairn/node';
import { writeAudit } from '../audit/audit.js';
import type { ServerContext } from '../context.js';
import type { Queryable } from '../db/database.js';
import { conflict, HttpError, notFound } from '../http/problem.js';
import { type Actor, compareVersions } from '../models/registry.js';
import type { TrainingSpec, WorkerInput, WorkerMessage } from './spec.js';

/** The states of a training run. */
export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** A training run as the API shows it. */
export interface RunView {
  readonly id: string;
  readonly status: RunStatus;
  readonly pipeline: string;
  readonly params: Record<string, unknown>;
  readonly spec: TrainingSpec;
  readonly files: ReadonlyArray<{ kind: string; name: string; bytes: number }>;
  readonly progress: { stage?: string; fraction?: number; stages?: string[] };
  readonly cancelRequested: boolean;
  readonly createdBy: { id: string; email: string | null };
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly instance: string | null;
  readonly result: { modelId: string; version: string; metrics: unknown } | null;
  readonly error: { code: string; message: string; issues: unknown[] } | null;
}

interface RunRow {
  id: string;
  status: RunStatus;
  pipeline: string;
  params: Record<string, unknown>;
  spec: TrainingSpec;
  files: Array<{ kind: string; name: string; bytes: number }>;
  progress: RunView['progress'];
  cancel_requested: boolean;
  created_by: string;
  creator_email: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  instance: string | null;
  result: RunView['result'];
  error: RunView['error'];
  job_id: string | null;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
const TERMINAL: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled'];
const STAGES = ['data', 'search', 'train', 'evaluate', 'export', 'check'];

/** True when a run will not change any more. */
export const isTerminal = (s: RunStatus) => TERMINAL.includes(s);

function view(r: RunRow): RunView {
  return {
    id: r.id,
    status: r.status,
    pipeline: r.pipeline,
    params: r.params,
    spec: r.spec,
    files: r.files,
    progress: { ...r.progress, stages: STAGES },
    cancelRequested: r.cancel_requested,
    createdBy: { id: r.created_by, email: r.creator_email },
    createdAt: iso(r.created_at) as string,
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
    instance: r.instance,
    result: r.result,
    error: r.error,
  };
}

const SELECT = `select r.*, u.email as creator_email from training_runs r left join users u on u.id = r.created_by`;

/** Where the worker module is: the TypeScript source under tsx/vitest, the bundled file in dist. */
function workerLocation(): { url: URL; options: { workerData?: unknown; execArgv?: string[] } } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    return {
      url: new URL('./ts-worker.mjs', here),
      options: { execArgv: ['--conditions=@cairn/source'] },
    };
  }
  return { url: new URL('./training-worker.js', here), options: {} };
}

/** Training runs: queued in the database (pg-boss), executed in a worker thread by whichever instance takes the job. */
export interface TrainingService {
  create(
    input: {
      pipeline: string;
      params: Record<string, unknown>;
      spec: TrainingSpec;
      files: Array<{ kind: 'train' | 'test'; name: string; bytes: Uint8Array }>;
    },
    actor: Actor & { actorId: string },
  ): Promise<RunView>;
  get(id: string): Promise<RunView>;
  list(limit: number): Promise<RunView[]>;
  cancel(id: string, actor: Actor): Promise<RunView>;
  /** Starts taking jobs on this instance. */
  start(): Promise<void>;
  /** Asks running runs of this instance to stop (shutdown). */
  stop(): Promise<void>;
}

/** Creates the training service. */
export function createTrainingService(ctx: ServerContext): TrainingService {
  const active = new Map<string, Worker>();
  let sweeper: NodeJS.Timeout | undefined;
  let stopping = false;

  async function get(id: string, q: Queryable = ctx.db): Promise<RunView> {
    const { rows } = await q.query<RunRow>(`${SELECT} where r.id = $1`, [id]);
    if (!rows[0]) throw notFound(`Training run ${id}`);
    return view(rows[0]);
  }

  async function nextVersion(modelId: string, requested: string | undefined): Promise<string> {
    const { rows } = await ctx.db.query<{ version: string }>('select version from model_versions where model_id = $1', [modelId]);
    const taken = rows.map((r) => r.version);
    if (requested) {
      if (taken.includes(requested)) throw conflict(`Model ${modelId} already has version ${requested}`, ['spec', 'model', 'version']);
      return requested;
    }
    if (taken.length === 0) return '1.0.0';
    const highest = taken.sort(compareVersions).at(-1) as string;
    const [major, minor] = highest.split(/[.+-]/).map(Number);
    return `${major ?? 0}.${(minor ?? 0) + 1}.0`;
  }

  async function finish(
    id: string,
    status: 'failed' | 'cancelled',
    error: { code: string; message: string; issues: unknown[] },
    creator: Actor,
  ): Promise<void> {
    await ctx.db.transaction(async (tx) => {
      const { rowCount } = await tx.query(
        `update training_runs set status = $2, error = $3::jsonb, finished_at = now() where id = $1 and status in ('queued', 'running')`,
        [id, status, JSON.stringify(error)],
      );
      if (rowCount === 0) return;
      await tx.query("delete from upload_files where owner_type = 'training' and owner_id = $1", [id]);
      await writeAudit(tx, [
        {
          ...creator,
          action: status === 'cancelled' ? 'training.cancel' : 'training.fail',
          outcome: status === 'cancelled' ? 'success' : 'failure',
          targetType: 'training-run',
          targetId: id,
          details: { code: error.code, message: error.message.slice(0, 500) },
        },
      ]);
      await ctx.events.publish(tx, { t: 'run', id });
    });
    ctx.metrics.trainingRuns.inc({ status });
  }

  async function execute(runId: string): Promise<void> {
    const claimed = await ctx.db.transaction(async (tx) => {
      const { rows } = await tx.query<RunRow>(`${SELECT} where r.id = $1 for update of r`, [runId]);
      const run = rows[0];
      if (run?.status !== 'queued') return undefined;
      const creator: Actor = { actorId: run.created_by, actor: run.creator_email ?? run.created_by, actorKind: 'user' };
      if (run.cancel_requested) return { run, creator, cancelled: true };
      await tx.query(
        `update training_runs set status = 'running', instance = $2, started_at = now(), heartbeat_at = now(),
           progress = '{"stage":"data","fraction":0}' where id = $1`,
        [runId, ctx.config.instanceId],
      );
      await writeAudit(tx, [
        {
          ...creator,
          action: 'training.start',
          outcome: 'success',
          targetType: 'training-run',
          targetId: runId,
          details: { instance: ctx.config.instanceId },
        },
      ]);
      await ctx.events.publish(tx, { t: 'run', id: runId });
      return { run, creator, cancelled: false };
    });
    if (!claimed) return;
    const { run, creator } = claimed;
    if (claimed.cancelled) {
      await finish(runId, 'cancelled', { code: 'cancelled', message: 'cancelled before it started', issues: [] }, creator);
      return;
    }
    ctx.metrics.trainingActive.inc();
    try {
      const files = await ctx.db.query<{ kind: string; name: string; bytes: Uint8Array }>(
        "select kind, name, bytes from upload_files where owner_type = 'training' and owner_id = $1",
        [runId],
      );
      const train = files.rows.find((f) => f.kind === 'train');
      const test = files.rows.find((f) => f.kind === 'test');
      if (!train) throw new CairnError('invalid_input', 'the training file of this run is missing');
      const version = await nextVersion(run.spec.model.id, run.spec.model.version);
      const input: WorkerInput = {
        pipeline: run.pipeline,
        params: run.params,
        spec: run.spec,
        version,
        train: { name: train.name, bytes: new Uint8Array(train.bytes) },
        ...(test ? { test: { name: test.name, bytes: new Uint8Array(test.bytes) } } : {}),
      };
      const outcome = await runWorker(runId, input);
      if (outcome.type === 'error') {
        const status = outcome.error.code === 'cancelled' ? 'cancelled' : 'failed';
        await finish(runId, status, outcome.error, creator);
        return;
      }
      await ctx.models.ingest(outcome.archive, {
        actor: creator,
        source: 'training',
        trainingRunId: runId,
        ...(run.spec.activate ? { activate: true } : {}),
        inTransaction: async (tx, model) => {
          const result = { modelId: model.modelId, version: model.version, metrics: outcome.metrics };
          await tx.query(
            `update training_runs set status = 'succeeded', result = $2::jsonb, finished_at = now(),
               progress = '{"stage":"check","fraction":1}' where id = $1`,
            [runId, JSON.stringify(result)],
          );
          await tx.query("delete from upload_files where owner_type = 'training' and owner_id = $1", [runId]);
          await writeAudit(tx, [
            {
              ...creator,
              action: 'training.succeed',
              outcome: 'success',
              targetType: 'training-run',
              targetId: runId,
              modelId: model.modelId,
              modelVersion: model.version,
              details: { pipeline: run.pipeline },
            },
          ]);
          await ctx.events.publish(tx, { t: 'run', id: runId });
        },
      });
      ctx.metrics.trainingRuns.inc({ status: 'succeeded' });
    } catch (error) {
      const e =
        error instanceof HttpError || isCairnError(error)
          ? { code: error.code, message: error.message, issues: [...error.issues] }
          : { code: 'internal', message: 'training failed unexpectedly; see the server log', issues: [] };
      if (!(error instanceof HttpError) && !isCairnError(error)) ctx.log.error({ err: error, runId }, 'training run failed');
      await finish(runId, 'failed', e, creator);
    } finally {
      ctx.metrics.trainingActive.dec();
    }
  }

  function runWorker(
    runId: string,
    input: WorkerInput,
  ): Promise<Extract<WorkerMessage, { type: 'result' }> | Extract<WorkerMessage, { type: 'error' }>> {
    const { url, options } = workerLocation();
    const worker = new Worker(url, {
      ...options,
      workerData: { ...input, __entry: new URL('./worker.ts', import.meta.url).href },
      resourceLimits: { maxOldGenerationSizeMb: 2048 },
    });
    active.set(runId, worker);
    let lastWrite = 0;
    let lastStage = '';
    let pending: { stage: string; fraction: number } | undefined;
    const writeProgress = async (p: { stage: string; fraction: number }) => {
      await ctx.db.transaction(async (tx) => {
        await tx.query(`update training_runs set progress = $2::jsonb, heartbeat_at = now() where id = $1 and status = 'running'`, [
          runId,
          JSON.stringify(p),
        ]);
        await ctx.events.publish(tx, { t: 'run', id: runId });
      });
    };
    // Heartbeat (so a run whose instance died is noticed) and cancellation requested on any instance.
    const heartbeat = setInterval(() => {
      void (async () => {
        const { rows } = await ctx.db.query<{ cancel_requested: boolean }>(
          'update training_runs set heartbeat_at = now() where id = $1 returning cancel_requested',
          [runId],
        );
        if (rows[0]?.cancel_requested) worker.postMessage({ type: 'cancel' });
        if (pending) {
          const p = pending;
          pending = undefined;
          await writeProgress(p);
        }
      })().catch((error) => ctx.log.warn({ err: error, runId }, 'training heartbeat failed'));
    }, 1000);
    const offEvents = ctx.events.on((e) => {
      if (e.t === 'run' && e.id === runId) {
        void ctx.db
          .query<{ cancel_requested: boolean }>('select cancel_requested from training_runs where id = $1', [runId])
          .then((r) => {
            if (r.rows[0]?.cancel_requested) worker.postMessage({ type: 'cancel' });
          })
          .catch(() => undefined);
      }
    });
    let timedOut = false;
    const timeout = setTimeout(() => {
      timedOut = true;
      worker.postMessage({ type: 'cancel' });
    }, ctx.config.training.timeoutMs);
    timeout.unref();
    return new Promise((resolve) => {
      let settled = false;
      const done = (m: Extract<WorkerMessage, { type: 'result' }> | Extract<WorkerMessage, { type: 'error' }>) => {
        if (settled) return;
        settled = true;
        clearInterval(heartbeat);
        clearTimeout(timeout);
        offEvents();
        active.delete(runId);
        void worker.terminate();
        resolve(m);
      };
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'progress') {
          const now = Date.now();
          const p = { stage: m.stage, fraction: m.fraction };
          if (m.stage !== lastStage || now - lastWrite > 500) {
            lastStage = m.stage;
            lastWrite = now;
            pending = undefined;
            void writeProgress(p).catch(() => undefined);
          } else pending = p;
        } else if (m.type === 'error' && m.error.code === 'cancelled' && timedOut) {
          done({
            type: 'error',
            error: { code: 'limit_exceeded', message: 'the run took longer than TRAINING_TIMEOUT_MINUTES', issues: [] },
          });
        } else if (m.type === 'error' && m.error.code === 'cancelled' && stopping) {
          done({
            type: 'error',
            error: { code: 'unavailable', message: 'the server shut down during the run: start it again', issues: [] },
          });
        } else done(m);
      });
      worker.on('error', (error) =>
        done({ type: 'error', error: { code: 'internal', message: `the training worker failed: ${error.message}`, issues: [] } }),
      );
      worker.on('exit', (code) =>
        done({ type: 'error', error: { code: 'internal', message: `the training worker stopped (exit code ${code})`, issues: [] } }),
      );
    });
  }

  async function sweep(): Promise<void> {
    // Runs whose instance stopped sending heartbeats (crashed or killed) are failed, so nobody waits forever.
    const { rows } = await ctx.db.query<{ id: string; created_by: string; email: string | null }>(
      `select r.id, r.created_by, u.email from training_runs r left join users u on u.id = r.created_by
        where r.status = 'running' and r.heartbeat_at < now() - interval '60 seconds'`,
    );
    for (const r of rows) {
      await finish(
        r.id,
        'failed',
        { code: 'unavailable', message: 'the server running this training stopped before it finished: start the run again', issues: [] },
        { actorId: r.created_by, actor: r.email ?? r.created_by, actorKind: 'user' },
      );
    }
  }

  return {
    async create(input, actor) {
      return ctx.db.transaction(async (tx) => {
        const { rows } = await tx.query<{ id: string }>(
          `insert into training_runs (created_by, status, pipeline, params, spec, files) values ($1, 'queued', $2, $3::jsonb, $4::jsonb, $5::jsonb)
           returning id`,
          [
            actor.actorId,
            input.pipeline,
            JSON.stringify(input.params),
            JSON.stringify(input.spec),
            JSON.stringify(input.files.map((f) => ({ kind: f.kind, name: f.name, bytes: f.bytes.byteLength }))),
          ],
        );
        const id = (rows[0] as { id: string }).id;
        for (const f of input.files) {
          await tx.query(`insert into upload_files (owner_type, owner_id, kind, name, bytes) values ('training', $1, $2, $3, $4)`, [
            id,
            f.kind,
            f.name,
            Buffer.from(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength),
          ]);
        }
        const jobId = await ctx.jobs.send(
          tx,
          'training',
          { runId: id },
          { expireInSeconds: Math.ceil(ctx.config.training.timeoutMs / 1000) + 300 },
        );
        await tx.query('update training_runs set job_id = $2 where id = $1', [id, jobId]);
        await writeAudit(tx, [
          {
            ...actor,
            action: 'training.create',
            outcome: 'success',
            targetType: 'training-run',
            targetId: id,
            modelId: input.spec.model.id,
            details: { pipeline: input.pipeline, params: input.params, files: input.files.map((f) => f.name) },
          },
        ]);
        await ctx.events.publish(tx, { t: 'run', id });
        return get(id, tx);
      });
    },

    get: (id) => get(id),

    async list(limit) {
      const { rows } = await ctx.db.query<RunRow>(`${SELECT} order by r.created_at desc limit $1`, [limit]);
      return rows.map(view);
    },

    async cancel(id, actor) {
      const r = await ctx.db.transaction(async (tx) => {
        const { rows } = await tx.query<RunRow>(`${SELECT} where r.id = $1 for update of r`, [id]);
        const run = rows[0];
        if (!run) throw notFound(`Training run ${id}`);
        if (isTerminal(run.status)) throw conflict(`The run has already ${run.status === 'succeeded' ? 'finished' : run.status}`);
        if (run.cancel_requested) throw conflict('Cancellation was already requested');
        if (run.status === 'queued') {
          await tx.query(
            `update training_runs set status = 'cancelled', cancel_requested = true, finished_at = now(),
               error = '{"code":"cancelled","message":"cancelled before it started","issues":[]}' where id = $1`,
            [id],
          );
          await tx.query("delete from upload_files where owner_type = 'training' and owner_id = $1", [id]);
        } else await tx.query('update training_runs set cancel_requested = true where id = $1', [id]);
        await writeAudit(tx, [
          {
            ...actor,
            action: 'training.cancel',
            outcome: 'success',
            targetType: 'training-run',
            targetId: id,
            details: { status: run.status, requested: run.status === 'running' },
          },
        ]);
        await ctx.events.publish(tx, { t: 'run', id });
        return run;
      });
      if (r.status === 'queued' && r.job_id) await ctx.jobs.cancel('training', r.job_id).catch(() => undefined);
      return get(id);
    },

    async start() {
      if (ctx.config.training.concurrency > 0) {
        await ctx.jobs.work('training', ctx.config.training.concurrency, async (data) => {
          const runId = typeof data.runId === 'string' ? data.runId : undefined;
          if (runId) await execute(runId);
        });
      }
      sweeper = setInterval(() => void sweep().catch((error) => ctx.log.warn({ err: error }, 'training sweep failed')), 30_000);
      sweeper.unref();
    },

    async stop() {
      stopping = true;
      if (sweeper) clearInterval(sweeper);
      for (const w of active.values()) w.postMessage({ type: 'cancel' });
    },
  };
}
