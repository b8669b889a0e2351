/**
 * Reference RecordBatch decoding through the generated protobufjs code. Slow; used by tests to check
 * that the hand-written decoder (batch-decoder.ts) agrees with protobufjs on every batch.
 *
 * Format-3 batches take their addresses from `model`, the address model as the capture's earlier
 * batches left it (updated here); by default a fresh one, right for a capture's first batch only.
 */
import { pymemprof } from './generated/capture';
import { DecodedBatch, kindHasSize, kindHasStack, MAX_KIND } from './batch-decoder';
import { AddressDecoder, OP_USE } from './address-model';
import { BadCaptureError, oneLine } from '../errors';
import { toNumber } from './long';

/**
 * Decodes a RecordBatch message (not a Frame) into the same shape as decodeRecordBatch. `context`
 * names the file and offset in error messages.
 */
export function referenceDecodeRecordBatch(bytes: Uint8Array, context = 'record batch', model?: AddressDecoder): DecodedBatch {
  return fromMessage(decode(() => pymemprof.capture.RecordBatch.decode(bytes), context), context, model);
}

/** Decodes a Frame holding a batch into the same shape as decodeRecordBatch. */
export function referenceDecodeBatchFrame(frameBytes: Uint8Array, context = 'frame', model?: AddressDecoder): DecodedBatch {
  const f = decode(() => pymemprof.capture.Frame.decode(frameBytes), context);
  if (!f.batch) throw new BadCaptureError(`${context}: reference decoder: frame holds no batch`);
  return fromMessage(f.batch, context, model);
}

/** protobufjs throws RangeError / Error on malformed input: as BadCaptureError. */
function decode<T>(fn: () => T, context: string): T {
  try {
    return fn();
  } catch (err) {
    throw new BadCaptureError(`${context}: corrupt record batch: ${oneLine((err as Error).message)}`, 'BAD_CAPTURE', { cause: err });
  }
}

function fromMessage(m: pymemprof.capture.IRecordBatch, context: string, model?: AddressDecoder): DecodedBatch {
  const kinds = m.kind ?? [];
  const count = kinds.length;
  const addr = m.addressDelta ?? [];
  const sizes = m.size ?? [];
  const stacks = m.stack ?? [];
  const threads = m.thread ?? [];
  const times = m.timeDeltaUs ?? [];
  const ops = m.addressOp ?? new Uint8Array(0);
  const args = m.addressArg ?? [];
  const steps = m.timeStep ?? [];
  const runs = m.timeRun ?? [];
  const v3 = ops.length > 0 || args.length > 0 || steps.length > 0 || runs.length > 0;
  if (v3 && (addr.length > 0 || times.length > 0)) throw new BadCaptureError(`${context}: reference decoder: format 2 and 3 columns mixed`);
  if (threads.length !== count || (v3 ? ops.length !== count || steps.length !== runs.length : addr.length !== count || times.length !== count)) {
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
    if (v3 && (k < 1 || k > MAX_KIND)) throw new BadCaptureError(`${context}: reference decoder: record kind ${k}`);
    out.kind[i] = k;
    out.thread[i] = threads[i]!;
    if (kindHasSize(k)) out.size[i] = toNumber(sizes[si++]!);
    if (kindHasStack(k)) out.stack[i] = stacks[ti++]!;
    if (!v3) {
      prev += toNumber(addr[i]!);
      out.address[i] = prev;
      time += toNumber(times[i]!);
      out.timeUs[i] = time;
    }
  }
  if (si !== sizes.length || ti !== stacks.length) throw new BadCaptureError(`${context}: reference decoder: sparse column lengths differ`);
  if (v3) {
    let i = 0;
    for (let j = 0; j < runs.length; j++) {
      const run = runs[j]!;
      if (run < 1 || run > count - i) throw new BadCaptureError(`${context}: reference decoder: time runs do not cover the records`);
      time += toNumber(steps[j]!);
      for (const stop = i + run; i < stop; i++) out.timeUs[i] = time;
    }
    if (i !== count) throw new BadCaptureError(`${context}: reference decoder: time runs do not cover the records`);
    const addresses = model ?? new AddressDecoder();
    addresses.startBatch();
    let ai = 0;
    for (let i = 0; i < count; i++) {
      const k = out.kind[i]!;
      const op = ops[i]!;
      let arg = 0;
      if (OP_USE[k * 256 + op] === 2) arg = ai < args.length ? toNumber(args[ai++]!) : -1;
      const a = addresses.decode(k, out.size[i]!, op, arg);
      if (a < 0) throw new BadCaptureError(`${context}: reference decoder: the address model refuses op ${op} at record ${i}`);
      out.address[i] = a;
    }
    if (ai !== args.length) throw new BadCaptureError(`${context}: reference decoder: ${args.length - ai} address_arg entries left over`);
  }
  return out;
}
