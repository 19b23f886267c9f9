import type { EffectEstimate } from './estimate.js';
import type { CausalResult } from './types.js';

function num(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return '—';
  return v.toFixed(digits);
}

function pct(v: number): string {
  return Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : '—';
}

function row(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((c, i) => (i === cells.length - 1 ? c : i === 0 || i === 1 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
    .join('  ')
    .trimEnd();
}

function estimateCells(what: string, estimator: string, e: EffectEstimate): string[] {
  return [what, estimator, num(e.value), num(e.se), `[${num(e.ci[0])}, ${num(e.ci[1])}]`];
}

/**
 * A plain-text summary of a causal run for a terminal: the estimates with intervals, the overlap,
 * balance and refutation diagnostics, the E-value, the individual-effect model and every warning.
 */
export function formatCausalSummary(result: CausalResult): string {
  const r = result;
  const lines: string[] = [];
  const level = `${Math.round(r.ate.ciLevel * 100)}% CI`;
  const method = r.ate.interval === 'bootstrap' ? `bootstrap, ${r.params.bootstrap} resamples` : 'influence function';
  lines.push(
    `Effect of '${r.data.treatment}' on '${r.data.outcome.column}' (${r.data.outcome.type} outcome${r.data.outcome.type === 'binary' ? ', risk difference' : ''})`,
  );
  lines.push(
    `${r.data.rows} rows: ${r.data.treated} treated, ${r.data.control} untreated; ${r.data.covariates.length} covariates; ${r.params.folds}-fold cross-fitting`,
  );
  lines.push('');
  const header = ['', 'estimator', 'estimate', 'SE', `${level} (${method})`];
  const body = [
    estimateCells('ATE', 'AIPW (doubly robust)', r.estimates.aipw.ate),
    estimateCells('ATE', 'IPW (stabilised)', r.estimates.ipw.ate),
    estimateCells('ATE', 'difference in means', r.estimates.naive),
    estimateCells('ATT', 'AIPW (doubly robust)', r.estimates.aipw.att),
    estimateCells('ATT', 'IPW (stabilised)', r.estimates.ipw.att),
  ];
  if (r.trimmed) {
    const t = r.trimmed;
    body.push(estimateCells(`ATE, e in [${t.bounds[0]}, ${t.bounds[1]}]`, `AIPW, n = ${t.estimates.n}`, t.estimates.aipw.ate));
  }
  const widths = header.map((_, i) => Math.max(header[i]?.length ?? 0, ...body.map((b) => b[i]?.length ?? 0)));
  lines.push(row(header, widths));
  for (const b of body) lines.push(row(b, widths));
  if (r.trimmed) {
    lines.push(
      `  (trimming dropped ${r.trimmed.dropped.treated} treated and ${r.trimmed.dropped.control} untreated units; the trimmed ATE is the effect in the units that remain)`,
    );
  }
  lines.push('');
  lines.push('Diagnostics');
  const o = r.overlap;
  lines.push(
    `  overlap     ${o.ok ? 'ok  ' : 'WARN'}  ${pct(o.outside.all)} of units outside propensity [${o.bounds[0]}, ${o.bounds[1]}] (treated ${pct(o.outside.treated)}, untreated ${pct(o.outside.control)}); treated ${num(o.treatedRange[0])}–${num(o.treatedRange[1])}, untreated ${num(o.controlRange[0])}–${num(o.controlRange[1])}; ${o.clipped} clipped at ${o.clip}; effective n ${num(o.effectiveSampleSize.treated, 0)} treated, ${num(o.effectiveSampleSize.control, 0)} untreated`,
  );
  const b = r.balance;
  lines.push(
    `  balance     ${b.ok ? 'ok  ' : 'WARN'}  largest |SMD| ${num(b.maxBefore)} before weighting, ${num(b.maxAfter)} with ATE weights, ${num(b.maxAfterAtt)} with ATT weights (threshold ${b.threshold})${b.ok ? '' : `; imbalanced: ${b.imbalanced.slice(0, 6).join(', ')}${b.imbalanced.length > 6 ? ', …' : ''}`}`,
  );
  if (r.refutations) {
    const p = r.refutations.placebo;
    const c = r.refutations.randomCommonCause;
    lines.push(
      `  placebo     ${p.passed ? 'ok  ' : 'WARN'}  permuted treatment: effect ${num(p.estimate.value)} [${num(p.estimate.ci[0])}, ${num(p.estimate.ci[1])}] (should cover 0)`,
    );
    lines.push(
      `  random cc   ${c.passed ? 'ok  ' : 'WARN'}  with a random covariate: ${num(c.estimate.value)} vs ${num(c.original)} (moved ${num(c.estimate.value - c.original)}; should move < 1 SE)`,
    );
  } else lines.push('  refutations       not run (refute: false)');
  lines.push(
    `  E-value           ${num(r.eValue.estimate, 2)} for the estimate, ${num(r.eValue.ciLimit, 2)} for the CI limit (risk ratio ${num(r.eValue.riskRatio, 2)}${r.eValue.method === 'standardised-difference' ? ' from the standardised difference' : ''})`,
  );
  lines.push('');
  const d = r.cate.distribution;
  const base = r.cate.baseline;
  lines.push(
    `Individual effects: ${r.cate.learner === 'dr' ? 'DR-learner' : 'T-learner'} (${r.cate.family === 'gbdt' ? 'boosted trees' : 'linear'}), in-sample mean ${num(d.mean)}, sd ${num(d.sd)}, 5–95% ${num(d.quantiles.p05)} to ${num(d.quantiles.p95)}`,
  );
  lines.push(
    `  baseline ${base.learner === 'dr' ? 'DR-learner' : 'T-learner'}: mean ${num(base.distribution.mean)}, sd ${num(base.distribution.sd)}; correlation with the exported model ${num(base.correlation, 2)}`,
  );
  if (r.warnings.length > 0) {
    lines.push('');
    lines.push(`Warnings (${r.warnings.length})`);
    for (const w of r.warnings) lines.push(`  - [${w.code}] ${w.message}`);
  }
  return `${lines.join('\n')}\n`;
}
