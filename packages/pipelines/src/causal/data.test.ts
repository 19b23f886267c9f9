import { type CairnError, isCairnError, loadBundle, sha256Hex } from '@cairn/core';
import { causalDataset, readCausalCsv, readCsv, runCausalPipeline } from '@cairn/pipelines';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { lcg, simulate, toCsv } from './__fixtures__/simulate.js';

const model = { id: 'sim', name: 'Simulated effect', intendedUse: 'Testing input checks only.', limitations: ['Simulated data'] };

async function failure(promise: Promise<unknown>): Promise<CairnError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isCairnError(error)) throw new Error(`expected a CairnError, got ${String(error)}`);
  return error;
}

const base = toCsv(simulate({ n: 300, seed: 4 }).data);

/** The simulated CSV with one column rewritten. */
function withColumn(column: number, cell: (value: string, row: number) => string): string {
  const [header, ...rows] = base.trim().split('\n');
  return `${[
    header,
    ...rows.map((line, r) =>
      line
        .split(',')
        .map((v, j) => (j === column ? cell(v, r) : v))
        .join(','),
    ),
  ].join('\n')}\n`;
}

describe('readCausalCsv', () => {
  it('reads treatment, outcome and covariates, leaving excluded columns out', async () => {
    const text = withColumn(3, (v) => v).replace(/^t,y,x1,x2/, 't,y,x1,oracle');
    const data = await readCausalCsv(text, { treatment: 't', outcome: 'y', exclude: ['oracle'], name: 'sim.csv' });
    expect(data.covariates.map((c) => c.name)).toEqual(['x1']);
    expect(data.outcome).toMatchObject({ column: 'y', type: 'continuous' });
    expect(data.treatment).toMatchObject({ column: 't', treated: 't == 1' });
    expect(data.ingest.excluded).toContain('oracle');
    expect(data.rows).toBe(300);
  });

  it('names the columns of a file without a header and hashes the file as given', async () => {
    const body = base.split('\n').slice(1).join('\n');
    const data = await readCausalCsv(body, { treatment: 't', outcome: 'y', columns: ['t', 'y', 'x1', 'x2'] });
    expect(data.rows).toBe(300);
    expect(data.covariates.map((c) => c.name)).toEqual(['x1', 'x2']);
    expect(data.source.sha256).toBe(await sha256Hex(new TextEncoder().encode(body)));
  });

  it('refuses a treatment that is not binary, and asks which text value is treated', async () => {
    const dose = withColumn(0, (_v, r) => String(r % 3));
    let e = await failure(readCausalCsv(dose, { treatment: 't', outcome: 'y' }));
    expect(e.code).toBe('invalid_input');
    expect(e.message).toMatch(/Treatment is not binary: the treatment 't' must be binary, but it has 3 distinct values/);
    expect(e.issues[0]?.path).toEqual(['treatment']);
    const arms = withColumn(0, (v) => (v === '1' ? 'drug' : 'placebo'));
    e = await failure(readCausalCsv(arms, { treatment: 't', outcome: 'y' }));
    expect(e.message).toMatch(/say which one is treated/);
    const data = await readCausalCsv(arms, { treatment: 't', outcome: 'y', treated: 't == drug' });
    expect(data.treatment.treated).toBe('t == drug');
    const all = withColumn(0, () => '1');
    expect((await failure(readCausalCsv(all, { treatment: 't', outcome: 'y' }))).message).toMatch(/No comparison group/);
  });

  it('refuses missing outcomes unless told to drop them', async () => {
    const gaps = withColumn(1, (v, r) => (r % 50 === 7 ? '' : v));
    const e = await failure(readCausalCsv(gaps, { treatment: 't', outcome: 'y' }));
    expect(e.code).toBe('invalid_input');
    expect(e.message).toMatch(/the outcome 'y' is missing in 6 of 300 rows \(data rows 8, 58, 108, 158, 208, 258\)/);
    const dropped = await readCausalCsv(gaps, { treatment: 't', outcome: 'y', missingOutcome: 'drop' });
    expect(dropped.rows).toBe(294);
    expect(dropped.ingest.dropped.at(-1)).toMatchObject({ reason: "outcome 'y' is missing", count: 6 });
  });

  it('refuses a text outcome, an outcome that is the treatment, and unknown exclusions', async () => {
    const text = withColumn(1, (_v, r) => (r % 2 ? 'better' : 'worse').concat(r % 3 ? '' : '!'));
    expect((await failure(readCausalCsv(text, { treatment: 't', outcome: 'y' }))).message).toMatch(/holds text categories/);
    expect((await failure(readCausalCsv(base, { treatment: 't', outcome: 't' }))).message).toMatch(/is the treatment column/);
    const e = await failure(readCausalCsv(base, { treatment: 't', outcome: 'y', exclude: ['nope'] }));
    expect(e.issues.map((i) => i.path.join('.'))).toContain('exclude.nope');
  });

  it('turns a Dataset read with the treatment as target into causal data', async () => {
    const dataset = await readCsv(base, { target: 't' });
    const data = causalDataset(dataset, { outcome: 'y', exclude: ['x2'] });
    expect(data.covariates.map((c) => c.name)).toEqual(['x1']);
    expect(Array.from(data.treatment.values.slice(0, 20))).toEqual(Array.from(dataset.target.labels.slice(0, 20)));
  });
});

