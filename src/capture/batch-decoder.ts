/**
 * Fast decoder for `RecordBatch` (proto/capture.proto) straight into typed arrays.
 *
 * Columns kind, address_delta, thread and time_delta_us have one entry per record; size and stack
 * are sparse (only for the kinds that carry them, see kindHasSize / kindHasStack). Fields may come in
 * any order, packed or not, split over several occurrences (protobuf concatenates repeated fields).
 * Any inconsistency throws BadCaptureError; allocations are proportional to the input length
 * (every entry takes at least one byte of input).
 *
 * Format 3 batches carry address_op / address_arg (the address model, address-model.ts) and
 * time_step / time_run instead of the two deltas; a batch has one set or the other. The model's state
 * runs through a capture's batches, so a capture's batches must all go through one BatchDecoder (or
 * one AddressDecoder), in order.
 *
 * BatchDecoder is the fast path (one pass, reusable arrays, see "Reading fast" in
 * docs/ARCHITECTURE.md); checkedDecodeRecordBatch, the original two-pass decoder, explains what is
 * wrong with a batch the fast path rejects.
 */
import { BadCaptureError } from '../errors';
import { nativePasses, NativeDecodeColumns, NativeModelDecoder } from '../analysis/native-passes';
import { AddressDecoder, ModelFailure, OP_USE, WINDOW } from './address-model';

export const enum RecordKind {
  UNSPECIFIED = 0,
  ALLOC_RAW = 1,
  ALLOC_MEM = 2,
  ALLOC_OBJ = 3,
  FREE_RAW = 4,
  FREE_MEM = 5,
  FREE_OBJ = 6,
  RESIZE_RAW = 7,
  RESIZE_MEM = 8,
  RESIZE_OBJ = 9,
  ARENA_ALLOC = 10,
  ARENA_FREE = 11,
  MARK = 12,
}

/** Same values as RecordKind, usable at run time (const enums vanish). */
export const KIND = {
  ALLOC_RAW: 1,
  ALLOC_MEM: 2,
  ALLOC_OBJ: 3,
  FREE_RAW: 4,
  FREE_MEM: 5,
  FREE_OBJ: 6,
  RESIZE_RAW: 7,
  RESIZE_MEM: 8,
  RESIZE_OBJ: 9,
  ARENA_ALLOC: 10,
  ARENA_FREE: 11,
  MARK: 12,
} as const;

export const MAX_KIND = 12;

export function isAlloc(kind: number): boolean {
  return kind >= 1 && kind <= 3;
}
export function isFree(kind: number): boolean {
  return kind >= 4 && kind <= 6;
}
export function isResize(kind: number): boolean {
  return kind >= 7 && kind <= 9;
}
/** ALLOC_*, RESIZE_*, ARENA_ALLOC and MARK carry a size entry. */
export function kindHasSize(kind: number): boolean {
  return (kind >= 1 && kind <= 3) || (kind >= 7 && kind <= 10) || kind === 12;
}
/** ALLOC_*, RESIZE_* and MARK carry a stack entry. */
export function kindHasStack(kind: number): boolean {
  return (kind >= 1 && kind <= 3) || (kind >= 7 && kind <= 9) || kind === 12;
}

// Lookup tables indexed by kind (0..255): 1 when the kind carries the column.
const HAS_SIZE = new Uint8Array(256);
const HAS_STACK = new Uint8Array(256);
for (let k = 0; k <= MAX_KIND; k++) {
  HAS_SIZE[k] = kindHasSize(k) ? 1 : 0;
  HAS_STACK[k] = kindHasStack(k) ? 1 : 0;
}

export interface DecodedBatch {
  /** Number of records. */
  count: number;
  kind: Uint8Array;
  /** Absolute addresses (exact below 2^53). */
  address: Float64Array;
  /** Requested size; 0 for kinds without a size entry. For MARK: the mark id. */
  size: Float64Array;
  /** Stack node id; 0 for kinds without a stack entry. */
  stack: Uint32Array;
  thread: Uint32Array;
  /** Microseconds since tracing began. */
  timeUs: Float64Array;
  baseTimeUs: number;
  /**
   * Sampled captures (RecordBatch fields 12, 13), read on the reading thread only (not carried to
   * other threads): per record, the process's exact live bytes (0: not known) and an ALLOC record's
   * usable size. Absent when the batch has no such column or its length does not match the records.
   */
  liveBytes?: Float64Array;
  usableSize?: Float64Array;
  /**
   * Sampled captures with those counts (set by capture/sampling.ts, on the reading thread only): per
   * record, the exact peak's estimate of the requested bytes live at the highest moment since the
   * record's thread's previous sample (ExactPeak.bytes taken there); NaN where a record has none.
   * The report pass places the high-water marks by it instead of by the samples' weighted sizes.
   */
  exactLive?: Float64Array;
}

// Field numbers of RecordBatch.
const F_KIND = 1;
const F_ADDRESS = 2;
const F_SIZE = 3;
const F_STACK = 4;
const F_THREAD = 5;
const F_TIME = 6;
const F_BASE_TIME = 7;
const F_OP = 8;
const F_ARG = 9;
const F_STEP = 10;
const F_RUN = 11;
const LAST_FIELD = F_RUN;
const F_LIVE_BYTES = 12;
const F_USABLE_SIZE = 13;
/** The fields holding columns (7 is a single varint). */
const COLUMN_FIELDS = [F_KIND, F_ADDRESS, F_SIZE, F_STACK, F_THREAD, F_TIME, F_OP, F_ARG, F_STEP, F_RUN];
const isColumnField = (f: number): boolean => f >= F_KIND && f <= LAST_FIELD && f !== F_BASE_TIME;

const TWO32 = 4294967296;

function bad(context: string, what: string): BadCaptureError {
  return new BadCaptureError(`${context}: corrupt record batch: ${what}`);
}

/**
 * Column segments: for each field 1..6 a flat list of [start, end) byte ranges, each holding
 * back-to-back varints (a packed payload, or the single varint of a non-packed occurrence).
 */
class Segments {
  ranges: number[] = [];
  count = 0;
}

