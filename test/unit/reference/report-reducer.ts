// Reference copy of src/analysis/report-reducer.ts before the throughput work (commit 8f320a4): the
// straightforward version the optimized reducers must agree with, figure for figure (reducers-equivalence.test.ts).
/**
 * The reducer behind the reports (flamegraph, summary, tree, extended stats): one streaming pass over
 * decoded record batches, memory bounded by the live blocks plus per-row and per-bucket aggregates.
 *
 * A "row" is a (stack node, thread) pair seen on an allocation. Per row it keeps
 *  - total:     bytes and count of every allocation (ALLOC_* and in-place RESIZE_*),
 *  - temporary: bytes and count of allocations freed before `temporaryThreshold` other allocations
 *               happened (memray's definition; threshold 1 = freed before the next allocation).
 *
 * Time is cut into at most MAX_BUCKETS buckets (width doubles as the capture grows, merging pairs).
 * Bucket k has a high-water mark P_k: the first moment of maximum live bytes within the bucket. Every
 * event gets a position: 2k when it happened in bucket k at or before P_k, 2k+1 after it. A block that
 * died is kept, aggregated per (row, alloc position, free position), only when it was live at some P_k
 * (alloc position <= 2k < free position); blocks still live at the end get the free position END. From
 * these temporal aggregates, for any window of buckets [a, b]:
 *  - the high-water mark in the window is P_k of the bucket with the largest peak, and the memory live
 *    then is exactly the entries with ap <= 2k < fp (so the whole-capture window gives the exact peak
 *    that `stats` reports);
 *  - the leaks of the window are the entries allocated in it (2a <= ap <= 2b+1) not freed by its end
 *    (fp > 2b+1); for the whole capture: fp = END.
 * The page does the same computation when the user drags a time range (src/report/flame-model.ts).
 *
 * Frees inside the current bucket cannot be placed until its peak is final: they wait in a small
 * pending map keyed by (row, alloc position), flushed as "before" on each new maximum and as "after"
 * when the bucket closes. A free of a block allocated after the bucket's latest maximum is never live
 * at any P_k and is dropped at once (the common case for short-lived objects).
 */
import { DecodedBatch } from '../../../src/capture/batch-decoder';
import { CaptureTables } from '../../../src/capture/reader';
import { BlockTable } from './block-table';

/** Buckets kept while reading (a power of two); positions stay below POS_END. */
export const MAX_BUCKETS = 1024;
/** Free position of a block still live at the end of the capture. */
export const POS_END = 4095;
const POS_MUL = 4096;
const KEY_ROW_MUL = POS_MUL * POS_MUL;
/** Initial bucket width in microseconds. */
const INITIAL_WIDTH_US = 128;
const THREAD_MUL = 1 << 20;

/** Domains in the order RAW, MEM, OBJ. */
export const DOMAINS = ['raw', 'mem', 'obj'] as const;

export interface ReportFigures {
  records: number;
  allocations: number;
  frees: number;
  resizes: number;
  unknownFrees: number;
  unknownStacks: number;
  totalAllocatedBytes: number;
  peakBytes: number;
  peakTimeUs: number;
  endBytes: number;
  endBlocks: number;
  lastTimeUs: number;
  marks: { id: number; timeUs: number }[];
}

export interface Timeline {
  /** Bucket width in microseconds. */
  widthUs: number;
  /** High-water mark within each bucket (bytes). */
  peak: number[];
  /** Live bytes at the end of each bucket. */
  end: number[];
  /** Allocation index at each bucket's high-water mark (internal; -1: before any allocation). */
  peakIdx: number[];
}

/** Temporal aggregates, columnar. */
export interface TemporalEntries {
  row: Uint32Array;
  ap: Uint16Array;
  fp: Uint16Array;
  bytes: Float64Array;
  count: Float64Array;
  length: number;
}

class Grow {
  a: Float64Array;
  constructor(n = 1024) {
    this.a = new Float64Array(n);
  }
  ensure(i: number): Float64Array {
    if (i < this.a.length) return this.a;
    let len = this.a.length;
    while (len <= i) len *= 2;
    const b = new Float64Array(len);
    b.set(this.a);
    this.a = b;
    return b;
  }
}

export class ReportReducer {
  readonly tables: CaptureTables;
  readonly temporaryThreshold: number;
  private readonly blocks = new BlockTable();

