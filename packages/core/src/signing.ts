import {
  CompactSign,
  type CryptoKey,
  calculateJwkThumbprint,
  compactVerify,
  decodeProtectedHeader,
  exportJWK,
  importJWK,
  type JWK,
  type KeyObject,
} from 'jose';
import { CairnError, issue } from './errors.js';
import { canonicalJson, type Manifest } from './manifest.js';

/** JWS `typ` of a bundle signature. */
export const SIGNATURE_TYPE = 'cairn-bundle+jws';

/** Algorithms accepted for bundle signatures. */
export type SignatureAlgorithm =
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA'
  | 'Ed25519'
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512';

const ALGORITHMS: readonly SignatureAlgorithm[] = [
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
];

/** A key Cairn can sign or verify with: a WebCrypto CryptoKey, a JWK, or a Node KeyObject. */
export type SigningKey = CryptoKey | KeyObject | JWK;

/** A public key trusted to sign bundles. */
export interface TrustedKey {
  readonly key: SigningKey;
  /** Key id; computed as the JWK thumbprint when absent and the key is exportable. */
  readonly kid?: string;
  /** Optional name shown in errors and audit records, e.g. "Cairn release key 2026". */
  readonly name?: string;
}

/** What verification found. */
export interface SignatureInfo {
  readonly alg: string;
  readonly kid: string | undefined;
  readonly keyName: string | undefined;
}

function isJwk(key: SigningKey): key is JWK {
  return typeof key === 'object' && key !== null && 'kty' in key;
}

async function asKey(key: SigningKey, alg: string): Promise<Parameters<typeof compactVerify>[1]> {
  if (isJwk(key)) return (await importJWK(key, alg)) as Parameters<typeof compactVerify>[1];
  return key as Parameters<typeof compactVerify>[1];
}

/** RFC 7638 thumbprint of a public key, used as its `kid`. */
export async function keyId(key: SigningKey): Promise<string> {
  const jwk = isJwk(key) ? key : await exportJWK(key);
  const pub: JWK = { ...jwk };
  for (const k of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth']) delete (pub as Record<string, unknown>)[k];
  return calculateJwkThumbprint(pub);
}

/**
 * Signs a manifest: a compact JWS whose payload is the canonical manifest, which carries the
 * SHA-256 of model.onnx (and of reference.csv), so the signature covers the whole bundle.
 */
export async function signManifest(
  manifest: Manifest,
  privateKey: SigningKey,
  options: { alg: SignatureAlgorithm; kid?: string },
): Promise<string> {
  if (!ALGORITHMS.includes(options.alg)) {
    throw new CairnError('invalid_argument', `alg: unsupported signature algorithm '${options.alg}'`);
  }
  const payload = new TextEncoder().encode(canonicalJson(manifest));
  const key = await asKey(privateKey, options.alg);
  return new CompactSign(payload)
    .setProtectedHeader({ alg: options.alg, typ: SIGNATURE_TYPE, ...(options.kid ? { kid: options.kid } : {}) })
    .sign(key as Parameters<CompactSign['sign']>[0]);
}

function signatureError(message: string, cause?: unknown): CairnError {
  return new CairnError('signature_invalid', message, { issues: [issue(['signature.jws'], 'invalid', message)], cause });
}

/**
 * Verifies a bundle signature against trusted keys and checks that it signs exactly this
 * manifest. Throws `signature_invalid` when no trusted key verifies it or the manifest differs.
 */
export async function verifyManifestSignature(manifest: Manifest, jws: string, trustedKeys: readonly TrustedKey[]): Promise<SignatureInfo> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws.trim());
  } catch (cause) {
    throw signatureError('signature.jws is not a compact JWS', cause);
  }
  const alg = header.alg;
  if (!alg || !ALGORITHMS.includes(alg as SignatureAlgorithm)) throw signatureError(`signature.jws uses unsupported algorithm '${alg}'`);
  if (header.typ !== SIGNATURE_TYPE) throw signatureError(`signature.jws has typ '${header.typ}', expected '${SIGNATURE_TYPE}'`);
  const expected = canonicalJson(manifest);
  const failures: string[] = [];
  for (const trusted of trustedKeys) {
    const kid = trusted.kid ?? (await keyId(trusted.key).catch(() => undefined));
    if (header.kid && kid && header.kid !== kid) continue;
    try {
      const { payload } = await compactVerify(jws.trim(), await asKey(trusted.key, alg), { algorithms: [alg] });
      if (new TextDecoder().decode(payload) !== expected) {
        throw signatureError('the signature is valid but signs a different manifest: cairn.json was modified after signing');
      }
      return { alg, kid: header.kid ?? kid, keyName: trusted.name };
    } catch (error) {
      if (error instanceof CairnError) throw error;
      failures.push(`${trusted.name ?? kid ?? 'key'}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw signatureError(
    failures.length === 0
      ? `no trusted key matches the signature's key id ${header.kid ?? '(none)'}`
      : `no trusted key verifies the signature (${failures.join('; ')})`,
  );
}
