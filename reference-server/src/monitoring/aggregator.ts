import type { FeatureRecord } from '@cairn/core';
import type { Database } from '../db/database.js';
import { type FeatureBins, LATENCY_BOUNDS_MS, latencyBucket } from './bins.js';

interface Bucket {
  readonly modelId: string;
  readonly version: string;
  readonly hour: string;
  count: number;
  positives: number;
  latencySum: number;
  readonly latency: number[];
  readonly features: Map<string, number[]>;
}

/** Counts predictions in memory (no patient rows: only bin counts) and adds them to hourly aggregates in the database. */
export interface MonitoringAggregator {
  record(
    model: { id: string; version: string; bins: readonly FeatureBins[] },
    values: FeatureRecord,
    positive: boolean,
    latencyMs: number | null,
  ): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

const hourOf = (t: number) => new Date(Math.floor(t / 3_600_000) * 3_600_000).toISOString();

/** Creates the aggregator; it flushes every `intervalMs` and on close. */
export function createMonitoringAggregator(db: Database, onError: (e: unknown) => void, intervalMs = 2000): MonitoringAggregator {
  let buckets = new Map<string, Bucket>();
  let flushing: Promise<void> | undefined;

  async function write(batch: Map<string, Bucket>): Promise<void> {
    const preds = [...batch.values()].map((b) => ({
      model_id: b.modelId,
      model_version: b.version,
      bucket: b.hour,
      count: b.count,
      positives: b.positives,
      latency_ms_sum: b.latencySum,
      latency_counts: b.latency,
    }));
    const feats: Array<Record<string, unknown>> = [];
    for (const b of batch.values()) {
      for (const [feature, counts] of b.features) {
        counts.forEach((count, bin) => {
          if (count > 0) feats.push({ model_id: b.modelId, model_version: b.version, bucket: b.hour, feature, bin, count });
        });
      }
    }
    await db.transaction(async (tx) => {
      await tx.query(
        `insert into monitoring_predictions (model_id, model_version, bucket, count, positives, latency_ms_sum, latency_counts)
         select model_id, model_version, bucket, count, positives, latency_ms_sum,
                array(select jsonb_array_elements_text(latency_counts)::bigint)
           from jsonb_to_recordset($1::jsonb) as x(model_id text, model_version text, bucket timestamptz, count bigint,
                positives bigint, latency_ms_sum float8, latency_counts jsonb)
         on conflict (model_id, model_version, bucket) do update set
           count = monitoring_predictions.count + excluded.count,
           positives = monitoring_predictions.positives + excluded.positives,
           latency_ms_sum = monitoring_predictions.latency_ms_sum + excluded.latency_ms_sum,
           latency_counts = array(select coalesce(a, 0) + coalesce(b, 0)
                                    from unnest(monitoring_predictions.latency_counts, excluded.latency_counts) as t(a, b))`,
        [JSON.stringify(preds)],
      );
      if (feats.length > 0) {
        await tx.query(
          `insert into monitoring_features (model_id, model_version, bucket, feature, bin, count)
           select model_id, model_version, bucket, feature, bin, count
             from jsonb_to_recordset($1::jsonb) as x(model_id text, model_version text, bucket timestamptz, feature text, bin integer, count bigint)
           on conflict (model_id, model_version, bucket, feature, bin) do update set count = monitoring_features.count + excluded.count`,
          [JSON.stringify(feats)],
        );
      }
    });
  }

  async function flush(): Promise<void> {
    if (flushing) await flushing;
    if (buckets.size === 0) return;
    const batch = buckets;
    buckets = new Map();
    flushing = write(batch)
      .catch((error) => {
        // Put the counts back so the next flush retries them.
        for (const [k, b] of batch) {
          const cur = buckets.get(k);
          if (!cur) buckets.set(k, b);
          else {
            cur.count += b.count;
            cur.positives += b.positives;
            cur.latencySum += b.latencySum;
            b.latency.forEach((c, i) => {
              cur.latency[i] = (cur.latency[i] ?? 0) + c;
            });
            for (const [f, counts] of b.features) {
              const into = cur.features.get(f);
              if (!into) cur.features.set(f, counts);
              else
                counts.forEach((c, i) => {
                  into[i] = (into[i] ?? 0) + c;
                });
            }
          }
        }
        onError(error);
      })
      .finally(() => {
        flushing = undefined;
      });
    await flushing;
  }

  const timer = setInterval(() => void flush(), intervalMs);
  timer.unref();

  return {
    record(model, values, positive, latencyMs) {
      const hour = hourOf(Date.now());
      const key = `${model.id}\u0000${model.version}\u0000${hour}`;
      let b = buckets.get(key);
      if (!b) {
        b = {
          modelId: model.id,
          version: model.version,
          hour,
          count: 0,
          positives: 0,
          latencySum: 0,
          latency: new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0),
          features: new Map(),
        };
        buckets.set(key, b);
      }
      b.count++;
      if (positive) b.positives++;
      if (latencyMs !== null) {
        b.latencySum += latencyMs;
        const i = latencyBucket(latencyMs);
        b.latency[i] = (b.latency[i] ?? 0) + 1;
      }
      for (const fb of model.bins) {
        let counts = b.features.get(fb.feature);
        if (!counts) {
          counts = new Array<number>(fb.labels.length).fill(0);
          b.features.set(fb.feature, counts);
        }
        const bin = fb.binOf(values[fb.feature]);
        counts[bin] = (counts[bin] ?? 0) + 1;
      }
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
