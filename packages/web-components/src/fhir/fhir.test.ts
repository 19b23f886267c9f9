import { createFetchSource, defaultMessages, readPatientFeatures, summarizeExtraction } from '@cairn/web-components';
import { describe, expect, it } from 'vitest';
import { HEART_FHIR_MAPPING } from '../__fixtures__/heart-bundle.js';
import { fhirPatient } from '../__fixtures__/routes.js';

const features = [
  { name: 'age', label: 'Age', type: 'integer', unit: 'a', required: true },
  { name: 'sex', label: 'Male sex', type: 'boolean', required: true },
  { name: 'trestbps', label: 'Systolic blood pressure', type: 'integer', unit: 'mm[Hg]', required: true },
  { name: 'chol', label: 'Cholesterol', type: 'number', unit: 'mg/dL', required: true },
  { name: 'thalach', label: 'Maximum heart rate', type: 'integer', unit: '/min', required: true },
  { name: 'exang', label: 'Exercise angina', type: 'boolean', required: true },
] as const;

describe('FHIR record to form', () => {
  it('extracts the mapped features, converts units and lists what is missing, including unmapped features', async () => {
    const extraction = await readPatientFeatures({ resources: fhirPatient('p1') }, HEART_FHIR_MAPPING, features, {
      asOf: '2026-01-15T00:00:00Z',
    });
    expect(extraction.record.age).toBe(65);
    expect(extraction.record.sex).toBe(true);
    expect(extraction.record.trestbps).toBe(148);
    expect(extraction.record.thalach).toBe(163);
    expect(extraction.record.chol as number).toBeCloseTo(239.7, 0);
    const summary = summarizeExtraction(extraction, features, defaultMessages);
    expect(summary.used.map((u) => u.feature)).toEqual(['age', 'sex', 'trestbps', 'chol', 'thalach']);
    expect(summary.used.find((u) => u.feature === 'trestbps')?.text).toBe('148 mmHg on Nov 20, 2025');
    expect(summary.used.find((u) => u.feature === 'chol')?.text).toMatch(/^239\.\d+ mg\/dL on Oct 2, 2025; converted from 6\.2 mmol\/L$/);
    expect(summary.missing).toEqual([{ feature: 'exang', label: 'Exercise angina', reason: 'unmapped', text: 'not read from the record' }]);
  });

  it('refuses a model without a mapping, and a mapping that is wrong for reasons other than gaps', async () => {
    await expect(readPatientFeatures({ resources: [] }, undefined, features)).rejects.toThrow(/no FHIR mapping/);
    const wrongUnit = {
      version: 1,
      features: { age: { source: 'age' }, trestbps: { source: 'observation', codes: ['8480-6'], unit: 'kg' } },
    };
    await expect(readPatientFeatures({ resources: [] }, wrongUnit, features)).rejects.toThrow(/Invalid FHIR mapping/);
  });

  it('reads over fetch with the bearer token, follows same-server pages only, and types a refused token', async () => {
    const seen: Array<{ url: string; auth: string | undefined }> = [];
    const fetchFn = (async (url: string, init: RequestInit) => {
      seen.push({ url: String(url), auth: (init.headers as Record<string, string>).authorization });
      if (String(url).includes('page=2'))
        return Response.json({
          resourceType: 'Bundle',
          entry: [],
          link: [{ relation: 'next', url: 'https://evil.example.org/fhir/Observation?page=3' }],
        });
      if (String(url).includes('/Observation?'))
        return Response.json({
          resourceType: 'Bundle',
          entry: [],
          link: [{ relation: 'next', url: 'https://ehr.example.org/fhir/Observation?page=2' }],
        });
      if (String(url).endsWith('/Patient/p1')) return Response.json({ resourceType: 'Patient', id: 'p1' });
      return Response.json({ resourceType: 'OperationOutcome', issue: [{ details: { text: 'token expired' } }] }, { status: 401 });
    }) as typeof fetch;
    const source = createFetchSource({ baseUrl: 'https://ehr.example.org/fhir/', accessToken: 'tok', fetch: fetchFn });
    expect(source.baseUrl).toBe('https://ehr.example.org/fhir');
    expect(await source.read('Patient', 'p1')).toEqual({ resourceType: 'Patient', id: 'p1' });
    const pages = [];
    for await (const page of source.searchPages('Observation', { patient: 'p1' })) pages.push(page);
    expect(pages).toHaveLength(2);
    expect(seen.every((s) => s.auth === 'Bearer tok')).toBe(true);
    expect(seen.some((s) => s.url.startsWith('https://evil'))).toBe(false);
    await expect(source.read('Condition', 'c1')).rejects.toMatchObject({ code: 'unauthorized', reason: 'unauthorized', status: 401 });
    await expect(source.read('Condition', 'c1')).rejects.toThrow(/401.*token expired/);
    expect(() => createFetchSource({ baseUrl: 'not a url' })).toThrow(/not an absolute URL/);
  });
});
