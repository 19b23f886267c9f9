import { defaultMessages, modelCardView } from '@cairn/web-components';
import { describe, expect, it } from 'vitest';
import { manifest } from './__fixtures__/manifest.js';

describe('model card view', () => {
  it('reads use, limitations, metrics with intervals and the curves that are present', () => {
    const view = modelCardView(manifest, defaultMessages);
    expect(view.title).toBe('Heart disease risk (test), version 1.2.0');
    expect(view.useFacts).toEqual([{ label: 'Intended users', text: 'Cardiologists' }]);
    expect(view.limitations).toEqual(['Small data', 'Out of scope: children']);
    expect(view.metrics).toEqual([
      { name: 'ROC AUC', value: '0.912', interval: '95% CI 0.85–0.96', dataset: 'test' },
      { name: 'Brier score', value: '0.12', interval: '', dataset: 'test' },
    ]);
    expect(view.trainingData).toBe('297 rows from heart-cleveland.csv');
    expect(view.curves.roc).toEqual({ x: [0, 0.1, 1], y: [0, 0.6, 1] });
    expect(view.curves.calibration).toEqual({ x: [0.2, 0.8], y: [0.25, 0.7] });
    expect(view.absent).toEqual(['pr']);
  });

  it('says everything is absent for a manifest without a model card', () => {
    const view = modelCardView({ ...manifest, modelCard: undefined, metrics: [] }, defaultMessages);
    expect(view.absent).toEqual(['roc', 'pr', 'calibration']);
    expect(view.metrics).toEqual([]);
    expect(view.trainingData).toBeUndefined();
  });

  it('ignores malformed curve points instead of drawing them', () => {
    const view = modelCardView(
      {
        ...manifest,
        modelCard: {
          plots: {
            roc: [
              { x: 0, y: 0 },
              { x: 'a', y: 1 },
              { x: 1, y: Number.NaN },
            ],
          },
        },
      },
      defaultMessages,
    );
    expect(view.curves.roc).toBeUndefined();
    expect(view.absent).toContain('roc');
  });
});
