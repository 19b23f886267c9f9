import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CairnError, isCairnError } from '@cairn/core';
import { describeDataset, readCsv, splitDataset } from '@cairn/pipelines';
import { describe, expect, it } from 'vitest';

const datasets = join(import.meta.dirname, '../../../../../shared/datasets');
const PIMA_ZEROS = { Glucose: [0], BloodPressure: [0], SkinThickness: [0], Insulin: [0], BMI: [0] };

async function failure(promise: Promise<unknown>): Promise<CairnError> {
  try {
    await promise;
  } catch (error) {
    if (isCairnError(error)) return error;
    throw error;
  }
  throw new Error('expected a CairnError');
}

describe('readCsv', () => {
  it('reads heart-cleveland with ? as missing and num > 0 as the positive class', async () => {
    const data = await readCsv(readFileSync(join(datasets, 'heart-cleveland.csv')), { target: 'num', positive: 'num > 0' });
    expect(data.rows).toBe(303);
    expect(data.columns.map((c) => c.name)).not.toContain('num');
    const byName = Object.fromEntries(data.columns.map((c) => [c.name, c]));
    expect(byName.sex?.type).toBe('boolean');
    expect(byName.age?.type).toBe('integer');
    expect(byName.oldpeak?.type).toBe('number');
    const ca = byName.ca?.values ?? new Float64Array();
    expect(ca.filter((v) => Number.isNaN(v)).length).toBe(4);
    expect(data.target.positive).toBe('num > 0');
    expect(data.target.labels.reduce((a, b) => a + b, 0)).toBe(139);
    expect(data.source.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads pima zeros as missing only in the columns told', async () => {
    const data = await readCsv(readFileSync(join(datasets, 'pima-diabetes.csv')), {
      target: 'Outcome',
      positive: 'Outcome == 1',
      columnMissing: PIMA_ZEROS,
    });
    const report = describeDataset(data);
    const missing = Object.fromEntries(report.features.map((f) => [f.name, f.missing]));
    expect(missing).toMatchObject({ Glucose: 5, BloodPressure: 35, SkinThickness: 227, Insulin: 374, BMI: 11, Pregnancies: 0 });
    expect(report.classBalance).toMatchObject({ positive: 268, negative: 500 });
    expect(data.ingest.missingTokens.Glucose).toContain('0');
    expect(data.ingest.missingTokens.Pregnancies).not.toContain('0');
  });

  it('parses every comparison operator and bare positive values', async () => {
    const csv = 'x,y\n1,0\n2,1\n3,2\n4,3\n';
    const positives = async (positive: string) => Array.from((await readCsv(csv, { target: 'y', positive })).target.labels);
    expect(await positives('y > 1')).toEqual([0, 0, 1, 1]);
    expect(await positives('y >= 1')).toEqual([0, 1, 1, 1]);
    expect(await positives('y < 1')).toEqual([1, 0, 0, 0]);
    expect(await positives('y <= 2')).toEqual([1, 1, 1, 0]);
    expect(await positives('y != 3')).toEqual([1, 1, 1, 0]);
    expect(await positives('y == 2')).toEqual([0, 0, 1, 0]);
    expect(await positives('2')).toEqual([0, 0, 1, 0]);
    const text = 'a,class\n1,ckd\n2,notckd\n3,CKD\n';
    expect(Array.from((await readCsv(text, { target: 'class', positive: 'class == ckd' })).target.labels)).toEqual([1, 0, 1]);
    const err = await failure(readCsv(csv, { target: 'y', positive: 'x > 1' }));
    expect(err.code).toBe('invalid_argument');
    expect(err.issues[0]?.path).toEqual(['positive']);
  });

  it('infers the positive class of a two-valued target and reads TSV', async () => {
    const data = await readCsv('a\tdied\n1\tno\n2\tyes\n3\tno\n', { target: 'died' });
    expect(data.source.delimiter).toBe('\t');
    expect(Array.from(data.target.labels)).toEqual([0, 1, 0]);
    const err = await failure(readCsv('a,y\n1,0\n2,1\n3,2\n', { target: 'y' }));
    expect(err.issues[0]?.rule).toBe('required');
  });

  it('applies a schema: types, labels, units, categories, exclusions', async () => {
    const csv = 'id,sex,cp,sbp,y\n1,M,1,120,0\n2,F,4,140,1\n3,F,2,,1\n4,M,4,130,0\n';
    const data = await readCsv(csv, {
      target: 'y',
      exclude: ['id'],
      schema: {
        columns: {
          cp: { type: 'category', label: 'Chest pain type' },
          sbp: { label: 'Systolic blood pressure', unit: 'mm[Hg]', type: 'number' },
          sex: {
            categories: [
              { value: 0, label: 'F' },
              { value: 1, label: 'M' },
            ],
          },
        },
      },
    });
    expect(data.columns.map((c) => c.name)).toEqual(['sex', 'cp', 'sbp']);
    const [sex, cp, sbp] = data.columns;
    expect(sex?.type).toBe('category');
    expect(Array.from(sex?.values ?? [])).toEqual([1, 0, 0, 1]);
    expect(cp?.categories).toEqual([
      { value: 1, label: '1' },
      { value: 2, label: '2' },
      { value: 4, label: '4' },
    ]);
    expect(sbp).toMatchObject({ label: 'Systolic blood pressure', unit: 'mm[Hg]', type: 'number' });
    expect(data.ingest.excluded).toEqual(['id']);
  });

  it('codes text categories in sorted order and keeps feature names manifest-safe', async () => {
    const data = await readCsv('Smoking status,2nd value,y\nnever,1,0\ncurrent,2,1\nformer,3,0\nnever,4,1\n', { target: 'y' });
    expect(data.columns.map((c) => [c.name, c.label])).toEqual([
      ['Smoking_status', 'Smoking status'],
      ['_2nd_value', '2nd value'],
    ]);
    expect(data.columns[0]?.categories?.map((k) => k.label)).toEqual(['current', 'former', 'never']);
    expect(Array.from(data.columns[0]?.values ?? [])).toEqual([2, 0, 1, 2]);
  });

  it('drops rows without a target and reports why', async () => {
    const data = await readCsv('a,y\n1,0\n2,?\n3,1\n4,NA\n', { target: 'y' });
    expect(data.rows).toBe(2);
    expect(data.ingest.dropped).toEqual([{ reason: "target 'y' is missing", count: 2, lines: [3, 5] }]);
    expect(describeDataset(data).rowsRead).toBe(4);
  });

  it('reads stray text within the tolerance as missing, and refuses it beyond', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => `${i % 7 === 0 ? 'high' : i},${i % 2}`);
    const lenient = await readCsv(['a,y', ...rows].join('\n'), { target: 'y', textTolerance: 0.2 });
    expect(lenient.columns[0]?.type).toBe('integer');
    expect(lenient.ingest.coerced[0]).toMatchObject({ column: 'a', count: 29, examples: ['high'] });
    const err = await failure(readCsv(['a,y', ...rows].join('\n'), { target: 'y' }));
    expect(err.code).toBe('invalid_input');
    expect(err.issues[0]).toMatchObject({ path: ['columns', 'a'], rule: 'type' });
    expect(err.message).toContain("'high'");
  });

  it('reads a test file with the training file as template', async () => {
    const train = await readCsv('sex,age,y\nM,50,0\nF,60,1\nF,70,1\n', { target: 'y' });
    const test = await readCsv('age,sex,y\n55,F,1\n65,X,0\n', { target: 'y', template: train, textTolerance: 1 });
    expect(test.columns.map((c) => c.name)).toEqual(['sex', 'age']);
    expect(Array.from(test.columns[0]?.values ?? [])).toEqual([0, Number.NaN]);
    expect(test.ingest.coerced[0]).toMatchObject({ column: 'sex', reason: 'unknown category: read as missing' });
    const zeros = await readCsv('g,y\n0,1\n5,0\n', { target: 'y', columnMissing: { g: [0] } });
    const zerosTest = await readCsv('g,y\n0,0\n7,1\n', { target: 'y', template: zeros });
    expect(Array.from(zerosTest.columns[0]?.values ?? [])).toEqual([Number.NaN, 7]);
    const err = await failure(readCsv('sex,y\nM,1\nF,0\n', { target: 'y', template: train }));
    expect(err.issues[0]).toMatchObject({ path: ['columns', 'age'], rule: 'required' });
  });
});

