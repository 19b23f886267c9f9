import { CairnError, issue } from '@cairn/core';
import { httpError, networkError } from './http-errors.js';

/** The parts of /.well-known/smart-configuration the launch uses. */
export interface SmartConfiguration {
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly issuer?: string;
  readonly code_challenge_methods_supported?: readonly string[];
  readonly capabilities?: readonly string[];
  readonly scopes_supported?: readonly string[];
}

/** The WebCrypto calls the launch makes (the global `crypto` of browsers and Node ≥ 20). */
export interface WebCryptoLike {
  getRandomValues<T extends Uint8Array>(array: T): T;
  readonly subtle: { digest(algorithm: 'SHA-256', data: Uint8Array): Promise<ArrayBuffer> };
}

/** Platform capabilities, injected so the launch runs in browsers, Node and workers alike. */
export interface SmartRuntime {
  /** @defaultValue globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** WebCrypto (getRandomValues and subtle.digest). @defaultValue globalThis.crypto */
  readonly crypto?: WebCryptoLike;
}

/** What {@link beginSmartLaunch} needs. */
export interface SmartAuthorizeParams {
  /** The FHIR server (the `iss` of an EHR launch, or chosen by the user in a standalone launch). */
  readonly iss: string;
  readonly clientId: string;
  readonly redirectUri: string;
  /** Scopes, e.g. `openid fhirUser patient/Observation.rs patient/Condition.rs`. */
  readonly scope: string;
  /** The `launch` parameter of an EHR launch; absent for a standalone launch. */
  readonly launch?: string;
  /**
   * Ask for a patient in context: adds `launch` (EHR launch) or `launch/patient` (standalone) to the scope.
   * @defaultValue true
   */
  readonly patientContext?: boolean;
  /** Discovered configuration, to skip the request. */
  readonly configuration?: SmartConfiguration;
}

/** State kept between redirect and callback (sessionStorage in a browser, the session on a server). */
export interface PendingSmartLaunch {
  readonly iss: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly scope: string;
  readonly state: string;
  readonly codeVerifier: string;
  readonly tokenEndpoint: string;
  readonly patientContext: boolean;
}

/** The outcome of a SMART launch: a token and the launch context. */
export interface SmartSession {
  readonly fhirBaseUrl: string;
  readonly accessToken: string;
  readonly tokenType: 'Bearer';
  readonly scope: string;
  /** Milliseconds since the epoch, when the server said. */
  readonly expiresAt?: number;
  readonly patientId?: string;
  readonly encounterId?: string;
  readonly idToken?: string;
  readonly refreshToken?: string;
  /** The token response as received. */
  readonly tokenResponse: Readonly<Record<string, unknown>>;
}

function runtime(r: SmartRuntime | undefined): { fetch: typeof fetch; crypto: WebCryptoLike } {
  const f = r?.fetch ?? globalThis.fetch;
  const c = r?.crypto ?? (globalThis as { crypto?: WebCryptoLike }).crypto;
  if (typeof f !== 'function') throw new CairnError('unsupported', 'SMART launch needs fetch: pass runtime.fetch');
  if (!c?.subtle || typeof c.getRandomValues !== 'function')
    throw new CairnError('unsupported', 'SMART launch needs WebCrypto: pass runtime.crypto');
  return { fetch: f, crypto: c };
}

