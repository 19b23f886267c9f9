export type { ArchiveLimits, BundleFiles } from './archive.js';
export { BUNDLE_FILES, readBundleArchive, writeBundleArchive } from './archive.js';
export type { AssembleOptions, BundleSpec } from './assemble.js';
export { assembleBundle } from './assemble.js';
export type { Bundle, LoadBundleOptions } from './bundle.js';
export { loadBundle } from './bundle.js';
export type { EncodedInput, FeatureEncoder } from './encode.js';
export { createEncoder } from './encode.js';
export type { CairnErrorCode, CairnErrorOptions, Issue, IssueRule } from './errors.js';
export {
  CairnError,
  formatPath,
  invalidArgument,
  invalidBundle,
  invalidInput,
  invalidManifest,
  invalidModel,
  isCairnError,
  issue,
  limitExceeded,
  modelMismatch,
  normalizeError,
  unsupported,
} from './errors.js';
export * from './explain/index.js';
export { sha256Hex } from './hash.js';
export type {
  Category,
  Coding,
  EffectSpec,
  Feature,
  InputsSpec,
  Manifest,
  ManifestInput,
  Metric,
  OutputSpec,
  RiskBand,
} from './manifest.js';
export {
  canonicalJson,
  MANIFEST_SCHEMA_VERSION,
  manifestJsonSchema,
  manifestSchema,
  parseManifest,
} from './manifest.js';
export type { ResolvedInput, ResolvedModelIO, ResolvedOutput } from './model-check.js';
export { resolveModelIO } from './model-check.js';
export type {
  AttributeSpec,
  BuildDtype,
  InitializerSpec,
  ModelSpec,
  NodeSpec,
  SplitMode,
  TensorSignature,
  TreeEnsembleSpec,
  TreeNodeSpec,
} from './onnx/build.js';
export { buildModel, treeEnsembleClassifierNode } from './onnx/build.js';
export type { AttributeValue, OnnxModel, OnnxNode, OnnxTensor, ValueInfo, ValueType } from './onnx/model.js';
export {
  createModelProto,
  decodeModel,
  decodeTensor,
  encodeModel,
  formatValueType,
  operatorCounts,
} from './onnx/model.js';
export type { ZipMapRewrite } from './onnx/rewrite.js';
export { classLabelsOf, stripZipMap } from './onnx/rewrite.js';
export { TensorDataType } from './onnx/schema.js';
export type { ModelSession, TensorData } from './onnx/session.js';
export { openModel } from './onnx/session.js';
export type {
  BatchItem,
  BatchOptions,
  BatchScores,
  EffectBatchItem,
  EffectPrediction,
  Prediction,
  Predictor,
  PredictorOptions,
} from './predictor.js';
export { createPredictor } from './predictor.js';
export type { ReferenceData, ReferenceSampleOptions } from './reference.js';
export { formatReferenceCsv, parseReferenceCsv, referenceFromCsv } from './reference.js';
export * from './report/index.js';
export type { InferenceSession, OrtRuntime, Tensor } from './runtime.js';
export type { SignatureAlgorithm, SignatureInfo, SigningKey, TrustedKey } from './signing.js';
export { keyId, SIGNATURE_TYPE, signManifest, verifyManifestSignature } from './signing.js';
export type {
  FeatureRecord,
  FeatureValue,
  UnitConverter,
  ValidateOptions,
  ValidationResult,
  Validator,
  ValueWithUnit,
} from './validate.js';
export { createValidator } from './validate.js';
