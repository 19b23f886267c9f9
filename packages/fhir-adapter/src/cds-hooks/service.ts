import { CairnError, type Issue, isCairnError, type Prediction, type Predictor } from '@cairn/core';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { z } from 'zod';
import type { PredictionExplanation } from '../explanation.js';
import { type ExtractionResult, extractFeatures, resolveMapping } from '../extract.js';
import { createFhirKitSource } from '../fhir-kit-source.js';
import { isFhirRequestError } from '../http-errors.js';
import type { RetryOptions } from '../retry.js';
import { type FetchRecordOptions, type FhirSource, fetchPatientRecord, prefetchTemplates, type QueryOptions } from '../source.js';
import { type CardOptions, insufficientDataCard, riskCard } from './cards.js';
import { type CdsAuthOptions, type CdsJwtClaims, verifyCdsJwt } from './jwt.js';
import type {
  CdsDiscoveryResponse,
  CdsHookResponse,
  CdsHttpRequest,
  CdsHttpResponse,
  CdsServiceDefinition,
  FeedbackRecord,
  FeedbackSink,
} from './types.js';

/** Options of {@link createCdsHooksService}. */
export interface CdsHooksServiceOptions extends CardOptions {
  /** Service id (the URL segment after /cds-services/). */
  readonly id: string;
  readonly title: string;
  readonly description: string;
  /** Scores patients: `createPredictor` from @cairn/core (keeps the service model-agnostic). */
  readonly predictor: Predictor;
  /** The FHIR mapping (fhir-mapping.json, object or parsed). */
  readonly mapping: unknown;
  /** Public base URL where `/cds-services` is mounted, e.g. https://cds.example.org: the JWT `aud` is `${serviceUrl}/cds-services/${id}`. */
  readonly serviceUrl: string;
  /** JWT verification of CDS Clients; `false` turns it off (local development only). */
  readonly auth: CdsAuthOptions | false;
  /** Stores clinicians' feedback on cards. */
  readonly feedbackSink?: FeedbackSink;
  /** Explains a prediction (e.g. SHAP from @cairn/core) for the card's contributors. */
  readonly explain?: (prediction: Prediction, extraction: ExtractionResult) => Promise<PredictionExplanation | undefined>;
  /** Opens the EHR's FHIR server when prefetch is missing; defaults to fhir-kit-client with the hook's bearer token. */
  readonly createSource?: (fhirServer: string, accessToken: string | undefined) => FhirSource;
  /** Searches (page size, code parameter) and paging limits when fetching. */
  readonly query?: QueryOptions & Pick<FetchRecordOptions, 'maxPages'>;
  readonly retry?: RetryOptions;
  /** Clock, for tests. */
  readonly now?: () => Date;
  /** Card ids, for tests. */
  readonly uuid?: () => string;
}

/** A CDS Hooks 2.0 `patient-view` service for one model, independent of any web framework. */
export interface CdsHooksService {
  readonly id: string;
  /** The discovery document (GET /cds-services). */
  discovery(): CdsDiscoveryResponse;
  /** Routes a request: GET …/cds-services, POST …/cds-services/{id}, POST …/cds-services/{id}/feedback. */
  handle(request: CdsHttpRequest): Promise<CdsHttpResponse>;
}

const fhirAuthorizationSchema = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().refine((t) => t.toLowerCase() === 'bearer', 'must be Bearer'),
  expires_in: z.number().optional(),
  scope: z.string(),
  subject: z.string(),
  patient: z.string().optional(),
});

/** Schema of a `patient-view` hook request (CDS Hooks 2.0). */
export const patientViewRequestSchema = z.looseObject({
  hook: z.literal('patient-view'),
  hookInstance: z.string().min(1),
  fhirServer: z.url().optional(),
  fhirAuthorization: fhirAuthorizationSchema.optional(),
  context: z.looseObject({ userId: z.string().min(1), patientId: z.string().min(1), encounterId: z.string().optional() }),
  prefetch: z.record(z.string(), z.unknown()).optional(),
});

const codingSchema = z.looseObject({ system: z.string().optional(), code: z.string().optional(), display: z.string().optional() });

