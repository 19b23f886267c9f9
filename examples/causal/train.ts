/**
 * Estimates the effect of the IHDP home-visit programme on children's cognitive scores (Hill's
 * semi-synthetic benchmark, replication 1) with the causal-dr pipeline, saves the individual-effect
 * model as a Cairn bundle, then loads it back and estimates and explains one child's effect.
 * Run: npm start -w @cairn/example-causal   (optionally: -- --data path/to/ihdp_npci_N.csv --seed 2)
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createExplainer, createPredictor, loadBundle, nodeRuntime, writeBundleFiles } from '@cairn/node';
import { type CausalResult, formatCausalSummary, readCausalCsv, runCausalPipeline } from '@cairn/pipelines';

const here = import.meta.dirname;
/** The shared data folder beside the repository (see ../../README.md); the file has no header row. */
const DEFAULT_DATA = join(here, '../../../shared/datasets/ihdp_npci_1.csv');
const COLUMNS = ['treatment', 'y_factual', 'y_cfactual', 'mu0', 'mu1', ...Array.from({ length: 25 }, (_, i) => `x${i + 1}`)];

/** mu1 − mu0 per child: the true effect, known only because the outcomes are simulated. Used to score, never to fit. */
function trueEffects(text: string): Float64Array {
  return Float64Array.from(text.trim().split('\n'), (line) => {
    const cells = line.split(',').map(Number);
    return (cells[4] as number) - (cells[3] as number);
  });
}

function rootMeanSquare(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += ((a[i] as number) - (b[i] as number)) ** 2;
  return Math.sqrt(s / a.length);
}

export async function main(
  options: { data?: string; out?: string; seed?: number } = {},
  log: (line: string) => void = console.log,
): Promise<{ result: CausalResult; pehe: number; trueAte: number }> {
  const path = options.data ?? DEFAULT_DATA;
  const bytes = await readFile(path);
  // y_cfactual, mu0 and mu1 are what a real study never sees: they must not be covariates.
  const data = await readCausalCsv(bytes, {
    treatment: 'treatment',
    outcome: 'y_factual',
    exclude: ['y_cfactual', 'mu0', 'mu1'],
    columns: COLUMNS,
    name: 'ihdp_npci_1.csv',
  });
  const result = await runCausalPipeline(
    'causal-dr',
    {
      data,
      model: {
        id: 'ihdp-home-visits',
        name: 'IHDP home visits: effect on cognitive score (benchmark)',
        version: '1.0.0',
        intendedUse:
          'Teaching and benchmarking: estimates how much specialist home visits change a low-birth-weight child’s cognitive test score, from 25 baseline covariates.',
        limitations: [
          'Semi-synthetic benchmark: the outcomes were simulated (Hill 2011, response surface B); the effects are not real.',
          'Treated children were made unrepresentative on purpose, so overlap is poor; effects for children unlike the treated rest on extrapolation.',
        ],
        dataSource:
          'IHDP (Infant Health and Development Program) covariates with simulated outcomes, replication 1 (Hill 2011; CEVAE distribution)',
        population: 'Low-birth-weight, premature infants in the IHDP trial (1985–1988)',
      },
      params: { trim: 0.1 },
    },
    { runtime: nodeRuntime, seed: options.seed ?? 1 },
  );
  const out = options.out ?? join(here, 'bundles/ihdp-home-visits');
  await writeBundleFiles(out, result.files, { overwrite: true });

  log(formatCausalSummary(result));
  const tau = trueEffects(new TextDecoder().decode(bytes));
  const trueAte = tau.reduce((a, b) => a + b, 0) / tau.length;
  const pehe = rootMeanSquare(result.cate.effects, tau);
  log(`Against the simulation's truth (mu1 − mu0; never used in fitting):`);
  log(
    `  true sample ATE ${trueAte.toFixed(3)}; estimate ${result.ate.value.toFixed(3)} (error ${(result.ate.value - trueAte).toFixed(3)})`,
  );
  log(
    `  in-sample sqrt(PEHE): ${pehe.toFixed(3)} (${result.cate.learner === 'dr' ? 'DR-learner' : 'T-learner'}, exported); baseline ${result.cate.baseline.learner === 't' ? 'T-learner' : 'DR-learner'} ${rootMeanSquare(result.cate.baseline.effects, tau).toFixed(3)}; a constant effect ${rootMeanSquare(new Float64Array(tau.length).fill(result.ate.value), tau).toFixed(3)}`,
  );
  log(`Bundle written to ${out}`);

  // Use the bundle as an application would: one child's estimated effect and what drives it.
  const bundle = await loadBundle(out);
  const predictor = await createPredictor(bundle);
  const explainer = await createExplainer(bundle, { runtime: nodeRuntime });
  try {
    const child = Object.fromEntries(
      data.covariates.map((c) => [c.name, c.type === 'boolean' ? c.values[0] === 1 : (c.values[0] as number)]),
    );
    const estimate = await predictor.predictEffect(child);
    const explanation = await explainer.explain(estimate.values);
    const top = [...explanation.contributions].sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution)).slice(0, 3);
    log(
      `Child 1: estimated effect ${estimate.effect.toFixed(2)} points (true ${(tau[0] as number).toFixed(2)}); average ${explanation.base.toFixed(2)}, moved most by ${top
        .map((c) => `${c.label} (${c.contribution >= 0 ? '+' : ''}${c.contribution.toFixed(2)})`)
        .join(', ')}`,
    );
  } finally {
    await explainer.release();
    await predictor.release();
  }
  return { result, pehe, trueAte };
}

if (process.argv[1] === import.meta.filename) {
  const flag = (name: string) => {
    const at = process.argv.indexOf(name);
    return at > 0 ? process.argv[at + 1] : undefined;
  };
  const data = flag('--data');
  const seed = flag('--seed');
  await main({ ...(data ? { data } : {}), ...(seed ? { seed: Number(seed) } : {}) });
}
