import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from './train.js';

describe('examples/heart-disease', () => {
  it('trains, saves, loads, predicts and explains with named clinical features', async () => {
    const lines: string[] = [];
    const { result, prediction, explanation } = await main(join(mkdtempSync(join(tmpdir(), 'heart-')), 'bundle'), (l) => lines.push(l));
    expect(result.metrics.rocAuc.value).toBeGreaterThan(0.8);
    expect(result.plots.shapSummary?.features.length).toBe(13);
    expect(prediction.modelId).toBe('heart-disease');
    expect(explanation.additivityError).toBeLessThan(1e-4);
    expect(explanation.contributions.find((c) => c.feature === 'cp')?.label).toBe('Chest pain type');
    expect(lines.join('\n')).toMatch(/test ROC AUC 0\.\d+ \(95% CI/);
  });
});
