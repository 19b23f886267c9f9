/** Value types a column can hold; the same four types a Cairn manifest feature has. */
export type ColumnType = 'number' | 'integer' | 'boolean' | 'category';

/** One level of a category column: the numeric code the model sees and the text a person sees. */
export interface CategoryLevel {
  readonly value: number;
  readonly label: string;
}

/** One feature column, stored as numbers (NaN = missing; booleans 0/1; categories by code). */
export interface DataColumn {
  /** Feature name (a manifest identifier, derived from the header). */
  readonly name: string;
  /** The header as written in the file, or the label given by the schema. */
  readonly label: string;
  readonly type: ColumnType;
  readonly values: Float64Array;
  readonly categories?: readonly CategoryLevel[];
  readonly unit?: string;
  readonly description?: string;
}

/** The binary target: which column, the condition that makes a row positive, and 0/1 labels. */
export interface DatasetTarget {
  readonly column: string;
  /** The positive condition as an expression, e.g. `num > 0`. */
  readonly positive: string;
  readonly labels: Uint8Array;
}

/** Why rows were dropped at ingestion. */
export interface DroppedRows {
  readonly reason: string;
  readonly count: number;
  /** 1-based file line numbers of the first dropped rows (at most 20). */
  readonly lines: readonly number[];
}

/** Cells that were read as missing although they were not a missing token (stray text, unknown categories). */
export interface CoercedCells {
  readonly column: string;
  readonly reason: string;
  readonly count: number;
  readonly examples: readonly string[];
}

/** What happened while reading the file. */
export interface IngestReport {
  /** Data rows in the file (header excluded). */
  readonly rowsRead: number;
  readonly dropped: readonly DroppedRows[];
  readonly coerced: readonly CoercedCells[];
  /** Missing tokens in force for each column. */
  readonly missingTokens: Readonly<Record<string, readonly string[]>>;
  /** Columns left out (by option or schema). */
  readonly excluded: readonly string[];
}

/** Where the data came from. */
export interface DataSource {
  readonly name?: string;
  readonly bytes: number;
  /** SHA-256 of the file's bytes (for a subset: of the file it was taken from). */
  readonly sha256: string;
  readonly delimiter: string;
}

/** A table ready for training: numeric feature columns and a binary target. */
export interface Dataset {
  readonly rows: number;
  readonly columns: readonly DataColumn[];
  readonly target: DatasetTarget;
  readonly source: DataSource;
  readonly ingest: IngestReport;
}

/** A dataset restricted to the given row indices (in that order). */
export function subsetDataset(data: Dataset, indices: ArrayLike<number>): Dataset {
  const n = indices.length;
  const columns = data.columns.map((c) => {
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = c.values[indices[i] as number] as number;
    return { ...c, values };
  });
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) labels[i] = data.target.labels[indices[i] as number] as number;
  return { ...data, rows: n, columns, target: { ...data.target, labels } };
}

/** Concatenates datasets with the same columns (as produced by one reader or split). */
export function concatDatasets(parts: readonly Dataset[]): Dataset {
  const first = parts[0] as Dataset;
  const n = parts.reduce((s, p) => s + p.rows, 0);
  const columns = first.columns.map((c, j) => {
    const values = new Float64Array(n);
    let o = 0;
    for (const p of parts) {
      values.set((p.columns[j] as DataColumn).values, o);
      o += p.rows;
    }
    return { ...c, values };
  });
  const labels = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    labels.set(p.target.labels, o);
    o += p.rows;
  }
  return { ...first, rows: n, columns, target: { ...first.target, labels } };
}
