import type { FeatureRecord } from '@cairn/node';
import { type AuditEntry, writeAudit } from '../audit/audit.js';
import type { ServerContext } from '../context.js';
import { notFound } from '../http/problem.js';
import type { Actor } from '../models/registry.js';

/** A queued batch prediction as the API shows it. */
export interface BatchJobView {
  readonly id: string;
  readonly modelId: string;
  readonly modelVersion: string;
  readonly status: 'queued' | 'running' | 'succeeded' | 'failed';
  readonly rows: number | null;
  readonly createdAt: string;
  readonly finishedAt: string | null;
  readonly instance: string | null;
  readonly summary: { scored: number; refused: number } | null;
  readonly error: { code: string; message: string } | null;
}

interface JobRow {
  id: string;
  model_id: string;
  model_version: string;
  status: BatchJobView['status'];
  rows: number | null;
  created_at: Date;
  finished_at: Date | null;
  instance: string | null;
  summary: BatchJobView['summary'];
  error: BatchJobView['error'];
  created_by: string;
}

const view = (r: JobRow): BatchJobView => ({
  id: r.id,
  modelId: r.model_id,
  modelVersion: r.model_version,
  status: r.status,
  rows: r.rows,
  createdAt: new Date(r.created_at).toISOString(),
  finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
  instance: r.instance,
  summary: r.summary,
  error: r.error,
});

const csvCell = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** Batch predictions queued in the database (pg-boss) and executed by whichever instance takes them. */
export interface BatchJobs {
  create(
    modelId: string,
    rows: readonly unknown[],
    actor: Actor & { actorId: string },
    audit: Pick<AuditEntry, 'inputsHash' | 'inputs' | 'details'>,
  ): Promise<BatchJobView>;
  get(id: string, userId: string, all: boolean): Promise<BatchJobView>;
  result(id: string, userId: string, all: boolean): Promise<Uint8Array | undefined>;
  start(): Promise<void>;
}

/** Creates the batch job service. Inputs are kept only until the job has run; results for 24 hours. */
export function createBatchJobs(ctx: ServerContext): BatchJobs {
  async function row(id: string, userId: string, all: boolean): Promise<JobRow> {
    const { rows } = await ctx.db.query<JobRow>('select * from batch_jobs where id = $1 and (created_by = $2 or $3)', [id, userId, all]);
    if (!rows[0]) throw notFound(`Batch job ${id}`);
    return rows[0];
  }

  async function execute(id: string): Promise<void> {
    const claimed = await ctx.db.transaction(async (tx) => {
      const { rows } = await tx.query<JobRow>(
        "update batch_jobs set status = 'running', instance = $2 where id = $1 and status = 'queued' returning *",
        [id, ctx.config.instanceId],
      );
      return rows[0];
    });
    if (!claimed) return;
    const finish = async (status: 'succeeded' | 'failed', fields: { result?: Buffer; summary?: unknown; error?: unknown }) => {
      await ctx.db.transaction(async (tx) => {
        await tx.query(
          'update batch_jobs set status = $2, finished_at = now(), result_csv = $3, summary = $4::jsonb, error = $5::jsonb where id = $1',
          [id, status, fields.result ?? null, JSON.stringify(fields.summary ?? null), JSON.stringify(fields.error ?? null)],
        );
        await tx.query("delete from upload_files where owner_type = 'batch' and owner_id = $1", [id]);
        const { rows } = await tx.query<{ email: string }>('select email from users where id = $1', [claimed.created_by]);
        await writeAudit(tx, [
          {
            actorId: claimed.created_by,
            actor: rows[0]?.email ?? claimed.created_by,
            actorKind: 'user',
            action: 'batch.finish',
            outcome: status === 'succeeded' ? 'success' : 'failure',
            targetType: 'batch-job',
            targetId: id,
            modelId: claimed.model_id,
            modelVersion: claimed.model_version,
            details: {
              ...(fields.summary ? { summary: fields.summary } : {}),
              ...(fields.error ? { error: fields.error } : {}),
              instance: ctx.config.instanceId,
            },
          },
        ]);
        await ctx.events.publish(tx, { t: 'batch', id });
      });
    };
    try {
      const input = await ctx.db.query<{ bytes: Uint8Array }>(
        "select bytes from upload_files where owner_type = 'batch' and owner_id = $1",
        [id],
      );
      const records = JSON.parse(Buffer.from(input.rows[0]?.bytes ?? []).toString('utf8') || '[]') as unknown[];
      const model = await ctx.models.load(claimed.model_id, claimed.model_version);
      let out = 'row,probability,label,band,error\n';
      let scored = 0;
      let refused = 0;
      for (let start = 0; start < records.length; start += 1000) {
        const items = await model.predictor.predictBatch(records.slice(start, start + 1000));
        items.forEach((item, i) => {
          if (item.ok) {
            scored++;
            ctx.monitoring.record(model, item.prediction.values as FeatureRecord, item.prediction.label === 1, null);
            out += `${start + i + 1},${item.prediction.probability},${item.prediction.label},${item.prediction.band.id},\n`;
          } else {
            refused++;
            out += `${start + i + 1},,,,${csvCell(item.error.message)}\n`;
          }
        });
        // Other requests get the event loop between chunks.
        await new Promise((r) => setImmediate(r));
      }
      await finish('succeeded', { result: Buffer.from(out), summary: { scored, refused } });
    } catch (error) {
      const e = error as { code?: string; message?: string };
      await finish('failed', { error: { code: e.code ?? 'internal', message: e.message ?? 'the batch failed' } });
    }
  }

  return {
    async create(modelId, rows, actor, audit) {
      const model = await ctx.models.active(modelId);
      return ctx.db.transaction(async (tx) => {
        const { rows: created } = await tx.query<JobRow>(
          "insert into batch_jobs (created_by, model_id, model_version, status, rows) values ($1, $2, $3, 'queued', $4) returning *",
          [actor.actorId, model.id, model.version, rows.length],
        );
        const job = created[0] as JobRow;
        await tx.query(
          "insert into upload_files (owner_type, owner_id, kind, name, bytes) values ('batch', $1, 'input', 'rows.json', $2)",
          [job.id, Buffer.from(JSON.stringify(rows))],
        );
        const jobId = await ctx.jobs.send(tx, 'batch', { batchId: job.id }, { expireInSeconds: 3600 });
        await tx.query('update batch_jobs set job_id = $2 where id = $1', [job.id, jobId]);
        await writeAudit(tx, [
          {
            ...actor,
            action: 'batch.create',
            outcome: 'success',
            targetType: 'batch-job',
            targetId: job.id,
            modelId: model.id,
            modelVersion: model.version,
            ...(audit.inputsHash ? { inputsHash: audit.inputsHash } : {}),
            ...(audit.inputs !== undefined ? { inputs: audit.inputs } : {}),
            details: { rows: rows.length, ...audit.details },
          },
        ]);
        return view(job);
      });
    },
    async get(id, userId, all) {
      return view(await row(id, userId, all));
    },
    async result(id, userId, all) {
      await row(id, userId, all);
      const { rows } = await ctx.db.query<{ result_csv: Uint8Array | null }>('select result_csv from batch_jobs where id = $1', [id]);
      return rows[0]?.result_csv ? new Uint8Array(rows[0].result_csv) : undefined;
    },
    async start() {
      await ctx.jobs.work('batch', 1, async (data) => {
        if (typeof data.batchId === 'string') await execute(data.batchId);
      });
    },
  };
}
