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
import { DecodedBatch } from '../capture/batch-decoder';
import { CaptureTables } from '../capture/reader';
import { BlockTable } from './block-table';
import { NativeReportPass, nativePasses } from './native-passes';
import { PairIndex } from './pair-index';
import { RowStage, RowStageState } from './row-stage';

/** Buckets kept while reading (a power of two); positions stay below POS_END. */
export const MAX_BUCKETS = 1024;
/** Free position of a block still live at the end of the capture. */
export const POS_END = 4095;
const POS_MUL = 4096;
/** Initial bucket width in microseconds. */
export const INITIAL_WIDTH_US = 128;

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

/** Per row, at 2 * row: temporary bytes, temporary count. */
const TEMP_STRIDE = 2;

export class ReportReducer {
  readonly tables: CaptureTables;
  readonly temporaryThreshold: number;
  private readonly blocks = new BlockTable();

  /** The order-independent half: rows, totals, size histogram, domains (see row-stage.ts). */
  private readonly stage: RowStage;
  private rowsScratch = new Uint32Array(1024);
  /** Temporary bytes and count per row (TEMP_STRIDE), grown as rows appear. */
  private rowTemp: Float64Array = new Float64Array(1024 * TEMP_STRIDE);

  // Figures of the ordered half.
  private records = 0;
  private allocIndex = 0; // ALLOC_* and RESIZE_* records: index of the next allocation
  private frees = 0;
  private unknownFrees = 0;
  private liveBytes = 0;
  private peakBytes = 0;
  private peakTimeUs = 0;
  private lastTimeUs = 0;
  readonly marks: { id: number; timeUs: number }[] = [];

  // Buckets.
  private widthUs = INITIAL_WIDTH_US;
  private cur = 0;
  private curEndUs = INITIAL_WIDTH_US;
  private bPeak = new Float64Array(MAX_BUCKETS);
  private bPeakIdx = new Float64Array(MAX_BUCKETS);
  private bEnd = new Float64Array(MAX_BUCKETS);

  // Pending frees of the current bucket: (row, ap) → index of bytes, count.
  private readonly pending = new PairIndex();
  private pRow = new Uint32Array(256);
  private pAp = new Uint16Array(256);
  private pBytes = new Float64Array(256);
  private pCount = new Float64Array(256);
  private pLen = 0;

  // Committed temporal aggregates: (row, ap * POS_MUL + fp) → index.
  private readonly committed = new PairIndex(1024);
  private cRow = new Uint32Array(1024);
  private cAp = new Uint16Array(1024);
  private cFp = new Uint16Array(1024);
  private cBytes = new Float64Array(1024);
  private cCount = new Float64Array(1024);
  private cLen = 0;
  private finished = false;

  /** The native kernel running the ordered half (native-passes.ts), or null. */
  private kernel: NativeReportPass | null;
  /** No batch replayed yet: a sampled capture's first batch may still turn the kernel off. */
  private started = false;
  /**
   * Sampled captures with the tracer's exact live bytes (DecodedBatch.exactLive): the last of those
   * estimates, the level a new bucket's high-water mark starts from (NaN: none seen yet).
   */
  private lastExact = NaN;

  /** `native`: use the native kernel when it is built (default true). */
  constructor(tables: CaptureTables, options: { temporaryThreshold?: number; native?: boolean } = {}) {
    this.tables = tables;
    this.temporaryThreshold = Math.max(1, options.temporaryThreshold ?? 1);
    this.bPeakIdx[0] = -1;
    const passes = options.native === false ? null : nativePasses();
    this.kernel = passes ? new passes.ReportPass(this.temporaryThreshold) : null;
    this.stage = new RowStage(options.native !== false);
  }

  /** True when the native kernel runs the ordered half. */
  get isNative(): boolean {
    return this.kernel !== null;
  }

  // ---- the order-independent half ----

  /** Allocations by size class: index i counts sizes in [2^(i-1), 2^i) (index 0: size 0). */
  get sizeHistogram(): Float64Array {
    return this.stage.sizeHistogram;
  }
  /** Allocation count and bytes per domain (RAW, MEM, OBJ), allocations and in-place resizes. */
  get domainCount(): number[] {
    return this.stage.domains.count;
  }
  get domainBytes(): number[] {
    return this.stage.domains.bytes;
  }

