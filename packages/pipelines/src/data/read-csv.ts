import { CairnError, type Issue, invalidArgument, invalidInput, issue, limitExceeded, sha256Hex } from '@cairn/core';
import Papa from 'papaparse';
import type { CategoryLevel, CoercedCells, ColumnType, DataColumn, Dataset, DroppedRows } from './dataset.js';
import { type ColumnSchema, type DataSchema, dataSchemaSchema } from './schema.js';
import { compileCondition, formatCondition, parseCondition } from './target.js';

/** Cell values read as missing unless told otherwise (matched case-insensitively). */
export const DEFAULT_MISSING_TOKENS: readonly string[] = ['', '?', 'NA', 'NaN', 'null'];

/** Options of {@link readCsv}. */
export interface ReadCsvOptions {
  /** The target column. */
  target: string;
  /**
   * The condition that makes a row positive, e.g. `num > 0`, `Outcome == 1`, `class == ckd` (or just the positive value).
   * @defaultValue the larger of exactly two values (1, true, yes)
   */
  positive?: string;
  /**
   * Field separator.
   * @defaultValue detected (comma, tab, semicolon, pipe)
   */
  delimiter?: string;
  /**
   * Cell values that mean missing in every column.
   * @defaultValue `['', '?', 'NA', 'NaN', 'null']`
   */
  missing?: readonly string[];
  /** Extra missing values per column, e.g. `{ Glucose: [0] }` when 0 means 'not measured'. */
  columnMissing?: Readonly<Record<string, ReadonlyArray<string | number>>>;
  /** Overrides of inferred types, labels, units and categories (an object or parsed schema file). */
  schema?: DataSchema;
  /** Columns to leave out (identifiers, leakage). */
  exclude?: readonly string[];
  /**
   * Largest file accepted, in bytes.
   * @defaultValue 256 MiB
   */
  maxBytes?: number;
  /**
   * Largest fraction of non-missing cells of a numeric column that may hold text (read as missing and reported).
   * @defaultValue 0.01
   */
  textTolerance?: number;
  /**
   * Most distinct values a text column may have before it is refused (likely an identifier or free text).
   * @defaultValue 50
   */
  maxCategories?: number;
  /** A dataset read before (the training file): a test file is read with its columns, types, category codes and missing tokens. */
  template?: Dataset;
  /** File name, recorded in the dataset's source. */
  name?: string;
}

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const TRUE_WORDS = new Set(['true', 'yes']);
const FALSE_WORDS = new Set(['false', 'no']);
const MAX_LISTED = 10;

/** Turns a header into a manifest feature name (letters, digits, _ . -; not starting with a digit). */
export function featureName(header: string): string {
  const cleaned = header.trim().replace(/[^A-Za-z0-9_.-]+/g, '_');
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
}

interface MissingMatcher {
  readonly tokens: readonly string[];
  test(cell: string): boolean;
}

function missingMatcher(tokens: ReadonlyArray<string | number>): MissingMatcher {
  const words = new Set<string>();
  const numbers = new Set<number>();
  for (const t of tokens) {
    const s = String(t).trim();
    words.add(s.toLowerCase());
    if (NUMBER_RE.test(s)) numbers.add(Number(s));
  }
  return {
    tokens: tokens.map(String),
    test: (cell) => words.has(cell.toLowerCase()) || (numbers.size > 0 && NUMBER_RE.test(cell) && numbers.has(Number(cell))),
  };
}

function dataError(issues: readonly Issue[], prefix = 'The data cannot be used'): CairnError {
  return invalidInput(issues, prefix);
}

/**
 * Reads a CSV or TSV file into a {@link Dataset}: infers column types (overridable by a
 * schema), reads missing tokens, applies the positive-class condition to the target and
 * refuses data that cannot train a model, listing every problem in one {@link CairnError}.
 */
