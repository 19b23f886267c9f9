import type { BundleSpec, FeatureRecord } from '@cairn/core';

/** Path of shared/models/skl2onnx-docs relative to this file (../shared beside the repository). */
export const sharedModelsUrl = new URL('../../../../../shared/models/skl2onnx-docs/', import.meta.url);

const iris = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] as const;

function numeric(names: readonly string[]): BundleSpec['features'] {
  return names.map((name) => ({ name, label: name.replace('_', ' '), type: 'number' as const, unit: 'cm' }));
}

const card = { version: '1.0.0', intendedUse: 'Testing explanations on real scikit-learn exports.', limitations: ['Not patients.'] };

function irisRow(width: number) {
  return (r: () => number): FeatureRecord => {
    const row: Record<string, number> = {
      sepal_length: 4 + r() * 4,
      sepal_width: 2 + r() * 2.5,
      petal_length: 1 + r() * 6,
      petal_width: r() * 2.5,
    };
    return Object.fromEntries(iris.slice(0, width).map((k) => [k, Math.round((row[k] as number) * 10) / 10]));
  };
}

function titanic(id: string, output: string, pclassDtype: 'string' | 'int64'): BundleSpec {
  return {
    id,
    name: 'Titanic survival',
    ...card,
    features: [
      {
        name: 'pclass',
        label: 'Passenger class',
        type: 'category',
        categories: ['1', '2', '3'].map((v) => ({ value: pclassDtype === 'string' ? v : Number(v), label: `Class ${v}` })),
      },
      { name: 'sex', label: 'Sex', type: 'category', categories: ['female', 'male'].map((v) => ({ value: v, label: v })) },
      { name: 'age', label: 'Age', type: 'number', unit: 'a', required: false },
      { name: 'fare', label: 'Fare', type: 'number', required: false },
      {
        name: 'embarked',
        label: 'Port of embarkation',
        type: 'category',
        categories: [
          { value: 'C', label: 'Cherbourg' },
          { value: 'Q', label: 'Queenstown' },
          { value: 'S', label: 'Southampton' },
          { value: 'missing', label: 'Unknown' },
        ],
      },
    ],
    output: { name: output, positiveClass: 1 },
  };
}

function titanicRow(pclassDtype: 'string' | 'int64') {
  return (r: () => number): FeatureRecord => ({
    pclass: pclassDtype === 'string' ? String(1 + Math.floor(r() * 3)) : 1 + Math.floor(r() * 3),
    sex: r() < 0.5 ? 'female' : 'male',
    age: r() < 0.15 ? null : Math.round(r() * 70),
    fare: r() < 0.1 ? null : Math.round(r() * 2000) / 10,
    embarked: ['C', 'Q', 'S', 'missing'][Math.floor(r() * 4)] as string,
  });
}

/** Every model in shared/models/skl2onnx-docs as a bundle spec (3-class iris models with a chosen positive class). */
export const sharedModels: Record<string, { spec: BundleSpec; row: (r: () => number) => FeatureRecord; family: 'tree' | 'linear' }> = {
  'logreg_iris.onnx': {
    spec: {
      id: 'logreg-iris',
      name: 'Logistic regression',
      ...card,
      features: numeric(iris.slice(0, 2)),
      output: { name: 'output_probability', positiveClass: 2 },
    },
    row: irisRow(2),
    family: 'linear',
  },
  'simplified_logreg_iris.onnx': {
    spec: {
      id: 'simple-logreg',
      name: 'Simplified logistic regression',
      ...card,
      features: numeric(iris),
      output: { name: 'probabilities', positiveClass: 0 },
    },
    row: irisRow(4),
    family: 'linear',
  },
  'rf_iris.onnx': {
    spec: {
      id: 'rf-iris',
      name: 'Random forest',
      ...card,
      features: numeric(iris),
      output: { name: 'output_probability', positiveClass: 1 },
    },
    row: irisRow(4),
    family: 'tree',
  },
  'pipeline_xgboost.onnx': {
    spec: {
      id: 'xgb-iris',
      name: 'XGBoost pipeline',
      ...card,
      features: numeric(iris.slice(0, 2)),
      output: { name: 'output_probability', positiveClass: 2 },
    },
    row: irisRow(2),
    family: 'tree',
  },
  'pipeline_lightgbm.onnx': {
    spec: {
      id: 'lgbm-iris',
      name: 'LightGBM pipeline',
      ...card,
      features: numeric(iris.slice(0, 2)),
      output: { name: 'output_probability', positiveClass: 0 },
    },
    row: irisRow(2),
    family: 'tree',
  },
  'pipeline_titanic.onnx': { spec: titanic('titanic', 'output_probability', 'string'), row: titanicRow('string'), family: 'linear' },
  'pipeline_titanic_nozipmap.onnx': {
    spec: titanic('titanic-nozipmap', 'probabilities', 'int64'),
    row: titanicRow('int64'),
    family: 'linear',
  },
};
