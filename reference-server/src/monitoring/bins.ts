import type { Feature, FeatureRecord, FeatureValue } from '@cairn/core';

/** How one feature's values are counted for drift: bins fixed by the bundle's reference data. */
export interface FeatureBins {
  readonly feature: string;
  readonly label: string;
  readonly labels: readonly string[];
  /** Share of the reference rows in each bin. */
  readonly expected: readonly number[];
  binOf(value: FeatureValue | undefined): number;
}

const QUANTILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

function quantileEdges(values: number[]): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  const edges: number[] = [];
  for (const q of QUANTILES) {
    const v = sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
    if (edges.length === 0 || v > (edges[edges.length - 1] as number)) edges.push(v);
  }
  return edges;
}

const fmt = (n: number) => String(Number(n.toPrecision(4)));

/**
 * Bins for each feature from the reference rows: deciles for numbers (values at an edge fall in the
 * lower bin), one bin per value for booleans and categories, and a bin for missing values. Every
 * instance computes the same bins from the same bundle, so their counts add up.
 */
export function binsFromReference(features: readonly Feature[], rows: readonly FeatureRecord[]): FeatureBins[] {
  return features.map((f) => {
    let labels: string[];
    let binOf: (v: FeatureValue | undefined) => number;
    if (f.type === 'boolean') {
      labels = ['no', 'yes', 'missing'];
      binOf = (v) => (v === null || v === undefined ? 2 : v === true ? 1 : 0);
    } else if (f.type === 'category') {
      const cats = (f.categories ?? []).map((c) => String(c.value));
      labels = [...(f.categories ?? []).map((c) => c.label), 'other', 'missing'];
      const index = new Map(cats.map((c, i) => [c, i]));
      binOf = (v) => (v === null || v === undefined ? cats.length + 1 : (index.get(String(v)) ?? cats.length));
    } else {
      const values = rows.map((r) => r[f.name]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      const edges = values.length > 0 ? quantileEdges(values) : [];
      labels = [];
      if (edges.length === 0) labels.push('any');
      else {
        labels.push(`≤ ${fmt(edges[0] as number)}`);
        for (let i = 1; i < edges.length; i++) labels.push(`${fmt(edges[i - 1] as number)}–${fmt(edges[i] as number)}`);
        labels.push(`> ${fmt(edges[edges.length - 1] as number)}`);
      }
      labels.push('missing');
      const missing = labels.length - 1;
      binOf = (v) => {
        if (typeof v !== 'number' || !Number.isFinite(v)) return missing;
        let i = 0;
        while (i < edges.length && v > (edges[i] as number)) i++;
        return edges.length === 0 ? 0 : i;
      };
    }
    const counts = new Array<number>(labels.length).fill(0);
    for (const r of rows) {
      const bin = binOf(r[f.name]);
      counts[bin] = (counts[bin] ?? 0) + 1;
    }
    const n = Math.max(1, rows.length);
    return { feature: f.name, label: f.label, labels, expected: counts.map((c) => c / n), binOf };
  });
}

// Floor for empty bins, so PSI stays finite when a bin is empty on one side.
const EPSILON = 1e-4;

/** Population stability index of observed counts against expected shares (both smoothed by a small floor). */
export function populationStabilityIndex(expected: readonly number[], observedCounts: readonly number[]): number {
  const total = observedCounts.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  let psi = 0;
  expected.forEach((e, i) => {
    const o = (observedCounts[i] ?? 0) / total;
    const ee = Math.max(e, EPSILON);
    const oo = Math.max(o, EPSILON);
    psi += (oo - ee) * Math.log(oo / ee);
  });
  return psi;
}

/** Upper bounds (ms) of the latency histogram buckets; the last bucket is open. */
export const LATENCY_BOUNDS_MS: readonly number[] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

/** Index of the latency bucket for a duration. */
export function latencyBucket(ms: number): number {
  let i = 0;
  while (i < LATENCY_BOUNDS_MS.length && ms > (LATENCY_BOUNDS_MS[i] as number)) i++;
  return i;
}

/** Approximate quantile from bucket counts (the bucket's upper bound). */
export function latencyQuantile(counts: readonly number[], q: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i] ?? 0;
    if (seen >= q * total) return LATENCY_BOUNDS_MS[i] ?? Number.POSITIVE_INFINITY;
  }
  return null;
}
