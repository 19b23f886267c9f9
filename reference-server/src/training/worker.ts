// The training worker thread: reads the CSVs, runs the pipeline off the server's event loop and
// posts progress and the finished bundle archive back.
import { parentPort, workerData } from 'node:worker_threads';
import { createExplainer, isCairnError, nodeRuntime, summarizeExplanations, writeBundleArchive } from '@cairn/node';
import { readCsv, runPipeline } from '@cairn/pipelines';
import { csvOptions, type WorkerInput, type WorkerMessage } from './spec.js';

const input = workerData as WorkerInput;
const port = parentPort;
if (!port) throw new Error('the training worker must run in a worker thread');
const controller = new AbortController();
port.on('message', (m: { type?: string }) => {
  if (m?.type === 'cancel') controller.abort(new Error('cancelled'));
});
const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

try {
  const { spec } = input;
  const data = await readCsv(input.train.bytes, csvOptions(spec, input.train.name));
  const testData = input.test ? await readCsv(input.test.bytes, { ...csvOptions(spec, input.test.name), template: data }) : undefined;
  let last = 0;
  const result = await runPipeline(
    input.pipeline,
    {
      data,
      ...(testData ? { testData } : {}),
      params: input.params,
      model: { ...spec.model, version: input.version },
      ...(spec.split ? { split: spec.split } : {}),
      ...(spec.threshold ? { threshold: spec.threshold } : {}),
      ...(spec.search ? { search: spec.search } : {}),
      ...(spec.bootstrap !== undefined ? { bootstrap: spec.bootstrap } : {}),
    },
    {
      runtime: nodeRuntime,
      seed: spec.seed ?? 1,
      signal: controller.signal,
      onProgress: ({ stage, fraction }) => {
        const now = Date.now();
        if (now - last > 100 || fraction >= 1) {
          last = now;
          post({ type: 'progress', stage, fraction });
        }
      },
      explain: async (bundle, rows) => {
        const explainer = await createExplainer(bundle, { runtime: nodeRuntime });
        try {
          return summarizeExplanations(await explainer.explainBatch(rows.slice(0, 300)));
        } finally {
          await explainer.release();
        }
      },
    },
  );
  const archive = writeBundleArchive(result.files);
  post({ type: 'result', archive, metrics: result.manifest.metrics }, [archive.buffer as ArrayBuffer]);
} catch (error) {
  const e = isCairnError(error)
    ? { code: error.code, message: error.message, issues: [...error.issues] }
    : { code: 'internal', message: error instanceof Error ? error.message : String(error), issues: [] };
  post({ type: 'error', error: e });
}
