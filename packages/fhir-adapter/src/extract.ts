import { CairnError, type Feature, type FeatureValue, type Issue, issue } from '@cairn/core';
import type { Observation, ObservationComponent, Quantity, Reference } from '@medplum/fhirtypes';
import {
  type ConditionMapping,
  type FeatureMapping,
  type FeatureMappingSpec,
  isParsedMapping,
  type MappedCode,
  type MedicationMapping,
  type ObservationMapping,
  parseMapping,
  targetUnit,
} from './mapping.js';
import {
  type ConditionHit,
  fhirTime,
  type IndexOptions,
  indexResources,
  type MedicationHit,
  type ObservationHit,
  type ResourceIndex,
} from './resource-index.js';
import { CODE_SYSTEMS, codingKey } from './systems.js';
import { convertUnit, isUcumCode, molarMassFor } from './ucum.js';

const DAY_MS = 86_400_000;

/** One FHIR value read for a feature. */
export interface ValueProvenance {
  /** `Observation/123` (or the entry's fullUrl when the resource has no id). */
  readonly resource: string;
  /** The matched code, `system|code`. */
  readonly code: string;
  /** Index of the Observation component the value came from, when it came from one. */
  readonly component?: number;
  /** The value as recorded. */
  readonly value: number | string | boolean;
  /** The unit as recorded (UCUM code). */
  readonly unit?: string;
  /** Effective date as recorded. */
  readonly date?: string;
  /** Present when the value was converted to the feature's unit. */
  readonly converted?: { readonly value: number; readonly unit: string; readonly method: string };
}

/** Where a feature's value came from. */
export interface FeatureProvenance {
  readonly feature: string;
  readonly source: FeatureMapping['source'];
  /** The value put in the record (null when missing). */
  readonly value: FeatureValue;
  readonly unit?: string;
  /** How several values were combined (observations). */
  readonly select?: ObservationMapping['select'];
  /** References of the resources the value rests on. */
  readonly resources: readonly string[];
  /** The values used, newest first. */
  readonly values: readonly ValueProvenance[];
  /** Date of the newest value used. */
  readonly date?: string;
  /** Human-readable summary of unit conversions or rounding applied. */
  readonly conversion?: string;
  /** Resources matched but not used, with why (entered-in-error, stale, bad unit…). */
  readonly ignored: readonly { readonly resource: string; readonly reason: string }[];
}

/** Why a feature has no value. */
export type MissingReason = 'no-data' | 'stale' | 'data-absent' | 'unit' | 'invalid' | 'unmapped';

/** A feature without a value, and why. */
export interface MissingFeature {
  readonly feature: string;
  readonly reason: MissingReason;
  readonly message: string;
  /** For stale features: the newest value found, outside the look-back window (reported, not used). */
  readonly latest?: ValueProvenance;
}

/** A patient's FHIR record turned into model features. */
export interface ExtractionResult {
  readonly patientId: string | undefined;
  /** ISO date-time the features were computed for. */
  readonly asOf: string;
  /** Feature values, null where missing: ready for @cairn/core's validator. */
  readonly record: Readonly<Record<string, FeatureValue>>;
  readonly provenance: Readonly<Record<string, FeatureProvenance>>;
  /** Features without a value (no data, stale, data absent, unconvertible unit, invalid). */
  readonly missing: readonly MissingFeature[];
  /** References of every resource a value rests on (RiskAssessment.basis). */
  readonly basis: readonly Reference[];
  /** Warnings: skipped resources and values. */
  readonly issues: readonly Issue[];
}

/** Options of {@link extractFeatures}. */
export interface ExtractOptions extends IndexOptions {
  /**
   * The date features are computed for (age, look-back windows); later data is ignored.
   * @defaultValue now
   */
  asOf?: Date | string;
  /** The model's features (cairn.json): units, types and rounding come from them. */
  features?: readonly Feature[];
}

/** A parsed mapping as is, or parses one given as an object or JSON text. */
export function resolveMapping(mapping: unknown, features?: readonly Feature[]): FeatureMappingSpec {
  return isParsedMapping(mapping) ? mapping : parseMapping(mapping, features);
}

function toAsOf(asOf: Date | string | undefined): number {
  if (asOf === undefined) return Date.now();
  const t = asOf instanceof Date ? asOf.getTime() : fhirTime(asOf);
  if (!Number.isFinite(t)) {
    throw new CairnError('invalid_argument', `options.asOf: '${String(asOf)}' is not a date`, {
      issues: [issue(['asOf'], 'format', 'expected a Date or an ISO date/date-time')],
    });
  }
  return t;
}