export async function readCsv(input: string | Uint8Array, options: ReadCsvOptions): Promise<Dataset> {
  if (!options || typeof options.target !== 'string' || options.target.trim() === '') {
    throw invalidArgument('options.target', 'name the target column');
  }
  const maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
  let bytes: Uint8Array;
  let text: string;
  if (typeof input === 'string') {
    text = input;
    bytes = new TextEncoder().encode(input);
  } else if (input instanceof Uint8Array) {
    bytes = input;
    if (bytes.length > maxBytes) throw tooBig(bytes.length, maxBytes);
    text = new TextDecoder('utf-8').decode(input);
  } else {
    throw invalidArgument('input', 'pass the file as text or bytes');
  }
  if (bytes.length > maxBytes) throw tooBig(bytes.length, maxBytes);
  const sha256 = await sha256Hex(bytes);
  text = text.replace(/^\uFEFF/, '');

  let schema: ReturnType<typeof dataSchemaSchema.parse>;
  const parsedSchema = dataSchemaSchema.safeParse(options.schema ?? {});
  if (!parsedSchema.success) {
    throw new CairnError('invalid_argument', `schema: ${parsedSchema.error.issues[0]?.message ?? 'invalid'}`, {
      issues: parsedSchema.error.issues.map((i) =>
        issue(['schema', ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))], 'invalid', i.message),
      ),
    });
  }
  schema = parsedSchema.data;

  if (text.trim() === '') throw dataError([issue(['file'], 'required', 'the file is empty')], 'Empty file');
  const parsed = Papa.parse<string[]>(text, { delimiter: options.delimiter ?? '', skipEmptyLines: 'greedy' });
  const [headerCells, ...body] = parsed.data;
  const delimiter = parsed.meta.delimiter;
  if (!headerCells || headerCells.every((h) => h.trim() === '')) {
    throw dataError([issue(['file'], 'required', 'the file is empty')], 'Empty file');
  }
  const header = headerCells.map((h) => h.trim());
  const issues: Issue[] = [];

  // Header problems make every later check meaningless, so they are reported on their own.
  const seen = new Map<string, number>();
  header.forEach((h, i) => {
    if (h === '') issues.push(issue(['header', i], 'format', `column ${i + 1} has no name`));
    const key = featureName(h);
    const first = seen.get(key);
    if (first !== undefined && h !== '') {
      issues.push(
        issue(
          ['header', i],
          'invalid',
          header[first] === h
            ? `duplicate column '${h}' (columns ${first + 1} and ${i + 1})`
            : `columns '${header[first]}' and '${h}' both become feature '${key}'`,
        ),
      );
    } else seen.set(key, i);
  });
  if (issues.length > 0) throw dataError(issues, 'Invalid header');
  if (body.length === 0) throw dataError([issue(['file'], 'required', 'the file has a header but no data rows')], 'Empty file');

  const ragged: number[] = [];
  body.forEach((row, r) => {
    if (row.length !== header.length) ragged.push(r);
  });
  if (ragged.length > 0) {
    for (const r of ragged.slice(0, MAX_LISTED)) {
      const cells = (body[r] as string[]).length;
      issues.push(issue(['rows', r + 2], 'shape', `line ${r + 2} has ${cells} cells, the header has ${header.length}`));
    }
    if (ragged.length > MAX_LISTED) {
      issues.push(issue(['rows'], 'shape', `${ragged.length - MAX_LISTED} more rows have the wrong number of cells`));
    }
    throw dataError(issues, `Ragged rows (${ragged.length})`);
  }

  const schemaFor = (h: string): ColumnSchema | undefined => schema.columns[h] ?? schema.columns[featureName(h)];
  const targetIndex = header.indexOf(options.target.trim());
  if (targetIndex < 0) {
    throw dataError(
      [issue(['target'], 'required', `there is no column '${options.target}' (columns: ${header.join(', ')})`)],
      'Missing target column',
    );
  }
  const globalMissing = options.missing ?? schema.missing ?? DEFAULT_MISSING_TOKENS;
  // A test file read with the training file as template inherits its per-column missing tokens.
  const inherited = (h: string) => options.template?.ingest.missingTokens[featureName(h)] ?? [];
  const matcherFor = (h: string) =>
    missingMatcher([
      ...globalMissing,
      ...inherited(h),
      ...(options.columnMissing?.[h] ?? options.columnMissing?.[featureName(h)] ?? []),
      ...(schemaFor(h)?.missing ?? []),
    ]);
  for (const key of Object.keys(options.columnMissing ?? {})) {
    if (!header.includes(key) && !header.some((h) => featureName(h) === key)) {
      issues.push(issue(['columnMissing', key], 'unknown_field', `there is no column '${key}'`));
    }
  }
  for (const key of Object.keys(schema.columns)) {
    if (!header.includes(key) && !header.some((h) => featureName(h) === key)) {
      issues.push(issue(['schema', 'columns', key], 'unknown_field', `there is no column '${key}'`));
    }
  }
  for (const key of options.exclude ?? []) {
    if (!header.includes(key) && !header.some((h) => featureName(h) === key)) {
      issues.push(issue(['exclude', key], 'unknown_field', `there is no column '${key}'`));
    }
  }
  if (issues.length > 0) throw dataError(issues, 'Unknown columns');

  // Target: rows without one are dropped; the rest are labelled by the condition.
  const targetName = header[targetIndex] as string;
  const targetMissing = matcherFor(targetName);
  const keep: number[] = [];
  const droppedLines: number[] = [];
  const targetCells: string[] = [];
  body.forEach((row, r) => {
    const cell = (row[targetIndex] as string).trim();
    if (targetMissing.test(cell)) droppedLines.push(r + 2);
    else {
      keep.push(r);
      targetCells.push(cell);
    }
  });
  const dropped: DroppedRows[] = [];
  if (droppedLines.length > 0) {
    dropped.push({ reason: `target '${targetName}' is missing`, count: droppedLines.length, lines: droppedLines.slice(0, 20) });
  }
  if (keep.length === 0) {
    throw dataError([issue(['target'], 'required', `every row's target '${targetName}' is missing`)], 'No labelled rows');
  }
  const positive = positiveCondition(targetName, targetCells, options.positive);
  const test = compileCondition(positive);
  const labels = new Uint8Array(keep.length);
  const notNumeric: string[] = [];
  targetCells.forEach((cell, i) => {
    if (positive.operator !== '==' && positive.operator !== '!=' && !NUMBER_RE.test(cell)) notNumeric.push(cell);
    labels[i] = test(cell) ? 1 : 0;
  });
  if (notNumeric.length > 0) {
    throw dataError(
      [
        issue(
          ['target'],
          'type',
          `'${formatCondition(targetName, positive)}' compares numbers, but ${notNumeric.length} target cells are text (e.g. '${notNumeric[0]}')`,
        ),
      ],
      'Target is not numeric',
    );
  }
  let positives = 0;
  for (const l of labels) positives += l;
  if (positives === 0 || positives === keep.length) {
    throw dataError(
      [
        issue(
          ['target'],
          'invalid',
          `all ${keep.length} rows are ${positives === 0 ? 'negative' : 'positive'} under '${formatCondition(targetName, positive)}': a model needs both classes`,
        ),
      ],
      'Single class',
    );
  }

  // Features.
  const excluded = new Set<string>();
  for (const e of options.exclude ?? []) excluded.add(header.find((h) => h === e || featureName(h) === e) as string);
  header.forEach((h) => {
    if (schemaFor(h)?.exclude) excluded.add(h);
  });
  const template = options.template ? new Map(options.template.columns.map((c) => [c.name, c])) : undefined;
  const columns: DataColumn[] = [];
  const coerced: CoercedCells[] = [];
  const missingTokens: Record<string, readonly string[]> = {};
  const tolerance = options.textTolerance ?? 0.01;
  const maxCategories = options.maxCategories ?? 50;
  header.forEach((h, j) => {
    if (j === targetIndex || excluded.has(h)) return;
    const name = featureName(h);
    if (template && !template.has(name)) return;
    const matcher = matcherFor(h);
    missingTokens[name] = matcher.tokens;
    const cells = new Array<string | undefined>(keep.length);
    let present = 0;
    keep.forEach((r, i) => {
      const cell = ((body[r] as string[])[j] as string).trim();
      if (matcher.test(cell)) cells[i] = undefined;
      else {
        cells[i] = cell;
        present++;
      }
    });
    const path = ['columns', h];
    if (present === 0) {
      issues.push(issue(path, 'required', `column '${h}' has no values (all ${keep.length} cells are missing): exclude it`));
      return;
    }
    const result = buildColumn(h, name, cells, present, schemaFor(h), template?.get(name), { tolerance, maxCategories }, issues);
    if (!result) return;
    columns.push(result.column);
    if (result.coerced) coerced.push(result.coerced);
  });
  if (options.template) {
    const order = new Map(options.template.columns.map((c, i) => [c.name, i]));
    columns.sort((a, b) => (order.get(a.name) as number) - (order.get(b.name) as number));
    for (const c of options.template.columns) {
      if (!columns.some((k) => k.name === c.name) && !issues.some((i) => i.path[1] === c.label)) {
        issues.push(issue(['columns', c.name], 'required', `the file has no column '${c.label}', which the training data has`));
      }
    }
  }
  if (issues.length > 0) throw dataError(issues);
  if (columns.length === 0) throw dataError([issue(['columns'], 'required', 'there are no feature columns besides the target')]);

  return {
    rows: keep.length,
    columns,
    target: { column: targetName, positive: formatCondition(targetName, positive), labels },
    source: { ...(options.name ? { name: options.name } : {}), bytes: bytes.length, sha256, delimiter },
    ingest: { rowsRead: body.length, dropped, coerced, missingTokens, excluded: [...excluded] },
  };
}