  // Figures.
  private records = 0;
  private allocations = 0; // ALLOC_* records
  private allocIndex = 0; // ALLOC_* and RESIZE_* records: index of the next allocation
  private frees = 0;
  private resizes = 0;
  private unknownFrees = 0;
  private unknownStacks = 0;
  private totalAllocated = 0;
  private liveBytes = 0;
  private peakBytes = 0;
  private peakTimeUs = 0;
  private lastTimeUs = 0;
  readonly marks: { id: number; timeUs: number }[] = [];
  /** Allocation count and bytes per domain (RAW, MEM, OBJ), allocations and in-place resizes. */
  readonly domainCount = [0, 0, 0];
  readonly domainBytes = [0, 0, 0];
  /** Allocations by size class: index i counts sizes in [2^(i-1), 2^i) (index 0: size 0). */
  readonly sizeHistogram = new Float64Array(64);

  // Rows.
  private rowCount = 0;
  private rowStack = new Uint32Array(1024);
  private rowThread = new Uint32Array(1024);
  /** Row of (stack, first thread seen with it) + 1; 0: none yet. */
  private stackRow = new Uint32Array(1024);
  private stackRowThread = new Uint32Array(1024);
  private readonly otherRows = new Map<number, number>();
  private readonly totBytes = new Grow();
  private readonly totCount = new Grow();
  private readonly tmpBytes = new Grow();
  private readonly tmpCount = new Grow();

  // Buckets.
  private widthUs = INITIAL_WIDTH_US;
  private cur = 0;
  private curEndUs = INITIAL_WIDTH_US;
  private bPeak = new Float64Array(MAX_BUCKETS);
  private bPeakIdx = new Float64Array(MAX_BUCKETS);
  private bEnd = new Float64Array(MAX_BUCKETS);

  // Pending frees of the current bucket: (row, ap) → bytes, count.
  private readonly pending = new Map<number, number>();
  private pRow = new Uint32Array(256);
  private pAp = new Uint16Array(256);
  private pBytes = new Float64Array(256);
  private pCount = new Float64Array(256);
  private pLen = 0;

  // Committed temporal aggregates: key row*KEY_ROW_MUL + ap*POS_MUL + fp → index.
  private committed = new Map<number, number>();
  private cRow = new Uint32Array(1024);
  private cAp = new Uint16Array(1024);
  private cFp = new Uint16Array(1024);
  private cBytes = new Float64Array(1024);
  private cCount = new Float64Array(1024);
  private cLen = 0;
  private finished = false;

  constructor(tables: CaptureTables, options: { temporaryThreshold?: number } = {}) {
    this.tables = tables;
    this.temporaryThreshold = Math.max(1, options.temporaryThreshold ?? 1);
    this.bPeakIdx[0] = -1;
  }

  // ---- rows ----

  private rowOf(stack: number, thread: number): number {
    if (stack >= this.stackRow.length) this.growStacks(stack);
    const r = this.stackRow[stack]!;
    if (r !== 0 && this.stackRowThread[stack] === thread) return r - 1;
    if (r === 0) {
      const row = this.newRow(stack, thread);
      this.stackRow[stack] = row + 1;
      this.stackRowThread[stack] = thread;
      return row;
    }
    const key = stack * THREAD_MUL + thread;
    let row = this.otherRows.get(key);
    if (row === undefined) {
      row = this.newRow(stack, thread);
      this.otherRows.set(key, row);
    }
    return row;
  }

  private growStacks(stack: number): void {
    let len = this.stackRow.length;
    while (len <= stack) len *= 2;
    const a = new Uint32Array(len);
    a.set(this.stackRow);
    this.stackRow = a;
    const b = new Uint32Array(len);
    b.set(this.stackRowThread);
    this.stackRowThread = b;
  }

  private newRow(stack: number, thread: number): number {
    const row = this.rowCount++;
    if (row >= this.rowStack.length) {
      const a = new Uint32Array(this.rowStack.length * 2);
      a.set(this.rowStack);
      this.rowStack = a;
      const b = new Uint32Array(this.rowThread.length * 2);
      b.set(this.rowThread);
      this.rowThread = b;
    }
    this.rowStack[row] = stack;
    this.rowThread[row] = thread;
    this.totBytes.ensure(row);
    this.totCount.ensure(row);
    this.tmpBytes.ensure(row);
    this.tmpCount.ensure(row);
    return row;
  }