function isResourceIndex(v: unknown): v is ResourceIndex {
  return typeof v === 'object' && v !== null && (v as ResourceIndex).observations instanceof Map;
}

/**
 * Turns a patient's FHIR resources (a Bundle, an array, or an index from {@link indexResources})
 * into a feature record with provenance per feature and the list of missing or stale features.
 */
export function extractFeatures(input: unknown, mapping: unknown, options: ExtractOptions = {}): ExtractionResult {
  const spec = resolveMapping(mapping, options.features);
  const asOf = toAsOf(options.asOf);
  const index = isResourceIndex(input) ? input : indexResources(input, options);
  const byName = new Map((options.features ?? []).map((f) => [f.name, f]));
  const record: Record<string, FeatureValue> = {};
  const provenance: Record<string, FeatureProvenance> = {};
  const missing: MissingFeature[] = [];
  const issues: Issue[] = [...index.issues];
  const basis = new Set<string>();

  for (const [name, m] of Object.entries(spec.features)) {
    const feature = byName.get(name);
    const ctx: Ctx = { name, feature, asOf, index, issues, lookbackDays: spec.lookbackDays };
    const out =
      m.source === 'age'
        ? age(ctx, m)
        : m.source === 'gender'
          ? gender(ctx, m)
          : m.source === 'observation'
            ? observation(ctx, m)
            : m.source === 'condition'
              ? condition(ctx, m)
              : medication(ctx, m);
    record[name] = out.provenance.value;
    provenance[name] = out.provenance;
    if (out.missing) missing.push(out.missing);
    for (const r of out.provenance.resources) basis.add(r);
  }
  for (const f of options.features ?? []) {
    if (spec.features[f.name]) continue;
    record[f.name] = null;
    missing.push({ feature: f.name, reason: 'unmapped', message: `${f.label} has no FHIR mapping` });
  }
  return {
    patientId: index.patient?.id ?? index.patientRef?.replace(/^Patient\//, ''),
    asOf: new Date(asOf).toISOString(),
    record,
    provenance,
    missing,
    basis: [...basis].map((reference) => ({ reference })),
    issues,
  };
}

interface Ctx {
  readonly name: string;
  readonly feature: Feature | undefined;
  readonly asOf: number;
  readonly index: ResourceIndex;
  readonly issues: Issue[];
  readonly lookbackDays: number;
}

interface Outcome {
  readonly provenance: FeatureProvenance;
  readonly missing?: MissingFeature;
}

function labelOf(ctx: Ctx, m: FeatureMapping): string {
  return ctx.feature?.label ?? m.label ?? ctx.name;
}

function missingOutcome(
  ctx: Ctx,
  m: FeatureMapping,
  reason: MissingReason,
  message: string,
  extra: Partial<FeatureProvenance> = {},
  latest?: ValueProvenance,
): Outcome {
  return {
    provenance: { feature: ctx.name, source: m.source, value: null, resources: [], values: [], ignored: [], ...extra },
    missing: { feature: ctx.name, reason, message, ...(latest ? { latest } : {}) },
  };
}

function age(ctx: Ctx, m: Extract<FeatureMapping, { source: 'age' }>): Outcome {
  const p = ctx.index.patient;
  const label = labelOf(ctx, m);
  if (!p) return missingOutcome(ctx, m, 'no-data', `${label}: no Patient resource in the record`);
  const ref = ctx.index.patientRef ?? 'Patient';
  const birth = p.birthDate;
  if (typeof birth !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(birth)) {
    return missingOutcome(
      ctx,
      m,
      birth === undefined ? 'no-data' : 'invalid',
      birth === undefined ? `${label}: ${ref} has no birthDate` : `${label}: ${ref} birthDate '${String(birth)}' is not a full date`,
    );
  }
  const [by, bm, bd] = birth.split('-').map(Number) as [number, number, number];
  const asOf = new Date(ctx.asOf);
  const [ay, am, ad] = [asOf.getUTCFullYear(), asOf.getUTCMonth() + 1, asOf.getUTCDate()];
  const birthMs = Date.UTC(by, bm - 1, bd);
  if (!Number.isFinite(birthMs) || birthMs > ctx.asOf) {
    return missingOutcome(ctx, m, 'invalid', `${label}: ${ref} birthDate ${birth} is after the as-of date`);
  }
  let value: number;
  if (m.unit === 'a' || m.unit === 'mo') {
    let months = (ay - by) * 12 + (am - bm);
    if (ad < bd) months--;
    value = m.unit === 'a' ? Math.floor(months / 12) : months;
  } else {
    const days = Math.floor((Date.UTC(ay, am - 1, ad) - birthMs) / DAY_MS);
    value = m.unit === 'd' ? days : Math.floor(days / 7);
  }
  const deceased = fhirTime(p.deceasedDateTime);
  if (p.deceasedBoolean === true || (Number.isFinite(deceased) && deceased <= ctx.asOf)) {
    ctx.issues.push(
      issue([ctx.name], 'implausible', `${ref} is recorded as deceased${p.deceasedDateTime ? ` on ${p.deceasedDateTime}` : ''}`, 'warning'),
    );
  }
  return {
    provenance: {
      feature: ctx.name,
      source: 'age',
      value,
      unit: m.unit,
      resources: [ref],
      values: [{ resource: ref, code: 'Patient.birthDate', value: birth }],
      ignored: [],
    },
  };
}

function gender(ctx: Ctx, m: Extract<FeatureMapping, { source: 'gender' }>): Outcome {
  const p = ctx.index.patient;
  const label = labelOf(ctx, m);
  if (!p) return missingOutcome(ctx, m, 'no-data', `${label}: no Patient resource in the record`);
  const ref = ctx.index.patientRef ?? 'Patient';
  const g = p.gender;
  if (typeof g !== 'string') return missingOutcome(ctx, m, 'no-data', `${label}: ${ref} has no gender`);
  const value = m.map ? m.map[g as keyof typeof m.map] : g;
  if (value === undefined) return missingOutcome(ctx, m, 'invalid', `${label}: gender '${g}' has no value in the mapping`);
  return {
    provenance: {
      feature: ctx.name,
      source: 'gender',
      value,
      resources: [ref],
      values: [{ resource: ref, code: 'Patient.gender', value: g }],
      ignored: [],
    },
  };
}

function collect<T extends { ref: string }>(
  codes: readonly MappedCode[],
  lookup: (c: MappedCode) => Iterable<T>,
  key: (h: T) => string = (h) => h.ref,
): T[] {
  if (codes.length === 1) return [...lookup(codes[0] as MappedCode)];
  const seen = new Set<string>();
  const out: T[] = [];
  for (const c of codes) {
    for (const h of lookup(c)) {
      const k = key(h);
      if (!seen.has(k)) {
        seen.add(k);
        out.push(h);
      }
    }
  }
  return out;
}

function* nestedLookup<V>(map: ReadonlyMap<string, ReadonlyMap<string, readonly V[]>>, c: MappedCode): Iterable<V> {
  const inner = map.get(c.system);
  if (!inner) return;
  if (!c.prefix) {
    yield* inner.get(c.code) ?? [];
    return;
  }
  for (const [code, list] of inner) if (code.startsWith(c.code)) yield* list;
}

function quantityUnit(q: Quantity): string | undefined {
  if (typeof q.code === 'string' && (q.system === undefined || q.system === CODE_SYSTEMS.ucum)) return q.code;
  if (typeof q.unit === 'string' && isUcumCode(q.unit)) return q.unit;
  return typeof q.code === 'string' ? q.code : q.unit;
}

function unitless(unit: string | undefined): boolean {
  return unit === undefined || unit === '1' || /^\{[^}]*\}$/.test(unit);
}

