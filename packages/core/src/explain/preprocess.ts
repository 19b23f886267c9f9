import type { EncodedInput } from '../encode.js';
import { CairnError, invalidInput, issue, unsupported } from '../errors.js';
import type { OnnxModel, OnnxNode, OnnxTensor } from '../onnx/model.js';

/** Element type of a tensor flowing through the preprocessing. */
export type Dtype = 'float32' | 'float64' | 'int64' | 'string';

/** A batch of rows: `data` holds `rows × size` elements, row-major. */
interface Batch {
  readonly dtype: Dtype;
  readonly data: Float64Array | string[];
}

/** Static facts about a tensor: per-row shape, element type and the feature each element comes from. */
interface Meta {
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  readonly size: number;
  readonly origins: Int32Array;
}

/** Origin of an element computed from no feature (a constant). */
export const CONSTANT_ORIGIN = -1;
/** Origin of an element computed from several features (e.g. after a Normalizer). */
export const MIXED_ORIGIN = -2;

/** The model's preprocessing, compiled to JS: encoded inputs in, the core model's input matrix out. */
export interface Preprocessing {
  readonly width: number;
  readonly dtype: Dtype;
  /** Feature index of each column, or {@link CONSTANT_ORIGIN} / {@link MIXED_ORIGIN}. */
  readonly origins: Int32Array;
  /** Returns `rows × width` values (float32 columns hold float32-rounded values). */
  run(inputs: readonly EncodedInput[], rows: number): Float64Array;
}

type Step = (inputs: Batch[], rows: number) => Batch;

const fround = Math.fround;

function product(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function meta(dtype: Dtype, shape: readonly number[], origins: Int32Array): Meta {
  return { dtype, shape, size: product(shape), origins };
}

function ints(node: OnnxNode, name: string): number[] | undefined {
  const v = node.attributes.get(name);
  return Array.isArray(v) ? (v as number[]) : undefined;
}

function floats(node: OnnxNode, name: string): number[] | undefined {
  const v = node.attributes.get(name);
  if (Array.isArray(v)) return v as number[];
  return undefined;
}

function num(node: OnnxNode, name: string, fallback: number): number {
  const v = node.attributes.get(name);
  return typeof v === 'number' ? v : fallback;
}

function str(node: OnnxNode, name: string, fallback: string): string {
  const v = node.attributes.get(name);
  return typeof v === 'string' ? v : fallback;
}

function tensorNumbers(t: OnnxTensor): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
}

const CAST_TARGETS: Record<number, Dtype> = { 1: 'float32', 11: 'float64', 7: 'int64', 6: 'int64', 9: 'int64', 8: 'string' };

function toNumberArray(batch: Batch): Float64Array {
  if (batch.dtype !== 'string') return batch.data as Float64Array;
  const src = batch.data as string[];
  const out = new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const s = (src[i] as string).trim();
    out[i] = s === '' ? Number.NaN : Number(s);
  }
  return out;
}

function elementwise(input: Meta, dtype: Dtype): Meta {
  return meta(dtype, input.shape, input.origins);
}

function normAxis(axis: number, rank: number, node: OnnxNode): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 1 || a >= rank)
    throw unsupported(`${node.opType} '${node.name}' works across rows (axis ${axis}); Cairn explains row-wise pipelines only`);
  return a - 1;
}

