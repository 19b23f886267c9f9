import { isCairnError } from '@cairn/node';
import { getPipeline, pipelines, readCsv } from '@cairn/pipelines';
import { z } from 'zod';
import { actorOf, principalOf, type ServerContext } from '../context.js';
import type { RouteDef } from '../http/app.js';
import { badRequest, HttpError } from '../http/problem.js';
import { parseWith, schema, validationError } from '../http/validation.js';
import { isTerminal, type RunView, type TrainingService } from '../training/service.js';
import { csvOptions, trainingSpecSchema } from '../training/spec.js';

type Route = <B, Q, P>(def: RouteDef<B, Q, P>) => void;

const runParams = z.strictObject({ id: z.uuid('must be a training run id (UUID)') });

// Files up to this size are read once in the request, so a bad CSV is refused with a 400 at once;
// larger ones are read by the run itself, which then fails with the same message.
const VALIDATE_INLINE_BYTES = 8 * 1024 * 1024;

function parseJsonField(name: string, value: string | undefined): unknown {
  if (value === undefined || value.trim() === '') return undefined;
  try {
    return JSON.parse(value);
  } catch (error) {
    throw badRequest(
      `The ${name} field is not valid JSON (${error instanceof Error ? error.message : String(error)})`,
      ['body', name],
      'format',
    );
  }
}

