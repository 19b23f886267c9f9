import type { BundleFiles } from './archive.js';
import { type Bundle, loadBundle } from './bundle.js';
import { CairnError, invalidArgument, issue, modelMismatch } from './errors.js';
import { sha256Hex } from './hash.js';
import { MANIFEST_SCHEMA_VERSION, type ManifestInput, parseManifest } from './manifest.js';
import { decodeModel, formatValueType } from './onnx/model.js';
import { classLabelsOf, stripZipMap } from './onnx/rewrite.js';
import { formatReferenceCsv } from './reference.js';
import type { FeatureRecord } from './validate.js';

/** What a bundle author writes (features.json): the manifest without the parts Cairn computes. */
export type BundleSpec = Omit<ManifestInput, 'schemaVersion' | 'model' | 'reference' | 'provenance' | 'inputs' | 'output'> & {
  /** Inferred from the graph when absent (one float tensor in feature order, or inputs named like the features). */
  inputs?: ManifestInput['inputs'];
  /** Inferred when absent: the probability tensor (ZipMap outputs included), positive class = second of two. */
  output?: ManifestInput['output'];
  provenance?: Partial<ManifestInput['provenance']>;
};

/** Options of {@link assembleBundle}. */
export interface AssembleOptions {
  /** Background rows (validated feature records). */
  reference?: readonly FeatureRecord[];
  /** The signature, when signing happens elsewhere. */
  signature?: string;
  /** fhir-mapping.json content (object or JSON text), hashed into the manifest. */
  fhirMapping?: unknown;
  /** @defaultValue new Date() */
  now?: Date;
  /** Recorded in provenance.tool. */
  tool?: string;
}

function inferInputs(spec: BundleSpec, bytes: Uint8Array): ManifestInput['inputs'] {
  const model = decodeModel(bytes);
  const names = new Set(spec.features.map((f) => f.name));
  const inputs = model.inputs;
  if (inputs.length > 0 && inputs.every((i) => names.has(i.name))) {
    return {
      layout: 'columns',
      columns: inputs.map((i) => {
        const dtype = i.type.kind === 'tensor' ? i.type.dtype : 'unknown';
        if (dtype !== 'float32' && dtype !== 'float64' && dtype !== 'int64' && dtype !== 'string') {
          throw modelMismatch([issue(['inputs'], 'mismatch', `input '${i.name}' is ${formatValueType(i.type)}, which Cairn cannot feed`)]);
        }
        return { name: i.name, feature: i.name, dtype };
      }),
    };
  }
  const only = inputs[0];
  if (inputs.length === 1 && only && only.type.kind === 'tensor' && (only.type.dtype === 'float32' || only.type.dtype === 'float64')) {
    const width = only.type.shape?.[1];
    if (typeof width === 'number' && width !== spec.features.length) {
      throw modelMismatch([
        issue(
          ['inputs'],
          'mismatch',
          `input '${only.name}' has ${width} columns but ${spec.features.length} features are listed: give "inputs" explicitly`,
        ),
      ]);
    }
    return { layout: 'tensor', name: only.name, dtype: only.type.dtype, columns: spec.features.map((f) => ({ feature: f.name })) };
  }
  throw modelMismatch([
    issue(
      ['inputs'],
      'mismatch',
      `cannot infer how features map to inputs ${inputs.map((i) => `'${i.name}'`).join(', ')}: give "inputs" explicitly`,
    ),
  ]);
}

function inferOutput(bytes: Uint8Array): ManifestInput['output'] {
  const { model, rewrites } = stripZipMap(decodeModel(bytes));
  const rewrite = rewrites[0];
  const tensor =
    rewrite?.tensor ??
    model.outputs.find(
      (o) =>
        o.type.kind === 'unknown' ||
        (o.type.kind === 'tensor' && (o.type.dtype === 'float32' || o.type.dtype === 'float64') && (o.type.shape?.length ?? 2) === 2),
    )?.name;
  if (!tensor) throw modelMismatch([issue(['output'], 'mismatch', 'the model has no probability output: give "output" explicitly')]);
  const labels = rewrite?.classLabels ?? classLabelsOf(model, tensor);
  const name = rewrite?.output ?? tensor;
  if (labels && labels.length > 2) {
    throw modelMismatch([
      issue(
        ['output', 'positiveClass'],
        'required',
        `the model has ${labels.length} classes (${labels.join(', ')}): say which is positive in "output.positiveClass"`,
      ),
    ]);
  }
  return labels?.length === 2
    ? { name, kind: 'probabilities', positiveClass: labels[1] as string | number }
    : { name, kind: 'probabilities', positiveIndex: 1 };
}

/**
 * Assembles and checks bundle files from a model and a spec: computes hashes, infers the
 * input and output mapping when not given, records provenance and loads the result to
 * check it against the graph. Returns the files to write and the loaded bundle.
 */
export async function assembleBundle(
  spec: BundleSpec,
  model: Uint8Array,
  options: AssembleOptions = {},
): Promise<{ files: BundleFiles; bundle: Bundle }> {
  if (!spec || typeof spec !== 'object') throw invalidArgument('spec', 'must be an object (the content of features.json)');
  if (!(model instanceof Uint8Array)) throw invalidArgument('model', 'must be the bytes of model.onnx');
  if (!Array.isArray(spec.features)) {
    throw new CairnError('invalid_manifest', 'features.json: features must be an array', {
      issues: [issue(['features'], 'required', 'features must be an array')],
    });
  }
  const inputs = spec.inputs ?? inferInputs(spec, model);
  const output = spec.output ?? inferOutput(model);
  const draft = parseManifest({
    ...spec,
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    inputs,
    output,
    provenance: {
      createdAt: (options.now ?? new Date()).toISOString(),
      ...(options.tool ? { tool: options.tool } : {}),
      ...spec.provenance,
    },
    model: { file: 'model.onnx', sha256: await sha256Hex(model) },
  });
  let reference: string | undefined;
  if (options.reference && options.reference.length > 0) {
    reference = formatReferenceCsv(options.reference, draft.features);
  }
  const mapping =
    options.fhirMapping === undefined
      ? undefined
      : typeof options.fhirMapping === 'string'
        ? options.fhirMapping
        : `${JSON.stringify(options.fhirMapping, null, 2)}\n`;
  const manifest = parseManifest({
    ...draft,
    ...(reference ? { reference: { file: 'reference.csv', sha256: await sha256Hex(reference), rows: options.reference?.length } } : {}),
    ...(mapping ? { fhirMapping: { file: 'fhir-mapping.json', sha256: await sha256Hex(mapping) } } : {}),
  });
  const files: BundleFiles = {
    manifest: `${JSON.stringify(manifest, null, 2)}\n`,
    model,
    ...(reference ? { reference } : {}),
    ...(options.signature ? { signature: options.signature } : {}),
    ...(mapping ? { fhirMapping: mapping } : {}),
  };
  const bundle = await loadBundle(files);
  return { files, bundle };
}
