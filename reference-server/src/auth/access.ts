import type { Role } from '../config.js';

/** What a route needs. */
export type Permission =
  /** List and read models, their metrics, plots and cards. */
  | 'models:read'
  /** Score patients, make reports, read patients from FHIR. */
  | 'predict'
  /** Upload, archive, restore and promote models. */
  | 'models:manage'
  /** Start, follow and cancel training runs. */
  | 'training'
  /** Monitoring dashboards (drift, latency). */
  | 'monitoring'
  /** Read and export the audit log. */
  | 'audit'
  /** Approve, reject and change users; change settings. */
  | 'admin';

/** Who may call a route: anyone, any signed-in account (also pending or rejected), or holders of a permission. */
export type Access = 'public' | 'authenticated' | Permission;

/** The permissions each role grants. */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  clinician: ['models:read', 'predict'],
  data_scientist: ['models:read', 'predict', 'models:manage', 'training', 'monitoring'],
  admin: ['models:read', 'predict', 'models:manage', 'training', 'monitoring', 'audit', 'admin'],
};

/** The account status of a user. */
export type UserStatus = 'pending' | 'active' | 'rejected' | 'disabled';

/** The caller of a request, resolved from a session cookie or an API token. */
export interface Principal {
  readonly kind: 'session' | 'token';
  readonly userId: string;
  readonly email: string;
  readonly name: string;
  readonly status: UserStatus;
  /** Roles in effect: the user's roles, or the one role of an API token. */
  readonly roles: readonly Role[];
  /** The account must set a new password before doing anything else (a generated first-start password). */
  readonly mustChangePassword: boolean;
  readonly sessionHash?: string;
  readonly csrfToken?: string;
  readonly tokenId?: string;
  readonly tokenName?: string;
}

/** True when the principal may use a permission: an active account holding a role that grants it. */
export function can(principal: Principal | undefined, permission: Permission): boolean {
  if (principal?.status !== 'active' || principal.mustChangePassword) return false;
  return principal.roles.some((r) => ROLE_PERMISSIONS[r]?.includes(permission));
}