/** Training: pipelines, runs (create, list, status, live events, cancel). */
export function trainingRoutes(route: Route, ctx: ServerContext): void {
  const training: TrainingService = ctx.training;
  route({
    method: 'GET',
    url: '/api/v1/pipelines',
    access: 'training',
    summary: 'Training pipelines with their parameters (JSON Schema with defaults)',
    tags: ['training'],
    handler: async () => ({
      pipelines: pipelines.map((p) => ({
        id: p.id,
        label: p.label,
        description: p.description,
        params: z.toJSONSchema(p.params as z.ZodType, { io: 'input', unrepresentable: 'any' }),
        defaults: p.params.parse({}),
      })),
      spec: schema(trainingSpecSchema),
    }),
  });

  route({
    method: 'POST',
    url: '/api/v1/training-runs',
    access: 'training',
    summary:
      'Start a training run: multipart with files `train` (and optional `test`) and fields `pipeline`, `params` (JSON), `spec` (JSON)',
    description:
      'The run is queued in the database and executed off the request thread (a worker thread) by whichever instance takes it; follow it ' +
      'with GET …/events (server-sent events). Its model appears under Models when it succeeds.',
    tags: ['training'],
    bodyLimit: ctx.config.limits.csvBytes * 2 + 256 * 1024,
    openapi: { consumes: ['multipart/form-data'] },
    handler: async (request, reply) => {
      if (!request.isMultipart()) {
        throw new HttpError(
          415,
          'unsupported_media_type',
          'Send multipart/form-data with a train file and pipeline, params and spec fields',
        );
      }
      const fields: Record<string, string> = {};
      const files: Array<{ kind: 'train' | 'test'; name: string; bytes: Uint8Array }> = [];
      for await (const part of request.parts({ limits: { fileSize: ctx.config.limits.csvBytes } })) {
        if (part.type === 'file') {
          if (part.fieldname !== 'train' && part.fieldname !== 'test') {
            throw badRequest(`Unexpected file field '${part.fieldname}': use train and test`, ['body', part.fieldname], 'unknown_field');
          }
          if (files.some((f) => f.kind === part.fieldname)) throw badRequest(`Only one ${part.fieldname} file`, ['body', part.fieldname]);
          const bytes = new Uint8Array(await part.toBuffer());
          const name = (part.filename || `${part.fieldname}.csv`).replace(/[^\w.-]+/g, '_').slice(0, 120);
          files.push({ kind: part.fieldname, name, bytes });
        } else {
          if (!['pipeline', 'params', 'spec', '_csrf'].includes(part.fieldname)) {
            throw badRequest(`Unexpected field '${part.fieldname}'`, ['body', part.fieldname], 'unknown_field');
          }
          fields[part.fieldname] = String(part.value);
        }
      }
      const train = files.find((f) => f.kind === 'train');
      if (!train) throw badRequest('Attach the training data as a file field named train', ['body', 'train'], 'required');
      if (train.bytes.byteLength === 0) throw badRequest('The training file is empty', ['body', 'train'], 'required');
      const pipelineId = fields.pipeline ?? '';
      let pipeline: ReturnType<typeof getPipeline>;
      try {
        pipeline = getPipeline(pipelineId);
      } catch (error) {
        if (isCairnError(error)) throw badRequest(error.message, ['body', 'pipeline'], 'not_allowed');
        throw error;
      }
      const spec = parseWith(trainingSpecSchema, parseJsonField('spec', fields.spec) ?? {}, ['body', 'spec']);
      const rawParams = parseJsonField('params', fields.params) ?? {};
      const parsedParams = (pipeline.params as z.ZodType).safeParse(rawParams);
      if (!parsedParams.success) throw validationError(parsedParams.error, ['body', 'params']);
      // Only the parameters given are kept: the pipeline fills in its own defaults when it runs.
      const params = rawParams as Record<string, unknown>;
      if (train.bytes.byteLength <= VALIDATE_INLINE_BYTES) {
        try {
          const data = await readCsv(train.bytes, csvOptions(spec, train.name));
          const test = files.find((f) => f.kind === 'test');
          if (test && test.bytes.byteLength <= VALIDATE_INLINE_BYTES)
            await readCsv(test.bytes, { ...csvOptions(spec, test.name), template: data });
        } catch (error) {
          if (isCairnError(error)) {
            throw new HttpError(400, 'invalid_input', error.message, {
              issues: error.issues.map((i) => ({ ...i, path: ['body', 'train', ...i.path] })),
            });
          }
          throw error;
        }
      }
      const p = principalOf(request);
      const run = await training.create({ pipeline: pipeline.id, params, spec, files }, { ...actorOf(request), actorId: p.userId });
      return reply.code(202).header('location', `/api/v1/training-runs/${run.id}`).send({ run });
    },
  });

  route({
    method: 'GET',
    url: '/api/v1/training-runs',
    access: 'training',
    summary: 'Training runs, newest first, with who started them and their outcome',
    tags: ['training'],
    query: z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(50) }),
    handler: async (request) => ({ runs: await training.list(request.query.limit) }),
  });

  route({
    method: 'GET',
    url: '/api/v1/training-runs/:id',
    access: 'training',
    summary: 'A training run: status, progress, result or error',
    tags: ['training'],
    params: runParams,
    handler: async (request) => ({ run: await training.get(request.params.id) }),
  });

  route({
    method: 'POST',
    url: '/api/v1/training-runs/:id/cancel',
    access: 'training',
    summary: 'Cancel a queued or running training run',
    tags: ['training'],
    params: runParams,
    handler: async (request) => ({ run: await training.cancel(request.params.id, actorOf(request)) }),
  });

  route({
    method: 'GET',
    url: '/api/v1/training-runs/:id/events',
    access: 'training',
    summary: 'Live progress as server-sent events (`run` events carry the whole run; the stream ends when the run does)',
    tags: ['training'],
    params: runParams,
    handler: async (request, reply) => {
      const id = request.params.id;
      let last = JSON.stringify(await training.get(id));
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-content-type-options': 'nosniff',
      });
      const send = (data: string) => res.write(`event: run\ndata: ${data}\n\n`);
      send(last);
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        clearInterval(poll);
        clearInterval(keepAlive);
        offEvents();
        offShutdown();
        res.end();
      };
      const refresh = async () => {
        if (closed) return;
        const run: RunView = await training.get(id);
        const text = JSON.stringify(run);
        if (text !== last) {
          last = text;
          send(text);
        }
        if (isTerminal(run.status)) close();
      };
      if (isTerminal((JSON.parse(last) as RunView).status)) return close();
      const offEvents = ctx.events.on((e) => {
        if ((e.t === 'run' && e.id === id) || e.t === 'reset') void refresh().catch(() => undefined);
      });
      const offShutdown = onShutdown(close);
      // A fallback in case a notification is lost, and a comment line to keep proxies from closing the stream.
      const poll = setInterval(() => void refresh().catch(() => undefined), 3000);
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      request.raw.on('close', close);
    },
  });

  const shutdownHandlers = new Set<() => void>();
  function onShutdown(fn: () => void): () => void {
    shutdownHandlers.add(fn);
    return () => shutdownHandlers.delete(fn);
  }
  ctx.state.onShutdown.push(() => {
    for (const fn of [...shutdownHandlers]) fn();
  });
}
