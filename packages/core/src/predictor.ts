import type { Bundle } from './bundle.js';
import { createEncoder, type EncodedInput, type FeatureEncoder } from './encode.js';
import { CairnError, type Issue, invalidArgument, isCairnError, issue, modelMismatch, normalizeError, unsupported } from './errors.js';
import type { Manifest, RiskBand } from './manifest.js';
import type { InferenceSession, OrtRuntime, Tensor } from './runtime.js';
import { createValidator, type FeatureRecord, type UnitConverter, type ValidationResult, type Validator } from './validate.js';

/** One patient's prediction. */
export interface Prediction {
  readonly modelId: string;
  readonly modelVersion: string;
  /** Probability of the positive class. */
  readonly probability: number;
  /** 1 when probability ≥ threshold. */
  readonly label: 0 | 1;
  /** The class label of the model at that side of the threshold, when known. */
  readonly classLabel: string | number | undefined;
  readonly threshold: number;
  readonly band: Pick<RiskBand, 'id' | 'label'>;
  /** Validated inputs that produced it. */
  readonly values: FeatureRecord;
  /** Non-blocking issues (implausible values, imputation). */
  readonly warnings: readonly Issue[];
}

/** One row of a batch: a prediction, or the reason the row was refused. */
export type BatchItem = { readonly ok: true; readonly prediction: Prediction } | { readonly ok: false; readonly error: CairnError };

/** One patient's estimated treatment effect (a treatment-effect bundle). */
export interface EffectPrediction {
  readonly modelId: string;
  readonly modelVersion: string;
  /** Estimated effect of the treatment on the outcome for this patient (treated minus untreated, on the manifest's `effect.scale`). */
  readonly effect: number;
  /** Validated inputs that produced it. */
  readonly values: FeatureRecord;
  /** Non-blocking issues (implausible values, imputation). */
  readonly warnings: readonly Issue[];
}

/** One row of an effect batch: an estimated effect, or the reason the row was refused. */
export type EffectBatchItem =
  | { readonly ok: true; readonly prediction: EffectPrediction }
  | { readonly ok: false; readonly error: CairnError };

/** Scores for many rows at once, column-wise. */
export interface BatchScores {
  readonly probability: Float64Array;
  readonly label: Uint8Array;
  /** Index into the manifest's riskBands. */
  readonly band: Uint8Array;
}

/** Options of batch prediction. */
export interface BatchOptions {
  /**
   * Rows per inference call.
   * @defaultValue 8192
   */
  chunkSize?: number;
  signal?: AbortSignal;
  /** Called after each chunk with rows done and total. */
  onProgress?: (done: number, total: number) => void;
}

/** Options of {@link createPredictor}. */
export interface PredictorOptions {
  /** onnxruntime-node or onnxruntime-web (the module). */
  runtime: OrtRuntime;
  /** Passed to InferenceSession.create; Cairn sets quiet logging and full graph optimisation by default. */
  sessionOptions?: InferenceSession.SessionOptions;
  /** Unit conversion for inputs given with units. */
  convertUnit?: UnitConverter;
  /**
   * Record keys that are not features.
   * @defaultValue 'reject'
   */
  unknownFields?: 'reject' | 'ignore';
}

/**
 * Validates, encodes and scores patients with one loaded bundle. A binary-classification bundle is
 * scored with `predict*` (probabilities); a treatment-effect bundle with `predictEffect*` (effects).
 */
export interface Predictor {
  readonly bundle: Bundle;
  readonly modelId: string;
  readonly modelVersion: string;
  /** What the bundle's model outputs (the manifest's task). */
  readonly task: Manifest['task'];
  readonly validator: Validator;
  readonly encoder: FeatureEncoder;
  /** Validates one record without scoring it. */
  validate(record: unknown): ValidationResult;
  /** Validates and scores one patient; throws `invalid_input` listing every problem. */
  predict(record: unknown): Promise<Prediction>;
  /** Scores many records; invalid rows get their error and the rest are still scored. */
  predictBatch(records: readonly unknown[], options?: BatchOptions): Promise<BatchItem[]>;
  /** Scores already validated records. */
  predictValues(rows: readonly FeatureRecord[], options?: BatchOptions): Promise<BatchScores>;
  /**
   * Scores a row-major matrix laid out as the model's single input tensor (layout 'tensor'
   * only): the fast path for large numeric batches.
   */
  predictMatrix(data: Float32Array | Float64Array, rows: number, options?: BatchOptions): Promise<BatchScores>;
  /** Validates and estimates one patient's treatment effect (treatment-effect bundles); throws `invalid_input` listing every problem. */
  predictEffect(record: unknown): Promise<EffectPrediction>;
  /** Estimates many patients' effects; invalid rows get their error and the rest are still scored. */
  predictEffectBatch(records: readonly unknown[], options?: BatchOptions): Promise<EffectBatchItem[]>;
  /** Estimates effects for a row-major matrix laid out as the model's single input tensor (layout 'tensor' only). */
  predictEffectMatrix(data: Float32Array | Float64Array, rows: number, options?: BatchOptions): Promise<Float64Array>;
  /** Maps a probability to its risk band. */
  bandOf(probability: number): RiskBand;
  /** Frees the inference session. */
  release(): Promise<void>;
}

