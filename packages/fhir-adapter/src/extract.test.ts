import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createValidator, type Feature, isCairnError } from '@cairn/core';
import { extractFeatures, indexResources, parseMapping } from '@cairn/fhir-adapter';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { bloodPressure, bundleOf, largePatient, quantityObservation, variedPatient } from './__fixtures__/synthetic.js';

const here = new URL('.', import.meta.url).pathname;
const hl7 = (name: string): Resource => JSON.parse(readFileSync(join(here, '__fixtures__/hl7', `${name}.json`), 'utf8'));
const mappingJson = JSON.parse(readFileSync(join(here, '__fixtures__/fhir-mapping.json'), 'utf8'));
const patientsDir = join(here, '../../../../shared/fhir/patients');

describe('extractFeatures on HL7 FHIR R4 example resources', () => {
  const resources = [
    hl7('patient-example'),
    hl7('observation-example'),
    hl7('observation-example-bloodpressure'),
    hl7('observation-example-f001-glucose'),
    hl7('condition-example-stroke'),
    hl7('condition-example-diabetes-icd10'),
    hl7('medicationrequest-example-statin'),
    hl7('medicationstatement-example-contained'),
  ];
  const mapping = {
    lookbackDays: 3650,
    features: {
      age: { source: 'age' },
      sex: { source: 'gender' },
      sbp: { source: 'observation', codes: ['8480-6'], unit: 'mm[Hg]' },
      dbp: { source: 'observation', codes: ['8462-4'], unit: 'mm[Hg]' },
      weight: { source: 'observation', codes: ['29463-7'], unit: 'kg' },
      glucose: { source: 'observation', codes: ['15074-8', '2339-0'], unit: 'mg/dL' },
      stroke: { source: 'condition', codes: ['422504002'] },
      diabetes: { source: 'condition', codes: ['icd10-cm|E11*'] },
      statin: { source: 'medication', codes: ['617312'] },
      amlodipine: { source: 'medication', codes: ['197361'] },
    },
  };
  const result = extractFeatures(resources, mapping, { asOf: '2016-06-01' });

  it('reads age, gender, panel components, converted units, conditions and medications', () => {
    expect(result.patientId).toBe('example');
    expect(result.record.weight).toBeCloseTo(185 * 0.45359237, 6);
    expect(result.record.glucose).toBeCloseTo(6.3 * 18.0156, 3);
    expect({ ...result.record, weight: 0, glucose: 0 }).toEqual({
      age: 41,
      sex: 'male',
      sbp: 107,
      dbp: 60,
      weight: 0,
      glucose: 0,
      stroke: true,
      diabetes: true,
      statin: true,
      amlodipine: true,
    });
  });

  it('records provenance with the original unit, date and conversion', () => {
    const w = result.provenance.weight!;
    expect(w.resources).toEqual(['Observation/example']);
    expect(w.values[0]).toMatchObject({ value: 185, unit: '[lb_av]', date: '2016-03-28', converted: { unit: 'kg', method: 'UCUM' } });
    expect(w.conversion).toContain('[lb_av] → kg');
    const sbp = result.provenance.sbp!;
    expect(sbp.values[0]).toMatchObject({ resource: 'Observation/blood-pressure', component: 0, code: 'http://loinc.org|8480-6' });
    const g = result.provenance.glucose!;
    expect(g.values[0]?.converted?.method).toBe('UCUM, molar mass 180.156 g/mol');
    expect(result.provenance.amlodipine!.resources).toEqual(['MedicationStatement/example001']);
    expect(result.basis).toContainEqual({ reference: 'Condition/stroke' });
    expect(result.missing).toEqual([]);
  });

  it('ignores data dated after the as-of date', () => {
    const early = extractFeatures(resources, mapping, { asOf: '2013-01-01' });
    expect(early.record.weight).toBeNull();
    expect(early.record.glucose).toBeNull();
    expect(early.record.sbp).toBe(107);
    expect(early.missing.map((m) => m.feature).sort()).toEqual(['glucose', 'weight']);
    expect(early.record.age).toBe(38);
  });
});

