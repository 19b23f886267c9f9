import { CairnError, type Issue, issue } from '@cairn/core';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { resolveMapping } from './extract.js';
import type { FeatureMappingSpec, MappedCode } from './mapping.js';

/** A FHIR R4 server as the adapter uses it; see createFhirKitSource and createMedplumSource. */
export interface FhirSource {
  /** Base URL of the FHIR server. */
  readonly baseUrl: string;
  /** Reads one resource; throws FhirRequestError (reason not_found, unauthorized, …). */
  read(resourceType: string, id: string): Promise<Resource>;
  /** Runs a search and yields its pages, following `next` links on the same server. */
  searchPages(resourceType: string, params: Readonly<Record<string, string>>): AsyncIterable<Bundle>;
  /** Creates a resource and returns it as stored. */
  create<T extends Resource>(resource: T): Promise<T>;
}

/** One search the mapping needs for a patient. */
export interface MappingQuery {
  /** Prefetch key (CDS Hooks) and label. */
  readonly key: string;
  readonly resourceType: 'Observation' | 'Condition' | 'MedicationRequest' | 'MedicationStatement';
  /** Search parameters without the patient. */
  readonly params: Readonly<Record<string, string>>;
  /** For observation queries: the features served and the oldest date they need. */
  readonly features: readonly string[];
  /** Look-back of the features in days (paging stops past it), or undefined for all. */
  readonly lookbackDays: number | undefined;
  /** Whether one usable entry is enough (select: latest). */
  readonly latestOnly: boolean;
}

/** Options of {@link mappingQueries}. */
export interface QueryOptions {
  /**
   * Page size (`_count`).
   * @defaultValue 100
   */
  pageSize?: number;
  /**
   * Search parameter for observation codes: `combo-code` also matches panel components
   * (8480-6 inside an 85354-9 blood-pressure panel); use `code` for servers without it.
   * @defaultValue 'combo-code'
   */
  observationCodeParam?: 'combo-code' | 'code';
}

function tokens(codes: readonly MappedCode[]): string {
  return [...new Set(codes.map((c) => `${c.system}|${c.code}`))].join(',');
}

/** The FHIR searches that fetch what a mapping reads for one patient (Patient itself is read by id). */
export function mappingQueries(mapping: unknown, options: QueryOptions = {}): MappingQuery[] {
  const spec: FeatureMappingSpec = resolveMapping(mapping);
  const count = String(options.pageSize ?? 100);
  const codeParam = options.observationCodeParam ?? 'combo-code';
  const queries: MappingQuery[] = [];
  const conditionCodes: MappedCode[] = [];
  const medicationCodes: MappedCode[] = [];
  let conditionFeatures: string[] = [];
  let medicationFeatures: string[] = [];
  for (const [name, m] of Object.entries(spec.features)) {
    if (m.source === 'observation') {
      queries.push({
        key: `obs-${name}`,
        resourceType: 'Observation',
        params: { [codeParam]: tokens(m.codes), _sort: '-date', _count: count },
        features: [name],
        lookbackDays: m.lookbackDays ?? spec.lookbackDays,
        latestOnly: m.select === 'latest',
      });
    } else if (m.source === 'condition') {
      conditionCodes.push(...m.codes);
      conditionFeatures = [...conditionFeatures, name];
    } else if (m.source === 'medication') {
      medicationCodes.push(...m.codes);
      medicationFeatures = [...medicationFeatures, name];
    }
  }
  // A token search cannot match an ICD-10 prefix (E11*): then every condition is fetched.
  if (conditionCodes.length > 0) {
    const all = conditionCodes.some((c) => c.prefix);
    queries.push({
      key: 'conditions',
      resourceType: 'Condition',
      params: { ...(all ? {} : { code: tokens(conditionCodes) }), _count: count },
      features: conditionFeatures,
      lookbackDays: undefined,
      latestOnly: false,
    });
  }
  if (medicationCodes.length > 0) {
    const all = medicationCodes.some((c) => c.prefix);
    const params = { ...(all ? {} : { code: tokens(medicationCodes) }), _count: count };
    for (const resourceType of ['MedicationRequest', 'MedicationStatement'] as const) {
      queries.push({
        key: resourceType === 'MedicationRequest' ? 'medication-requests' : 'medication-statements',
        resourceType,
        params,
        features: medicationFeatures,
        lookbackDays: undefined,
        latestOnly: false,
      });
    }
  }
  return queries;
}

