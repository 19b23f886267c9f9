import type { CausalDataset, DataColumn } from '@cairn/pipelines';

/** A small seeded generator so the fixtures do not depend on the code under test. */
export function lcg(seed: number) {
  let s = seed >>> 0;
  const uniform = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

/** Options of {@link simulate}. */
export interface Simulation {
  readonly n: number;
  readonly seed: number;
  /** Effect of treatment at x: default a constant 2. */
  readonly effect?: (x1: number, x2: number) => number;
  /** Log-odds of treatment: default 0.8·x1 − 0.5·x2 (confounded: x1 raises both treatment and outcome). */
  readonly logit?: (x1: number, x2: number) => number;
  /** Binary outcome: P(y = 1) = sigmoid(−0.5 + 0.8·x1 + effect·t). */
  readonly binary?: boolean;
}

/**
 * Confounded data with a known effect: x1, x2 ~ N(0, 1), t ~ Bernoulli(sigmoid(logit)),
 * y = effect(x)·t + 1.5·x1 + x2 + N(0, 1). Also returns the true individual effects.
 */
export function simulate(options: Simulation): { data: CausalDataset; effects: Float64Array } {
  const { n } = options;
  const r = lcg(options.seed);
  const effect = options.effect ?? (() => 2);
  const logit = options.logit ?? ((a: number, b: number) => 0.8 * a - 0.5 * b);
  const x1 = new Float64Array(n);
  const x2 = new Float64Array(n);
  const t = new Uint8Array(n);
  const y = new Float64Array(n);
  const effects = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = r.normal();
    const b = r.normal();
    x1[i] = a;
    x2[i] = b;
    t[i] = r.uniform() < 1 / (1 + Math.exp(-logit(a, b))) ? 1 : 0;
    effects[i] = effect(a, b);
    if (options.binary) {
      const p = (z: number) => 1 / (1 + Math.exp(-z));
      const p0 = p(-0.5 + 0.8 * a);
      const p1 = p(-0.5 + 0.8 * a + effect(a, b));
      effects[i] = p1 - p0;
      y[i] = r.uniform() < (t[i] ? p1 : p0) ? 1 : 0;
    } else y[i] = effect(a, b) * (t[i] as number) + 1.5 * a + b + r.normal();
  }
  const column = (name: string, values: Float64Array): DataColumn => ({ name, label: name, type: 'number', values });
  return {
    data: {
      rows: n,
      covariates: [column('x1', x1), column('x2', x2)],
      treatment: { column: 't', treated: 't == 1', values: t },
      outcome: { column: 'y', label: 'y', type: options.binary ? 'binary' : 'continuous', values: y },
      source: { bytes: 0, sha256: '0'.repeat(64), delimiter: ',' },
      ingest: { rowsRead: n, dropped: [], coerced: [], missingTokens: {}, excluded: [] },
    },
    effects,
  };
}

/** Writes a dataset as CSV text (t, y, covariates). */
export function toCsv(sim: CausalDataset): string {
  const header = ['t', 'y', ...sim.covariates.map((c) => c.name)];
  const lines = [header.join(',')];
  for (let i = 0; i < sim.rows; i++) {
    lines.push([sim.treatment.values[i], sim.outcome.values[i], ...sim.covariates.map((c) => c.values[i])].join(','));
  }
  return `${lines.join('\n')}\n`;
}
