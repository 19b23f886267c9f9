import { CairnError, createValidator, parseManifest } from '@cairn/core';
import { describe, expect, it } from 'vitest';
import { heartManifest } from './__fixtures__/manifests.js';

const features = parseManifest(heartManifest()).features;
const validator = createValidator(features);
const good = { age: 63, chol: 233, smoker: true, cp: 1 };

describe('createValidator', () => {
  it('accepts a valid record and keeps typed values', () => {
    const r = validator.validate(good);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.values).toEqual({ age: 63, chol: 233, smoker: true, cp: 1 });
  });

  it('coerces numeric strings, boolean words and category labels, aliases and codes', () => {
    const r = validator.validate({ age: ' 63 ', chol: '2.33e2', smoker: 'yes', cp: 'atypical' });
    expect(r.ok && r.values).toEqual({ age: 63, chol: 233, smoker: true, cp: 2 });
    expect(validator.parse({ ...good, cp: 'Typical angina' }).values.cp).toBe(1);
    expect(validator.parse({ ...good, cp: { system: 'http://snomed.info/sct', code: '429559004' } }).values.cp).toBe(1);
    expect(validator.parse({ ...good, cp: '4' }).values.cp).toBe(4);
    expect(validator.parse({ ...good, smoker: 0 }).values.smoker).toBe(false);
  });

  it('reports every problem at once with path and rule', () => {
    const r = validator.validate({ age: 'sixty', chol: Number.NaN, smoker: 'maybe', cp: 9, weight: 80 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const rules = Object.fromEntries(r.issues.map((i) => [i.path.join('.'), i.rule]));
    expect(rules).toEqual({ age: 'type', chol: 'not_finite', smoker: 'type', cp: 'not_allowed', weight: 'unknown_field' });
    expect(r.error).toBeInstanceOf(CairnError);
    expect(r.error.code).toBe('invalid_input');
    expect(r.error.message).toContain('age');
  });

  it('rejects missing required fields but passes optional ones as null', () => {
    const r = validator.validate({ smoker: false });
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.issues.filter((i) => i.severity === 'error').map((i) => [i.path[0], i.rule])).toEqual([
        ['age', 'required'],
        ['cp', 'required'],
      ]);
    const ok = validator.parse({ age: 50, smoker: false, cp: 3, chol: '' });
    expect(ok.values.chol).toBeNull();
  });

  it('rejects NaN, Infinity and their string forms', () => {
    for (const chol of [Number.POSITIVE_INFINITY, Number.NaN, 'NaN', '-Infinity', 'inf']) {
      const r = validator.validate({ ...good, chol });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.issues[0]?.rule).toBe('not_finite');
    }
  });

  it('enforces hard limits, integers, and warns outside the plausible range', () => {
    const low = validator.validate({ ...good, chol: 20 });
    expect(!low.ok && low.issues[0]?.rule).toBe('below_minimum');
    const high = validator.validate({ ...good, age: 130 });
    expect(!high.ok && high.issues[0]?.rule).toBe('above_maximum');
    const frac = validator.validate({ ...good, age: 63.5 });
    expect(!frac.ok && frac.issues[0]?.rule).toBe('not_integer');
    const young = validator.validate({ ...good, age: 12 });
    expect(young.ok).toBe(true);
    if (young.ok) expect(young.warnings.map((w) => [w.rule, w.severity])).toEqual([['implausible', 'warning']]);
  });

  it('rejects non-object records and wrong JSON types without throwing', () => {
    for (const record of [null, 42, 'age=63', [good], undefined]) {
      const r = validator.validate(record);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.issues[0]?.rule).toBe('type');
    }
    const r = validator.validate({ ...good, age: { nested: true }, smoker: [] });
    expect(!r.ok && r.issues.map((i) => i.rule)).toEqual(['type', 'type']);
  });

  it('converts units through an injected converter and refuses unconvertible ones', () => {
    const strict = validator.validate({ ...good, chol: { value: 5.2, unit: 'mmol/L' } });
    expect(!strict.ok && strict.issues[0]?.rule).toBe('unit');
    const converting = createValidator(features, {
      convertUnit: (v, from, to) => (from === 'mmol/L' && to === 'mg/dL' ? v * 38.67 : undefined),
    });
    expect(converting.parse({ ...good, chol: { value: 5.2, unit: 'mmol/L' } }).values.chol).toBeCloseTo(201.08, 2);
    expect(converting.parse({ ...good, chol: { value: 201, unit: 'mg/dL' } }).values.chol).toBe(201);
    const bad = converting.validate({ ...good, chol: { value: 5, unit: 'kg' } });
    expect(!bad.ok && bad.issues[0]?.path).toEqual(['chol', 'unit']);
  });

  it('imputes optional values when the feature says so, with a warning', () => {
    const m = heartManifest();
    const withImpute = parseManifest({
      ...m,
      features: m.features.map((f) => (f.name === 'chol' ? { ...f, required: false, impute: 240 } : f)),
    });
    const v = createValidator(withImpute.features).parse({ age: 50, smoker: false, cp: 2 });
    expect(v.values.chol).toBe(240);
    expect(v.warnings[0]?.rule).toBe('imputed');
  });

  it('can ignore unknown fields when asked', () => {
    const lenient = createValidator(features, { unknownFields: 'ignore' });
    expect(lenient.validate({ ...good, note: 'x' }).ok).toBe(true);
  });
});
