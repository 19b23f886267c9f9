import { defaultMessages, formatPercent, mergeMessages, resultView } from '@cairn/web-components';
import { describe, expect, it } from 'vitest';
import { manifest } from './__fixtures__/manifest.js';

const prediction = {
  probability: 0.347,
  threshold: 0.5,
  band: { id: 'medium', label: 'Medium risk' },
  modelId: 'heart-test',
  modelVersion: '1.2.0',
};

describe('result view', () => {
  it('puts probability, band, threshold and model version into words', () => {
    const view = resultView(prediction, manifest, defaultMessages);
    expect(view).toMatchObject({
      probabilityText: '35%',
      bandLabel: 'Medium risk',
      bandIndex: 1,
      bandCount: 3,
      bandText: '',
      thresholdText: 'Below the decision threshold of 50%',
      modelText: 'Heart disease risk (test), version 1.2.0',
    });
    expect(view.segments.map((s) => [s.id, s.from, s.to])).toEqual([
      ['low', 0, 0.2],
      ['medium', 0.2, 0.5],
      ['high', 0.5, 1],
    ]);
  });

  it('takes the band wording from the message table, else from the manifest', () => {
    const low = { ...prediction, probability: 0.1, band: { id: 'low', label: 'Low risk' } };
    expect(resultView(low, manifest, defaultMessages).bandText).toBe('Routine care');
    expect(resultView(low, manifest, mergeMessages({ bands: { low: 'Reassure' } })).bandText).toBe('Reassure');
    expect(resultView({ ...prediction, probability: 0.5 }, manifest, defaultMessages).thresholdText).toBe(
      'At or above the decision threshold of 50%',
    );
  });

  it('keeps a decimal near 0 and 100 % so small risks do not read as zero', () => {
    expect(formatPercent(0.004, 'en')).toBe('0.4%');
    expect(formatPercent(0.9951, 'en')).toBe('99.5%');
    expect(formatPercent(0.5, 'en')).toBe('50%');
  });
});
