import {
  buildFields,
  createFormValidator,
  defaultMessages,
  issueText,
  mergeMessages,
  toRawValues,
  validateForm,
} from '@cairn/web-components';
import { describe, expect, it } from 'vitest';
import { features } from './__fixtures__/manifest.js';

describe('form model', () => {
  it('builds one field per feature with units, choices and the ranges in words', () => {
    const fields = buildFields(features, defaultMessages);
    expect(fields.map((f) => [f.name, f.control, f.inputMode])).toEqual([
      ['age', 'text', 'numeric'],
      ['sex', 'select', undefined],
      ['cp', 'select', undefined],
      ['chol', 'text', 'decimal'],
    ]);
    const [age, sex, cp, chol] = fields;
    expect(age?.unit).toBe('years');
    expect(age?.hint).toBe('Allowed 18–110 years · usual 30–80 years');
    expect(sex?.options).toEqual([
      { value: 'true', label: 'Yes' },
      { value: 'false', label: 'No' },
    ]);
    expect(cp?.options.map((o) => o.label)).toEqual(['Typical angina', 'Atypical angina', 'Non-anginal pain', 'Asymptomatic']);
    expect(chol?.hint).toBe('At least 50 mg/dL · usual 120–400 mg/dL');
    expect(chol?.required).toBe(false);
  });

  it('fills form strings from JSON features, FHIR records and category labels or aliases', () => {
    expect(toRawValues({ age: 63, sex: true, cp: 'none', chol: null }, features)).toEqual({ age: '63', sex: 'true', cp: '4', chol: '' });
    expect(toRawValues({ sex: 'no', cp: 'Atypical angina', chol: { value: 5.2, unit: 'mmol/L' } }, features)).toEqual({
      age: '',
      sex: 'false',
      cp: '2',
      chol: '5.2',
    });
    expect(toRawValues(undefined, features)).toEqual({ age: '', sex: '', cp: '', chol: '' });
  });

  it('validates with core: typed values on success, errors and warnings by field otherwise', () => {
    const validator = createFormValidator(features);
    const ok = validateForm(validator, { age: '85', sex: 'true', cp: '4', chol: '' });
    expect(ok.ok).toBe(true);
    expect(ok.values).toEqual({ age: 85, sex: true, cp: 4, chol: null });
    expect([...ok.warnings.keys()]).toEqual(['age']);
    expect(ok.warnings.get('age')?.[0]?.rule).toBe('implausible');

    const bad = validateForm(validator, { age: '12', sex: '', cp: '9', chol: 'abc' });
    expect(bad.ok).toBe(false);
    expect(bad.values).toBeUndefined();
    expect(Object.fromEntries([...bad.errors].map(([k, v]) => [k, v.map((i) => i.rule)]))).toEqual({
      age: ['below_minimum'],
      sex: ['required'],
      cp: ['not_allowed'],
      chol: ['type'],
    });
    expect(bad.errors.get('age')?.[0]?.message).toBe('Age must be at least 18 a, got 12');
  });

  it('words issues with the message table when it has a template for the rule, else with core', () => {
    const validator = createFormValidator(features);
    const bad = validateForm(validator, { age: '12', sex: '', cp: '1', chol: '' });
    const age = bad.errors.get('age')?.[0];
    const sex = bad.errors.get('sex')?.[0];
    if (!age || !sex) throw new Error('expected issues');
    const messages = mergeMessages({ issues: { below_minimum: '{label}: minimum {min} {unit} (you typed {value})' } });
    expect(issueText(age, features[0], '12', messages)).toBe('Age: minimum 18 years (you typed 12)');
    expect(issueText(sex, features[1], '', messages)).toBe('Male sex is required');
  });
});
