import { readFileSync } from 'node:fs';
import { readCausalCsv } from '../../../packages/pipelines/src/causal/data.js';
import { crossFit, type NuisanceSettings } from '../../../packages/pipelines/src/causal/nuisance.js';
import { clipPropensity, estimateEffects, pseudoOutcomes } from '../../../packages/pipelines/src/causal/estimate.js';
import { trainGbdtRegressor, trainRidge } from '../../../packages/pipelines/src/causal/regression.js';

const names = ['treatment', 'y_factual', 'y_cfactual', 'mu0', 'mu1', ...Array.from({ length: 25 }, (_, i) => `x${i + 1}`)];
const bytes = readFileSync('/work/shared/datasets/ihdp_npci_1.csv');
const data = await readCausalCsv(bytes, { treatment: 'treatment', outcome: 'y_factual', exclude: ['y_cfactual', 'mu0', 'mu1'], columns: names });
// oracle for evaluation only
const raw = readFileSync('/work/shared/datasets/ihdp_npci_1.csv', 'utf8').trim().split('\n').map((l) => l.split(',').map(Number));
const tau = raw.map((r) => r[4]! - r[3]!);
const trueAte = tau.reduce((a, b) => a + b, 0) / tau.length;
console.log('rows', data.rows, 'covariates', data.covariates.length, data.covariates.map((c) => c.type).join(','), 'true', trueAte);
const frame = { rows: data.rows, covariates: data.covariates, treatment: data.treatment.values, outcome: data.outcome.values, binaryOutcome: false };
const pehe = (est: ArrayLike<number>) => { let s = 0; for (let i = 0; i < tau.length; i++) s += (est[i]! - tau[i]!) ** 2; return Math.sqrt(s / tau.length); };
const arg = (k: string, d: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.split('=')[1] ?? d;
const settings: NuisanceSettings = {
  folds: Number(arg('folds', '5')),
  propensity: arg('prop', 'logistic') as 'logistic',
  outcome: arg('out', 'gbdt') as 'gbdt',
  logistic: { l2: Number(arg('l2', '1')) },
  gbdtClassifier: { trees: 200, learningRate: 0.05, maxDepth: 3 },
  gbdtRegressor: { trees: Number(arg('trees', '500')), learningRate: Number(arg('lr', '0.05')), maxDepth: Number(arg('depth', '3')), minChildWeight: Number(arg('mcw', '5')), subsample: Number(arg('sub', '0.8')) },
  ridge: { l2: Number(arg('rl2', '1')) },
};
for (const seed of [1, 2, 3]) {
  const t0 = Date.now();
  const nu = await crossFit(frame, settings, { seed });
  const { clipped, moved } = clipPropensity(nu.propensity, Number(arg('clip', '0.01')));
  const input = { treatment: frame.treatment, outcome: frame.outcome, propensity: clipped, mu0: nu.mu0, mu1: nu.mu1 };
  const est = estimateEffects(input);
  const f = (e: { value: number; se: number; ci: readonly [number, number] }) => `${e.value.toFixed(3)} ±${e.se.toFixed(3)} [${e.ci[0].toFixed(3)}, ${e.ci[1].toFixed(3)}]`;
  const t = Float64Array.from(nu.mu1, (m, i) => m - nu.mu0[i]!);
  const psi = pseudoOutcomes(input);
  const gb = await trainGbdtRegressor({ columns: data.covariates, target: psi }, { trees: 200, learningRate: 0.03, maxDepth: 2, minChildWeight: 20 }, { seed });
  const ri = trainRidge({ columns: data.covariates, target: psi }, { l2: Number(arg('cl2', '10')) });
  const prop = Array.from(nu.propensity).sort((a, b) => a - b);
  console.log(`seed ${seed} ${Date.now() - t0}ms clipped ${moved} e[min,med,max] ${prop[0]!.toFixed(3)} ${prop[373]!.toFixed(3)} ${prop[746]!.toFixed(3)}`);
  console.log(`  naive ${f(est.naive)} ipw ${f(est.ipw.ate)} aipw ${f(est.aipw.ate)} att ${f(est.aipw.att)}`);
  console.log(`  pehe T ${pehe(t).toFixed(3)} DR-gbdt ${pehe(gb.predict(data.covariates.map((c) => c.values))).toFixed(3)} DR-ridge ${pehe(ri.predict(data.covariates.map((c) => c.values))).toFixed(3)} const ${pehe(new Float64Array(747).fill(est.aipw.ate.value)).toFixed(3)}`);
}
