/**
 * The HTTP contract between the widget and a Cairn server (the reference server implements it):
 *
 * - `GET  {endpoint}/api/v1/models/{id}` → 200 {@link ModelInfoResponse} (the model's cairn.json)
 * - `POST {endpoint}/api/v1/models/{id}/predict` with {@link PredictRequest} → 200 {@link PredictResponse}
 *
 * Failures answer with an RFC 9457 problem document ({@link ProblemResponse}, `application/problem+json`)
 * carrying Cairn's error code and issues, e.g. 422 with `code: 'invalid_input'` for a bad record.
 */
import {
  CairnError,
  type CairnErrorCode,
  type Explanation,
  type Issue,
  issue,
  type Manifest,
  type Prediction,
  parseManifest,
} from '@cairn/core';

/** Version segment of the API paths. */
export const PREDICT_API_VERSION = 'v1';

/** Body of `POST …/predict`: one patient's feature values, keyed by feature name (values as a form or JSON gives them). */
export interface PredictRequest {
  readonly inputs: Readonly<Record<string, unknown>>;
  /** Ask for the explanation too. @defaultValue true */
  readonly explain?: boolean;
}

/** Answer of `POST …/predict`: @cairn/core's Prediction and Explanation as JSON (explanation null when unavailable). */
export interface PredictResponse {
  readonly prediction: Prediction;
  readonly explanation: Explanation | null;
}

/** Answer of `GET …/models/{id}`: the model's cairn.json (with its model card) and its fhir-mapping.json, when it has one. */
export interface ModelInfoResponse {
  readonly manifest: unknown;
  readonly fhirMapping?: unknown;
}

/** A model description read from a server, checked by @cairn/core. */
export interface ModelInfo {
  readonly manifest: Manifest;
  readonly fhirMapping: unknown;
}

/** An RFC 9457 problem document with Cairn's error data. */
export interface ProblemResponse {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly code?: CairnErrorCode;
  readonly issues?: readonly Issue[];
}

/** How requests are made; inject `fetch` in tests or to add credentials. */
export interface PredictApiOptions {
  /** @defaultValue globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Extra request headers (e.g. an Authorization header). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

const MODEL_ID = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;

function base(endpoint: string): string {
  return endpoint.replace(/\/+$/, '');
}

function checkId(modelId: string): string {
  if (typeof modelId !== 'string' || !MODEL_ID.test(modelId)) {
    throw new CairnError('invalid_argument', `modelId: '${String(modelId)}' is not a model id`, {
      issues: [issue(['modelId'], 'format', 'must start with a letter or _ and hold only letters, digits, _ . -')],
    });
  }
  return modelId;
}

/** URL of a model's description. */
export function modelInfoUrl(endpoint: string, modelId: string): string {
  return `${base(endpoint)}/api/${PREDICT_API_VERSION}/models/${encodeURIComponent(checkId(modelId))}`;
}

/** URL of a model's predict operation. */
export function predictUrl(endpoint: string, modelId: string): string {
  return `${modelInfoUrl(endpoint, modelId)}/predict`;
}

const CODES = new Set<string>([
  'invalid_input',
  'invalid_argument',
  'invalid_manifest',
  'invalid_bundle',
  'invalid_model',
  'model_mismatch',
  'checksum_mismatch',
  'signature_required',
  'signature_invalid',
  'unsupported',
  'inference_failed',
  'not_found',
  'unauthorized',
  'forbidden',
  'unavailable',
  'limit_exceeded',
  'cancelled',
  'internal',
]);

function codeForStatus(status: number): CairnErrorCode {
  if (status === 404) return 'not_found';
  if (status === 400 || status === 422) return 'invalid_input';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 413) return 'limit_exceeded';
  if (status === 502 || status === 503 || status === 504) return 'unavailable';
  return 'internal';
}

function readIssues(v: unknown): Issue[] {
  if (!Array.isArray(v)) return [];
  return v.flatMap((i) => {
    if (!i || typeof i !== 'object') return [];
    const o = i as Record<string, unknown>;
    if (typeof o.message !== 'string') return [];
    const path = Array.isArray(o.path) ? o.path.filter((p): p is string | number => typeof p === 'string' || typeof p === 'number') : [];
    const severity = o.severity === 'warning' ? 'warning' : 'error';
    return [issue(path, typeof o.rule === 'string' ? (o.rule as Issue['rule']) : 'invalid', o.message, severity)];
  });
}

/** Turns a failed response (problem document or anything else) into a {@link CairnError} naming the URL and status. */
export function problemError(status: number, url: string, body: unknown): CairnError {
  const p = body && typeof body === 'object' ? (body as ProblemResponse) : undefined;
  const code = p?.code && CODES.has(p.code) ? p.code : codeForStatus(status);
  const detail = p?.detail ?? p?.title;
  const issues = readIssues(p?.issues);
  return new CairnError(code, `${url} answered ${status}${detail ? `: ${detail}` : ''}`, {
    issues: issues.length > 0 ? issues : [issue(['endpoint'], 'invalid', `HTTP ${status}`)],
  });
}