function tooBig(size: number, max: number): CairnError {
  return limitExceeded(`the file is ${size} bytes, over the limit of ${max} bytes (maxBytes)`, ['file']);
}

function positiveCondition(column: string, cells: readonly string[], given: string | undefined) {
  if (given !== undefined) {
    const condition = parseCondition(given);
    if (condition.column !== undefined && condition.column !== column) {
      throw new CairnError(
        'invalid_argument',
        `positive: the condition names column '${condition.column}', but the target is '${column}'`,
        {
          issues: [issue(['positive'], 'mismatch', `the condition must test the target column '${column}'`)],
        },
      );
    }
    return condition;
  }
  const distinct = [...new Set(cells.map((c) => (NUMBER_RE.test(c) ? String(Number(c)) : c.toLowerCase())))];
  if (distinct.length === 1) {
    throw dataError(
      [issue(['target'], 'invalid', `every row has target '${column}' = '${cells[0]}': a model needs both classes`)],
      'Single class',
    );
  }
  if (distinct.length === 2) {
    const [a, b] = distinct as [string, string];
    if (NUMBER_RE.test(a) && NUMBER_RE.test(b)) return { column, operator: '==' as const, value: Number(a) > Number(b) ? a : b };
    const truthy = distinct.find((d) => TRUE_WORDS.has(d));
    if (truthy && distinct.some((d) => FALSE_WORDS.has(d))) return { column, operator: '==' as const, value: truthy };
  }
  throw new CairnError(
    'invalid_argument',
    `positive: the target '${column}' has ${distinct.length} distinct values (${distinct.slice(0, 5).join(', ')}${distinct.length > 5 ? ', …' : ''}); give a positive condition such as '${column} > 0'`,
    { issues: [issue(['positive'], 'required', 'a positive condition is needed unless the target has exactly two values')] },
  );
}