/** Schema of a feedback request (CDS Hooks 2.0). */
export const feedbackRequestSchema = z.looseObject({
  feedback: z
    .array(
      z.looseObject({
        card: z.string().min(1),
        outcome: z.enum(['accepted', 'overridden']),
        acceptedSuggestions: z.array(z.looseObject({ id: z.string() })).optional(),
        overrideReason: z.looseObject({ reason: codingSchema.optional(), userComment: z.string().optional() }).optional(),
        outcomeTimestamp: z.iso.datetime({ offset: true }),
      }),
    )
    .min(1),
});

const JSON_HEADERS = { 'content-type': 'application/json' };

function reply(status: number, body: unknown): CdsHttpResponse {
  return { status, headers: JSON_HEADERS, body };
}

function problem(status: number, error: string, issues?: readonly Issue[]): CdsHttpResponse {
  return reply(status, { error, ...(issues && issues.length > 0 ? { issues } : {}) });
}

function header(request: CdsHttpRequest, name: string): string | undefined {
  const entry = Object.entries(request.headers).find(([k]) => k.toLowerCase() === name);
  const v = entry?.[1];
  return Array.isArray(v) ? v[0] : (v as string | undefined);
}

function zodIssues(error: z.ZodError): Issue[] {
  return error.issues.map((i) => ({
    path: i.path.map((p) => (typeof p === 'symbol' ? String(p) : p)),
    rule: 'invalid',
    message: i.message,
    severity: 'error',
  }));
}

function randomUuid(): string {
  return globalThis.crypto.randomUUID();
}

/**
 * Creates a CDS Hooks 2.0 service that scores the patient in view: discovery with prefetch
 * templates from the mapping, JWT-authenticated hook and feedback endpoints, data from prefetch
 * or the EHR's FHIR server, and one card with the risk, its band, contributors and the data used.
 */
