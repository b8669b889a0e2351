/**
 * Fast decoder for `RecordBatch` (proto/capture.proto) straight into typed arrays.
 *
 * Columns kind, address_delta, thread and time_delta_us have one entry per record; size and stack
 * are sparse (only for the kinds that carry them, see kindHasSize / kindHasStack). Fields may come in
 * any order, packed or not, split over several occurrences (protobuf concatenates repeated fields).
 * Any inconsistency throws BadCaptureError; allocations are proportional to the input length
 * (every entry takes at least one byte of input).
 */
import { BadCaptureError } from '../errors';

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
}

// Field numbers of RecordBatch.
const F_KIND = 1;
const F_ADDRESS = 2;
const F_SIZE = 3;
const F_STACK = 4;
const F_THREAD = 5;
const F_TIME = 6;
const F_BASE_TIME = 7;

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

/** Reads a varint at pos (caller guarantees it terminates before `end`); returns the value as a double. */
interface Cursor {
  pos: number;
}

function readVarint64(buf: Uint8Array, c: Cursor, end: number, context: string): number {
  let pos = c.pos;
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
 * Decodes the RecordBatch message held in buf[start, end).
 * `context` names the file and offset in error messages.
 */
export function decodeRecordBatch(
  buf: Uint8Array,
  start = 0,
  end = buf.length,
  context = 'record batch',
): DecodedBatch {
  if (start < 0 || end > buf.length || start > end) throw new RangeError('decodeRecordBatch: bad range');
  const cols: Segments[] = [];
  for (let f = 0; f <= 6; f++) cols.push(new Segments());
  let baseTimeUs = 0;
  const c: Cursor = { pos: start };

  // Pass 1: locate the column payloads, count entries, skip unknown fields.
  while (c.pos < end) {
    const tag = readTag(buf, c, end, context);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 0) throw bad(context, 'field number 0');
    if (field >= F_KIND && field <= F_TIME) {
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
  if (cols[F_ADDRESS]!.count !== count) throw bad(context, `${cols[F_ADDRESS]!.count} address entries for ${count} records`);
  if (cols[F_THREAD]!.count !== count) throw bad(context, `${cols[F_THREAD]!.count} thread entries for ${count} records`);
  if (cols[F_TIME]!.count !== count) throw bad(context, `${cols[F_TIME]!.count} time entries for ${count} records`);

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

  // addresses: zig-zag deltas.
  {
    const r = cols[F_ADDRESS]!.ranges;
    let i = 0;
    let prev = 0;
    for (let j = 0; j < r.length; j += 2) {
      c.pos = r[j]!;
      const e = r[j + 1]!;
      while (c.pos < e) {
        const z = readVarint64(buf, c, e, context);
        // zig-zag: even n -> n/2, odd n -> -(n+1)/2 (exact below 2^53)
        const delta = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
        prev += delta;
        if (prev < 0) throw bad(context, `negative address (record ${i})`);
        address[i++] = prev;
      }
    }
  }

  // threads, times.
  fillUint32(buf, c, cols[F_THREAD]!.ranges, thread, context, 'thread');
  {
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

  return { count, kind, address, size, stack, thread, timeUs, baseTimeUs };
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
  return ['?', 'kind', 'address_delta', 'size', 'stack', 'thread', 'time_delta_us'][field] ?? `field ${field}`;
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

export { readVarint64 as _readVarint64, readTag as _readTag };
export type { Cursor };
