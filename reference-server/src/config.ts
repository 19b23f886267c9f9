import { hostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** The roles a user can hold. */
export const ROLES = ['clinician', 'data_scientist', 'admin'] as const;
/** A user's role. */
export type Role = (typeof ROLES)[number];

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'].includes(v), 'must be true or false')
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

const int = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be between ${min} and ${max}`);

const url = z
  .string()
  .trim()
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL');

const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

const roleMap = z.string().transform((v, ctx) => {
  const map: Record<string, Role[]> = {};
  for (const pair of v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const at = pair.lastIndexOf('=');
    const claim = pair.slice(0, at).trim();
    const role = pair.slice(at + 1).trim();
    if (at < 1 || !(ROLES as readonly string[]).includes(role)) {
      ctx.addIssue({ code: 'custom', message: `'${pair}' is not claim-value=role (roles: ${ROLES.join(', ')})` });
      return z.NEVER;
    }
    map[claim] = [...(map[claim] ?? []), role as Role];
  }
  return map;
});

const trustedCdsClients = z.string().transform((v, ctx) => {
  try {
    const parsed = JSON.parse(v) as unknown;
    const schema = z.array(
      z.strictObject({ iss: z.string().min(1), jwksUrl: z.url().optional(), jwks: z.object({ keys: z.array(z.unknown()) }).optional() }),
    );
    const result = schema.safeParse(parsed);
    if (!result.success) {
      ctx.addIssue({ code: 'custom', message: `must be a JSON array of { iss, jwksUrl | jwks }: ${result.error.issues[0]?.message}` });
      return z.NEVER;
    }
    return result.data;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be JSON' });
    return z.NEVER;
  }
});

/** Every setting, read from environment variables (names and defaults are documented in README.md). */
const envSchema = z.object({
  PORT: int(0, 65535).default(8080),
  HOST: z.string().trim().min(1).default('localhost'),
  PUBLIC_URL: url.optional(),
  DATA_DIR: z.string().trim().min(1).default('./data'),
  BUNDLE_DIR: z.string().trim().min(1).optional(),
  DATABASE_URL: z
    .string()
    .trim()
    .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must start with postgres:// or postgresql://')
    .optional(),
  DATABASE_POOL_SIZE: int(1, 200).default(10),
  INSTANCE_ID: z.string().trim().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: bool.default(false),

  ADMIN_EMAIL: z.email().default('admin@localhost'),
  ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  EXAMPLES: bool.default(true),
  DATASETS_DIR: z.string().trim().min(1).optional(),

  COOKIE_SECURE: bool.default(true),
  SESSION_TTL_HOURS: int(1, 24 * 30).default(12),
  SESSION_IDLE_MINUTES: int(1, 24 * 60).default(60),
  LOGIN_MAX_FAILURES: int(1, 100).default(5),
  LOCKOUT_MINUTES: int(1, 24 * 60).default(15),
  RATE_LIMIT_LOGIN_PER_MINUTE: int(1, 1_000_000).default(10),
  RATE_LIMIT_REGISTER_PER_HOUR: int(1, 1_000_000).default(10),
  RATE_LIMIT_PREDICT_PER_MINUTE: int(1, 100_000_000).default(1200),
  AUTH_CACHE_SECONDS: int(0, 300).default(5),

  MAX_BODY_BYTES: int(1024, 1024 ** 3).default(1024 * 1024),
  MAX_BUNDLE_BYTES: int(1024, 1024 ** 3).default(100 * 1024 * 1024),
  MAX_CSV_BYTES: int(1024, 1024 ** 3).default(50 * 1024 * 1024),
  MAX_BATCH_ROWS: int(1, 10_000_000).default(100_000),
  TRUSTED_KEYS: list.optional(),
  REQUIRE_SIGNED_BUNDLES: bool.default(false),

  TRAINING_CONCURRENCY: int(0, 16).default(1),
  TRAINING_TIMEOUT_MINUTES: int(1, 24 * 60).default(60),
  STORE_PATIENT_INPUTS: bool.optional(),

  FRAME_ANCESTORS: list.default(["'self'"]),
  HSTS: bool.optional(),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),

  OIDC_ISSUER: url.optional(),
  OIDC_CLIENT_ID: z.string().trim().min(1).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  OIDC_SCOPES: z.string().trim().min(1).default('openid email profile'),
  OIDC_ROLES_CLAIM: z.string().trim().min(1).default('roles'),
  OIDC_ROLE_MAP: roleMap.default({}),
  OIDC_LABEL: z.string().trim().min(1).default('Single sign-on'),

  SMART_CLIENT_ID: z.string().trim().min(1).optional(),
  SMART_CLIENT_SECRET: z.string().min(1).optional(),
  SMART_SCOPES: z.string().trim().min(1).default('openid fhirUser patient/Patient.rs patient/Observation.rs patient/Condition.rs'),
  SMART_ALLOWED_ISSUERS: list.default([]),

  FHIR_BASE_URL: url.optional(),
  FHIR_BEARER_TOKEN: z.string().min(1).optional(),

  CDS_HOOKS: bool.default(true),
  CDS_AUTH: z.enum(['jwt', 'off']).default('jwt'),
  CDS_TRUSTED_CLIENTS: trustedCdsClients.default([]),

  REPORT_INSTITUTION: z.string().max(120).default(''),
  SHUTDOWN_TIMEOUT_SECONDS: int(1, 600).default(25),
});

/** The validated configuration of one server process. */
export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  readonly publicUrl: string;
  readonly dataDir: string;
  readonly bundleDir: string;
  readonly database: { readonly kind: 'pglite'; readonly dir: string | undefined } | { readonly kind: 'postgres'; readonly url: string };
  readonly databasePoolSize: number;
  readonly instanceId: string;
  readonly logLevel: string;
  readonly trustProxy: boolean;
  readonly admin: { readonly email: string; readonly password: string | undefined };
  readonly examples: boolean;
  readonly datasetsDir: string;
  readonly cookieSecure: boolean;
  readonly session: { readonly ttlMs: number; readonly idleMs: number };
  readonly lockout: { readonly maxFailures: number; readonly durationMs: number };
  readonly rateLimits: { readonly loginPerMinute: number; readonly registerPerHour: number; readonly predictPerMinute: number };
  readonly authCacheMs: number;
  readonly limits: { readonly bodyBytes: number; readonly bundleBytes: number; readonly csvBytes: number; readonly batchRows: number };
  readonly trustedKeyPaths: readonly string[];
  readonly requireSignedBundles: boolean;
  readonly training: { readonly concurrency: number; readonly timeoutMs: number };
  /** Initial value of the admin setting; the database value wins once set. */
  readonly storePatientInputs: boolean | undefined;
  readonly frameAncestors: readonly string[];
  readonly hsts: boolean;
  readonly metricsToken: string | undefined;
  readonly oidc:
    | {
        readonly issuer: string;
        readonly clientId: string;
        readonly clientSecret: string | undefined;
        readonly scopes: string;
        readonly rolesClaim: string;
        readonly roleMap: Readonly<Record<string, readonly Role[]>>;
        readonly label: string;
      }
    | undefined;
  readonly smart:
    | {
        readonly clientId: string;
        readonly clientSecret: string | undefined;
        readonly scopes: string;
        readonly allowedIssuers: readonly string[];
      }
    | undefined;
  readonly fhir: { readonly baseUrl: string; readonly bearerToken: string | undefined } | undefined;
  readonly cds: {
    readonly enabled: boolean;
    readonly auth: 'jwt' | 'off';
    readonly trustedClients: ReadonlyArray<{ iss: string; jwksUrl?: string; jwks?: { keys: unknown[] } }>;
  };
  readonly reportInstitution: string;
  readonly shutdownTimeoutMs: number;
}

/** A configuration error listing every bad variable. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** The reference-server folder (one level above this file, in src/ and in dist/ alike). */
export const SERVER_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
/** The repository root. */
export const REPO_ROOT = resolve(SERVER_ROOT, '..');

/**
 * Reads and validates the configuration from environment variables; throws {@link ConfigError}
 * naming every bad variable and the rule it broke.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env, cwd = process.cwd()): ServerConfig {
  // Empty values count as unset, so `FOO=` in an env file does not trip validation.
  const cleaned: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v.trim() !== '') cleaned[key] = v;
  }
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${String(i.path[0] ?? '?')}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(cwd, p));
  const dataDir = abs(e.DATA_DIR);
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');

  let oidc: ServerConfig['oidc'];
  if (e.OIDC_ISSUER || e.OIDC_CLIENT_ID) {
    if (!e.OIDC_ISSUER) problems.push('OIDC_ISSUER: required when OIDC_CLIENT_ID is set');
    if (!e.OIDC_CLIENT_ID) problems.push('OIDC_CLIENT_ID: required when OIDC_ISSUER is set');
    if (e.OIDC_ISSUER && e.OIDC_CLIENT_ID) {
      oidc = {
        issuer: e.OIDC_ISSUER.replace(/\/+$/, ''),
        clientId: e.OIDC_CLIENT_ID,
        clientSecret: e.OIDC_CLIENT_SECRET,
        scopes: e.OIDC_SCOPES.split(/\s+/).includes('openid') ? e.OIDC_SCOPES : `openid ${e.OIDC_SCOPES}`,
        rolesClaim: e.OIDC_ROLES_CLAIM,
        roleMap: e.OIDC_ROLE_MAP,
        label: e.OIDC_LABEL,
      };
    }
  }
  let smart: ServerConfig['smart'];
  if (e.SMART_CLIENT_ID) {
    if (e.SMART_ALLOWED_ISSUERS.length === 0) {
      problems.push(
        'SMART_ALLOWED_ISSUERS: list the FHIR servers (iss) allowed to launch the app, so a launch URL cannot point the server anywhere',
      );
    }
    for (const iss of e.SMART_ALLOWED_ISSUERS) {
      if (!url.safeParse(iss).success) problems.push(`SMART_ALLOWED_ISSUERS: '${iss}' is not an http(s) URL`);
    }
    smart = {
      clientId: e.SMART_CLIENT_ID,
      clientSecret: e.SMART_CLIENT_SECRET,
      scopes: e.SMART_SCOPES,
      allowedIssuers: e.SMART_ALLOWED_ISSUERS.map((s) => s.replace(/\/+$/, '')),
    };
  }
  if (e.CDS_HOOKS && e.CDS_AUTH === 'jwt' && e.CDS_TRUSTED_CLIENTS.length === 0 && env.CDS_TRUSTED_CLIENTS) {
    problems.push('CDS_TRUSTED_CLIENTS: list at least one client, or set CDS_AUTH=off for local development');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    dataDir,
    bundleDir: abs(e.BUNDLE_DIR ?? resolve(dataDir, 'bundles')),
    database: e.DATABASE_URL ? { kind: 'postgres', url: e.DATABASE_URL } : { kind: 'pglite', dir: resolve(dataDir, 'pglite') },
    databasePoolSize: e.DATABASE_POOL_SIZE,
    instanceId: e.INSTANCE_ID ?? `${hostname()}:${process.pid}`,
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY,
    admin: { email: e.ADMIN_EMAIL.toLowerCase(), password: e.ADMIN_PASSWORD },
    examples: e.EXAMPLES,
    datasetsDir: abs(e.DATASETS_DIR ?? resolve(REPO_ROOT, '..', 'shared', 'datasets')),
    cookieSecure: e.COOKIE_SECURE,
    session: { ttlMs: e.SESSION_TTL_HOURS * 3_600_000, idleMs: e.SESSION_IDLE_MINUTES * 60_000 },
    lockout: { maxFailures: e.LOGIN_MAX_FAILURES, durationMs: e.LOCKOUT_MINUTES * 60_000 },
    rateLimits: {
      loginPerMinute: e.RATE_LIMIT_LOGIN_PER_MINUTE,
      registerPerHour: e.RATE_LIMIT_REGISTER_PER_HOUR,
      predictPerMinute: e.RATE_LIMIT_PREDICT_PER_MINUTE,
    },
    authCacheMs: e.AUTH_CACHE_SECONDS * 1000,
    limits: { bodyBytes: e.MAX_BODY_BYTES, bundleBytes: e.MAX_BUNDLE_BYTES, csvBytes: e.MAX_CSV_BYTES, batchRows: e.MAX_BATCH_ROWS },
    trustedKeyPaths: (e.TRUSTED_KEYS ?? []).map(abs),
    requireSignedBundles: e.REQUIRE_SIGNED_BUNDLES,
    training: { concurrency: e.TRAINING_CONCURRENCY, timeoutMs: e.TRAINING_TIMEOUT_MINUTES * 60_000 },
    storePatientInputs: e.STORE_PATIENT_INPUTS,
    frameAncestors: e.FRAME_ANCESTORS,
    hsts: e.HSTS ?? publicUrl.startsWith('https:'),
    metricsToken: e.METRICS_TOKEN,
    oidc,
    smart,
    fhir: e.FHIR_BASE_URL ? { baseUrl: e.FHIR_BASE_URL.replace(/\/+$/, ''), bearerToken: e.FHIR_BEARER_TOKEN } : undefined,
    cds: { enabled: e.CDS_HOOKS, auth: e.CDS_AUTH, trustedClients: e.CDS_TRUSTED_CLIENTS },
    reportInstitution: e.REPORT_INSTITUTION,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_SECONDS * 1000,
  };
}

/** The environment variable names the server reads. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.shape);
