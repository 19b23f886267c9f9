import type { Bundle } from '../bundle.js';
import { createEncoder } from '../encode.js';
import { CairnError, type Issue, invalidArgument, invalidInput, isCairnError, issue, limitExceeded } from '../errors.js';
import type { Feature } from '../manifest.js';
import { createValidator, type FeatureRecord, type FeatureValue } from '../validate.js';
import { planCoalitions, seededRandom, solveKernel } from './kernel.js';
import { type LinearModel, linearScores, readLinear } from './linear.js';
import { CONSTANT_ORIGIN, compilePreprocessing, MIXED_ORIGIN, type Preprocessing } from './preprocess.js';
import { type ModelRunner, openRunner } from './runner.js';
import { applyHead, type CoreModel, findCoreModel, type Head, sigmoid } from './structure.js';
import { countCovers, type FlatEnsemble, LEAF, readEnsemble, route } from './tree-ensemble.js';
import { coverFractions, createInterventionalTreeShap, createPathTreeShap, expectedValue } from './tree-shap.js';
import type { Contribution, Explainer, ExplainerOptions, Explanation, ExplanationMethod, ExplanationSpace } from './types.js';

/** An exactly explainable model: preprocessing in JS, then trees or a linear model. */
interface Analysis {
  readonly core: CoreModel;
  readonly pre: Preprocessing;
  readonly ensemble?: FlatEnsemble;
  readonly linear?: LinearModel;
  /** Columns the model reads (splits, or non-zero coefficients). */
  readonly used: Uint8Array;
}

/** What every method produces for a batch of validated rows. */
interface Engine {
  readonly method: ExplanationMethod;
  readonly space: ExplanationSpace;
  readonly base: number;
  run(
    rows: readonly FeatureRecord[],
  ): Promise<Array<Omit<Explanation, 'modelId' | 'modelVersion' | 'method' | 'space' | 'contributions'> & { phi: Float64Array }>>;
  release(): Promise<void>;
}

const EXACT_TOLERANCE = 1e-4;
const KERNEL_BACKGROUND = 32;
const LOGIT_EPS = 1e-7;

function analyse(bundle: Bundle): Analysis {
  const { manifest, io, model } = bundle;
  const core = findCoreModel(bundle);
  const featureIndex = new Map(manifest.features.map((f, i) => [f.name, i]));
  const inputOrigins = new Map<string, Int32Array>();
  if (manifest.inputs.layout === 'tensor') {
    const input = io.inputs[0];
    if (input)
      inputOrigins.set(
        input.name,
        Int32Array.from(manifest.inputs.columns, (c) => featureIndex.get(c.feature) ?? CONSTANT_ORIGIN),
      );
  } else {
    for (const c of manifest.inputs.columns) inputOrigins.set(c.name, Int32Array.of(featureIndex.get(c.feature) ?? CONSTANT_ORIGIN));
  }
  const pre = compilePreprocessing(model, core.input, inputOrigins);
  const used = new Uint8Array(pre.width);
  let ensemble: FlatEnsemble | undefined;
  let linear: LinearModel | undefined;
  if (core.family === 'tree') {
    ensemble = readEnsemble(core.node, core.head.slots, pre.dtype);
    for (let i = 0; i < ensemble.nodes; i++) {
      if (ensemble.mode[i] === LEAF) continue;
      const c = ensemble.column[i] as number;
      if (c < 0 || c >= pre.width)
        throw invalidArgument('bundle', `a split of ${core.node.opType} reads column ${c} of a ${pre.width}-column input`);
      used[c] = 1;
    }
  } else {
    linear = readLinear(core.node, core.head.slots, pre.width);
    for (let k = 0; k < linear.slots; k++)
      for (let c = 0; c < pre.width; c++) if (linear.coefficients[k * pre.width + c] !== 0) used[c] = 1;
  }
  for (let c = 0; c < pre.width; c++) {
    if (!used[c]) continue;
    const o = pre.origins[c] as number;
    if (o === MIXED_ORIGIN) {
      throw new CairnError(
        'unsupported',
        `column ${c} of the model's input mixes several features (e.g. a Normalizer), so it cannot be credited to one feature`,
        {
          issues: [issue(['model.onnx'], 'invalid', 'a model input column depends on several features')],
        },
      );
    }
    if (o === CONSTANT_ORIGIN && core.family === 'tree') {
      throw new CairnError('unsupported', `a split reads column ${c}, which no feature feeds`, {
        issues: [issue(['model.onnx'], 'invalid', 'a tree splits on a constant column')],
      });
    }
  }
  return { core, pre, used, ...(ensemble ? { ensemble } : {}), ...(linear ? { linear } : {}) };
}