describe('extractFeatures on synthetic FHIR Bundles', () => {
  const mapping = parseMapping(mappingJson);
  const result = extractFeatures(variedPatient(), mapping, { asOf: '2024-06-15T00:00:00Z' });

  it('skips entered-in-error and cancelled observations and falls back past data-absent ones', () => {
    expect(result.record.glucose).toBeCloseTo(180 / 18.0156, 3);
    expect(result.provenance.glucose!.resources).toEqual(['Observation/syn-1-glu-3']);
    expect(result.provenance.glucose!.ignored).toContainEqual({ resource: 'Observation/syn-1-glu-err', reason: 'status entered-in-error' });
    expect(result.record.sbp).toBe(138);
    expect(result.record.dbp).toBe(88);
    expect(result.record.cholesterol).toBe(5.2);
    expect(result.provenance.cholesterol!.ignored[0]).toEqual({ resource: 'Observation/syn-1-chol-absent', reason: 'data absent (error)' });
  });

  it('averages weights over the window, converting pounds, and leaves stale ones out', () => {
    expect(result.record.weight).toBeCloseTo((176 * 0.45359237 + 80 + 82) / 3, 6);
    expect(result.provenance.weight!.values).toHaveLength(3);
    expect(result.provenance.weight!.resources).not.toContain('Observation/syn-1-wt-old');
    expect(result.provenance.weight!.conversion).toBe('1 of 3 value(s) converted: [lb_av] → kg (UCUM)');
  });

  it('counts panels in the window, reads condition status and medications', () => {
    expect(result.record.bp_count).toBe(2);
    expect(result.record.diabetes).toBe(true);
    expect(result.record.hypertension).toBe(false);
    expect(result.provenance.hypertension!.ignored).toEqual([{ resource: 'Condition/syn-1-htn', reason: 'clinical status resolved' }]);
    expect(result.record.statin).toBe(true);
    expect(result.record.age).toBe(63);
    expect(result.record.sex).toBe('female');
  });

  it('lists missing features with reasons', () => {
    expect(result.missing).toEqual([{ feature: 'smoker', reason: 'no-data', message: expect.stringContaining('72166-2') }]);
    expect(result.record.smoker).toBeNull();
  });

  it('reports stale values without using them', () => {
    const r = extractFeatures(
      variedPatient(),
      { features: { a1c: { source: 'observation', codes: ['4548-4'], unit: '%', lookbackDays: 365 } } },
      {
        asOf: '2024-06-15',
      },
    );
    expect(r.record.a1c).toBeNull();
    expect(r.missing[0]).toMatchObject({
      feature: 'a1c',
      reason: 'stale',
      latest: { value: 7.9, date: '2019-03-03', resource: 'Observation/syn-1-a1c' },
    });
  });

  it('rejects unconvertible and unknown units instead of guessing', () => {
    const bundle = bundleOf([
      { resourceType: 'Patient', id: 'u' },
      quantityObservation('a', 'u', '2339-0', '2024-01-01', 5, 'mmol/L'),
      quantityObservation('b', 'u', '2339-0', '2024-02-01', 99, 'furlong'),
      quantityObservation('c', 'u', '4548-4', '2024-02-01', 48, 'mmol/mol'),
    ]);
    const r = extractFeatures(
      bundle,
      {
        features: {
          glucoseNoMw: { source: 'observation', codes: ['2339-0'], unit: 'mg/dL' },
          glucoseKg: { source: 'observation', codes: ['2339-0'], unit: 'kg' },
          a1c: { source: 'observation', codes: ['4548-4'], unit: '%' },
        },
      },
      { asOf: '2024-03-01' },
    );
    // 2339-0 is a known analyte, so mmol/L converts with its molar mass; 'furlong' is not UCUM and is rejected.
    expect(r.record.glucoseNoMw).toBeCloseTo(90.078, 2);
    expect(r.provenance.glucoseNoMw!.ignored[0]?.reason).toContain("'furlong' is not a UCUM unit code");
    expect(r.record.glucoseKg).toBeNull();
    expect(r.missing.find((m) => m.feature === 'glucoseKg')?.reason).toBe('unit');
    // IFCC mmol/mol is not a percentage: UCUM alone would say 4.8 %.
    expect(r.record.a1c).toBeNull();
    expect(r.missing.find((m) => m.feature === 'a1c')).toMatchObject({ reason: 'unit' });
    expect(r.issues.some((i) => i.rule === 'unit')).toBe(true);
  });

  it('needs a molar mass for mass ↔ substance conversions of unknown analytes', () => {
    const bundle = bundleOf([{ resourceType: 'Patient', id: 'u' }, quantityObservation('x', 'u', '1234-5', '2024-01-01', 100, 'mg/dL')]);
    const without = extractFeatures(
      bundle,
      { features: { x: { source: 'observation', codes: ['1234-5'], unit: 'mmol/L' } } },
      { asOf: '2024-02-01' },
    );
    expect(without.record.x).toBeNull();
    expect(without.missing[0]?.message).toContain('molar mass');
    const withMw = extractFeatures(
      bundle,
      { features: { x: { source: 'observation', codes: ['1234-5'], unit: 'mmol/L', molecularWeight: 100 } } },
      {
        asOf: '2024-02-01',
      },
    );
    expect(withMw.record.x).toBe(10);
  });

  it('selects min, max and mean over several values', () => {
    const id = 'm';
    const bundle = bundleOf([
      { resourceType: 'Patient', id },
      bloodPressure('1', id, '2024-01-01', 120, 80),
      bloodPressure('2', id, '2024-02-01', 150, 90),
      bloodPressure('3', id, '2024-03-01', 135, 70),
    ]);
    const features = (select: string) => ({ features: { sbp: { source: 'observation', codes: ['8480-6'], unit: 'mm[Hg]', select } } });
    const at = { asOf: '2024-04-01' };
    expect(extractFeatures(bundle, features('min'), at).record.sbp).toBe(120);
    expect(extractFeatures(bundle, features('max'), at).record.sbp).toBe(150);
    expect(extractFeatures(bundle, features('mean'), at).record.sbp).toBe(135);
    expect(extractFeatures(bundle, features('latest'), at).record.sbp).toBe(135);
    const intFeature: Feature[] = [{ name: 'sbp', label: 'Systolic', type: 'integer', unit: 'mm[Hg]', required: true }];
    const r = extractFeatures(
      bundleOf([
        { resourceType: 'Patient', id },
        bloodPressure('1', id, '2024-01-01', 120, 80),
        bloodPressure('2', id, '2024-02-01', 125, 80),
      ]),
      { features: { sbp: { source: 'observation', codes: ['8480-6'], select: 'mean' } } },
      { asOf: '2024-04-01', features: intFeature },
    );
    expect(r.record.sbp).toBe(123);
    expect(r.provenance.sbp!.conversion).toContain('122.5 rounded to 123');
  });

  it('produces records @cairn/core validates, with missing features imputed or reported', () => {
    const features: Feature[] = [
      { name: 'age', label: 'Age', type: 'integer', unit: 'a', required: true },
      {
        name: 'sex',
        label: 'Sex',
        type: 'category',
        categories: [
          { value: 'M', label: 'Male', aliases: ['male'] },
          { value: 'F', label: 'Female', aliases: ['female'] },
        ],
        required: true,
      },
      { name: 'sbp', label: 'Systolic BP', type: 'number', unit: 'mm[Hg]', required: true },
      { name: 'smoker', label: 'Smoker', type: 'boolean', required: false, impute: false },
      { name: 'diabetes', label: 'Diabetes', type: 'boolean', required: true },
    ];
    const mapping = parseMapping(
      {
        features: {
          age: mappingJson.features.age,
          sex: { source: 'gender' },
          sbp: { source: 'observation', codes: ['8480-6'] },
          smoker: mappingJson.features.smoker,
          diabetes: mappingJson.features.diabetes,
        },
      },
      features,
    );
    const r = extractFeatures(variedPatient(), mapping, { asOf: '2024-06-15', features });
    const v = createValidator(features).parse(r.record);
    expect(v.values).toEqual({ age: 63, sex: 'F', sbp: 138, smoker: false, diabetes: true });
    expect(v.warnings.map((w) => w.rule)).toEqual(['imputed']);
  });
});

