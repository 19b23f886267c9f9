import { isCairnError } from '@cairn/core';
import { fetchModelInfo, modelInfoUrl, parsePredictResponse, predictUrl, requestPrediction } from '@cairn/web-components';
import { describe, expect, it } from 'vitest';
import { manifest } from './__fixtures__/manifest.js';

type Call = { url: string; init: RequestInit };

function fakeFetch(respond: (call: Call) => Response): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    fetch: (async (url: string, init: RequestInit) => {
      const call = { url: String(url), init };
      calls.push(call);
      return respond(call);
    }) as typeof fetch,
  };
}

const prediction = {
  modelId: 'heart-test',
  modelVersion: '1.2.0',
  probability: 0.31,
  label: 0,
  classLabel: 0,
  threshold: 0.5,
  band: { id: 'medium', label: 'Medium risk' },
  values: { age: 50 },
  warnings: [{ path: ['age'], rule: 'implausible', message: 'check', severity: 'warning' }],
};

async function failure(p: Promise<unknown>) {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!isCairnError(e)) throw new Error(`expected a CairnError, got ${String(e)}`);
  return e;
}

describe('predict API client', () => {
  it('builds the documented URLs and refuses ids that would change the path', () => {
    expect(modelInfoUrl('https://cairn.example.org/', 'heart-test')).toBe('https://cairn.example.org/api/v1/models/heart-test');
    expect(predictUrl('https://cairn.example.org', 'heart-test')).toBe('https://cairn.example.org/api/v1/models/heart-test/predict');
    expect(() => predictUrl('https://x', '../admin')).toThrow(/not a model id/);
  });

  it('posts { inputs } and returns the prediction and explanation', async () => {
    const explanation = { space: 'log-odds', contributions: [{ feature: 'age', label: 'Age', value: 50, contribution: 0.2 }] };
    const f = fakeFetch(() => Response.json({ prediction, explanation }));
    const r = await requestPrediction('https://x/', 'heart-test', { age: 50 }, { fetch: f.fetch, headers: { authorization: 'Bearer t' } });
    expect(r.prediction.probability).toBe(0.31);
    expect(r.prediction.warnings[0]?.rule).toBe('implausible');
    expect(r.explanation?.contributions).toHaveLength(1);
    const [call] = f.calls;
    if (!call) throw new Error('expected a request');
    expect(call.url).toBe('https://x/api/v1/models/heart-test/predict');
    expect(call.init.method).toBe('POST');
    expect(JSON.parse(String(call.init.body))).toEqual({ inputs: { age: 50 }, explain: true });
    expect((call.init.headers as Record<string, string>).authorization).toBe('Bearer t');
  });

  it('turns problem documents into CairnErrors with the server code, the status and the issues', async () => {
    const problem = {
      title: 'Invalid input',
      status: 422,
      code: 'invalid_input',
      detail: 'Age is required',
      issues: [{ path: ['age'], rule: 'required', message: 'Age is required', severity: 'error' }],
    };
    const f = fakeFetch(
      () => new Response(JSON.stringify(problem), { status: 422, headers: { 'content-type': 'application/problem+json' } }),
    );
    const e = await failure(requestPrediction('https://x', 'heart-test', {}, { fetch: f.fetch }));
    expect(e.code).toBe('invalid_input');
    expect(e.message).toBe('https://x/api/v1/models/heart-test/predict answered 422: Age is required');
    expect(e.issues[0]?.path).toEqual(['age']);

    const down = fakeFetch(() => new Response('<html>Bad gateway</html>', { status: 502 }));
    expect((await failure(requestPrediction('https://x', 'heart-test', {}, { fetch: down.fetch }))).code).toBe('unavailable');
    const crash = fakeFetch(() => new Response('oops', { status: 500 }));
    expect((await failure(requestPrediction('https://x', 'heart-test', {}, { fetch: crash.fetch }))).code).toBe('internal');
    const offline = { fetch: (async () => Promise.reject(new TypeError('Failed to fetch'))) as typeof fetch };
    expect((await failure(requestPrediction('https://x', 'heart-test', {}, offline))).message).toMatch(
      /could not be reached \(Failed to fetch\)/,
    );
  });

  it('refuses answers that are not predictions', () => {
    expect(() => parsePredictResponse({ prediction: { ...prediction, probability: 1.5 } })).toThrow(
      /prediction.probability must be a number from 0 to 1/,
    );
    expect(() => parsePredictResponse({ prediction: { ...prediction, band: undefined } })).toThrow(/prediction.band/);
    expect(() => parsePredictResponse({ prediction, explanation: { space: 'log-odds', contributions: [{ feature: 'a' }] } })).toThrow(
      /explanation.contributions.0/,
    );
    expect(parsePredictResponse({ prediction, explanation: null }).explanation).toBeNull();
  });

  it('reads and checks the model description (manifest and FHIR mapping)', async () => {
    const f = fakeFetch(() => Response.json({ manifest, fhirMapping: { version: 1, features: {} } }));
    const info = await fetchModelInfo('https://x', 'heart-test', { fetch: f.fetch });
    expect(info.manifest.features.map((x) => x.name)).toEqual(['age', 'sex', 'cp', 'chol']);
    expect(info.fhirMapping).toEqual({ version: 1, features: {} });
    const bad = fakeFetch(() => Response.json({ manifest: { ...manifest, features: [] } }));
    expect((await failure(fetchModelInfo('https://x', 'heart-test', { fetch: bad.fetch }))).code).toBe('invalid_manifest');
    const none = fakeFetch(() => Response.json({ id: 'heart-test' }));
    expect((await failure(fetchModelInfo('https://x', 'heart-test', { fetch: none.fetch }))).message).toMatch(/without a manifest/);
  });
});
