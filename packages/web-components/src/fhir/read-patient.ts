import { CairnError, type Feature, type Issue, isCairnError, issue } from '@cairn/core';
import { type ExtractionResult, extractFeatures, fetchPatientRecord, parseMapping } from '@cairn/fhir-adapter';
import { createFetchSource } from './fetch-source.js';

/** A FHIR server, a patient and a token: how the widget reads a record online. */
export interface FhirContext {
  readonly serverUrl: string;
  readonly patientId: string;
  readonly accessToken?: string | undefined;
}

/** Options of {@link readPatientFeatures}. */
export interface ReadPatientOptions {
  /** Date the features are computed for. @defaultValue now */
  readonly asOf?: string | undefined;
  /** @defaultValue globalThis.fetch */
  readonly fetch?: typeof fetch;
  readonly signal?: AbortSignal | undefined;
}

function isUnmapped(i: Issue): boolean {
  return i.rule === 'required' && i.path[0] === 'mapping' && i.path[1] === 'features' && i.path.length === 3;
}

/**
 * Parses the mapping against the features. A mapping that leaves some features out is accepted
 * here (the adapter refuses it for unattended use): the clinician fills those in the form.
 */
function checkMapping(mapping: unknown, features: readonly Feature[]) {
  if (mapping === undefined || mapping === null) {
    throw new CairnError(
      'invalid_argument',
      'this model has no FHIR mapping (fhir-mapping.json), so features cannot be read from a record',
      {
        issues: [issue(['fhirMapping'], 'required', 'the bundle (or the fhirMapping property) must give a mapping')],
      },
    );
  }
  try {
    return parseMapping(mapping, features);
  } catch (error) {
    const errors = isCairnError(error) ? error.issues.filter((i) => i.severity === 'error') : [];
    if (errors.length === 0 || !errors.every(isUnmapped)) throw error;
    return parseMapping(mapping);
  }
}

/**
 * Turns a patient's FHIR record into features with @cairn/fhir-adapter: from resources the host
 * already has (a Bundle or an array), or fetched from a FHIR server with a bearer token.
 */
export async function readPatientFeatures(
  input: { readonly resources: unknown } | { readonly context: FhirContext },
  mapping: unknown,
  features: readonly Feature[],
  options: ReadPatientOptions = {},
): Promise<ExtractionResult> {
  const spec = checkMapping(mapping, features);
  const asOf = options.asOf ?? new Date().toISOString();
  let resources: unknown;
  let patientId: string | undefined;
  if ('context' in input) {
    const { serverUrl, patientId: id, accessToken } = input.context;
    const source = createFetchSource({
      baseUrl: serverUrl,
      accessToken,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      signal: options.signal,
    });
    resources = (await fetchPatientRecord(source, id, spec, { asOf })).resources;
    patientId = id;
  } else resources = input.resources;
  return extractFeatures(resources, spec, { asOf, features, ...(patientId ? { patientId } : {}) });
}
