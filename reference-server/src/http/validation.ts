import { type Issue, issue } from '@cairn/core';
import type { FastifySchemaCompiler } from 'fastify';
import { z } from 'zod';
import { HttpError } from './problem.js';

const zodOf = new WeakMap<object, z.ZodType>();

/** Turns a zod schema into the JSON schema Fastify documents, remembering the zod schema that validates it. */
export function schema(zodSchema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(zodSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  zodOf.set(json, zodSchema);
  return json;
}

/** Converts zod issues into Cairn issues under `prefix` (body, querystring, params). */
export function zodIssues(error: z.ZodError, prefix: readonly (string | number)[]): Issue[] {
  return error.issues.map((i) =>
    issue(
      [...prefix, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
      i.code === 'invalid_type' ? 'type' : i.code === 'unrecognized_keys' ? 'unknown_field' : 'invalid',
      i.message,
    ),
  );
}

/**
 * The 400 `invalid_input` error for a request that breaks its schema, listing every issue. (A
 * well-formed request whose patient values fail the model's validation is a 422 instead.)
 */
export function validationError(error: z.ZodError, prefix: readonly (string | number)[]): HttpError {
  const issues = zodIssues(error, prefix);
  const shown = issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.')}: ${i.message}`)
    .join('; ');
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
  return new HttpError(400, 'invalid_input', `Invalid request: ${shown}${more}`, { issues });
}

/** Parses a value with a zod schema, throwing `invalid_input` with every issue. */
export function parseWith<T>(zodSchema: z.ZodType<T>, value: unknown, prefix: readonly (string | number)[] = []): T {
  const r = zodSchema.safeParse(value);
  if (r.success) return r.data;
  throw validationError(r.error, prefix);
}

const PART_NAMES: Record<string, string> = { body: 'body', querystring: 'query', params: 'params', headers: 'headers' };

/** Fastify validator compiler: every route schema made by {@link schema} is validated by its zod schema. */
export const zodValidatorCompiler: FastifySchemaCompiler<unknown> = ({ schema: json, httpPart, method, url }) => {
  const zodSchema = zodOf.get(json as object);
  if (!zodSchema) throw new Error(`route ${method} ${url}: the ${httpPart} schema was not made with schema()`);
  const prefix = [PART_NAMES[httpPart ?? 'body'] ?? 'body'];
  return (data: unknown) => {
    const r = zodSchema.safeParse(data);
    return r.success ? { value: r.data } : { error: validationError(r.error, prefix) };
  };
};