function spaceOf(head: Head): ExplanationSpace {
  if (head.link === 'identity') return head.kind === 'logit' ? 'log-odds' : 'probability';
  if (head.link === 'logistic' && head.kind !== 'logit') return 'log-odds';
  return 'raw-score';
}

/** True when the margin relates to the probability as `space` says. */
function linkHolds(space: ExplanationSpace, margin: number, probability: number): boolean {
  if (space === 'log-odds') return Math.abs(sigmoid(margin) - probability) <= 1e-6;
  if (space === 'probability') return Math.abs(margin - probability) <= 1e-6;
  return true;
}

function evenlySpaced<T>(rows: readonly T[], max: number): T[] {
  if (rows.length <= max) return [...rows];
  return Array.from({ length: max }, (_, i) => rows[Math.floor((i * rows.length) / max)] as T);
}

/**
 * Creates an explainer for a loaded bundle. Tree ensembles get exact TreeSHAP (path-dependent with
 * covers from nodes_hitrates or the reference rows, or interventional against the background), linear
 * models exact linear SHAP against the background mean, anything else KernelSHAP through the runtime.
 */
export async function createExplainer(bundle: Bundle, options: ExplainerOptions = {}): Promise<Explainer> {
  if (!bundle || typeof bundle !== 'object' || !bundle.manifest || !bundle.model) {
    throw invalidArgument('bundle', 'pass a bundle from loadBundle()');
  }
  if (options === null || typeof options !== 'object') throw invalidArgument('options', 'must be an object');
  const { manifest } = bundle;
  const requested = options.method ?? manifest.explanation?.method ?? 'auto';
  if (!['auto', 'tree-path', 'tree-interventional', 'linear', 'kernel'].includes(requested)) {
    throw invalidArgument('options.method', `must be auto, tree-path, tree-interventional, linear or kernel, got '${String(requested)}'`);
  }
  const wantProbability = (options.space ?? 'margin') === 'probability';
  if (options.space !== undefined && options.space !== 'margin' && options.space !== 'probability') {
    throw invalidArgument('options.space', `must be margin or probability, got '${String(options.space)}'`);
  }
  const valueModel = bundle.io.output.measure === 'value';
  if (valueModel && wantProbability) {
    throw invalidArgument('options.space', `${manifest.id} outputs a value (${manifest.task}), not a probability: use space 'margin'`);
  }
  const backgroundSize = options.backgroundSize ?? 200;
  if (!Number.isInteger(backgroundSize) || backgroundSize < 1)
    throw invalidArgument('options.backgroundSize', 'must be a positive integer');
  const kernelBudget = options.kernelBudget ?? 4096;
  if (!Number.isInteger(kernelBudget) || kernelBudget < 1) throw invalidArgument('options.kernelBudget', 'must be a positive integer');
  if (options.runtime !== undefined && (!options.runtime.InferenceSession || !options.runtime.Tensor)) {
    throw invalidArgument('options.runtime', 'pass the onnxruntime module (onnxruntime-node or onnxruntime-web)');
  }

  const validator = createValidator(manifest.features, { unknownFields: 'reject' });
  let background: FeatureRecord[];
  if (options.background !== undefined) {
    if (!Array.isArray(options.background)) throw invalidArgument('options.background', 'must be an array of feature records');
    background = options.background.map((row, i) => validator.parse(row, ['background', i]).values);
  } else background = [...(bundle.reference?.rows ?? [])];

  let analysis: Analysis | undefined;
  let reason: CairnError | undefined;
  try {
    analysis = analyse(bundle);
  } catch (error) {
    if (isCairnError(error) && error.code === 'unsupported') reason = error;
    else throw error;
  }

  let method: ExplanationMethod;
  if (requested === 'auto') method = analysis ? (analysis.core.family === 'tree' ? 'tree-path' : 'linear') : 'kernel';
  else method = requested;
  if (method !== 'kernel') {
    if (!analysis) throw reason as CairnError;
    const family = method === 'linear' ? 'linear' : 'tree';
    if (analysis.core.family !== family) {
      throw new CairnError(
        'unsupported',
        `method '${method}' needs a ${family} model, but the bundle's model is a ${analysis.core.node.opType}`,
        {
          issues: [
            issue(
              ['explanation', 'method'],
              'invalid',
              `use ${analysis.core.family === 'tree' ? 'tree-path or tree-interventional' : 'linear'} or kernel`,
            ),
          ],
        },
      );
    }
  }

  let runner: ModelRunner | undefined;
  if (options.runtime) runner = await openRunner(bundle, options.runtime);
  try {
    let engine: Engine;
    if (method === 'kernel') {
      if (!runner) {
        throw new CairnError(
          'invalid_argument',
          `${reason ? `${reason.message}; ` : ''}KernelSHAP runs the model, so pass options.runtime (onnxruntime-node or onnxruntime-web)`,
          { issues: [issue(['runtime'], 'required', 'KernelSHAP needs an inference runtime')] },
        );
      }
      engine = await kernelEngine(bundle, runner, background, {
        probability: wantProbability,
        backgroundSize: Math.min(backgroundSize, KERNEL_BACKGROUND),
        budget: kernelBudget,
        seed: options.seed ?? 1,
      });
    } else {
      engine = await exactEngine(bundle, analysis as Analysis, method, background, {
        probability: wantProbability,
        backgroundSize,
        runner,
      });
    }
    return wrap(bundle, engine, validator);
  } catch (error) {
    await runner?.release().catch(() => undefined);
    throw error;
  }
}