  // ---- temporal aggregates ----

  private commit(row: number, ap: number, fp: number, bytes: number, count: number): void {
    if (ap >= fp) return; // never live at any bucket's peak
    const key = row * KEY_ROW_MUL + ap * POS_MUL + fp;
    let i = this.committed.get(key);
    if (i === undefined) {
      i = this.cLen++;
      if (i >= this.cRow.length) this.growCommitted();
      this.committed.set(key, i);
      this.cRow[i] = row;
      this.cAp[i] = ap;
      this.cFp[i] = fp;
      this.cBytes[i] = bytes;
      this.cCount[i] = count;
    } else {
      this.cBytes[i] += bytes;
      this.cCount[i] += count;
    }
  }

  private growCommitted(): void {
    const n = this.cRow.length * 2;
    const r = new Uint32Array(n);
    r.set(this.cRow);
    this.cRow = r;
    const a = new Uint16Array(n);
    a.set(this.cAp);
    this.cAp = a;
    const f = new Uint16Array(n);
    f.set(this.cFp);
    this.cFp = f;
    const b = new Float64Array(n);
    b.set(this.cBytes);
    this.cBytes = b;
    const c = new Float64Array(n);
    c.set(this.cCount);
    this.cCount = c;
  }

  private addPending(row: number, ap: number, bytes: number): void {
    const key = row * POS_MUL + ap;
    let i = this.pending.get(key);
    if (i === undefined) {
      i = this.pLen++;
      if (i >= this.pRow.length) {
        const n = this.pRow.length * 2;
        const r = new Uint32Array(n);
        r.set(this.pRow);
        this.pRow = r;
        const a = new Uint16Array(n);
        a.set(this.pAp);
        this.pAp = a;
        const b = new Float64Array(n);
        b.set(this.pBytes);
        this.pBytes = b;
        const c = new Float64Array(n);
        c.set(this.pCount);
        this.pCount = c;
      }
      this.pending.set(key, i);
      this.pRow[i] = row;
      this.pAp[i] = ap;
      this.pBytes[i] = bytes;
      this.pCount[i] = 1;
    } else {
      this.pBytes[i] += bytes;
      this.pCount[i] += 1;
    }
  }

  /** Commits the pending frees with free position fp (2c: before a new maximum, 2c+1: at close). */
  private flushPending(fp: number): void {
    const n = this.pLen;
    for (let i = 0; i < n; i++) this.commit(this.pRow[i]!, this.pAp[i]!, fp, this.pBytes[i]!, this.pCount[i]!);
    this.pending.clear();
    this.pLen = 0;
  }

  /** Position of the allocation (index, time) of a block dying now; -1 when it can be dropped. */
  private allocPos(index: number, timeUs: number): number {
    let ab = Math.floor(timeUs / this.widthUs);
    if (ab > this.cur) ab = this.cur; // (clock skew across threads)
    if (ab < this.cur) return 2 * ab + (index > this.bPeakIdx[ab]! ? 1 : 0);
    return index <= this.bPeakIdx[ab]! ? 2 * ab : -1;
  }

  /** Moves the current bucket forward so that it holds time t. */
  private advance(t: number): void {
    let nb = Math.floor(t / this.widthUs);
    const c = this.cur;
    if (nb <= c) return;
    this.flushPending(2 * c + 1);
    this.bEnd[c] = this.liveBytes;
    while (nb >= MAX_BUCKETS) {
      // Fill the buckets up to the last one, then merge pairs.
      for (let k = c + 1; k < MAX_BUCKETS; k++) this.emptyBucket(k);
      this.cur = MAX_BUCKETS - 1;
      this.coarsen();
      nb = Math.floor(t / this.widthUs);
    }
    for (let k = this.cur + 1; k < nb; k++) this.emptyBucket(k);
    this.cur = nb;
    this.bPeak[nb] = this.liveBytes;
    this.bPeakIdx[nb] = this.allocIndex - 1;
    this.bEnd[nb] = this.liveBytes;
    this.curEndUs = (nb + 1) * this.widthUs;
  }

  private emptyBucket(k: number): void {
    this.bPeak[k] = this.liveBytes;
    this.bPeakIdx[k] = this.allocIndex - 1;
    this.bEnd[k] = this.liveBytes;
  }

