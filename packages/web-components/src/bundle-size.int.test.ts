import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildStandalone, staticClosure } from './__fixtures__/harness.js';

describe('standalone bundle size', () => {
  it('keeps the initial widget JS small: no onnxruntime-web, pdf-lib, uPlot or FHIR adapter before they are needed', async () => {
    const dir = await buildStandalone();
    const files = staticClosure(dir);
    const code = files.map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
    const gzipped = gzipSync(code, { level: 9 }).byteLength;
    expect(gzipped).toBeLessThan(60 * 1024);
    expect(code).not.toMatch(/InferenceSession\.create|PDFDocument\.create|UcumLhcUtils/);
    // Each of those is a chunk of its own, loaded with import() on first use.
    expect(files.some((f) => /ort|pdf|uPlot|read-patient/.test(f))).toBe(false);
  }, 120_000);
});
