import { CairnError, type Issue, issue, limitExceeded } from '@cairn/core';
import type {
  CodeableConcept,
  Condition,
  Medication,
  MedicationRequest,
  MedicationStatement,
  Observation,
  Patient,
  Resource,
} from '@medplum/fhirtypes';
import { codingKey } from './systems.js';

/** An Observation value site: the Observation itself (`component` -1) or one of its components. */
export interface ObservationHit {
  readonly resource: Observation;
  readonly component: number;
  /** Effective time in ms since the epoch; NaN when the Observation has no usable date. */
  readonly time: number;
  readonly ref: string;
}

/** A Condition with its reference. */
export interface ConditionHit {
  readonly resource: Condition;
  readonly ref: string;
}

/** A MedicationRequest or MedicationStatement with its resolved medication code(s). */
export interface MedicationHit {
  readonly resource: MedicationRequest | MedicationStatement;
  readonly ref: string;
  readonly time: number;
}

/** Resources of one patient indexed by type and code, built once per record. */
export interface ResourceIndex {
  readonly patient: Patient | undefined;
  readonly patientRef: string | undefined;
  readonly observations: ReadonlyMap<string, readonly ObservationHit[]>;
  /** system → code → conditions (a nested map so ICD-10 prefixes can be matched). */
  readonly conditions: ReadonlyMap<string, ReadonlyMap<string, readonly ConditionHit[]>>;
  readonly medications: ReadonlyMap<string, ReadonlyMap<string, readonly MedicationHit[]>>;
  /** Resources read, by type (after dropping other patients' resources). */
  readonly counts: Readonly<Record<string, number>>;
  /** Resources skipped (malformed, other patients). */
  readonly issues: readonly Issue[];
}

/** Options of {@link indexResources}. */
export interface IndexOptions {
  /** Which patient, when the input holds several. */
  patientId?: string;
  /**
   * Most resources accepted; larger inputs are refused with `limit_exceeded`.
   * @defaultValue 250000
   */
  maxResources?: number;
}

interface Item {
  readonly resource: Resource;
  readonly fullUrl: string | undefined;
  /** Path of the enclosing Bundle (shared) and the entry index: the full path is built only for issues. */
  readonly parent: ReadonlyArray<string | number>;
  readonly index: number;
}

function pathOf(it: Item): Array<string | number> {
  return it.index < 0 ? [...it.parent] : [...it.parent, 'entry', it.index, 'resource'];
}

const MAX_ISSUES = 200;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function flatten(input: unknown, max: number): { items: Item[]; issues: Issue[] } {
  const items: Item[] = [];
  const issues: Issue[] = [];
  const note = (i: Issue) => {
    if (issues.length < MAX_ISSUES) issues.push(i);
  };
  const visit = (value: unknown, fullUrl: string | undefined, parent: Array<string | number>, index: number, depth: number) => {
    if (!isObject(value) || typeof value.resourceType !== 'string' || value.resourceType === '') {
      note(
        issue(
          index < 0 ? parent : [...parent, 'entry', index, 'resource'],
          'type',
          'not a FHIR resource (an object with a resourceType); skipped',
          'warning',
        ),
      );
      return;
    }
    if (value.resourceType === 'Bundle') {
      if (depth > 2) {
        note(issue(index < 0 ? parent : [...parent, 'entry', index, 'resource'], 'shape', 'Bundle nested too deeply; skipped', 'warning'));
        return;
      }
      const entries = value.entry;
      if (entries === undefined) return;
      const bundlePath = index < 0 ? parent : [...parent, 'entry', index, 'resource'];
      if (!Array.isArray(entries)) {
        note(issue([...bundlePath, 'entry'], 'type', 'Bundle.entry must be an array; skipped', 'warning'));
        return;
      }
      if (items.length + entries.length > max) throw tooMany(items.length + entries.length, max);
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i] as unknown;
        if (!isObject(e)) {
          note(issue([...bundlePath, 'entry', i], 'type', 'Bundle entry is not an object; skipped', 'warning'));
          continue;
        }
        if ((e.search as { mode?: string } | undefined)?.mode === 'outcome') continue;
        if (e.resource === undefined) continue; // a transaction-response or delete entry carries no resource
        visit(e.resource, typeof e.fullUrl === 'string' ? e.fullUrl : undefined, bundlePath, i, depth + 1);
      }
      return;
    }
    if (items.length >= max) throw tooMany(items.length + 1, max);
    items.push({ resource: value as unknown as Resource, fullUrl, parent, index });
  };
  if (Array.isArray(input)) {
    if (input.length > max) throw tooMany(input.length, max);
    for (let i = 0; i < input.length; i++) visit(input[i], undefined, [i], -1, 1);
  } else if (isObject(input) && input.resourceType === 'Bundle') visit(input, undefined, [], -1, 0);
  else {
    throw new CairnError('invalid_input', 'FHIR input must be a Bundle or an array of resources', {
      issues: [issue([], 'type', 'expected a Bundle (searchset, collection, transaction…) or an array of resources')],
    });
  }
  return { items, issues };
}