function wrap(bundle: Bundle, engine: Engine, validator: ReturnType<typeof createValidator>): Explainer {
  const { manifest } = bundle;
  const features = manifest.features;

  function contributions(values: FeatureRecord, phi: Float64Array): Contribution[] {
    return features.map((f, i) => {
      const value = values[f.name] ?? null;
      const label = valueLabel(f, value);
      return {
        feature: f.name,
        label: f.label,
        value,
        ...(label !== undefined ? { valueLabel: label } : {}),
        ...(f.unit ? { unit: f.unit } : {}),
        contribution: phi[i] as number,
      };
    });
  }

  async function explainRows(rows: readonly FeatureRecord[]): Promise<Explanation[]> {
    const values = rows.map((row, i) => {
      const r = validator.validate(row, rows.length === 1 ? [] : [i]);
      if (!r.ok) throw r.error;
      return r.values;
    });
    const results = await engine.run(values);
    return results.map(({ phi, ...rest }, i) => {
      const numbers = [rest.base, rest.output, rest.probability, rest.additivityError, ...phi];
      if (!numbers.every(Number.isFinite)) {
        throw new CairnError('internal', 'the explanation has a non-finite number; this is a bug in Cairn', {
          issues: [issue(['explanation'], 'not_finite', 'non-finite value')],
        });
      }
      return {
        modelId: manifest.id,
        modelVersion: manifest.version,
        method: engine.method,
        space: engine.space,
        ...rest,
        contributions: contributions(values[i] as FeatureRecord, phi),
      };
    });
  }

  return {
    modelId: manifest.id,
    modelVersion: manifest.version,
    method: engine.method,
    space: engine.space,
    base: engine.base,
    async explain(values) {
      const [one] = await explainRows([values]);
      return one as Explanation;
    },
    async explainBatch(rows) {
      if (!Array.isArray(rows)) throw invalidArgument('rows', 'must be an array of feature records');
      return rows.length === 0 ? [] : explainRows(rows);
    },
    release: () => engine.release(),
  };
}

function valueLabel(f: Feature, value: FeatureValue): string | undefined {
  if (value === null) return undefined;
  if (f.type === 'category') {
    const c = f.categories?.find((k) => String(k.value) === String(value));
    return c && c.label !== String(value) ? c.label : undefined;
  }
  return undefined;
}

interface ExactOptions {
  probability: boolean;
  backgroundSize: number;
  runner: ModelRunner | undefined;
}