/** CDS Hooks prefetch templates for a mapping: the Patient and each search, with `{{context.patientId}}`. */
export function prefetchTemplates(mapping: unknown, options: QueryOptions = {}): Record<string, string> {
  const out: Record<string, string> = { patient: 'Patient/{{context.patientId}}' };
  for (const q of mappingQueries(mapping, options)) {
    const params = new URLSearchParams({ patient: '{{context.patientId}}', ...q.params });
    out[q.key] = `${q.resourceType}?${params.toString().replace(/%7B%7Bcontext.patientId%7D%7D/g, '{{context.patientId}}')}`;
  }
  return out;
}

/** Options of {@link fetchPatientRecord}. */
export interface FetchRecordOptions extends QueryOptions {
  /**
   * The as-of date: paging stops once results are older than every look-back window.
   * @defaultValue now
   */
  asOf?: Date | string;
  /**
   * Most pages read per search.
   * @defaultValue 20
   */
  maxPages?: number;
  /** Only these prefetch keys (`patient`, `obs-<feature>`, `conditions`…); all by default. */
  keys?: readonly string[];
}

/** A patient's resources fetched from a FHIR server, with notes on truncated searches. */
export interface FetchedRecord {
  readonly resources: Resource[];
  readonly issues: readonly Issue[];
}

const DAY_MS = 86_400_000;
const UNUSABLE = new Set(['entered-in-error', 'cancelled']);

function entryTime(r: Resource): number {
  const o = r as {
    effectiveDateTime?: string;
    effectiveInstant?: string;
    effectivePeriod?: { start?: string; end?: string };
    issued?: string;
  };
  const t = Date.parse(o.effectiveDateTime ?? o.effectiveInstant ?? o.effectivePeriod?.end ?? o.effectivePeriod?.start ?? o.issued ?? '');
  return t;
}

/**
 * Fetches what a mapping needs for one patient: reads the Patient, runs each search sorted
 * newest first and follows `next` links until the results are older than the look-back.
 */
export async function fetchPatientRecord(
  source: FhirSource,
  patientId: string,
  mapping: unknown,
  options: FetchRecordOptions = {},
): Promise<FetchedRecord> {
  if (typeof patientId !== 'string' || !/^[A-Za-z0-9\-.]{1,64}$/.test(patientId)) {
    throw new CairnError('invalid_argument', `patientId: '${String(patientId)}' is not a FHIR id`, {
      issues: [issue(['patientId'], 'format', 'must be a FHIR id')],
    });
  }
  const asOf = options.asOf === undefined ? Date.now() : new Date(options.asOf).getTime();
  const maxPages = options.maxPages ?? 20;
  const issues: Issue[] = [];
  const wanted = options.keys ? new Set(options.keys) : undefined;
  const resources: Resource[] = [];
  if (!wanted || wanted.has('patient')) resources.push(await source.read('Patient', patientId));
  const seen = new Set<string>([`Patient/${patientId}`]);
  const add = (r: Resource) => {
    const key = r.id ? `${r.resourceType}/${r.id}` : undefined;
    if (key && seen.has(key)) return;
    if (key) seen.add(key);
    resources.push(r);
  };
  for (const q of mappingQueries(mapping, options)) {
    if (wanted && !wanted.has(q.key)) continue;
    const windowStart = q.lookbackDays === undefined ? Number.NEGATIVE_INFINITY : asOf - q.lookbackDays * DAY_MS;
    let pages = 0;
    let usable = false;
    for await (const page of source.searchPages(q.resourceType, { patient: patientId, ...q.params })) {
      pages++;
      let oldest = Number.POSITIVE_INFINITY;
      for (const e of page.entry ?? []) {
        const r = e.resource;
        if (!r || (e.search?.mode !== undefined && e.search.mode !== 'match' && e.search.mode !== 'include')) continue;
        add(r);
        const t = entryTime(r);
        if (Number.isFinite(t)) oldest = Math.min(oldest, t);
        const status = (r as { status?: string }).status;
        if (t <= asOf && !UNUSABLE.has(status ?? '') && !(r as { dataAbsentReason?: unknown }).dataAbsentReason) usable = true;
      }
      // Sorted newest first: once a page reaches past the window (or holds a usable latest value), older pages add nothing.
      if (q.resourceType === 'Observation' && (oldest < windowStart || (q.latestOnly && usable))) break;
      if (pages >= maxPages) {
        issues.push(
          issue(
            [q.key],
            'shape',
            `${q.resourceType} search for ${q.features.join(', ')} stopped after ${maxPages} pages; older results were not read`,
            'warning',
          ),
        );
        break;
      }
    }
  }
  return { resources, issues };
}
