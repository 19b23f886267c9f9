// A small FHIR R4 test server (Node only): serves resources with search paging, _sort,
// _count, bearer-token auth and scripted failures, on 127.0.0.1 with an ephemeral port.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Bundle, Resource } from '@medplum/fhirtypes';

/** A scripted failure: the next `times` requests matching `path` get this response. */
export interface Fault {
  path: RegExp;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  times: number;
}

/** A request the server saw. */
export interface SeenRequest {
  method: string;
  url: string;
  authorization: string | undefined;
  body: unknown;
}

/** Extra route: return true when handled. */
export type Route = (req: IncomingMessage, res: ServerResponse, body: string, url: URL) => boolean | Promise<boolean>;

export interface TestFhirServer {
  /** FHIR base URL, e.g. http://127.0.0.1:41234/fhir */
  readonly url: string;
  readonly origin: string;
  readonly requests: SeenRequest[];
  readonly created: Resource[];
  readonly resources: Resource[];
  fault(f: Fault): void;
  close(): Promise<void>;
}

export interface TestFhirServerOptions {
  resources: Resource[];
  /** Required bearer token; none means no auth. */
  token?: string;
  /** Page size when _count is absent. */
  defaultCount?: number;
  routes?: Route[];
}

function outcome(code: string, text: string) {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, details: { text } }] };
}

function issueCodeFor(status: number): string {
  return status === 401
    ? 'login'
    : status === 403
      ? 'forbidden'
      : status === 404
        ? 'not-found'
        : status === 429
          ? 'throttled'
          : status === 503
            ? 'transient'
            : 'exception';
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/fhir+json', ...headers });
  res.end(body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body));
}

function refOf(r: Resource): string | undefined {
  const x = r as { subject?: { reference?: string }; patient?: { reference?: string } };
  return x.subject?.reference ?? x.patient?.reference;
}

function codes(concept: unknown): string[] {
  const c = concept as { coding?: Array<{ system?: string; code?: string }> } | undefined;
  return (c?.coding ?? []).flatMap((k) => [`${k.system}|${k.code}`, `|${k.code}`, `${k.code}`]);
}

function dateOf(r: Resource): number {
  const x = r as {
    effectiveDateTime?: string;
    effectivePeriod?: { start?: string };
    issued?: string;
    authoredOn?: string;
    recordedDate?: string;
    onsetDateTime?: string;
  };
  return (
    Date.parse(x.effectiveDateTime ?? x.effectivePeriod?.start ?? x.issued ?? x.authoredOn ?? x.recordedDate ?? x.onsetDateTime ?? '') || 0
  );
}

function matchesToken(values: string[], param: string): boolean {
  return param.split(',').some((t) => values.includes(t));
}

/** Rewrites a Synthea transaction Bundle as a server would store it: urn:uuid references become Type/id. */
export function storeTransaction(bundle: Bundle): Resource[] {
  const map = new Map<string, string>();
  for (const e of bundle.entry ?? []) if (e.fullUrl && e.resource?.id) map.set(e.fullUrl, `${e.resource.resourceType}/${e.resource.id}`);
  const rewrite = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(rewrite);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = k === 'reference' && typeof x === 'string' && map.has(x) ? map.get(x) : rewrite(x);
      return out;
    }
    return v;
  };
  return (bundle.entry ?? []).map((e) => rewrite(e.resource) as Resource);
}

export async function startFhirServer(options: TestFhirServerOptions): Promise<TestFhirServer> {
  const resources = [...options.resources];
  const requests: SeenRequest[] = [];
  const created: Resource[] = [];
  const faults: Fault[] = [];
  let nextId = 1;
  let origin = '';

  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      void handle(req, res, body).catch((e) => send(res, 500, outcome('exception', String(e))));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse, body: string) {
    const url = new URL(req.url ?? '/', origin);
    let parsed: unknown;
    try {
      parsed = body ? JSON.parse(body) : undefined;
    } catch {
      parsed = body;
    }
    requests.push({ method: req.method ?? 'GET', url: url.pathname + url.search, authorization: req.headers.authorization, body: parsed });
    for (const route of options.routes ?? []) if (await route(req, res, body, url)) return;
    const fault = faults.find((f) => f.path.test(url.pathname + url.search) && f.times > 0);
    if (fault) {
      fault.times--;
      send(res, fault.status, fault.body ?? outcome(issueCodeFor(fault.status), `scripted ${fault.status}`), fault.headers);
      return;
    }
    if (!url.pathname.startsWith('/fhir/')) return send(res, 404, outcome('not-found', 'no such endpoint'));
    if (options.token && req.headers.authorization !== `Bearer ${options.token}`) {
      return send(res, 401, outcome('login', 'invalid or missing bearer token'), { 'www-authenticate': 'Bearer' });
    }
    const parts = url.pathname.slice('/fhir/'.length).split('/').filter(Boolean);
    const [type, id] = parts;
    if (req.method === 'POST' && type && !id) {
      const r = parsed as Resource;
      if (!r || r.resourceType !== type) return send(res, 400, outcome('invalid', 'resourceType does not match the URL'));
      const stored = { ...r, id: `new-${nextId++}`, meta: { versionId: '1', lastUpdated: new Date().toISOString() } } as Resource;
      created.push(stored);
      resources.push(stored);
      return send(res, 201, stored, { location: `${origin}/fhir/${type}/${stored.id}/_history/1` });
    }
    if (req.method !== 'GET' || !type) return send(res, 405, outcome('not-supported', 'method not allowed'));
    if (id) {
      const r = resources.find((x) => x.resourceType === type && x.id === id);
      return r ? send(res, 200, r) : send(res, 404, outcome('not-found', `${type}/${id} not found`));
    }
    const q = url.searchParams;
    let hits = resources.filter((r) => r.resourceType === type);
    const patient = q.get('patient') ?? q.get('subject');
    if (patient) hits = hits.filter((r) => refOf(r) === `Patient/${patient.replace(/^Patient\//, '')}`);
    const code = q.get('code');
    if (code) {
      hits = hits.filter((r) => {
        const x = r as { code?: unknown; medicationCodeableConcept?: unknown };
        return matchesToken(codes(x.code ?? x.medicationCodeableConcept), code);
      });
    }
    const combo = q.get('combo-code');
    if (combo) {
      hits = hits.filter((r) => {
        const o = r as { code?: unknown; component?: Array<{ code?: unknown }> };
        return matchesToken([...codes(o.code), ...(o.component ?? []).flatMap((c) => codes(c.code))], combo);
      });
    }
    const sort = q.get('_sort');
    if (sort === '-date') hits.sort((a, b) => dateOf(b) - dateOf(a));
    else if (sort === 'date') hits.sort((a, b) => dateOf(a) - dateOf(b));
    const count = Number(q.get('_count') ?? options.defaultCount ?? 50);
    const offset = Number(q.get('_offset') ?? 0);
    const page = hits.slice(offset, offset + count);
    const link = [{ relation: 'self', url: `${origin}${url.pathname}${url.search}` }];
    if (offset + count < hits.length) {
      const next = new URLSearchParams(q);
      next.set('_offset', String(offset + count));
      link.push({ relation: 'next', url: `${origin}${url.pathname}?${next.toString()}` });
    }
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      total: hits.length,
      link: link as Bundle['link'],
      entry: page.map((resource) => ({
        fullUrl: `${origin}/fhir/${resource.resourceType}/${resource.id}`,
        resource,
        search: { mode: 'match' },
      })),
    };
    return send(res, 200, bundle);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/fhir`,
    origin,
    requests,
    created,
    resources,
    fault: (f) => faults.push(f),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
