import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import {
  type CdsHooksService,
  createCdsHooksService,
  createFhirKitSource,
  extractFeatures,
  type FeedbackRecord,
  fetchPatientRecord,
  type JtiStore,
} from '@cairn/fhir-adapter';
import type { Prediction, Predictor } from '@cairn/node';
import { decodeJwt } from 'jose';
import { z } from 'zod';
import { hashInputs, writeAudit } from '../audit/audit.js';
import { actorOf, type ServerContext } from '../context.js';
import type { RouteDef } from '../http/app.js';
import { conflict, HttpError, notFound } from '../http/problem.js';
import type { LoadedModel } from '../models/registry.js';

type Route = <B, Q, P>(def: RouteDef<B, Q, P>) => void;

/** A SMART on FHIR context kept in the server-side session after an EHR launch. */
export interface SmartContext {
  readonly fhirBaseUrl: string;
  readonly accessToken: string;
  readonly patientId?: string;
  readonly expiresAt?: number;
}

/** The SMART context of a session, when a launch stored one that has not expired. */
export async function smartContextOf(ctx: ServerContext, sessionHash: string | undefined): Promise<SmartContext | undefined> {
  if (!sessionHash) return undefined;
  const { rows } = await ctx.db.query<{ smart: SmartContext | null }>("select data->'smart' as smart from sessions where id_hash = $1", [
    sessionHash,
  ]);
  const s = rows[0]?.smart ?? undefined;
  if (!s || (s.expiresAt !== undefined && s.expiresAt < Date.now())) return undefined;
  return s;
}

const idHash = (v: string) => createHash('sha256').update(v).digest('hex').slice(0, 16);

/** Replay protection for CDS client JWTs shared by every instance (a jti is accepted once until it expires). */
function databaseJtiStore(ctx: ServerContext): JtiStore {
  return {
    async claim(key, expiresAtMs) {
      const { rows } = await ctx.db.query<{ key: string }>(
        `insert into cds_jti (key, expires_at) values ($1, $2)
         on conflict (key) do update set expires_at = excluded.expires_at where cds_jti.expires_at < now()
         returning key`,
        [key.slice(0, 500), new Date(expiresAtMs).toISOString()],
      );
      return rows.length > 0;
    },
  };
}

