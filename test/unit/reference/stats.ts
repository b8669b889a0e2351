// Reference copy of src/analysis/stats.ts before the throughput work (commit 8f320a4): the
// straightforward version the optimized reducers must agree with, figure for figure (reducers-equivalence.test.ts).
/**
 * Totals and the high-water mark of a capture, computed in one streaming pass.
 *
 * Accounting (tracemalloc's): bytes are requested sizes in the RAW, MEM and OBJ domains.
 *  - ALLOC_*  inserts address → (size, stack); an ALLOC at an address still live replaces it.
 *  - FREE_*   removes the block; a free of an unknown address is counted (unknownFrees) and ignored.
 *  - RESIZE_* replaces the size and stack of a live block, or inserts it when unknown.
 *  - ARENA_*, MARK do not change live bytes.
 *  - total_allocated_bytes = sum of ALLOC_* sizes + sum of RESIZE_* sizes (the new size of every
 *    in-place resize counts as allocated; moving reallocs already appear as ALLOC + FREE).
 *
 * Per-stack-node bytes and block counts at the peak use the lazy high-water-mark snapshot: each node
 * keeps its current value, the value it had at the latest peak and the peak generation when that
 * snapshot was taken; a node is snapshotted just before its first change after a new peak.
 */
import { DecodedBatch } from '../../../src/capture/batch-decoder';
import { CaptureTables, FrameLocation } from '../../../src/capture/reader';
import { LiveTable } from './live-table';

export interface PeakLocation {
  file: string;
  line: number;
  function: string;
  /** Live bytes at the peak allocated here (innermost frame). */
  bytes: number;
  /** Live blocks at the peak allocated here. */
  allocations: number;
}

export interface StatsFigures {
  allocations: number;
  frees: number;
  resizes: number;
  records: number;
  unknownFrees: number;
  /** Records referring to a stack node not (yet) defined; attributed to the root. */
  unknownStacks: number;
  totalAllocatedBytes: number;
  liveBytes: number;
  liveBlocks: number;
  peakBytes: number;
  peakTimeUs: number;
  lastTimeUs: number;
}

export class StatsReducer {
  readonly tables: CaptureTables;
  readonly live = new LiveTable();

  private allocations = 0;
  private frees = 0;
  private resizes = 0;
  private records = 0;
  private unknownFrees = 0;
  private unknownStacks = 0;
  private totalAllocated = 0;
  private liveBytes = 0;
  private peakBytes = 0;
  private peakTimeUs = 0;
  private lastTimeUs = 0;
  private peakGen = 0;

  // Per stack node (index = node id).
  private curBytes: Float64Array = new Float64Array(1024);
  private curCount: Float64Array = new Float64Array(1024);
  private snapBytes: Float64Array = new Float64Array(1024);
  private snapCount: Float64Array = new Float64Array(1024);
  private snapGen: Uint32Array = new Uint32Array(1024);

  constructor(tables: CaptureTables) {
    this.tables = tables;
  }

  private ensureNodes(maxId: number): void {
    if (maxId < this.curBytes.length) return;
    let len = this.curBytes.length;
    while (len <= maxId) len *= 2;
    const f = (a: Float64Array): Float64Array => {
      const b = new Float64Array(len);
      b.set(a);
      return b;
    };
    this.curBytes = f(this.curBytes);
    this.curCount = f(this.curCount);
    this.snapBytes = f(this.snapBytes);
    this.snapCount = f(this.snapCount);
    const g = new Uint32Array(len);
    g.set(this.snapGen);
    this.snapGen = g;
  }

  /** Applies a change of (bytes, count) to node n, snapshotting its value at the latest peak first. */
  private change(n: number, bytes: number, count: number): void {
    if (this.snapGen[n]! < this.peakGen) {
      this.snapBytes[n] = this.curBytes[n]!;
      this.snapCount[n] = this.curCount[n]!;
      this.snapGen[n] = this.peakGen;
    }
    this.curBytes[n] = this.curBytes[n]! + bytes;
    this.curCount[n] = this.curCount[n]! + count;
  }

