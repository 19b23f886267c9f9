/**
 * One error type for all of Cairn: a stable `code`, a message, the issues found
 * (each with the path of the offending field and the rule it broke) and a cause.
 */

/** Stable codes of {@link CairnError}; callers branch on these, never on messages. */
export type CairnErrorCode =
  | 'invalid_input'
  | 'invalid_argument'
  | 'invalid_manifest'
  | 'invalid_bundle'
  | 'invalid_model'
  | 'model_mismatch'
  | 'checksum_mismatch'
  | 'signature_required'
  | 'signature_invalid'
  | 'unsupported'
  | 'inference_failed'
  | 'not_found'
  | 'unauthorized'
  | 'forbidden'
  | 'unavailable'
  | 'limit_exceeded'
  | 'cancelled'
  | 'internal';

/** The rule a single field broke. */
export type IssueRule =
  | 'required'
  | 'type'
  | 'not_finite'
  | 'not_integer'
  | 'below_minimum'
  | 'above_maximum'
  | 'implausible'
  | 'not_allowed'
  | 'unknown_field'
  | 'unit'
  | 'shape'
  | 'format'
  | 'mismatch'
  | 'imputed'
  | 'invalid';

/** One problem with one field; `path` locates it (e.g. `['rows', 3, 'age']`). */
export interface Issue {
  readonly path: ReadonlyArray<string | number>;
  readonly rule: IssueRule;
  readonly message: string;
  /** Warnings are reported but do not reject the input. */
  readonly severity: 'error' | 'warning';
}

/** Options of the {@link CairnError} constructor. */
export interface CairnErrorOptions {
  issues?: readonly Issue[];
  cause?: unknown;
}

/** The error Cairn throws: structured data first, message second. */
export class CairnError extends Error {
  readonly code: CairnErrorCode;
  readonly issues: readonly Issue[];

  constructor(code: CairnErrorCode, message: string, options: CairnErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CairnError';
    this.code = code;
    this.issues = options.issues ?? [];
  }

  /** A JSON-safe view (no cause chain, no stack) for APIs and logs. */
  toJSON(): { code: CairnErrorCode; message: string; issues: readonly Issue[] } {
    return { code: this.code, message: this.message, issues: this.issues };
  }
}

/** True when `value` is a {@link CairnError} (also across bundled copies of this package). */
export function isCairnError(value: unknown): value is CairnError {
  return (
    value instanceof CairnError ||
    (value instanceof Error &&
      value.name === 'CairnError' &&
      typeof (value as { code?: unknown }).code === 'string' &&
      Array.isArray((value as { issues?: unknown }).issues))
  );
}

/** Formats a path as `rows[3].age`. */
export function formatPath(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}

/** Builds an {@link Issue}. */
export function issue(
  path: ReadonlyArray<string | number>,
  rule: IssueRule,
  message: string,
  severity: Issue['severity'] = 'error',
): Issue {
  return { path, rule, message, severity };
}

function summarise(prefix: string, issues: readonly Issue[]): string {
  const errors = issues.filter((i) => i.severity === 'error');
  const shown = errors.slice(0, 3).map((i) => {
    const where = formatPath(i.path);
    return where ? `${where}: ${i.message}` : i.message;
  });
  const more = errors.length > 3 ? ` (and ${errors.length - 3} more)` : '';
  return `${prefix}: ${shown.join('; ')}${more}`;
}

/** Input failed validation; every problem is in `issues`. */
export function invalidInput(issues: readonly Issue[], prefix = 'Invalid input'): CairnError {
  return new CairnError('invalid_input', summarise(prefix, issues), { issues });
}

/** A function was called with a bad argument (names the parameter). */
export function invalidArgument(parameter: string, message: string): CairnError {
  return new CairnError('invalid_argument', `${parameter}: ${message}`, {
    issues: [issue([parameter], 'invalid', message)],
  });
}

/** A manifest (cairn.json) broke its schema. */
export function invalidManifest(issues: readonly Issue[]): CairnError {
  return new CairnError('invalid_manifest', summarise('Invalid cairn.json', issues), { issues });
}

/** A bundle is malformed (missing file, bad archive, …). */
export function invalidBundle(message: string, path: ReadonlyArray<string | number> = [], cause?: unknown): CairnError {
  return new CairnError('invalid_bundle', message, { issues: [issue(path, 'invalid', message)], cause });
}

/** An ONNX model could not be decoded or is not a valid graph. */
export function invalidModel(message: string, cause?: unknown): CairnError {
  return new CairnError('invalid_model', message, { issues: [issue(['model.onnx'], 'invalid', message)], cause });
}

/** The manifest and the ONNX graph disagree. */
export function modelMismatch(issues: readonly Issue[]): CairnError {
  return new CairnError('model_mismatch', summarise('cairn.json disagrees with model.onnx', issues), { issues });
}

/** A feature of the model is not supported by this operation. */
export function unsupported(message: string, path: ReadonlyArray<string | number> = []): CairnError {
  return new CairnError('unsupported', message, { issues: [issue(path, 'invalid', message)] });
}

/** A size or count limit was exceeded. */
export function limitExceeded(message: string, path: ReadonlyArray<string | number> = []): CairnError {
  return new CairnError('limit_exceeded', message, { issues: [issue(path, 'invalid', message)] });
}

/** Turns anything thrown into a {@link CairnError}, keeping the original as `cause`. */
export function normalizeError(error: unknown, fallbackCode: CairnErrorCode = 'internal'): CairnError {
  if (isCairnError(error)) return error;
  if (error instanceof Error) return new CairnError(fallbackCode, error.message, { cause: error });
  if (typeof error === 'string') return new CairnError(fallbackCode, error);
  return new CairnError(fallbackCode, 'Unknown error', { cause: error });
}
