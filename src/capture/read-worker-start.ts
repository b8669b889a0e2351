/**
 * The reader's worker started ahead of time. A report command starts it first thing, so that the
 * worker's own start-up (V8, loading the reader and protobufjs: 60-100 ms here) overlaps the main
 * thread's module loading instead of following it; readCapture then takes it and posts the job.
 * Kept free of heavy imports: it runs before them.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';

/**
 * Files from this size up are read on a worker thread (reader.ts re-exports it). Its start-up (V8 and
 * the reader's modules again, 60-100 ms of CPU) competes with the main thread's own on 2 cores: the
 * benchmark's captures of 0.3-1.1 MB (0.1-5.5 M records) took 10-25% less time for `stats` and
 * `flamegraph` without it (and the same for regex's 5.5 M records in 0.7 MB), those of 2.4 MB and
 * more (json: 14 M records) 10-30% more.
 */
export const WORKER_MIN_BYTES = 2 << 20;

/** The compiled worker script next to this module, or null (running from sources). */
export function defaultReadWorkerFile(): string | null {
  if (!__filename.endsWith('.js')) return null;
  const file = join(__dirname, 'read-worker.js');
  return existsSync(file) ? file : null;
}

let waiting: { script: string; worker: Worker } | null = null;

/**
 * Starts a reader's worker for a capture at `path` if it is large enough to be read on one. Until
 * readCapture takes it, the worker does not keep the process alive.
 */
export function prestartReadWorker(path: string, script = defaultReadWorkerFile()): void {
  if (waiting || script === null) return;
  const size = statSync(path, { throwIfNoEntry: false })?.size ?? 0;
  if (size < WORKER_MIN_BYTES) return;
  // node:worker_threads only here: the CLI imports this module for every command, `run` included.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Worker: WorkerClass } = require('node:worker_threads') as typeof import('node:worker_threads');
  const worker = new WorkerClass(script, { workerData: { pymemprofRead: true, deferred: true } });
  worker.unref();
  worker.on('error', () => {}); // once taken, the reader listens too; before that, nobody waits for it
  waiting = { script, worker };
}

/** The started worker running `script`, now the caller's (it keeps the process alive again), or null. */
export function takeStartedReadWorker(script: string): Worker | null {
  const w = waiting;
  if (!w || w.script !== script) return null;
  waiting = null;
  w.worker.ref();
  return w.worker;
}
