import { invalidArgument } from '@cairn/core';
import { createRandom } from '../random.js';

/** An estimate with its standard error and confidence interval. */
export interface EffectEstimate {
  readonly value: number;
  readonly se: number;
  readonly ci: readonly [number, number];
  readonly ciLevel: number;
  /** How the interval was computed: normal approximation with the influence-function variance, or bootstrap percentiles. */
  readonly interval: 'influence-function' | 'bootstrap';
}

/** The effect estimators on one set of rows. */
export interface EstimateSet {
  readonly n: number;
  readonly treated: number;
  readonly control: number;
  /** Difference in mean outcomes, treated minus control (no adjustment). */
  readonly naive: EffectEstimate;
  /** Stabilised (Hájek) inverse probability weighting. */
  readonly ipw: { readonly ate: EffectEstimate; readonly att: EffectEstimate };
  /** Augmented IPW (doubly robust) with cross-fitted outcome regressions. */
  readonly aipw: {
    readonly ate: EffectEstimate;
    readonly att: EffectEstimate;
    /** Doubly robust means of the outcome had everyone been untreated (mean0) or treated (mean1). */
    readonly mean0: EffectEstimate;
    readonly mean1: EffectEstimate;
    /** log(mean1 / mean0), for a binary (or positive) outcome; absent when a mean is not positive. */
    readonly logRiskRatio?: EffectEstimate;
  };
}

/** Rows and nuisance predictions the estimators read. */
export interface EstimatorInput {
  readonly treatment: ArrayLike<number>;
  readonly outcome: ArrayLike<number>;
  /** Propensity scores, already clipped away from 0 and 1. */
  readonly propensity: ArrayLike<number>;
  readonly mu0: ArrayLike<number>;
  readonly mu1: ArrayLike<number>;
}

/** Interval settings. */
export interface IntervalSettings {
  /** @defaultValue 0.95 */
  readonly level?: number;
  /** Bootstrap resamples of the rows (0 = influence-function intervals). @defaultValue 0 */
  readonly bootstrap?: number;
  readonly seed?: number;
}

/** The standard normal quantile (Acklam's rational approximation, refined by one Newton step). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw invalidArgument('p', 'must be in (0, 1)');
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  let x: number;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p <= 1 - lo) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
      (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x =
      -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/** The standard normal distribution function. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

function erfc(x: number): number {
  // Numerical Recipes' erfc (Chebyshev fit), relative error below 1.2e-7.
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Point estimates and influence-function values of every estimator on the rows in `rows` (all rows when omitted). */
interface PointEstimates {
  readonly values: Float64Array;
  /** Influence-function values per estimator, row-major [estimator][row]. */
  readonly influence: Float64Array[];
}

const ESTIMATORS = ['naive', 'ipwAte', 'ipwAtt', 'aipwAte', 'aipwAtt', 'mean0', 'mean1', 'logRiskRatio'] as const;