function tooMany(count: number, max: number): CairnError {
  return limitExceeded(`the FHIR input holds ${count} or more resources; at most ${max} are read for one patient (raise maxResources)`, [
    'resources',
  ]);
}

function refOf(r: Resource, fullUrl: string | undefined): string {
  return typeof r.id === 'string' && r.id !== '' ? `${r.resourceType}/${r.id}` : (fullUrl ?? `${r.resourceType}/(no id)`);
}

/** Parses a FHIR date/dateTime/instant to ms since the epoch; NaN when absent or malformed. */
export function fhirTime(value: unknown): number {
  if (typeof value !== 'string' || value.length < 4) return Number.NaN;
  // Date.parse accepts all FHIR date forms except a bare year; the format check keeps out
  // strings it would also accept ("March 3, 2020", "2020/03/03") that are not FHIR dates.
  const c = value.charCodeAt(4);
  if (value.length === 4) return /^\d{4}$/.test(value) ? Date.parse(`${value}-01-01`) : Number.NaN;
  if (c !== 45 /* - */ || !/^\d{4}-\d{2}/.test(value)) return Number.NaN;
  return Date.parse(value);
}

function observationTime(o: Observation): number {
  const t = fhirTime(o.effectiveDateTime ?? o.effectiveInstant ?? o.effectivePeriod?.end ?? o.effectivePeriod?.start);
  return Number.isNaN(t) ? fhirTime(o.issued) : t;
}

function codings(concept: CodeableConcept | undefined): Array<{ system?: string; code: string }> {
  const out: Array<{ system?: string; code: string }> = [];
  if (!isObject(concept) || !Array.isArray(concept.coding)) return out;
  for (const c of concept.coding) {
    if (isObject(c) && typeof c.code === 'string' && c.code !== '')
      out.push({ system: typeof c.system === 'string' ? c.system : undefined, code: c.code } as { system?: string; code: string });
  }
  return out;
}

