import { CairnError, type Issue, invalidArgument, invalidInput, isCairnError, issue, sha256Hex } from '@cairn/core';
import type { DataColumn, DataSource, Dataset, IngestReport } from '../data/dataset.js';
import { featureName, type ReadCsvOptions, readCsv } from '../data/read-csv.js';

/** The binary treatment of a causal dataset. */
export interface CausalTreatment {
  /** The column as written in the file. */
  readonly column: string;
  /** The condition that makes a row treated, e.g. `treatment == 1`. */
  readonly treated: string;
  /** 1 = treated, 0 = untreated. */
  readonly values: Uint8Array;
}

/** The outcome of a causal dataset: continuous, or binary (0/1). */
export interface CausalOutcome {
  readonly column: string;
  readonly label: string;
  readonly type: 'continuous' | 'binary';
  readonly unit?: string;
  readonly values: Float64Array;
}

/** Rows for effect estimation: covariates, a binary treatment and an outcome. */
export interface CausalDataset {
  readonly rows: number;
  /** Columns the models adjust for (treatment, outcome and excluded columns left out). */
  readonly covariates: readonly DataColumn[];
  readonly treatment: CausalTreatment;
  readonly outcome: CausalOutcome;
  readonly source: DataSource;
  readonly ingest: IngestReport;
}

/** Options of {@link causalDataset}. */
export interface CausalDatasetOptions {
  /** The outcome column. */
  readonly outcome: string;
  /** Columns that must not be covariates (e.g. counterfactual or oracle columns). */
  readonly exclude?: readonly string[];
  /**
   * Rows without an outcome: `error` refuses the data; `drop` leaves them out and records it in `ingest.dropped`.
   * @defaultValue 'error'
   */
  readonly missingOutcome?: 'error' | 'drop';
}

/** Options of {@link readCausalCsv}: those of readCsv, with a treatment and an outcome instead of a target. */
export interface ReadCausalCsvOptions extends Omit<ReadCsvOptions, 'target' | 'positive' | 'template' | 'exclude'> {
  /** The treatment column (two values, e.g. 0/1, true/false, or text with `treated`). */
  readonly treatment: string;
  /** The condition that makes a row treated, e.g. `arm == drug`. @defaultValue the larger of exactly two values (1, true, yes) */
  readonly treated?: string;
  /** The outcome column (numeric, or two values for a binary outcome). */
  readonly outcome: string;
  /** Columns that must not be covariates (e.g. counterfactual or oracle columns). */
  readonly exclude?: readonly string[];
  /** Rows without an outcome: refuse the data (`error`) or leave them out (`drop`). @defaultValue 'error' */
  readonly missingOutcome?: 'error' | 'drop';
  /** Column names for a file without a header row (e.g. the IHDP replication files). */
  readonly columns?: readonly string[];
}

const MAX_LISTED = 10;

function findColumn(data: Dataset, name: string): DataColumn | undefined {
  return data.columns.find((c) => c.name === name || c.label === name) ?? data.columns.find((c) => c.name === featureName(name));
}

/**
 * Turns a dataset read with the treatment as its target into a {@link CausalDataset}: takes the
 * outcome out of the columns, drops excluded columns and refuses outcomes that are missing or not numeric.
 */