describe('causal-dr input checks', () => {
  it('drops a constant covariate with a warning and keeps it out of the bundle', async () => {
    const { data } = simulate({ n: 400, seed: 9 });
    const constant = { name: 'site', label: 'Site', type: 'number' as const, values: new Float64Array(400).fill(3) };
    const warned: string[] = [];
    const r = await runCausalPipeline(
      'causal-dr',
      { data: { ...data, covariates: [...data.covariates, constant] }, model, params: { refute: false } },
      { runtime: ort, logger: { warn: (message) => warned.push(message) } },
    );
    expect(r.warnings[0]).toMatchObject({ code: 'constant-covariate' });
    expect(warned[0]).toMatch(/covariate 'Site' is constant/);
    expect(r.data.droppedCovariates).toEqual(['site']);
    const bundle = await loadBundle(r.files);
    expect(bundle.manifest.features.map((f) => f.name)).toEqual(['x1', 'x2']);
  });

  it('refuses data without overlap: treatment decided by a covariate', async () => {
    const { data } = simulate({ n: 400, seed: 10 });
    const x1 = data.covariates[0]?.values ?? new Float64Array(0);
    const treatment = Uint8Array.from(x1, (v) => (v > 0 ? 1 : 0));
    const e = await failure(
      runCausalPipeline(
        'causal-dr',
        { data: { ...data, treatment: { ...data.treatment, values: treatment } }, model, params: { refute: false } },
        { runtime: ort },
      ),
    );
    expect(e.code).toBe('invalid_input');
    expect(e.message).toMatch(
      /No overlap: .*'x1' separates the groups \(every treated unit has x1 ≥ [0-9.e-]+ and every untreated unit x1 ≤ -?[0-9.e-]+\)/,
    );
    expect(e.issues[0]?.path).toEqual(['covariates', 'x1']);
  });

  it('warns when treatment is decided by several covariates together', async () => {
    const { data } = simulate({ n: 400, seed: 10 });
    const [x1, x2] = data.covariates.map((c) => c.values) as [Float64Array, Float64Array];
    const treatment = Uint8Array.from(x1, (v, i) => (v + (x2[i] as number) > 0 ? 1 : 0));
    const r = await runCausalPipeline(
      'causal-dr',
      { data: { ...data, treatment: { ...data.treatment, values: treatment } }, model, params: { refute: false } },
      { runtime: ort },
    );
    const codes = r.warnings.map((w) => w.code);
    expect(codes).toContain('poor-overlap');
    expect(codes).toContain('extreme-propensity');
    expect(r.overlap.outside.all).toBeGreaterThan(0.5);
  });

  it('refuses too few units in an arm, bad params and a missing model description', async () => {
    const { data } = simulate({ n: 300, seed: 12 });
    const r = lcg(3);
    const few = Uint8Array.from({ length: 300 }, (_, i) => (i < 6 ? 1 : r.uniform() < 0 ? 1 : 0));
    let e = await failure(
      runCausalPipeline('causal-dr', { data: { ...data, treatment: { ...data.treatment, values: few } }, model }, { runtime: ort }),
    );
    expect(e.message).toMatch(/needs at least 10 treated and 10 untreated rows; there are 6 and 294/);
    e = await failure(runCausalPipeline('causal-dr', { data, model, params: { folds: 1, propensity: 'forest' } }, { runtime: ort }));
    expect(e.code).toBe('invalid_argument');
    expect(e.issues.map((i) => i.path.join('.'))).toEqual(['params.folds', 'params.propensity']);
    e = await failure(runCausalPipeline('causal-dr', { data, model: { ...model, limitations: [] } }, { runtime: ort }));
    expect(e.message).toMatch(/model.limitations/);
    e = await failure(runCausalPipeline('causal-dr', { data, model, params: { outcome: 'z' } }, { runtime: ort }));
    expect(e.message).toMatch(/the data's outcome is 'y', not 'z'/);
  });
});
