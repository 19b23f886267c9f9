import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPredictor, isCairnError } from '@cairn/core';
import {
  buildRiskAssessment,
  createFhirKitSource,
  createUcumConverter,
  extractFeatures,
  postRiskAssessment,
  validateFhirResource,
} from '@cairn/fhir-adapter';
import type { Bundle, RiskAssessment } from '@medplum/fhirtypes';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFhirServer, storeTransaction, type TestFhirServer } from './__fixtures__/fhir-server.js';
import { cardioBundle, cardioMapping, linearExplanation } from './__fixtures__/model.js';

const here = new URL('.', import.meta.url).pathname;
const patientsDir = join(here, '../../../../shared/fhir/patients');
const lean: Bundle = JSON.parse(readFileSync(join(patientsDir, readdirSync(patientsDir).find((f) => f.startsWith('Lean294'))!), 'utf8'));

describe('RiskAssessment', () => {
  let ra: RiskAssessment;
  let probability: number;
  let server: TestFhirServer;

  beforeAll(async () => {
    const bundle = await cardioBundle();
    const predictor = await createPredictor(bundle, { runtime: ort as never, convertUnit: createUcumConverter() });
    const extraction = extractFeatures(lean, cardioMapping, { asOf: '2020-01-01', features: bundle.manifest.features });
    const prediction = await predictor.predict(extraction.record);
    probability = prediction.probability;
    ra = await buildRiskAssessment({
      prediction,
      extraction,
      occurrence: '2020-01-01T12:00:00Z',
      modelName: bundle.manifest.name,
      outcome: 'Cardiovascular event within 10 years',
      explanation: linearExplanation(prediction.values),
      topContributors: 3,
    });
    await predictor.release();
    server = await startFhirServer({ resources: storeTransaction(lean), token: 't' });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  });

  it('carries subject, occurrence, status, method, basis, prediction and a note', () => {
    const patientId = lean.entry!.find((e) => e.resource?.resourceType === 'Patient')!.resource!.id;
    expect(ra.resourceType).toBe('RiskAssessment');
    expect(ra.status).toBe('final');
    expect(ra.subject).toEqual({ reference: `Patient/${patientId}` });
    expect(ra.occurrenceDateTime).toBe('2020-01-01T12:00:00.000Z');
    expect(ra.method?.coding?.[0]).toEqual({
      system: 'urn:cairn:model',
      code: 'cardio-test@2.1.0',
      display: 'Cardiovascular risk (test) 2.1.0',
    });
    expect(ra.basis?.length).toBeGreaterThanOrEqual(3);
    expect(ra.basis).toContainEqual({ reference: `Patient/${patientId}` });
    expect(ra.basis?.every((b) => /^(Patient|Observation|Condition)\//.test(b.reference!))).toBe(true);
    const p = ra.prediction![0]!;
    expect(p.probabilityDecimal).toBeCloseTo(probability, 5);
    expect(p.outcome?.text).toBe('Cardiovascular event within 10 years');
    expect(p.qualitativeRisk?.text).toMatch(/^(Low|Moderate|High)$/);
    expect(p.qualitativeRisk?.coding?.[0]?.system).toBe('http://terminology.hl7.org/CodeSystem/risk-probability');
    expect(ra.note?.[1]?.text).toMatch(/^Top contributors:\n- Age \d+ a \(\+\d/);
    expect(ra.note?.[1]?.text.split('\n')).toHaveLength(4);
  });

  it('passes FHIR R4 validation', async () => {
    await expect(validateFhirResource(ra)).resolves.toEqual([]);
  });

  it('rejects a resource that breaks R4 with every issue', async () => {
    const bad = { ...ra, status: undefined, prediction: [{ probabilityDecimal: 'high' }], bogus: 1 } as unknown as RiskAssessment;
    try {
      await validateFhirResource(bad);
      expect.unreachable();
    } catch (e) {
      expect(isCairnError(e) && e.code).toBe('invalid_input');
      expect((e as { issues: Array<{ path: string[] }> }).issues.map((i) => i.path.join('.'))).toEqual(
        expect.arrayContaining(['RiskAssessment.bogus', 'RiskAssessment.status', 'RiskAssessment.prediction[0].probability[x]']),
      );
    }
  });

  it('refuses to build from a bad prediction', async () => {
    await expect(
      buildRiskAssessment({
        prediction: { modelId: 'm', modelVersion: '1.0.0', probability: 1.5, band: { id: 'x', label: 'X' } },
        subject: 'Patient/1',
      }),
    ).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(
      buildRiskAssessment({ prediction: { modelId: 'm', modelVersion: '1.0.0', probability: 0.5, band: { id: 'x', label: 'X' } } }),
    ).rejects.toThrow(/subject/);
  });

  it('posts to a FHIR server after validation', async () => {
    const source = createFhirKitSource({ baseUrl: server.url, bearerToken: 't' });
    const stored = await postRiskAssessment(source, ra);
    expect(stored.id).toMatch(/^new-/);
    expect(server.created).toHaveLength(1);
    expect(server.requests.at(-1)).toMatchObject({ method: 'POST', url: '/fhir/RiskAssessment' });
    await expect(postRiskAssessment(source, { ...ra, subject: 'Patient/1' } as unknown as RiskAssessment)).rejects.toMatchObject({
      code: 'invalid_input',
    });
    expect(server.created).toHaveLength(1);
  });
});
