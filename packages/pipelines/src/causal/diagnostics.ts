import { invalidArgument } from '@cairn/core';
import type { DataColumn } from '../data/dataset.js';
import type { EffectEstimate } from './estimate.js';

/** A warning raised by a causal run (also logged through the context logger). */
export interface CausalWarning {
  /** Stable code, e.g. `poor-overlap`, `imbalance`, `constant-covariate`. */
  readonly code: string;
  readonly message: string;
  /** Structured details (covariates, shares, bounds). */
  readonly data?: Readonly<Record<string, unknown>>;
}

/** Propensity histograms by group. */
export interface PropensityHistogram {
  /** Bin edges from 0 to 1 (bins + 1 values). */
  readonly edges: readonly number[];
  readonly treated: readonly number[];
  readonly control: readonly number[];
}

/** How well the treated and untreated overlap in their propensity scores. */
export interface OverlapDiagnostics {
  /** The bounds of the reported share (units outside are poorly overlapped). */
  readonly bounds: readonly [number, number];
  /** Share of units with a propensity outside `bounds`: overall, among the treated and among the untreated. */
  readonly outside: { readonly all: number; readonly treated: number; readonly control: number };
  readonly treatedRange: readonly [number, number];
  readonly controlRange: readonly [number, number];
  /** Units whose propensity was clipped into [clip, 1 − clip] for weighting. */
  readonly clipped: number;
  readonly clip: number;
  /** Largest inverse-probability weight after clipping. */
  readonly maxWeight: number;
  /** Kish effective sample size of the ATE weights, per group. */
  readonly effectiveSampleSize: { readonly treated: number; readonly control: number };
  readonly histogram: PropensityHistogram;
  /** False when the share outside the bounds exceeds the tolerance (a warning is raised). */
  readonly ok: boolean;
}

/** One row of a love plot: a covariate (or one level of a category) and its standardised mean differences. */
export interface BalanceRow {
  readonly covariate: string;
  readonly label: string;
  /** Category level this row is for (categories get one row per level). */
  readonly level?: string;
  /** Standardised mean difference, treated minus untreated, before weighting (null when undefined). */
  readonly before: number | null;
  /** The same with the ATE inverse-probability weights. */
  readonly after: number | null;
  /** The same with the ATT weights (treated 1, untreated e/(1 − e)). */
  readonly afterAtt: number | null;
}

/** Covariate balance before and after weighting, with the love-plot data. */
export interface BalanceDiagnostics {
  /** |SMD| above this is imbalance (the love plot's reference line). */
  readonly threshold: number;
  readonly rows: readonly BalanceRow[];
  readonly maxBefore: number;
  /** Largest |SMD| with the ATE weights. */
  readonly maxAfter: number;
  /** Largest |SMD| with the ATT weights. */
  readonly maxAfterAtt: number;
  /** Rows whose |SMD| after ATE weighting exceeds the threshold. */
  readonly imbalanced: readonly string[];
  readonly ok: boolean;
}

/** An E-value for an estimate and for the confidence limit closest to no effect (VanderWeele & Ding 2017). */
export interface EValue {
  /** The risk ratio the estimate corresponds to (for a continuous outcome: exp(0.91 × standardised difference)). */
  readonly riskRatio: number;
  readonly estimate: number;
  /** 1 when the interval includes no effect. */
  readonly ciLimit: number;
  /** How the risk ratio was obtained. */
  readonly method: 'risk-ratio' | 'standardised-difference';
}

function histogram(propensity: ArrayLike<number>, treatment: ArrayLike<number>, bins: number): PropensityHistogram {
  const edges = Array.from({ length: bins + 1 }, (_, k) => k / bins);
  const treated = new Array<number>(bins).fill(0);
  const control = new Array<number>(bins).fill(0);
  for (let i = 0; i < propensity.length; i++) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor((propensity[i] as number) * bins)));
    if (treatment[i] === 1) treated[b] = (treated[b] as number) + 1;
    else control[b] = (control[b] as number) + 1;
  }
  return { edges, treated, control };
}

