import { Readable } from 'node:stream';
import type { PopulationSummary } from '@cairn/core';
import { escapeHtml, type FeatureRecord, loadReportFonts, renderReportHtml, renderReportPdf, summarizeExplanations } from '@cairn/node';
import Papa from 'papaparse';
import { z } from 'zod';
import { hashInputs } from '../audit/audit.js';
import { can } from '../auth/access.js';
import { actorOf, principalOf, type ServerContext } from '../context.js';
import type { RouteDef } from '../http/app.js';
import { badRequest, conflict, HttpError, notFound } from '../http/problem.js';
import { predictAudited, reportOf } from '../models/predict.js';
import type { LoadedModel } from '../models/registry.js';

type Route = <B, Q, P>(def: RouteDef<B, Q, P>) => void;

const modelId = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/, 'must be a model id');
const version = z.string().regex(/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?$/, 'must be a semantic version');
const idParams = z.strictObject({ id: modelId });
const versionParams = z.strictObject({ id: modelId, version });
const versionQuery = z.strictObject({ version: version.optional() });
const inputsSchema = z.record(z.string(), z.unknown());
export const predictBody = z.strictObject({
  inputs: inputsSchema,
  /** Ask for the explanation (the widget's contract). @defaultValue true */
  explain: z.boolean().optional(),
});

const summaries = new Map<string, Promise<PopulationSummary | null>>();

/** SHAP summary of a version: from the bundle's model card when training recorded it, else computed over reference rows once. */
export async function shapSummaryOf(model: LoadedModel): Promise<PopulationSummary | null> {
  const card = model.bundle.manifest.modelCard as { plots?: { shapSummary?: PopulationSummary } } | undefined;
  if (card?.plots?.shapSummary) return card.plots.shapSummary;
  const key = `${model.id}@${model.version}`;
  let p = summaries.get(key);
  if (!p) {
    p = (async () => {
      const rows = model.bundle.reference?.rows;
      if (!model.explainer || !rows || rows.length === 0) return null;
      const step = Math.max(1, Math.floor(rows.length / 200));
      const sample = rows.filter((_, i) => i % step === 0).slice(0, 200);
      return summarizeExplanations(await model.explainer.explainBatch(sample));
    })();
    summaries.set(key, p);
  }
  return p;
}

let fonts: ReturnType<typeof loadReportFonts> | undefined;

/** Parses a CSV text into records keyed by header; throws a 400 naming the problem. */
export function parseCsvRecords(text: string, maxRows: number): Record<string, string>[] {
  const parsed = Papa.parse<Record<string, string>>(text.replace(/^\uFEFF/, ''), {
    header: true,
    skipEmptyLines: 'greedy',
    transformHeader: (h) => h.trim(),
  });
  const fatal = parsed.errors.find((e) => e.type === 'Delimiter' || e.code === 'MissingQuotes' || e.code === 'TooManyFields');
  if (fatal)
    throw badRequest(
      `The CSV is malformed at row ${(fatal.row ?? 0) + 2}: ${fatal.message}`,
      ['body', 'row', (fatal.row ?? 0) + 2],
      'format',
    );
  if ((parsed.meta.fields ?? []).length === 0) throw badRequest('The CSV has no header row', ['body'], 'format');
  if (parsed.data.length === 0) throw badRequest('The CSV has a header but no rows', ['body'], 'required');
  if (parsed.data.length > maxRows)
    throw new HttpError(413, 'limit_exceeded', `The batch has ${parsed.data.length} rows; at most ${maxRows} are accepted`);
  return parsed.data;
}