function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(crypto: WebCryptoLike, bytes: number): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** The PKCE S256 code challenge of a verifier: base64url(SHA-256(verifier)). */
export async function pkceChallenge(verifier: string, rt?: SmartRuntime): Promise<string> {
  const { crypto } = runtime(rt);
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

function bad(parameter: string, message: string): CairnError {
  return new CairnError('invalid_argument', `${parameter}: ${message}`, { issues: [issue([parameter], 'invalid', message)] });
}

async function getJson(f: typeof fetch, url: string, init?: RequestInit): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await f(url, { ...init, headers: { accept: 'application/json', ...(init?.headers as Record<string, string>) } });
  } catch (cause) {
    throw networkError(url, cause);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const oauth = body as { error?: string; error_description?: string } | undefined;
    const err = httpError(res.status, url, undefined, undefined, oauth);
    if (oauth?.error) {
      throw new CairnError(err.code, `${url} refused: ${oauth.error}${oauth.error_description ? ` (${oauth.error_description})` : ''}`, {
        issues: err.issues,
        cause: err,
      });
    }
    throw err;
  }
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new CairnError('invalid_input', `${url} did not return a JSON object`);
  return body as Record<string, unknown>;
}

/** Fetches `{iss}/.well-known/smart-configuration` and checks it supports PKCE S256. */
export async function discoverSmartConfiguration(iss: string, rt?: SmartRuntime): Promise<SmartConfiguration> {
  const { fetch: f } = runtime(rt);
  const base = iss.replace(/\/+$/, '');
  const url = `${base}/.well-known/smart-configuration`;
  const c = (await getJson(f, url)) as unknown as SmartConfiguration;
  if (typeof c.authorization_endpoint !== 'string' || typeof c.token_endpoint !== 'string') {
    throw new CairnError('invalid_input', `${url} lacks authorization_endpoint or token_endpoint`, {
      issues: [issue(['smart-configuration'], 'required', 'authorization_endpoint and token_endpoint are required')],
    });
  }
  if (c.code_challenge_methods_supported && !c.code_challenge_methods_supported.includes('S256')) {
    throw new CairnError(
      'unsupported',
      `${iss} does not support PKCE S256 (it offers ${c.code_challenge_methods_supported.join(', ') || 'none'})`,
    );
  }
  return c;
}

/** Reads `iss` and `launch` from the URL an EHR opens the app with (EHR launch). */
export function parseLaunchRequest(url: string | URL): { iss: string; launch: string } {
  const u = typeof url === 'string' ? new URL(url) : url;
  const iss = u.searchParams.get('iss');
  const launch = u.searchParams.get('launch');
  if (!iss) throw bad('iss', 'the launch URL has no iss parameter');
  if (!launch) throw bad('launch', 'the launch URL has no launch parameter');
  try {
    new URL(iss);
  } catch {
    throw bad('iss', `'${iss}' is not a URL`);
  }
  return { iss, launch };
}

function withScope(scope: string, extra: string): string {
  const parts = scope.split(/\s+/).filter(Boolean);
  return parts.includes(extra) ? parts.join(' ') : [...parts, extra].join(' ');
}

/**
 * Starts a SMART App Launch (EHR or standalone) with PKCE S256 and a random state: returns the
 * authorization URL to redirect to and the pending state to keep for the callback.
 */
