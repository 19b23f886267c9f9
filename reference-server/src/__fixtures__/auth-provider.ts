// A tiny OpenID Connect provider and SMART authorization server for tests: discovery, an authorize
// endpoint that approves at once, a token endpoint checking PKCE, and ES256 ID tokens from a JWKS.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

/** What the next ID token says, and how it may be broken on purpose. */
export interface NextLogin {
  claims: JWTPayload;
  /** Break the token: signed by another key, expired, for another audience, or with another nonce. */
  forge?: 'other-key' | 'expired' | 'other-audience' | 'other-nonce' | 'other-issuer';
  /** For SMART: the patient in context. */
  patient?: string;
}

export interface AuthProvider {
  readonly issuer: string;
  next: NextLogin;
  readonly tokensIssued: string[];
  /** Extra routes (e.g. FHIR resources) served under the same origin. */
  route(handler: (req: IncomingMessage, res: ServerResponse, url: URL) => boolean): void;
  close(): Promise<void>;
}

/** Starts the provider on 127.0.0.1 with an ephemeral port. */
export async function startAuthProvider(clientId: string): Promise<AuthProvider> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const other = await generateKeyPair('ES256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'ES256', use: 'sig' };
  const codes = new Map<string, { challenge: string; redirectUri: string; nonce?: string; login: NextLogin; scope: string }>();
  const extra: Array<(req: IncomingMessage, res: ServerResponse, url: URL) => boolean> = [];
  const tokensIssued: string[] = [];
  let issuer = '';

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    let body = '';
    for await (const chunk of req) body += chunk;
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(res, 200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
      });
    }
    if (url.pathname.endsWith('/.well-known/smart-configuration')) {
      return json(res, 200, {
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        code_challenge_methods_supported: ['S256'],
        capabilities: ['launch-ehr', 'client-public'],
      });
    }
    if (url.pathname === '/jwks') return json(res, 200, { keys: [jwk] });
    if (url.pathname === '/authorize') {
      const p = url.searchParams;
      if (p.get('client_id') !== clientId || p.get('code_challenge_method') !== 'S256' || !p.get('code_challenge')) {
        return json(res, 400, { error: 'invalid_request' });
      }
      const code = createHash('sha256').update(`${Math.random()}`).digest('hex');
      codes.set(code, {
        challenge: p.get('code_challenge') as string,
        redirectUri: p.get('redirect_uri') as string,
        ...(p.get('nonce') ? { nonce: p.get('nonce') as string } : {}),
        login: provider.next,
        scope: p.get('scope') ?? '',
      });
      const back = new URL(p.get('redirect_uri') as string);
      back.searchParams.set('code', code);
      back.searchParams.set('state', p.get('state') ?? '');
      res.writeHead(302, { location: back.toString() });
      return res.end();
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      const p = new URLSearchParams(body);
      const entry = codes.get(p.get('code') ?? '');
      codes.delete(p.get('code') ?? '');
      const verifier = p.get('code_verifier') ?? '';
      if (
        !entry ||
        createHash('sha256').update(verifier).digest('base64url') !== entry.challenge ||
        p.get('redirect_uri') !== entry.redirectUri
      ) {
        return json(res, 400, { error: 'invalid_grant' });
      }
      const { login } = entry;
      const now = Math.floor(Date.now() / 1000);
      const jwt = new SignJWT({ ...login.claims, ...(entry.nonce ? { nonce: login.forge === 'other-nonce' ? 'wrong' : entry.nonce } : {}) })
        .setProtectedHeader({ alg: 'ES256', kid: 'test-key' })
        .setIssuer(login.forge === 'other-issuer' ? 'https://evil.example' : issuer)
        .setAudience(login.forge === 'other-audience' ? 'someone-else' : clientId)
        .setIssuedAt(login.forge === 'expired' ? now - 7200 : now)
        .setExpirationTime(login.forge === 'expired' ? now - 3600 : now + 300);
      const idToken = await jwt.sign(login.forge === 'other-key' ? other.privateKey : privateKey);
      const accessToken = `at-${createHash('sha256').update(`${Math.random()}`).digest('hex').slice(0, 24)}`;
      tokensIssued.push(accessToken);
      return json(res, 200, {
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: 3600,
        scope: entry.scope,
        id_token: idToken,
        ...(login.patient ? { patient: login.patient } : {}),
      });
    }
    for (const handler of extra) if (handler(req, res, url)) return;
    json(res, 404, { error: 'not found' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider: AuthProvider = {
    issuer,
    next: { claims: { sub: 'user-1', email: 'sso@example.org', email_verified: true, name: 'Sso User' } },
    tokensIssued,
    route: (h) => extra.push(h),
    close: () => new Promise((r) => server.close(() => r())),
  };
  return provider;
}
