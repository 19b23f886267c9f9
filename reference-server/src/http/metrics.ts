import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The Prometheus metrics of one server process. */
export interface Metrics {
  readonly registry: Registry;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly predictions: Counter<'model' | 'version' | 'outcome'>;
  readonly predictionDuration: Histogram<'model'>;
  readonly trainingRuns: Counter<'status'>;
  readonly trainingActive: Gauge;
  readonly auditWriteFailures: Counter;
}

/** Creates a registry with process metrics and the server's own. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'cairn_' });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'cairn_http_request_duration_seconds',
      help: 'HTTP request duration by route template and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    }),
    predictions: new Counter({
      name: 'cairn_predictions_total',
      help: 'Predictions by model version and outcome',
      labelNames: ['model', 'version', 'outcome'],
      registers: [registry],
    }),
    predictionDuration: new Histogram({
      name: 'cairn_prediction_duration_seconds',
      help: 'Time to validate, score and explain one patient',
      labelNames: ['model'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    trainingRuns: new Counter({
      name: 'cairn_training_runs_total',
      help: 'Training runs finished on this instance, by outcome',
      labelNames: ['status'],
      registers: [registry],
    }),
    trainingActive: new Gauge({
      name: 'cairn_training_runs_active',
      help: 'Training runs executing on this instance',
      registers: [registry],
    }),
    auditWriteFailures: new Counter({
      name: 'cairn_audit_write_failures_total',
      help: 'Audit records that could not be written (the request failed)',
      registers: [registry],
    }),
  };
}