/** Counts the varints in buf[start, end), checking that the last one is terminated. */
function countVarints(buf: Uint8Array, start: number, end: number, context: string, name: string): number {
  if (start === end) return 0;
  if (buf[end - 1]! & 0x80) throw bad(context, `${name} column ends inside a varint`);
  let n = 0;
  let run = 0;
  for (let i = start; i < end; i++) {
    if (buf[i]! & 0x80) {
      if (++run >= 10) throw bad(context, `${name} column has a varint longer than 10 bytes`);
    } else {
      n++;
      run = 0;
    }
  }
  return n;
}

interface Cursor {
  pos: number;
}

/** Reads the varint at c.pos, which must end before `end` (else BadCaptureError); returns it as a double. */
function readVarint64(buf: Uint8Array, c: Cursor, end: number, context: string): number {
  let pos = c.pos;
  // A field's value may be missing at the very end (a tag is the last byte): never read past `end`.
  if (pos >= end) throw bad(context, 'varint runs past the end');
  let b = buf[pos++]!;
  if (b < 0x80) {
    c.pos = pos;
    return b;
  }
  let lo = b & 0x7f;
  let shift = 7;
  // Low 28 bits via bit ops, the rest in floating point.
  while (shift < 28) {
    if (pos >= end) throw bad(context, 'varint runs past the end');
    b = buf[pos++]!;
    lo |= (b & 0x7f) << shift;
    if (b < 0x80) {
      c.pos = pos;
      return lo >>> 0;
    }
    shift += 7;
  }
  let value = lo >>> 0;
  let mul = 268435456; // 2^28
  for (let i = 4; i < 10; i++) {
    if (pos >= end) throw bad(context, 'varint runs past the end');
    b = buf[pos++]!;
    value += (b & 0x7f) * mul;
    if (b < 0x80) {
      c.pos = pos;
      return value;
    }
    mul *= 128;
  }
  throw bad(context, 'varint longer than 10 bytes');
}

function readTag(buf: Uint8Array, c: Cursor, end: number, context: string): number {
  const v = readVarint64(buf, c, end, context);
  if (v >= TWO32) throw bad(context, 'field tag out of range');
  return v;
}

/**
 * The original two-pass decoder: counts every column, then checks and decodes one column at a time.
 * Slower than BatchDecoder but precise about what is wrong, so BatchDecoder runs it on a batch it
 * found corrupt, to throw this decoder's message. Also a second implementation for tests.
 *
 * A format-3 batch's addresses follow from `model`, the state left by the capture's earlier batches
 * (updated here); without one, a fresh model: the batch must then be its capture's first.
 */
export function checkedDecodeRecordBatch(
  buf: Uint8Array,
  start = 0,
  end = buf.length,
  context = 'record batch',
  model?: AddressDecoder,
): DecodedBatch {
  return checkedDecode(buf, start, end, context, model, 0)!;
}

/**
 * checkedDecodeRecordBatch, and BatchDecoder's explanation of a batch it refused. `model`: null to
 * stop before the address model (all other checks done; returns null for a format-3 batch that
 * passes them), undefined for a fresh one. `from`: the record the model is at (BatchDecoder's model
 * stops before the record it refuses, so the explanation resumes there; the records before it are
 * only stepped over).
 */