async function request(url: string, init: RequestInit, options: PredictApiOptions): Promise<unknown> {
  const f = options.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await f(url, {
      ...init,
      headers: { accept: 'application/json', ...init.headers, ...options.headers },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (cause) {
    if (options.signal?.aborted) throw new CairnError('cancelled', 'the request was cancelled', { cause });
    throw new CairnError('unavailable', `${url} could not be reached (${cause instanceof Error ? cause.message : String(cause)})`, {
      cause,
      issues: [issue(['endpoint'], 'invalid', 'network error')],
    });
  }
  const raw = await response.text();
  let body: unknown;
  try {
    body = raw === '' ? undefined : JSON.parse(raw);
  } catch {
    body = undefined;
  }
  if (!response.ok) throw problemError(response.status, url, body);
  if (body === undefined) {
    throw new CairnError('internal', `${url} did not answer JSON`, { issues: [issue(['endpoint'], 'format', 'expected a JSON body')] });
  }
  return body;
}

function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Checks the shape of a predict answer; throws `internal` naming the first field that is off. */
export function parsePredictResponse(body: unknown, url = 'the endpoint'): PredictResponse {
  const bad = (path: string, what: string) =>
    new CairnError('internal', `${url} answered a prediction that is not usable: ${path} ${what}`, {
      issues: [issue(path.split('.'), 'format', what)],
    });
  if (!body || typeof body !== 'object') throw bad('body', 'must be an object');
  const { prediction, explanation } = body as { prediction?: Record<string, unknown>; explanation?: unknown };
  if (!prediction || typeof prediction !== 'object') throw bad('prediction', 'is missing');
  const p = prediction.probability;
  if (!finite(p) || p < 0 || p > 1) throw bad('prediction.probability', 'must be a number from 0 to 1');
  if (!finite(prediction.threshold)) throw bad('prediction.threshold', 'must be a number');
  const band = prediction.band as { id?: unknown; label?: unknown } | undefined;
  if (!band || typeof band.id !== 'string' || typeof band.label !== 'string') throw bad('prediction.band', 'must have an id and a label');
  if (typeof prediction.modelId !== 'string' || typeof prediction.modelVersion !== 'string') {
    throw bad('prediction.modelId', 'and modelVersion must be strings');
  }
  if (!prediction.values || typeof prediction.values !== 'object') throw bad('prediction.values', 'must be an object');
  let ex: Explanation | null = null;
  if (explanation !== undefined && explanation !== null) {
    const e = explanation as { contributions?: unknown; space?: unknown };
    if (!Array.isArray(e.contributions) || typeof e.space !== 'string') throw bad('explanation', 'must have a space and contributions');
    for (const [i, c] of (e.contributions as Array<Record<string, unknown>>).entries()) {
      if (!c || typeof c.feature !== 'string' || typeof c.label !== 'string' || !finite(c.contribution)) {
        throw bad(`explanation.contributions.${i}`, 'must have a feature, a label and a finite contribution');
      }
    }
    ex = explanation as Explanation;
  }
  const warnings = Array.isArray(prediction.warnings) ? readIssues(prediction.warnings) : [];
  return { prediction: { ...(prediction as unknown as Prediction), warnings }, explanation: ex };
}

/** Reads a model's cairn.json (and FHIR mapping) from a Cairn server and checks the manifest with @cairn/core. */
export async function fetchModelInfo(endpoint: string, modelId: string, options: PredictApiOptions = {}): Promise<ModelInfo> {
  const url = modelInfoUrl(endpoint, modelId);
  const body = await request(url, { method: 'GET' }, options);
  const info = body && typeof body === 'object' ? (body as ModelInfoResponse) : undefined;
  const manifest = info?.manifest;
  if (manifest === undefined) {
    throw new CairnError('invalid_manifest', `${url} answered without a manifest`, {
      issues: [issue(['manifest'], 'required', 'the model description has no manifest')],
    });
  }
  return { manifest: parseManifest(manifest), fhirMapping: info?.fhirMapping ?? undefined };
}

/** Asks a Cairn server for one patient's prediction (and explanation). */
export async function requestPrediction(
  endpoint: string,
  modelId: string,
  inputs: Readonly<Record<string, unknown>>,
  options: PredictApiOptions = {},
): Promise<PredictResponse> {
  const url = predictUrl(endpoint, modelId);
  const payload: PredictRequest = { inputs, explain: true };
  const body = await request(
    url,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) },
    options,
  );
  return parsePredictResponse(body, url);
}
