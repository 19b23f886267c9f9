import { CairnError, manifestJsonSchema, parseManifest } from '@cairn/core';
import { describe, expect, it } from 'vitest';
import { heartManifest } from './__fixtures__/manifests.js';

function issuesOf(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CairnError);
    return (error as CairnError).issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  }
  throw new Error('expected an error');
}

describe('parseManifest', () => {
  it('parses a valid manifest and applies defaults', () => {
    const m = parseManifest(heartManifest());
    expect(m.threshold).toBe(0.5);
    expect(m.features[0]?.required).toBe(true);
    expect(m.output.kind).toBe('probabilities');
    expect(m.inputs.layout === 'tensor' && m.inputs.dtype).toBe('float32');
  });

  it('accepts JSON text and reports malformed JSON as a format issue', () => {
    expect(parseManifest(JSON.stringify(heartManifest())).id).toBe('heart-test');
    const issues = issuesOf(() => parseManifest('{ "id": '));
    expect(issues[0]).toMatch(/not valid JSON/);
  });

  it('reports every structural problem at once', () => {
    const m = heartManifest();
    const issues = issuesOf(() =>
      parseManifest({
        ...m,
        version: '1.2',
        schemaVersion: 2,
        features: [...m.features, { name: 'age', label: 'Again', type: 'number' }, { name: 'kind', label: 'Kind', type: 'category' }],
        inputs: { layout: 'tensor', name: 'input', columns: [...m.inputs.columns, { feature: 'nope' }, { feature: 'cp', oneHot: 7 }] },
        riskBands: [
          { id: 'a', label: 'A', below: 0.5 },
          { id: 'b', label: 'B', below: 0.3 },
          { id: 'c', label: 'C' },
        ],
        extra: true,
      } as never),
    );
    const text = issues.join('\n');
    expect(text).toMatch(/version: must be a semantic version/);
    expect(text).toMatch(/schemaVersion/);
    expect(text).toMatch(/extra/);
  });

  it('checks cross-field rules', () => {
    const m = heartManifest();
    const text = issuesOf(() =>
      parseManifest({
        ...m,
        features: [...m.features, { name: 'age', label: 'Again', type: 'number' }, { name: 'kind', label: 'Kind', type: 'category' }],
        inputs: {
          layout: 'tensor',
          name: 'input',
          columns: [...(m.inputs.columns as never[]), { feature: 'nope' }, { feature: 'cp', oneHot: 7 }],
        },
        riskBands: [
          { id: 'a', label: 'A', below: 0.5 },
          { id: 'b', label: 'B', below: 0.3 },
          { id: 'c', label: 'C' },
        ],
      }),
    ).join('\n');
    expect(text).toMatch(/features.5.categories: category features need categories/);
    expect(text).toMatch(/duplicate feature 'age'/);
    expect(text).toMatch(/unknown feature 'nope'/);
    expect(text).toMatch(/'7' is not a category of 'cp'/);
    expect(text).toMatch(/bands must be in increasing order/);
  });

  it('requires clinical context: intended use and limitations', () => {
    const { intendedUse: _, ...rest } = heartManifest();
    const text = issuesOf(() => parseManifest({ ...rest, limitations: [] })).join('\n');
    expect(text).toMatch(/intendedUse/);
    expect(text).toMatch(/limitations/);
  });

  it('publishes a JSON Schema that describes the same fields', () => {
    const schema = manifestJsonSchema() as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['features', 'inputs', 'output', 'riskBands', 'model']));
    expect(schema.required).toEqual(expect.arrayContaining(['schemaVersion', 'id', 'intendedUse', 'features']));
  });
});

describe('published JSON Schema', () => {
  it('is up to date with the zod schema (regenerate with npm run schema)', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const published = JSON.parse(readFileSync(join(import.meta.dirname, '../schema/cairn.schema.json'), 'utf8'));
    const { title: _title, ...rest } = published;
    expect(rest).toEqual(manifestJsonSchema());
  });
});