describe('readCsv errors', () => {
  const cases: Array<[string, string | Uint8Array, Record<string, unknown>, string, Record<string, unknown>]> = [
    ['an empty file', '', {}, 'invalid_input', { path: ['file'], rule: 'required' }],
    ['a header without rows', 'a,y\n', {}, 'invalid_input', { path: ['file'], rule: 'required' }],
    ['a missing target column', 'a,b\n1,0\n2,1\n', {}, 'invalid_input', { path: ['target'], rule: 'required' }],
    ['a single class', 'a,y\n1,0\n2,0\n', {}, 'invalid_input', { path: ['target'], rule: 'invalid' }],
    ['a single class under the condition', 'a,y\n1,0\n2,1\n', { positive: 'y > 5' }, 'invalid_input', { path: ['target'] }],
    ['an all-missing column', 'a,b,y\n1,?,0\n2,NA,1\n', {}, 'invalid_input', { path: ['columns', 'b'], rule: 'required' }],
    ['duplicate headers', 'a,a,y\n1,2,0\n2,3,1\n', {}, 'invalid_input', { path: ['header', 1], rule: 'invalid' }],
    ['ragged rows', 'a,b,y\n1,2,0\n2,1\n3,4,1\n', {}, 'invalid_input', { path: ['rows', 3], rule: 'shape' }],
    ['a file over the size limit', 'a,y\n1,0\n2,1\n', { maxBytes: 8 }, 'limit_exceeded', { path: ['file'] }],
    [
      'too many text levels',
      `a,y\n${Array.from({ length: 60 }, (_, i) => `id${i},${i % 2}`).join('\n')}`,
      {},
      'invalid_input',
      { rule: 'invalid' },
    ],
    ['an unknown column in columnMissing', 'a,y\n1,0\n2,1\n', { columnMissing: { b: [0] } }, 'invalid_input', { rule: 'unknown_field' }],
    [
      'text target under an ordered condition',
      'a,y\n1,low\n2,3\n',
      { positive: 'y > 1' },
      'invalid_input',
      { path: ['target'], rule: 'type' },
    ],
    [
      'a non-integer in an integer column',
      'a,y\n1.5,0\n2,1\n',
      { schema: { columns: { a: { type: 'integer' } } } },
      'invalid_input',
      { rule: 'not_integer' },
    ],
  ];
  it.each(cases)('refuses %s', async (_name, input, extra, code, expected) => {
    const err = await failure(readCsv(input, { target: 'y', ...extra }));
    expect(err.code).toBe(code);
    expect(err.issues[0]).toMatchObject(expected);
  });

  it('lists every ragged row up to ten and counts the rest', async () => {
    const rows = Array.from({ length: 15 }, () => '1');
    const err = await failure(readCsv(['a,y', ...rows].join('\n'), { target: 'y' }));
    expect(err.issues).toHaveLength(11);
    expect(err.message).toContain('Ragged rows (15)');
  });

  it('checks the byte size of byte input before decoding', async () => {
    const err = await failure(readCsv(new Uint8Array(100), { target: 'y', maxBytes: 10 }));
    expect(err.code).toBe('limit_exceeded');
  });
});

