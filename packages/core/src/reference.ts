import Papa from 'papaparse';
import { type Issue, invalidBundle, invalidInput, issue } from './errors.js';
import type { Feature } from './manifest.js';
import { createValidator, type FeatureRecord } from './validate.js';

/** Background rows shipped with a bundle (explanations, drift). */
export interface ReferenceData {
  readonly columns: readonly string[];
  readonly rows: readonly FeatureRecord[];
}

/** Parses reference.csv: a header of feature names, one validated row per line. */
export function parseReferenceCsv(text: string, features: readonly Feature[]): ReferenceData {
  const parsed = Papa.parse<string[]>(text.replace(/^\uFEFF/, ''), { skipEmptyLines: 'greedy' });
  const [header, ...body] = parsed.data;
  if (!header || header.length === 0) throw invalidBundle('reference.csv is empty', ['reference.csv']);
  const columns = header.map((h) => h.trim());
  const known = new Set(features.map((f) => f.name));
  const issues: Issue[] = [];
  for (const f of features)
    if (!columns.includes(f.name)) issues.push(issue(['reference.csv', f.name], 'required', `reference.csv has no column '${f.name}'`));
  columns.forEach((c, i) => {
    if (!known.has(c)) issues.push(issue(['reference.csv', 'header', i], 'unknown_field', `reference.csv column '${c}' is not a feature`));
  });
  if (issues.length > 0) throw invalidInput(issues, 'Invalid reference.csv');
  // Reference rows describe a population: implausible values and imputation are kept as given.
  const validator = createValidator(features.map((f) => ({ ...f, plausible: undefined, required: false, impute: undefined })));
  const rows: FeatureRecord[] = [];
  body.forEach((cells, r) => {
    if (cells.length !== columns.length) {
      issues.push(issue(['reference.csv', r + 2], 'shape', `line ${r + 2} has ${cells.length} cells, the header has ${columns.length}`));
      return;
    }
    const record: Record<string, string> = {};
    columns.forEach((c, i) => {
      record[c] = cells[i] as string;
    });
    const result = validator.validate(record, ['reference.csv', r + 2]);
    if (result.ok) rows.push(result.values);
    else issues.push(...result.issues.filter((i) => i.severity === 'error'));
  });
  if (issues.length > 0) throw invalidInput(issues, 'Invalid reference.csv');
  if (rows.length === 0) throw invalidBundle('reference.csv has a header but no rows', ['reference.csv']);
  return { columns, rows };
}

/** Writes records as reference.csv text (header of feature names). */
export function formatReferenceCsv(rows: readonly FeatureRecord[], features: readonly Feature[]): string {
  const fields = features.map((f) => f.name);
  const data = rows.map((r) =>
    fields.map((f) => {
      const v = r[f];
      return v === null || v === undefined ? '' : String(v);
    }),
  );
  return `${Papa.unparse({ fields, data }, { newline: '\n' })}\n`;
}

/** Options of {@link referenceFromCsv}. */
export interface ReferenceSampleOptions {
  /**
   * Most rows kept; larger files are sampled without replacement (seeded).
   * @defaultValue 1000
   */
  maxRows?: number;
  /** @defaultValue 1 */
  seed?: number;
}

/**
 * Builds reference rows from any CSV that has the feature columns (extra columns such as
 * the target or an id are ignored); rows that fail validation are reported, not skipped.
 */
export function referenceFromCsv(text: string, features: readonly Feature[], options: ReferenceSampleOptions = {}): FeatureRecord[] {
  const parsed = Papa.parse<Record<string, string>>(text.replace(/^\uFEFF/, ''), {
    header: true,
    skipEmptyLines: 'greedy',
    transformHeader: (h) => h.trim(),
  });
  const fields = parsed.meta.fields ?? [];
  const issues: Issue[] = [];
  for (const f of features)
    if (!fields.includes(f.name)) issues.push(issue(['reference', f.name], 'required', `the CSV has no column '${f.name}'`));
  if (issues.length > 0) throw invalidInput(issues, 'Invalid reference data');
  for (const e of parsed.errors.slice(0, 20)) {
    issues.push(issue(['reference', (e.row ?? 0) + 2], 'shape', `line ${(e.row ?? 0) + 2}: ${e.message}`));
  }
  const validator = createValidator(
    features.map((f) => ({ ...f, plausible: undefined, required: false, impute: undefined })),
    { unknownFields: 'ignore' },
  );
  const rows: FeatureRecord[] = [];
  parsed.data.forEach((record, r) => {
    const result = validator.validate(record, ['reference', r + 2]);
    if (result.ok) rows.push(result.values);
    else issues.push(...result.issues.filter((i) => i.severity === 'error'));
  });
  if (issues.length > 0) throw invalidInput(issues, 'Invalid reference data');
  if (rows.length === 0) throw invalidBundle('the reference CSV has no rows', ['reference']);
  const max = options.maxRows ?? 1000;
  if (rows.length <= max) return rows;
  // Seeded Fisher–Yates over indices, then keep the original order of the chosen rows.
  let state = (options.seed ?? 1) >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  const index = rows.map((_, i) => i);
  for (let i = index.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [index[i], index[j]] = [index[j] as number, index[i] as number];
  }
  return index
    .slice(0, max)
    .sort((a, b) => a - b)
    .map((i) => rows[i] as FeatureRecord);
}