function checkedDecode(
  buf: Uint8Array,
  start: number,
  end: number,
  context: string,
  model: AddressDecoder | null | undefined,
  from: number,
): DecodedBatch | null {
  if (start < 0 || end > buf.length || start > end) throw new RangeError('decodeRecordBatch: bad range');
  const cols: Segments[] = [];
  for (let f = 0; f <= LAST_FIELD; f++) cols.push(new Segments());
  let baseTimeUs = 0;
  const c: Cursor = { pos: start };

  // Pass 1: locate the column payloads, count entries, skip unknown fields.
  while (c.pos < end) {
    const tag = readTag(buf, c, end, context);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 0) throw bad(context, 'field number 0');
    if (field === F_OP) {
      // bytes, not a repeated field: the last occurrence counts (as protobuf has it).
      if (wire !== 2) throw bad(context, `field ${field} has wire type ${wire}`);
      const len = readVarint64(buf, c, end, context);
      if (len > end - c.pos) throw bad(context, `field ${field} length ${len} runs past the end`);
      const seg = cols[field]!;
      seg.ranges = [c.pos, c.pos + len];
      seg.count = len;
      c.pos += len;
    } else if (isColumnField(field)) {
      const seg = cols[field]!;
      if (wire === 2) {
        const len = readVarint64(buf, c, end, context);
        if (len > end - c.pos) throw bad(context, `field ${field} length ${len} runs past the end`);
        const s = c.pos;
        const e = s + len;
        seg.count += countVarints(buf, s, e, context, columnName(field));
        seg.ranges.push(s, e);
        c.pos = e;
      } else if (wire === 0) {
        const s = c.pos;
        readVarint64(buf, c, end, context);
        seg.count += 1;
        seg.ranges.push(s, c.pos);
      } else {
        throw bad(context, `field ${field} has wire type ${wire}`);
      }
    } else if (field === F_BASE_TIME) {
      if (wire !== 0) throw bad(context, `field ${field} has wire type ${wire}`);
      baseTimeUs = readVarint64(buf, c, end, context);
    } else {
      skipField(buf, c, end, wire, context);
    }
  }

  const count = cols[F_KIND]!.count;
  const v3 = hasFormat3Columns(cols[F_OP]!.ranges, cols[F_ARG]!.ranges, cols[F_STEP]!.ranges, cols[F_RUN]!.ranges);
  const v2 = cols[F_ADDRESS]!.ranges.length > 0 || cols[F_TIME]!.ranges.length > 0;
  if (v3 && v2) throw bad(context, MIXED_FORMATS);
  if (!v3 && !v2 && count > 0) throw bad(context, `${count} records without addresses or times (neither address_delta and time_delta_us nor address_op and time_run)`);
  if (!v3) {
    if (cols[F_ADDRESS]!.count !== count) throw bad(context, `${cols[F_ADDRESS]!.count} address entries for ${count} records`);
  }
  if (cols[F_THREAD]!.count !== count) throw bad(context, `${cols[F_THREAD]!.count} thread entries for ${count} records`);
  if (!v3) {
    if (cols[F_TIME]!.count !== count) throw bad(context, `${cols[F_TIME]!.count} time entries for ${count} records`);
  } else {
    if (cols[F_OP]!.count !== count) throw bad(context, `address_op has ${cols[F_OP]!.count} entries for ${count} records`);
    if (cols[F_STEP]!.count !== cols[F_RUN]!.count) throw bad(context, `time_step has ${cols[F_STEP]!.count} entries for ${cols[F_RUN]!.count} time runs`);
  }

  const kind = new Uint8Array(count);
  const address = new Float64Array(count);
  const size = new Float64Array(count);
  const stack = new Uint32Array(count);
  const thread = new Uint32Array(count);
  const timeUs = new Float64Array(count);

  // kinds, and the number of size / stack entries they require.
  let needSize = 0;
  let needStack = 0;
  {
    const r = cols[F_KIND]!.ranges;
    let i = 0;
    for (let j = 0; j < r.length; j += 2) {
      c.pos = r[j]!;
      const e = r[j + 1]!;
      while (c.pos < e) {
        const k = readVarint64(buf, c, e, context);
        if (k < 1 || k > MAX_KIND) throw bad(context, `unknown record kind ${k} (record ${i})`);
        kind[i++] = k;
        needSize += HAS_SIZE[k]!;
        needStack += HAS_STACK[k]!;
      }
    }
  }
  if (cols[F_SIZE]!.count !== needSize) throw bad(context, `${cols[F_SIZE]!.count} size entries where the record kinds need ${needSize}`);
  if (cols[F_STACK]!.count !== needStack) throw bad(context, `${cols[F_STACK]!.count} stack entries where the record kinds need ${needStack}`);

  let ops: Uint8Array | null = null;
  if (v3) {
    // Everything about ops, args and runs that does not depend on the model's state.
    ops = count > 0 ? buf.subarray(cols[F_OP]!.ranges[0]!, cols[F_OP]!.ranges[1]!) : new Uint8Array(0);
    let needArgs = 0;
    for (let i = 0; i < count; i++) {
      const use = OP_USE[kind[i]! * 256 + ops[i]!]!;
      if (use === 0) throw bad(context, opMisfit(ops[i]!, i, kind[i]!));
      if (use === 2) needArgs++;
    }
    if (cols[F_ARG]!.count !== needArgs) throw bad(context, `address_arg has ${cols[F_ARG]!.count} entries where the ops need ${needArgs}`);
    let records = 0;
    let run = 0;
    const r = cols[F_RUN]!.ranges;
    for (let j = 0; j < r.length; j += 2) {
      c.pos = r[j]!;
      const e = r[j + 1]!;
      while (c.pos < e) {
        const v = readVarint64(buf, c, e, context);
        if (v >= TWO32) throw bad(context, `time_run ${v} out of range`);
        if (v === 0) throw bad(context, `time_run entry ${run} is 0 (a run has at least one record)`);
        records += v;
        run++;
      }
    }
    if (records !== count) throw bad(context, `time_run entries add up to ${records} for ${count} records`);
  } else {
    // addresses: zig-zag deltas.
    const r = cols[F_ADDRESS]!.ranges;
    let i = 0;
    let prev = 0;
    for (let j = 0; j < r.length; j += 2) {
      c.pos = r[j]!;
      const e = r[j + 1]!;
      while (c.pos < e) {
        const first = buf[c.pos]!;
        const z = readVarint64(buf, c, e, context);
        // zig-zag: even n -> n/2, odd n -> -(n+1)/2 (exact below 2^53). The sign is the low bit of
        // the first byte: z itself is rounded from 2^53 up.
        const delta = (first & 1) === 0 ? z / 2 : -(z + 1) / 2;
        prev += delta;
        if (prev < 0) throw bad(context, `negative address (record ${i})`);
        address[i++] = prev;
      }
    }
  }

  // threads, times.
  fillUint32(buf, c, cols[F_THREAD]!.ranges, thread, context, 'thread');
  if (v3) {
    // Runs of records sharing a time, each time a step from the previous one.
    const steps = new Float64Array(cols[F_STEP]!.count);
    fillDouble(buf, c, cols[F_STEP]!.ranges, steps, context);
    const r = cols[F_RUN]!.ranges;
    let i = 0;
    let run = 0;
    let t = baseTimeUs;
    for (let j = 0; j < r.length; j += 2) {
      c.pos = r[j]!;
      const e = r[j + 1]!;
      while (c.pos < e) {
        const v = readVarint64(buf, c, e, context);
        t += steps[run++]!;
        timeUs.fill(t, i, i + v);
        i += v;
      }
    }
  } else {
    const r = cols[F_TIME]!.ranges;
    let i = 0;
    let t = baseTimeUs; // deltas are cumulative: each from the previous record's time
    for (let j = 0; j < r.length; j += 2) {
      c.pos = r[j]!;
      const e = r[j + 1]!;
      while (c.pos < e) {
        t += readVarint64(buf, c, e, context);
        timeUs[i++] = t;
      }
    }
  }

  // sparse columns.
  if (needSize > 0) {
    const r = cols[F_SIZE]!.ranges;
    let i = 0;
    for (let j = 0; j < r.length; j += 2) {
      c.pos = r[j]!;
      const e = r[j + 1]!;
      while (c.pos < e) {
        while (HAS_SIZE[kind[i]!] === 0) i++;
        size[i++] = readVarint64(buf, c, e, context);
      }
    }
  }
  if (needStack > 0) {
    const r = cols[F_STACK]!.ranges;
    let i = 0;
    for (let j = 0; j < r.length; j += 2) {
      c.pos = r[j]!;
      const e = r[j + 1]!;
      while (c.pos < e) {
        while (HAS_STACK[kind[i]!] === 0) i++;
        const v = readVarint64(buf, c, e, context);
        if (v >= TWO32) throw bad(context, `stack id ${v} out of range`);
        stack[i++] = v;
      }
    }
  }

  // The address model last: its failures are the ones that depend on earlier batches.
  if (v3) {
    if (model === null) return null;
    const m = model ?? new AddressDecoder();
    const args = new Float64Array(cols[F_ARG]!.count);
    fillDouble(buf, c, cols[F_ARG]!.ranges, args, context);
    if (from === 0) m.startBatch();
    let ai = 0;
    for (let i = 0; i < count; i++) {
      const k = kind[i]!;
      const op = ops![i]!;
      const arg = OP_USE[k * 256 + op] === 2 ? args[ai++]! : 0;
      if (i < from) continue;
      const a = m.decode(k, size[i]!, op, arg);
      if (a < 0) throw bad(context, modelMessage(m, op, i, k, size[i]!));
      address[i] = a;
    }
  }

  return { count, kind, address, size, stack, thread, timeUs, baseTimeUs };
}