async function exactEngine(
  bundle: Bundle,
  analysis: Analysis,
  method: ExplanationMethod,
  backgroundRows: readonly FeatureRecord[],
  options: ExactOptions,
): Promise<Engine> {
  const { manifest } = bundle;
  const features = manifest.features;
  const F = features.length;
  const { core, pre, used } = analysis;
  const { head } = core;
  const W = pre.width;
  const encoder = createEncoder(manifest, bundle.io.inputs);
  const ensemble = analysis.ensemble;
  const linear = analysis.linear;
  // Without learned missing-value routing, a NaN reaching the model gives an arbitrary (trees) or NaN (linear) result.
  const rejectsMissing = !ensemble?.tracksMissing;

  const toMatrix = (rows: readonly FeatureRecord[]) => pre.run(encoder.encode(rows), rows.length);

  function missingFeatures(matrix: Float64Array, r: number): number[] {
    if (!rejectsMissing) return [];
    const out = new Set<number>();
    for (let c = 0; c < W; c++) if (used[c] && Number.isNaN(matrix[r * W + c] as number)) out.add(pre.origins[c] as number);
    return [...out];
  }

  // Background: rows the model cannot score without a missing-value rule are left out.
  let bgRows = backgroundRows.length > 0 ? [...backgroundRows] : [];
  let bgMatrix = bgRows.length > 0 ? toMatrix(bgRows) : new Float64Array(0);
  if (bgRows.length > 0 && rejectsMissing) {
    const keep = bgRows.map((_, r) => missingFeatures(bgMatrix, r).length === 0);
    if (!keep.every(Boolean)) {
      bgRows = bgRows.filter((_, r) => keep[r]);
      bgMatrix = bgRows.length > 0 ? toMatrix(bgRows) : new Float64Array(0);
    }
  }
  const needsBackground = method !== 'tree-path' || !ensemble?.hitrates;
  if (needsBackground && bgRows.length === 0) {
    const what =
      method === 'tree-path'
        ? 'path-dependent TreeSHAP needs node covers: model.onnx carries no usable nodes_hitrates'
        : `${method === 'linear' ? 'linear SHAP' : 'interventional TreeSHAP'} explains against background rows`;
    throw new CairnError(
      'invalid_bundle',
      `${what}, and there are no background rows${backgroundRows.length > 0 ? ' the model can score without missing values' : ''}: add reference.csv to the bundle or pass options.background`,
      { issues: [issue(['reference'], 'required', 'background rows are needed for this explanation method')] },
    );
  }

  const rawOf = new Float64Array(head.slots);
  const columns = new Float64Array(head.src.length);
  const leaves = ensemble ? new Int32Array(ensemble.trees) : new Int32Array(0);

  /** Raw per-slot sums of one row (before the head). */
  function raw(matrix: Float64Array, r: number, out: Float64Array): void {
    if (ensemble) {
      route(ensemble, matrix, r * W, leaves);
      out.fill(0);
      for (let k = 0; k < head.slots; k++) {
        const w = ensemble.weights[k] as Float64Array;
        let s = 0;
        for (let t = 0; t < leaves.length; t++) s += w[leaves[t] as number] as number;
        out[k] = s;
      }
    } else linearScores(linear as LinearModel, matrix, r * W, out);
  }

  const pos = head.positive;
  const src = head.src[pos] as number;
  const sign = head.sign[pos] as number;
  const bias = head.bias[pos] as number;
  let space = spaceOf(head);

  // Base raw scores per slot, and the per-row SHAP kernel.
  const baseRaw = new Float64Array(head.slots);
  let shap: (matrix: Float64Array, r: number, phi: Float64Array) => void;
  if (ensemble) {
    const group = new Int32Array(ensemble.nodes);
    for (let i = 0; i < ensemble.nodes; i++)
      group[i] = ensemble.mode[i] === LEAF ? -1 : (pre.origins[ensemble.column[i] as number] as number);
    const value = (ensemble.weights[src] as Float64Array).map((w) => sign * w);
    const spec = { ensemble, group, value, features: F };
    if (method === 'tree-path') {
      const covers = ensemble.hitrates ?? countCovers(ensemble, bgMatrix, bgRows.length, W);
      const fractions = coverFractions(ensemble, covers);
      for (let k = 0; k < head.slots; k++) baseRaw[k] = expectedValue(ensemble, fractions, ensemble.weights[k] as Float64Array);
      const kernel = createPathTreeShap(spec, fractions);
      shap = (m, r, phi) => kernel.explain(m, r * W, phi);
    } else {
      const picked = evenlySpaced(
        Array.from({ length: bgRows.length }, (_, i) => i),
        options.backgroundSize,
      );
      const sub = new Float64Array(picked.length * W);
      picked.forEach((r, i) => {
        sub.set(bgMatrix.subarray(r * W, (r + 1) * W), i * W);
      });
      const tmp = new Float64Array(head.slots);
      for (let r = 0; r < picked.length; r++) {
        raw(sub, r, tmp);
        for (let k = 0; k < head.slots; k++) baseRaw[k] = (baseRaw[k] as number) + (tmp[k] as number) / picked.length;
      }
      const kernel = createInterventionalTreeShap(spec, sub, picked.length, W);
      shap = (m, r, phi) => kernel.explain(m, r * W, phi);
    }
  } else {
    const lm = linear as LinearModel;
    const mean = new Float64Array(W);
    for (let r = 0; r < bgRows.length; r++) for (let c = 0; c < W; c++) mean[c] = (mean[c] as number) + (bgMatrix[r * W + c] as number);
    for (let c = 0; c < W; c++) mean[c] = (mean[c] as number) / bgRows.length;
    linearScores(lm, mean, 0, baseRaw);
    const coef = lm.coefficients.subarray(src * W, (src + 1) * W);
    shap = (m, r, phi) => {
      for (let c = 0; c < W; c++) {
        const w = coef[c] as number;
        if (w === 0) continue;
        const g = pre.origins[c] as number;
        if (g < 0) continue;
        phi[g] = (phi[g] as number) + sign * w * ((m[r * W + c] as number) - (mean[c] as number));
      }
    };
  }
  const baseMargin = sign * (baseRaw[src] as number) + bias;
  const baseProbability = applyHead(head, baseRaw, columns).probability;

  // Check the space label and (with a runtime) Cairn's evaluation against onnxruntime on background rows.
  const probe = evenlySpaced(
    Array.from({ length: bgRows.length }, (_, i) => i),
    32,
  );
  for (const r of probe) {
    raw(bgMatrix, r, rawOf);
    const { margin, probability } = applyHead(head, rawOf, columns);
    if (!linkHolds(space, margin, probability)) space = 'raw-score';
  }
  if (options.runner && probe.length > 0) {
    const ort = await options.runner.run(probe.map((r) => bgRows[r] as FeatureRecord));
    probe.forEach((r, i) => {
      raw(bgMatrix, r, rawOf);
      const p = applyHead(head, rawOf, columns).probability;
      const q = head.kind === 'logit' ? sigmoid(ort[i] as number) : (ort[i] as number);
      if (!(Math.abs(p - q) <= EXACT_TOLERANCE)) {
        throw new CairnError(
          'unsupported',
          `Cairn's evaluation of the model disagrees with onnxruntime on background row ${r} (${p} vs ${q}); use method 'kernel'`,
          { issues: [issue(['model.onnx'], 'mismatch', 'the model could not be evaluated exactly in JS')] },
        );
      }
    });
  }

  const rescale = options.probability && space !== 'probability';
  // A value model (e.g. a treatment effect) is explained on its output itself, which has no link.
  const finalSpace: ExplanationSpace = bundle.io.output.measure === 'value' ? 'value' : rescale ? 'probability-rescaled' : space;
  const marginSpace = space;

  return {
    method,
    space: finalSpace,
    base: rescale ? baseProbability : baseMargin,
    async run(rows) {
      const matrix = toMatrix(rows);
      const out = [];
      for (let r = 0; r < rows.length; r++) {
        const missing = missingFeatures(matrix, r);
        if (missing.length > 0) {
          const names = missing.map((g) => (g >= 0 ? (features[g] as Feature).name : '?'));
          const issues: Issue[] = names.map((n) =>
            issue(
              rows.length === 1 ? [n] : [r, n],
              'required',
              `${n} is missing, and the model has no rule for missing values (no imputer, no missing-value branches)`,
            ),
          );
          throw invalidInput(issues, 'Cannot explain');
        }
        raw(matrix, r, rawOf);
        const { margin, probability } = applyHead(head, rawOf, columns);
        if (!linkHolds(marginSpace, margin, probability)) {
          throw new CairnError(
            'internal',
            `the model's margin ${margin} does not match its probability ${probability} as '${marginSpace}' says`,
          );
        }
        const phi = new Float64Array(F);
        shap(matrix, r, phi);
        let sum = 0;
        for (let g = 0; g < F; g++) sum += phi[g] as number;
        const error = Math.abs(baseMargin + sum - margin);
        if (!(error <= EXACT_TOLERANCE * Math.max(1, Math.abs(margin)))) {
          throw new CairnError('internal', `exact SHAP values miss the model output by ${error}; this is a bug in Cairn`);
        }
        if (!rescale) {
          out.push({ base: baseMargin, output: margin, probability, additivityError: error, phi });
          continue;
        }
        const dm = margin - baseMargin;
        const dp = probability - baseProbability;
        const factor = Math.abs(dm) > 1e-12 ? dp / dm : 0;
        let total = 0;
        for (let g = 0; g < F; g++) {
          phi[g] = (phi[g] as number) * factor;
          total += phi[g] as number;
        }
        out.push({
          base: baseProbability,
          output: probability,
          probability,
          additivityError: Math.abs(baseProbability + total - probability),
          phi,
        });
      }
      return out;
    },
    release: async () => {
      await options.runner?.release();
    },
  };
}

