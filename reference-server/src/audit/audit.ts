import { createHmac } from 'node:crypto';
import { canonicalJson } from '@cairn/core';
import type { Queryable } from '../db/database.js';

/** Who did something. */
export type ActorKind = 'user' | 'token' | 'system' | 'cds' | 'anonymous';

/** One audit record: who, what, when, on which model version, with a keyed hash of the inputs. */
export interface AuditEntry {
  readonly actorId: string | null;
  /** Email, token name, CDS client or 'system'. */
  readonly actor: string;
  readonly actorKind: ActorKind;
  /** Dotted verb, e.g. `predict`, `model.upload`, `auth.login`. */
  readonly action: string;
  readonly outcome: 'success' | 'failure' | 'denied';
  readonly targetType?: string;
  readonly targetId?: string;
  readonly modelId?: string;
  readonly modelVersion?: string;
  readonly inputsHash?: string;
  /** Patient inputs, only when an admin enabled storing them. */
  readonly inputs?: unknown;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly ip?: string;
  readonly requestId?: string;
  readonly at?: Date;
}

/** Every action name the server records. */
export const AUDIT_ACTIONS = [
  'auth.login',
  'auth.logout',
  'auth.register',
  'auth.lockout',
  'user.approve',
  'user.reject',
  'user.roles',
  'user.disable',
  'user.create',
  'user.password',
  'token.create',
  'token.revoke',
  'settings.update',
  'model.upload',
  'model.archive',
  'model.restore',
  'model.promote',
  'predict',
  'predict.batch',
  'report',
  'fhir.read',
  'smart.launch',
  'training.create',
  'training.start',
  'training.succeed',
  'training.fail',
  'training.cancel',
  'batch.create',
  'batch.finish',
  'cds.predict',
  'cds.feedback',
] as const;

/** HMAC-SHA256 of the canonical JSON of patient inputs: proves which inputs were used without storing them. */
export function hashInputs(key: string, inputs: unknown): string {
  return createHmac('sha256', key)
    .update(canonicalJson(inputs ?? null))
    .digest('hex');
}

/** The audit_log columns written by the server. */
export const AUDIT_COLUMNS_SQL =
  'at, actor_id, actor, actor_kind, action, outcome, target_type, target_id, model_id, model_version, inputs_hash, inputs, details, ip, request_id';

/** A `jsonb_to_recordset` over audit rows given as the JSON parameter `param`. */
export function auditRecordsetSql(param: string): string {
  return `jsonb_to_recordset(${param}::jsonb) as x(at timestamptz, actor_id uuid, actor text, actor_kind text, action text, outcome text,
       target_type text, target_id text, model_id text, model_version text, inputs_hash text, inputs jsonb, details jsonb, ip text,
       request_id text)`;
}

/** Audit entries as rows of the JSON parameter of {@link auditRecordsetSql}. */
export function auditRows(entries: readonly AuditEntry[]): Array<Record<string, unknown>> {
  return entries.map((e) => ({
    at: (e.at ?? new Date()).toISOString(),
    actor_id: e.actorId,
    actor: e.actor,
    actor_kind: e.actorKind,
    action: e.action,
    outcome: e.outcome,
    target_type: e.targetType ?? null,
    target_id: e.targetId ?? null,
    model_id: e.modelId ?? null,
    model_version: e.modelVersion ?? null,
    inputs_hash: e.inputsHash ?? null,
    inputs: e.inputs === undefined ? null : e.inputs,
    details: e.details ?? {},
    ip: e.ip ?? null,
    request_id: e.requestId ?? null,
  }));
}

/** Writes audit records in one statement, inside the caller's transaction. */
export async function writeAudit(q: Queryable, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await q.query(`insert into audit_log (${AUDIT_COLUMNS_SQL}) select ${AUDIT_COLUMNS_SQL} from ${auditRecordsetSql('$1')}`, [
    JSON.stringify(auditRows(entries)),
  ]);
}
