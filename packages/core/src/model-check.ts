import { type Issue, issue, modelMismatch } from './errors.js';
import type { Manifest } from './manifest.js';
import { formatValueType, type OnnxModel, type ValueType } from './onnx/model.js';
import { classLabelsOf, type ZipMapRewrite } from './onnx/rewrite.js';

/** How one ONNX input is fed. */
export interface ResolvedInput {
  readonly name: string;
  readonly dtype: 'float32' | 'float64' | 'int64' | 'string';
  /** 1 for [N], 2 for [N, width]. */
  readonly rank: 1 | 2;
  readonly width: number;
}

/** Where the score is read, with the positive class resolved to a column. */
export interface ResolvedOutput {
  readonly tensor: string;
  /**
   * How the tensor is read: one column of [N, classes] (`probabilities`), or one number per row,
   * taken as is (`probability`, also for `value` outputs) or as log-odds (`logit`).
   */
  readonly kind: 'probabilities' | 'probability' | 'logit';
  /** What the number read is: the positive-class probability, or a real value (a treatment effect, manifest kind `value`). */
  readonly measure: 'probability' | 'value';
  readonly positiveIndex: number;
  readonly classLabels: ReadonlyArray<string | number> | undefined;
  readonly positiveLabel: string | number | undefined;
  readonly negativeLabel: string | number | undefined;
}

/** The manifest's input and output mapping, checked against the graph. */
export interface ResolvedModelIO {
  readonly inputs: readonly ResolvedInput[];
  readonly output: ResolvedOutput;
}

const FLOAT_TYPES: Record<string, ResolvedInput['dtype']> = { float32: 'float32', float64: 'float64' };

function checkTensor(type: ValueType, dtype: string, width: number, path: Array<string | number>, label: string, issues: Issue[]): 1 | 2 {
  if (type.kind !== 'tensor') {
    issues.push(issue(path, 'mismatch', `${label} is ${formatValueType(type)}, not a tensor`));
    return 2;
  }
  if (type.dtype !== dtype) {
    issues.push(issue(path, 'mismatch', `${label} has element type ${type.dtype}, but the manifest says ${dtype}`));
  }
  const shape = type.shape;
  if (!shape) return 2;
  if (shape.length !== 1 && shape.length !== 2) {
    issues.push(issue(path, 'mismatch', `${label} has rank ${shape.length}; Cairn feeds [N] or [N, columns]`));
    return 2;
  }
  if (shape.length === 1) {
    if (width !== 1) issues.push(issue(path, 'mismatch', `${label} is [N] but the manifest maps ${width} columns to it`));
    return 1;
  }
  const dim = shape[1];
  if (typeof dim === 'number' && dim !== width) {
    issues.push(issue(path, 'mismatch', `${label} has ${dim} columns, but the manifest maps ${width}`));
  }
  return 2;
}