function point(input: EstimatorInput, rows: ArrayLike<number>, withInfluence: boolean): PointEstimates {
  const n = rows.length;
  const { treatment: t, outcome: y, propensity: e, mu0, mu1 } = input;
  let n1 = 0;
  let s1 = 0;
  let s0 = 0;
  let w1 = 0;
  let w1y = 0;
  let w0 = 0;
  let w0y = 0;
  let a0 = 0;
  let a0y = 0;
  let psi1 = 0;
  let psi0 = 0;
  let att = 0;
  for (let k = 0; k < n; k++) {
    const i = rows[k] as number;
    const ti = t[i] as number;
    const yi = y[i] as number;
    const ei = e[i] as number;
    const m0 = mu0[i] as number;
    const m1 = mu1[i] as number;
    if (ti === 1) {
      n1++;
      s1 += yi;
      w1 += 1 / ei;
      w1y += yi / ei;
      psi1 += m1 + (yi - m1) / ei;
      psi0 += m0;
      att += yi - m0;
    } else {
      s0 += yi;
      w0 += 1 / (1 - ei);
      w0y += yi / (1 - ei);
      const odds = ei / (1 - ei);
      a0 += odds;
      a0y += odds * yi;
      psi1 += m1;
      psi0 += m0 + (yi - m0) / (1 - ei);
      att -= odds * (yi - m0);
    }
  }
  const n0 = n - n1;
  const mean1 = s1 / n1;
  const mean0 = s0 / n0;
  const ipw1 = w1y / w1;
  const ipw0 = w0y / w0;
  const att0 = a0y / a0;
  const po0mean = psi0 / n;
  const po1mean = psi1 / n;
  const values = Float64Array.of(
    mean1 - mean0,
    ipw1 - ipw0,
    mean1 - att0,
    (psi1 - psi0) / n,
    att / n1,
    po0mean,
    po1mean,
    po0mean > 0 && po1mean > 0 ? Math.log(po1mean / po0mean) : Number.NaN,
  );
  if (!withInfluence) return { values, influence: [] };
  const influence = ESTIMATORS.map(() => new Float64Array(n));
  const p = n1 / n;
  const mw1 = w1 / n;
  const mw0 = w0 / n;
  const ma0 = a0 / n;
  const [naive, ipwAte, ipwAtt, aipwAte, aipwAtt, po0, po1, logRr] = influence as [
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
  ];
  const tauAtt = values[4] as number;
  for (let k = 0; k < n; k++) {
    const i = rows[k] as number;
    const ti = t[i] as number;
    const yi = y[i] as number;
    const ei = e[i] as number;
    const m0 = mu0[i] as number;
    const m1 = mu1[i] as number;
    if (ti === 1) {
      naive[k] = (yi - mean1) / p;
      ipwAte[k] = (yi - ipw1) / ei / mw1;
      ipwAtt[k] = (yi - mean1) / p;
      const f1 = m1 + (yi - m1) / ei;
      po1[k] = f1 - (values[6] as number);
      po0[k] = m0 - (values[5] as number);
      aipwAtt[k] = (yi - m0 - tauAtt) / p;
    } else {
      naive[k] = -(yi - mean0) / (1 - p);
      ipwAte[k] = -(yi - ipw0) / (1 - ei) / mw0;
      const odds = ei / (1 - ei);
      ipwAtt[k] = (-odds * (yi - att0)) / ma0;
      po1[k] = m1 - (values[6] as number);
      po0[k] = m0 + (yi - m0) / (1 - ei) - (values[5] as number);
      aipwAtt[k] = (-odds * (yi - m0)) / p;
    }
    aipwAte[k] = (po1[k] as number) - (po0[k] as number);
    logRr[k] = (po1[k] as number) / po1mean - (po0[k] as number) / po0mean;
  }
  return { values, influence };
}

function influenceEstimate(value: number, phi: Float64Array, z: number, level: number): EffectEstimate {
  const n = phi.length;
  let ss = 0;
  for (const v of phi) ss += v * v;
  const se = Math.sqrt(ss) / n;
  return { value, se, ci: [value - z * se, value + z * se], ciLevel: level, interval: 'influence-function' };
}

function quantileSorted(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return (sorted[lo] as number) + (h - lo) * ((sorted[hi] as number) - (sorted[lo] as number));
}

/**
 * Runs every estimator on the given rows (default all): naive difference, stabilised IPW (ATE and
 * ATT), AIPW (ATE, ATT and both potential-outcome means), each with a standard error and interval
 * from its influence function, or from a seeded bootstrap of rows with the nuisance predictions held fixed.
 */