  /** After a pass whose batches went through addPrepared: the row stage's state from the reader. */
  adoptRowStage(state: RowStageState): void {
    this.stage.load(state);
  }

  // ---- temporal aggregates ----

  private commit(row: number, ap: number, fp: number, bytes: number, count: number): void {
    if (ap >= fp) return; // never live at any bucket's peak
    const pos = ap * POS_MUL + fp;
    let i = this.committed.get(row, pos);
    if (i < 0) {
      i = this.cLen++;
      if (i >= this.cRow.length) this.growCommitted();
      this.committed.set(row, pos, i);
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
    let i = this.pending.get(row, ap);
    if (i < 0) {
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
      this.pending.set(row, ap, i);
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

  /** Moves the current bucket forward so that it holds time t. */
  private advance(t: number): void {
    let nb = Math.floor(t / this.widthUs);
    const c = this.cur;
    if (nb <= c) return;
    this.flushPending(2 * c + 1);
    this.bEnd[c] = this.level();
    while (nb >= MAX_BUCKETS) {
      // Fill the buckets up to the last one, then merge pairs.
      for (let k = c + 1; k < MAX_BUCKETS; k++) this.emptyBucket(k);
      this.cur = MAX_BUCKETS - 1;
      this.coarsen();
      nb = Math.floor(t / this.widthUs);
    }
    for (let k = this.cur + 1; k < nb; k++) this.emptyBucket(k);
    this.cur = nb;
    this.bPeak[nb] = this.level();
    this.bPeakIdx[nb] = this.allocIndex - 1;
    this.bEnd[nb] = this.level();
    this.curEndUs = (nb + 1) * this.widthUs;
  }

  private emptyBucket(k: number): void {
    this.bPeak[k] = this.level();
    this.bPeakIdx[k] = this.allocIndex - 1;
    this.bEnd[k] = this.level();
  }

  /** A new high-water mark of bucket c, after allocation `index`: the frees waiting are before it. */
  private raisePeak(c: number, level: number, index: number): void {
    this.bPeak[c] = level;
    this.bPeakIdx[c] = index;
    if (this.pLen > 0) this.flushPending(2 * c);
  }

  /** Live bytes as the high-water marks count them: the last exact estimate of a sampled capture. */
  private level(): number {
    return this.lastExact === this.lastExact ? this.lastExact : this.liveBytes;
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
    this.committed.clear();
    this.cLen = 0;
    for (let i = 0; i < oldLen; i++) this.commit(row[i]!, remap(ap[i]!), remap(fp[i]!), bytes[i]!, count[i]!);
    this.widthUs *= 2;
    this.cur = half - 1;
  }

  // ---- the pass ----

  /** One batch through both halves on this thread. */
  add(b: DecodedBatch): void {
    if (this.rowsScratch.length < b.count) this.rowsScratch = new Uint32Array(Math.max(b.count, 2 * this.rowsScratch.length));
    const rows = this.rowsScratch;
    this.stage.maxNodeId = this.tables.maxNodeId;
    this.stage.batch(b, rows);
    this.replay(b, rows);
  }

  /** A batch whose stack column the row stage already rewrote to rows (on the reader's worker). */
  addPrepared(b: DecodedBatch): void {
    this.replay(b, b.stack);
  }

  /**
   * The ordered half over a batch; rows[i] is the row of allocation record i. Hot: the running
   * figures live in locals for the batch; the rare steps (a new bucket, pending frees, a row beyond
   * the temporary table) are methods, around which the locals are written back (`liveBytes`,
   * `allocIndex` for advance) or reloaded (arrays that may have grown).
   */
  private replay(b: DecodedBatch, rows: Uint32Array): void {
    if (this.finished) throw new Error('ReportReducer: add() after finish()');
    if (!this.started) {
      this.started = true;
      // The exact live bytes decide the high-water marks: the TypeScript pass knows them (sampled
      // captures are small).
      if (b.exactLive) this.kernel = null;
    }
    if (this.kernel) {
      this.kernel.add(b.kind, b.address, b.size, rows, b.timeUs, b.count);
      return;
    }
    const { kind, address, size, timeUs } = b;
    // Sampled captures: a bucket's high-water mark is where the tracer's exact count (less the
    // estimated rounding) was highest, not the samples' weighted sum, whose maximum is a moment noise
    // picks (see ExactPeak); records without the count fall back to the weighted sum.
    const exact = b.exactLive;
    let lastExact = this.lastExact;
    const blocks = this.blocks;
    const n = b.count;
    const bPeak = this.bPeak;
    const threshold = this.temporaryThreshold;
    let rowTemp: Float64Array = this.rowTemp;
    let allocIndex = this.allocIndex;
    let frees = this.frees;
    let unknownFrees = this.unknownFrees;
    let liveBytes = this.liveBytes;
    let peakBytes = this.peakBytes;
    let peakTimeUs = this.peakTimeUs;
    // The current bucket c covers [c * width, curEndUs). The width is a power of two, so
    // t * invWidth is exactly t / width.
    let c = this.cur;
    let curEndUs = this.curEndUs;
    let curStartUs = c * this.widthUs;
    let invWidth = 1 / this.widthUs;

    for (let i = 0; i < n; i++) {
      const k = kind[i]!;
      const t = timeUs[i]!;
      if (t >= curEndUs) {
        this.liveBytes = liveBytes;
        this.allocIndex = allocIndex;
        this.lastExact = lastExact;
        this.advance(t);
        c = this.cur;
        curEndUs = this.curEndUs;
        curStartUs = c * this.widthUs;
        invWidth = 1 / this.widthUs;
      }
      if (k <= 3 || (k >= 7 && k <= 9)) {
        // ALLOC_* and RESIZE_*: the block at the address now has this size, row and time.
        const row = rows[i]!;
        if (TEMP_STRIDE * row >= rowTemp.length) rowTemp = this.growTemp(row);
        const sz = size[i]!;
        const index = allocIndex++;
        if (blocks.set(address[i]!, sz, row, index, t)) {
          // Die before the new block counts, so the bucket's peak check below sees the net change.
          liveBytes = this.died(liveBytes, allocIndex, threshold, rowTemp, c, curStartUs, invWidth);
        }
        const live = (liveBytes += sz);
        const level = exact !== undefined && exact[i] === exact[i] ? (lastExact = exact[i]!) : live;
        if (level > bPeak[c]!) this.raisePeak(c, level, index);
        if (live > peakBytes) {
          peakBytes = live;
          peakTimeUs = t;
        }
      } else if (k <= 6) {
        if (exact !== undefined && exact[i] === exact[i]) {
          // A free's count is the highest since its thread's previous sample: reached before the free.
          const before = (lastExact = exact[i]!);
          if (before > bPeak[c]!) this.raisePeak(c, before, allocIndex - 1);
        }
        frees++;
        if (blocks.delete(address[i]!)) {
          liveBytes = this.died(liveBytes, allocIndex, threshold, rowTemp, c, curStartUs, invWidth);
        } else {
          unknownFrees++;
        }
      } else if (k === 12) {
        this.marks.push({ id: size[i]!, timeUs: t });
      }
    }
    this.records += n;
    this.allocIndex = allocIndex;
    this.frees = frees;
    this.unknownFrees = unknownFrees;
    this.liveBytes = liveBytes;
    this.lastExact = lastExact;
    this.peakBytes = peakBytes;
    this.peakTimeUs = peakTimeUs;
    if (n > 0) this.lastTimeUs = timeUs[n - 1]!;
  }

  private growTemp(row: number): Float64Array {
    let len = this.rowTemp.length;
    while (len <= TEMP_STRIDE * row) len *= 2;
    const a = new Float64Array(len);
    a.set(this.rowTemp);
    this.rowTemp = a;
    return a;
  }

  /**
   * The death (free, replacement) of the block the table just reported in found*: counts it as
   * temporary when it lived shorter than the threshold, and keeps it for the temporal aggregates when
   * it was live at a bucket's peak (see the file comment). Returns the new live bytes.
   */
  private died(
    liveBytes: number,
    allocIndex: number,
    threshold: number,
    rowTemp: Float64Array,
    c: number,
    curStartUs: number,
    invWidth: number,
  ): number {
    const blocks = this.blocks;
    const sz = blocks.foundSize;
    const row = blocks.foundRow;
    const idx = blocks.foundIdx;
    const time = blocks.foundTime;
    if (allocIndex - 1 - idx < threshold) {
      rowTemp[TEMP_STRIDE * row] += sz;
      rowTemp[TEMP_STRIDE * row + 1] += 1;
    }
    // Position of the allocation: 2ab or 2ab+1 in its bucket ab (clamped to the current bucket for
    // clock skew across threads). Allocated in the current bucket after its latest maximum: never
    // live at a peak, dropped (the common case).
    if (time >= curStartUs) {
      if (idx <= this.bPeakIdx[c]!) this.addPending(row, 2 * c, sz);
    } else {
      const ab = Math.floor(time * invWidth);
      this.addPending(row, 2 * ab + (idx > this.bPeakIdx[ab]! ? 1 : 0), sz);
    }
    return liveBytes - sz;
  }

  /** Closes the last bucket and adds the blocks still live; call once after the last batch. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.kernel) {
      this.adoptKernel(this.kernel);
      return;
    }
    const c = this.cur;
    this.flushPending(2 * c + 1);
    this.bEnd[c] = this.level();
    const width = this.widthUs;
    this.blocks.forEach((_addr, size, row, index, time) => {
      let ab = Math.floor(time / width);
      if (ab > c) ab = c;
      const ap = 2 * ab + (index > this.bPeakIdx[ab]! ? 1 : 0);
      this.commit(row, ap, POS_END, size, 1);
    });
  }

  /** Takes over the kernel's results into this reducer's fields (the accessors below read those). */
  private adoptKernel(kernel: NativeReportPass): void {
    kernel.finish();
    const f = kernel.figures();
    this.records = f[0]!;
    this.allocIndex = f[1]!;
    this.frees = f[2]!;
    this.unknownFrees = f[3]!;
    this.liveBytes = f[4]!;
    this.peakBytes = f[5]!;
    this.peakTimeUs = f[6]!;
    this.lastTimeUs = f[7]!;
    this.kernelLiveBlocks = f[8]!;
    const marks = kernel.marks();
    for (let i = 0; i < marks.length; i += 2) this.marks.push({ id: marks[i]!, timeUs: marks[i + 1]! });
    this.rowTemp = kernel.rowTemporary();
    const tl = kernel.timeline();
    this.widthUs = tl.widthUs;
    this.cur = tl.peak.length - 1;
    this.bPeak.set(tl.peak);
    this.bPeakIdx.set(tl.peakIdx);
    this.bEnd.set(tl.end);
    const t = kernel.temporal();
    this.cRow = t.row;
    this.cAp = t.ap;
    this.cFp = t.fp;
    this.cBytes = t.bytes;
    this.cCount = t.count;
    this.cLen = t.length;
  }
  private kernelLiveBlocks = 0;

  figures(): ReportFigures {
    const f = this.stage.figures;
    return {
      records: this.records,
      allocations: f.allocations,
      frees: this.frees,
      resizes: f.resizes,
      unknownFrees: this.unknownFrees,
      unknownStacks: f.unknownStacks,
      totalAllocatedBytes: f.totalAllocated,
      peakBytes: this.peakBytes,
      peakTimeUs: this.peakTimeUs,
      endBytes: this.liveBytes,
      endBlocks: this.kernel ? this.kernelLiveBlocks : this.blocks.size,
      lastTimeUs: this.lastTimeUs,
      marks: this.marks,
    };
  }

  get rows(): number {
    return this.stage.rows;
  }
  /** Stack node and thread of each row. */
  rowStacks(): Uint32Array {
    return this.stage.rowStacks();
  }
  rowThreads(): Uint32Array {
    return this.stage.rowThreads();
  }
  totals(): { bytes: Float64Array; count: Float64Array } {
    return this.stage.rowTotals();
  }
  temporary(): { bytes: Float64Array; count: Float64Array } {
    const n = this.stage.rows;
    const bytes = new Float64Array(n);
    const count = new Float64Array(n);
    for (let r = 0; r < n && TEMP_STRIDE * r < this.rowTemp.length; r++) {
      bytes[r] = this.rowTemp[TEMP_STRIDE * r]!;
      count[r] = this.rowTemp[TEMP_STRIDE * r + 1]!;
    }
    return { bytes, count };
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
