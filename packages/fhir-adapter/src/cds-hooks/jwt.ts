import { CairnError, issue } from '@cairn/core';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  decodeJwt,
  decodeProtectedHeader,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';

/** A CDS Client (EHR) allowed to call the service, identified by the JWT `iss`. */
export interface TrustedCdsClient {
  readonly iss: string;
  /** Its public keys, inline. */
  readonly jwks?: JSONWebKeySet;
  /** Where its public keys are published (used when the JWT has no `jku`). */
  readonly jwksUrl?: string;
  /** `jku` URLs accepted in its JWT headers (jwksUrl is always accepted). */
  readonly allowedJku?: readonly string[];
}

/** Remembers JWT ids until they expire, so a captured token cannot be replayed. */
export interface JtiStore {
  /** Records `jti`; returns false when it was already seen (a replay). */
  claim(key: string, expiresAtMs: number): boolean | Promise<boolean>;
}

/** Options of {@link verifyCdsJwt}. */
export interface CdsAuthOptions {
  readonly trustedClients: readonly TrustedCdsClient[];
  readonly jtiStore: JtiStore;
  /**
   * Seconds of clock skew tolerated on exp/iat.
   * @defaultValue 60
   */
  readonly clockToleranceSec?: number;
  /**
   * Signature algorithms accepted (CDS Hooks requires ES384 and RS384 support).
   * @defaultValue ['ES384', 'RS384', 'ES256', 'RS256', 'PS384', 'EdDSA']
   */
  readonly algorithms?: readonly string[];
  /** fetch used for JWKS URLs (injected for tests or proxies). */
  readonly fetch?: typeof fetch;
}

/** The verified claims of a CDS Client's JWT. */
export interface CdsJwtClaims extends JWTPayload {
  readonly iss: string;
  readonly jti: string;
  readonly exp: number;
}

/** Creates an in-memory {@link JtiStore} (single process; use a shared store behind a load balancer). */
export function createMemoryJtiStore(now: () => number = Date.now): JtiStore {
  const seen = new Map<string, number>();
  return {
    claim(key, expiresAtMs) {
      const t = now();
      if (seen.size > 10_000) for (const [k, exp] of seen) if (exp < t) seen.delete(k);
      const prior = seen.get(key);
      if (prior !== undefined && prior >= t) return false;
      seen.set(key, expiresAtMs);
      return true;
    },
  };
}

function refuse(code: 'signature_required' | 'signature_invalid', message: string): CairnError {
  return new CairnError(code, message, {
    issues: [issue(['authorization'], code === 'signature_required' ? 'required' : 'invalid', message)],
  });
}

const remoteSets = new Map<string, JWTVerifyGetKey>();

function remoteSet(url: string, fetchImpl: typeof fetch | undefined): JWTVerifyGetKey {
  const key = url;
  let set = remoteSets.get(key);
  if (!set || fetchImpl) {
    set = createRemoteJWKSet(new URL(url), fetchImpl ? { [customFetch]: (u, o) => fetchImpl(u, o) } : {});
    if (!fetchImpl) remoteSets.set(key, set);
  }
  return set;
}

/**
 * Verifies the bearer JWT a CDS Client sends with a hook or feedback call: a trusted `iss`,
 * the key from its JWKS (a `jku` only when allow-listed), the signature, `aud` (the service
 * URL), `exp`, and a `jti` never seen before. Throws `signature_required` or
 * `signature_invalid` (answer 401).
 */
export async function verifyCdsJwt(
  authorization: string | undefined,
  audience: string | readonly string[],
  options: CdsAuthOptions,
): Promise<CdsJwtClaims> {
  const match = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i.exec(authorization?.trim() ?? '');
  if (!match) throw refuse('signature_required', 'a signed JWT is required: send Authorization: Bearer <jwt>');
  const token = match[1] as string;
  let iss: string | undefined;
  let jku: string | undefined;
  try {
    jku = decodeProtectedHeader(token).jku;
    iss = decodeJwt(token).iss;
  } catch {
    throw refuse('signature_invalid', 'the bearer token is not a well-formed JWT');
  }
  const client = options.trustedClients.find((c) => c.iss === iss);
  if (!iss || !client) throw refuse('signature_invalid', `the JWT issuer ${iss ? `'${iss}'` : '(none)'} is not a trusted CDS Client`);
  let keys: JWTVerifyGetKey;
  if (jku !== undefined) {
    const allowed = new Set([...(client.allowedJku ?? []), ...(client.jwksUrl ? [client.jwksUrl] : [])]);
    if (!allowed.has(jku)) throw refuse('signature_invalid', `the JWT jku ${jku} is not on the allow-list of ${iss}`);
    keys = remoteSet(jku, options.fetch);
  } else if (client.jwks) keys = createLocalJWKSet(client.jwks);
  else if (client.jwksUrl) keys = remoteSet(client.jwksUrl, options.fetch);
  else throw refuse('signature_invalid', `no keys are configured for ${iss}`);

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keys, {
      issuer: iss,
      audience: [...(typeof audience === 'string' ? [audience] : audience)],
      algorithms: [...(options.algorithms ?? ['ES384', 'RS384', 'ES256', 'RS256', 'PS384', 'EdDSA'])],
      clockTolerance: options.clockToleranceSec ?? 60,
      requiredClaims: ['iss', 'aud', 'exp', 'iat', 'jti'],
    }));
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new CairnError('signature_invalid', `the JWT was refused: ${why}`, { cause, issues: [issue(['authorization'], 'invalid', why)] });
  }
  const jti = payload.jti as string;
  const exp = payload.exp as number;
  if (!(await options.jtiStore.claim(`${iss} ${jti}`, exp * 1000 + (options.clockToleranceSec ?? 60) * 1000))) {
    throw refuse('signature_invalid', `the JWT id ${jti} was already used (replay)`);
  }
  return payload as CdsJwtClaims;
}