/** Overlap diagnostics of (unclipped) propensity scores; `weights` are the clipped ATE weights. */
export function overlapDiagnostics(
  propensity: ArrayLike<number>,
  treatment: ArrayLike<number>,
  options: {
    readonly clip: number;
    readonly clipped: number;
    readonly weights: ArrayLike<number>;
    readonly tolerance?: number;
    readonly bins?: number;
  },
): OverlapDiagnostics {
  const bounds = [0.1, 0.9] as const;
  let out = 0;
  let outT = 0;
  let outC = 0;
  let nT = 0;
  const tr = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  const cr = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  let maxWeight = 0;
  const ess = { t: [0, 0], c: [0, 0] };
  for (let i = 0; i < propensity.length; i++) {
    const e = propensity[i] as number;
    const t = treatment[i] === 1;
    const outside = e < bounds[0] || e > bounds[1];
    const range = t ? tr : cr;
    range[0] = Math.min(range[0] as number, e);
    range[1] = Math.max(range[1] as number, e);
    if (t) nT++;
    if (outside) {
      out++;
      if (t) outT++;
      else outC++;
    }
    const w = options.weights[i] as number;
    maxWeight = Math.max(maxWeight, w);
    const acc = t ? ess.t : ess.c;
    acc[0] = (acc[0] as number) + w;
    acc[1] = (acc[1] as number) + w * w;
  }
  const n = propensity.length;
  const nC = n - nT;
  const tolerance = options.tolerance ?? 0.1;
  const share = out / n;
  return {
    bounds,
    outside: { all: share, treated: outT / nT, control: outC / nC },
    treatedRange: [tr[0] as number, tr[1] as number],
    controlRange: [cr[0] as number, cr[1] as number],
    clipped: options.clipped,
    clip: options.clip,
    maxWeight,
    effectiveSampleSize: {
      treated: (ess.t[0] as number) ** 2 / (ess.t[1] as number),
      control: (ess.c[0] as number) ** 2 / (ess.c[1] as number),
    },
    histogram: histogram(propensity, treatment, options.bins ?? 20),
    ok: share <= tolerance,
  };
}

/** Rows inside the common support of the two groups' propensity scores, per group. */
export function commonSupport(
  propensity: ArrayLike<number>,
  treatment: ArrayLike<number>,
): { low: number; high: number; treated: number; control: number } {
  let minT = Number.POSITIVE_INFINITY;
  let maxT = Number.NEGATIVE_INFINITY;
  let minC = Number.POSITIVE_INFINITY;
  let maxC = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < propensity.length; i++) {
    const e = propensity[i] as number;
    if (treatment[i] === 1) {
      minT = Math.min(minT, e);
      maxT = Math.max(maxT, e);
    } else {
      minC = Math.min(minC, e);
      maxC = Math.max(maxC, e);
    }
  }
  const low = Math.max(minT, minC);
  const high = Math.min(maxT, maxC);
  let treated = 0;
  let control = 0;
  for (let i = 0; i < propensity.length; i++) {
    const e = propensity[i] as number;
    if (e < low || e > high) continue;
    if (treatment[i] === 1) treated++;
    else control++;
  }
  return { low, high, treated, control };
}

/** A covariate on which the treated and untreated do not overlap at all (disjoint ranges, or disjoint categories). */
export interface Separation {
  readonly covariate: string;
  readonly label: string;
  readonly description: string;
}

