/** Code system URIs the adapter knows by a short name (used in mapping files). */
export const CODE_SYSTEMS = {
  loinc: 'http://loinc.org',
  snomed: 'http://snomed.info/sct',
  icd10: 'http://hl7.org/fhir/sid/icd-10',
  'icd10-cm': 'http://hl7.org/fhir/sid/icd-10-cm',
  rxnorm: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  ucum: 'http://unitsofmeasure.org',
} as const;

/** A short code system name accepted in mapping files. */
export type CodeSystemAlias = keyof typeof CODE_SYSTEMS;

/** Resolves a short name (loinc, snomed, icd10, icd10-cm, rxnorm) to its URI; other values pass through. */
export function resolveSystem(system: string): string {
  return (CODE_SYSTEMS as Record<string, string>)[system.toLowerCase()] ?? system;
}

/** Key of a coding in the resource index: `system|code`. */
export function codingKey(system: string | undefined, code: string): string {
  return `${system ?? ''}|${code}`;
}