export function causalDataset(data: Dataset, options: CausalDatasetOptions): CausalDataset {
  if (!options || typeof options.outcome !== 'string' || options.outcome.trim() === '') {
    throw invalidArgument('outcome', 'name the outcome column');
  }
  const outcomeName = options.outcome.trim();
  const treatmentName = data.target.column;
  if (outcomeName === treatmentName || featureName(outcomeName) === featureName(treatmentName)) {
    throw invalidArgument('outcome', `'${outcomeName}' is the treatment column: the outcome must be another column`);
  }
  const exclude = options.exclude ?? [];
  const issues: Issue[] = [];
  for (const e of exclude) {
    if (featureName(e) === featureName(outcomeName)) {
      issues.push(issue(['exclude', e], 'invalid', `'${e}' is the outcome: it cannot also be excluded`));
    } else if (featureName(e) === featureName(treatmentName)) {
      issues.push(issue(['exclude', e], 'invalid', `'${e}' is the treatment: it cannot also be excluded`));
    } else if (!findColumn(data, e) && !data.ingest.excluded.some((x) => x === e || featureName(x) === featureName(e))) {
      issues.push(issue(['exclude', e], 'unknown_field', `there is no column '${e}'`));
    }
  }
  const outcomeColumn = findColumn(data, outcomeName);
  if (!outcomeColumn) {
    const excluded = data.ingest.excluded.some((x) => x === outcomeName || featureName(x) === featureName(outcomeName));
    issues.push(
      issue(
        ['outcome'],
        'required',
        excluded
          ? `the outcome '${outcomeName}' was excluded when the file was read`
          : `there is no column '${outcomeName}' (columns: ${data.columns.map((c) => c.label).join(', ')})`,
      ),
    );
  } else if (outcomeColumn.type === 'category') {
    issues.push(
      issue(
        ['outcome'],
        'type',
        `the outcome '${outcomeName}' holds text categories: it must be numeric, or have two values (0/1, true/false) for a binary outcome`,
      ),
    );
  }
  if (issues.length > 0) throw invalidInput(issues, 'The causal data cannot be used');
  const outcome = outcomeColumn as DataColumn;

  const missing: number[] = [];
  outcome.values.forEach((v, i) => {
    if (Number.isNaN(v)) missing.push(i);
  });
  let keep: number[] | undefined;
  let dropped = data.ingest.dropped;
  if (missing.length > 0) {
    if ((options.missingOutcome ?? 'error') === 'error') {
      const rows = missing.slice(0, MAX_LISTED).map((i) => i + 1);
      throw invalidInput(
        [
          issue(
            ['outcome'],
            'required',
            `the outcome '${outcomeName}' is missing in ${missing.length} of ${data.rows} rows (data rows ${rows.join(', ')}${missing.length > MAX_LISTED ? ', …' : ''}): effects cannot be estimated from rows without an outcome; remove or impute them, or pass missingOutcome: 'drop' if they are missing at random given the covariates`,
          ),
        ],
        'Missing outcomes',
      );
    }
    const gone = new Set(missing);
    keep = [];
    for (let i = 0; i < data.rows; i++) if (!gone.has(i)) keep.push(i);
    dropped = [
      ...dropped,
      { reason: `outcome '${outcomeName}' is missing`, count: missing.length, lines: missing.slice(0, 20).map((i) => i + 1) },
    ];
  }
  const take = <T extends Float64Array | Uint8Array>(values: T): T => {
    if (!keep) return values;
    const out = new (values.constructor as { new (n: number): T })(keep.length);
    keep.forEach((r, k) => {
      out[k] = values[r] as number;
    });
    return out;
  };
  const excluded = new Set(exclude.map((e) => findColumn(data, e)?.name).filter((n): n is string => n !== undefined));
  const covariates = data.columns
    .filter((c) => c !== outcome && !excluded.has(c.name))
    .map((c) => (keep ? { ...c, values: take(c.values) } : c));
  if (covariates.length === 0) {
    throw invalidInput([
      issue(['columns'], 'required', 'there are no covariates besides the treatment, the outcome and the excluded columns'),
    ]);
  }
  const treatment = take(data.target.labels);
  const rows = treatment.length;
  let treated = 0;
  for (const t of treatment) treated += t;
  if (treated === 0 || treated === rows) {
    throw invalidInput(
      [
        issue(
          ['treatment'],
          'invalid',
          `every one of the ${rows} rows with an outcome is ${treated === 0 ? 'untreated' : 'treated'}: there is no comparison group`,
        ),
      ],
      'No comparison group',
    );
  }
  return {
    rows,
    covariates,
    treatment: { column: treatmentName, treated: data.target.positive, values: treatment },
    outcome: {
      column: outcome.label,
      label: outcome.label,
      type: outcome.type === 'boolean' ? 'binary' : 'continuous',
      ...(outcome.unit ? { unit: outcome.unit } : {}),
      values: take(outcome.values),
    },
    source: data.source,
    ingest: {
      ...data.ingest,
      dropped,
      excluded: [...data.ingest.excluded, ...[...excluded].map((n) => data.columns.find((c) => c.name === n)?.label ?? n)],
    },
  };
}