const DEFAULT_SESSION_OPTIONS: InferenceSession.SessionOptions = {
  graphOptimizationLevel: 'all',
  logSeverityLevel: 3,
  executionMode: 'sequential',
};

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CairnError('cancelled', 'prediction was cancelled', { cause: signal.reason });
}

/** Creates a predictor: opens an inference session on the bundle's model and checks it runs. */
export async function createPredictor(bundle: Bundle, options: PredictorOptions): Promise<Predictor> {
  if (!options?.runtime?.InferenceSession || !options.runtime.Tensor) {
    throw invalidArgument('options.runtime', 'pass the onnxruntime module (onnxruntime-node or onnxruntime-web)');
  }
  const { runtime } = options;
  const { manifest, io } = bundle;
  let session: InferenceSession;
  try {
    session = await runtime.InferenceSession.create(bundle.modelBytes, { ...DEFAULT_SESSION_OPTIONS, ...options.sessionOptions });
  } catch (cause) {
    throw new CairnError(
      'invalid_model',
      `onnxruntime could not load model.onnx: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
        issues: [issue(['model.onnx'], 'invalid', 'the runtime refused the model')],
      },
    );
  }
  const validator = createValidator(manifest.features, {
    unknownFields: options.unknownFields ?? 'reject',
    ...(options.convertUnit ? { convertUnit: options.convertUnit } : {}),
  });
  const encoder = createEncoder(manifest, io.inputs);
  const fetches = [io.output.tensor];
  const { threshold, riskBands } = manifest;
  const bandLimits = riskBands.map((b) => b.below ?? Number.POSITIVE_INFINITY);
  const { kind, positiveIndex, measure } = io.output;
  const task = manifest.task;

  const bandIndex = (p: number): number => {
    for (let i = 0; i < bandLimits.length; i++) if (p < (bandLimits[i] as number)) return i;
    return bandLimits.length - 1;
  };

  function toTensor(input: EncodedInput): Tensor {
    return new runtime.Tensor(input.dtype, input.data as never, input.dims as number[]);
  }

  async function run(feeds: Record<string, Tensor>, rows: number): Promise<Float64Array> {
    let result: InferenceSession.OnnxValueMapType;
    try {
      result = await session.run(feeds, fetches);
    } catch (cause) {
      throw new CairnError('inference_failed', `inference failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
    const out = result[io.output.tensor] as Tensor | undefined;
    if (!out || (out.type !== 'float32' && out.type !== 'float64')) {
      throw modelMismatch([issue(['output', 'name'], 'mismatch', `output '${io.output.tensor}' did not produce a float tensor`)]);
    }
    const data = out.data as Float32Array | Float64Array;
    const dims = out.dims;
    const probs = new Float64Array(rows);
    if (kind === 'probabilities') {
      const width = dims.length === 2 ? (dims[1] as number) : dims.length === 1 && rows === 1 ? (dims[0] as number) : 0;
      if (width <= positiveIndex || data.length !== rows * width) {
        throw modelMismatch([
          issue(
            ['output'],
            'mismatch',
            `output '${io.output.tensor}' has shape [${dims.join(', ')}]; expected [${rows}, >${positiveIndex}]`,
          ),
        ]);
      }
      for (let r = 0; r < rows; r++) probs[r] = data[r * width + positiveIndex] as number;
    } else {
      if (data.length !== rows) {
        throw modelMismatch([issue(['output'], 'mismatch', `output '${io.output.tensor}' has ${data.length} values for ${rows} rows`)]);
      }
      if (kind === 'logit') for (let r = 0; r < rows; r++) probs[r] = 1 / (1 + Math.exp(-(data[r] as number)));
      else probs.set(data);
    }
    if (measure === 'value') {
      for (let r = 0; r < rows; r++) {
        if (!Number.isFinite(probs[r] as number)) {
          throw new CairnError('inference_failed', `the model returned ${probs[r]} for row ${r}: not a finite value`, {
            issues: [issue(['output'], 'not_finite', `output '${io.output.tensor}' is not finite`)],
          });
        }
      }
      return probs;
    }
    for (let r = 0; r < rows; r++) {
      const p = probs[r] as number;
      if (!(p >= -1e-6 && p <= 1 + 1e-6)) {
        throw modelMismatch([
          issue(['output', 'kind'], 'mismatch', `the model returned ${p}, which is not a probability: check output.kind (${kind})`),
        ]);
      }
      probs[r] = Math.min(1, Math.max(0, p));
    }
    return probs;
  }

  async function scoreEncoded(rows: readonly FeatureRecord[]): Promise<Float64Array> {
    const feeds: Record<string, Tensor> = {};
    for (const input of encoder.encode(rows)) feeds[input.name] = toTensor(input);
    return run(feeds, rows.length);
  }

  function scores(probs: Float64Array): BatchScores {
    const n = probs.length;
    const label = new Uint8Array(n);
    const band = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const p = probs[i] as number;
      label[i] = p >= threshold ? 1 : 0;
      band[i] = bandIndex(p);
    }
    return { probability: probs, label, band };
  }

  function toPrediction(p: number, values: FeatureRecord, warnings: readonly Issue[]): Prediction {
    const positive = p >= threshold;
    const b = riskBands[bandIndex(p)] as RiskBand;
    return {
      modelId: manifest.id,
      modelVersion: manifest.version,
      probability: p,
      label: positive ? 1 : 0,
      classLabel: positive ? io.output.positiveLabel : io.output.negativeLabel,
      threshold,
      band: { id: b.id, label: b.label },
      values,
      warnings,
    };
  }

  function requireTask(wanted: Manifest['task'], method: string): void {
    if (task === wanted) return;
    throw unsupported(
      wanted === 'treatment-effect'
        ? `${method} estimates treatment effects, but '${manifest.id}' is a ${task} model: use predict, predictBatch, predictValues or predictMatrix`
        : `${method} returns probabilities, but '${manifest.id}' estimates treatment effects: use predictEffect, predictEffectBatch or predictEffectMatrix`,
      ['task'],
    );
  }

  function matrixFeeds(data: Float32Array | Float64Array, rows: number) {
    if (manifest.inputs.layout !== 'tensor') throw invalidArgument('data', 'a matrix needs a model with a single tensor input');
    const input = io.inputs[0];
    if (!input) throw invalidArgument('data', 'model has no input');
    const width = input.width;
    if (!Number.isInteger(rows) || rows < 0) throw invalidArgument('rows', 'must be a non-negative integer');
    if (data.length !== rows * width) {
      throw new CairnError('invalid_input', `data has ${data.length} values; ${rows} rows × ${width} columns need ${rows * width}`, {
        issues: [issue(['data'], 'shape', `expected ${rows * width} values (${rows} × ${width})`)],
      });
    }
    const wantFloat64 = input.dtype === 'float64';
    const matrix = wantFloat64 === data instanceof Float64Array ? data : wantFloat64 ? Float64Array.from(data) : Float32Array.from(data);
    return (s: number, e: number) => {
      const dims = input.rank === 1 ? [e - s] : [e - s, width];
      const tensor = new runtime.Tensor(input.dtype, matrix.subarray(s * width, e * width) as never, dims);
      return run({ [input.name]: tensor }, e - s);
    };
  }

  function validateAll(records: readonly unknown[]) {
    if (!Array.isArray(records)) throw invalidArgument('records', 'must be an array of patient records');
    const errors = new Map<number, CairnError>();
    const valid: FeatureRecord[] = [];
    const validIndex: number[] = [];
    const warnings: (readonly Issue[])[] = [];
    records.forEach((record, i) => {
      const r = validator.validate(record, [i]);
      if (r.ok) {
        valid.push(r.values);
        validIndex.push(i);
        warnings.push(r.warnings);
      } else errors.set(i, r.error);
    });
    return { errors, valid, validIndex, warnings };
  }

  function toEffect(effect: number, values: FeatureRecord, warnings: readonly Issue[]): EffectPrediction {
    return { modelId: manifest.id, modelVersion: manifest.version, effect, values, warnings };
  }

  async function chunked(
    total: number,
    options: BatchOptions | undefined,
    scoreChunk: (start: number, end: number) => Promise<Float64Array>,
  ): Promise<Float64Array> {
    const size = options?.chunkSize ?? 8192;
    if (!Number.isInteger(size) || size < 1) throw invalidArgument('options.chunkSize', 'must be a positive integer');
    const out = new Float64Array(total);
    for (let start = 0; start < total; start += size) {
      checkAborted(options?.signal);
      const end = Math.min(total, start + size);
      out.set(await scoreChunk(start, end), start);
      options?.onProgress?.(end, total);
    }
    return out;
  }

  const predictor: Predictor = {
    bundle,
    modelId: manifest.id,
    modelVersion: manifest.version,
    task,
    validator,
    encoder,
    validate: (record) => validator.validate(record),
    bandOf: (p) => riskBands[bandIndex(p)] as RiskBand,

    async predict(record) {
      requireTask('binary-classification', 'predict');
      const { values, warnings } = validator.parse(record);
      const probs = await scoreEncoded([values]);
      return toPrediction(probs[0] as number, values, warnings);
    },

    async predictValues(rows, options) {
      requireTask('binary-classification', 'predictValues');
      const probs = await chunked(rows.length, options, (s, e) => scoreEncoded(rows.slice(s, e)));
      return scores(probs);
    },

    async predictMatrix(data, rows, options) {
      requireTask('binary-classification', 'predictMatrix');
      const probs = await chunked(rows, options, matrixFeeds(data, rows));
      return scores(probs);
    },

    async predictBatch(records, options) {
      requireTask('binary-classification', 'predictBatch');
      const { errors, valid, validIndex, warnings } = validateAll(records);
      const items: BatchItem[] = new Array(records.length);
      for (const [i, error] of errors) items[i] = { ok: false, error };
      const probs = await chunked(valid.length, options, (s, e) => scoreEncoded(valid.slice(s, e)));
      validIndex.forEach((rowIndex, k) => {
        items[rowIndex] = {
          ok: true,
          prediction: toPrediction(probs[k] as number, valid[k] as FeatureRecord, warnings[k] as readonly Issue[]),
        };
      });
      return items;
    },

    async predictEffect(record) {
      requireTask('treatment-effect', 'predictEffect');
      const { values, warnings } = validator.parse(record);
      const effects = await scoreEncoded([values]);
      return toEffect(effects[0] as number, values, warnings);
    },

    async predictEffectBatch(records, options) {
      requireTask('treatment-effect', 'predictEffectBatch');
      const { errors, valid, validIndex, warnings } = validateAll(records);
      const items: EffectBatchItem[] = new Array(records.length);
      for (const [i, error] of errors) items[i] = { ok: false, error };
      const effects = await chunked(valid.length, options, (s, e) => scoreEncoded(valid.slice(s, e)));
      validIndex.forEach((rowIndex, k) => {
        items[rowIndex] = {
          ok: true,
          prediction: toEffect(effects[k] as number, valid[k] as FeatureRecord, warnings[k] as readonly Issue[]),
        };
      });
      return items;
    },

    async predictEffectMatrix(data, rows, options) {
      requireTask('treatment-effect', 'predictEffectMatrix');
      return chunked(rows, options, matrixFeeds(data, rows));
    },

    async release() {
      await session.release();
    },
  };

  // Probe: a real inference on one row, so a model whose output disagrees with the
  // manifest fails here and not on the first patient.
  try {
    const probe = bundle.reference?.rows[0] ?? syntheticRow(bundle);
    await scoreEncoded([probe]);
  } catch (error) {
    await session.release().catch(() => undefined);
    throw isCairnError(error) ? error : normalizeError(error, 'invalid_model');
  }
  return predictor;
}

function syntheticRow(bundle: Bundle): FeatureRecord {
  const row: Record<string, FeatureRecord[string]> = {};
  for (const f of bundle.manifest.features) {
    if (f.impute !== undefined) row[f.name] = f.impute;
    else if (f.type === 'category') row[f.name] = f.categories?.[0]?.value ?? null;
    else if (f.type === 'boolean') row[f.name] = false;
    else {
      const r = f.plausible ?? f.limits;
      const lo = r?.min;
      const hi = r?.max;
      const v = lo !== undefined && hi !== undefined ? (lo + hi) / 2 : (lo ?? hi ?? 0);
      row[f.name] = f.type === 'integer' ? Math.round(v) : v;
    }
  }
  return row;
}