interface KernelOptions {
  probability: boolean;
  backgroundSize: number;
  budget: number;
  seed: number;
}

async function kernelEngine(
  bundle: Bundle,
  runner: ModelRunner,
  backgroundRows: readonly FeatureRecord[],
  options: KernelOptions,
): Promise<Engine> {
  const features = bundle.manifest.features;
  const M = features.length;
  const kind = bundle.io.output.kind;
  if (backgroundRows.length === 0) {
    throw new CairnError(
      'invalid_bundle',
      'KernelSHAP explains against background rows, and there are none: add reference.csv to the bundle or pass options.background',
      {
        issues: [issue(['reference'], 'required', 'background rows are needed for KernelSHAP')],
      },
    );
  }
  const toProbability = (v: number) => (kind === 'logit' ? sigmoid(v) : v);
  const valueModel = bundle.io.output.measure === 'value';
  const toTarget =
    options.probability || valueModel
      ? toProbability
      : (v: number) => {
          if (kind === 'logit') return v;
          const p = Math.min(1 - LOGIT_EPS, Math.max(LOGIT_EPS, v));
          return Math.log(p / (1 - p));
        };
  // Coalitions need at least M + 1 rows of evidence to pin down M values: size the background to fit.
  const minCoalitions = Math.min(2 ** M - 2, 2 * M + 2);
  const fit = Math.floor((options.budget - 1) / Math.max(1, minCoalitions));
  if (fit < 1) {
    throw limitExceeded(`kernelBudget ${options.budget} is too small for ${M} features: give at least ${minCoalitions + 1}`, [
      'kernelBudget',
    ]);
  }
  let background = evenlySpaced(backgroundRows, Math.min(options.backgroundSize, fit));
  const baseOut = await runner.run(background);
  const usable = background.filter((_, i) => Number.isFinite(baseOut[i] as number));
  if (usable.length === 0)
    throw new CairnError('invalid_bundle', 'the model returns no finite output for any background row', {
      issues: [issue(['reference'], 'invalid', 'no usable background rows')],
    });
  let base = 0;
  background.forEach((_, i) => {
    if (Number.isFinite(baseOut[i] as number)) base += toTarget(baseOut[i] as number);
  });
  base /= usable.length;
  background = usable;
  const B = background.length;
  const coalitionBudget = Math.floor((options.budget - 1) / B);
  // One plan for every patient: an explanation then depends only on the patient, not on call order.
  const plan = planCoalitions(M, coalitionBudget, seededRandom(options.seed));
  const names = features.map((f) => f.name);

  return {
    method: 'kernel',
    space: valueModel ? 'value' : options.probability ? 'probability' : 'log-odds',
    base,
    async run(rows) {
      const out = [];
      for (const x of rows) {
        const records: FeatureRecord[] = [x];
        for (let k = 0; k < plan.count; k++) {
          for (const bg of background) {
            const rec: Record<string, FeatureValue> = {};
            for (let i = 0; i < M; i++) {
              const n = names[i] as string;
              rec[n] = plan.masks[k * M + i] ? (x[n] ?? null) : (bg[n] ?? null);
            }
            records.push(rec);
          }
        }
        const y = await runner.run(records);
        const fx = y[0] as number;
        if (!Number.isFinite(fx)) throw invalidInput([issue([], 'invalid', `the model returns ${fx} for this patient`)], 'Cannot explain');
        const v = new Float64Array(plan.count);
        for (let k = 0; k < plan.count; k++) {
          let s = 0;
          for (let b = 0; b < B; b++) s += toTarget(y[1 + k * B + b] as number);
          v[k] = s / B;
        }
        if (!v.every(Number.isFinite))
          throw invalidInput(
            [issue([], 'invalid', 'the model returns a non-finite output for a mix of this patient and the background')],
            'Cannot explain',
          );
        const output = toTarget(fx);
        const phi = solveKernel(plan, v, base, output);
        let sum = 0;
        for (const p of phi) sum += p;
        out.push({
          base,
          output,
          probability: toProbability(fx),
          additivityError: Math.abs(base + sum - output),
          phi,
          evaluations: records.length,
          exact: plan.exact,
        });
      }
      return out;
    },
    release: () => runner.release(),
  };
}