/** Compiles one node: checks shapes and types, tracks origins, returns the runtime step. */
function compileNode(node: OnnxNode, ins: Meta[], model: OnnxModel): { out: Meta; step: Step } {
  const first = ins[0] as Meta;
  const where = `${node.opType} '${node.name}'`;
  switch (node.opType) {
    case 'Identity':
      return { out: first, step: (b) => b[0] as Batch };
    case 'Cast': {
      const to = CAST_TARGETS[num(node, 'to', 0)];
      if (!to) throw unsupported(`${where} casts to ONNX type ${num(node, 'to', 0)}, which Cairn does not evaluate`);
      if (to === 'string' && first.dtype !== 'string' && first.dtype !== 'int64') {
        throw unsupported(`${where} casts floating-point numbers to strings, which Cairn does not evaluate`);
      }
      return {
        out: elementwise(first, to),
        step: ([b]) => {
          const src = b as Batch;
          if (to === 'string') {
            return { dtype: 'string', data: src.dtype === 'string' ? src.data : Array.from(src.data as Float64Array, (v) => String(v)) };
          }
          const x = toNumberArray(src);
          const out = new Float64Array(x.length);
          for (let i = 0; i < x.length; i++) {
            const v = x[i] as number;
            out[i] = to === 'float32' ? fround(v) : to === 'int64' ? (Number.isNaN(v) ? Number.NaN : Math.trunc(v)) : v;
          }
          return { dtype: to, data: out };
        },
      };
    }
    case 'Scaler': {
      if (first.dtype === 'string') throw unsupported(`${where} gets strings`);
      const offset = floats(node, 'offset') ?? [0];
      const scale = floats(node, 'scale') ?? [1];
      const stride = first.shape[first.shape.length - 1] ?? 1;
      for (const [n, a] of [
        ['offset', offset],
        ['scale', scale],
      ] as const) {
        if (a.length !== 1 && a.length !== stride) throw unsupported(`${where} has ${a.length} ${n} values for ${stride} columns`);
      }
      const isFloat = first.dtype === 'float32';
      return {
        out: elementwise(first, 'float32'),
        step: ([b], rows) => {
          const x = (b as Batch).data as Float64Array;
          const out = new Float64Array(x.length);
          const size = first.size;
          for (let r = 0; r < rows; r++) {
            for (let i = 0; i < size; i++) {
              const k = r * size + i;
              const c = i % stride;
              const off = (offset.length === 1 ? offset[0] : offset[c]) as number;
              const sc = (scale.length === 1 ? scale[0] : scale[c]) as number;
              // onnxruntime computes in float when the input is float: round each step as it does.
              out[k] = isFloat ? fround(fround((x[k] as number) - off) * sc) : fround(((x[k] as number) - off) * sc);
            }
          }
          return { dtype: 'float32', data: out };
        },
      };
    }
    case 'Imputer': {
      if (first.dtype === 'string') throw unsupported(`${where} gets strings`);
      const isInt = first.dtype === 'int64';
      const values = isInt ? ints(node, 'imputed_value_int64s') : floats(node, 'imputed_value_floats');
      if (!values || values.length === 0) throw unsupported(`${where} has no imputed values`);
      const replaced = isInt ? num(node, 'replaced_value_int64', 0) : num(node, 'replaced_value_float', 0);
      const stride = first.shape[first.shape.length - 1] ?? 1;
      if (values.length !== 1 && values.length !== stride) throw unsupported(`${where} has ${values.length} values for ${stride} columns`);
      const matchNaN = Number.isNaN(replaced);
      return {
        out: first,
        step: ([b]) => {
          const x = (b as Batch).data as Float64Array;
          const out = new Float64Array(x.length);
          for (let k = 0; k < x.length; k++) {
            const v = x[k] as number;
            const hit = matchNaN ? Number.isNaN(v) : v === replaced;
            out[k] = hit ? ((values.length === 1 ? values[0] : values[k % stride]) as number) : v;
          }
          return { dtype: first.dtype, data: out };
        },
      };
    }
    case 'Binarizer': {
      if (first.dtype === 'string') throw unsupported(`${where} gets strings`);
      const threshold = num(node, 'threshold', 0);
      return {
        out: first,
        step: ([b]) => {
          const x = (b as Batch).data as Float64Array;
          return { dtype: first.dtype, data: x.map((v) => (v > threshold ? 1 : 0)) };
        },
      };
    }
    case 'OneHotEncoder': {
      const catInts = ints(node, 'cats_int64s');
      const catStrings = node.attributes.get('cats_strings') as string[] | undefined;
      const zeros = num(node, 'zeros', 1);
      const keys: string[] = catStrings && catStrings.length > 0 ? catStrings : (catInts ?? []).map((v) => String(v));
      if (keys.length === 0) throw unsupported(`${where} has no categories`);
      const index = new Map(keys.map((k, i) => [k, i]));
      const useStrings = Boolean(catStrings && catStrings.length > 0);
      const n = keys.length;
      const origins = new Int32Array(first.size * n);
      for (let i = 0; i < first.size; i++) origins.fill(first.origins[i] as number, i * n, (i + 1) * n);
      return {
        out: meta('float32', [...first.shape, n], origins),
        step: ([b], rows) => {
          const src = b as Batch;
          const out = new Float64Array(rows * first.size * n);
          const len = rows * first.size;
          for (let k = 0; k < len; k++) {
            let key: string;
            if (src.dtype === 'string')
              key = useStrings ? ((src.data as string[])[k] as string) : String(Number((src.data as string[])[k]));
            else {
              const v = (src.data as Float64Array)[k] as number;
              key = useStrings ? String(v) : String(Math.trunc(v));
            }
            const j = index.get(key);
            if (j !== undefined) out[k * n + j] = 1;
            else if (zeros === 0) {
              throw invalidInput(
                [issue([], 'not_allowed', `the model's one-hot encoder has no category '${key}' and does not accept unknown categories`)],
                'Cannot explain',
              );
            }
          }
          return { dtype: 'float32', data: out };
        },
      };
    }
    case 'Concat':
    case 'FeatureVectorizer': {
      const isVectorizer = node.opType === 'FeatureVectorizer';
      const rank = first.shape.length + 1;
      const axis = isVectorizer ? first.shape.length - 1 : normAxis(num(node, 'axis', 1), rank, node);
      const dtype: Dtype = isVectorizer ? 'float32' : first.dtype;
      for (const m of ins) {
        if (m.shape.length !== first.shape.length) throw unsupported(`${where} joins tensors of different ranks`);
        if (!isVectorizer && m.dtype !== first.dtype) throw unsupported(`${where} joins ${first.dtype} and ${m.dtype}`);
        if (isVectorizer && m.dtype === 'string') throw unsupported(`${where} gets strings`);
        for (let d = 0; d < first.shape.length; d++) {
          if (d !== axis && m.shape[d] !== first.shape[d]) throw unsupported(`${where} joins tensors of shapes that do not match`);
        }
      }
      const outer = product(first.shape.slice(0, axis));
      const inners = ins.map((m) => product(m.shape.slice(axis)));
      const shape = [...first.shape];
      shape[axis] = ins.reduce((s, m) => s + (m.shape[axis] as number), 0);
      const size = product(shape);
      const origins = new Int32Array(size);
      {
        let k = 0;
        for (let o = 0; o < outer; o++) {
          ins.forEach((m, i) => {
            const inner = inners[i] as number;
            for (let j = 0; j < inner; j++) origins[k++] = m.origins[o * inner + j] as number;
          });
        }
      }
      return {
        out: meta(dtype, shape, origins),
        step: (batches, rows) => {
          const strings = dtype === 'string';
          const out: Float64Array | string[] = strings ? new Array<string>(rows * size) : new Float64Array(rows * size);
          let k = 0;
          for (let r = 0; r < rows; r++) {
            for (let o = 0; o < outer; o++) {
              for (let i = 0; i < batches.length; i++) {
                const inner = inners[i] as number;
                const src = (batches[i] as Batch).data;
                const base = r * (ins[i] as Meta).size + o * inner;
                if (strings) for (let j = 0; j < inner; j++) (out as string[])[k++] = (src as string[])[base + j] as string;
                else {
                  const s = src as Float64Array;
                  for (let j = 0; j < inner; j++) {
                    const v = s[base + j] as number;
                    (out as Float64Array)[k++] = isVectorizer ? fround(v) : v;
                  }
                }
              }
            }
          }
          return { dtype, data: out };
        },
      };
    }
    case 'Reshape':
    case 'Flatten': {
      let shape: number[];
      if (node.opType === 'Flatten') {
        const axis = num(node, 'axis', 1);
        if (axis !== 1 && axis !== -first.shape.length) throw unsupported(`${where} flattens across rows (axis ${axis})`);
        shape = [first.size];
      } else {
        const t = model.initializers.get(node.inputs[1] ?? '');
        if (!t) throw unsupported(`${where} takes its shape from a computed tensor; Cairn needs a constant shape`);
        const target = tensorNumbers(t);
        const [lead, ...rest] = target;
        if (lead === undefined) throw unsupported(`${where} reshapes to a scalar`);
        const full = [0, ...first.shape];
        const resolved = rest.map((d, i) => (d === 0 ? (full[i + 1] ?? 0) : d));
        const unknown = resolved.indexOf(-1);
        if (lead === -1 || lead === 0) {
          if (lead === -1 && unknown >= 0) throw unsupported(`${where} has two unknown dimensions`);
          if (unknown >= 0) {
            const known = product(resolved.filter((d) => d !== -1));
            resolved[unknown] = known === 0 ? 0 : first.size / known;
          }
        } else throw unsupported(`${where} fixes the number of rows (${lead})`);
        shape = resolved;
        if (product(shape) !== first.size || shape.some((d) => !Number.isInteger(d) || d < 0)) {
          throw unsupported(`${where} does not keep each row's ${first.size} values together`);
        }
      }
      return { out: meta(first.dtype, shape, first.origins), step: (b) => b[0] as Batch };
    }
    case 'ArrayFeatureExtractor': {
      const t = model.initializers.get(node.inputs[1] ?? '');
      if (!t) throw unsupported(`${where} takes its indices from a computed tensor; Cairn needs constant indices`);
      const indices = tensorNumbers(t);
      const last = first.shape[first.shape.length - 1] ?? 1;
      if (indices.some((i) => i < 0 || i >= last)) throw unsupported(`${where} has an index out of range`);
      const outer = first.size / last;
      const shape = first.shape.length === 0 ? [indices.length] : [...first.shape.slice(0, -1), indices.length];
      const origins = new Int32Array(outer * indices.length);
      for (let o = 0; o < outer; o++)
        indices.forEach((c, j) => {
          origins[o * indices.length + j] = first.origins[o * last + c] as number;
        });
      const size = origins.length;
      return {
        out: meta(first.dtype, shape, origins),
        step: ([b], rows) => {
          const src = (b as Batch).data;
          const strings = first.dtype === 'string';
          const out: Float64Array | string[] = strings ? new Array<string>(rows * size) : new Float64Array(rows * size);
          for (let r = 0; r < rows; r++) {
            for (let o = 0; o < outer; o++) {
              for (let j = 0; j < indices.length; j++) {
                (out as unknown as Array<number | string>)[r * size + o * indices.length + j] = src[
                  r * first.size + o * last + (indices[j] as number)
                ] as number | string;
              }
            }
          }
          return { dtype: first.dtype, data: out };
        },
      };
    }
    case 'Normalizer': {
      if (first.dtype === 'string') throw unsupported(`${where} gets strings`);
      const norm = str(node, 'norm', 'MAX');
      const stride = first.shape[first.shape.length - 1] ?? 1;
      const origins = new Int32Array(first.size);
      for (let o = 0; o < first.size / stride; o++) {
        const group = first.origins.subarray(o * stride, (o + 1) * stride);
        const distinct = new Set(Array.from(group).filter((g) => g !== CONSTANT_ORIGIN));
        const origin =
          distinct.size === 0 ? CONSTANT_ORIGIN : distinct.size === 1 ? (distinct.values().next().value as number) : MIXED_ORIGIN;
        origins.fill(origin, o * stride, (o + 1) * stride);
      }
      return {
        out: meta('float32', first.shape, origins),
        step: ([b]) => {
          const x = (b as Batch).data as Float64Array;
          const out = new Float64Array(x.length);
          normalizeRows(x, out, stride, norm);
          for (let k = 0; k < out.length; k++) out[k] = fround(out[k] as number);
          return { dtype: 'float32', data: out };
        },
      };
    }
    default:
      throw unsupported(
        `operator ${node.domain ? `${node.domain}:` : ''}${node.opType} ('${node.name}') is not evaluated by Cairn's exact explainers`,
      );
  }
}

