import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { CairnError, keyId, type SignatureAlgorithm, type TrustedKey } from '@cairn/core';

/** The JWS algorithm that fits a key: ES256/384/512 by curve, EdDSA for Ed25519, PS256 for RSA-PSS, else RS256. */
export function signatureAlgorithmFor(key: KeyObject): SignatureAlgorithm {
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'prime256v1' || curve === 'P-256') return 'ES256';
      if (curve === 'secp384r1' || curve === 'P-384') return 'ES384';
      if (curve === 'secp521r1' || curve === 'P-521') return 'ES512';
      throw new CairnError('unsupported', `EC curve ${curve} is not supported for bundle signatures (use P-256)`);
    }
    case 'ed25519':
      return 'EdDSA';
    case 'rsa':
      return 'RS256';
    case 'rsa-pss':
      return 'PS256';
    default:
      throw new CairnError('unsupported', `key type ${key.asymmetricKeyType} is not supported for bundle signatures`);
  }
}

/** Reads a PEM private key (PKCS#8, SEC1 or PKCS#1) for signing. */
export async function readPrivateKey(path: string): Promise<{ key: KeyObject; alg: SignatureAlgorithm; kid: string }> {
  let key: KeyObject;
  try {
    key = createPrivateKey(await readFile(path));
  } catch (cause) {
    throw new CairnError('invalid_argument', `--key: ${path} is not a readable PEM private key`, { cause });
  }
  return { key, alg: signatureAlgorithmFor(key), kid: await keyId(createPublicKey(key)) };
}

/** Reads PEM public keys (SPKI) or certificates trusted to sign bundles. */
export async function readTrustedKeys(paths: readonly string[]): Promise<TrustedKey[]> {
  return Promise.all(
    paths.map(async (path) => {
      let key: KeyObject;
      try {
        key = createPublicKey(await readFile(path));
      } catch (cause) {
        throw new CairnError('invalid_argument', `trusted key ${path} is not a readable PEM public key`, { cause });
      }
      return { key, kid: await keyId(key), name: path };
    }),
  );
}
