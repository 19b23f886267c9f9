/**
 * KernelSHAP (Lundberg & Lee 2017): Shapley values as the solution of a weighted least-squares
 * problem over coalitions, with the efficiency constraint imposed exactly. When the budget covers
 * every coalition, the Shapley values are computed exactly from all of them instead.
 */

/** Coalitions to evaluate: `masks` holds `count × features` 0/1 entries, with their kernel weights. */
export interface CoalitionPlan {
  readonly features: number;
  readonly count: number;
  readonly masks: Uint8Array;
  readonly weights: Float64Array;
  /** True when every coalition is listed (the result is then exact). */
  readonly exact: boolean;
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/** Small deterministic PRNG (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Plans at most `budget` coalitions (excluding the empty and full ones): whole subset sizes first,
 * from the extremes inwards (they carry the most kernel weight), then paired random samples.
 */
export function planCoalitions(features: number, budget: number, random: () => number): CoalitionPlan {
  const M = features;
  const total = 2 ** M - 2;
  if (total <= budget) {
    const masks = new Uint8Array(total * M);
    const weights = new Float64Array(total);
    for (let s = 1; s <= total; s++) {
      const row = s - 1;
      let size = 0;
      for (let i = 0; i < M; i++) {
        const bit = (s >> i) & 1;
        masks[row * M + i] = bit;
        size += bit;
      }
      weights[row] = (M - 1) / (binomial(M, size) * size * (M - size));
    }
    return { features: M, count: total, masks, weights, exact: true };
  }
  const rows: Uint8Array[] = [];
  const weights: number[] = [];
  const sizeMass = (s: number) => (M - 1) / (s * (M - s));
  let left = budget;
  let lo = 1;
  let hi = M - 1;
  // Enumerate sizes s and M − s together while they fit.
  while (lo <= hi) {
    const n = lo === hi ? binomial(M, lo) : 2 * binomial(M, lo);
    if (n > left) break;
    for (const s of lo === hi ? [lo] : [lo, hi]) {
      const w = sizeMass(s) / binomial(M, s);
      forEachSubset(M, s, (mask) => {
        rows.push(mask);
        weights.push(w);
      });
    }
    left -= n;
    lo += 1;
    hi -= 1;
  }
  if (lo <= hi && left >= 2) {
    const sizes: number[] = [];
    const mass: number[] = [];
    for (let s = lo; s <= hi; s++) {
      sizes.push(s);
      mass.push(sizeMass(s));
    }
    const totalMass = mass.reduce((a, b) => a + b, 0);
    const pairs = Math.floor(left / 2);
    const w = totalMass / (2 * pairs);
    for (let p = 0; p < pairs; p++) {
      let u = random() * totalMass;
      let s = sizes[sizes.length - 1] as number;
      for (let k = 0; k < sizes.length; k++) {
        u -= mass[k] as number;
        if (u <= 0) {
          s = sizes[k] as number;
          break;
        }
      }
      const mask = randomSubset(M, s, random);
      const complement = mask.map((b) => 1 - b);
      rows.push(mask, complement);
      weights.push(w, w);
    }
  }
  const masks = new Uint8Array(rows.length * M);
  rows.forEach((r, i) => {
    masks.set(r, i * M);
  });
  return { features: M, count: rows.length, masks, weights: Float64Array.from(weights), exact: false };
}

function forEachSubset(M: number, size: number, visit: (mask: Uint8Array) => void): void {
  const idx = Array.from({ length: size }, (_, i) => i);
  for (;;) {
    const mask = new Uint8Array(M);
    for (const i of idx) mask[i] = 1;
    visit(mask);
    let k = size - 1;
    while (k >= 0 && idx[k] === M - size + k) k--;
    if (k < 0) return;
    idx[k] = (idx[k] as number) + 1;
    for (let j = k + 1; j < size; j++) idx[j] = (idx[j - 1] as number) + 1;
  }
}

function randomSubset(M: number, size: number, random: () => number): Uint8Array {
  const order = Array.from({ length: M }, (_, i) => i);
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(random() * (M - i));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const mask = new Uint8Array(M);
  for (let i = 0; i < size; i++) mask[order[i] as number] = 1;
  return mask;
}

/** Shapley values from coalition values `v` (same order as the plan), v(∅) and v(all). */
export function solveKernel(plan: CoalitionPlan, v: Float64Array, empty: number, full: number): Float64Array {
  const M = plan.features;
  const delta = full - empty;
  const phi = new Float64Array(M);
  if (M === 1) {
    phi[0] = delta;
    return phi;
  }
  if (plan.exact) {
    // Exact Shapley values: φ_i = Σ_S |S|!(M−|S|−1)!/M! (v(S ∪ i) − v(S)), with v indexed by bitmask.
    const value = (mask: number) => (mask === 0 ? empty : mask === 2 ** M - 1 ? full : (v[mask - 1] as number));
    const weight = new Float64Array(M);
    for (let s = 0; s < M; s++) weight[s] = 1 / (M * binomial(M - 1, s));
    for (let mask = 0; mask < 2 ** M; mask++) {
      let size = 0;
      for (let i = 0; i < M; i++) size += (mask >> i) & 1;
      const vs = value(mask);
      for (let i = 0; i < M; i++) {
        if ((mask >> i) & 1) continue;
        phi[i] = (phi[i] as number) + (weight[size] as number) * (value(mask | (1 << i)) - vs);
      }
    }
    return phi;
  }
  // Weighted least squares with Σφ = Δ: substitute φ_M = Δ − Σ_{i<M} φ_i.
  const n = M - 1;
  const A = new Float64Array(n * n);
  const b = new Float64Array(n);
  for (let k = 0; k < plan.count; k++) {
    const w = plan.weights[k] as number;
    const row = k * M;
    const zM = plan.masks[row + M - 1] as number;
    const y = (v[k] as number) - empty - zM * delta;
    for (let i = 0; i < n; i++) {
      const xi = (plan.masks[row + i] as number) - zM;
      if (xi === 0) continue;
      b[i] = (b[i] as number) + w * xi * y;
      for (let j = 0; j < n; j++) {
        const xj = (plan.masks[row + j] as number) - zM;
        if (xj !== 0) A[i * n + j] = (A[i * n + j] as number) + w * xi * xj;
      }
    }
  }
  let trace = 0;
  for (let i = 0; i < n; i++) trace += A[i * n + i] as number;
  // A whisker of ridge keeps the system solvable when few coalitions were sampled.
  for (let i = 0; i < n; i++) A[i * n + i] = (A[i * n + i] as number) + 1e-10 * (trace / n || 1);
  const x = solve(A, b, n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    phi[i] = x[i] as number;
    sum += x[i] as number;
  }
  phi[M - 1] = delta - sum;
  return phi;
}

/** Gaussian elimination with partial pivoting. */
function solve(A: Float64Array, b: Float64Array, n: number): Float64Array {
  const x = Float64Array.from(b);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r * n + c] as number) > Math.abs(A[p * n + c] as number)) p = r;
    if (p !== c) {
      for (let k = 0; k < n; k++) {
        const t = A[c * n + k] as number;
        A[c * n + k] = A[p * n + k] as number;
        A[p * n + k] = t;
      }
      const t = x[c] as number;
      x[c] = x[p] as number;
      x[p] = t;
    }
    const d = A[c * n + c] as number;
    if (d === 0) continue;
    for (let r = c + 1; r < n; r++) {
      const f = (A[r * n + c] as number) / d;
      if (f === 0) continue;
      for (let k = c; k < n; k++) A[r * n + k] = (A[r * n + k] as number) - f * (A[c * n + k] as number);
      x[r] = (x[r] as number) - f * (x[c] as number);
    }
  }
  for (let c = n - 1; c >= 0; c--) {
    let s = x[c] as number;
    for (let k = c + 1; k < n; k++) s -= (A[c * n + k] as number) * (x[k] as number);
    const d = A[c * n + c] as number;
    x[c] = d === 0 ? 0 : s / d;
  }
  return x;
}
