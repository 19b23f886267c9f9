import { Readable } from 'node:stream';
import { z } from 'zod';
import { AUDIT_ACTIONS } from '../audit/audit.js';
import type { ServerContext } from '../context.js';
import type { RouteDef } from '../http/app.js';
import { badRequest } from '../http/problem.js';

type Route = <B, Q, P>(def: RouteDef<B, Q, P>) => void;

export const auditQuery = z.strictObject({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  actor: z.string().max(254).optional(),
  action: z.string().max(64).optional(),
  model: z.string().max(128).optional(),
  outcome: z.enum(['success', 'failure', 'denied']).optional(),
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export type AuditQuery = z.infer<typeof auditQuery>;

interface AuditRow {
  id: number;
  at: Date;
  actor_id: string | null;
  actor: string;
  actor_kind: string;
  action: string;
  outcome: string;
  target_type: string | null;
  target_id: string | null;
  model_id: string | null;
  model_version: string | null;
  inputs_hash: string | null;
  inputs: unknown;
  details: unknown;
  ip: string | null;
  request_id: string | null;
}

function where(q: AuditQuery): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    parts.push(sql.replace('?', `$${params.length}`));
  };
  if (q.from) add('at >= ?', q.from);
  if (q.to) add('at < ?', q.to);
  if (q.actor)
    add(
      "actor ilike '%' || ? || '%'",
      q.actor.replace(/[%_\\]/g, (c) => `\\${c}`),
    );
  if (q.action) {
    // A name without a dot selects a family: "model" matches model.upload, model.archive …
    if (!q.action.includes('.')) {
      params.push(q.action);
      parts.push(`(action = $${params.length} or action like $${params.length} || '.%')`);
    } else add('action = ?', q.action);
  }
  if (q.model) add('model_id = ?', q.model);
  if (q.outcome) add('outcome = ?', q.outcome);
  if (q.before) add('id < ?', q.before);
  return { sql: parts.length ? `where ${parts.join(' and ')}` : '', params };
}

/** One page of audit rows matching the filters, newest first. */
export async function auditPage(ctx: ServerContext, q: AuditQuery): Promise<AuditRow[]> {
  const w = where(q);
  const { rows } = await ctx.db.query<AuditRow>(`select * from audit_log ${w.sql} order by id desc limit ${Number(q.limit)}`, w.params);
  return rows;
}

/** An audit record as the API shows it. */
export const auditView = (r: AuditRow) => ({
  id: Number(r.id),
  at: new Date(r.at).toISOString(),
  actorId: r.actor_id,
  actor: r.actor,
  actorKind: r.actor_kind,
  action: r.action,
  outcome: r.outcome,
  targetType: r.target_type,
  targetId: r.target_id,
  modelId: r.model_id,
  modelVersion: r.model_version,
  inputsHash: r.inputs_hash,
  ...(r.inputs !== null ? { inputs: r.inputs } : {}),
  details: r.details,
  ip: r.ip,
  requestId: r.request_id,
});

const CSV_COLUMNS = [
  'id',
  'at',
  'actor',
  'actorKind',
  'actorId',
  'action',
  'outcome',
  'targetType',
  'targetId',
  'modelId',
  'modelVersion',
  'inputsHash',
  'ip',
  'requestId',
  'details',
  'inputs',
] as const;

/** Quotes a CSV cell, and defuses cells a spreadsheet would run as a formula. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The audit log: filter and export. */
export function auditRoutes(route: Route, ctx: ServerContext): void {
  route({
    method: 'GET',
    url: '/api/v1/audit',
    access: 'audit',
    summary: 'Audit records, newest first; page with `before` (the last id seen)',
    tags: ['audit'],
    query: auditQuery,
    handler: async (request) => {
      const rows = await auditPage(ctx, request.query);
      return {
        records: rows.map(auditView),
        next: rows.length === request.query.limit ? Number(rows[rows.length - 1]?.id) : null,
        actions: AUDIT_ACTIONS,
      };
    },
  });

  route({
    method: 'GET',
    url: '/api/v1/audit/export',
    access: 'audit',
    summary: 'Export the filtered audit log as CSV (streamed)',
    tags: ['audit'],
    query: auditQuery.omit({ limit: true, before: true }),
    handler: async (request, reply) => {
      const q = request.query;
      if (q.from && q.to && q.from > q.to) throw badRequest('from must be before to', ['query', 'from']);
      let before: number | undefined;
      let done = false;
      async function* lines(): AsyncGenerator<string> {
        yield `${CSV_COLUMNS.join(',')}\n`;
        while (!done) {
          const rows = await auditPage(ctx, { ...q, limit: 1000, ...(before ? { before } : {}) });
          if (rows.length < 1000) done = true;
          before = Number(rows[rows.length - 1]?.id);
          if (rows.length === 0) break;
          yield rows
            .map((r) => {
              const v = auditView(r) as Record<string, unknown>;
              return `${CSV_COLUMNS.map((c) => csvCell(v[c])).join(',')}\n`;
            })
            .join('');
        }
      }
      reply.header('content-disposition', `attachment; filename="cairn-audit-${new Date().toISOString().slice(0, 10)}.csv"`);
      reply.type('text/csv; charset=utf-8');
      return reply.send(Readable.from(lines()));
    },
  });
}