  add(b: DecodedBatch): void {
    const { kind, address, size, stack, timeUs } = b;
    const live = this.live;
    const maxNode = this.tables.maxNodeId;
    this.ensureNodes(maxNode);
    const n = b.count;
    this.records += n;
    for (let i = 0; i < n; i++) {
      const k = kind[i]!;
      if (k <= 3) {
        // ALLOC_*
        let s = stack[i]!;
        if (s > maxNode) {
          this.unknownStacks++;
          s = 0;
        }
        const sz = size[i]!;
        this.allocations++;
        this.totalAllocated += sz;
        if (live.set(address[i]!, sz, s)) {
          // Address already live (a missed free): the old block is gone.
          this.change(live.foundStack, -live.foundSize, -1);
          this.liveBytes -= live.foundSize;
        }
        this.change(s, sz, 1);
        this.liveBytes += sz;
      } else if (k <= 6) {
        // FREE_*
        this.frees++;
        if (live.delete(address[i]!)) {
          this.change(live.foundStack, -live.foundSize, -1);
          this.liveBytes -= live.foundSize;
        } else {
          this.unknownFrees++;
        }
        // Bytes only fall: no new peak possible.
        continue;
      } else if (k <= 9) {
        // RESIZE_*
        let s = stack[i]!;
        if (s > maxNode) {
          this.unknownStacks++;
          s = 0;
        }
        const sz = size[i]!;
        this.resizes++;
        this.totalAllocated += sz;
        if (live.set(address[i]!, sz, s)) {
          this.change(live.foundStack, -live.foundSize, -1);
          this.liveBytes -= live.foundSize;
        }
        this.change(s, sz, 1);
        this.liveBytes += sz;
      } else {
        // ARENA_*, MARK
        continue;
      }
      if (this.liveBytes > this.peakBytes) {
        this.peakBytes = this.liveBytes;
        this.peakTimeUs = timeUs[i]!;
        this.peakGen++;
      }
    }
    if (n > 0) this.lastTimeUs = timeUs[n - 1]!;
  }

  figures(): StatsFigures {
    return {
      allocations: this.allocations,
      frees: this.frees,
      resizes: this.resizes,
      records: this.records,
      unknownFrees: this.unknownFrees,
      unknownStacks: this.unknownStacks,
      totalAllocatedBytes: this.totalAllocated,
      liveBytes: this.liveBytes,
      liveBlocks: this.live.size,
      peakBytes: this.peakBytes,
      peakTimeUs: this.peakTimeUs,
      lastTimeUs: this.lastTimeUs,
    };
  }

  /** Calls fn(node, bytes, blocks) for every stack node with live blocks at the peak. */
  forEachNodeAtPeak(fn: (node: number, bytes: number, blocks: number) => void): void {
    const len = this.curBytes.length;
    for (let n = 0; n < len; n++) {
      const atPeak = this.snapGen[n] === this.peakGen;
      const bytes = atPeak ? this.snapBytes[n]! : this.curBytes[n]!;
      const count = atPeak ? this.snapCount[n]! : this.curCount[n]!;
      if (bytes !== 0 || count !== 0) fn(n, bytes, count);
    }
  }

  /** Calls fn(node, bytes, blocks) for every stack node with live blocks now (end of the stream). */
  forEachNodeNow(fn: (node: number, bytes: number, blocks: number) => void): void {
    const len = this.curBytes.length;
    for (let n = 0; n < len; n++) {
      const bytes = this.curBytes[n]!;
      const count = this.curCount[n]!;
      if (bytes !== 0 || count !== 0) fn(n, bytes, count);
    }
  }

  /** Live memory at the peak folded by innermost frame (file, line, qualname), largest first. */
  peakLocations(limit = Infinity): PeakLocation[] {
    return foldByLocation(this.tables, (fn) => this.forEachNodeAtPeak(fn), limit);
  }

  /** Collapsed stacks at the peak: "file:function:line;...;file:function:line BYTES", sorted. */
  peakCollapsed(): string[] {
    return collapse(this.tables, (fn) => this.forEachNodeAtPeak(fn));
  }

  /** Collapsed stacks of what is live now (at the end of what was read). */
  endCollapsed(): string[] {
    return collapse(this.tables, (fn) => this.forEachNodeNow(fn));
  }
}

type NodeIter = (fn: (node: number, bytes: number, blocks: number) => void) => void;

export function foldByLocation(tables: CaptureTables, iter: NodeIter, limit = Infinity): PeakLocation[] {
  const byKey = new Map<string, PeakLocation>();
  iter((node, bytes, blocks) => {
    const loc: FrameLocation = tables.location(node);
    const key = `${loc.file}\0${loc.line}\0${loc.function}`;
    const e = byKey.get(key);
    if (e) {
      e.bytes += bytes;
      e.allocations += blocks;
    } else {
      byKey.set(key, { file: loc.file, line: loc.line, function: loc.function, bytes, allocations: blocks });
    }
  });
  const out = [...byKey.values()].filter((l) => l.bytes > 0 || l.allocations > 0);
  out.sort(
    (a, b) =>
      b.bytes - a.bytes ||
      b.allocations - a.allocations ||
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.line - b.line ||
      (a.function < b.function ? -1 : a.function > b.function ? 1 : 0),
  );
  return Number.isFinite(limit) ? out.slice(0, limit) : out;
}

export function collapse(tables: CaptureTables, iter: NodeIter): string[] {
  const byStack = new Map<string, number>();
  iter((node, bytes) => {
    if (bytes === 0) return;
    const frames = tables.stack(node);
    const key = frames.length ? frames.map((f) => `${f.file}:${f.function}:${f.line}`).join(';') : '<no Python frame>';
    byStack.set(key, (byStack.get(key) ?? 0) + bytes);
  });
  return [...byStack.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([k, v]) => `${k} ${v}`);
}