interface ColumnLimits {
  readonly tolerance: number;
  readonly maxCategories: number;
}

function buildColumn(
  header: string,
  name: string,
  cells: ReadonlyArray<string | undefined>,
  present: number,
  overrides: ColumnSchema | undefined,
  template: DataColumn | undefined,
  limits: ColumnLimits,
  issues: Issue[],
): { column: DataColumn; coerced?: CoercedCells } | undefined {
  const path = ['columns', header];
  const n = cells.length;
  let numeric = 0;
  let integral = true;
  let binary = true;
  let words = 0;
  for (const c of cells) {
    if (c === undefined) continue;
    if (NUMBER_RE.test(c)) {
      numeric++;
      const x = Number(c);
      if (!Number.isInteger(x)) integral = false;
      if (x !== 0 && x !== 1) binary = false;
    } else {
      const w = c.toLowerCase();
      if (TRUE_WORDS.has(w) || FALSE_WORDS.has(w)) words++;
    }
  }
  let type: ColumnType;
  if (template) type = template.type;
  else if (overrides?.type) type = overrides.type;
  else if (overrides?.categories) type = 'category';
  else if (words === present || (words + numeric === present && binary && words > 0)) type = 'boolean';
  else if (numeric / present >= 0.5) type = binary ? 'boolean' : integral ? 'integer' : 'number';
  else type = 'category';

  const base = {
    name,
    label: overrides?.label ?? template?.label ?? header,
    ...(overrides?.unit ? { unit: overrides.unit } : template?.unit ? { unit: template.unit } : {}),
    ...(overrides?.description ? { description: overrides.description } : {}),
  };
  const values = new Float64Array(n);
  const strays: string[] = [];
  let strayCount = 0;
  const stray = (cell: string) => {
    strayCount++;
    if (strays.length < 5 && !strays.includes(cell)) strays.push(cell);
  };

  if (type === 'number' || type === 'integer' || type === 'boolean') {
    let nonInteger: string | undefined;
    cells.forEach((c, i) => {
      if (c === undefined) {
        values[i] = Number.NaN;
        return;
      }
      if (type === 'boolean') {
        const w = c.toLowerCase();
        if (TRUE_WORDS.has(w) || (NUMBER_RE.test(c) && Number(c) === 1)) values[i] = 1;
        else if (FALSE_WORDS.has(w) || (NUMBER_RE.test(c) && Number(c) === 0)) values[i] = 0;
        else {
          values[i] = Number.NaN;
          stray(c);
        }
        return;
      }
      if (!NUMBER_RE.test(c)) {
        values[i] = Number.NaN;
        stray(c);
        return;
      }
      const x = Number(c);
      if (type === 'integer' && !Number.isInteger(x)) nonInteger ??= c;
      values[i] = x;
    });
    if (nonInteger !== undefined) {
      issues.push(issue(path, 'not_integer', `column '${header}' is declared integer but holds '${nonInteger}'`));
      return undefined;
    }
    const what = type === 'boolean' ? 'true/false (or 1/0)' : 'numeric';
    if (strayCount > limits.tolerance * present) {
      issues.push(
        issue(
          path,
          'type',
          `column '${header}' is ${what}, but ${strayCount} of ${present} cells are not (e.g. ${strays.map((s) => `'${s}'`).join(', ')}); that is over the tolerance of ${limits.tolerance * 100}%: add them to the missing tokens or fix the file`,
        ),
      );
      return undefined;
    }
    if (strayCount === present) {
      issues.push(issue(path, 'required', `column '${header}' has no usable values: exclude it`));
      return undefined;
    }
    const column: DataColumn = { ...base, type, values };
    return strayCount > 0
      ? { column, coerced: { column: name, reason: `not ${what}: read as missing`, count: strayCount, examples: strays } }
      : { column };
  }

  // Category.
  let levels: CategoryLevel[];
  const lookup = new Map<string, number>();
  const numericLookup = new Map<number, number>();
  const declared = template?.categories ?? overrides?.categories;
  if (declared) {
    levels = [...declared];
    for (const l of levels) {
      lookup.set(l.label.toLowerCase(), l.value);
      numericLookup.set(l.value, l.value);
    }
  } else {
    const distinct = [...new Set(cells.filter((c): c is string => c !== undefined))];
    if (distinct.length > limits.maxCategories) {
      issues.push(
        issue(
          path,
          'invalid',
          `column '${header}' has ${distinct.length} distinct text values (more than ${limits.maxCategories}): it looks like an identifier or free text; exclude it or declare its type`,
        ),
      );
      return undefined;
    }
    const allIntegers = distinct.every((d) => NUMBER_RE.test(d) && Number.isInteger(Number(d)));
    if (allIntegers) {
      const numbers = [...new Set(distinct.map(Number))].sort((a, b) => a - b);
      levels = numbers.map((v) => ({ value: v, label: String(v) }));
      for (const v of numbers) numericLookup.set(v, v);
    } else {
      const sorted = [...new Set(distinct)].sort();
      levels = sorted.map((label, value) => ({ value, label }));
      for (const l of levels) lookup.set(l.label.toLowerCase(), l.value);
    }
  }
  cells.forEach((c, i) => {
    if (c === undefined) {
      values[i] = Number.NaN;
      return;
    }
    const byNumber = NUMBER_RE.test(c) ? numericLookup.get(Number(c)) : undefined;
    const v = byNumber ?? lookup.get(c.toLowerCase());
    if (v === undefined) {
      values[i] = Number.NaN;
      stray(c);
    } else values[i] = v;
  });
  if (strayCount > limits.tolerance * present) {
    issues.push(
      issue(
        path,
        'not_allowed',
        `column '${header}' has ${strayCount} cells that are not one of its categories (e.g. ${strays.map((s) => `'${s}'`).join(', ')})`,
      ),
    );
    return undefined;
  }
  const column: DataColumn = { ...base, type: 'category', values, categories: levels };
  return strayCount > 0
    ? { column, coerced: { column: name, reason: 'unknown category: read as missing', count: strayCount, examples: strays } }
    : { column };
}
