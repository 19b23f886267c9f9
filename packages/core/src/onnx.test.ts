import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CairnError, decodeModel, decodeTensor, encodeModel, operatorCounts, stripZipMap } from '@cairn/core';
import { describe, expect, it } from 'vitest';
import { randomEnsembleModel } from './__fixtures__/random-ensemble.js';

const shared = join(import.meta.dirname, '../../../../shared/models/skl2onnx-docs');
const models = readdirSync(shared).filter((f) => f.endsWith('.onnx'));

describe('decodeModel', () => {
  it.each(models)('decodes %s', (file) => {
    const model = decodeModel(readFileSync(join(shared, file)));
    expect(model.producerName).toBe('skl2onnx');
    expect(model.inputs.length).toBeGreaterThan(0);
    expect(model.nodes.length).toBeGreaterThan(0);
  });

  it('reads typed attributes: ints, floats, strings', () => {
    const model = decodeModel(readFileSync(join(shared, 'logreg_iris.onnx')));
    const lc = model.nodes.find((n) => n.opType === 'LinearClassifier');
    expect(lc?.attributes.get('classlabels_ints')).toEqual([0, 1, 2]);
    expect(lc?.attributes.get('post_transform')).toBe('SOFTMAX');
    expect(lc?.attributes.get('coefficients')).toHaveLength(6);
    expect(operatorCounts(model).get('ai.onnx.ml:ZipMap')).toBe(1);
  });

  it('round-trips through encode without losing anything', () => {
    const bytes = readFileSync(join(shared, 'pipeline_titanic.onnx'));
    const again = encodeModel(decodeModel(bytes));
    expect(decodeModel(again).nodes).toEqual(decodeModel(bytes).nodes);
    expect(Buffer.compare(Buffer.from(encodeModel(decodeModel(again))), Buffer.from(again))).toBe(0);
  });

  it.each([
    ['empty', new Uint8Array()],
    ['random bytes', Uint8Array.from({ length: 200 }, (_, i) => (i * 7919) % 251)],
    ['truncated', readFileSync(join(shared, 'rf_iris.onnx')).subarray(0, 5000)],
    ['text', new TextEncoder().encode('{"not": "onnx"}')],
  ])('refuses %s input with invalid_model', (_, bytes) => {
    expect(() => decodeModel(new Uint8Array(bytes))).toThrow(CairnError);
    try {
      decodeModel(new Uint8Array(bytes));
    } catch (error) {
      expect((error as CairnError).code).toBe('invalid_model');
    }
  });
});

describe('stripZipMap', () => {
  it('replaces the ZipMap output by the probability tensor and records class labels', () => {
    const { model, rewrites } = stripZipMap(decodeModel(readFileSync(join(shared, 'rf_iris.onnx'))));
    expect(rewrites).toEqual([{ output: 'output_probability', tensor: 'probabilities', classLabels: [0, 1, 2] }]);
    expect(model.nodes.some((n) => n.opType === 'ZipMap')).toBe(false);
    const out = model.outputs.find((o) => o.name === 'probabilities');
    expect(out?.type).toMatchObject({ kind: 'tensor', dtype: 'float32', shape: ['N', 3] });
  });

  it('leaves models without ZipMap untouched', () => {
    const model = decodeModel(randomEnsembleModel({ trees: 2, depth: 2, features: 3 }));
    expect(stripZipMap(model).model).toBe(model);
  });
});

describe('decodeTensor', () => {
  it('reads the ONNX conformance test data', () => {
    const dir = join(
      import.meta.dirname,
      '../../../../shared/models/onnx-backend-node-ai-onnx-ml/test_ai_onnx_ml_binarizer/test_data_set_0',
    );
    const t = decodeTensor(readFileSync(join(dir, 'input_0.pb')));
    expect(t.dims).toEqual([3, 4, 5]);
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(t.data.length).toBe(60);
  });
});
