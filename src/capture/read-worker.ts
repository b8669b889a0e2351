/**
 * Worker-thread side of readCapture's `worker` mode (reader.ts, readCaptureOnWorker): reads and
 * decodes the capture here while the main thread runs the reducers, so the two overlap on two cores.
 *
 * Consecutive batches are decoded one after another into a slot (shared memory) of SLOT_RECORDS
 * records: fewer, larger messages. A slot is handed over when nearly full or when another frame (a
 * table) follows, so tables still arrive before the batches that refer to them. At most MAX_SLOTS
 * slots exist; when all are with the main thread the reader waits for one to come back, which
 * bounds memory.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BadCaptureError } from '../errors';
import { BatchArrays, BatchDecoder, newSharedBatchArrays } from './batch-decoder';
import { readCaptureHere, batchBuffers, BatchStage, StackNodesChunk, WorkerMessage } from './reader';

/** Records per slot: batches are appended until fewer than MAX_BATCH places remain. */
const SLOT_RECORDS = 1 << 17;
/** The writer's largest batch; a larger one still fits (the decoder grows the slot), more slowly. */
const MAX_BATCH = 1 << 16;
/** One being filled, one being reduced, one ready. */
const MAX_SLOTS = 3;

interface ReadJob {
  pymemprofRead: true;
  path: string;
  chunkSize?: number;
  maxFrameBytes?: number;
  /** Module exporting createBatchStage() (ReadOptions.stage). */
  stageModule?: string;
}

async function run(port: NonNullable<typeof parentPort>, job: ReadJob): Promise<void> {
  const send = (m: WorkerMessage, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer);
  // Slots are shared memory (no copy, no transfer); the main thread hands a slot's id back once
  // it has reduced its records.
  const slots: BatchArrays[] = [];
  const free: number[] = [];
  let wake: (() => void) | null = null;
  port.on('message', (m: { t: 'free'; slot: number }) => {
    free.push(m.slot);
    const w = wake;
    wake = null;
    w?.();
  });
  const newSlot = (): number => {
    const id = slots.length;
    slots.push(newSharedBatchArrays(SLOT_RECORDS));
    send({ t: 'slot', id, arrays: slots[id]! });
    return id;
  };
  const decoder = new BatchDecoder('append');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const stage: BatchStage | null = job.stageModule ? (require(job.stageModule) as { createBatchStage(): BatchStage }).createBatchStage() : null;
  let filling = newSlot();
  decoder.detach(slots[filling]!);
  let baseTimeUs = 0;

  /** Sends the records decoded so far; waits for a slot to decode into next when none is free. */
  const flush = async (): Promise<void> => {
    if (decoder.appended === 0) return;
    while (free.length === 0 && slots.length >= MAX_SLOTS) await new Promise<void>((r) => (wake = r));
    const next = free.pop() ?? newSlot();
    const { arrays, count } = decoder.detach(slots[next]!);
    if (arrays === slots[filling]) {
      send({ t: 'batch', count, baseTimeUs, slot: filling });
    } else {
      // The decoder outgrew the slot (a batch larger than MAX_BATCH): send its own arrays instead.
      send({ t: 'batch', count, baseTimeUs, arrays }, batchBuffers(arrays));
      free.push(filling);
    }
    filling = next;
  };
  const table =
    <T>(t: 'codeObjects' | 'stackNodes' | 'threads' | 'marks' | 'trailer') =>
    async (v: T): Promise<void> => {
      await flush(); // batches before the table arrive first
      send({ t, v } as WorkerMessage);
    };

  const result = await readCaptureHere(
    job.path,
    {
      header: (v) => {
        stage?.header?.(v);
        send({ t: 'header', v });
      },
      codeObjects: table('codeObjects'),
      stackNodes: (v) => {
        stage?.stackNodes?.(v);
        return table<StackNodesChunk>('stackNodes')(v);
      },
      threads: table('threads'),
      marks: table('marks'),
      trailer: table('trailer'),
      batch: (b) => {
        stage?.batch(b); // b views the records just appended to the slot
        // The decoder appended b to the slot; send the slot when the next batch might not fit.
        if (decoder.appended === b.count) baseTimeUs = b.baseTimeUs;
        if (decoder.appended > SLOT_RECORDS - MAX_BATCH) return flush();
      },
    },
    { chunkSize: job.chunkSize, maxFrameBytes: job.maxFrameBytes, reuseBatches: true, worker: false },
    decoder,
  );
  await flush();
  if (stage) result.stageResult = stage.result();
  send({ t: 'done', result });
}

const data = workerData as (ReadJob & { deferred?: boolean }) | undefined;
if (parentPort && data?.pymemprofRead) {
  const port = parentPort;
  const start = (job: ReadJob): void => {
    run(port, job).catch((err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      const bad = e instanceof BadCaptureError;
      const m: WorkerMessage = { t: 'error', message: e.message, code: bad ? e.code : '', bad, stack: e.stack };
      port.postMessage(m);
    });
  };
  // Started ahead of its job (read-worker-start.ts): the modules above are loaded; the job comes next.
  if (data.deferred) port.once('message', (m: { t: 'job'; job: ReadJob }) => start(m.job));
  else start(data);
}
