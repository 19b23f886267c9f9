import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel, type ManifestInput, sha256Hex } from '@cairn/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../__fixtures__/cli.js';

/** effect = 1 + 0.5·age/10 − 2·diabetic, as a LinearRegressor with an [N, 1] output. */
const model = buildModel({
  inputs: [{ name: 'input', dtype: 'float32', shape: ['N', 2] }],
  outputs: [{ name: 'effect', dtype: 'float32', shape: ['N', 1] }],
  nodes: [
    {
      opType: 'LinearRegressor',
      domain: 'ai.onnx.ml',
      inputs: ['input'],
      outputs: ['effect'],
      attributes: { coefficients: { floats: [0.05, -2] }, intercepts: { floats: [1] }, targets: { int: 1 } },
    },
  ],
});
const effectOf = (age: number, diabetic: boolean) => Math.fround(1 + 0.05 * age - 2 * (diabetic ? 1 : 0));

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cairn-cli-effect-'));
  const manifest: ManifestInput = {
    schemaVersion: 1,
    id: 'statin-effect',
    name: 'Statin effect on LDL (test)',
    version: '1.0.0',
    task: 'treatment-effect',
    intendedUse: 'Testing the CLI only.',
    limitations: ['Synthetic test model.'],
    features: [
      { name: 'age', label: 'Age', type: 'number' },
      { name: 'diabetic', label: 'Diabetic', type: 'boolean' },
    ],
    inputs: { layout: 'tensor', name: 'input', columns: [{ feature: 'age' }, { feature: 'diabetic' }] },
    output: { name: 'effect', kind: 'value' },
    effect: { treatment: 'statin', outcome: 'LDL cholesterol', unit: 'mmol/L' },
    provenance: { createdAt: '2026-01-01T00:00:00Z' },
    model: { file: 'model.onnx', sha256: await sha256Hex(model) },
  };
  mkdirSync(join(dir, 'effect'));
  writeFileSync(join(dir, 'effect/cairn.json'), JSON.stringify(manifest));
  writeFileSync(join(dir, 'effect/model.onnx'), model);
});

describe('cairn predict on a treatment-effect bundle', () => {
  it('writes each row’s estimated effect in an effect column', async () => {
    writeFileSync(join(dir, 'patients.csv'), 'id,age,diabetic\na,60,false\nb,40,true\nc,old,false\nd,80,no\n');
    const r = await cli(['predict', '--bundle', 'effect', '--input', 'patients.csv', '--out', 'effects.csv'], dir);
    expect(r.code).toBe(0);
    const lines = readFileSync(join(dir, 'effects.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('id,effect,error');
    expect(lines[1]).toBe(`a,${effectOf(60, false).toFixed(6)},`);
    expect(lines[2]).toBe(`b,${effectOf(40, true).toFixed(6)},`);
    expect(lines[3]).toMatch(/^c,,"row 3: age: Age must be a number, got 'old'"$/);
    expect(lines[4]).toBe(`d,${effectOf(80, false).toFixed(6)},`);
    expect(r.err).toMatch(/Scored 3 of 4 rows; 1 failed/);
  });

  it('writes effects without an id column to stdout', async () => {
    writeFileSync(join(dir, 'plain.csv'), 'age,diabetic\n50,true\n');
    const r = await cli(['predict', '--bundle', 'effect', '--input', 'plain.csv'], dir);
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n')).toEqual(['effect,error', `${effectOf(50, true).toFixed(6)},`]);
  });

  it('answers JSON input with effects instead of probabilities', async () => {
    writeFileSync(join(dir, 'one.json'), JSON.stringify({ age: 70, diabetic: false }));
    const one = await cli(['predict', '--bundle', 'effect', '--input', 'one.json'], dir);
    expect(one.code).toBe(0);
    const json = JSON.parse(one.out);
    expect(json).toMatchObject({ ok: true, modelId: 'statin-effect', modelVersion: '1.0.0' });
    expect(json.effect).toBeCloseTo(effectOf(70, false), 6);
    expect(json.probability).toBeUndefined();
    writeFileSync(join(dir, 'many.json'), JSON.stringify([{ age: 30, diabetic: true }, { age: 'x' }]));
    const many = await cli(['predict', '--bundle', 'effect', '--input', 'many.json'], dir);
    const items = JSON.parse(many.out);
    expect(items[0].effect).toBeCloseTo(effectOf(30, true), 6);
    expect(items[1]).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(many.err).toMatch(/1 of 2 records failed validation/);
  });
});
