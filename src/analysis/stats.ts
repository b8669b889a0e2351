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
import { DecodedBatch } from '../capture/batch-decoder';
import { CaptureTables, FrameLocation } from '../capture/reader';
import { LiveTable } from './live-table';
import { NativeStatsPass, nativePasses } from './native-passes';

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

const NODE_STRIDE = 5;

/**
 * Adds (bytes, blocks) to node n's current value, snapshotting the value first when this is the
 * node's first change since the latest peak (generation peakGen).
 */
function changeNode(nodes: Float64Array, n: number, bytes: number, blocks: number, peakGen: number): void {
  const o = n * NODE_STRIDE;
  if (nodes[o + 2]! < peakGen) {
    nodes[o + 2] = peakGen;
    nodes[o + 3] = nodes[o]!;
    nodes[o + 4] = nodes[o + 1]!;
  }
  nodes[o] += bytes;
  nodes[o + 1] += blocks;
}

export interface StatsReducerOptions {
  /** Use the native kernel when it is built (default true; see native-passes.ts). */
  native?: boolean;
  /**
   * Take the "at the peak" snapshot right after this many records instead of at the high-water mark
   * of the stream's own bytes, which is then not tracked (the figures' peak is meaningless). For
   * sampled captures, whose exact peak the tracer's live-byte counts place (ExactPeak.afterRecords)
   * where the samples' own high-water mark may not be. TypeScript pass only: sampled captures are
   * small.
   */
  snapshotAfterRecords?: number;
}

export class StatsReducer {
  readonly tables: CaptureTables;
  /** The TypeScript pass's live blocks (empty when the native kernel runs the pass). */
  readonly live = new LiveTable();
  /** The native kernel running this pass, or null. */
  private readonly kernel: NativeStatsPass | null;
  /** The kernel's figures and nodes, fetched once after the last batch. */
  private kernelFigures: Float64Array | null = null;

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

  /**
   * Per stack node n, at n * NODE_STRIDE: current bytes, current blocks, the peak generation of the
   * snapshot, bytes and blocks at that snapshot. Interleaved: one cache line per node touched.
   */
  private nodes: Float64Array = new Float64Array(1024 * NODE_STRIDE);

  /** StatsReducerOptions.snapshotAfterRecords (-1: none, or taken already). */
  private snapshotAfter: number;

  constructor(tables: CaptureTables, options: StatsReducerOptions = {}) {
    this.tables = tables;
    this.snapshotAfter = options.snapshotAfterRecords ?? -1;
    const passes = options.native === false || this.snapshotAfter >= 0 ? null : nativePasses();
    this.kernel = passes ? new passes.StatsPass() : null;
    // No live-bytes high-water mark: the snapshot's generation moves only there.
    if (this.snapshotAfter >= 0) this.peakBytes = Infinity;
  }

  /** True when the native kernel runs this pass. */
  get isNative(): boolean {
    return this.kernel !== null;
  }

  /** Takes over the native kernel's results (after the last batch; again after more batches). */
  private syncKernel(): void {
    if (!this.kernel || this.kernelFigures) return;
    const f = (this.kernelFigures = this.kernel.figures());
    [this.allocations, this.frees, this.resizes, this.records, this.unknownFrees, this.unknownStacks] = [f[0]!, f[1]!, f[2]!, f[3]!, f[4]!, f[5]!];
    [this.totalAllocated, this.liveBytes, this.kernelLiveBlocks, this.peakBytes, this.peakTimeUs, this.lastTimeUs, this.peakGen] = [
      f[6]!, f[7]!, f[8]!, f[9]!, f[10]!, f[11]!, f[12]!,
    ];
    this.nodes = this.kernel.nodes();
  }
  private kernelLiveBlocks = 0;

  private ensureNodes(maxId: number): void {
    let len = this.nodes.length / NODE_STRIDE;
    if (maxId < len) return;
    while (len <= maxId) len *= 2;
    const b = new Float64Array(len * NODE_STRIDE);
    b.set(this.nodes);
    this.nodes = b;
  }

  /**
   * One pass over a batch. Hot: the counters live in locals for the batch (written back at the end);
   * changeNode and the live table's methods are small enough for the compiler to inline.
   */
  add(b: DecodedBatch): void {
    if (this.kernel) {
      this.kernelFigures = null;
      this.kernel.add(b.kind, b.address, b.size, b.stack, b.timeUs, b.count, this.tables.maxNodeId);
      return;
    }
    const at = this.snapshotAfter - this.records;
    if (this.snapshotAfter >= 0 && at >= 0 && at <= b.count) {
      this.addRecords(b, 0, at);
      this.peakGen++;
      this.snapshotAfter = -1;
      this.addRecords(b, at, b.count);
    } else {
      this.addRecords(b, 0, b.count);
    }
  }