/** Normalizes each group of `stride` values as onnxruntime's Normalizer does (MAX, L1 or L2). */
export function normalizeRows(x: ArrayLike<number>, out: Float64Array, stride: number, norm: string): void {
  for (let o = 0; o < x.length; o += stride) {
    let d = 0;
    if (norm === 'MAX') {
      d = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < stride; j++) d = Math.max(d, x[o + j] as number);
    } else if (norm === 'L1') for (let j = 0; j < stride; j++) d += Math.abs(x[o + j] as number);
    else {
      for (let j = 0; j < stride; j++) d += (x[o + j] as number) ** 2;
      d = Math.sqrt(d);
    }
    for (let j = 0; j < stride; j++) out[o + j] = d !== 0 ? (x[o + j] as number) / d : (x[o + j] as number);
  }
}

/**
 * Compiles the part of the graph that computes `target` from the graph inputs. `inputOrigins`
 * gives, per graph input, the feature index of each of its columns.
 */
export function compilePreprocessing(model: OnnxModel, target: string, inputOrigins: ReadonlyMap<string, Int32Array>): Preprocessing {
  const producer = new Map<string, OnnxNode>();
  for (const n of model.nodes) for (const o of n.outputs) producer.set(o, n);
  const inputMeta = new Map<string, Meta>();
  for (const gi of model.inputs) {
    const origins = inputOrigins.get(gi.name);
    if (!origins || gi.type.kind !== 'tensor') continue;
    const dtype = gi.type.dtype as Dtype;
    const rank = gi.type.shape?.length ?? 2;
    inputMeta.set(gi.name, meta(dtype, rank <= 1 ? [] : [origins.length], origins));
  }
  const metas = new Map<string, Meta>();
  const order: Array<{ node: OnnxNode; step: Step; ins: string[]; out: string }> = [];
  const visiting = new Set<string>();

  const resolve = (name: string): Meta => {
    const known = metas.get(name) ?? inputMeta.get(name);
    if (known) return known;
    if (model.initializers.has(name)) throw unsupported(`the model feeds the constant '${name}' into its preprocessing as data`);
    const node = producer.get(name);
    if (!node) throw unsupported(`tensor '${name}' has no producer`);
    if (visiting.has(name)) throw unsupported(`the graph has a cycle at '${name}'`);
    visiting.add(name);
    const dataInputs = node.opType === 'Reshape' || node.opType === 'ArrayFeatureExtractor' ? node.inputs.slice(0, 1) : node.inputs;
    const ins = dataInputs.filter((i) => i !== '');
    const insMeta = ins.map(resolve);
    const { out, step } = compileNode(node, insMeta, model);
    if (node.outputs[0] !== name) throw unsupported(`${node.opType} '${node.name}' output '${name}' is not its first output`);
    metas.set(name, out);
    order.push({ node, step, ins, out: name });
    visiting.delete(name);
    return out;
  };

  const final = resolve(target);
  if (final.dtype === 'string') throw unsupported(`the model's input '${target}' holds strings`);
  const width = final.shape[final.shape.length - 1] ?? 1;
  if (final.size !== width)
    throw unsupported(`the model's input '${target}' has ${final.shape.length + 1} dimensions; Cairn explains [N, columns]`);

  const direct = inputMeta.has(target);
  return {
    width,
    dtype: final.dtype,
    origins: final.origins,
    run(inputs, rows) {
      const values = new Map<string, Batch>();
      for (const input of inputs) {
        const src = input.data;
        const data =
          input.dtype === 'string'
            ? (src as string[])
            : src instanceof BigInt64Array
              ? Float64Array.from(src, (v) => Number(v))
              : src instanceof Float64Array
                ? src
                : Float64Array.from(src as Float32Array);
        values.set(input.name, { dtype: input.dtype, data });
      }
      if (direct) return (values.get(target) as Batch).data as Float64Array;
      for (const { node, step, ins, out } of order) {
        const batch = step(
          ins.map((i) => {
            const b = values.get(i);
            if (!b) throw new CairnError('internal', `no value for '${i}' feeding ${node.opType} '${node.name}'`);
            return b;
          }),
          rows,
        );
        values.set(out, batch);
      }
      return (values.get(target) as Batch).data as Float64Array;
    },
  };
}