const IGNORED_STATUS = new Set(['entered-in-error', 'cancelled']);

type Reading =
  | { kind: 'ok'; value: number | string | boolean; prov: ValueProvenance }
  | { kind: 'skip'; reason: MissingReason | 'status' | 'future' | 'panel'; message: string; prov?: ValueProvenance };

function read(
  ctx: Ctx,
  m: ObservationMapping,
  hit: ObservationHit,
  matched: string,
  unit: string | undefined,
  mw: number | undefined,
): Reading {
  const o = hit.resource;
  if (IGNORED_STATUS.has(o.status as string)) return { kind: 'skip', reason: 'status', message: `status ${o.status}` };
  if (Number.isNaN(hit.time)) return { kind: 'skip', reason: 'invalid', message: 'no effective date' };
  if (hit.time > ctx.asOf) return { kind: 'skip', reason: 'future', message: 'dated after the as-of date' };
  const site: Observation | ObservationComponent = hit.component >= 0 ? (o.component?.[hit.component] as ObservationComponent) : o;
  const date = o.effectiveDateTime ?? o.effectiveInstant ?? o.effectivePeriod?.end ?? o.effectivePeriod?.start ?? o.issued;
  const base = { resource: hit.ref, code: matched, ...(hit.component >= 0 ? { component: hit.component } : {}), ...(date ? { date } : {}) };
  const absent = site.dataAbsentReason ?? (hit.component < 0 ? undefined : o.dataAbsentReason);
  if (absent) {
    const why = absent.coding?.[0]?.code ?? absent.text ?? 'unknown';
    return { kind: 'skip', reason: 'data-absent', message: `data absent (${why})` };
  }
  if (m.select === 'count') return { kind: 'ok', value: 1, prov: { ...base, value: o.status ?? 'unknown' } };
  if (m.valueMap) {
    const concept = site.valueCodeableConcept;
    if (!concept) {
      if (site.valueQuantity === undefined && hit.component < 0 && o.component?.length)
        return { kind: 'skip', reason: 'panel', message: 'panel' };
      return { kind: 'skip', reason: 'invalid', message: 'expected a coded value (valueCodeableConcept)' };
    }
    for (const c of concept.coding ?? []) {
      if (typeof c?.code !== 'string') continue;
      const hitValue = m.valueMap[codingKey(c.system, c.code)] ?? m.valueMap[c.code];
      if (hitValue !== undefined) return { kind: 'ok', value: hitValue, prov: { ...base, value: codingKey(c.system, c.code) } };
    }
    const shown = concept.coding?.map((c) => c?.code).join(', ') || concept.text || '?';
    return { kind: 'skip', reason: 'invalid', message: `coded value ${shown} is not in valueMap` };
  }
  let raw: number;
  let from: string | undefined;
  if (site.valueQuantity !== undefined) {
    const q = site.valueQuantity;
    if (typeof q?.value !== 'number' || !Number.isFinite(q.value))
      return { kind: 'skip', reason: 'invalid', message: 'valueQuantity has no numeric value' };
    if (q.comparator !== undefined) return { kind: 'skip', reason: 'invalid', message: `value is censored (${q.comparator}${q.value})` };
    raw = q.value;
    from = quantityUnit(q);
  } else if (typeof site.valueInteger === 'number') raw = site.valueInteger;
  else if (hit.component < 0 && o.component?.length) return { kind: 'skip', reason: 'panel', message: 'panel' };
  else return { kind: 'skip', reason: 'invalid', message: 'has no numeric value' };
  const prov: ValueProvenance = { ...base, value: raw, ...(from !== undefined ? { unit: from } : {}) };
  if (unit === undefined) {
    if (!unitless(from))
      return { kind: 'skip', reason: 'unit', message: `value is in ${from}, but the feature has no unit (set unit in the mapping)`, prov };
    return { kind: 'ok', value: raw, prov };
  }
  if (from === undefined) return { kind: 'skip', reason: 'unit', message: `value has no unit; ${unit} expected`, prov };
  if (from === unit) return { kind: 'ok', value: raw, prov };
  const r = convertUnit(raw, from, unit, mw === undefined ? {} : { molecularWeight: mw });
  if (!r.ok) return { kind: 'skip', reason: 'unit', message: r.reason, prov };
  return { kind: 'ok', value: r.value, prov: { ...prov, converted: { value: r.value, unit, method: r.factorText } } };
}