export async function beginSmartLaunch(
  params: SmartAuthorizeParams,
  rt?: SmartRuntime,
): Promise<{ authorizeUrl: string; pending: PendingSmartLaunch }> {
  const { crypto } = runtime(rt);
  for (const k of ['iss', 'clientId', 'redirectUri', 'scope'] as const) {
    if (typeof params?.[k] !== 'string' || params[k] === '') throw bad(k, 'is required');
  }
  const config = params.configuration ?? (await discoverSmartConfiguration(params.iss, rt));
  const patientContext = params.patientContext ?? true;
  let scope = params.scope;
  if (params.launch !== undefined) scope = withScope(scope, 'launch');
  else if (patientContext) scope = withScope(scope, 'launch/patient');
  const state = randomString(crypto, 32);
  const codeVerifier = randomString(crypto, 64);
  const challenge = await pkceChallenge(codeVerifier, rt);
  const url = new URL(config.authorization_endpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', params.clientId);
  url.searchParams.set('redirect_uri', params.redirectUri);
  url.searchParams.set('scope', scope);
  url.searchParams.set('state', state);
  url.searchParams.set('aud', params.iss);
  url.searchParams.set('code_challenge', challenge);
  url.searchParams.set('code_challenge_method', 'S256');
  if (params.launch !== undefined) url.searchParams.set('launch', params.launch);
  return {
    authorizeUrl: url.toString(),
    pending: {
      iss: params.iss,
      clientId: params.clientId,
      redirectUri: params.redirectUri,
      scope,
      state,
      codeVerifier,
      tokenEndpoint: config.token_endpoint,
      patientContext,
    },
  };
}

/** Options of {@link completeSmartLaunch}. */
export interface CompleteLaunchOptions extends SmartRuntime {
  /** For confidential clients: sent with HTTP Basic authentication. */
  readonly clientSecret?: string;
  /** Clock, for expiresAt. */
  readonly now?: () => number;
}

/**
 * Finishes a SMART launch on the redirect: checks `state`, exchanges the code (with the PKCE
 * verifier) for a token and returns the session with its patient context.
 */
export async function completeSmartLaunch(
  callbackUrl: string | URL,
  pending: PendingSmartLaunch,
  options: CompleteLaunchOptions = {},
): Promise<SmartSession> {
  const { fetch: f } = runtime(options);
  const u = typeof callbackUrl === 'string' ? new URL(callbackUrl) : callbackUrl;
  const error = u.searchParams.get('error');
  if (error) {
    const description = u.searchParams.get('error_description');
    throw new CairnError('invalid_argument', `authorization was refused: ${error}${description ? ` (${description})` : ''}`, {
      issues: [issue(['callback', 'error'], 'invalid', error)],
    });
  }
  const state = u.searchParams.get('state');
  if (!pending?.state || state !== pending.state) {
    throw new CairnError(
      'invalid_argument',
      'the callback state does not match the launch (possible CSRF or a stale launch): start again',
      {
        issues: [issue(['callback', 'state'], 'mismatch', 'state differs from the one sent')],
      },
    );
  }
  const code = u.searchParams.get('code');
  if (!code) throw bad('callback.code', 'the callback has no authorization code');
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    redirect_uri: pending.redirectUri,
    code_verifier: pending.codeVerifier,
  });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (options.clientSecret !== undefined) {
    headers.authorization = `Basic ${btoa(`${encodeURIComponent(pending.clientId)}:${encodeURIComponent(options.clientSecret)}`)}`;
  } else body.set('client_id', pending.clientId);
  const token = await getJson(f, pending.tokenEndpoint, { method: 'POST', headers, body: body.toString() });
  const accessToken = token.access_token;
  if (typeof accessToken !== 'string' || accessToken === '')
    throw new CairnError('invalid_input', 'the token response has no access_token');
  if (typeof token.token_type !== 'string' || token.token_type.toLowerCase() !== 'bearer') {
    throw new CairnError('unsupported', `token_type '${String(token.token_type)}' is not Bearer`);
  }
  const patientId = typeof token.patient === 'string' ? token.patient : undefined;
  if (pending.patientContext && !patientId) {
    throw new CairnError('invalid_input', 'the launch has no patient in context (the token response lacks patient)', {
      issues: [issue(['token', 'patient'], 'required', 'patient context was requested')],
    });
  }
  const expiresIn = typeof token.expires_in === 'number' ? token.expires_in : undefined;
  return {
    fhirBaseUrl: pending.iss,
    accessToken,
    tokenType: 'Bearer',
    scope: typeof token.scope === 'string' ? token.scope : pending.scope,
    ...(expiresIn !== undefined ? { expiresAt: (options.now ?? Date.now)() + expiresIn * 1000 } : {}),
    ...(patientId ? { patientId } : {}),
    ...(typeof token.encounter === 'string' ? { encounterId: token.encounter } : {}),
    ...(typeof token.id_token === 'string' ? { idToken: token.id_token } : {}),
    ...(typeof token.refresh_token === 'string' ? { refreshToken: token.refresh_token } : {}),
    tokenResponse: token,
  };
}