function indexCodes(map: Map<string, ObservationHit[]>, concept: unknown, hit: ObservationHit): void {
  const coding = isObject(concept) ? concept.coding : undefined;
  if (!Array.isArray(coding)) return;
  for (const c of coding) {
    if (isObject(c) && typeof c.code === 'string' && c.code !== '')
      push(map, codingKey(typeof c.system === 'string' ? c.system : undefined, c.code), hit);
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function pushNested<V>(map: Map<string, Map<string, V[]>>, system: string, code: string, value: V): void {
  let inner = map.get(system);
  if (!inner) {
    inner = new Map();
    map.set(system, inner);
  }
  push(inner, code, value);
}

/**
 * Indexes a Bundle (any type, nested Bundles included) or an array of resources for one
 * patient: by type and by code, once, so each feature reads only its own resources.
 */
export function indexResources(input: unknown, options: IndexOptions = {}): ResourceIndex {
  const max = options.maxResources ?? 250_000;
  const { items, issues } = flatten(input, max);
  const note = (i: Issue) => {
    if (issues.length < MAX_ISSUES) issues.push(i);
  };

  const patients = items.filter((it) => it.resource.resourceType === 'Patient');
  let chosen: Item | undefined;
  if (options.patientId !== undefined) {
    chosen = patients.find((p) => p.resource.id === options.patientId);
    if (!chosen && patients.length > 0) {
      throw new CairnError(
        'not_found',
        `Patient/${options.patientId} is not in the FHIR input (it holds ${patients.map((p) => refOf(p.resource, p.fullUrl)).join(', ')})`,
        {
          issues: [issue(['patientId'], 'not_allowed', 'no Patient with this id in the input')],
        },
      );
    }
  } else if (patients.length > 1) {
    throw new CairnError('invalid_argument', `the FHIR input holds ${patients.length} patients; pass patientId to choose one`, {
      issues: [issue(['patientId'], 'required', `choose one of ${patients.map((p) => p.resource.id ?? p.fullUrl).join(', ')}`)],
    });
  } else chosen = patients[0];

  const patientId = options.patientId ?? chosen?.resource.id;
  const refs = new Set<string>();
  if (patientId) refs.add(`Patient/${patientId}`);
  if (chosen?.fullUrl) refs.add(chosen.fullUrl);
  const belongs = (ref: unknown): boolean => {
    if (!isObject(ref) || typeof ref.reference !== 'string') return true; // no literal reference: trust the query that fetched it
    const r = ref.reference;
    if (refs.has(r)) return true;
    if (patientId && r.endsWith(`/Patient/${patientId}`)) return true;
    return refs.size === 0;
  };

  const observations = new Map<string, ObservationHit[]>();
  const conditions = new Map<string, Map<string, ConditionHit[]>>();
  const medications = new Map<string, Map<string, MedicationHit[]>>();
  const medicationsById = new Map<string, Medication>();
  const pendingMeds: Array<{ hit: MedicationHit; ref: string; contained: Resource[] | undefined }> = [];
  const counts: Record<string, number> = {};
  let foreign = 0;

  for (const it of items) {
    if (it.resource.resourceType === 'Medication') {
      const m = it.resource as Medication;
      if (m.id) medicationsById.set(`Medication/${m.id}`, m);
      if (it.fullUrl) medicationsById.set(it.fullUrl, m);
    }
  }

  for (const it of items) {
    const r = it.resource as Resource & Record<string, unknown>;
    const type = r.resourceType;
    if (type === 'Patient') {
      if (it !== chosen) continue;
    } else if (!belongs(r.subject ?? r.patient)) {
      foreign++;
      continue;
    }
    counts[type] = (counts[type] ?? 0) + 1;
    const ref = refOf(r, it.fullUrl);
    if (type === 'Observation') {
      const o = r as Observation;
      if (!isObject(o.code)) {
        note(issue(pathOf(it), 'required', `${ref} has no code; skipped`, 'warning'));
        continue;
      }
      const time = observationTime(o);
      indexCodes(observations, o.code, { resource: o, component: -1, time, ref });
      if (Array.isArray(o.component)) {
        for (let i = 0; i < o.component.length; i++) {
          const comp = o.component[i];
          if (isObject(comp)) indexCodes(observations, comp.code, { resource: o, component: i, time, ref });
        }
      }
    } else if (type === 'Condition') {
      const c = r as Condition;
      for (const k of codings(c.code)) pushNested(conditions, k.system ?? '', k.code, { resource: c, ref });
    } else if (type === 'MedicationRequest' || type === 'MedicationStatement') {
      const m = r as MedicationRequest | MedicationStatement;
      const time = fhirTime(
        (m as MedicationRequest).authoredOn ??
          (m as MedicationStatement).effectiveDateTime ??
          (m as MedicationStatement).effectivePeriod?.start ??
          (m as MedicationStatement).dateAsserted,
      );
      const hit: MedicationHit = { resource: m, ref, time };
      if (isObject(m.medicationCodeableConcept)) {
        for (const k of codings(m.medicationCodeableConcept)) pushNested(medications, k.system ?? '', k.code, hit);
      } else if (isObject(m.medicationReference) && typeof m.medicationReference.reference === 'string') {
        pendingMeds.push({ hit, ref: m.medicationReference.reference, contained: Array.isArray(m.contained) ? m.contained : undefined });
      }
    }
  }
  for (const p of pendingMeds) {
    const med = p.ref.startsWith('#')
      ? (p.contained?.find((c) => c.resourceType === 'Medication' && `#${c.id}` === p.ref) as Medication | undefined)
      : medicationsById.get(p.ref);
    if (!med) {
      note(
        issue([p.hit.ref], 'required', `${p.hit.ref} refers to ${p.ref}, which is not in the input; its medication is unknown`, 'warning'),
      );
      continue;
    }
    for (const k of codings(med.code)) pushNested(medications, k.system ?? '', k.code, p.hit);
  }
  for (const list of observations.values()) list.sort(byTimeDesc);
  if (foreign > 0) note(issue(['resources'], 'mismatch', `${foreign} resources belong to other patients and were ignored`, 'warning'));

  return {
    patient: chosen?.resource as Patient | undefined,
    patientRef: patientId ? `Patient/${patientId}` : chosen?.fullUrl,
    observations,
    conditions,
    medications,
    counts,
    issues,
  };
}

function byTimeDesc(a: { time: number }, b: { time: number }): number {
  // NaN (no date) sorts last.
  const ta = a.time;
  const tb = b.time;
  if (ta === tb) return 0;
  if (Number.isNaN(tb)) return -1;
  if (Number.isNaN(ta)) return 1;
  return tb - ta;
}
