/**
 * Fast decoder for `RecordBatch` (proto/capture.proto) straight into typed arrays.
 *
 * Columns kind, address_delta, thread and time_delta_us have one entry per record; size and stack
 * are sparse (only for the kinds that carry them, see kindHasSize / kindHasStack). Fields may come in
 * any order, packed or not, split over several occurrences (protobuf concatenates repeated fields).
 * Any inconsistency throws BadCaptureError; allocations are proportional to the input length
 * (every entry takes at least one byte of input).
 *
 * BatchDecoder is the fast path (one pass, reusable arrays, see "Reading fast" in
 * docs/ARCHITECTURE.md); checkedDecodeRecordBatch, the original two-pass decoder, explains what is
 * wrong with a batch the fast path rejects.
 */
import { BadCaptureError } from '../errors';
import { nativePasses, NativeDecodeColumns } from '../analysis/native-passes';

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
 */
export function checkedDecodeRecordBatch(
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
  let p = at[2 * F_THREAD]!;
  let end = at[2 * F_THREAD + 1]!;
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

  p = at[2 * F_TIME]!;
  end = at[2 * F_TIME + 1]!;
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
  private readonly at = new Int32Array(14);
  private readonly ranges: number[][] = [[], [], [], [], [], [], []];
  private readonly cursor: Cursor = { pos: 0 };

  /** The native decodeColumns (same results, about five times faster), or the TypeScript one. */
  private readonly columns: NativeDecodeColumns;

  /** `native`: use the native column decoder when it is built (default true; see native-passes.ts). */
  constructor(
    private readonly mode: BatchDecoderMode = 'reuse',
    native = true,
  ) {
    this.columns = (native && nativePasses()?.decodeColumns) || decodeColumns;
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
    if (b === null) {
      checkedDecodeRecordBatch(buf, start, end, context); // throws the precise error
      throw bad(context, 'inconsistent columns');
    }
    return b;
  }

  /** Null when the batch is malformed (the caller finds out how). */
  private tryDecode(buf: Uint8Array, start: number, end: number, context: string): DecodedBatch | null {
    const c = this.cursor;
    c.pos = start;
    const ranges = this.ranges;
    for (let f = 1; f <= 6; f++) ranges[f]!.length = 0;
    let baseTimeUs = 0;

    // Locate the column payloads, skip unknown fields.
    while (c.pos < end) {
      const tag = readTag(buf, c, end, context);
      const field = Math.floor(tag / 8);
      const wire = tag & 7;
      if (field === 0) return null;
      if (field >= F_KIND && field <= F_TIME) {
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
      } else {
        skipField(buf, c, end, wire, context);
      }
    }
    if (!this.joinColumns(buf)) return null;

    // Kinds give the count: at most one record per byte of their column.
    const o = this.mode === 'append' ? this.used : 0;
    this.reserve(o, this.at[2 * F_KIND + 1]! - this.at[2 * F_KIND]!);
    const src = this.source;
    const a = this.arrays;
    const kStart = this.at[2 * F_KIND]!;
    const kEnd = this.at[2 * F_KIND + 1]!;
    // Kinds are one byte each from the writer: copied, then checked in decodeColumns' loop.
    let n = kEnd - kStart;
    a.kind.set(src.subarray(kStart, kEnd), o);
    const columns = this.columns;
    if (!columns(src, this.at, baseTimeUs, o, n, a.kind, a.address, a.size, a.stack, a.thread, a.timeUs)) {
      // Longer kinds (valid protobuf, though the writer never does this), or a malformed batch.
      n = decodeKinds(src, kStart, kEnd, a.kind, o);
      if (n < 0) return null;
      if (!columns(src, this.at, baseTimeUs, o, n, a.kind, a.address, a.size, a.stack, a.thread, a.timeUs)) return null;
    }
    if (this.mode === 'append') this.used += n;
    const whole = o === 0 && n === a.kind.length;
    return {
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
   * Gives every column one contiguous range `at[2f], at[2f+1]` in one buffer (`source`): `buf` when no
   * column is split, else all columns copied one after another into `joined`. False when a piece of a
   * split column ends inside a varint (joining would hide it).
   */
  private joinColumns(buf: Uint8Array): boolean {
    const at = this.at;
    let split = false;
    let total = 0;
    for (let f = 1; f <= 6; f++) {
      const r = this.ranges[f]!;
      if (r.length > 2) split = true;
      for (let j = 0; j < r.length; j += 2) total += r[j + 1]! - r[j]!;
    }
    if (!split) {
      this.source = buf;
      for (let f = 1; f <= 6; f++) {
        const r = this.ranges[f]!;
        at[2 * f] = r.length ? r[0]! : 0;
        at[2 * f + 1] = r.length ? r[1]! : 0;
      }
      return true;
    }
    if (total > this.joined.length) this.joined = new Uint8Array(Math.max(total, this.joined.length * 2));
    const joined = this.joined;
    this.source = joined;
    let pos = 0;
    for (let f = 1; f <= 6; f++) {
      const r = this.ranges[f]!;
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
 * `context` names the file and offset in error messages.
 */
export function decodeRecordBatch(buf: Uint8Array, start = 0, end = buf.length, context = 'record batch'): DecodedBatch {
  return new BatchDecoder('fresh').decode(buf, start, end, context);
}

export { readVarint64 as _readVarint64, readTag as _readTag };
export type { Cursor };
