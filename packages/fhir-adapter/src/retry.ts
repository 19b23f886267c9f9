import { CairnError } from '@cairn/core';
import { type FhirRequestError, isFhirRequestError } from './http-errors.js';

/** How failed FHIR requests are retried (429 honouring Retry-After, 5xx, network errors). */
export interface RetryOptions {
  /**
   * Retries after the first attempt.
   * @defaultValue 3
   */
  retries?: number;
  /**
   * First back-off delay; doubles each retry.
   * @defaultValue 250
   */
  baseDelayMs?: number;
  /**
   * Longest back-off delay, and the longest Retry-After honoured (longer waits fail at once).
   * @defaultValue 30000
   */
  maxDelayMs?: number;
  /** Waits; inject to observe or shorten delays. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
}

const RETRYABLE = new Set(['rate_limited', 'server_error', 'network']);

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new CairnError('cancelled', 'FHIR request was cancelled', { cause: signal.reason }));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CairnError('cancelled', 'FHIR request was cancelled', { cause: signal?.reason }));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs `attempt`, retrying retryable {@link FhirRequestError}s with exponential back-off. */
export async function withRetry<T>(attempt: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const retries = options.retries ?? 3;
  const base = options.baseDelayMs ?? 250;
  const max = options.maxDelayMs ?? 30_000;
  const sleep = options.sleep ?? defaultSleep;
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isFhirRequestError(error) || !RETRYABLE.has(error.reason) || n >= retries) throw error;
      const wait = delayFor(error, n, base, max);
      if (wait === undefined) throw error;
      await sleep(wait, options.signal);
    }
  }
}

function delayFor(error: FhirRequestError, n: number, base: number, max: number): number | undefined {
  if (error.retryAfterMs !== undefined) return error.retryAfterMs <= max ? error.retryAfterMs : undefined;
  // Half fixed, half random: spreads retries of many clients without making them arbitrarily short.
  const exp = Math.min(max, base * 2 ** n);
  return exp / 2 + Math.random() * (exp / 2);
}
