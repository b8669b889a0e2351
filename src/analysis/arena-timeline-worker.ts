/**
 * Worker side of startArenaTimeline (arena-timeline.ts): reads the capture and runs the arena model
 * on a thread of its own while the main thread runs the report pass.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ArenaWorkerAnswer, buildArenaTimeline } from './arena-timeline';

async function main(path: string): Promise<ArenaWorkerAnswer> {
  try {
    const b = await buildArenaTimeline(path);
    return b === null ? { none: true } : { timeline: b.ownResult() };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

void main((workerData as { path: string }).path).then((answer) => parentPort!.postMessage(answer));
