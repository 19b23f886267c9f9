import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeTensor, nodeRuntime, openModel } from '@cairn/node';
import { describe, expect, it } from 'vitest';
import { sharedDir } from './__fixtures__/shared-models.js';

const root = join(sharedDir, 'models/onnx-backend-node-ai-onnx-ml');
const cases = readdirSync(root).filter((d) => d.startsWith('test_'));

describe('ONNX-ML backend conformance through the Node runtime', () => {
  it('has cases to run', () => {
    expect(cases.length).toBeGreaterThanOrEqual(8);
  });

  it.each(cases)('%s matches output_0.pb', async (name) => {
    const dir = join(root, name);
    const session = await openModel(new Uint8Array(readFileSync(join(dir, 'model.onnx'))), { runtime: nodeRuntime });
    const data = join(dir, 'test_data_set_0');
    const inputs = readdirSync(data)
      .filter((f) => f.startsWith('input_'))
      .sort();
    const feeds = Object.fromEntries(
      inputs.map((f, i) => [session.model.inputs[i]?.name as string, decodeTensor(readFileSync(join(data, f)))]),
    );
    const outputs = await session.run(feeds);
    const expected = decodeTensor(readFileSync(join(data, 'output_0.pb')));
    const actual = outputs[session.model.outputs[0]?.name as string];
    expect(actual).toBeDefined();
    expect(actual?.dims).toEqual(expected.dims);
    const got = Array.from(actual?.data as ArrayLike<number | bigint | string>, (v) => (typeof v === 'bigint' ? Number(v) : v));
    const want = Array.from(expected.data as ArrayLike<number | bigint | string>, (v) => (typeof v === 'bigint' ? Number(v) : v));
    expect(got.length).toBe(want.length);
    got.forEach((v, i) => {
      if (typeof v === 'number' && typeof want[i] === 'number') expect(v).toBeCloseTo(want[i] as number, 5);
      else expect(v).toEqual(want[i]);
    });
    await session.release();
  });
});
