/**
 * Reference RecordBatch decoding through the generated protobufjs code. Slow; used by tests to check
 * that the hand-written decoder (batch-decoder.ts) agrees with protobufjs on every batch.
 */
import { pymemprof } from './generated/capture';
import { DecodedBatch, kindHasSize, kindHasStack } from './batch-decoder';
import { BadCaptureError, oneLine } from '../errors';
import { toNumber } from './long';

/**
 * Decodes a RecordBatch message (not a Frame) into the same shape as decodeRecordBatch. `context`
 * names the file and offset in error messages.
 */
export function referenceDecodeRecordBatch(bytes: Uint8Array, context = 'record batch'): DecodedBatch {
  return fromMessage(decode(() => pymemprof.capture.RecordBatch.decode(bytes), context), context);
}

/** Decodes a Frame holding a batch into the same shape as decodeRecordBatch. */
export function referenceDecodeBatchFrame(frameBytes: Uint8Array, context = 'frame'): DecodedBatch {
  const f = decode(() => pymemprof.capture.Frame.decode(frameBytes), context);
  if (!f.batch) throw new BadCaptureError(`${context}: reference decoder: frame holds no batch`);
  return fromMessage(f.batch, context);
}

/** protobufjs throws RangeError / Error on malformed input: as BadCaptureError. */
function decode<T>(fn: () => T, context: string): T {
  try {
    return fn();
  } catch (err) {
    throw new BadCaptureError(`${context}: corrupt record batch: ${oneLine((err as Error).message)}`, 'BAD_CAPTURE', { cause: err });
  }
}

function fromMessage(m: pymemprof.capture.IRecordBatch, context: string): DecodedBatch {
  const kinds = m.kind ?? [];
  const count = kinds.length;
  const addr = m.addressDelta ?? [];
  const sizes = m.size ?? [];
  const stacks = m.stack ?? [];
  const threads = m.thread ?? [];
  const times = m.timeDeltaUs ?? [];
  if (addr.length !== count || threads.length !== count || times.length !== count) {
    throw new BadCaptureError(`${context}: reference decoder: column lengths differ`);
  }
  const base = toNumber(m.baseTimeUs ?? 0);
  const out: DecodedBatch = {
    count,
    kind: new Uint8Array(count),
    address: new Float64Array(count),
    size: new Float64Array(count),
    stack: new Uint32Array(count),
    thread: new Uint32Array(count),
    timeUs: new Float64Array(count),
    baseTimeUs: base,
  };
  let prev = 0;
  let time = base;
  let si = 0;
  let ti = 0;
  for (let i = 0; i < count; i++) {
    const k = kinds[i]!;
    out.kind[i] = k;
    prev += toNumber(addr[i]!);
    out.address[i] = prev;
    out.thread[i] = threads[i]!;
    time += toNumber(times[i]!);
    out.timeUs[i] = time;
    if (kindHasSize(k)) out.size[i] = toNumber(sizes[si++]!);
    if (kindHasStack(k)) out.stack[i] = stacks[ti++]!;
  }
  if (si !== sizes.length || ti !== stacks.length) throw new BadCaptureError(`${context}: reference decoder: sparse column lengths differ`);
  return out;
}
