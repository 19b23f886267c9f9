import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from './train.js';

describe('examples/diabetes', () => {
  it('trains with zeros read as missing, a screening threshold, and explains a patient with unmeasured values', async () => {
    const { result, prediction, explanation } = await main(join(mkdtempSync(join(tmpdir(), 'pima-')), 'bundle'), () => {});
    expect(result.metrics.rocAuc.value).toBeGreaterThan(0.75);
    expect(result.metrics.recall).toBeGreaterThan(0.8);
    const insulin = result.report.features.find((c) => c.name === 'Insulin');
    expect(insulin?.missing).toBeGreaterThan(300);
    expect(prediction.values.Insulin).toBeNull();
    expect(explanation.method).toBe('linear');
    expect(explanation.additivityError).toBeLessThan(1e-4);
  });
});
