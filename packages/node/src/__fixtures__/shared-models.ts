import { join } from 'node:path';
import type { BundleSpec } from '@cairn/node';

/** Where the shared material lives in a checkout (../shared beside the repository). */
export const sharedDir = join(import.meta.dirname, '../../../../../shared');

const iris = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] as const;

function numeric(names: readonly string[]): BundleSpec['features'] {
  return names.map((name) => ({ name, label: name.replace('_', ' '), type: 'number' as const, unit: 'cm' }));
}

const card = {
  intendedUse: 'Conformance testing of the Cairn loader on real scikit-learn exports.',
  limitations: ['Iris flowers, not patients.'],
};

/** Bundle specs for each model in shared/models/skl2onnx-docs, with how to make a random row. */
export const sharedModelSpecs: Record<string, { spec: BundleSpec; row: (r: () => number) => Record<string, unknown> }> = {
  'logreg_iris.onnx': {
    spec: {
      id: 'logreg-iris',
      name: 'Logistic regression (iris)',
      version: '1.0.0',
      ...card,
      features: numeric(iris.slice(0, 2)),
      output: { name: 'output_probability', positiveClass: 2 },
    },
    row: (r) => ({ sepal_length: 4 + r() * 4, sepal_width: 2 + r() * 2.5 }),
  },
  'simplified_logreg_iris.onnx': {
    spec: {
      id: 'simplified-logreg-iris',
      name: 'Simplified logistic regression (iris)',
      version: '1.0.0',
      ...card,
      features: numeric(iris),
      output: { name: 'probabilities', positiveClass: 0 },
    },
    row: (r) => ({ sepal_length: 4 + r() * 4, sepal_width: 2 + r() * 2.5, petal_length: 1 + r() * 6, petal_width: r() * 2.5 }),
  },
  'rf_iris.onnx': {
    spec: {
      id: 'rf-iris',
      name: 'Random forest (iris)',
      version: '1.0.0',
      ...card,
      features: numeric(iris),
      output: { name: 'output_probability', positiveClass: 1 },
    },
    row: (r) => ({ sepal_length: 4 + r() * 4, sepal_width: 2 + r() * 2.5, petal_length: 1 + r() * 6, petal_width: r() * 2.5 }),
  },
  'pipeline_xgboost.onnx': {
    spec: {
      id: 'xgb-iris',
      name: 'XGBoost pipeline (iris)',
      version: '1.0.0',
      ...card,
      features: numeric(iris.slice(0, 2)),
      output: { name: 'output_probability', positiveClass: 2 },
    },
    row: (r) => ({ sepal_length: 4 + r() * 4, sepal_width: 2 + r() * 2.5 }),
  },
  'pipeline_lightgbm.onnx': {
    spec: {
      id: 'lgbm-iris',
      name: 'LightGBM pipeline (iris)',
      version: '1.0.0',
      ...card,
      features: numeric(iris.slice(0, 2)),
      output: { name: 'output_probability', positiveClass: 0 },
    },
    row: (r) => ({ sepal_length: 4 + r() * 4, sepal_width: 2 + r() * 2.5 }),
  },
  'pipeline_titanic.onnx': {
    spec: titanic('output_probability'),
    row: titanicRow,
  },
  'pipeline_titanic_nozipmap.onnx': {
    spec: titanic('probabilities'),
    row: titanicRow,
  },
};

function titanic(output: string): BundleSpec {
  return {
    id: 'titanic',
    name: 'Titanic survival',
    version: '1.0.0',
    intendedUse: 'Demonstration of string and int64 inputs.',
    limitations: ['Not a clinical model.'],
    features: [
      { name: 'pclass', label: 'Class', type: 'category', categories: ['1', '2', '3'].map((v) => ({ value: v, label: v })) },
      { name: 'sex', label: 'Sex', type: 'category', categories: ['female', 'male'].map((v) => ({ value: v, label: v })) },
      { name: 'age', label: 'Age', type: 'number', required: false },
      { name: 'fare', label: 'Fare', type: 'number', required: false },
      {
        name: 'embarked',
        label: 'Embarked',
        type: 'category',
        categories: ['C', 'Q', 'S', 'missing'].map((v) => ({ value: v, label: v })),
      },
    ],
    output: { name: output, positiveClass: 1 },
  };
}

function titanicRow(r: () => number): Record<string, unknown> {
  return {
    pclass: String(1 + Math.floor(r() * 3)),
    sex: r() < 0.5 ? 'female' : 'male',
    age: r() < 0.15 ? null : Math.round(r() * 70),
    fare: r() < 0.1 ? null : r() * 200,
    embarked: ['C', 'Q', 'S', 'missing'][Math.floor(r() * 4)],
  };
}
