// A worker thread of seed-pool.ts: runs each seed it is sent with the run's arguments (its
// workerData) and posts the outcome back.

import { parentPort, workerData } from 'node:worker_threads';
import { runOne, type Args } from './run.ts';

const port = parentPort;
if (port === null) throw new Error('seed-worker.ts runs only as a worker thread (seed-pool.ts)');
const args = workerData as Args;
port.on('message', (seed: number) => {
  void runOne(args, seed).then((outcome) => port.postMessage({ seed, outcome }));
});
port.postMessage({ ready: true });
