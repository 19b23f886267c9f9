// Runs a TypeScript worker module when the server itself runs from source (tsx, vitest).
import { workerData } from 'node:worker_threads';

const { register } = await import('tsx/esm/api');
register();
await import(workerData.__entry);
