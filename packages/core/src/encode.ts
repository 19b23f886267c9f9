import type { Feature, Manifest } from './manifest.js';
import type { ResolvedInput } from './model-check.js';
import type { FeatureRecord, FeatureValue } from './validate.js';

/** Data for one ONNX input, ready to wrap in a runtime tensor. */
export interface EncodedInput {
  readonly name: string;
  readonly dtype: ResolvedInput['dtype'];
  readonly data: Float32Array | Float64Array | BigInt64Array | string[];
  readonly dims: readonly number[];
}

/** Turns validated records into the model's input tensors, as the manifest maps them. */
export interface FeatureEncoder {
  readonly inputs: readonly ResolvedInput[];
  encode(rows: readonly FeatureRecord[]): EncodedInput[];
}

type NumberColumn = (v: FeatureValue) => number;

function numericColumn(feature: Feature, oneHot: string | number | undefined): NumberColumn {
  if (oneHot !== undefined) {
    const target = String(oneHot);
    return (v) => (v !== null && String(v) === target ? 1 : 0);
  }
  if (feature.type === 'boolean') return (v) => (v === null ? Number.NaN : v ? 1 : 0);
  return (v) => (v === null ? Number.NaN : Number(v));
}

/** Builds an encoder for a manifest whose inputs were resolved against the graph. */
export function createEncoder(manifest: Manifest, inputs: readonly ResolvedInput[]): FeatureEncoder {
  const features = new Map(manifest.features.map((f) => [f.name, f]));
  const spec = manifest.inputs;
  if (spec.layout === 'tensor') {
    const input = inputs[0] as ResolvedInput;
    const names = spec.columns.map((c) => c.feature);
    const columns = spec.columns.map((c) => numericColumn(features.get(c.feature) as Feature, c.oneHot));
    const width = columns.length;
    const Arr = input.dtype === 'float64' ? Float64Array : Float32Array;
    return {
      inputs,
      encode(rows) {
        const n = rows.length;
        const data = new Arr(n * width);
        for (let r = 0; r < n; r++) {
          const row = rows[r] as FeatureRecord;
          const base = r * width;
          for (let c = 0; c < width; c++) data[base + c] = (columns[c] as NumberColumn)(row[names[c] as string] ?? null);
        }
        return [{ name: input.name, dtype: input.dtype, data, dims: input.rank === 1 ? [n] : [n, width] }];
      },
    };
  }
  const cols = spec.columns.map((c, i) => {
    const f = features.get(c.feature) as Feature;
    const input = inputs[i] as ResolvedInput;
    return { feature: c.feature, input, toNumber: numericColumn(f, undefined) };
  });
  return {
    inputs,
    encode(rows) {
      const n = rows.length;
      return cols.map(({ feature, input, toNumber }) => {
        const dims = input.rank === 1 ? [n] : [n, 1];
        switch (input.dtype) {
          case 'string': {
            const data = new Array<string>(n);
            for (let r = 0; r < n; r++) {
              const v = (rows[r] as FeatureRecord)[feature] ?? null;
              data[r] = v === null ? '' : String(v);
            }
            return { name: input.name, dtype: input.dtype, data, dims };
          }
          case 'int64': {
            const data = new BigInt64Array(n);
            for (let r = 0; r < n; r++) data[r] = BigInt(Math.round(toNumber((rows[r] as FeatureRecord)[feature] ?? null)));
            return { name: input.name, dtype: input.dtype, data, dims };
          }
          default: {
            const data = input.dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
            for (let r = 0; r < n; r++) data[r] = toNumber((rows[r] as FeatureRecord)[feature] ?? null);
            return { name: input.name, dtype: input.dtype, data, dims };
          }
        }
      });
    },
  };
}