  /** Halves the number of buckets (called with all buckets closed, nothing pending). */
  private coarsen(): void {
    const half = MAX_BUCKETS / 2;
    // Which half of each pair holds the merged peak (0: left, ties go left).
    const side = new Uint8Array(half);
    for (let j = 0; j < half; j++) {
      const l = 2 * j;
      const r = l + 1;
      const right = this.bPeak[r]! > this.bPeak[l]!;
      side[j] = right ? 1 : 0;
      const s = right ? r : l;
      const pk = this.bPeak[s]!;
      const pi = this.bPeakIdx[s]!;
      const end = this.bEnd[r]!;
      this.bPeak[j] = pk;
      this.bPeakIdx[j] = pi;
      this.bEnd[j] = end;
    }
    const remap = (p: number): number => {
      if (p === POS_END) return POS_END;
      const b = p >> 1;
      const j = b >> 1;
      const isRight = b & 1;
      if (isRight === side[j]) return 2 * j + (p & 1);
      return isRight ? 2 * j + 1 : 2 * j; // the other half is entirely after / before the peak
    };
    const oldLen = this.cLen;
    const row = this.cRow.slice(0, oldLen);
    const ap = this.cAp.slice(0, oldLen);
    const fp = this.cFp.slice(0, oldLen);
    const bytes = this.cBytes.slice(0, oldLen);
    const count = this.cCount.slice(0, oldLen);
    this.committed = new Map();
    this.cLen = 0;
    for (let i = 0; i < oldLen; i++) this.commit(row[i]!, remap(ap[i]!), remap(fp[i]!), bytes[i]!, count[i]!);
    this.widthUs *= 2;
    this.cur = half - 1;
  }

  // ---- the pass ----

  /** Handles the death (free, replacement) of the block the table just reported in found*. */
  private died(): void {
    const blocks = this.blocks;
    const sz = blocks.foundSize;
    const row = blocks.foundRow;
    const idx = blocks.foundIdx;
    this.liveBytes -= sz;
    if (this.allocIndex - 1 - idx < this.temporaryThreshold) {
      this.tmpBytes.a[row] += sz;
      this.tmpCount.a[row] += 1;
    }
    const ap = this.allocPos(idx, blocks.foundTime);
    if (ap >= 0) this.addPending(row, ap, sz);
  }

  add(b: DecodedBatch): void {
    if (this.finished) throw new Error('ReportReducer: add() after finish()');
    const { kind, address, size, stack, thread, timeUs } = b;
    const blocks = this.blocks;
    const maxNode = this.tables.maxNodeId;
    const n = b.count;
    const hist = this.sizeHistogram;
    this.records += n;
    for (let i = 0; i < n; i++) {
      const k = kind[i]!;
      const t = timeUs[i]!;
      if (t >= this.curEndUs) this.advance(t);
      if (k <= 3 || (k >= 7 && k <= 9)) {
        let s = stack[i]!;
        if (s > maxNode) {
          this.unknownStacks++;
          s = 0;
        }
        const sz = size[i]!;
        const row = this.rowOf(s, thread[i]!);
        const d = k <= 3 ? k - 1 : k - 7;
        if (k <= 3) this.allocations++;
        else this.resizes++;
        this.domainCount[d]++;
        this.domainBytes[d] += sz;
        hist[sz === 0 ? 0 : sz < 4294967296 ? 32 - Math.clz32(sz) : Math.min(63, Math.floor(Math.log2(sz)) + 1)]++;
        this.totalAllocated += sz;
        this.totBytes.a[row] += sz;
        this.totCount.a[row] += 1;
        const index = this.allocIndex++;
        if (blocks.set(address[i]!, sz, row, index, t)) this.died();
        const live = (this.liveBytes += sz);
        const c = this.cur;
        if (live > this.bPeak[c]!) {
          this.bPeak[c] = live;
          this.bPeakIdx[c] = index;
          if (this.pLen > 0) this.flushPending(2 * c);
          if (live > this.peakBytes) {
            this.peakBytes = live;
            this.peakTimeUs = t;
          }
        }
      } else if (k <= 6) {
        this.frees++;
        if (blocks.delete(address[i]!)) this.died();
        else this.unknownFrees++;
      } else if (k === 12) {
        this.marks.push({ id: size[i]!, timeUs: t });
      }
    }
    if (n > 0) this.lastTimeUs = timeUs[n - 1]!;
  }