/** The rows of a batch request: a CSV text body, or JSON `{ rows: [...] }`. */
export function batchRows(body: unknown, maxRows: number): { rows: unknown[]; csvIn: boolean } {
  if (typeof body === 'string') return { rows: parseCsvRecords(body, maxRows), csvIn: true };
  const parsed = z.strictObject({ rows: z.array(inputsSchema).min(1, 'give at least one row') }).safeParse(body);
  if (!parsed.success) throw badRequest(`Send { rows: [ {feature: value, …}, … ] }: ${parsed.error.issues[0]?.message}`, ['body', 'rows']);
  if (parsed.data.rows.length > maxRows) {
    throw new HttpError(413, 'limit_exceeded', `The batch has ${parsed.data.rows.length} rows; at most ${maxRows} are accepted`);
  }
  return { rows: parsed.data.rows, csvIn: false };
}

/** Models: list, detail, metrics, plots, features, uploads and lifecycle, prediction, batch prediction and reports. */
export function modelRoutes(route: Route, ctx: ServerContext): void {
  route({
    method: 'GET',
    url: '/api/v1/models',
    access: 'models:read',
    summary: 'Models with their versions (archived ones only for model managers with ?include=archived)',
    tags: ['models'],
    query: z.strictObject({ include: z.enum(['archived']).optional() }),
    handler: async (request) => {
      const includeArchived = request.query.include === 'archived' && can(principalOf(request), 'models:manage');
      return { models: await ctx.models.list({ includeArchived }) };
    },
  });

  route({
    method: 'GET',
    url: '/api/v1/models/:id',
    access: 'models:read',
    summary: 'A model: versions, and the manifest (with model card) of the active or a given version',
    tags: ['models'],
    params: idParams,
    query: versionQuery,
    handler: async (request) => {
      const model = await ctx.models.get(request.params.id);
      if (model.status === 'archived' && !can(principalOf(request), 'models:manage')) throw notFound(`Model '${model.id}'`);
      const m = await ctx.models.manifest(model.id, request.query.version);
      const loaded = await ctx.models.load(model.id, m.version);
      return {
        model,
        version: m.version,
        manifest: m.manifest,
        ...(loaded.bundle.fhirMapping !== undefined ? { fhirMapping: loaded.bundle.fhirMapping } : {}),
      };
    },
  });

  route({
    method: 'GET',
    url: '/api/v1/models/:id/metrics',
    access: 'models:read',
    summary: 'Headline metrics and the classification report (confusion matrix, per-subgroup metrics) of a version',
    tags: ['models'],
    params: idParams,
    query: versionQuery,
    handler: async (request) => {
      const { version: v, manifest } = await ctx.models.manifest(request.params.id, request.query.version);
      const card = (manifest.modelCard ?? {}) as { performance?: unknown; fairness?: { subgroups?: unknown }; threshold?: unknown };
      return {
        modelId: manifest.id,
        version: v,
        threshold: manifest.threshold,
        metrics: manifest.metrics,
        performance: card.performance ?? null,
        subgroups: card.fairness?.subgroups ?? null,
      };
    },
  });

  route({
    method: 'GET',
    url: '/api/v1/models/:id/plots',
    access: 'models:read',
    summary: 'Plot data: ROC, PR and calibration curves (when training recorded them) and a SHAP summary',
    tags: ['models'],
    params: idParams,
    query: versionQuery,
    handler: async (request) => {
      const { version: v, manifest } = await ctx.models.manifest(request.params.id, request.query.version);
      const card = (manifest.modelCard ?? {}) as { plots?: { roc?: unknown; pr?: unknown; calibration?: unknown } };
      const model = await ctx.models.load(manifest.id, v);
      return {
        modelId: manifest.id,
        version: v,
        roc: card.plots?.roc ?? null,
        pr: card.plots?.pr ?? null,
        calibration: card.plots?.calibration ?? null,
        shapSummary: await shapSummaryOf(model),
      };
    },
  });

  route({
    method: 'GET',
    url: '/api/v1/models/:id/features',
    access: 'models:read',
    summary: 'Input features (types, units, limits, categories) and the FHIR mapping of a version',
    tags: ['models'],
    params: idParams,
    query: versionQuery,
    handler: async (request) => {
      const { version: v, manifest } = await ctx.models.manifest(request.params.id, request.query.version);
      const model = await ctx.models.load(manifest.id, v);
      return { modelId: manifest.id, version: v, features: manifest.features, fhirMapping: model.bundle.fhirMapping ?? null };
    },
  });

  route({
    method: 'GET',
    url: '/api/v1/models/:id/versions/:version/bundle',
    access: 'models:manage',
    summary: 'Download the .cairn archive of a version',
    tags: ['models'],
    params: versionParams,
    handler: async (request, reply) => {
      const bytes = await ctx.models.archiveBytes(request.params.id, request.params.version);
      reply.header('content-disposition', `attachment; filename="${request.params.id}-${request.params.version}.cairn"`);
      return reply.type('application/zip').send(Buffer.from(bytes));
    },
  });

  route({
    method: 'POST',
    url: '/api/v1/models',
    access: 'models:manage',
    summary: 'Upload a bundle archive (.cairn) as multipart field `bundle` or as an application/octet-stream body',
    description:
      'The archive is checked completely before anything is stored: size, entry paths and compression ratios (zip bombs), checksums, ' +
      'the manifest against the ONNX graph, the signature against trusted keys (when configured), a test prediction and the FHIR mapping.',
    tags: ['models'],
    query: z.strictObject({ activate: z.enum(['true', 'false']).optional() }),
    bodyLimit: ctx.config.limits.bundleBytes + 64 * 1024,
    openapi: {
      consumes: ['multipart/form-data', 'application/octet-stream'],
    },
    handler: async (request, reply) => {
      let bytes: Uint8Array;
      if (request.isMultipart()) {
        const file = await request.file({ limits: { fileSize: ctx.config.limits.bundleBytes } });
        if (!file) throw badRequest('Send the archive in a multipart field named bundle', ['body', 'bundle'], 'required');
        if (file.fieldname !== 'bundle')
          throw badRequest(`Unexpected multipart field '${file.fieldname}': use bundle`, ['body', file.fieldname], 'unknown_field');
        bytes = new Uint8Array(await file.toBuffer());
      } else if (Buffer.isBuffer(request.body)) {
        bytes = new Uint8Array(request.body);
      } else {
        throw new HttpError(
          415,
          'unsupported_media_type',
          'Send a .cairn archive as multipart/form-data (field bundle) or application/octet-stream',
        );
      }
      if (bytes.byteLength === 0) throw badRequest('The archive is empty', ['body', 'bundle'], 'required');
      const result = await ctx.models.ingest(bytes, {
        actor: actorOf(request),
        source: 'upload',
        activate: request.query.activate === 'true',
      });
      return reply.code(201).send(result);
    },
  });

  for (const [action, summary] of [
    ['archive', 'Archive a model (it stays stored and in history; clinicians no longer see it)'],
    ['restore', 'Restore an archived model'],
  ] as const) {
    route({
      method: 'POST',
      url: `/api/v1/models/:id/${action}`,
      access: 'models:manage',
      summary,
      tags: ['models'],
      params: idParams,
      handler: async (request) => {
        await ctx.models[action](request.params.id, actorOf(request));
        return { model: await ctx.models.get(request.params.id) };
      },
    });
  }

  route({
    method: 'POST',
    url: '/api/v1/models/:id/versions/:version/promote',
    access: 'models:manage',
    summary: 'Make a version the active one',
    tags: ['models'],
    params: versionParams,
    handler: async (request) => {
      await ctx.models.promote(request.params.id, request.params.version, actorOf(request));
      return { model: await ctx.models.get(request.params.id) };
    },
  });

  route({
    method: 'POST',
    url: '/api/v1/models/:id/predict',
    access: 'predict',
    summary: 'Predict one patient with the active version: `{ inputs }` → `{ prediction, explanation, narrative }`',
    description:
      'Inputs are validated against the model features (types, units, limits, categories); every problem is listed in `issues`. ' +
      'The audit log records who predicted with which version and a keyed hash of the validated inputs.',
    tags: ['predict'],
    params: idParams,
    body: predictBody,
    rateLimit: { group: 'predict', max: ctx.config.rateLimits.predictPerMinute, windowMs: 60_000, per: 'principal' },
    handler: async (request) => {
      const model = await ctx.models.active(request.params.id);
      const result = await predictAudited(ctx, model, request.body.inputs, actorOf(request), 'predict', {}, request.body.explain ?? true);
      const p = request.principal;
      if (p?.kind === 'session' && p.sessionHash) {
        // The result page may be opened only after a prediction: the session remembers that one was made (not its values).
        await ctx.db.query("update sessions set data = jsonb_set(data, '{lastPrediction}', $2::jsonb) where id_hash = $1", [
          p.sessionHash,
          JSON.stringify({ modelId: model.id, version: model.version, at: new Date().toISOString() }),
        ]);
      }
      return result;
    },
  });

  route({
    method: 'POST',
    url: '/api/v1/models/:id/report',
    access: 'predict',
    summary: 'Predict one patient and return the report as PDF (default) or HTML',
    tags: ['predict'],
    params: idParams,
    query: z.strictObject({ format: z.enum(['pdf', 'html']).default('pdf') }),
    body: predictBody,
    rateLimit: { group: 'predict', max: ctx.config.rateLimits.predictPerMinute, windowMs: 60_000, per: 'principal' },
    handler: async (request, reply) => {
      const model = await ctx.models.active(request.params.id);
      const result = await predictAudited(ctx, model, request.body.inputs, actorOf(request), 'report', { format: request.query.format });
      const report = reportOf(ctx, model, result);
      if (request.query.format === 'html') {
        const page = `<!doctype html><html lang="${escapeHtml(report.language)}"><head><meta charset="utf-8"><title>${escapeHtml(report.title)}</title></head><body>${renderReportHtml(report)}</body></html>`;
        return reply.type('text/html; charset=utf-8').send(page);
      }
      fonts ??= loadReportFonts();
      const pdf = await renderReportPdf(report, { fonts: await fonts });
      reply.header('content-disposition', `attachment; filename="cairn-report-${model.id}-${model.version}.pdf"`);
      return reply.type('application/pdf').send(Buffer.from(pdf));
    },
  });

  route({
    method: 'POST',
    url: '/api/v1/models/:id/batch-jobs',
    access: 'predict',
    summary: 'Queue a batch prediction (CSV or JSON `{ rows }`): any instance runs it; fetch the CSV result when it has succeeded',
    tags: ['predict'],
    params: idParams,
    bodyLimit: ctx.config.limits.csvBytes,
    rateLimit: { group: 'predict', max: ctx.config.rateLimits.predictPerMinute, windowMs: 60_000, per: 'principal' },
    openapi: { consumes: ['text/csv', 'application/json'] },
    handler: async (request, reply) => {
      const { rows, csvIn } = batchRows(request.body, ctx.config.limits.batchRows);
      const [settings, key] = await Promise.all([ctx.settings.get(), ctx.settings.auditHashKey()]);
      const job = await ctx.batches.create(
        request.params.id,
        rows,
        { ...actorOf(request), actorId: principalOf(request).userId },
        {
          inputsHash: hashInputs(key, rows),
          ...(settings.storePatientInputs ? { inputs: rows } : {}),
          details: { format: csvIn ? 'csv' : 'json' },
        },
      );
      return reply.code(202).header('location', `/api/v1/batch-jobs/${job.id}`).send({ job });
    },
  });

  const jobParams = z.strictObject({ id: z.uuid('must be a batch job id (UUID)') });
  route({
    method: 'GET',
    url: '/api/v1/batch-jobs/:id',
    access: 'predict',
    summary: 'A queued batch prediction: status and summary (your own; admins see all)',
    tags: ['predict'],
    params: jobParams,
    handler: async (request) => {
      const p = principalOf(request);
      return { job: await ctx.batches.get(request.params.id, p.userId, can(p, 'admin')) };
    },
  });

  route({
    method: 'GET',
    url: '/api/v1/batch-jobs/:id/result',
    access: 'predict',
    summary: 'The CSV result of a batch prediction (kept for 24 hours)',
    tags: ['predict'],
    params: jobParams,
    handler: async (request, reply) => {
      const p = principalOf(request);
      const job = await ctx.batches.get(request.params.id, p.userId, can(p, 'admin'));
      const csv = await ctx.batches.result(request.params.id, p.userId, can(p, 'admin'));
      if (!csv) throw conflict(job.status === 'succeeded' ? 'The result has expired' : `The batch is ${job.status}: no result yet`);
      reply.header('content-disposition', `attachment; filename="cairn-batch-${job.id}.csv"`);
      return reply.type('text/csv; charset=utf-8').send(Buffer.from(csv));
    },
  });

  route({
    method: 'POST',
    url: '/api/v1/models/:id/predict/batch',
    access: 'predict',
    summary: 'Predict many patients: a CSV (text/csv, header of feature names) or JSON `{ rows: [...] }`; streamed back as CSV or NDJSON',
    description:
      'Rows that fail validation get their error in the output and do not stop the batch. The answer is CSV for CSV input and NDJSON ' +
      '(one JSON object per line) for JSON input, unless Accept asks for the other.',
    tags: ['predict'],
    params: idParams,
    bodyLimit: ctx.config.limits.csvBytes,
    rateLimit: { group: 'predict', max: ctx.config.rateLimits.predictPerMinute, windowMs: 60_000, per: 'principal' },
    openapi: { consumes: ['text/csv', 'application/json'] },
    handler: async (request, reply) => {
      const model = await ctx.models.active(request.params.id);
      const { rows, csvIn } = batchRows(request.body, ctx.config.limits.batchRows);
      const accept = request.headers.accept ?? '';
      const csvOut = accept.includes('text/csv') ? true : accept.includes('application/x-ndjson') ? false : csvIn;
      const [settings, key] = await Promise.all([ctx.settings.get(), ctx.settings.auditHashKey()]);
      // The audit record is committed before any result leaves the server.
      await ctx.writer.audit({
        ...actorOf(request),
        action: 'predict.batch',
        outcome: 'success',
        modelId: model.id,
        modelVersion: model.version,
        inputsHash: hashInputs(key, rows),
        ...(settings.storePatientInputs ? { inputs: rows } : {}),
        details: { rows: rows.length, format: csvIn ? 'csv' : 'json' },
      });
      ctx.metrics.predictions.inc({ model: model.id, version: model.version, outcome: 'batch' }, rows.length);
      async function* out(): AsyncGenerator<string> {
        if (csvOut) yield 'row,probability,label,band,error\n';
        for (let start = 0; start < rows.length; start += 1000) {
          const chunk = rows.slice(start, start + 1000);
          const items = await model.predictor.predictBatch(chunk);
          let text = '';
          items.forEach((item, i) => {
            const row = start + i + 1;
            if (item.ok) {
              const p = item.prediction;
              ctx.monitoring.record(model, p.values as FeatureRecord, p.label === 1, null);
              text += csvOut
                ? `${row},${p.probability},${p.label},${p.band.id},\n`
                : `${JSON.stringify({ row, probability: p.probability, label: p.label, band: p.band.id, warnings: p.warnings })}\n`;
            } else {
              const msg = item.error.message;
              text += csvOut
                ? `${row},,,,"${msg.replace(/"/g, '""')}"\n`
                : `${JSON.stringify({ row, error: { code: item.error.code, message: msg, issues: item.error.issues } })}\n`;
            }
          });
          yield text;
        }
      }
      reply.type(csvOut ? 'text/csv; charset=utf-8' : 'application/x-ndjson');
      return reply.send(Readable.from(out()));
    },
  });
}
