import { z } from 'zod';
import type { ServerContext } from '../context.js';
import type { RouteDef } from '../http/app.js';
import { LATENCY_BOUNDS_MS, latencyQuantile, populationStabilityIndex } from '../monitoring/bins.js';

type Route = <B, Q, P>(def: RouteDef<B, Q, P>) => void;

const finiteOrNull = (n: number | null) => (n === null || !Number.isFinite(n) ? null : n);

/** Conventional PSI reading: below 0.1 stable, 0.1–0.25 moderate shift, above 0.25 major shift. */
export function psiStatus(psi: number): 'stable' | 'moderate' | 'major' {
  return psi < 0.1 ? 'stable' : psi < 0.25 ? 'moderate' : 'major';
}

/** Monitoring per model version: predictions over time, latency and input drift (PSI) from aggregated histograms. */
export function monitoringRoutes(route: Route, ctx: ServerContext): void {
  route({
    method: 'GET',
    url: '/api/v1/models/:id/monitoring',
    access: 'monitoring',
    summary: 'Predictions per hour, latency quantiles and per-feature drift (population stability index against the reference data)',
    tags: ['monitoring'],
    params: z.strictObject({ id: z.string().max(128) }),
    query: z.strictObject({
      version: z.string().max(64).optional(),
      hours: z.coerce
        .number()
        .int()
        .min(1)
        .max(24 * 366)
        .default(24 * 7),
    }),
    handler: async (request) => monitoringReport(ctx, request.params.id, request.query.version, request.query.hours),
  });
}

/** The monitoring view of a model version over the last `hours`: counts, latency and drift. */
export async function monitoringReport(ctx: ServerContext, modelId: string, requestedVersion: string | undefined, hours: number) {
  const { version, manifest } = await ctx.models.manifest(modelId, requestedVersion);
  await ctx.monitoring.flush();
  const since = new Date(Date.now() - hours * 3_600_000).toISOString();
  const preds = await ctx.db.query<{
    bucket: Date;
    count: number;
    positives: number;
    latency_ms_sum: number;
    latency_counts: number[];
  }>(
    `select bucket, count, positives, latency_ms_sum, latency_counts from monitoring_predictions
      where model_id = $1 and model_version = $2 and bucket >= $3 order by bucket`,
    [manifest.id, version, since],
  );
  const feats = await ctx.db.query<{ feature: string; bin: number; count: number }>(
    `select feature, bin, sum(count)::bigint as count from monitoring_features
      where model_id = $1 and model_version = $2 and bucket >= $3 group by feature, bin`,
    [manifest.id, version, since],
  );
  const totalLatency = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
  let count = 0;
  let positives = 0;
  let latencySum = 0;
  let timed = 0;
  const series = preds.rows.map((r) => {
    const counts = (r.latency_counts ?? []).map(Number);
    counts.forEach((c, i) => {
      totalLatency[i] = (totalLatency[i] ?? 0) + c;
    });
    const n = counts.reduce((a, b) => a + b, 0);
    count += Number(r.count);
    positives += Number(r.positives);
    latencySum += Number(r.latency_ms_sum);
    timed += n;
    return {
      bucket: new Date(r.bucket).toISOString(),
      count: Number(r.count),
      positives: Number(r.positives),
      latencyMeanMs: n > 0 ? Number(r.latency_ms_sum) / n : null,
      latencyP95Ms: finiteOrNull(latencyQuantile(counts, 0.95)),
    };
  });
  const model = await ctx.models.load(manifest.id, version);
  const observed = new Map<string, number[]>();
  for (const r of feats.rows) {
    const arr = observed.get(r.feature) ?? [];
    arr[Number(r.bin)] = Number(r.count);
    observed.set(r.feature, arr);
  }
  const hasReference = (model.bundle.reference?.rows.length ?? 0) > 0;
  const drift = hasReference
    ? model.bins.map((b) => {
        const obs = b.labels.map((_, i) => observed.get(b.feature)?.[i] ?? 0);
        const total = obs.reduce((a, c) => a + c, 0);
        const psi = populationStabilityIndex(b.expected, obs);
        return {
          feature: b.feature,
          label: b.label,
          observations: total,
          psi: total > 0 ? psi : null,
          status: total > 0 ? psiStatus(psi) : null,
          bins: b.labels.map((label, i) => ({ label, expected: b.expected[i] ?? 0, observed: total > 0 ? (obs[i] ?? 0) / total : 0 })),
        };
      })
    : [];
  return {
    modelId: manifest.id,
    version,
    hours: hours,
    totals: {
      count,
      positives,
      positiveRate: count > 0 ? positives / count : null,
      latencyMeanMs: timed > 0 ? latencySum / timed : null,
      latencyP50Ms: finiteOrNull(latencyQuantile(totalLatency, 0.5)),
      latencyP95Ms: finiteOrNull(latencyQuantile(totalLatency, 0.95)),
      latencyP99Ms: finiteOrNull(latencyQuantile(totalLatency, 0.99)),
    },
    latencyBucketsMs: LATENCY_BOUNDS_MS,
    latencyCounts: totalLatency,
    series,
    drift,
    driftUnavailable: hasReference ? null : 'the bundle has no reference data to compare against',
  };
}