function observation(ctx: Ctx, m: ObservationMapping): Outcome {
  const label = labelOf(ctx, m);
  const unit = m.select === 'count' ? undefined : m.valueMap ? undefined : targetUnit(m, ctx.feature);
  const mw = m.molecularWeight ?? molarMassFor(m.codes) ?? molarMassFor(ctx.feature?.codes);
  const windowStart = ctx.asOf - (m.lookbackDays ?? ctx.lookbackDays) * DAY_MS;
  const hits: Array<{ hit: ObservationHit; code: string }> = [];
  const seen = new Set<string>();
  for (const c of m.codes) {
    const key = codingKey(c.system, c.code);
    for (const hit of ctx.index.observations.get(key) ?? []) {
      const k = `${hit.ref}#${hit.component}`;
      if (seen.has(k)) continue;
      seen.add(k);
      hits.push({ hit, code: key });
    }
  }
  if (m.codes.length > 1)
    hits.sort((a, b) => (Number.isNaN(b.hit.time) ? -Infinity : b.hit.time) - (Number.isNaN(a.hit.time) ? -Infinity : a.hit.time));

  const used: Array<{ value: number | string | boolean; prov: ValueProvenance }> = [];
  const ignored: Array<{ resource: string; reason: string }> = [];
  const reasons = new Map<MissingReason, string>();
  let stale: ValueProvenance | undefined;
  const counted = new Set<string>();
  for (const { hit, code } of hits) {
    const r = read(ctx, m, hit, code, unit, mw);
    if (r.kind === 'skip') {
      if (r.reason === 'panel') continue;
      ignored.push({ resource: hit.ref, reason: r.message });
      if (r.reason === 'unit' || r.reason === 'invalid' || r.reason === 'data-absent') {
        if (!reasons.has(r.reason)) reasons.set(r.reason, r.message);
        if (r.reason !== 'data-absent') {
          ctx.issues.push(
            issue(
              [ctx.name, hit.ref],
              r.reason === 'unit' ? 'unit' : 'invalid',
              `${label}: ${hit.ref} ${r.message}; value not used`,
              'warning',
            ),
          );
        }
      }
      continue;
    }
    if (hit.time < windowStart) {
      // Hits are sorted newest first, so every later one is older still: report this one and stop.
      stale = r.prov;
      ignored.push({ resource: hit.ref, reason: `older than the ${m.lookbackDays ?? ctx.lookbackDays}-day look-back` });
      break;
    }
    if (m.select === 'count') {
      if (!counted.has(hit.ref)) {
        counted.add(hit.ref);
        used.push(r);
      }
      continue;
    }
    used.push(r);
    if (m.select === 'latest') break;
  }

  if (m.select === 'count') {
    return {
      provenance: {
        feature: ctx.name,
        source: 'observation',
        value: used.length,
        select: 'count',
        resources: used.map((u) => u.prov.resource),
        values: used.map((u) => u.prov),
        ...(used[0]?.prov.date ? { date: used[0].prov.date } : {}),
        ignored,
      },
    };
  }
  if (used.length === 0) {
    const extra = { ignored, select: m.select, ...(unit ? { unit } : {}) };
    if (stale) {
      return missingOutcome(
        ctx,
        m,
        'stale',
        `${label}: newest value (${stale.date}) is older than the ${m.lookbackDays ?? ctx.lookbackDays}-day look-back`,
        extra,
        stale,
      );
    }
    for (const reason of ['unit', 'invalid', 'data-absent'] as const) {
      const msg = reasons.get(reason);
      if (msg) return missingOutcome(ctx, m, reason, `${label}: ${msg}`, extra);
    }
    return missingOutcome(ctx, m, 'no-data', `${label}: no observation with ${m.codes.map((c) => c.code).join(' or ')}`, extra);
  }
  let value: number | string | boolean;
  const nums = used.map((u) => u.value as number);
  if (m.select === 'latest') value = (used[0] as { value: number | string | boolean }).value;
  else if (m.select === 'min') value = Math.min(...nums);
  else if (m.select === 'max') value = Math.max(...nums);
  else value = Number((nums.reduce((a, b) => a + b, 0) / nums.length).toPrecision(12));
  const notes: string[] = [];
  const conversions = used.filter((u) => u.prov.converted);
  if (conversions.length > 0) {
    const kinds = [...new Set(conversions.map((u) => `${u.prov.unit} → ${unit} (${u.prov.converted?.method})`))];
    notes.push(`${conversions.length} of ${used.length} value(s) converted: ${kinds.join('; ')}`);
  }
  if (ctx.feature?.type === 'integer' && typeof value === 'number' && !Number.isInteger(value)) {
    notes.push(`${value} rounded to ${Math.round(value)} (integer feature)`);
    value = Math.round(value);
  }
  return {
    provenance: {
      feature: ctx.name,
      source: 'observation',
      value,
      ...(unit ? { unit } : {}),
      select: m.select,
      resources: [...new Set(used.map((u) => u.prov.resource))],
      values: used.map((u) => u.prov),
      ...(used[0]?.prov.date ? { date: used[0].prov.date } : {}),
      ...(notes.length > 0 ? { conversion: notes.join('; ') } : {}),
      ignored,
    },
  };
}

