// biome-ignore-all lint/suspicious/noExplicitAny: response bodies in tests are loosely typed JSON
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS } from './__fixtures__/bundles.js';
import type { Client } from './__fixtures__/client.js';
import { startTestServer, type TestServer } from './__fixtures__/server.js';

let t: TestServer;
let scientist: Client;
let pima: Uint8Array;

const SPEC = {
  target: 'Outcome',
  positive: 'Outcome == 1',
  columnMissing: { Glucose: [0], BloodPressure: [0], SkinThickness: [0], Insulin: [0], BMI: [0] },
  model: { id: 'pima-trained', name: 'Diabetes (trained in a test)', intendedUse: 'Testing.', limitations: ['Test model'] },
  bootstrap: 20,
};

function form(fields: Record<string, unknown>, files: Record<string, Uint8Array | string> = {}): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, typeof v === 'string' ? v : JSON.stringify(v));
  for (const [k, v] of Object.entries(files)) f.append(k, new Blob([v]), `${k}.csv`);
  return f;
}

/** Reads server-sent events until the stream ends; returns every run state sent. */
async function followEvents(client: Client, id: string, onEvent?: (run: any) => void): Promise<any[]> {
  const headers: Record<string, string> = { cookie: [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
  const res = await fetch(`${client.base}/api/v1/training-runs/${id}/events`, { headers });
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const events: any[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let at = buffer.indexOf('\n\n');
    while (at >= 0) {
      const block = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      if (data) {
        const run = JSON.parse(data);
        events.push(run);
        onEvent?.(run);
      }
      at = buffer.indexOf('\n\n');
    }
  }
  return events;
}

beforeAll(async () => {
  t = await startTestServer({ TRAINING_CONCURRENCY: '1' });
  scientist = await t.user(['data_scientist']);
  pima = new Uint8Array(await readFile(join(DATASETS, 'pima-diabetes.csv')));
});
afterAll(async () => t?.close());

describe('training runs', () => {
  it('lists the pipelines with their parameters', async () => {
    const r = await scientist.get('/api/v1/pipelines');
    expect(r.body.pipelines.map((p: any) => p.id)).toEqual(['logistic', 'gbdt', 'random-forest']);
    expect(r.body.pipelines[1].defaults.trees).toBe(300);
  });

  it('trains off the request thread with live progress, and the model appears under Models', async () => {
    const created = await scientist.request('POST', '/api/v1/training-runs', {
      body: form({ pipeline: 'gbdt', params: { trees: 5 }, spec: SPEC }, { train: pima }),
    });
    expect(created.status, created.text).toBe(202);
    expect(created.body.run.status).toBe('queued');
    const events = await followEvents(scientist, created.body.run.id);
    const last = events.at(-1);
    expect(last.status, JSON.stringify(last.error)).toBe('succeeded');
    expect(new Set(events.map((e) => e.status))).toContain('running');
    expect(events.some((e) => e.progress.stage === 'train' || e.progress.stage === 'evaluate')).toBe(true);
    expect(last.result).toMatchObject({ modelId: 'pima-trained', version: '1.0.0' });
    expect(last.createdBy.email).toMatch(/@example.org/);
    const model = await scientist.get('/api/v1/models/pima-trained');
    expect(model.body.model.versions[0]).toMatchObject({ source: 'training', trainingRunId: created.body.run.id });
    expect(model.body.manifest.modelCard.plots.shapSummary.features.length).toBeGreaterThan(0);
    const p = await scientist.post('/api/v1/models/pima-trained/predict', {
      inputs: {
        Pregnancies: 2,
        Glucose: 140,
        BloodPressure: 70,
        SkinThickness: 30,
        Insulin: 100,
        BMI: 32,
        DiabetesPedigreeFunction: 0.5,
        Age: 40,
      },
    });
    expect(p.status).toBe(200);
    const admin = await t.admin();
    const audit = await admin.get(`/api/v1/audit?action=training&limit=50`);
    const actions = audit.body.records.filter((r: any) => r.targetId === created.body.run.id).map((r: any) => r.action);
    expect(actions.sort()).toEqual(['training.create', 'training.start', 'training.succeed']);
    // A second run of the same model gets the next version.
    const again = await scientist.request('POST', '/api/v1/training-runs', {
      body: form({ pipeline: 'logistic', params: {}, spec: SPEC }, { train: pima }),
    });
    const second = (await followEvents(scientist, again.body.run.id)).at(-1);
    expect(second.result.version).toBe('1.1.0');
    expect((await scientist.get('/api/v1/models/pima-trained')).body.version).toBe('1.0.0');
  });

  it('cancels a running and a queued run', async () => {
    const long = await scientist.request('POST', '/api/v1/training-runs', {
      body: form(
        {
          pipeline: 'random-forest',
          params: { trees: 2000, maxDepth: 20, minLeafWeight: 0 },
          spec: { ...SPEC, model: { ...SPEC.model, id: 'slow' } },
        },
        { train: pima },
      ),
    });
    const queued = await scientist.request('POST', '/api/v1/training-runs', {
      body: form({ pipeline: 'logistic', params: {}, spec: { ...SPEC, model: { ...SPEC.model, id: 'never' } } }, { train: pima }),
    });
    let cancelled = false;
    const events = await followEvents(scientist, long.body.run.id, (run) => {
      if (!cancelled && run.status === 'running') {
        cancelled = true;
        void scientist.post(`/api/v1/training-runs/${long.body.run.id}/cancel`);
      }
    });
    expect(events.at(-1).status).toBe('cancelled');
    const q = await scientist.get(`/api/v1/training-runs/${queued.body.run.id}`);
    if (q.body.run.status === 'queued') {
      const c = await scientist.post(`/api/v1/training-runs/${queued.body.run.id}/cancel`);
      expect(c.body.run.status).toBe('cancelled');
    }
    expect((await scientist.post(`/api/v1/training-runs/${long.body.run.id}/cancel`)).status).toBe(409);
    expect((await scientist.get('/api/v1/models/slow')).status).toBe(404);
  });

  it('refuses bad CSVs, parameters and specs with clear messages', async () => {
    const cases: Array<[string, FormData, string, RegExp]> = [
      ['no target column', form({ pipeline: 'gbdt', spec: { ...SPEC, target: 'Missing' } }, { train: pima }), 'body.train', /Missing/],
      ['not a CSV', form({ pipeline: 'gbdt', spec: SPEC }, { train: new Uint8Array([0, 1, 2, 255, 254, 10, 13, 0]) }), 'body.train', /./],
      ['one row', form({ pipeline: 'gbdt', spec: SPEC }, { train: 'Glucose,Outcome\n1,1\n' }), 'body.train', /./],
      ['bad parameter', form({ pipeline: 'gbdt', params: { trees: -1 }, spec: SPEC }, { train: pima }), 'body.params.trees', /./],
      ['unknown parameter', form({ pipeline: 'gbdt', params: { tress: 5 }, spec: SPEC }, { train: pima }), 'body.params', /./],
      ['unknown pipeline', form({ pipeline: 'svm', spec: SPEC }, { train: pima }), 'body.pipeline', /svm/],
      ['params not JSON', form({ pipeline: 'gbdt', params: '{trees:', spec: SPEC }, { train: pima }), 'body.params', /JSON/],
      [
        'spec without limitations',
        form({ pipeline: 'gbdt', spec: { ...SPEC, model: { ...SPEC.model, limitations: [] } } }, { train: pima }),
        'body.spec.model.limitations',
        /limitation/,
      ],
      ['no train file', form({ pipeline: 'gbdt', spec: SPEC }), 'body.train', /train/],
    ];
    for (const [name, body, field, message] of cases) {
      const r = await scientist.request('POST', '/api/v1/training-runs', { body });
      expect(r.status, `${name}: ${r.text}`).toBe(400);
      expect(r.body.detail, name).toMatch(message);
      expect(
        r.body.issues.some((i: any) => i.field.startsWith(field)),
        `${name}: ${JSON.stringify(r.body.issues)}`,
      ).toBe(true);
    }
    const json = await scientist.post('/api/v1/training-runs', { pipeline: 'gbdt' });
    expect(json.status).toBe(415);
    const clinician = await t.user(['clinician']);
    expect((await clinician.get('/api/v1/training-runs')).status).toBe(403);
    expect((await scientist.get('/api/v1/training-runs/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });
});