const MIXED_FORMATS =
  'address_delta or time_delta_us (format 2) mixed with address_op, address_arg, time_step or time_run (format 3)';

/** Whether any of fields 8-11 occurs (their [start, end) ranges). */
function hasFormat3Columns(op: number[], arg: number[], step: number[], run: number[]): boolean {
  return op.length > 0 || arg.length > 0 || step.length > 0 || run.length > 0;
}

function opMisfit(op: number, i: number, k: number): string {
  return `address_op: op ${op} at record ${i} does not apply to a record of kind ${k}`;
}

/** Why `m` refused op at record i, after decode() returned -1. */
export function modelMessage(m: AddressDecoder, op: number, i: number, k: number, size: number): string {
  const v = m.failValue;
  switch (m.failure) {
    case ModelFailure.OP:
      return v < 0 ? opMisfit(op, i, k) : `address_op: op ${op} at record ${i} continues a pool, but size ${size} is not pymalloc's`;
    case ModelFailure.ARG:
      return v < 0 ? `address_arg: op ${op} at record ${i} has no argument` : `address_arg: op ${op} at record ${i} has argument ${v}, beyond 2^53`;
    case ModelFailure.WINDOW:
      return `address_arg: op ${op} at record ${i} refers to the allocation ${v} before the latest, beyond the ${Math.min(WINDOW, m.allocations)} the model keeps`;
    case ModelFailure.REUSE: {
      const n = m.reuseListLength(k, size);
      return n === 0
        ? `address_arg: op ${op} at record ${i} refers to an empty reuse list`
        : `address_arg: op ${op} at record ${i} refers to entry ${v} of a reuse list of ${n}`;
    }
    case ModelFailure.ADDRESS:
      return `address_arg: op ${op} at record ${i} gives address ${v}, outside [0, 2^53)`;
    default:
      return `address_op: op ${op} at record ${i} refused`;
  }
}

/** The varints of r's ranges into out, as doubles. */
function fillDouble(buf: Uint8Array, c: Cursor, r: number[], out: Float64Array, context: string): void {
  let i = 0;
  for (let j = 0; j < r.length; j += 2) {
    c.pos = r[j]!;
    const e = r[j + 1]!;
    while (c.pos < e) out[i++] = readVarint64(buf, c, e, context);
  }
}

function fillUint32(buf: Uint8Array, c: Cursor, r: number[], out: Uint32Array, context: string, name: string): void {
  let i = 0;
  for (let j = 0; j < r.length; j += 2) {
    c.pos = r[j]!;
    const e = r[j + 1]!;
    while (c.pos < e) {
      const v = readVarint64(buf, c, e, context);
      if (v >= TWO32) throw bad(context, `${name} ${v} out of range`);
      out[i++] = v;
    }
  }
}

function columnName(field: number): string {
  return (
    ['?', 'kind', 'address_delta', 'size', 'stack', 'thread', 'time_delta_us', 'base_time_us', 'address_op', 'address_arg', 'time_step', 'time_run'][field] ??
    `field ${field}`
  );
}

/** Skips one field's payload of the given wire type (used for unknown fields). */
export function skipField(buf: Uint8Array, c: Cursor, end: number, wire: number, context: string): void {
  switch (wire) {
    case 0:
      readVarint64(buf, c, end, context);
      return;
    case 1:
      if (end - c.pos < 8) throw bad(context, 'fixed64 field runs past the end');
      c.pos += 8;
      return;
    case 2: {
      const len = readVarint64(buf, c, end, context);
      if (len > end - c.pos) throw bad(context, `length ${len} runs past the end`);
      c.pos += len;
      return;
    }
    case 5:
      if (end - c.pos < 4) throw bad(context, 'fixed32 field runs past the end');
      c.pos += 4;
      return;
    default:
      throw bad(context, `unknown wire type ${wire}`);
  }
}

// ---- The fast decoder ----

/** Position after the varint last read by readVarintAt / varintAt (a module variable: no result object). */
let vpos = 0;

/**
 * Reads the varint at buf[p], which must end before `end`; returns its value (as readVarint64
 * computes it) and leaves the position after it in `vpos`. Returns -1 when the varint runs past
 * `end` or is longer than 10 bytes.
 */
function readVarintAt(buf: Uint8Array, p: number, end: number): number {
  let value = 0;
  let mul = 1;
  for (let q = p; q < p + 10; q++) {
    if (q >= end) return -1;
    const b = buf[q]!;
    value += (b & 0x7f) * mul;
    if (b < 0x80) {
      vpos = q + 1;
      return value;
    }
    mul *= 128;
  }
  return -1;
}

/**
 * A varint of any length at p (< end), before `end`; -1 when malformed. Sets vpos. Byte by byte,
 * unrolled to four bytes: a branch-free version (one varint's length feeding the next one's position
 * through arithmetic instead of predicted branches) measured slower.
 */
function varintAt(buf: Uint8Array, p: number, end: number): number {
  const b0 = buf[p]!;
  if (b0 < 0x80) {
    vpos = p + 1;
    return b0;
  }
  if (p + 4 <= end) {
    let v = b0 & 0x7f;
    let b = buf[p + 1]!;
    v |= (b & 0x7f) << 7;
    if (b < 0x80) {
      vpos = p + 2;
      return v;
    }
    b = buf[p + 2]!;
    v |= (b & 0x7f) << 14;
    if (b < 0x80) {
      vpos = p + 3;
      return v;
    }
    b = buf[p + 3]!;
    v |= (b & 0x7f) << 21;
    if (b < 0x80) {
      vpos = p + 4;
      return v;
    }
  }
  return readVarintAt(buf, p, end);
}