function conceptCode(c: { coding?: Array<{ code?: string }> } | undefined): string | undefined {
  return c?.coding?.find((k) => typeof k?.code === 'string')?.code;
}

function condition(ctx: Ctx, m: ConditionMapping): Outcome {
  const label = labelOf(ctx, m);
  const hits = collect<ConditionHit>(m.codes, (c) => nestedLookup(ctx.index.conditions, c));
  const present: ConditionHit[] = [];
  const ignored: Array<{ resource: string; reason: string }> = [];
  for (const h of hits) {
    const c = h.resource;
    const verification = conceptCode(c.verificationStatus);
    const clinical = conceptCode(c.clinicalStatus);
    const onset = fhirTime(c.onsetDateTime ?? c.onsetPeriod?.start ?? c.recordedDate);
    if (verification === 'entered-in-error' || verification === 'refuted')
      ignored.push({ resource: h.ref, reason: `verification ${verification}` });
    else if (clinical === undefined) ignored.push({ resource: h.ref, reason: 'no clinicalStatus' });
    else if (!m.clinicalStatus.includes(clinical)) ignored.push({ resource: h.ref, reason: `clinical status ${clinical}` });
    else if (Number.isFinite(onset) && onset > ctx.asOf) ignored.push({ resource: h.ref, reason: 'onset after the as-of date' });
    else present.push(h);
  }
  const values = present.map((h) => {
    const coding = h.resource.code?.coding?.find((k) =>
      m.codes.some((c) => c.system === k.system && (c.prefix ? k.code?.startsWith(c.code) : k.code === c.code)),
    );
    const date = h.resource.onsetDateTime ?? h.resource.recordedDate;
    return {
      resource: h.ref,
      code: codingKey(coding?.system, coding?.code ?? '?'),
      value: conceptCode(h.resource.clinicalStatus) ?? 'present',
      ...(date ? { date } : {}),
    } satisfies ValueProvenance;
  });
  if (present.length > 0) {
    return {
      provenance: { feature: ctx.name, source: 'condition', value: m.present, resources: values.map((v) => v.resource), values, ignored },
    };
  }
  if (m.absent === null) return missingOutcome(ctx, m, 'no-data', `${label}: no matching condition recorded`, { ignored });
  return { provenance: { feature: ctx.name, source: 'condition', value: m.absent, resources: [], values: [], ignored } };
}

