// Spreads simulator seeds over worker threads (`npm run sim -- --workers N`), so a many-seed run
// uses every core. Each worker loads the simulator once and runs the seeds it is handed, one at a
// time; the pool hands out the next seed when a worker reports one, and the caller gets every
// outcome (in the order they finish) and reports them. A seed's outcome does not depend on the
// worker or on the other seeds: each seed owns its PRNG and the process-wide state it touches
// (the storage file system) is per thread.

import { Worker } from 'node:worker_threads';

/** Threads at most (the machine has 2 cores; more only adds contention). */
export const WORKERS_MAX = 64;

export interface PoolHooks<T> {
  /** An outcome arrived; return false to stop the run (the other workers are terminated). */
  onOutcome(seed: number, outcome: T): boolean;
}

/**
 * Runs `seeds` on `workers` threads of `entry` (a TypeScript module that calls serveSeeds).
 * Resolves once every seed reported or onOutcome asked to stop.
 */
export function runPool<T>(entry: URL, workerData: unknown, seeds: readonly number[], workers: number, hooks: PoolHooks<T>): Promise<void> {
  // A worker does not inherit the tsx loader from --import (its entry is resolved before the
  // hook); register it in the thread, then load the entry.
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); })`;
  const count = Math.max(1, Math.min(workers, WORKERS_MAX, seeds.length));
  let next = 0;
  let stopped = false;
  const threads: Worker[] = [];
  return new Promise<void>((resolve, reject) => {
    let live = count;
    /** Workers this pool ended itself (their exit is expected). */
    const ended = new Set<Worker>();
    const finish = (w: Worker) => {
      ended.add(w);
      void w.terminate();
      if (--live === 0) resolve();
    };
    const handOut = (w: Worker) => {
      if (stopped || next >= seeds.length) finish(w);
      else w.postMessage(seeds[next++]);
    };
    const stopAll = () => {
      stopped = true;
      for (const t of threads) {
        ended.add(t);
        void t.terminate();
      }
    };
    for (let k = 0; k < count; k++) {
      const w = new Worker(bootstrap, { eval: true, workerData });
      threads.push(w);
      w.on('message', (m: { ready: true } | { seed: number; outcome: T }) => {
        if ('ready' in m) return handOut(w);
        if (stopped) return;
        if (!hooks.onOutcome(m.seed, m.outcome)) {
          stopAll();
          resolve();
          return;
        }
        handOut(w);
      });
      w.on('error', (err) => {
        stopAll();
        reject(err);
      });
      // A worker that dies without an error event (out of memory, process.exit in a seed) would
      // otherwise leave its seed unreported and the run waiting for ever.
      w.on('exit', (code) => {
        if (ended.has(w)) return;
        stopAll();
        reject(new Error(`simulator worker exited with code ${code} before reporting its seed`));
      });
    }
  });
}