/** FHIR patient loading, and CDS Hooks services for every active model with a FHIR mapping. */
export function fhirRoutes(route: Route, ctx: ServerContext): void {
  route({
    method: 'GET',
    url: '/api/v1/models/:id/fhir/patients/:patientId',
    access: 'predict',
    summary: "Read a patient's features from FHIR: the SMART launch's server when there is one, else FHIR_BASE_URL",
    description: 'Returns the feature record (null where missing), what is missing and why, and where each value came from.',
    tags: ['predict'],
    params: z.strictObject({ id: z.string().max(128), patientId: z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/, 'must be a FHIR id') }),
    handler: async (request) => {
      const model = await ctx.models.active(request.params.id);
      if (!model.mapping) throw conflict(`Model '${model.id}' has no FHIR mapping, so patients cannot be read from FHIR for it`);
      const smart = await smartContextOf(ctx, request.principal?.sessionHash);
      const server = smart ? { baseUrl: smart.fhirBaseUrl, bearerToken: smart.accessToken } : ctx.config.fhir;
      if (!server)
        throw new HttpError(409, 'conflict', 'No FHIR server is configured (FHIR_BASE_URL) and there is no SMART launch in this session');
      const source = createFhirKitSource({
        baseUrl: server.baseUrl,
        ...(server.bearerToken ? { bearerToken: server.bearerToken } : {}),
        retry: { retries: 1 },
      });
      const { resources } = await fetchPatientRecord(source, request.params.patientId, model.mapping);
      const extraction = extractFeatures(resources, model.mapping, { features: model.bundle.manifest.features });
      await ctx.writer.audit({
        ...actorOf(request),
        action: 'fhir.read',
        outcome: 'success',
        modelId: model.id,
        modelVersion: model.version,
        targetType: 'patient',
        // The patient id is an identifier: only a short hash is kept.
        targetId: idHash(request.params.patientId),
        details: { server: server.baseUrl, missing: extraction.missing.length, via: smart ? 'smart' : 'configured' },
      });
      return extraction;
    },
  });

  route({
    method: 'GET',
    url: '/api/v1/smart/context',
    access: 'predict',
    summary: 'The SMART launch context of this session (FHIR server and patient), without the token',
    tags: ['predict'],
    handler: async (request) => {
      const smart = await smartContextOf(ctx, request.principal?.sessionHash);
      return {
        smart: smart ? { fhirBaseUrl: smart.fhirBaseUrl, patientId: smart.patientId ?? null } : null,
        fhirServer: ctx.config.fhir?.baseUrl ?? null,
      };
    },
  });

  if (!ctx.config.cds.enabled) return;

  // The predictor handed to each CDS service records the prediction of the current request, so the
  // route can audit it (the service itself is framework- and audit-agnostic).
  const current = new AsyncLocalStorage<{ prediction?: Prediction; started: number }>();
  const services = new Map<string, { version: string; service: CdsHooksService }>();
  const jtiStore = databaseJtiStore(ctx);

  function wrap(predictor: Predictor): Predictor {
    return new Proxy(predictor, {
      get(target, prop, receiver) {
        if (prop === 'predict') {
          return async (record: unknown) => {
            const p = await target.predict(record);
            const store = current.getStore();
            if (store) store.prediction = p;
            return p;
          };
        }
        return Reflect.get(target, prop, receiver);
      },
    });
  }

  function serviceFor(model: LoadedModel): CdsHooksService {
    const existing = services.get(model.id);
    if (existing && existing.version === model.version) return existing.service;
    const m = model.bundle.manifest;
    const service = createCdsHooksService({
      id: model.id,
      title: m.name,
      description: m.description || m.intendedUse,
      predictor: wrap(model.predictor),
      mapping: model.mapping,
      serviceUrl: ctx.config.publicUrl,
      auth: ctx.config.cds.auth === 'off' ? false : { trustedClients: ctx.config.cds.trustedClients as never, jtiStore },
      source: { label: 'Cairn', url: ctx.config.publicUrl },
      ...(ctx.config.smart ? { smartApp: { url: `${ctx.config.publicUrl}/smart/launch`, label: 'Open in Cairn' } } : {}),
      feedbackSink: {
        record: async (items: readonly FeedbackRecord[]) => {
          await ctx.db.transaction(async (tx) => {
            for (const item of items) {
              await tx.query('insert into cds_feedback (service_id, card, outcome, client, item) values ($1, $2, $3, $4, $5::jsonb)', [
                item.serviceId,
                item.card,
                item.outcome,
                item.client ?? null,
                JSON.stringify(item),
              ]);
            }
            await writeAudit(
              tx,
              items.map((item) => ({
                actorId: null,
                actor: item.client ?? 'cds-client',
                actorKind: 'cds' as const,
                action: 'cds.feedback',
                outcome: 'success' as const,
                modelId: model.id,
                modelVersion: model.version,
                targetType: 'cds-card',
                targetId: item.card,
                details: { outcome: item.outcome },
              })),
            );
          });
        },
      },
      ...(model.explainer
        ? {
            explain: async (prediction: Prediction) => (model.explainer ? model.explainer.explain(prediction.values) : undefined),
          }
        : {}),
    });
    services.set(model.id, { version: model.version, service });
    return service;
  }

  async function activeServices(): Promise<CdsHooksService[]> {
    const list = await ctx.models.list();
    const out: CdsHooksService[] = [];
    for (const m of list) {
      const v = m.versions.find((x) => x.version === m.activeVersion);
      if (!v?.hasFhirMapping) continue;
      out.push(serviceFor(await ctx.models.active(m.id)));
    }
    return out;
  }

  route({
    method: 'GET',
    url: '/cds-services',
    access: 'public',
    summary: 'CDS Hooks discovery: a patient-view service for every active model with a FHIR mapping',
    tags: ['cds-hooks'],
    handler: async () => ({ services: (await activeServices()).flatMap((s) => s.discovery().services) }),
  });

  for (const suffix of ['', '/feedback'] as const) {
    route({
      method: 'POST',
      url: `/cds-services/:id${suffix}`,
      access: 'public',
      csrf: false,
      summary: suffix ? 'CDS Hooks feedback on a card' : 'CDS Hooks patient-view: one card with the risk (JWT-authenticated CDS clients)',
      tags: ['cds-hooks'],
      params: z.strictObject({ id: z.string().max(128) }),
      handler: async (request, reply) => {
        const list = await ctx.models.list();
        const m = list.find((x) => x.id === request.params.id);
        const v = m?.versions.find((x) => x.version === m.activeVersion);
        if (!m || !v?.hasFhirMapping) throw notFound(`CDS service '${request.params.id}'`);
        const model = await ctx.models.active(m.id);
        const service = serviceFor(model);
        const store = { started: performance.now() } as { prediction?: Prediction; started: number };
        const res = await current.run(store, () =>
          service.handle({
            method: request.method,
            path: request.url.split('?')[0] as string,
            headers: request.headers,
            body: request.body,
          }),
        );
        if (store.prediction) {
          let client = 'cds-client';
          try {
            const token = String(request.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
            if (token) client = String(decodeJwt(token).iss ?? client);
          } catch {
            // No or opaque token (CDS_AUTH=off).
          }
          const key = await ctx.settings.auditHashKey();
          const settings = await ctx.settings.get();
          ctx.monitoring.record(model, store.prediction.values, store.prediction.label === 1, performance.now() - store.started);
          await ctx.writer.audit({
            actorId: null,
            actor: client,
            actorKind: 'cds',
            action: 'cds.predict',
            outcome: 'success',
            modelId: model.id,
            modelVersion: model.version,
            inputsHash: hashInputs(key, store.prediction.values),
            ...(settings.storePatientInputs ? { inputs: store.prediction.values } : {}),
            ip: request.ip,
            requestId: request.id,
          });
        }
        return reply
          .code(res.status)
          .headers(res.headers as Record<string, string>)
          .send(res.body);
      },
    });
  }
}