/** Whether buf[p, end) holds a byte with its top bit set (a varint longer than one byte). */
function hasLongVarint(buf: Uint8Array, p: number, end: number): boolean {
  for (; p < end; p++) if (buf[p]! >= 0x80) return true;
  return false;
}

/** The kinds in buf[p, end) from index o; returns their number, or -1 on an unknown kind or bad varint. */
function decodeKinds(buf: Uint8Array, p: number, end: number, kind: Uint8Array, o: number): number {
  let i = o;
  while (p < end) {
    let k = buf[p]!;
    if (k < 0x80) p++;
    else {
      k = readVarintAt(buf, p, end); // valid protobuf, though the writer never does this
      p = vpos;
    }
    if (k < 1 || k > MAX_KIND) return -1;
    kind[i++] = k;
  }
  return i - o;
}

/** The thread column (one entry per record) into thread[o, o + n); false when malformed. */
function decodeThreads(buf: Uint8Array, at: Int32Array, o: number, n: number, thread: Uint32Array): boolean {
  let p = at[2 * F_THREAD]!;
  const end = at[2 * F_THREAD + 1]!;
  for (let i = o; i < o + n; i++) {
    if (p >= end) return false;
    let v = buf[p]!;
    if (v < 0x80) p++;
    else {
      v = readVarintAt(buf, p, end);
      if (v < 0 || v >= TWO32) return false;
      p = vpos;
    }
    thread[i] = v;
  }
  if (p !== end) return false;
  return true;
}

/**
 * The other columns of n records whose kinds are in kind[o, o + n) (checked here), written from
 * index o. Threads
 * and time deltas one column at a time (one byte each, nearly always: well predicted); the
 * variable-length columns in one loop over the records, where each column's cursor is its own
 * dependency chain, so the processor overlaps them (a loop per column would wait on every varint's
 * length in turn). `at` holds [start, end) of columns 1..6 at indices 2f, 2f+1. Returns false when a
 * column is malformed, has the wrong number of entries or a value is out of range.
 */
function decodeColumns(
  buf: Uint8Array,
  at: Int32Array,
  baseTimeUs: number,
  o: number,
  n: number,
  kind: Uint8Array,
  address: Float64Array,
  size: Float64Array,
  stack: Uint32Array,
  thread: Uint32Array,
  timeUs: Float64Array,
): boolean {
  if (!decodeThreads(buf, at, o, n, thread)) return false;

  let p = at[2 * F_TIME]!;
  let end = at[2 * F_TIME + 1]!;
  let t = baseTimeUs;
  for (let i = o; i < o + n; i++) {
    if (p >= end) return false;
    let v = buf[p]!;
    if (v < 0x80) p++;
    else {
      v = readVarintAt(buf, p, end);
      if (v < 0) return false;
      p = vpos;
    }
    t += v;
    timeUs[i] = t;
  }
  if (p !== end) return false;

  let ap = at[2 * F_ADDRESS]!;
  const aEnd = at[2 * F_ADDRESS + 1]!;
  let sp = at[2 * F_SIZE]!;
  const sEnd = at[2 * F_SIZE + 1]!;
  let stp = at[2 * F_STACK]!;
  const stEnd = at[2 * F_STACK + 1]!;
  let prev = 0;
  for (let i = o; i < o + n; i++) {
    // zig-zag address delta: even z -> z/2, odd z -> -(z+1)/2 (integer ops below 2^31, exact doubles above).
    if (ap >= aEnd) return false;
    const z = varintAt(buf, ap, aEnd);
    if (z < 0) return false;
    // The sign from the first byte's low bit: z is rounded from 2^53 up.
    prev += z < 0x80000000 ? (z >>> 1) ^ -(z & 1) : (buf[ap]! & 1) === 0 ? z / 2 : -(z + 1) / 2;
    ap = vpos;
    if (prev < 0) return false;
    address[i] = prev;

    const k = kind[i]!;
    if (k < 1 || k > MAX_KIND) return false;
    if (HAS_SIZE[k] !== 0) {
      if (sp >= sEnd) return false;
      const v = varintAt(buf, sp, sEnd);
      if (v < 0) return false;
      sp = vpos;
      size[i] = v;
    } else {
      size[i] = 0;
    }
    if (HAS_STACK[k] !== 0) {
      if (stp >= stEnd) return false;
      const v = varintAt(buf, stp, stEnd);
      if (v < 0 || v >= TWO32) return false;
      stp = vpos;
      stack[i] = v;
    } else {
      stack[i] = 0;
    }
  }
  return ap === aEnd && sp === sEnd && stp === stEnd;
}

/** After decodeModelColumns returned false: the record (from o) its model refused, else -1. */
let modelFailedAt = -1;

/**
 * decodeColumns for a format-3 batch: kinds already decoded and checked into kind[o, o + n), `at`
 * holding [start, end) of fields 1..11 (-1, -1: absent). Times from the runs, then addresses from
 * `model` (started on this batch) in the loop over the records with sizes and stacks. False when
 * anything is malformed; when the model refused record o + i, modelFailedAt = i and the model is as
 * it was before that record (so the checked decoder can say why).
 */
