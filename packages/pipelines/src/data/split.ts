import { CairnError, invalidArgument, issue } from '@cairn/core';
import { createRandom, shuffle } from '../random.js';
import { type Dataset, subsetDataset } from './dataset.js';

/** Options of {@link splitDataset}. */
export interface SplitOptions {
  /**
   * Fraction of rows held out for the final test (0 when a separate test file is used).
   * @defaultValue 0.2
   */
  test?: number;
  /**
   * Fraction of rows for validation (early stopping, threshold choice).
   * @defaultValue 0.2
   */
  validation?: number;
  /** @defaultValue 1 */
  seed?: number;
}

/** Train, validation and test parts of a dataset. */
export interface DatasetSplit {
  readonly train: Dataset;
  readonly validation: Dataset;
  readonly test: Dataset;
}

/** Row indices of a stratified split, each part in file order. */
export function stratifiedIndices(labels: Uint8Array, fractions: readonly number[], seed: number): number[][] {
  const random = createRandom(seed);
  const parts: number[][] = fractions.map(() => []);
  for (const cls of [0, 1]) {
    const rows: number[] = [];
    labels.forEach((l, i) => {
      if (l === cls) rows.push(i);
    });
    shuffle(rows, random);
    let start = 0;
    let cumulative = 0;
    fractions.forEach((f, k) => {
      cumulative += f;
      const end = k === fractions.length - 1 ? rows.length : Math.round(cumulative * rows.length);
      for (let i = start; i < end; i++) (parts[k] as number[]).push(rows[i] as number);
      start = end;
    });
  }
  for (const p of parts) p.sort((a, b) => a - b);
  return parts;
}

/** Splits a dataset into train, validation and test parts, stratified by class and seeded. */
export function splitDataset(data: Dataset, options: SplitOptions = {}): DatasetSplit {
  const test = options.test ?? 0.2;
  const validation = options.validation ?? 0.2;
  if (!(test >= 0 && test < 1)) throw invalidArgument('options.test', 'must be a fraction in [0, 1)');
  if (!(validation > 0 && validation < 1)) throw invalidArgument('options.validation', 'must be a fraction in (0, 1)');
  if (test + validation >= 0.9) throw invalidArgument('options', 'test and validation fractions leave too little to train on');
  const [trainRows, validRows, testRows] = stratifiedIndices(
    data.target.labels,
    [1 - test - validation, validation, test],
    options.seed ?? 1,
  ) as [number[], number[], number[]];
  const parts = { train: trainRows, validation: validRows, test: testRows };
  for (const [name, rows] of Object.entries(parts)) {
    if (name === 'test' && test === 0) continue;
    let pos = 0;
    for (const r of rows) pos += data.target.labels[r] as number;
    if (pos === 0 || pos === rows.length) {
      throw new CairnError(
        'invalid_input',
        `The ${name} part has ${rows.length} rows and only one class: the data is too small (or too unbalanced) to split`,
        { issues: [issue(['split', name], 'invalid', `${name} split needs both classes`)] },
      );
    }
  }
  return {
    train: subsetDataset(data, trainRows),
    validation: subsetDataset(data, validRows),
    test: subsetDataset(data, testRows),
  };
}
