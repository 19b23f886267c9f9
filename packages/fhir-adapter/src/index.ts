export type { CardOptions } from './cds-hooks/cards.js';
export type { CdsAuthOptions, CdsJwtClaims, JtiStore, TrustedCdsClient } from './cds-hooks/jwt.js';
export { createMemoryJtiStore, verifyCdsJwt } from './cds-hooks/jwt.js';
export type { CdsHooksService, CdsHooksServiceOptions } from './cds-hooks/service.js';
export { createCdsHooksService, feedbackRequestSchema, patientViewRequestSchema } from './cds-hooks/service.js';
export type {
  CdsCard,
  CdsDiscoveryResponse,
  CdsFeedbackItem,
  CdsHookResponse,
  CdsHttpRequest,
  CdsHttpResponse,
  CdsLink,
  CdsServiceDefinition,
  CdsSource,
  FeedbackRecord,
  FeedbackSink,
} from './cds-hooks/types.js';
export type { R4Definitions, R4DefinitionsSource } from './definitions.js';
export { loadR4Definitions, validateFhirResource } from './definitions.js';
export type { FeatureContribution, PredictionExplanation } from './explanation.js';
export { topContributions } from './explanation.js';
export type {
  ExtractionResult,
  ExtractOptions,
  FeatureProvenance,
  MissingFeature,
  MissingReason,
  ValueProvenance,
} from './extract.js';
export { extractFeatures, resolveMapping } from './extract.js';
export type { FhirKitSourceOptions } from './fhir-kit-source.js';
export { createFhirKitSource } from './fhir-kit-source.js';
export type { FhirErrorReason } from './http-errors.js';
export { FhirRequestError, isFhirRequestError } from './http-errors.js';
export type {
  ConditionMapping,
  FeatureMapping,
  FeatureMappingSpec,
  MappedCode,
  MappingInput,
  MedicationMapping,
  ObservationMapping,
} from './mapping.js';
export { mappingSchema, parseMapping } from './mapping.js';
export type { MedplumSourceOptions } from './medplum-source.js';
export { createMedplumSource } from './medplum-source.js';
export type { ConditionHit, IndexOptions, MedicationHit, ObservationHit, ResourceIndex } from './resource-index.js';
export { indexResources } from './resource-index.js';
export type { RetryOptions } from './retry.js';
export type { PredictionSummary, RiskAssessmentInput } from './risk-assessment.js';
export { buildRiskAssessment, postRiskAssessment } from './risk-assessment.js';
export type {
  CompleteLaunchOptions,
  PendingSmartLaunch,
  SmartAuthorizeParams,
  SmartConfiguration,
  SmartRuntime,
  SmartSession,
  WebCryptoLike,
} from './smart.js';
export { beginSmartLaunch, completeSmartLaunch, discoverSmartConfiguration, parseLaunchRequest, pkceChallenge } from './smart.js';
export type { FetchedRecord, FetchRecordOptions, FhirSource, MappingQuery, QueryOptions } from './source.js';
export { fetchPatientRecord, mappingQueries, prefetchTemplates } from './source.js';
export type { CodeSystemAlias } from './systems.js';
export { CODE_SYSTEMS } from './systems.js';
export type { ConvertUnitOptions, UcumConverterOptions, UnitConversionResult } from './ucum.js';
export { convertUnit, createUcumConverter, isUcumCode, MOLAR_MASS_BY_LOINC } from './ucum.js';
