import { type CairnErrorCode, formatPath, type Issue, isCairnError, issue } from '@cairn/core';

/** Codes of errors the server adds to core's (authentication, permissions, conflicts, limits). */
export type ServerErrorCode = 'conflict' | 'rate_limited' | 'unsupported_media_type' | 'locked';

/** An HTTP error with a stable code and the issues that explain it. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: ServerErrorCode | CairnErrorCode;
  readonly issues: readonly Issue[];
  readonly headers: Readonly<Record<string, string>>;
  /** The caller is not signed in (pages redirect to the sign-in page). */
  signIn = false;

  constructor(
    status: number,
    code: ServerErrorCode | CairnErrorCode,
    message: string,
    options: { issues?: readonly Issue[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.issues = options.issues ?? [];
    this.headers = options.headers ?? {};
  }
}

/** 401: no credentials (pages answer it with a redirect to the sign-in page). */
export const unauthorized = (message = 'Sign in first: this needs an authenticated session or API token') => {
  const e = new HttpError(401, 'unauthorized', message);
  e.signIn = true;
  return e;
};
/** 403: authenticated, not allowed. */
export const forbidden = (message: string) => new HttpError(403, 'forbidden', message);
/** 404 for a named thing. */
export const notFound = (what: string) => new HttpError(404, 'not_found', `${what} was not found`);
/** 409: the state does not allow it. */
export const conflict = (message: string, path: readonly (string | number)[] = []) =>
  new HttpError(409, 'conflict', message, { issues: path.length ? [issue(path, 'invalid', message)] : [] });
/** 400 with issues. */
export const badRequest = (message: string, path: readonly (string | number)[] = [], rule: Issue['rule'] = 'invalid') =>
  new HttpError(400, 'invalid_input', message, { issues: [issue(path, rule, message)] });

const STATUS_BY_CODE: Record<CairnErrorCode, number> = {
  invalid_input: 422,
  invalid_argument: 400,
  invalid_manifest: 422,
  invalid_bundle: 422,
  invalid_model: 422,
  model_mismatch: 422,
  checksum_mismatch: 422,
  signature_required: 422,
  signature_invalid: 422,
  unsupported: 422,
  inference_failed: 500,
  not_found: 404,
  unauthorized: 401,
  forbidden: 403,
  unavailable: 503,
  limit_exceeded: 413,
  cancelled: 409,
  internal: 500,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  423: 'Locked',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** An RFC 9457 problem document with Cairn's code and issues. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly issues: ReadonlyArray<Issue & { readonly pointer: string; readonly field: string }>;
  readonly instance?: string;
}

function pointer(path: ReadonlyArray<string | number>): string {
  return path.length === 0 ? '' : `/${path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
}

/** Converts anything thrown into a status and a problem document; 5xx details are never leaked. */
export function toProblem(error: unknown, requestId?: string): Problem {
  let status = 500;
  let code = 'internal';
  let detail = 'The server failed to handle the request; the error was logged.';
  let issues: readonly Issue[] = [];
  if (error instanceof HttpError) {
    status = error.status;
    code = error.code;
    detail = error.message;
    issues = error.issues;
  } else if (isCairnError(error)) {
    status = STATUS_BY_CODE[error.code] ?? 500;
    code = error.code;
    if (status < 500) {
      detail = error.message;
      issues = error.issues;
    }
  } else if (error && typeof error === 'object' && 'statusCode' in error) {
    // Fastify's own errors (body too large, bad JSON, wrong content type …).
    const e = error as { statusCode?: number; code?: string; message?: string };
    const s = Number(e.statusCode);
    if (s >= 400 && s < 500) {
      status = s;
      code =
        s === 413
          ? 'limit_exceeded'
          : s === 415
            ? 'unsupported_media_type'
            : s === 429
              ? 'rate_limited'
              : s === 404
                ? 'not_found'
                : 'invalid_input';
      detail = fastifyMessage(e.code, e.message ?? 'Bad request');
      issues = [issue(s === 413 ? ['body'] : ['body'], s === 413 ? 'invalid' : 'format', detail)];
    }
  }
  return {
    type: `urn:cairn:problem:${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    issues: issues.map((i) => ({ ...i, pointer: pointer(i.path), field: formatPath(i.path) })),
    ...(requestId ? { instance: `urn:cairn:request:${requestId}` } : {}),
  };
}

function fastifyMessage(code: string | undefined, message: string): string {
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'The request body is larger than this endpoint accepts';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'This endpoint does not accept that Content-Type';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'The request has Content-Type application/json but an empty body';
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'The Content-Length header does not match the body';
    default:
      if (/JSON/i.test(message) || code === 'FST_ERR_CTP_INVALID_JSON_BODY') return `The body is not valid JSON (${message})`;
      return message;
  }
}