function decodeModelColumns(
  buf: Uint8Array,
  at: Int32Array,
  baseTimeUs: number,
  o: number,
  n: number,
  kind: Uint8Array,
  address: Float64Array,
  size: Float64Array,
  stack: Uint32Array,
  thread: Uint32Array,
  timeUs: Float64Array,
  model: AddressDecoder,
): boolean {
  modelFailedAt = -1;
  const stop = o + n;
  if (!decodeThreads(buf, at, o, n, thread)) return false;

  // Runs of equal times: (run, step) pairs.
  let p = at[2 * F_STEP]!;
  let end = at[2 * F_STEP + 1]!;
  let rp = at[2 * F_RUN]!;
  const rEnd = at[2 * F_RUN + 1]!;
  let t = baseTimeUs;
  let i = o;
  while (rp < rEnd) {
    let run = buf[rp]!;
    if (run < 0x80) rp++;
    else {
      run = readVarintAt(buf, rp, rEnd);
      if (run < 0 || run >= TWO32) return false;
      rp = vpos;
    }
    if (run === 0 || run > stop - i || p >= end) return false;
    let step = buf[p]!;
    if (step < 0x80) p++;
    else {
      step = readVarintAt(buf, p, end);
      if (step < 0) return false;
      p = vpos;
    }
    t += step;
    const runEnd = i + run;
    while (i < runEnd) timeUs[i++] = t;
  }
  if (i !== stop || p !== end) return false;

  let op = at[2 * F_OP]!;
  if (at[2 * F_OP + 1]! - op !== n) return false;
  let ap = at[2 * F_ARG]!;
  const aEnd = at[2 * F_ARG + 1]!;
  let sp = at[2 * F_SIZE]!;
  const sEnd = at[2 * F_SIZE + 1]!;
  let stp = at[2 * F_STACK]!;
  const stEnd = at[2 * F_STACK + 1]!;
  for (let i = o; i < stop; i++) {
    const k = kind[i]!;
    let sz = 0;
    if (HAS_SIZE[k] !== 0) {
      if (sp >= sEnd) return false;
      sz = varintAt(buf, sp, sEnd);
      if (sz < 0) return false;
      sp = vpos;
    }
    size[i] = sz;
    if (HAS_STACK[k] !== 0) {
      if (stp >= stEnd) return false;
      const v = varintAt(buf, stp, stEnd);
      if (v < 0 || v >= TWO32) return false;
      stp = vpos;
      stack[i] = v;
    } else {
      stack[i] = 0;
    }
    const code = buf[op++]!;
    const use = OP_USE[k * 256 + code]!;
    let arg = 0;
    if (use === 2) {
      if (ap >= aEnd) return false;
      arg = varintAt(buf, ap, aEnd);
      if (arg < 0) return false;
      ap = vpos;
    } else if (use === 0) {
      return false;
    }
    const a = model.decode(k, sz, code, arg);
    if (a < 0) {
      modelFailedAt = i - o;
      return false;
    }
    address[i] = a;
  }
  return ap === aEnd && sp === sEnd && stp === stEnd;
}

/** The arrays batches are decoded into (see BatchDecoder.detach). */
export interface BatchArrays {
  kind: Uint8Array;
  address: Float64Array;
  size: Float64Array;
  stack: Uint32Array;
  thread: Uint32Array;
  timeUs: Float64Array;
}

export function newBatchArrays(capacity: number): BatchArrays {
  return {
    kind: new Uint8Array(capacity),
    address: new Float64Array(capacity),
    size: new Float64Array(capacity),
    stack: new Uint32Array(capacity),
    thread: new Uint32Array(capacity),
    timeUs: new Float64Array(capacity),
  };
}

/** BatchArrays in one SharedArrayBuffer: shared with another thread, never copied or transferred. */
export function newSharedBatchArrays(capacity: number): BatchArrays {
  const sab = new SharedArrayBuffer(capacity * 33);
  return {
    address: new Float64Array(sab, 0, capacity),
    size: new Float64Array(sab, capacity * 8, capacity),
    timeUs: new Float64Array(sab, capacity * 16, capacity),
    stack: new Uint32Array(sab, capacity * 24, capacity),
    thread: new Uint32Array(sab, capacity * 28, capacity),
    kind: new Uint8Array(sab, capacity * 32, capacity),
  };
}

/**
 * How a BatchDecoder treats its arrays:
 *  - 'fresh':  new arrays for every batch (the batch may be kept);
 *  - 'reuse':  the same arrays for every batch, grown to the largest: a batch is valid until the next
 *              decode;
 *  - 'append': each batch after the previous ones, until detach() hands the arrays over (the reader
 *              thread sends them to the reducing thread this way).
 */
export type BatchDecoderMode = 'fresh' | 'reuse' | 'append';

/**
 * Decodes record batches in one pass over the columns with no counting pass before; on anything
 * inconsistent it runs the checked decoder to throw the precise error.
 */
export class BatchDecoder {
  private arrays: BatchArrays = newBatchArrays(0);
  /** Records held (append mode); where the next batch goes. */
  private used = 0;
  /** Columns split over several field occurrences are joined here (rare: the writer never splits). */
  private joined = new Uint8Array(0);
  /** The buffer holding the columns, and [start, end) of column f (field number) at 2f, 2f+1. */
  private source: Uint8Array = new Uint8Array(0);
  private readonly at = new Int32Array(2 * (LAST_FIELD + 1));
  private readonly ranges: number[][] = Array.from({ length: LAST_FIELD + 1 }, () => []);
  /** Where fields 12 and 13 (live_bytes, usable_size) lie in the batch: [start, end) pairs. */
  private readonly sideRanges: [number[], number[]] = [[], []];
  private sideArrays: [Float64Array, Float64Array] = [new Float64Array(0), new Float64Array(0)];
  private readonly cursor: Cursor = { pos: 0 };

  /** The native decodeColumns (same results, about five times faster), or the TypeScript one. */
  private readonly columns: NativeDecodeColumns;

  /**
   * Format 3: the address model's state, native or TypeScript, chosen once (each holds its own
   * state, so a capture's batches must all go through the same one); made at the first such batch.
   */
  private readonly NativeModel: (new () => NativeModelDecoder) | null;
  private nativeModel: NativeModelDecoder | null = null;
  private model: AddressDecoder | null = null;
  /** Format-3 batches decoded: none yet means the model is fresh. */
  private modelBatches = 0;
  /** After a refused batch: whether it was format 3, and the record the TypeScript model refused (-1: none). */
  private refusedV3 = false;
  private refusedAt = -1;

