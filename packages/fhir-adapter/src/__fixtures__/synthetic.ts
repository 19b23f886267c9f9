import type { Bundle, BundleEntry, Condition, MedicationRequest, Observation, Patient, Resource } from '@medplum/fhirtypes';

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const SNOMED = 'http://snomed.info/sct';

/** A quantity observation for a synthetic patient. */
export function quantityObservation(
  id: string,
  patientId: string,
  code: string,
  date: string,
  value: number,
  unit: string,
  extra: Partial<Observation> = {},
): Observation {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { coding: [{ system: LOINC, code }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: date,
    valueQuantity: { value, unit, system: UCUM, code: unit },
    ...extra,
  };
}

/** A blood-pressure panel (85354-9) with systolic and diastolic components. */
export function bloodPressure(
  id: string,
  patientId: string,
  date: string,
  sbp: number,
  dbp: number,
  status: Observation['status'] = 'final',
): Observation {
  return {
    resourceType: 'Observation',
    id,
    status,
    code: { coding: [{ system: LOINC, code: '85354-9' }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: date,
    component: [
      { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: { value: sbp, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' } },
      { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: { value: dbp, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' } },
    ],
  };
}

/** A Bundle of the given resources. */
export function bundleOf(resources: Resource[], type: Bundle['type'] = 'collection'): Bundle {
  return {
    resourceType: 'Bundle',
    type,
    entry: resources.map((resource): BundleEntry => ({ fullUrl: `urn:uuid:${resource.resourceType}-${resource.id}`, resource })),
  };
}

/**
 * A synthetic patient exercising the mapping: glucose in mg/dL and mmol/L over time, an
 * entered-in-error newest glucose, cholesterol in mmol/L, weight in pounds and kilograms,
 * blood-pressure panels (one cancelled), a data-absent cholesterol, a stale HbA1c, a
 * condition and a medication.
 */
export function variedPatient(id = 'syn-1'): Bundle {
  const patient: Patient = { resourceType: 'Patient', id, gender: 'female', birthDate: '1960-07-15' };
  const diabetes: Condition = {
    resourceType: 'Condition',
    id: `${id}-dm`,
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    code: { coding: [{ system: SNOMED, code: '44054006', display: 'Diabetes mellitus type 2' }] },
    subject: { reference: `Patient/${id}` },
    onsetDateTime: '2015-02-01',
  };
  const resolvedHtn: Condition = {
    resourceType: 'Condition',
    id: `${id}-htn`,
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'resolved' }] },
    code: { coding: [{ system: SNOMED, code: '59621000' }] },
    subject: { reference: `Patient/${id}` },
    onsetDateTime: '2010-01-01',
  };
  const statin: MedicationRequest = {
    resourceType: 'MedicationRequest',
    id: `${id}-statin`,
    status: 'active',
    intent: 'order',
    medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '314231' }] },
    subject: { reference: `Patient/${id}` },
    authoredOn: '2023-05-01',
  };
  return bundleOf(
    [
      patient,
      quantityObservation(`${id}-glu-1`, id, '2339-0', '2023-01-10', 110, 'mg/dL'),
      quantityObservation(`${id}-glu-2`, id, '15074-8', '2024-03-01', 7.2, 'mmol/L'),
      quantityObservation(`${id}-glu-3`, id, '2345-7', '2024-05-20', 180, 'mg/dL'),
      // Newest glucose was entered in error: it must not be used.
      quantityObservation(`${id}-glu-err`, id, '2339-0', '2024-06-01', 400, 'mg/dL', { status: 'entered-in-error' }),
      quantityObservation(`${id}-chol-1`, id, '2093-3', '2023-11-11', 5.2, 'mmol/L'),
      // Newest cholesterol: lab could not measure it.
      {
        resourceType: 'Observation',
        id: `${id}-chol-absent`,
        status: 'final',
        code: { coding: [{ system: LOINC, code: '2093-3' }] },
        subject: { reference: `Patient/${id}` },
        effectiveDateTime: '2024-04-04',
        dataAbsentReason: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code: 'error' }] },
      },
      quantityObservation(`${id}-wt-1`, id, '29463-7', '2023-12-01', 176, '[lb_av]'),
      quantityObservation(`${id}-wt-2`, id, '29463-7', '2024-02-01', 80, 'kg'),
      quantityObservation(`${id}-wt-3`, id, '29463-7', '2024-05-01', 82, 'kg'),
      quantityObservation(`${id}-wt-old`, id, '29463-7', '2020-01-01', 120, 'kg'),
      bloodPressure(`${id}-bp-1`, id, '2023-09-01', 150, 95),
      bloodPressure(`${id}-bp-2`, id, '2024-04-15', 138, 88),
      bloodPressure(`${id}-bp-3`, id, '2024-05-30', 200, 120, 'cancelled'),
      quantityObservation(`${id}-a1c`, id, '4548-4', '2019-03-03', 7.9, '%'),
      diabetes,
      resolvedHtn,
      statin,
    ],
    'searchset',
  );
}

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FILLER_CODES = [
  '8302-2',
  '39156-5',
  '72514-3',
  '718-7',
  '4544-3',
  '787-2',
  '777-3',
  '6690-2',
  '2571-8',
  '2085-9',
  '18262-6',
  '2947-0',
];

/**
 * A long synthetic record of `count` resources: mostly observations spread over ten years
 * (vitals and labs, many codes), so extraction speed and limits can be measured.
 */
export function largePatient(count: number, id = 'big', seed = 7): Bundle {
  const random = rng(seed);
  const resources: Resource[] = [{ resourceType: 'Patient', id, gender: 'male', birthDate: '1950-01-01' } as Patient];
  const start = Date.UTC(2014, 0, 1);
  const span = 10 * 365 * 86_400_000;
  for (let i = 1; i < count; i++) {
    const date = new Date(start + Math.floor(random() * span)).toISOString();
    const k = i % 10;
    if (k === 0) resources.push(bloodPressure(`o${i}`, id, date, 110 + Math.round(random() * 50), 70 + Math.round(random() * 25)));
    else if (k === 1) resources.push(quantityObservation(`o${i}`, id, '2339-0', date, 80 + Math.round(random() * 120), 'mg/dL'));
    else if (k === 2) resources.push(quantityObservation(`o${i}`, id, '2093-3', date, 150 + Math.round(random() * 100), 'mg/dL'));
    else if (k === 3) resources.push(quantityObservation(`o${i}`, id, '29463-7', date, 60 + random() * 40, 'kg'));
    else {
      const code = FILLER_CODES[Math.floor(random() * FILLER_CODES.length)] as string;
      resources.push(quantityObservation(`o${i}`, id, code, date, random() * 100, '1'));
    }
  }
  return bundleOf(resources, 'collection');
}