/** The first covariate that alone separates the treated from the untreated, if any (missing values ignored). */
export function separatingCovariate(covariates: readonly DataColumn[], treatment: ArrayLike<number>): Separation | undefined {
  for (const c of covariates) {
    if (c.type === 'category') {
      const levels = [new Set<number>(), new Set<number>()];
      for (let i = 0; i < c.values.length; i++) {
        const v = c.values[i] as number;
        if (!Number.isNaN(v)) (levels[treatment[i] === 1 ? 1 : 0] as Set<number>).add(v);
      }
      const [c0, c1] = levels as [Set<number>, Set<number>];
      if (c0.size > 0 && c1.size > 0 && ![...c1].some((v) => c0.has(v))) {
        const name = (set: Set<number>) => [...set].map((v) => c.categories?.find((k) => k.value === v)?.label ?? String(v)).join(', ');
        return { covariate: c.name, label: c.label, description: `the treated are all ${name(c1)} and the untreated all ${name(c0)}` };
      }
      continue;
    }
    const lo = [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY];
    const hi = [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY];
    for (let i = 0; i < c.values.length; i++) {
      const v = c.values[i] as number;
      if (Number.isNaN(v)) continue;
      const g = treatment[i] === 1 ? 1 : 0;
      lo[g] = Math.min(lo[g] as number, v);
      hi[g] = Math.max(hi[g] as number, v);
    }
    const [lo0, lo1] = lo as [number, number];
    const [hi0, hi1] = hi as [number, number];
    if (!Number.isFinite(lo0) || !Number.isFinite(lo1)) continue;
    if (hi0 < lo1)
      return {
        covariate: c.name,
        label: c.label,
        description: `every treated unit has ${c.label} ≥ ${lo1} and every untreated unit ${c.label} ≤ ${hi0}`,
      };
    if (hi1 < lo0)
      return {
        covariate: c.name,
        label: c.label,
        description: `every treated unit has ${c.label} ≤ ${hi1} and every untreated unit ${c.label} ≥ ${lo0}`,
      };
  }
  return undefined;
}

interface Moments {
  mean1: number;
  mean0: number;
  var1: number;
  var0: number;
}

function moments(x: (i: number) => number, treatment: ArrayLike<number>, weights: ArrayLike<number> | undefined): Moments {
  const s = [0, 0];
  const w = [0, 0];
  const n = treatment.length;
  for (let i = 0; i < n; i++) {
    const v = x(i);
    if (Number.isNaN(v)) continue;
    const g = treatment[i] === 1 ? 1 : 0;
    const wi = weights ? (weights[i] as number) : 1;
    s[g] = (s[g] as number) + wi * v;
    w[g] = (w[g] as number) + wi;
  }
  const mean1 = (s[1] as number) / (w[1] as number);
  const mean0 = (s[0] as number) / (w[0] as number);
  const ss = [0, 0];
  const c = [0, 0];
  for (let i = 0; i < n; i++) {
    const v = x(i);
    if (Number.isNaN(v)) continue;
    const g = treatment[i] === 1 ? 1 : 0;
    ss[g] = (ss[g] as number) + (v - (g ? mean1 : mean0)) ** 2;
    c[g] = (c[g] as number) + 1;
  }
  return {
    mean1,
    mean0,
    var1: (ss[1] as number) / Math.max(1, (c[1] as number) - 1),
    var0: (ss[0] as number) / Math.max(1, (c[0] as number) - 1),
  };
}

/**
 * Standardised mean difference of one covariate between the treated and untreated: the (weighted)
 * difference in means over the pooled standard deviation of the unweighted groups, sqrt((s1² + s0²)/2),
 * so weighting changes the numerator only. Missing values are left out; null when both groups are
 * constant at different values (the covariate separates them).
 */
export function standardizedMeanDifference(
  values: ArrayLike<number>,
  treatment: ArrayLike<number>,
  weights?: ArrayLike<number>,
): number | null {
  if (values.length !== treatment.length || (weights && weights.length !== values.length)) {
    throw invalidArgument('values', 'values, treatment and weights must have the same length');
  }
  const x = (i: number) => values[i] as number;
  const raw = moments(x, treatment, undefined);
  const m = weights ? moments(x, treatment, weights) : raw;
  if (Number.isNaN(m.mean1) || Number.isNaN(m.mean0)) return null;
  const sd = Math.sqrt((raw.var1 + raw.var0) / 2);
  const diff = m.mean1 - m.mean0;
  if (sd > 0) return diff / sd;
  return Math.abs(diff) < 1e-12 ? 0 : null;
}

/** ATE weights 1/e for the treated and 1/(1 − e) for the untreated. */
export function ateWeights(propensity: ArrayLike<number>, treatment: ArrayLike<number>): Float64Array {
  return Float64Array.from({ length: treatment.length }, (_, i) =>
    treatment[i] === 1 ? 1 / (propensity[i] as number) : 1 / (1 - (propensity[i] as number)),
  );
}