/** Checks the manifest against the ONNX graph; throws `model_mismatch` naming every disagreement. */
export function resolveModelIO(manifest: Manifest, model: OnnxModel, rewrites: readonly ZipMapRewrite[]): ResolvedModelIO {
  const issues: Issue[] = [];
  const graphInputs = new Map(model.inputs.map((i) => [i.name, i]));
  const fed = new Set<string>();
  const inputs: ResolvedInput[] = [];
  const spec = manifest.inputs;

  if (spec.layout === 'tensor') {
    const gi = graphInputs.get(spec.name);
    const path = ['inputs', 'name'];
    if (!gi) {
      issues.push(issue(path, 'mismatch', `model.onnx has no input '${spec.name}' (inputs: ${[...graphInputs.keys()].join(', ')})`));
    } else {
      fed.add(spec.name);
      const rank = checkTensor(gi.type, spec.dtype, spec.columns.length, path, `input '${spec.name}'`, issues);
      inputs.push({ name: spec.name, dtype: FLOAT_TYPES[spec.dtype] ?? 'float32', rank, width: spec.columns.length });
    }
  } else {
    const features = new Map(manifest.features.map((f) => [f.name, f]));
    spec.columns.forEach((c, i) => {
      const path = ['inputs', 'columns', i, 'name'];
      const gi = graphInputs.get(c.name);
      if (!gi) {
        issues.push(issue(path, 'mismatch', `model.onnx has no input '${c.name}' (inputs: ${[...graphInputs.keys()].join(', ')})`));
        return;
      }
      if (fed.has(c.name)) issues.push(issue(path, 'mismatch', `input '${c.name}' is mapped twice`));
      fed.add(c.name);
      const rank = checkTensor(gi.type, c.dtype, 1, path, `input '${c.name}'`, issues);
      inputs.push({ name: c.name, dtype: c.dtype, rank, width: 1 });
      const f = features.get(c.feature);
      if (f && c.dtype === 'int64' && !f.required && f.impute === undefined) {
        issues.push(
          issue(
            ['inputs', 'columns', i, 'dtype'],
            'mismatch',
            `feature '${f.name}' may be missing but feeds an int64 input, which has no missing value: make it required or give impute`,
          ),
        );
      }
      if (f && c.dtype === 'string' && f.type !== 'category') {
        issues.push(issue(['inputs', 'columns', i, 'dtype'], 'mismatch', `feature '${f.name}' is ${f.type} but feeds a string input`));
      }
      if (
        f &&
        c.dtype === 'int64' &&
        (f.type === 'number' ||
          (f.type === 'category' && f.categories?.some((k) => typeof k.value !== 'number' && !/^-?\d+$/.test(k.value))))
      ) {
        issues.push(
          issue(['inputs', 'columns', i, 'dtype'], 'mismatch', `feature '${f.name}' has non-integer values but feeds an int64 input`),
        );
      }
    });
  }
  for (const name of graphInputs.keys()) {
    if (!fed.has(name)) issues.push(issue(['inputs'], 'mismatch', `model.onnx input '${name}' is not fed by any manifest input`));
  }

  // Output.
  const out = manifest.output;
  const rewrite = rewrites.find((r) => r.output === out.name || r.tensor === out.name);
  const tensor = rewrite ? rewrite.tensor : out.name;
  const go = model.outputs.find((o) => o.name === tensor);
  const outPath = ['output', 'name'];
  let classLabels: ReadonlyArray<string | number> | undefined = rewrite?.classLabels;
  let positiveIndex = out.positiveIndex ?? (out.kind === 'probabilities' ? 1 : 0);
  const what = out.kind === 'value' ? 'a value' : 'a probability';
  if (!go) {
    issues.push(
      issue(outPath, 'mismatch', `model.onnx has no output '${out.name}' (outputs: ${model.outputs.map((o) => o.name).join(', ')})`),
    );
  } else if (go.type.kind === 'tensor') {
    if (go.type.dtype !== 'float32' && go.type.dtype !== 'float64') {
      issues.push(issue(outPath, 'mismatch', `output '${out.name}' is ${formatValueType(go.type)}; ${what} must be float`));
    }
    const shape = go.type.shape;
    if (shape && shape.length > 2) issues.push(issue(outPath, 'mismatch', `output '${out.name}' has rank ${shape.length}`));
    if (out.kind === 'value' && shape?.length === 2 && typeof shape[1] === 'number' && shape[1] !== 1) {
      issues.push(
        issue(outPath, 'mismatch', `output '${out.name}' has ${shape[1]} columns; a value output has one per row ([N] or [N, 1])`),
      );
    }
    if (out.kind === 'probabilities') {
      classLabels ??= classLabelsOf(model, tensor);
      const width = shape?.length === 2 && typeof shape[1] === 'number' ? shape[1] : classLabels?.length;
      if (out.positiveClass !== undefined) {
        if (!classLabels) {
          issues.push(
            issue(['output', 'positiveClass'], 'mismatch', `the class labels of '${out.name}' are unknown: give positiveIndex instead`),
          );
        } else {
          const idx = classLabels.findIndex((l) => String(l) === String(out.positiveClass));
          if (idx < 0) {
            issues.push(
              issue(
                ['output', 'positiveClass'],
                'mismatch',
                `'${out.positiveClass}' is not a class of the model (classes: ${classLabels.join(', ')})`,
              ),
            );
          } else positiveIndex = idx;
        }
      }
      if (width !== undefined && positiveIndex >= width) {
        issues.push(
          issue(['output'], 'mismatch', `positive class column ${positiveIndex} is out of range: '${out.name}' has ${width} columns`),
        );
      }
    }
  } else if (go.type.kind === 'unknown') {
    // The graph does not declare the output type; the predictor's probe inference checks it.
    classLabels ??= classLabelsOf(model, tensor);
    if (out.positiveClass !== undefined && classLabels) {
      const idx = classLabels.findIndex((l) => String(l) === String(out.positiveClass));
      if (idx < 0)
        issues.push(
          issue(
            ['output', 'positiveClass'],
            'mismatch',
            `'${out.positiveClass}' is not a class of the model (classes: ${classLabels.join(', ')})`,
          ),
        );
      else positiveIndex = idx;
    } else if (out.positiveClass !== undefined) {
      issues.push(
        issue(['output', 'positiveClass'], 'mismatch', `the class labels of '${out.name}' are unknown: give positiveIndex instead`),
      );
    }
  } else {
    issues.push(issue(outPath, 'mismatch', `output '${out.name}' is ${formatValueType(go.type)}, not a tensor`));
  }
  if (issues.length > 0) throw modelMismatch(issues);
  const positiveLabel = classLabels?.[positiveIndex] ?? out.positiveClass;
  const negativeLabel = classLabels && classLabels.length === 2 ? classLabels[1 - positiveIndex] : undefined;
  if (out.kind === 'value') {
    return {
      inputs,
      output: {
        tensor,
        kind: 'probability',
        measure: 'value',
        positiveIndex: 0,
        classLabels: undefined,
        positiveLabel: undefined,
        negativeLabel: undefined,
      },
    };
  }
  return { inputs, output: { tensor, kind: out.kind, measure: 'probability', positiveIndex, classLabels, positiveLabel, negativeLabel } };
}