  /**
   * `native`: use the native column decoder and address model when they are built (default true; see
   * native-passes.ts).
   */
  constructor(
    private readonly mode: BatchDecoderMode = 'reuse',
    native = true,
  ) {
    const kernels = native ? nativePasses() : null;
    this.columns = kernels?.decodeColumns || decodeColumns;
    this.NativeModel = typeof kernels?.ModelDecoder === 'function' ? kernels.ModelDecoder : null;
  }

  /** Records decoded since the last detach (append mode). */
  get appended(): number {
    return this.used;
  }

  /** Append mode: hands over the arrays and their record count; decoding goes on into `next`. */
  detach(next: BatchArrays): { arrays: BatchArrays; count: number } {
    const out = { arrays: this.arrays, count: this.used };
    this.arrays = next;
    this.used = 0;
    return out;
  }

  decode(buf: Uint8Array, start = 0, end = buf.length, context = 'record batch'): DecodedBatch {
    if (start < 0 || end > buf.length || start > end) throw new RangeError('decodeRecordBatch: bad range');
    let b: DecodedBatch | null;
    try {
      b = this.tryDecode(buf, start, end, context);
    } catch (err) {
      if (!(err instanceof BadCaptureError)) throw err;
      b = null;
    }
    if (b === null) this.explain(buf, start, end, context);
    return b!;
  }

  /** Throws the checked decoder's message for a batch tryDecode refused. */
  private explain(buf: Uint8Array, start: number, end: number, context: string): never {
    if (!this.refusedV3) {
      checkedDecode(buf, start, end, context, null, 0); // throws the precise error
      throw bad(context, 'inconsistent columns');
    }
    // The TypeScript model stopped before the record it refused: the checked decoder resumes there.
    // The native one keeps its state to itself: only a fresh model (the capture's first format-3
    // batch) can be replayed.
    if (this.NativeModel === null) {
      checkedDecode(buf, start, end, context, this.refusedAt >= 0 ? this.model : null, this.refusedAt);
      throw bad(context, 'inconsistent columns');
    }
    if (this.modelBatches === 0) {
      checkedDecode(buf, start, end, context, undefined, 0);
      throw bad(context, 'inconsistent columns');
    }
    checkedDecode(buf, start, end, context, null, 0);
    throw bad(context, "address_op: a record's address does not follow from the address model's state");
  }

  /** Null when the batch is malformed (the caller finds out how). */
  private tryDecode(buf: Uint8Array, start: number, end: number, context: string): DecodedBatch | null {
    const c = this.cursor;
    c.pos = start;
    const ranges = this.ranges;
    for (let f = 1; f <= LAST_FIELD; f++) ranges[f]!.length = 0;
    this.sideRanges[0].length = 0;
    this.sideRanges[1].length = 0;
    let baseTimeUs = 0;
    this.refusedV3 = false;
    this.refusedAt = -1;

    // Locate the column payloads, skip unknown fields.
    while (c.pos < end) {
      const tag = readTag(buf, c, end, context);
      const field = Math.floor(tag / 8);
      const wire = tag & 7;
      if (field === 0) return null;
      if (field === F_OP) {
        // bytes: the last occurrence counts
        if (wire !== 2) return null;
        const len = readVarint64(buf, c, end, context);
        if (len > end - c.pos) return null;
        ranges[F_OP]!.length = 0;
        ranges[F_OP]!.push(c.pos, c.pos + len);
        c.pos += len;
      } else if (isColumnField(field)) {
        if (wire === 2) {
          const len = readVarint64(buf, c, end, context);
          if (len > end - c.pos) return null;
          ranges[field]!.push(c.pos, c.pos + len);
          c.pos += len;
        } else if (wire === 0) {
          const s = c.pos;
          readVarint64(buf, c, end, context);
          ranges[field]!.push(s, c.pos);
        } else {
          return null;
        }
      } else if (field === F_BASE_TIME) {
        if (wire !== 0) return null;
        baseTimeUs = readVarint64(buf, c, end, context);
      } else if ((field === F_LIVE_BYTES || field === F_USABLE_SIZE) && (wire === 0 || wire === 2)) {
        const side = this.sideRanges[field - F_LIVE_BYTES]!;
        if (wire === 2) {
          const len = readVarint64(buf, c, end, context);
          if (len > end - c.pos) return null;
          side.push(c.pos, c.pos + len);
          c.pos += len;
        } else {
          const s = c.pos;
          readVarint64(buf, c, end, context);
          side.push(s, c.pos);
        }
      } else {
        skipField(buf, c, end, wire, context);
      }
    }
    const v3 = hasFormat3Columns(ranges[F_OP]!, ranges[F_ARG]!, ranges[F_STEP]!, ranges[F_RUN]!);
    if (v3 && (ranges[F_ADDRESS]!.length > 0 || ranges[F_TIME]!.length > 0)) return null;
    this.refusedV3 = v3;
    if (!this.joinColumns(buf, v3)) return null;

    // Kinds give the count: at most one record per byte of their column.
    const o = this.mode === 'append' ? this.used : 0;
    this.reserve(o, this.at[2 * F_KIND + 1]! - this.at[2 * F_KIND]!);
    const src = this.source;
    const a = this.arrays;
    const kStart = this.at[2 * F_KIND]!;
    const kEnd = this.at[2 * F_KIND + 1]!;
    let n: number;
    if (v3 && this.NativeModel === null) {
      // The TypeScript model runs as it decodes: kinds decoded and checked before it.
      n = decodeKinds(src, kStart, kEnd, a.kind, o);
      if (n < 0 || !this.decodeModel(src, baseTimeUs, o, n)) return null;
    } else {
      // Kinds are one byte each from the writer: copied, then checked by the columns' loop, which
      // refuses a wrong count before a format-3 model runs (its state stays untouched). Longer kinds
      // (valid protobuf, though the writer never does this) are decoded and the batch tried again.
      const columns = this.columns;
      const decode = (count: number): boolean =>
        v3 ? this.decodeModel(src, baseTimeUs, o, count) : columns(src, this.at, baseTimeUs, o, count, a.kind, a.address, a.size, a.stack, a.thread, a.timeUs);
      n = kEnd - kStart;
      a.kind.set(src.subarray(kStart, kEnd), o);
      if (!decode(n)) {
        if (!hasLongVarint(src, kStart, kEnd)) return null; // malformed
        n = decodeKinds(src, kStart, kEnd, a.kind, o);
        if (n < 0 || !decode(n)) return null;
      }
    }
    if (this.mode === 'append') this.used += n;
    const whole = o === 0 && n === a.kind.length;
    const liveBytes = this.sideColumn(buf, 0, n);
    const usableSize = this.sideColumn(buf, 1, n);
    return {
      liveBytes,
      usableSize,
      count: n,
      kind: whole ? a.kind : a.kind.subarray(o, o + n),
      address: whole ? a.address : a.address.subarray(o, o + n),
      size: whole ? a.size : a.size.subarray(o, o + n),
      stack: whole ? a.stack : a.stack.subarray(o, o + n),
      thread: whole ? a.thread : a.thread.subarray(o, o + n),
      timeUs: whole ? a.timeUs : a.timeUs.subarray(o, o + n),
      baseTimeUs,
    };
  }