describe('splitDataset', () => {
  it('splits stratified, seeded and without overlap', async () => {
    const data = await readCsv(readFileSync(join(datasets, 'pima-diabetes.csv')), { target: 'Outcome' });
    const a = splitDataset(data, { seed: 3 });
    const b = splitDataset(data, { seed: 3 });
    const c = splitDataset(data, { seed: 4 });
    expect(a.train.rows + a.validation.rows + a.test.rows).toBe(768);
    expect(Math.abs(a.test.rows - 154)).toBeLessThanOrEqual(1);
    const rate = (d: typeof a.train) => d.target.labels.reduce((s, v) => s + v, 0) / d.rows;
    for (const part of [a.train, a.validation, a.test]) expect(Math.abs(rate(part) - 268 / 768)).toBeLessThan(0.01);
    expect(Array.from(a.test.columns[0]?.values ?? [])).toEqual(Array.from(b.test.columns[0]?.values ?? []));
    expect(Array.from(a.test.columns[1]?.values ?? [])).not.toEqual(Array.from(c.test.columns[1]?.values ?? []));
  });

  it('refuses fractions that leave nothing to train on', async () => {
    const data = await readCsv('a,y\n1,0\n2,1\n3,0\n4,1\n', { target: 'y' });
    expect(() => splitDataset(data, { test: 0.5, validation: 0.45 })).toThrow(/too little/);
  });
});
