// Test routes (Node only): a small FHIR R4 server and a Cairn predict API implemented with
// @cairn/core on onnxruntime-node — the reference for the contract in predict-api.ts.
import type { ServerResponse } from 'node:http';
import { type Explainer, isCairnError, type Manifest, normalizeError, type Predictor } from '@cairn/core';
import type { Route } from './harness.js';

function json(res: ServerResponse, status: number, body: unknown, type = 'application/json'): true {
  res.writeHead(status, { 'content-type': type, 'access-control-allow-origin': '*' });
  res.end(JSON.stringify(body));
  return true;
}

/** The test patient's resources: a man born 1960, blood pressure, cholesterol in mmol/L and heart rates; the rest is missing. */
export function fhirPatient(id = 'p1') {
  const patient = { resourceType: 'Patient', id, gender: 'male', birthDate: '1960-03-02' };
  const ref = { reference: `Patient/${id}` };
  const obs = (oid: string, code: string, display: string, date: string, value: number, unit: string) => ({
    resourceType: 'Observation',
    id: oid,
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code, display }] },
    subject: ref,
    effectiveDateTime: date,
    valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
  });
  return [
    patient,
    {
      resourceType: 'Observation',
      id: 'bp1',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '85354-9', display: 'Blood pressure panel' }] },
      subject: ref,
      effectiveDateTime: '2025-11-20',
      component: [
        {
          code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
          valueQuantity: { value: 148, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
        },
        {
          code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] },
          valueQuantity: { value: 92, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
        },
      ],
    },
    obs('chol1', '2093-3', 'Cholesterol', '2025-10-02', 6.2, 'mmol/L'),
    obs('hr1', '8867-4', 'Heart rate', '2025-09-14', 151, '/min'),
    obs('hr2', '8867-4', 'Heart rate', '2025-12-01', 163, '/min'),
  ];
}

/** A FHIR server at `prefix` that requires `token` and serves `resources` (searches filter by type and patient). */
export function fhirRoute(
  prefix: string,
  token: string,
  resources: ReadonlyArray<{ resourceType: string; id?: string; subject?: { reference?: string } }>,
): Route {
  return (req, res, url) => {
    if (!url.pathname.startsWith(`${prefix}/`)) return false;
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'authorization, accept' });
      res.end();
      return true;
    }
    if (req.headers.authorization !== `Bearer ${token}`) {
      return json(
        res,
        401,
        { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login', details: { text: 'invalid token' } }] },
        'application/fhir+json',
      );
    }
    const [type, id] = url.pathname.slice(prefix.length + 1).split('/');
    if (id) {
      const r = resources.find((x) => x.resourceType === type && x.id === id);
      return r
        ? json(res, 200, r, 'application/fhir+json')
        : json(res, 404, { resourceType: 'OperationOutcome', issue: [] }, 'application/fhir+json');
    }
    const patient = url.searchParams.get('patient');
    const entry = resources
      .filter((r) => r.resourceType === type && (!patient || r.subject?.reference === `Patient/${patient}`))
      .map((resource) => ({ resource, search: { mode: 'match' } }));
    return json(res, 200, { resourceType: 'Bundle', type: 'searchset', total: entry.length, entry }, 'application/fhir+json');
  };
}

/** Options of {@link predictApiRoute}. */
export interface PredictApiRouteOptions {
  readonly prefix: string;
  readonly manifest: Manifest;
  readonly predictor: Predictor;
  readonly explainer?: Explainer;
  readonly fhirMapping?: unknown;
  /** Answer every predict call with this status (a failing server). */
  readonly failPredict?: number;
}

/** The predict API of predict-api.ts, implemented with @cairn/core on onnxruntime-node. */
export function predictApiRoute(o: PredictApiRouteOptions): Route {
  const base = `${o.prefix}/api/v1/models/${o.manifest.id}`;
  return async (req, res, url, body) => {
    if (url.pathname === base && req.method === 'GET') return json(res, 200, { manifest: o.manifest, fhirMapping: o.fhirMapping });
    if (url.pathname !== `${base}/predict`) return false;
    if (req.method !== 'POST') return json(res, 405, { title: 'Method not allowed', status: 405 }, 'application/problem+json');
    if (o.failPredict) {
      return json(
        res,
        o.failPredict,
        { title: 'Internal Server Error', status: o.failPredict, detail: 'the model server is down' },
        'application/problem+json',
      );
    }
    try {
      const { inputs } = JSON.parse(body) as { inputs: Record<string, unknown> };
      const prediction = await o.predictor.predict(inputs);
      const explanation = o.explainer ? await o.explainer.explain(prediction.values) : null;
      return json(res, 200, { prediction, explanation });
    } catch (error) {
      const e = normalizeError(error);
      const status = isCairnError(error) && e.code === 'invalid_input' ? 422 : 500;
      return json(res, status, { title: e.message, status, code: e.code, detail: e.message, issues: e.issues }, 'application/problem+json');
    }
  };
}
