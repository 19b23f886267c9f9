import { chooseThreshold, defineSubgroups, evaluate, readCsv } from '@cairn/pipelines';
import { describe, expect, it } from 'vitest';

function lcg(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function bruteAuc(scores: number[], labels: number[]): number {
  let pairs = 0;
  let wins = 0;
  scores.forEach((si, i) => {
    if (!labels[i]) return;
    scores.forEach((sj, j) => {
      if (labels[j]) return;
      pairs++;
      wins += si > sj ? 1 : si === sj ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

describe('evaluate', () => {
  it('computes ROC AUC with ties like the pairwise definition', () => {
    const u = lcg(1);
    const labels = Array.from({ length: 200 }, () => (u() < 0.4 ? 1 : 0));
    const scores = labels.map((l) => Math.round((u() + l * 0.3) * 10) / 10); // many ties
    const e = evaluate(scores, Uint8Array.from(labels), { bootstrap: 0 });
    expect(e.rocAuc.value).toBeCloseTo(bruteAuc(scores, labels), 12);
    expect(e.rocAuc.ci).toBeUndefined();
  });

  it('computes average precision, threshold metrics, Brier score and calibration', () => {
    const e = evaluate([0.9, 0.8, 0.7, 0.6], Uint8Array.from([1, 0, 1, 0]), { threshold: 0.65, bootstrap: 0 });
    expect(e.prAuc.value).toBeCloseTo(0.5 * 1 + 0.5 * (2 / 3), 12);
    expect(e.confusion).toEqual({ threshold: 0.65, tp: 2, fp: 1, tn: 1, fn: 0 });
    expect(e.recall).toBe(1);
    expect(e.precision).toBeCloseTo(2 / 3, 12);
    expect(e.specificity).toBe(0.5);
    expect(e.accuracy).toBe(0.75);
    expect(e.f1).toBeCloseTo(0.8, 12);
    expect(e.f2).toBeCloseTo((5 * (2 / 3)) / (4 * (2 / 3) + 1), 12);
    expect(e.brier).toBeCloseTo((0.01 + 0.64 + 0.09 + 0.36) / 4, 12);
    expect(e.calibration.map((b) => [b.lower, b.count, b.observed])).toEqual([
      [0.6, 1, 0],
      [0.7, 1, 1],
      [0.8, 1, 0],
      [0.9, 1, 1],
    ]);
  });

  it('gives seeded bootstrap intervals that contain the estimate', () => {
    const u = lcg(2);
    const labels = Uint8Array.from({ length: 300 }, () => (u() < 0.3 ? 1 : 0));
    const scores = Array.from(labels, (l) => u() * 0.7 + l * 0.3);
    const a = evaluate(scores, labels, { seed: 5 });
    const b = evaluate(scores, labels, { seed: 5 });
    const c = evaluate(scores, labels, { seed: 6 });
    expect(a.resamples).toBe(1000);
    const [lo, hi] = a.rocAuc.ci ?? [Number.NaN, Number.NaN];
    expect(lo).toBeLessThan(a.rocAuc.value);
    expect(hi).toBeGreaterThan(a.rocAuc.value);
    expect(hi - lo).toBeGreaterThan(0.02);
    expect(hi - lo).toBeLessThan(0.2);
    expect(a.prAuc.ci?.[0]).toBeLessThan(a.prAuc.value);
    expect(a.rocAuc.ci).toEqual(b.rocAuc.ci);
    expect(a.rocAuc.ci).not.toEqual(c.rocAuc.ci);
  });

  it('reports metrics per subgroup', async () => {
    const data = await readCsv('sex,age,y\nM,35,1\nF,45,0\nF,55,1\nM,65,0\nM,75,1\nF,62,0\n', { target: 'y' });
    const groups = defineSubgroups(data, ['sex', { column: 'age', bands: [50, 70] }]);
    expect(groups.map((g) => `${g.attribute}:${g.group}:${g.rows.join('')}`)).toEqual([
      'sex:F:125',
      'sex:M:034',
      'age:<50:01',
      'age:50–<70:235',
      'age:≥70:4',
    ]);
    const e = evaluate([0.9, 0.2, 0.6, 0.85, 0.8, 0.1], data.target.labels, { subgroups: groups, bootstrap: 0 });
    const female = e.subgroups.find((s) => s.group === 'F');
    expect(female).toMatchObject({ n: 3, positives: 1, rocAuc: 1, recall: 1, specificity: 1 });
    const male = e.subgroups.find((s) => s.group === 'M');
    expect(male?.rocAuc).toBe(0.5);
    expect(() => defineSubgroups(data, ['race'])).toThrow(/no feature column 'race'/);
  });
});

describe('chooseThreshold', () => {
  const scores = [0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1];
  const labels = [1, 1, 0, 1, 1, 0, 1, 0, 0, 0];

  it('meets a recall target with the highest threshold that does', () => {
    const c = chooseThreshold(scores, labels, { rule: 'recall', recall: 0.8 });
    expect(c.recall).toBe(0.8);
    expect(c.threshold).toBeCloseTo(0.55, 12);
    const all = chooseThreshold(scores, labels, { rule: 'recall', recall: 1 });
    expect(all.threshold).toBeCloseTo(0.35, 12);
    expect(all.precision).toBeCloseTo(5 / 7, 12);
  });

  it('maximises F-beta, and a larger beta buys recall', () => {
    const f1 = chooseThreshold(scores, labels, { rule: 'f-beta', beta: 1 });
    const f2 = chooseThreshold(scores, labels, { rule: 'f-beta', beta: 2 });
    // F1 peaks with the top seven rows positive: precision 5/7, recall 1.
    expect(f1.threshold).toBeCloseTo(0.35, 12);
    expect(f1.recall).toBe(1);
    expect(f2.recall).toBeGreaterThanOrEqual(f1.recall);
    expect(f2.threshold).toBeLessThanOrEqual(f1.threshold);
    expect(chooseThreshold(scores, labels, { rule: 'fixed', threshold: 0.5 })).toMatchObject({ threshold: 0.5, recall: 0.8 });
    expect(() => chooseThreshold(scores, labels, { rule: 'fixed', threshold: 1 })).toThrow(/threshold/);
  });
});
