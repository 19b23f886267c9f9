import { CairnError } from './errors.js';

interface Digest {
  digest(algorithm: 'SHA-256', data: Uint8Array): Promise<ArrayBuffer>;
}

function subtle(): Digest {
  const c = (globalThis as { crypto?: { subtle?: Digest } }).crypto;
  if (!c?.subtle) throw new CairnError('unsupported', 'WebCrypto (globalThis.crypto.subtle) is not available in this runtime');
  return c.subtle;
}

/** Lowercase hex SHA-256 of bytes or UTF-8 text, via WebCrypto (Node ≥ 20 and browsers). */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const digest = new Uint8Array(await subtle().digest('SHA-256', bytes));
  let out = '';
  for (const b of digest) out += b.toString(16).padStart(2, '0');
  return out;
}
