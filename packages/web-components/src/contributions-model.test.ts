import { contributionChart, defaultMessages } from '@cairn/web-components';
import { describe, expect, it } from 'vitest';

const explanation = {
  space: 'log-odds',
  contributions: [
    { feature: 'age', label: 'Age', value: 67, unit: 'a', contribution: 0.4 },
    { feature: 'sex', label: 'Male sex', value: true, contribution: -0.9 },
    { feature: 'cp', label: 'Chest pain', value: 4, valueLabel: 'Asymptomatic', contribution: 1.25 },
    { feature: 'chol', label: 'Cholesterol', value: null, contribution: 0.05 },
    { feature: 'a', label: 'A', value: 1, contribution: -0.02 },
    { feature: 'b', label: 'B', value: 2, contribution: 0.01 },
  ],
};

describe('contribution chart', () => {
  it('sorts by size, keeps the top N and sums the rest into one bar', () => {
    const chart = contributionChart(explanation, defaultMessages, 3);
    expect(chart.bars.map((b) => b.key)).toEqual(['cp', 'sex', 'age', 'others']);
    const others = chart.bars[3];
    expect(others?.count).toBe(3);
    expect(others?.contribution).toBeCloseTo(0.04, 12);
    expect(others?.label).toBe('3 other features');
    expect(chart.maxAbs).toBe(1.25);
    expect(chart.caption).toContain('log-odds');
  });

  it('gives each bar its direction, value in words and a sentence for screen readers', () => {
    const chart = contributionChart(explanation, defaultMessages, 8);
    const byKey = Object.fromEntries(chart.bars.map((b) => [b.key, b]));
    expect(byKey.sex).toMatchObject({ direction: 'lowers', valueText: 'Yes', amountText: '−0.9' });
    expect(byKey.cp).toMatchObject({ direction: 'raises', valueText: 'Asymptomatic', amountText: '+1.25' });
    expect(byKey.age?.description).toBe('Age (67 years) raises the risk by 0.4');
    expect(byKey.chol?.valueText).toBe('Not recorded');
    expect(chart.bars).toHaveLength(6);
  });

  it('does not hide a single leftover feature behind "1 other feature"', () => {
    expect(contributionChart(explanation, defaultMessages, 5).bars.map((b) => b.key)).toEqual(['cp', 'sex', 'age', 'chol', 'a', 'b']);
  });

  it('shows probability contributions as percentage points', () => {
    const chart = contributionChart(
      { space: 'probability', contributions: [{ feature: 'x', label: 'X', value: 1, contribution: -0.123 }] },
      defaultMessages,
    );
    expect(chart.bars[0]?.amountText).toBe('−12%');
  });
});