export function createCdsHooksService(options: CdsHooksServiceOptions): CdsHooksService {
  const manifest = options.predictor.bundle.manifest;
  const mapping = resolveMapping(options.mapping, manifest.features);
  const prefetch = prefetchTemplates(mapping, options.query);
  const endpoint = `${options.serviceUrl.replace(/\/+$/, '')}/cds-services/${options.id}`;
  const now = options.now ?? (() => new Date());
  const uuid = options.uuid ?? randomUuid;
  const definition: CdsServiceDefinition = {
    hook: 'patient-view',
    title: options.title,
    description: options.description,
    id: options.id,
    prefetch,
    usageRequirements: `Estimates ${manifest.name} ${manifest.version} from the patient's record. ${manifest.intendedUse}`.slice(0, 500),
  };

  type Auth = { ok: true; claims: CdsJwtClaims | undefined } | { ok: false; response: CdsHttpResponse };
  async function authenticate(request: CdsHttpRequest, audiences: string[]): Promise<Auth> {
    if (options.auth === false) return { ok: true, claims: undefined };
    try {
      return { ok: true, claims: await verifyCdsJwt(header(request, 'authorization'), audiences, options.auth) };
    } catch (error) {
      const e = isCairnError(error) ? error : new CairnError('signature_invalid', 'authentication failed', { cause: error });
      return {
        ok: false,
        response: { status: 401, headers: { ...JSON_HEADERS, 'www-authenticate': 'Bearer' }, body: { error: e.message } },
      };
    }
  }

  async function gather(req: z.output<typeof patientViewRequestSchema>): Promise<Resource[] | CdsHttpResponse> {
    const resources: Resource[] = [];
    const missingKeys: string[] = [];
    for (const key of Object.keys(prefetch)) {
      const value = req.prefetch?.[key];
      if (value === undefined || value === null) missingKeys.push(key);
      else if (typeof value === 'object' && typeof (value as Resource).resourceType === 'string') resources.push(value as Resource);
    }
    if (missingKeys.length === 0) return resources;
    if (!req.fhirServer) {
      if (missingKeys.includes('patient')) {
        return problem(412, 'the Patient was not prefetched and no fhirServer was given to fetch it from');
      }
      return resources; // the rest is reported as missing data on the card
    }
    const source = (
      options.createSource ??
      ((url, token) =>
        createFhirKitSource({ baseUrl: url, ...(token ? { bearerToken: token } : {}), ...(options.retry ? { retry: options.retry } : {}) }))
    )(req.fhirServer, req.fhirAuthorization?.access_token);
    try {
      const fetched = await fetchPatientRecord(source, req.context.patientId, mapping, {
        ...options.query,
        asOf: now(),
        keys: missingKeys,
      });
      return [...resources, ...fetched.resources];
    } catch (error) {
      if (isFhirRequestError(error)) return problem(412, `the FHIR server could not provide the patient's data: ${error.message}`);
      throw error;
    }
  }

  async function patientView(request: CdsHttpRequest): Promise<CdsHttpResponse> {
    const parsed = patientViewRequestSchema.safeParse(request.body);
    if (!parsed.success) return problem(400, 'not a valid patient-view request', zodIssues(parsed.error));
    const req = parsed.data;
    const gathered = await gather(req);
    if (!Array.isArray(gathered)) return gathered;
    const bundle: Bundle = { resourceType: 'Bundle', type: 'collection', entry: gathered.map((resource) => ({ resource })) };
    let extraction: ExtractionResult;
    try {
      extraction = extractFeatures(bundle, mapping, { asOf: now(), patientId: req.context.patientId, features: manifest.features });
    } catch (error) {
      if (isCairnError(error) && (error.code === 'not_found' || error.code === 'invalid_input' || error.code === 'invalid_argument')) {
        return problem(412, error.message, error.issues);
      }
      throw error;
    }
    const checked = options.predictor.validate(extraction.record);
    if (!checked.ok) {
      return reply(200, {
        cards: [insufficientDataCard(manifest, extraction, checked.issues, { ...options, uuid: uuid() })],
      } satisfies CdsHookResponse);
    }
    const prediction = await options.predictor.predict(extraction.record);
    let explanation: PredictionExplanation | undefined;
    if (options.explain) {
      // A failed explanation costs the card its contributors, not the risk.
      explanation = await options.explain(prediction, extraction).catch(() => undefined);
    }
    const card = riskCard(manifest, prediction, extraction, explanation, { ...options, uuid: uuid() });
    return reply(200, { cards: [card] } satisfies CdsHookResponse);
  }

  async function feedback(request: CdsHttpRequest, claims: CdsJwtClaims | undefined): Promise<CdsHttpResponse> {
    const parsed = feedbackRequestSchema.safeParse(request.body);
    if (!parsed.success) return problem(400, 'not a valid feedback request', zodIssues(parsed.error));
    const receivedAt = now().toISOString();
    const records: FeedbackRecord[] = parsed.data.feedback.map((f) => ({
      ...(f as unknown as FeedbackRecord),
      serviceId: options.id,
      client: claims?.iss,
      receivedAt,
    }));
    await options.feedbackSink?.record(records);
    return reply(200, {});
  }

  return {
    id: options.id,
    discovery: () => ({ services: [definition] }),
    async handle(request) {
      const path = request.path.split('?')[0]?.replace(/\/+$/, '') ?? '';
      const method = request.method.toUpperCase();
      const m = /\/cds-services(?:\/([^/]+)(\/feedback)?)?$/.exec(path);
      if (!m) return problem(404, 'not a CDS Hooks endpoint');
      const [, id, isFeedback] = m;
      if (!id) return method === 'GET' ? reply(200, { services: [definition] }) : problem(405, 'use GET for discovery');
      if (id !== options.id) return problem(404, `no CDS service '${id}'`);
      if (method !== 'POST') return problem(405, 'use POST');
      const auth = await authenticate(request, isFeedback ? [endpoint, `${endpoint}/feedback`] : [endpoint]);
      if (!auth.ok) return auth.response;
      try {
        return isFeedback ? await feedback(request, auth.claims) : await patientView(request);
      } catch (error) {
        const e = isCairnError(error) ? error : new CairnError('internal', 'the CDS service failed', { cause: error });
        return problem(e.code === 'invalid_input' ? 400 : 500, e.message);
      }
    },
  };
}
