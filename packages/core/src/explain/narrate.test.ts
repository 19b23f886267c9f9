import { type Explanation, narrate, narrativeMessages, summarizeExplanations } from '@cairn/core';
import { describe, expect, it } from 'vitest';

function explanation(contributions: Array<[string, number | string | boolean | null, number, string?]>, probability = 0.234): Explanation {
  return {
    modelId: 'm',
    modelVersion: '1.0.0',
    method: 'tree-path',
    space: 'log-odds',
    base: -1,
    output: -1 + contributions.reduce((s, c) => s + c[2], 0),
    probability,
    additivityError: 0,
    contributions: contributions.map(([feature, value, contribution, unit]) => ({
      feature,
      label: feature[0]?.toUpperCase() + feature.slice(1),
      value,
      ...(unit ? { unit } : {}),
      ...(feature === 'cp' ? { valueLabel: 'Asymptomatic' } : {}),
      contribution,
    })),
  };
}

describe('narrate', () => {
  const e = explanation([
    ['age', 67, 0.8, 'a'],
    ['chol', 233.456, 0.3, 'mg/dL'],
    ['smoker', false, -0.5],
    ['cp', 4, 0.1],
    ['bmi', null, -0.2, 'kg/m2'],
    ['sodium', 140, 0.001, 'mmol/L'],
  ]);

  it('names the top factors each way, largest first, with values and units in words', () => {
    const n = narrate(e, { topN: 2 });
    expect(n.raising.map((f) => f.feature)).toEqual(['age', 'chol']);
    expect(n.lowering.map((f) => f.feature)).toEqual(['smoker', 'bmi']);
    expect(n.text).toBe(
      'Estimated risk: 23.4%. Raising the risk: Age (67 years) and Chol (233.46 mg/dL). Lowering the risk: Smoker (no) and Bmi (not recorded).',
    );
    expect(n.sentences).toHaveLength(3);
  });

  it('leaves out negligible factors and uses category labels', () => {
    const n = narrate(e, { topN: 10 });
    expect(n.raising.map((f) => f.text)).toEqual(['Age (67 years)', 'Chol (233.46 mg/dL)', 'Cp (Asymptomatic)']);
  });

  it('takes its words from one message table', () => {
    const de = {
      ...narrativeMessages,
      locale: 'de',
      intro: 'Geschätztes Risiko: {probability}.',
      raising: 'Erhöhen das Risiko: {factors}.',
      lowering: 'Senken das Risiko: {factors}.',
      noLowering: 'Nichts senkt das Risiko deutlich.',
      lastSeparator: ' und ',
      no: 'nein',
      units: { a: 'Jahre' },
    };
    const n = narrate(
      explanation(
        [
          ['age', 67.5, 1, 'a'],
          ['chol', 2.5, 0.5],
        ],
        0.5,
      ),
      { messages: de },
    );
    // German puts a no-break space before the percent sign.
    expect(n.text.replace(/\u00a0/g, ' ')).toBe(
      'Geschätztes Risiko: 50 %. Erhöhen das Risiko: Age (67,5 Jahre) und Chol (2,5). Nichts senkt das Risiko deutlich.',
    );
  });

  it('refuses bad options', () => {
    expect(() => narrate(e, { topN: -1 })).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
  });
});

describe('summarizeExplanations', () => {
  it('gives mean |contribution| per feature, sorted, and beeswarm data', () => {
    const list = [
      explanation([
        ['age', 40, 0.2],
        ['sex', 'male', -1],
        ['smoker', true, 0],
      ]),
      explanation([
        ['age', 80, 0.6],
        ['sex', 'female', 0.5],
        ['smoker', false, 0],
      ]),
      explanation([
        ['age', 60, -0.4],
        ['sex', null, 0.3],
        ['smoker', true, 0],
      ]),
    ];
    const s = summarizeExplanations(list);
    expect(s.count).toBe(3);
    expect(s.features.map((f) => f.feature)).toEqual(['sex', 'age', 'smoker']);
    const age = s.features[1];
    expect(age?.meanAbsContribution).toBeCloseTo(0.4, 12);
    expect(age?.meanContribution).toBeCloseTo(0.4 / 3, 12);
    expect(age?.contributions).toEqual([0.2, 0.6, -0.4]);
    expect(age?.colors).toEqual([0, 1, 0.5]);
    expect(s.features[0]?.colors).toEqual([1, 0, null]);
    expect(s.features[2]?.colors).toEqual([1, 0, 1]);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  it('refuses explanations of different models or spaces', () => {
    const a = explanation([['age', 1, 1]]);
    expect(() => summarizeExplanations([a, { ...a, space: 'probability' }])).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    expect(() => summarizeExplanations([])).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
  });
});
