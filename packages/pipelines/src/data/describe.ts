import type { ColumnType, Dataset, DroppedRows, IngestReport } from './dataset.js';

/** Summary of one column. */
export interface ColumnReport {
  readonly name: string;
  readonly label: string;
  readonly type: ColumnType;
  readonly missing: number;
  readonly missingFraction: number;
  /** Number and integer columns: range, mean and quartiles of the present values. */
  readonly min?: number;
  readonly max?: number;
  readonly mean?: number;
  readonly quartiles?: readonly [number, number, number];
  /** Boolean and category columns: rows per level. */
  readonly counts?: ReadonlyArray<{ readonly value: number; readonly label: string; readonly count: number }>;
}

/** The data report: size, types, missingness, class balance and what was dropped at ingestion. */
export interface DataReport {
  readonly rows: number;
  readonly columns: number;
  readonly target: { readonly column: string; readonly positive: string };
  readonly classBalance: { readonly positive: number; readonly negative: number; readonly prevalence: number };
  readonly features: readonly ColumnReport[];
  readonly rowsRead: number;
  readonly dropped: readonly DroppedRows[];
  readonly coerced: IngestReport['coerced'];
  readonly excluded: readonly string[];
  readonly sha256: string;
}

function quantile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

/** Describes a dataset for people: per-column types and missingness, class balance, rows dropped and why. */
export function describeDataset(data: Dataset): DataReport {
  let positive = 0;
  for (const l of data.target.labels) positive += l;
  const features = data.columns.map((c): ColumnReport => {
    let missing = 0;
    for (const v of c.values) if (Number.isNaN(v)) missing++;
    const base = { name: c.name, label: c.label, type: c.type, missing, missingFraction: data.rows === 0 ? 0 : missing / data.rows };
    if (c.type === 'number' || c.type === 'integer') {
      const present = Float64Array.from(c.values.filter((v) => !Number.isNaN(v))).sort();
      if (present.length === 0) return base;
      let sum = 0;
      for (const v of present) sum += v;
      return {
        ...base,
        min: present[0] as number,
        max: present[present.length - 1] as number,
        mean: sum / present.length,
        quartiles: [quantile(present, 0.25), quantile(present, 0.5), quantile(present, 0.75)],
      };
    }
    const levels =
      c.type === 'boolean'
        ? [
            { value: 0, label: 'false' },
            { value: 1, label: 'true' },
          ]
        : (c.categories ?? []);
    const counts = new Map<number, number>();
    for (const v of c.values) if (!Number.isNaN(v)) counts.set(v, (counts.get(v) ?? 0) + 1);
    return { ...base, counts: levels.map((l) => ({ value: l.value, label: l.label, count: counts.get(l.value) ?? 0 })) };
  });
  return {
    rows: data.rows,
    columns: data.columns.length,
    target: { column: data.target.column, positive: data.target.positive },
    classBalance: { positive, negative: data.rows - positive, prevalence: data.rows === 0 ? 0 : positive / data.rows },
    features,
    rowsRead: data.ingest.rowsRead,
    dropped: data.ingest.dropped,
    coerced: data.ingest.coerced,
    excluded: data.ingest.excluded,
    sha256: data.source.sha256,
  };
}