  /** Closes the last bucket and adds the blocks still live; call once after the last batch. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    const c = this.cur;
    this.flushPending(2 * c + 1);
    this.bEnd[c] = this.liveBytes;
    const width = this.widthUs;
    this.blocks.forEach((_addr, size, row, index, time) => {
      let ab = Math.floor(time / width);
      if (ab > c) ab = c;
      const ap = 2 * ab + (index > this.bPeakIdx[ab]! ? 1 : 0);
      this.commit(row, ap, POS_END, size, 1);
    });
  }

  figures(): ReportFigures {
    return {
      records: this.records,
      allocations: this.allocations,
      frees: this.frees,
      resizes: this.resizes,
      unknownFrees: this.unknownFrees,
      unknownStacks: this.unknownStacks,
      totalAllocatedBytes: this.totalAllocated,
      peakBytes: this.peakBytes,
      peakTimeUs: this.peakTimeUs,
      endBytes: this.liveBytes,
      endBlocks: this.blocks.size,
      lastTimeUs: this.lastTimeUs,
      marks: this.marks,
    };
  }

  get rows(): number {
    return this.rowCount;
  }
  /** Stack node and thread of each row. */
  rowStacks(): Uint32Array {
    return this.rowStack.subarray(0, this.rowCount);
  }
  rowThreads(): Uint32Array {
    return this.rowThread.subarray(0, this.rowCount);
  }
  totals(): { bytes: Float64Array; count: Float64Array } {
    return { bytes: this.totBytes.a.subarray(0, this.rowCount), count: this.totCount.a.subarray(0, this.rowCount) };
  }
  temporary(): { bytes: Float64Array; count: Float64Array } {
    return { bytes: this.tmpBytes.a.subarray(0, this.rowCount), count: this.tmpCount.a.subarray(0, this.rowCount) };
  }

  /** Buckets 0..cur (call after finish()). */
  timeline(): Timeline {
    const n = this.cur + 1;
    return {
      widthUs: this.widthUs,
      peak: Array.from(this.bPeak.subarray(0, n)),
      end: Array.from(this.bEnd.subarray(0, n)),
      peakIdx: Array.from(this.bPeakIdx.subarray(0, n)),
    };
  }

  temporal(): TemporalEntries {
    const n = this.cLen;
    return {
      row: this.cRow.subarray(0, n),
      ap: this.cAp.subarray(0, n),
      fp: this.cFp.subarray(0, n),
      bytes: this.cBytes.subarray(0, n),
      count: this.cCount.subarray(0, n),
      length: n,
    };
  }
}

/** Bucket with the highest peak in [a, b] (the earliest on ties). */
export function peakBucket(peak: ArrayLike<number>, a: number, b: number): number {
  let best = a;
  for (let k = a + 1; k <= b; k++) if (peak[k]! > peak[best]!) best = k;
  return best;
}

/**
 * Per-row bytes and counts from the temporal entries: `mode` 'peak' gives what was live at the
 * high-water mark of the window [a, b] (bucket indices), 'leaks' what was allocated in the window and
 * still live at its end. Adds into the given arrays (indexed by row).
 */
export function windowValues(
  t: Pick<TemporalEntries, 'row' | 'ap' | 'fp' | 'bytes' | 'count' | 'length'>,
  peak: ArrayLike<number>,
  mode: 'peak' | 'leaks',
  a: number,
  b: number,
  outBytes: Float64Array,
  outCount: Float64Array,
): void {
  const n = t.length;
  if (mode === 'peak') {
    const p = 2 * peakBucket(peak, a, b);
    for (let i = 0; i < n; i++) {
      if (t.ap[i]! <= p && t.fp[i]! > p) {
        outBytes[t.row[i]!] += t.bytes[i]!;
        outCount[t.row[i]!] += t.count[i]!;
      }
    }
  } else {
    const lo = 2 * a;
    const hi = 2 * b + 1;
    for (let i = 0; i < n; i++) {
      const ap = t.ap[i]!;
      if (ap >= lo && ap <= hi && t.fp[i]! > hi) {
        outBytes[t.row[i]!] += t.bytes[i]!;
        outCount[t.row[i]!] += t.count[i]!;
      }
    }
  }
}
