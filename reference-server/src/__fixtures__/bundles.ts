// Tiny trained bundles for tests (a few trees, few bootstrap resamples), built once per test file.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from '../config.js';
import { EXAMPLES, trainExample } from '../seed.js';

export const DATASETS = join(REPO_ROOT, '..', 'shared', 'datasets');

const cache = new Map<string, Promise<Uint8Array>>();

/** A heart-disease bundle archive with 5 trees (and the example FHIR mapping), under a given id and version. */
export function heartArchive(id = 'heart-test', version = '1.0.0'): Promise<Uint8Array> {
  const key = `heart:${id}@${version}`;
  let p = cache.get(key);
  if (!p) {
    p = (async () =>
      trainExample(
        EXAMPLES[0] as (typeof EXAMPLES)[number],
        new Uint8Array(await readFile(join(DATASETS, 'heart-cleveland.csv'))),
        { trees: 5 },
        {
          id,
          version,
        },
      ))();
    cache.set(key, p);
  }
  return p;
}

/** A valid heart-disease patient for the example model. */
export const PATIENT = {
  age: 63,
  sex: true,
  cp: 1,
  trestbps: 145,
  chol: 233,
  fbs: true,
  restecg: 2,
  thalach: 150,
  exang: false,
  oldpeak: 2.3,
  slope: 3,
  ca: 0,
  thal: 6,
} as const;
