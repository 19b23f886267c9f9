import { CairnError } from '@cairn/core';

/** Throws `cancelled` when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what = 'training'): void {
  if (signal?.aborted) throw new CairnError('cancelled', `${what} was cancelled`, { cause: signal.reason });
}

/**
 * Lets the event loop run (so an abort from a timer or a request handler is seen) at most
 * every `intervalMs`, then checks the signal: synchronous training loops call it between steps.
 */
export function createYielder(signal: AbortSignal | undefined, intervalMs = 50): () => Promise<void> {
  let last = Date.now();
  return async () => {
    throwIfAborted(signal);
    const now = Date.now();
    if (now - last < intervalMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    last = Date.now();
    throwIfAborted(signal);
  };
}
