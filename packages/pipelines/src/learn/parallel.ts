import { histogramKernel } from './histogram-kernel.js';

/** Shared buffers a histogram helper thread reads (rows, gradients, bins) and writes (its half of a histogram). */
export interface SharedHistogramBuffers {
  readonly bins: Uint8Array;
  readonly rows: number;
  readonly index: Uint32Array;
  readonly gathered: Float64Array;
  readonly offsets: Int32Array;
  readonly histSize: number;
}

/** A helper thread that builds the histograms of part of the features while the caller builds the rest. */
export interface HistogramHelper {
  /** Starts the helper on features[from … to) into its scratch histogram (zeroed first). */
  start(start: number, m: number, features: Int32Array, from: number, to: number): void;
  /** Waits for the helper and adds its features' bins into `hist`. */
  finish(hist: Float64Array, features: Int32Array, from: number, to: number): void;
  close(): Promise<void>;
}

// Control words: 0 job sequence, 1 start, 2 rows, 3 from, 4 to, 5 done sequence, 6 feature count, 7 stop.
const WORKER_SOURCE = (kernel: string) => `
const { workerData } = require('node:worker_threads');
const histogramKernel = ${kernel};
const { ctrl, bins, n, index, gathered, offsets, features, scratch } = workerData;
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, 0, seen);
  seen = Atomics.load(ctrl, 0);
  if (Atomics.load(ctrl, 7) === 1) break;
  const from = ctrl[3], to = ctrl[4];
  for (let f = from; f < to; f++) {
    const j = features[f];
    scratch.fill(0, 2 * offsets[j], 2 * offsets[j + 1]);
  }
  histogramKernel(bins, n, index, ctrl[1], ctrl[2], gathered, scratch, offsets, features, from, to);
  Atomics.store(ctrl, 5, seen);
  Atomics.notify(ctrl, 5);
}
`;

/** Allocates a typed array on shared memory. */
export function sharedArray<T extends Uint8Array | Uint32Array | Int32Array | Float64Array>(
  Type: { new (buffer: SharedArrayBuffer): T; readonly BYTES_PER_ELEMENT: number },
  length: number,
): T {
  return new Type(new SharedArrayBuffer(length * Type.BYTES_PER_ELEMENT));
}

/**
 * Starts a histogram helper thread on shared buffers (Node's worker_threads, loaded on demand so
 * the package stays importable where threads do not exist). Undefined when threads are unavailable.
 */
export async function createHistogramHelper(buffers: SharedHistogramBuffers): Promise<HistogramHelper | undefined> {
  let threads: typeof import('node:worker_threads');
  try {
    threads = await import('node:worker_threads');
  } catch {
    return undefined;
  }
  const ctrl = sharedArray(Int32Array, 8);
  const features = sharedArray(Int32Array, buffers.offsets.length);
  const scratch = sharedArray(Float64Array, buffers.histSize);
  const worker = new threads.Worker(WORKER_SOURCE(histogramKernel.toString()), {
    eval: true,
    workerData: {
      ctrl,
      bins: buffers.bins,
      n: buffers.rows,
      index: buffers.index,
      gathered: buffers.gathered,
      offsets: buffers.offsets,
      features,
      scratch,
    },
  });
  worker.unref();
  let failure: unknown;
  worker.on('error', (error) => {
    failure = error;
  });
  let sequence = 0;
  return {
    start(start, m, list, from, to) {
      features.set(list);
      ctrl[1] = start;
      ctrl[2] = m;
      ctrl[3] = from;
      ctrl[4] = to;
      sequence++;
      Atomics.store(ctrl, 0, sequence);
      Atomics.notify(ctrl, 0);
    },
    finish(hist, list, from, to) {
      for (;;) {
        const done = Atomics.load(ctrl, 5);
        if (done === sequence) break;
        if (failure) throw failure;
        Atomics.wait(ctrl, 5, done, 1000);
      }
      for (let f = from; f < to; f++) {
        const j = list[f] as number;
        const a = 2 * (buffers.offsets[j] as number);
        const b = 2 * (buffers.offsets[j + 1] as number);
        for (let k = a; k < b; k++) hist[k] = (hist[k] as number) + (scratch[k] as number);
      }
    },
    async close() {
      Atomics.store(ctrl, 7, 1);
      Atomics.add(ctrl, 0, 1);
      Atomics.notify(ctrl, 0);
      await worker.terminate();
    },
  };
}
