import type { Manifest } from '@cairn/core';
import { fill, formatNumber } from './format.js';
import type { WidgetMessages } from './messages.js';

/** The manifest parts a model card shows (a server's cairn.json fits as well as a loaded bundle's). */
export type CardManifest = Pick<Manifest, 'id' | 'name' | 'version' | 'description' | 'intendedUse' | 'limitations' | 'metrics'> & {
  readonly modelCard?: Readonly<Record<string, unknown>> | undefined;
};

/** A curve as two columns, ready for a chart. */
export interface CurveData {
  readonly x: readonly number[];
  readonly y: readonly number[];
}

/** Which curves a card can draw. */
export type CurveKind = 'roc' | 'pr' | 'calibration';

/** One metric row. */
export interface MetricRow {
  readonly name: string;
  readonly value: string;
  readonly interval: string;
  readonly dataset: string;
}

/** A model card as the element shows it. */
export interface ModelCardView {
  readonly title: string;
  readonly description: string;
  readonly intendedUse: string;
  /** Labelled facts about intended use (users, population, role, out-of-scope uses), present ones only. */
  readonly useFacts: ReadonlyArray<{ readonly label: string; readonly text: string }>;
  readonly limitations: readonly string[];
  readonly metrics: readonly MetricRow[];
  readonly trainingData: string | undefined;
  readonly curves: Readonly<Partial<Record<CurveKind, CurveData>>>;
  /** Curves the card has no data for, so the element can say so. */
  readonly absent: readonly CurveKind[];
}

function record(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Reads `[{x, y}]` points, keeping only finite pairs; sorted by x for drawing. */
function points(v: unknown, xKey: string, yKey: string): CurveData | undefined {
  if (!Array.isArray(v)) return undefined;
  const pairs: Array<[number, number]> = [];
  for (const p of v) {
    const r = record(p);
    if (r && finite(r[xKey]) && finite(r[yKey])) pairs.push([r[xKey] as number, r[yKey] as number]);
  }
  if (pairs.length < 2) return undefined;
  // Stable sort keeps ties in the pipeline's threshold order, so steps of the curve stay steps.
  pairs.sort((a, b) => a[0] - b[0]);
  return { x: pairs.map((p) => p[0]), y: pairs.map((p) => p[1]) };
}

/** Builds the card view from a manifest; everything in `modelCard` is optional and read defensively. */
export function modelCardView(manifest: CardManifest, messages: WidgetMessages): ModelCardView {
  const card = record(manifest.modelCard) ?? {};
  const use = record(card.intendedUse) ?? {};
  const useFacts: Array<{ label: string; text: string }> = [];
  const users = text(use.users);
  const population = text(use.population);
  const role = text(use.decisionRole);
  if (users) useFacts.push({ label: messages.intendedUsers, text: users });
  if (population) useFacts.push({ label: messages.population, text: population });
  if (role) useFacts.push({ label: messages.decisionRole, text: role });
  const n = (v: number) => formatNumber(v, messages.locale);
  const metrics = (manifest.metrics ?? []).map((m) => ({
    name: messages.metricNames[m.name] ?? m.name.replace(/_/g, ' '),
    value: n(m.value),
    interval: m.ci
      ? fill(messages.interval, {
          level: `${Math.round((m.ciLevel ?? 0.95) * 100)}%`,
          low: n(m.ci[0]),
          high: n(m.ci[1]),
        })
      : '',
    dataset: m.dataset ?? '',
  }));
  const training = record(card.trainingData);
  const rows = training?.rowsUsed;
  const source = text(training?.source);
  const trainingData =
    finite(rows) && source ? fill(messages.trainingRows, { rows: n(rows), source }) : (source ?? (finite(rows) ? n(rows) : undefined));
  const plots = record(card.plots) ?? {};
  const curves: Partial<Record<CurveKind, CurveData>> = {};
  const roc = points(plots.roc, 'x', 'y');
  const pr = points(plots.pr, 'x', 'y');
  const calibration = points(plots.calibration, 'meanPredicted', 'observed');
  if (roc) curves.roc = roc;
  if (pr) curves.pr = pr;
  if (calibration) curves.calibration = calibration;
  const absent = (['roc', 'pr', 'calibration'] as const).filter((k) => !curves[k]);
  return {
    title: fill(messages.modelVersion, { name: manifest.name, version: manifest.version }),
    description: manifest.description ?? '',
    intendedUse: manifest.intendedUse,
    useFacts,
    limitations: manifest.limitations ?? [],
    metrics,
    trainingData,
    curves,
    absent,
  };
}
