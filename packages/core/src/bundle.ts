import type { BundleFiles } from './archive.js';
import { CairnError, invalidBundle, isCairnError, issue } from './errors.js';
import { sha256Hex } from './hash.js';
import { type Manifest, parseManifest } from './manifest.js';
import { type ResolvedModelIO, resolveModelIO } from './model-check.js';
import { decodeModel, encodeModel, type OnnxModel } from './onnx/model.js';
import { stripZipMap, type ZipMapRewrite } from './onnx/rewrite.js';
import { parseReferenceCsv, type ReferenceData } from './reference.js';
import { type SignatureInfo, type TrustedKey, verifyManifestSignature } from './signing.js';

/** A loaded, checked bundle: what a predictor or explainer is built from. */
export interface Bundle {
  readonly manifest: Manifest;
  /** The model as decoded (after ZipMap outputs were replaced by their tensors). */
  readonly model: OnnxModel;
  /** Bytes handed to the runtime (rewritten when a ZipMap was removed). */
  readonly modelBytes: Uint8Array;
  /** SHA-256 of model.onnx as shipped (matches `manifest.model.sha256`). */
  readonly modelSha256: string;
  readonly io: ResolvedModelIO;
  readonly rewrites: readonly ZipMapRewrite[];
  readonly reference: ReferenceData | undefined;
  /** Present when the bundle was signed and verified against a trusted key. */
  readonly signature: SignatureInfo | undefined;
  /** fhir-mapping.json, parsed as JSON (checked against its hash; validate it with @cairn/fhir-adapter's parseMapping). */
  readonly fhirMapping: unknown;
}

/** Options of {@link loadBundle}. */
export interface LoadBundleOptions {
  /** Public keys trusted to sign bundles. When given, unsigned or badly signed bundles are refused. */
  trustedKeys?: readonly TrustedKey[];
  /**
   * Refuse unsigned bundles even without trusted keys (then every bundle is refused).
   * @defaultValue true when trustedKeys is non-empty
   */
  requireSignature?: boolean;
}

const text = (v: string | Uint8Array) => (typeof v === 'string' ? v : new TextDecoder('utf-8').decode(v));

/**
 * Loads a bundle from its files: parses cairn.json, checks the model hash and signature,
 * decodes the ONNX graph, makes ZipMap outputs readable, checks the manifest against the
 * graph and validates the reference rows. Every failure is a {@link CairnError}.
 */
export async function loadBundle(files: BundleFiles, options: LoadBundleOptions = {}): Promise<Bundle> {
  try {
    return await load(files, options);
  } catch (error) {
    if (isCairnError(error)) throw error;
    throw new CairnError('invalid_bundle', `Bundle could not be loaded: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

async function load(files: BundleFiles, options: LoadBundleOptions): Promise<Bundle> {
  if (!files || typeof files !== 'object') throw invalidBundle('bundle files are missing');
  if (!(files.model instanceof Uint8Array)) throw invalidBundle('model.onnx is missing', ['model.onnx']);
  const manifestInput = typeof files.manifest === 'string' || files.manifest instanceof Uint8Array ? text(files.manifest) : files.manifest;
  const manifest = parseManifest(manifestInput);

  const modelSha256 = await sha256Hex(files.model);
  if (modelSha256 !== manifest.model.sha256) {
    throw new CairnError(
      'checksum_mismatch',
      `model.onnx does not match cairn.json: SHA-256 is ${modelSha256}, the manifest says ${manifest.model.sha256}`,
      { issues: [issue(['model', 'sha256'], 'mismatch', 'model.onnx checksum differs from the manifest')] },
    );
  }

  const trusted = options.trustedKeys ?? [];
  const requireSignature = options.requireSignature ?? trusted.length > 0;
  let signature: SignatureInfo | undefined;
  if (files.signature !== undefined && trusted.length > 0) {
    signature = await verifyManifestSignature(manifest, text(files.signature), trusted);
  } else if (requireSignature) {
    throw new CairnError(
      files.signature === undefined ? 'signature_required' : 'signature_invalid',
      files.signature === undefined
        ? 'bundle is not signed, and this installation only accepts signed bundles'
        : 'bundle is signed, but no trusted keys are configured to verify it',
      { issues: [issue(['signature.jws'], 'required', 'a signature from a trusted key is required')] },
    );
  }

  const decoded = decodeModel(files.model);
  const { model, rewrites } = stripZipMap(decoded);
  const io = resolveModelIO(manifest, model, rewrites);
  const modelBytes = rewrites.length > 0 ? encodeModel(model) : files.model;

  let reference: ReferenceData | undefined;
  if (manifest.reference) {
    if (files.reference === undefined) throw invalidBundle('cairn.json lists reference.csv, but the bundle has none', ['reference.csv']);
    const refSha = await sha256Hex(files.reference);
    if (refSha !== manifest.reference.sha256) {
      throw new CairnError(
        'checksum_mismatch',
        `reference.csv does not match cairn.json: SHA-256 is ${refSha}, the manifest says ${manifest.reference.sha256}`,
        {
          issues: [issue(['reference', 'sha256'], 'mismatch', 'reference.csv checksum differs from the manifest')],
        },
      );
    }
    reference = parseReferenceCsv(text(files.reference), manifest.features);
    if (reference.rows.length !== manifest.reference.rows) {
      throw invalidBundle(`reference.csv has ${reference.rows.length} rows, cairn.json says ${manifest.reference.rows}`, [
        'reference',
        'rows',
      ]);
    }
  } else if (files.reference !== undefined) {
    throw invalidBundle('the bundle has reference.csv, but cairn.json does not list it (so its checksum is unchecked)', ['reference']);
  }
  let fhirMapping: unknown;
  if (manifest.fhirMapping) {
    if (files.fhirMapping === undefined)
      throw invalidBundle('cairn.json lists fhir-mapping.json, but the bundle has none', ['fhir-mapping.json']);
    const mapSha = await sha256Hex(files.fhirMapping);
    if (mapSha !== manifest.fhirMapping.sha256) {
      throw new CairnError(
        'checksum_mismatch',
        `fhir-mapping.json does not match cairn.json: SHA-256 is ${mapSha}, the manifest says ${manifest.fhirMapping.sha256}`,
        {
          issues: [issue(['fhirMapping', 'sha256'], 'mismatch', 'fhir-mapping.json checksum differs from the manifest')],
        },
      );
    }
    try {
      fhirMapping = JSON.parse(text(files.fhirMapping));
    } catch (cause) {
      throw invalidBundle(
        `fhir-mapping.json is not valid JSON (${cause instanceof Error ? cause.message : String(cause)})`,
        ['fhir-mapping.json'],
        cause,
      );
    }
  } else if (files.fhirMapping !== undefined) {
    throw invalidBundle('the bundle has fhir-mapping.json, but cairn.json does not list it (so its checksum is unchecked)', [
      'fhirMapping',
    ]);
  }
  return { manifest, model, modelBytes, modelSha256, io, rewrites, reference, signature, fhirMapping };
}