describe('extractFeatures on the Synthea patients', () => {
  const files = readdirSync(patientsDir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const mapping = parseMapping(mappingJson);

  it('finds five transaction Bundles', () => {
    expect(files).toHaveLength(5);
  });

  for (const file of files) {
    it(`extracts ${file.split('_')[0]}`, () => {
      const bundle: Bundle = JSON.parse(readFileSync(join(patientsDir, file), 'utf8'));
      expect(bundle.type).toBe('transaction');
      const patient = bundle.entry!.find((e) => e.resource?.resourceType === 'Patient')!.resource as {
        id: string;
        birthDate: string;
        gender: string;
      };
      // As of the newest observation, so every patient has recent data.
      const newest = bundle
        .entry!.filter((e) => e.resource?.resourceType === 'Observation')
        .map((e) => (e.resource as { effectiveDateTime: string }).effectiveDateTime)
        .sort()
        .at(-1)!;
      const r = extractFeatures(bundle, mapping, { asOf: newest });
      expect(r.patientId).toBe(patient.id);
      expect(r.record.sex).toBe(patient.gender);
      expect(typeof r.record.age).toBe('number');
      // Synthea writes BP as 85354-9 panels: systolic comes from a component, in mm[Hg].
      expect(r.record.sbp).toBeGreaterThan(60);
      expect(r.provenance.sbp!.values[0]).toMatchObject({ component: expect.any(Number), unit: 'mm[Hg]' });
      // Every value used comes from this bundle's resources.
      const ids = new Set(bundle.entry!.map((e) => `${e.resource!.resourceType}/${e.resource!.id}`));
      for (const b of r.basis) expect(ids.has(b.reference!)).toBe(true);
      for (const m of r.missing) expect(r.record[m.feature]).toBeNull();
      for (const [name, value] of Object.entries(r.record))
        if (value === null) expect(r.missing.some((m) => m.feature === name)).toBe(true);
    });
  }

  it('converts Synthea cholesterol from mg/dL to mmol/L with the cholesterol molar mass', () => {
    const file = files.find((f) => f.startsWith('Lean294'))!;
    const bundle: Bundle = JSON.parse(readFileSync(join(patientsDir, file), 'utf8'));
    const r = extractFeatures(bundle, mapping, { asOf: '2020-01-01' });
    const chol = r.provenance.cholesterol!;
    expect(chol.values[0]?.unit).toBe('mg/dL');
    const raw = chol.values[0]!.value as number;
    expect(r.record.cholesterol).toBeCloseTo((raw * 10) / 386.654, 6);
    expect(r.record.diabetes).toBe(false);
    expect(r.record.statin).toBe(false); // simvastatin orders in this record are all stopped
    expect(chol.values[0]!.converted?.method).toContain('386.654');
  });
});

describe('bad input', () => {
  const mapping = parseMapping(mappingJson);

  it('refuses input that is not a Bundle or an array with a typed error', () => {
    for (const bad of [null, 42, 'text', { resourceType: 'Patient' }, {}]) {
      try {
        extractFeatures(bad, mapping);
        expect.unreachable();
      } catch (e) {
        expect(isCairnError(e) && e.code).toBe('invalid_input');
      }
    }
  });

  it('skips malformed resources and entries with warnings', () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        { resource: { resourceType: 'Patient', id: 'p', birthDate: 'yesterday', gender: 'female' } },
        'junk',
        { resource: { no: 'type' } },
        { resource: { resourceType: 'Observation', id: 'nocode', status: 'final' } },
        {
          resource: {
            resourceType: 'Observation',
            id: 'strval',
            status: 'final',
            code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
            effectiveDateTime: '2024-01-01',
            valueQuantity: { value: '120', code: 'mm[Hg]' },
          },
        },
        {
          resource: {
            resourceType: 'Observation',
            id: 'nodate',
            status: 'final',
            code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] },
            valueQuantity: { value: 80, code: 'mm[Hg]' },
          },
        },
        { resource: { resourceType: 'Condition', id: 'c', code: 'not-a-concept' } },
      ],
    };
    const r = extractFeatures(bundle, mapping, { asOf: '2024-02-01' });
    expect(r.record.age).toBeNull();
    expect(r.missing.find((m) => m.feature === 'age')?.reason).toBe('invalid');
    expect(r.record.sex).toBe('female');
    expect(r.record.sbp).toBeNull();
    expect(r.missing.find((m) => m.feature === 'sbp')?.reason).toBe('invalid');
    expect(r.missing.find((m) => m.feature === 'dbp')?.message).toContain('no effective date');
    expect(r.issues.filter((i) => i.rule === 'type')).toHaveLength(2);
  });

  it('marks everything missing for a patient with nothing relevant', () => {
    const r = extractFeatures(
      { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: { resourceType: 'Patient', id: 'empty' } }] },
      mapping,
    );
    const observationFeatures = ['sbp', 'dbp', 'glucose', 'cholesterol', 'weight', 'smoker'];
    expect(r.missing.map((m) => m.feature).sort()).toEqual(['age', 'sex', ...observationFeatures].sort());
    expect(r.record.diabetes).toBe(false);
    expect(r.record.bp_count).toBe(0);
  });

  it('refuses several patients unless one is chosen, and ignores other patients’ data', () => {
    const a = variedPatient('a');
    const b = variedPatient('b');
    const both = { ...a, entry: [...a.entry!, ...b.entry!] };
    expect(() => extractFeatures(both, mapping)).toThrow(/2 patients; pass patientId/);
    const r = extractFeatures(both, mapping, { patientId: 'b', asOf: '2024-06-15' });
    expect(r.patientId).toBe('b');
    expect(r.provenance.glucose!.resources).toEqual(['Observation/b-glu-3']);
    expect(r.issues.some((i) => i.message.includes('belong to other patients'))).toBe(true);
    try {
      extractFeatures(both, mapping, { patientId: 'zzz' });
      expect.unreachable();
    } catch (e) {
      expect(isCairnError(e) && e.code).toBe('not_found');
    }
  });

  it('handles a Bundle of 100,000 resources, and refuses it past maxResources', () => {
    const big = largePatient(100_000);
    const r = extractFeatures(big, mapping, { asOf: '2024-01-01' });
    expect(typeof r.record.sbp).toBe('number');
    expect(r.record.bp_count).toBeGreaterThan(500);
    try {
      indexResources(big, { maxResources: 50_000 });
      expect.unreachable();
    } catch (e) {
      expect(isCairnError(e) && e.code).toBe('limit_exceeded');
    }
  });

  it('reports invalid mappings with every problem', () => {
    try {
      parseMapping({ features: { x: { source: 'observation', codes: [] }, y: { source: 'nope' }, 'bad name': { source: 'age' } } });
      expect.unreachable();
    } catch (e) {
      expect(isCairnError(e) && e.code).toBe('invalid_input');
      expect((e as { issues: unknown[] }).issues.length).toBeGreaterThanOrEqual(3);
    }
    expect(() => parseMapping('{not json')).toThrow(/not valid JSON/);
    const features: Feature[] = [
      { name: 'age', label: 'Age', type: 'number', unit: 'a', required: true },
      { name: 'bmi', label: 'BMI', type: 'number', required: true },
    ];
    expect(() => parseMapping({ features: { age: { source: 'age' } } }, features)).toThrow(/bmi/);
  });
});
