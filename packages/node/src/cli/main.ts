import type { LoadBundleOptions } from '@cairn/core';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { readTrustedKeys } from '../keys.js';
import { VERSION } from '../version.js';
import { createBundleCommand, packBundleCommand, signBundleCommand, verifyBundleCommand } from './bundle.js';
import { explainCommand } from './explain.js';
import { fhirAssessCommand, fhirFeaturesCommand } from './fhir.js';
import { inspectCommand } from './inspect.js';
import { type CliIO, ExitError, printError } from './io.js';
import { predictCommand } from './predict.js';
import { reportCommand } from './report.js';
import { trainCommand } from './train.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

async function loadOptions(io: CliIO, keys: string[] | undefined): Promise<LoadBundleOptions> {
  const fromEnv = (io.env.CAIRN_TRUSTED_KEYS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const paths = [...(keys ?? []), ...fromEnv];
  if (paths.length === 0) return {};
  const { resolve } = await import('node:path');
  return { trustedKeys: await readTrustedKeys(paths.map((p) => resolve(io.cwd, p))) };
}

/** Extra commands contributed by other modules (training, explanations, FHIR, reports). */
export type CommandRegistrar = (program: Command, io: CliIO, run: (action: () => Promise<unknown>) => Promise<void>) => void;

const registrars: CommandRegistrar[] = [];

/** Registers more CLI commands; used by the modules that add `train`, `explain`, `fhir`, `report`. */
export function registerCommands(registrar: CommandRegistrar): void {
  registrars.push(registrar);
}

/** Runs the `cairn` CLI with arguments (without `node` and script); returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  let exitCode = 0;
  const run = async (action: () => Promise<unknown>): Promise<void> => {
    try {
      const code = await action();
      if (typeof code === 'number') exitCode = code;
    } catch (error) {
      if (error instanceof ExitError) {
        exitCode = error.exitCode;
        return;
      }
      printError(io, error);
      exitCode = 1;
    }
  };

  const program = new Command('cairn')
    .description('Cairn: clinical prediction model bundles — inspect, create, sign, predict.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(run cairn --help for usage)');

  program
    .command('inspect')
    .description('show the inputs, outputs, operators and features of a bundle or an ONNX model')
    .argument('<path>', 'bundle folder, .cairn archive, or model.onnx')
    .option('--json', 'print JSON')
    .option('--trusted-key <pem>', 'public key trusted to sign bundles (repeatable; also CAIRN_TRUSTED_KEYS)', collect)
    .action((path: string, opts: { json?: boolean; trustedKey?: string[] }) =>
      run(async () => inspectCommand(io, path, { json: opts.json ?? false, trustedKeys: await loadOptions(io, opts.trustedKey) })),
    );

  const bundle = program.command('bundle').description('create, sign, verify and pack model bundles');
  bundle
    .command('create')
    .description('wrap an ONNX model trained elsewhere (scikit-learn, XGBoost, LightGBM) into a checked bundle')
    .requiredOption('--onnx <file>', 'the ONNX model')
    .requiredOption(
      '--features <file>',
      'features.json: id, name, version, intendedUse, limitations, features, and optionally inputs/output',
    )
    .option('--reference <csv>', 'background rows for explanations and drift (extra columns are ignored)')
    .addOption(new Option('--reference-rows <n>', 'most reference rows kept (sampled)').argParser(positiveInt).default(1000))
    .requiredOption('--out <path>', 'bundle folder, or a file ending in .cairn')
    .option('--force', 'replace an existing bundle')
    .action((opts) => run(() => createBundleCommand(io, { ...opts, referenceRows: opts.referenceRows })));
  bundle
    .command('sign')
    .description('sign a bundle with a private key (JWS over the manifest, which carries the model hash)')
    .requiredOption('--bundle <path>', 'bundle folder or .cairn archive')
    .requiredOption('--key <pem>', 'PEM private key (EC P-256/384/521, Ed25519 or RSA)')
    .action((opts) => run(() => signBundleCommand(io, opts)));
  bundle
    .command('verify')
    .description('verify a bundle signature against trusted public keys')
    .requiredOption('--bundle <path>', 'bundle folder or .cairn archive')
    .option('--trusted-key <pem>', 'trusted public key (repeatable; also CAIRN_TRUSTED_KEYS)', collect)
    .action((opts) => run(async () => verifyBundleCommand(io, { bundle: opts.bundle, load: await loadOptions(io, opts.trustedKey) })));
  bundle
    .command('pack')
    .description('pack a bundle folder into one .cairn archive')
    .argument('<folder>', 'bundle folder')
    .requiredOption('--out <file>', 'archive path ending in .cairn')
    .option('--force', 'replace an existing archive')
    .action((folder: string, opts) => run(() => packBundleCommand(io, { bundle: folder, ...opts })));

  program
    .command('predict')
    .description('score one patient (JSON) or a batch (JSON array or CSV)')
    .requiredOption('--bundle <path>', 'bundle folder or .cairn archive')
    .requiredOption('--input <file>', 'patient.json, patients.json (array) or patients.csv')
    .option('--out <file>', 'write results here (CSV for CSV input, JSON for JSON input) instead of stdout')
    .addOption(new Option('--chunk-size <n>', 'rows per inference call').argParser(positiveInt).default(4096))
    .option('--progress', 'always show a progress bar (default: on a terminal for files over 1 MB)')
    .option('--no-progress', 'never show a progress bar')
    .option('--ignore-unknown', 'ignore input columns that are not features (an id column is always kept)')
    .option('--trusted-key <pem>', 'trusted public key (repeatable; also CAIRN_TRUSTED_KEYS)', collect)
    .action((opts) =>
      run(async () =>
        predictCommand(io, {
          bundle: opts.bundle,
          input: opts.input,
          out: opts.out,
          chunkSize: opts.chunkSize,
          progress: opts.progress,
          ignoreUnknown: opts.ignoreUnknown,
          load: await loadOptions(io, opts.trustedKey),
        }),
      ),
    );

  program
    .command('explain')
    .description('explain predictions: one SHAP contribution per feature (CSV in, CSV out; or JSON with a narrative)')
    .requiredOption('--bundle <path>', 'bundle folder or .cairn archive')
    .requiredOption('--input <file>', 'patients.csv, or patient.json / patients.json')
    .option('--out <file>', 'contributions.csv (or .json) instead of stdout')
    .addOption(new Option('--space <space>', 'output space').choices(['margin', 'probability']).default('margin'))
    .addOption(
      new Option('--method <method>', 'explanation method')
        .choices(['auto', 'tree-path', 'tree-interventional', 'linear', 'kernel'])
        .default('auto'),
    )
    .addOption(new Option('--chunk-size <n>', 'rows per batch').argParser(positiveInt).default(1024))
    .option('--progress', 'always show a progress bar')
    .option('--no-progress', 'never show a progress bar')
    .option('--ignore-unknown', 'ignore input columns that are not features')
    .option('--trusted-key <pem>', 'trusted public key (repeatable; also CAIRN_TRUSTED_KEYS)', collect)
    .action((opts) =>
      run(async () =>
        explainCommand(io, {
          bundle: opts.bundle,
          input: opts.input,
          out: opts.out,
          space: opts.space,
          method: opts.method,
          chunkSize: opts.chunkSize,
          progress: opts.progress,
          ignoreUnknown: opts.ignoreUnknown,
          load: await loadOptions(io, opts.trustedKey),
        }),
      ),
    );

  program
    .command('report')
    .description('build the report for one patient: prediction, factors, model card (PDF, HTML or text)')
    .requiredOption('--bundle <path>', 'bundle folder or .cairn archive')
    .requiredOption('--input <file>', 'patient.json')
    .requiredOption('--out <file>', 'report.pdf, report.html or report.txt')
    .addOption(new Option('--format <format>', 'output format (default: from --out)').choices(['pdf', 'html', 'text']))
    .option('--institution <name>', 'institution name in the header')
    .option('--logo <file>', 'PNG or JPEG logo for the header')
    .addOption(new Option('--page-size <size>', 'PDF page size').choices(['A4', 'Letter']).default('A4'))
    .option('--trusted-key <pem>', 'trusted public key (repeatable; also CAIRN_TRUSTED_KEYS)', collect)
    .action((opts) =>
      run(async () =>
        reportCommand(io, {
          bundle: opts.bundle,
          input: opts.input,
          out: opts.out,
          format: opts.format,
          institution: opts.institution,
          logo: opts.logo,
          pageSize: opts.pageSize,
          load: await loadOptions(io, opts.trustedKey),
        }),
      ),
    );

  program
    .command('train')
    .description('train a model from a CSV into an evaluated, explainable bundle')
    .requiredOption('--data <csv>', 'training data (CSV or TSV)')
    .option('--target <expr>', 'classification: target column and positive condition, e.g. "num > 0" or "Outcome == 1"')
    .option('--treatment <column>', 'treatment effects (causal-dr): the binary treatment column')
    .option('--treated <condition>', 'treatment effects: which value means treated, e.g. "arm == drug" (default: 1/true/yes)')
    .option('--outcome <column>', 'treatment effects: the outcome column (numeric or binary)')
    .option('--columns <names>', 'comma-separated column names for a file without a header row')
    .addOption(new Option('--missing-outcome <policy>', 'treatment effects: rows without an outcome').choices(['error', 'drop']))
    .requiredOption('--out <path>', 'bundle folder, or a file ending in .cairn')
    .option('--pipeline <id>', 'logistic, gbdt, random-forest, or causal-dr (treatment effects)', 'gbdt')
    .option('--test <csv>', 'a separate test file (otherwise a stratified split)')
    .addOption(
      new Option('--trials <n>', 'hyperparameter search trials (0: defaults)')
        .argParser((v) => (v === '0' ? 0 : positiveInt(v)))
        .default(0),
    )
    .addOption(new Option('--folds <n>', 'cross-validation folds for the search').argParser(positiveInt).default(5))
    .option('--objective <objective>', 'search objective: roc-auc, f1, f2, recall@precision=0.8', 'roc-auc')
    .option('--threshold <rule>', 'threshold: f1, f2, recall=0.9 (screening) or a probability', 'f1')
    .option('--missing <tokens>', "comma-separated cells that mean missing (default '', ?, NA, NaN, null)")
    .option('--missing-in <column:values>', 'extra missing values in one column, e.g. Glucose:0 (repeatable)', collect)
    .option('--exclude <columns>', 'comma-separated columns to leave out (ids, leakage)')
    .option('--schema <json>', 'column types, labels, units and categories')
    .option('--card <json>', 'model description: id, name, intendedUse, limitations, population, …')
    .option('--id <id>', 'model id (default: the output name)')
    .option('--name <name>', 'model name')
    .option('--model-version <semver>', 'model version', undefined)
    .option('--intended-use <text>', 'who uses the model, for whom, for what decision')
    .option('--limitation <text>', 'a known limitation (repeatable)', collect)
    .option('--params <json>', 'hyperparameters of the pipeline')
    .addOption(new Option('--seed <n>', 'random seed').argParser(positiveInt).default(1))
    .option('--no-shap', 'skip the SHAP summary in the model card')
    .option('--force', 'replace an existing bundle')
    .option('--progress', 'always show a progress bar')
    .option('--no-progress', 'never show a progress bar')
    .action((opts) => run(() => trainCommand(io, opts)));

  const fhir = program.command('fhir').description('read features from FHIR R4 records');
  const fhirOptions = (cmd: Command) =>
    cmd
      .requiredOption('--bundle <path>', 'bundle folder or .cairn archive')
      .requiredOption('--fhir <file>', 'a FHIR Bundle (searchset, collection or transaction) or an array of resources')
      .option('--mapping <json>', 'fhir-mapping.json (default: the one in the bundle)')
      .option('--as-of <date>', 'compute features as of this date (default: now)')
      .option('--patient <id>', 'the patient, when the file holds several')
      .option('--trusted-key <pem>', 'trusted public key (repeatable; also CAIRN_TRUSTED_KEYS)', collect);
  fhirOptions(fhir.command('features').description('print the feature record, provenance and missing features as JSON')).action((opts) =>
    run(async () => fhirFeaturesCommand(io, { ...opts, load: await loadOptions(io, opts.trustedKey) })),
  );
  fhirOptions(fhir.command('assess').description('features, prediction with explanation, and a validated FHIR RiskAssessment')).action(
    (opts) => run(async () => fhirAssessCommand(io, { ...opts, load: await loadOptions(io, opts.trustedKey) })),
  );

  for (const register of registrars) register(program, io, run);

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help' ? 0 : 2;
    }
    printError(io, error);
    return 1;
  }
  return exitCode;
}