export function estimateEffects(input: EstimatorInput, rows?: ArrayLike<number>, settings: IntervalSettings = {}): EstimateSet {
  const level = settings.level ?? 0.95;
  if (!(level > 0 && level < 1)) throw invalidArgument('level', 'must be in (0, 1)');
  const all = rows ?? Int32Array.from({ length: input.treatment.length }, (_, i) => i);
  const n = all.length;
  let treated = 0;
  for (let k = 0; k < n; k++) treated += input.treatment[all[k] as number] as number;
  if (treated < 2 || n - treated < 2) {
    throw invalidArgument(
      'rows',
      `estimating an effect needs at least two treated and two untreated rows (got ${treated} and ${n - treated})`,
    );
  }
  const z = normalQuantile(1 - (1 - level) / 2);
  const base = point(input, all, true);
  let estimates = ESTIMATORS.map((_, j) => influenceEstimate(base.values[j] as number, base.influence[j] as Float64Array, z, level));
  const resamples = settings.bootstrap ?? 0;
  if (resamples > 0) {
    if (!Number.isInteger(resamples) || resamples < 50) throw invalidArgument('bootstrap', 'must be 0 or an integer ≥ 50');
    const random = createRandom((settings.seed ?? 1) ^ 0xb007);
    const draws = ESTIMATORS.map(() => new Float64Array(resamples));
    const sample = new Int32Array(n);
    let done = 0;
    for (let b = 0; done < resamples && b < resamples * 10; b++) {
      let t1 = 0;
      for (let k = 0; k < n; k++) {
        const r = all[random.int(n)] as number;
        sample[k] = r;
        t1 += input.treatment[r] as number;
      }
      // A resample with (almost) one group has no effect estimate: draw again.
      if (t1 < 2 || n - t1 < 2) continue;
      const v = point(input, sample, false).values;
      for (let j = 0; j < ESTIMATORS.length; j++) (draws[j] as Float64Array)[done] = v[j] as number;
      done++;
    }
    estimates = estimates.map((e, j) => {
      const d = (draws[j] as Float64Array).subarray(0, done).sort();
      let mean = 0;
      for (const v of d) mean += v;
      mean /= d.length;
      let ss = 0;
      for (const v of d) ss += (v - mean) ** 2;
      const se = Math.sqrt(ss / Math.max(1, d.length - 1));
      return {
        value: e.value,
        se,
        ci: [quantileSorted(d, (1 - level) / 2), quantileSorted(d, 1 - (1 - level) / 2)] as const,
        ciLevel: level,
        interval: 'bootstrap' as const,
      };
    });
  }
  const [naive, ipwAte, ipwAtt, aipwAte, aipwAtt, mean0, mean1, logRiskRatio] = estimates as [
    EffectEstimate,
    EffectEstimate,
    EffectEstimate,
    EffectEstimate,
    EffectEstimate,
    EffectEstimate,
    EffectEstimate,
    EffectEstimate,
  ];
  return {
    n,
    treated,
    control: n - treated,
    naive,
    ipw: { ate: ipwAte, att: ipwAtt },
    aipw: {
      ate: aipwAte,
      att: aipwAtt,
      mean0,
      mean1,
      ...(Number.isFinite(logRiskRatio.value) && Number.isFinite(logRiskRatio.se) ? { logRiskRatio } : {}),
    },
  };
}

/** Clips propensity scores into [bound, 1 − bound]; returns the clipped copy and how many were moved. */
export function clipPropensity(propensity: ArrayLike<number>, bound: number): { clipped: Float64Array; moved: number } {
  const clipped = new Float64Array(propensity.length);
  let moved = 0;
  for (let i = 0; i < propensity.length; i++) {
    const e = propensity[i] as number;
    const c = Math.min(1 - bound, Math.max(bound, e));
    if (c !== e) moved++;
    clipped[i] = c;
  }
  return { clipped, moved };
}

/** The doubly robust pseudo-outcome of each row, whose conditional mean given x is the effect at x. */
export function pseudoOutcomes(input: EstimatorInput): Float64Array {
  const n = input.treatment.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = input.treatment[i] as number;
    const y = input.outcome[i] as number;
    const e = input.propensity[i] as number;
    const m0 = input.mu0[i] as number;
    const m1 = input.mu1[i] as number;
    out[i] = m1 - m0 + (t === 1 ? (y - m1) / e : -(y - m0) / (1 - e));
  }
  return out;
}
