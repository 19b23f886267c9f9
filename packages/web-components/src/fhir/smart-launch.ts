import { CairnError, issue } from '@cairn/core';
import { beginSmartLaunch, completeSmartLaunch, type PendingSmartLaunch, type SmartRuntime, type SmartSession } from '@cairn/fhir-adapter';

/** The SMART App Launch settings of the widget. */
export interface SmartLaunchConfig {
  readonly clientId: string;
  /** @defaultValue read access to Patient, Observation, Condition and medications */
  readonly scope?: string | undefined;
  /** @defaultValue the page's URL without its query */
  readonly redirectUri?: string | undefined;
  /** FHIR server for a standalone launch (without an EHR `iss` in the URL). */
  readonly iss?: string | undefined;
}

/** The storage the launch keeps its state in between redirect and callback (sessionStorage in a page). */
export interface LaunchStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** What to do next: go to the authorization server, use the session, or nothing (no launch in progress). */
export type SmartStep =
  | { readonly kind: 'redirect'; readonly url: string }
  | { readonly kind: 'session'; readonly session: SmartSession }
  | { readonly kind: 'none' };

/** Default scope: read what a mapping can use, with the patient in context. */
export const DEFAULT_SMART_SCOPE =
  'openid fhirUser patient/Patient.rs patient/Observation.rs patient/Condition.rs patient/MedicationRequest.rs patient/MedicationStatement.rs';

const KEY = 'cairn-smart-launch:';

/**
 * Advances a SMART launch from the page URL: an EHR launch (`iss` and `launch`) or a standalone
 * launch (`config.iss`) starts with a redirect; the callback (`code` and `state`) is exchanged for a
 * token with the state kept in `storage`.
 */
export async function advanceSmartLaunch(
  location: URL,
  storage: LaunchStorage,
  config: SmartLaunchConfig,
  rt?: SmartRuntime,
): Promise<SmartStep> {
  const params = location.searchParams;
  const state = params.get('state');
  if (state && (params.has('code') || params.has('error'))) {
    const saved = storage.getItem(KEY + state);
    if (!saved) {
      throw new CairnError(
        'invalid_argument',
        'the SMART callback does not match a launch started here (stale or forged state): launch again from the EHR',
        {
          issues: [issue(['state'], 'mismatch', 'no pending launch with this state')],
        },
      );
    }
    storage.removeItem(KEY + state);
    const pending = JSON.parse(saved) as PendingSmartLaunch;
    return { kind: 'session', session: await completeSmartLaunch(location, pending, rt ?? {}) };
  }
  const iss = params.get('iss') ?? config.iss;
  if (!iss) return { kind: 'none' };
  const launch = params.get('launch') ?? undefined;
  const redirectUri = config.redirectUri ?? `${location.origin}${location.pathname}`;
  const { authorizeUrl, pending } = await beginSmartLaunch(
    { iss, clientId: config.clientId, redirectUri, scope: config.scope ?? DEFAULT_SMART_SCOPE, ...(launch ? { launch } : {}) },
    rt,
  );
  storage.setItem(KEY + pending.state, JSON.stringify(pending));
  return { kind: 'redirect', url: authorizeUrl };
}