/** ATT weights: 1 for the treated, e/(1 − e) for the untreated. */
export function attWeights(propensity: ArrayLike<number>, treatment: ArrayLike<number>): Float64Array {
  return Float64Array.from({ length: treatment.length }, (_, i) =>
    treatment[i] === 1 ? 1 : (propensity[i] as number) / (1 - (propensity[i] as number)),
  );
}

/** Covariate balance before and after weighting, one row per covariate (per level for categories). */
export function balanceDiagnostics(
  covariates: readonly DataColumn[],
  treatment: ArrayLike<number>,
  propensity: ArrayLike<number>,
  threshold = 0.1,
): BalanceDiagnostics {
  const wAte = ateWeights(propensity, treatment);
  const wAtt = attWeights(propensity, treatment);
  const rows: BalanceRow[] = [];
  for (const c of covariates) {
    const series: { level?: string; values: ArrayLike<number> }[] = [];
    if (c.type === 'category') {
      for (const k of c.categories ?? []) {
        series.push({ level: k.label, values: Float64Array.from(c.values, (v) => (Number.isNaN(v) ? Number.NaN : v === k.value ? 1 : 0)) });
      }
    } else series.push({ values: c.values });
    for (const s of series) {
      rows.push({
        covariate: c.name,
        label: s.level !== undefined ? `${c.label} = ${s.level}` : c.label,
        ...(s.level !== undefined ? { level: s.level } : {}),
        before: standardizedMeanDifference(s.values, treatment),
        after: standardizedMeanDifference(s.values, treatment, wAte),
        afterAtt: standardizedMeanDifference(s.values, treatment, wAtt),
      });
    }
  }
  const abs = (v: number | null) => (v === null ? Number.POSITIVE_INFINITY : Math.abs(v));
  const maxBefore = Math.max(0, ...rows.map((r) => abs(r.before)));
  const maxAfter = Math.max(0, ...rows.map((r) => abs(r.after)));
  const maxAfterAtt = Math.max(0, ...rows.map((r) => abs(r.afterAtt)));
  const imbalanced = rows.filter((r) => abs(r.after) > threshold).map((r) => r.label);
  return { threshold, rows, maxBefore, maxAfter, maxAfterAtt, imbalanced, ok: imbalanced.length === 0 };
}

function evalueOfRatio(rr: number): number {
  const r = rr < 1 ? 1 / rr : rr;
  return r + Math.sqrt(r * (r - 1));
}

/**
 * E-value of an estimate and of its confidence limit closest to the null: the minimum strength of
 * association (risk-ratio scale) an unmeasured confounder would need with both treatment and outcome
 * to explain the estimate away. Differences in a continuous outcome are standardised by the outcome's
 * standard deviation and converted with RR ≈ exp(0.91 d) (VanderWeele & Ding 2017).
 */
export function eValue(
  estimate: EffectEstimate,
  scale: { readonly kind: 'difference'; readonly sd: number } | { readonly kind: 'risk-ratio'; readonly logRatio: EffectEstimate },
): EValue {
  if (scale.kind === 'difference') {
    if (!(scale.sd > 0)) throw invalidArgument('sd', 'must be positive');
    const toRr = (d: number) => Math.exp((0.91 * d) / scale.sd);
    const [lo, hi] = estimate.ci;
    const limit = lo <= 0 && hi >= 0 ? 1 : evalueOfRatio(toRr(estimate.value > 0 ? lo : hi));
    return {
      riskRatio: toRr(estimate.value),
      estimate: evalueOfRatio(toRr(estimate.value)),
      ciLimit: limit,
      method: 'standardised-difference',
    };
  }
  const l = scale.logRatio;
  const [lo, hi] = l.ci;
  const limit = lo <= 0 && hi >= 0 ? 1 : evalueOfRatio(Math.exp(l.value > 0 ? lo : hi));
  return { riskRatio: Math.exp(l.value), estimate: evalueOfRatio(Math.exp(l.value)), ciLimit: limit, method: 'risk-ratio' };
}