  /** Records [from, to) of a batch. */
  private addRecords(b: DecodedBatch, from: number, to: number): void {
    const { kind, address, size, stack, timeUs } = b;
    const live = this.live;
    const maxNode = this.tables.maxNodeId;
    this.ensureNodes(maxNode);
    const nodes = this.nodes;
    let allocations = this.allocations;
    let frees = this.frees;
    let resizes = this.resizes;
    let unknownFrees = this.unknownFrees;
    let unknownStacks = this.unknownStacks;
    let totalAllocated = this.totalAllocated;
    let liveBytes = this.liveBytes;
    let peakBytes = this.peakBytes;
    let peakTimeUs = this.peakTimeUs;
    let peakGen = this.peakGen;
    for (let i = from; i < to; i++) {
      const k = kind[i]!;
      if (k >= 4 && k <= 6) {
        // FREE_*: bytes only fall, no new peak possible.
        frees++;
        if (live.delete(address[i]!)) {
          changeNode(nodes, live.foundStack, -live.foundSize, -1, peakGen);
          liveBytes -= live.foundSize;
        } else {
          unknownFrees++;
        }
        continue;
      }
      if (k > 9) continue; // ARENA_*, MARK
      // ALLOC_* (1-3) and RESIZE_* (7-9): the block at the address now has this size and stack.
      let s = stack[i]!;
      if (s > maxNode) {
        unknownStacks++;
        s = 0;
      }
      const sz = size[i]!;
      if (k <= 3) allocations++;
      else resizes++;
      totalAllocated += sz;
      if (live.set(address[i]!, sz, s)) {
        // A live address: a missed free (ALLOC) or the old size (RESIZE). The old block is gone.
        changeNode(nodes, live.foundStack, -live.foundSize, -1, peakGen);
        liveBytes -= live.foundSize;
      }
      changeNode(nodes, s, sz, 1, peakGen);
      liveBytes += sz;
      if (liveBytes > peakBytes) {
        peakBytes = liveBytes;
        peakTimeUs = timeUs[i]!;
        peakGen++;
      }
    }
    this.records += to - from;
    this.allocations = allocations;
    this.frees = frees;
    this.resizes = resizes;
    this.unknownFrees = unknownFrees;
    this.unknownStacks = unknownStacks;
    this.totalAllocated = totalAllocated;
    this.liveBytes = liveBytes;
    this.peakBytes = peakBytes;
    this.peakTimeUs = peakTimeUs;
    this.peakGen = peakGen;
    if (to > from) this.lastTimeUs = timeUs[to - 1]!;
  }

  figures(): StatsFigures {
    this.syncKernel();
    return {
      allocations: this.allocations,
      frees: this.frees,
      resizes: this.resizes,
      records: this.records,
      unknownFrees: this.unknownFrees,
      unknownStacks: this.unknownStacks,
      totalAllocatedBytes: this.totalAllocated,
      liveBytes: this.liveBytes,
      liveBlocks: this.kernel ? this.kernelLiveBlocks : this.live.size,
      peakBytes: this.peakBytes,
      peakTimeUs: this.peakTimeUs,
      lastTimeUs: this.lastTimeUs,
    };
  }

  /** Calls fn(node, bytes, blocks) for every stack node with live blocks at the peak. */
  forEachNodeAtPeak(fn: (node: number, bytes: number, blocks: number) => void): void {
    this.syncKernel();
    const nodes = this.nodes;
    const len = nodes.length / NODE_STRIDE;
    for (let n = 0; n < len; n++) {
      const o = n * NODE_STRIDE;
      const atPeak = nodes[o + 2] === this.peakGen;
      const bytes = atPeak ? nodes[o + 3]! : nodes[o]!;
      const count = atPeak ? nodes[o + 4]! : nodes[o + 1]!;
      if (bytes !== 0 || count !== 0) fn(n, bytes, count);
    }
  }

  /** Calls fn(node, bytes, blocks) for every stack node with live blocks now (end of the stream). */
  forEachNodeNow(fn: (node: number, bytes: number, blocks: number) => void): void {
    this.syncKernel();
    const nodes = this.nodes;
    const len = nodes.length / NODE_STRIDE;
    for (let n = 0; n < len; n++) {
      const bytes = nodes[n * NODE_STRIDE]!;
      const count = nodes[n * NODE_STRIDE + 1]!;
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