function medication(ctx: Ctx, m: MedicationMapping): Outcome {
  const label = labelOf(ctx, m);
  const hits = collect<MedicationHit>(m.codes, (c) => nestedLookup(ctx.index.medications, c));
  const windowStart = m.lookbackDays === undefined ? Number.NEGATIVE_INFINITY : ctx.asOf - m.lookbackDays * DAY_MS;
  const present: MedicationHit[] = [];
  const ignored: Array<{ resource: string; reason: string }> = [];
  for (const h of hits) {
    const status = h.resource.status as string;
    if (!m.statuses.includes(status)) ignored.push({ resource: h.ref, reason: `status ${status}` });
    else if (Number.isFinite(h.time) && h.time > ctx.asOf) ignored.push({ resource: h.ref, reason: 'dated after the as-of date' });
    else if (m.lookbackDays !== undefined && !(h.time >= windowStart))
      ignored.push({ resource: h.ref, reason: `not dated within ${m.lookbackDays} days` });
    else present.push(h);
  }
  const values = present.map((h) => {
    const r = h.resource as { authoredOn?: string; effectiveDateTime?: string };
    const date = r.authoredOn ?? r.effectiveDateTime;
    const code = h.resource.medicationCodeableConcept?.coding?.[0];
    return {
      resource: h.ref,
      code: code?.code ? codingKey(code.system, code.code) : 'medicationReference',
      value: h.resource.status as string,
      ...(date ? { date } : {}),
    } satisfies ValueProvenance;
  });
  if (present.length > 0) {
    return {
      provenance: { feature: ctx.name, source: 'medication', value: m.present, resources: values.map((v) => v.resource), values, ignored },
    };
  }
  if (m.absent === null) return missingOutcome(ctx, m, 'no-data', `${label}: no matching medication`, { ignored });
  return { provenance: { feature: ctx.name, source: 'medication', value: m.absent, resources: [], values: [], ignored } };
}