/**
 * Reads a CSV for effect estimation with readCsv's ingestion and errors: the treatment must have two
 * values (or a `treated` condition), the outcome must be numeric or binary and present, and excluded
 * columns never become covariates.
 */
export async function readCausalCsv(input: string | Uint8Array, options: ReadCausalCsvOptions): Promise<CausalDataset> {
  if (!options || typeof options.treatment !== 'string' || options.treatment.trim() === '') {
    throw invalidArgument('options.treatment', 'name the treatment column');
  }
  if (typeof options.outcome !== 'string' || options.outcome.trim() === '')
    throw invalidArgument('options.outcome', 'name the outcome column');
  const { treatment, treated, outcome, columns, exclude, missingOutcome, ...csv } = options;
  let text: string | Uint8Array = input;
  let sha256: string | undefined;
  let bytes: number | undefined;
  if (columns !== undefined) {
    if (!Array.isArray(columns) || columns.length === 0 || columns.some((c) => typeof c !== 'string' || c.trim() === '')) {
      throw invalidArgument('options.columns', 'give one non-empty name per column of the file');
    }
    const raw = typeof input === 'string' ? new TextEncoder().encode(input) : input;
    sha256 = await sha256Hex(raw);
    bytes = raw.length;
    const body = typeof input === 'string' ? input : new TextDecoder('utf-8').decode(input);
    const delimiter = csv.delimiter ?? (body.slice(0, 4096).includes('\t') && !body.slice(0, 4096).includes(',') ? '\t' : ',');
    text = `${columns.join(delimiter)}\n${body.replace(/^\uFEFF/, '')}`;
  }
  // The outcome is read as a column like any other (readCsv must not drop it as excluded).
  const readExclude = (exclude ?? []).filter((e) => featureName(e) !== featureName(outcome));
  let data: Dataset;
  try {
    data = await readCsv(text, {
      ...csv,
      target: treatment,
      ...(treated !== undefined ? { positive: treated } : {}),
      exclude: readExclude,
    });
  } catch (error) {
    throw treatmentError(error, treatment);
  }
  const dataset = causalDataset(data, { outcome, ...(exclude ? { exclude } : {}), ...(missingOutcome ? { missingOutcome } : {}) });
  return sha256 !== undefined && bytes !== undefined ? { ...dataset, source: { ...dataset.source, sha256, bytes } } : dataset;
}

/** readCsv speaks of a target and a positive class; a causal user named a treatment. */
function treatmentError(error: unknown, treatment: string): unknown {
  if (!isCairnError(error)) return error;
  const distinct = /has (\d+) distinct values \(([^)]*)\)/.exec(error.message);
  if (error.issues.some((i) => i.path[0] === 'positive') && distinct) {
    const count = Number(distinct[1]);
    const message =
      count > 2
        ? `the treatment '${treatment}' must be binary, but it has ${count} distinct values (${distinct[2]}): recode it, or give a condition such as treated: '${treatment} > 0'`
        : `the treatment '${treatment}' has two values that are not 0/1, true/false or yes/no (${distinct[2]}): say which one is treated, e.g. treated: '${treatment} == ${distinct[2]?.split(', ')[0] ?? 'value'}'`;
    return new CairnError('invalid_input', `Treatment is not binary: ${message}`, {
      issues: [issue(['treatment'], 'invalid', message)],
      cause: error,
    });
  }
  if (error.message.startsWith('Single class')) {
    const message = `every row has the same treatment value: there is no comparison group (${error.issues[0]?.message ?? ''})`;
    return new CairnError('invalid_input', `No comparison group: ${message}`, {
      issues: [issue(['treatment'], 'invalid', message)],
      cause: error,
    });
  }
  if (error.message.startsWith('Missing target column')) {
    const message =
      error.issues[0]?.message.replace(/^there is no column/, 'there is no treatment column') ?? `there is no column '${treatment}'`;
    return new CairnError('invalid_input', `Missing treatment column: ${message}`, {
      issues: [issue(['treatment'], 'required', message)],
      cause: error,
    });
  }
  if (error.message.startsWith('Target is not numeric')) {
    return new CairnError('invalid_input', error.message.replace('Target', 'Treatment'), {
      issues: error.issues.map((i) => ({ ...i, path: ['treatment', ...i.path.slice(1)] })),
      cause: error,
    });
  }
  return error;
}
