// biome-ignore-all lint/suspicious/noExplicitAny: response bodies in tests are loosely typed JSON
// A small HTTP client for tests: keeps cookies, sends the CSRF token, parses JSON and problem documents.

export interface Reply<T = any> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
  readonly text: string;
}

export interface RequestOptions {
  json?: unknown;
  body?: RequestInit['body'];
  headers?: Record<string, string>;
  /** Skip the CSRF header (to test that it is required). */
  noCsrf?: boolean;
}

/** One browser-like or API client against a running server. */
export class Client {
  readonly cookies = new Map<string, string>();
  csrf: string | undefined;
  bearer: string | undefined;

  constructor(readonly base: string) {}

  /** A client that authenticates with an API token instead of cookies. */
  static withToken(base: string, token: string): Client {
    const c = new Client(base);
    c.bearer = token;
    return c;
  }

  async request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (this.bearer) headers.authorization = `Bearer ${this.bearer}`;
    if (this.csrf && !options.noCsrf && !['GET', 'HEAD'].includes(method)) headers['x-csrf-token'] = this.csrf;
    let body = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${this.base}${path}`, { method, headers, body, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const at = (pair ?? '').indexOf('=');
      const name = (pair ?? '').slice(0, at);
      const value = (pair ?? '').slice(at + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    const parsed = type.includes('json') && !type.includes('ndjson') && text ? JSON.parse(text) : text;
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  }

  get<T = any>(path: string, options?: RequestOptions) {
    return this.request<T>('GET', path, options);
  }
  post<T = any>(path: string, json?: unknown, options: RequestOptions = {}) {
    return this.request<T>('POST', path, { ...(json === undefined ? {} : { json }), ...options });
  }
  put<T = any>(path: string, json?: unknown, options: RequestOptions = {}) {
    return this.request<T>('PUT', path, { ...(json === undefined ? {} : { json }), ...options });
  }
  delete<T = any>(path: string, options?: RequestOptions) {
    return this.request<T>('DELETE', path, options);
  }

  /** Gets the anonymous CSRF token, then signs in; keeps the session's CSRF token. */
  async login(email: string, password: string): Promise<Reply> {
    const t = await this.get('/api/v1/auth/csrf');
    this.csrf = t.body.csrfToken;
    const r = await this.post('/api/v1/auth/login', { email, password });
    if (r.status === 200) this.csrf = r.body.csrfToken;
    return r;
  }

  async register(email: string, name: string, password: string, requestedRole?: string): Promise<Reply> {
    const t = await this.get('/api/v1/auth/csrf');
    this.csrf = t.body.csrfToken;
    return this.post('/api/v1/auth/register', { email, name, password, ...(requestedRole ? { requestedRole } : {}) });
  }
}
