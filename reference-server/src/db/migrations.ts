import type { Database } from './database.js';

/** One schema change; applied once, in version order, inside a transaction. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** The schema's history. Never edit a released migration: append a new one. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'users, sessions, tokens, audit',
    sql: `
create table users (
  id uuid primary key default gen_random_uuid(),
  email text not null,
  name text not null,
  password_hash text,
  status text not null check (status in ('pending', 'active', 'rejected', 'disabled')),
  roles text[] not null default '{}',
  requested_role text,
  must_change_password boolean not null default false,
  failed_logins integer not null default 0,
  locked_until timestamptz,
  oidc_issuer text,
  oidc_subject text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  decided_by uuid references users(id),
  decided_at timestamptz
);
create unique index users_email on users (lower(email));
create unique index users_oidc on users (oidc_issuer, oidc_subject) where oidc_subject is not null;

create table sessions (
  id_hash text primary key,
  user_id uuid not null references users(id) on delete cascade,
  csrf_token text not null,
  data jsonb not null default '{}',
  created_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  expires_at timestamptz not null
);
create index sessions_user on sessions (user_id);

create table api_tokens (
  id uuid primary key default gen_random_uuid(),
  token_hash text not null unique,
  user_id uuid not null references users(id) on delete cascade,
  name text not null,
  role text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz
);
create index api_tokens_user on api_tokens (user_id);

create table auth_flows (
  state_hash text primary key,
  kind text not null,
  data jsonb not null,
  expires_at timestamptz not null
);

create table rate_limits (
  key text not null,
  window_start bigint not null,
  count integer not null,
  primary key (key, window_start)
);

create table settings (
  key text primary key,
  value jsonb not null,
  updated_by uuid references users(id),
  updated_at timestamptz not null default now()
);

create table audit_log (
  id bigint generated always as identity primary key,
  at timestamptz not null default now(),
  actor_id uuid,
  actor text not null,
  actor_kind text not null,
  action text not null,
  outcome text not null,
  target_type text,
  target_id text,
  model_id text,
  model_version text,
  inputs_hash text,
  inputs jsonb,
  details jsonb not null default '{}',
  ip text,
  request_id text
);
create index audit_at on audit_log (at);
create index audit_action on audit_log (action, at);
create index audit_actor on audit_log (actor_id, at);
create index audit_model on audit_log (model_id, at);
`,
  },
  {
    version: 2,
    name: 'models and bundles',
    sql: `
create table bundle_blobs (
  sha256 text primary key,
  bytes bytea not null,
  created_at timestamptz not null default now()
);

create table models (
  id text primary key,
  name text not null,
  active_version text,
  status text not null default 'active' check (status in ('active', 'archived')),
  created_at timestamptz not null default now(),
  created_by uuid references users(id),
  archived_at timestamptz,
  archived_by uuid references users(id)
);

create table model_versions (
  model_id text not null references models(id),
  version text not null,
  archive_sha256 text not null references bundle_blobs(sha256),
  model_sha256 text not null,
  manifest jsonb not null,
  size_bytes integer not null,
  source text not null check (source in ('upload', 'training', 'example')),
  training_run_id uuid,
  signature jsonb,
  has_fhir_mapping boolean not null default false,
  uploaded_by uuid references users(id),
  uploaded_at timestamptz not null default now(),
  primary key (model_id, version)
);
`,
  },
  {
    version: 3,
    name: 'training runs and batch jobs',
    sql: `
create table training_runs (
  id uuid primary key default gen_random_uuid(),
  created_by uuid not null references users(id),
  created_at timestamptz not null default now(),
  status text not null check (status in ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  pipeline text not null,
  params jsonb not null default '{}',
  spec jsonb not null,
  files jsonb not null default '[]',
  progress jsonb not null default '{}',
  cancel_requested boolean not null default false,
  job_id text,
  instance text,
  started_at timestamptz,
  heartbeat_at timestamptz,
  finished_at timestamptz,
  result jsonb,
  error jsonb
);
create index training_runs_created on training_runs (created_at);

create table upload_files (
  id uuid primary key default gen_random_uuid(),
  owner_type text not null,
  owner_id uuid not null,
  kind text not null,
  name text not null,
  bytes bytea not null,
  created_at timestamptz not null default now()
);
create index upload_files_owner on upload_files (owner_type, owner_id);

create table batch_jobs (
  id uuid primary key default gen_random_uuid(),
  created_by uuid not null references users(id),
  created_at timestamptz not null default now(),
  model_id text not null,
  model_version text not null,
  status text not null check (status in ('queued', 'running', 'succeeded', 'failed')),
  rows integer,
  job_id text,
  instance text,
  finished_at timestamptz,
  result_csv bytea,
  summary jsonb,
  error jsonb
);
`,
  },
  {
    version: 4,
    name: 'monitoring aggregates and CDS feedback',
    sql: `
create table monitoring_predictions (
  model_id text not null,
  model_version text not null,
  bucket timestamptz not null,
  count bigint not null default 0,
  positives bigint not null default 0,
  latency_ms_sum double precision not null default 0,
  latency_counts bigint[] not null,
  primary key (model_id, model_version, bucket)
);

create table monitoring_features (
  model_id text not null,
  model_version text not null,
  bucket timestamptz not null,
  feature text not null,
  bin integer not null,
  count bigint not null default 0,
  primary key (model_id, model_version, bucket, feature, bin)
);

create table cds_feedback (
  id bigint generated always as identity primary key,
  service_id text not null,
  card text not null,
  outcome text not null,
  client text,
  item jsonb not null,
  received_at timestamptz not null default now()
);

create table cds_jti (
  key text primary key,
  expires_at timestamptz not null
);
`,
  },
];

// A fixed key: every instance serialises its migrations on it.
const MIGRATION_LOCK = 0x636169726e01n;

/** Applies pending migrations under an advisory lock (safe when several instances start at once); returns the versions applied. */
export async function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  return db.withAdvisoryLock(MIGRATION_LOCK, async (conn) => {
    await conn.exec(`create table if not exists schema_migrations (
      version integer primary key,
      name text not null,
      applied_at timestamptz not null default now()
    )`);
    const { rows } = await conn.query<{ version: number }>('select version from schema_migrations');
    const done = new Set(rows.map((r) => Number(r.version)));
    const applied: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      await conn.exec('begin');
      try {
        await conn.exec(m.sql);
        await conn.query('insert into schema_migrations (version, name) values ($1, $2)', [m.version, m.name]);
        await conn.exec('commit');
      } catch (error) {
        await conn.exec('rollback');
        throw new Error(`migration ${m.version} (${m.name}) failed: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
        });
      }
      applied.push(m.version);
    }
    return applied;
  });
}

/** The highest migration version this build knows. */
export const SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));