  /**
   * Side column i (0: live_bytes, 1: usable_size) of the batch just located, or undefined when it is
   * absent or does not hold exactly n varints (the information is optional: readers that do not know
   * it skip it, and so does this one when it is malformed).
   */
  private sideColumn(buf: Uint8Array, i: 0 | 1, n: number): Float64Array | undefined {
    const r = this.sideRanges[i]!;
    if (r.length === 0) return undefined;
    let out = this.sideArrays[i]!;
    if (this.mode !== 'reuse' || out.length < n) out = new Float64Array(n);
    if (this.mode === 'reuse') this.sideArrays[i] = out;
    const c: Cursor = { pos: 0 };
    let k = 0;
    try {
      for (let j = 0; j < r.length; j += 2) {
        c.pos = r[j]!;
        const e = r[j + 1]!;
        while (c.pos < e) {
          if (k === n) return undefined;
          out[k++] = readVarint64(buf, c, e, 'side column');
        }
      }
    } catch (err) {
      if (err instanceof BadCaptureError) return undefined;
      throw err;
    }
    return k === n ? out.subarray(0, n) : undefined;
  }

  /** Format 3: the columns of n records (kinds decoded) through the model. */
  private decodeModel(src: Uint8Array, baseTimeUs: number, o: number, n: number): boolean {
    const a = this.arrays;
    if (this.NativeModel !== null) {
      this.nativeModel ??= new this.NativeModel();
      if (!this.nativeModel.decode(src, this.at, baseTimeUs, o, n, a.kind, a.address, a.size, a.stack, a.thread, a.timeUs)) return false;
    } else {
      const model = (this.model ??= new AddressDecoder());
      model.startBatch();
      if (!decodeModelColumns(src, this.at, baseTimeUs, o, n, a.kind, a.address, a.size, a.stack, a.thread, a.timeUs, model)) {
        this.refusedAt = modelFailedAt;
        return false;
      }
    }
    this.modelBatches++;
    return true;
  }

  /**
   * Gives every column one contiguous range `at[2f], at[2f+1]` in one buffer (`source`): `buf` when no
   * column is split, else all columns copied one after another into `joined`. False when a piece of a
   * split column ends inside a varint (joining would hide it). An absent column: [0, 0) in a format-2
   * batch (as the native decodeColumns takes it), [-1, -1) in a format-3 one (as its ModelDecoder does).
   */
  private joinColumns(buf: Uint8Array, v3: boolean): boolean {
    const at = this.at;
    const absent = v3 ? -1 : 0;
    let split = false;
    let total = 0;
    for (const f of COLUMN_FIELDS) {
      const r = this.ranges[f]!;
      if (r.length > 2) split = true;
      for (let j = 0; j < r.length; j += 2) total += r[j + 1]! - r[j]!;
    }
    at.fill(absent);
    if (!split) {
      this.source = buf;
      for (const f of COLUMN_FIELDS) {
        const r = this.ranges[f]!;
        if (r.length === 0) continue;
        at[2 * f] = r[0]!;
        at[2 * f + 1] = r[1]!;
      }
      return true;
    }
    if (total > this.joined.length) this.joined = new Uint8Array(Math.max(total, this.joined.length * 2));
    const joined = this.joined;
    this.source = joined;
    let pos = 0;
    for (const f of COLUMN_FIELDS) {
      const r = this.ranges[f]!;
      if (r.length === 0 && v3) continue;
      at[2 * f] = pos;
      for (let j = 0; j < r.length; j += 2) {
        const s = r[j]!;
        const e = r[j + 1]!;
        if (e > s && buf[e - 1]! & 0x80) return false;
        joined.set(buf.subarray(s, e), pos);
        pos += e - s;
      }
      at[2 * f + 1] = pos;
    }
    return true;
  }

  /** Makes room for n more records after the first `keep` (which are kept in append mode). */
  private reserve(keep: number, n: number): void {
    const cap = this.arrays.kind.length;
    if (this.mode === 'fresh') {
      this.arrays = newBatchArrays(n);
      return;
    }
    if (keep + n <= cap) return;
    const old = this.arrays;
    const a = newBatchArrays(Math.max(keep + n, cap * 2));
    if (keep > 0) {
      a.kind.set(old.kind.subarray(0, keep));
      a.address.set(old.address.subarray(0, keep));
      a.size.set(old.size.subarray(0, keep));
      a.stack.set(old.stack.subarray(0, keep));
      a.thread.set(old.thread.subarray(0, keep));
      a.timeUs.set(old.timeUs.subarray(0, keep));
    }
    this.arrays = a;
  }
}

/**
 * Decodes the RecordBatch message held in buf[start, end) into new arrays.
 * `context` names the file and offset in error messages. A format-3 batch decodes from a fresh
 * address model, so only as the first batch of its capture; a capture's later batches need the
 * BatchDecoder (or model) that decoded the ones before.
 */
export function decodeRecordBatch(buf: Uint8Array, start = 0, end = buf.length, context = 'record batch'): DecodedBatch {
  return new BatchDecoder('fresh').decode(buf, start, end, context);
}

export { readVarint64 as _readVarint64, readTag as _readTag };
export type { Cursor };
