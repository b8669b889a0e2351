/**
 * The order-independent half of the report pass. For every allocation record (ALLOC_*, RESIZE_*) it
 * finds the row — the dense number of its (stack node, thread) pair — and sums per-row totals, the
 * allocation-size histogram and per-domain figures. None of this depends on record order, so it runs
 * on the thread that reads and decodes the capture (the reader's worker, see ReadOptions.stage)
 * while the ordered half (ReportReducer.replay: live blocks, peaks, temporary, time buckets) runs
 * on the main thread: on two cores the pass is split about evenly instead of decode | everything.
 *
 * The rows are written to an output column (the batch's own stack column on the worker, where the
 * slot belongs to the reader), so the ordered half reads a row number instead of looking it up.
 */
import { DecodedBatch } from '../capture/batch-decoder';
import type { BatchStage, StackNodesChunk } from '../capture/reader';
import { PairIndex } from './pair-index';
import { NativeRowStage, nativePasses } from './native-passes';

/** Domain (0 RAW, 1 MEM, 2 OBJ) of the ALLOC_* and RESIZE_* kinds. */
const DOMAIN_OF_KIND = Uint8Array.from([0, 0, 1, 2, 0, 0, 0, 0, 1, 2, 0, 0, 0]);

const STACK_STRIDE = 8;

/** What the stage hands over at the end (structured-cloneable: it crosses from the worker). */
export interface RowStageState {
  rowCount: number;
  rowStack: Uint32Array;
  rowThread: Uint32Array;
  /** Per row at 2 * row: bytes, count of every allocation and in-place resize. */
  totals: Float64Array;
  /** Allocations by size class: index i counts sizes in [2^(i-1), 2^i) (index 0: size 0). */
  sizeHistogram: Float64Array;
  domainCount: number[];
  domainBytes: number[];
  allocations: number;
  resizes: number;
  totalAllocated: number;
  unknownStacks: number;
}

export class RowStage implements BatchStage {
  /** Largest stack node id defined so far: records naming a larger one count as unknown (row of node 0). */
  maxNodeId = 0;

  private rowCount = 0;
  private rowStack: Uint32Array = new Uint32Array(1024);
  private rowThread: Uint32Array = new Uint32Array(1024);
  /** Per-row totals taken over by load(). */
  private loadedTotals: Float64Array | null = null;
  /**
   * At STACK_STRIDE * stack, two ways for the first two threads seen with the stack (most programs
   * have one or two busy threads): row + 1 (0: none yet), thread, bytes, count. One cache line per
   * stack: the lookup and the sums touch the same line (stacks come in random order in big programs).
   */
  private stackWays: Float64Array = new Float64Array(1024 * STACK_STRIDE);
  /** Rows of the further threads of a stack, and their bytes and count at 2 * row (other rows: 0). */
  private readonly otherRows = new PairIndex();
  private otherTotals: Float64Array = new Float64Array(2048);

  private readonly hist = new Float64Array(64);
  private readonly domainCount = [0, 0, 0];
  private readonly domainBytes = [0, 0, 0];
  private readonly domainScratch = new Float64Array(6);
  private allocations = 0;
  private resizes = 0;
  private totalAllocated = 0;
  private unknownStacks = 0;

  /** The native kernel doing batch(), or null; its state is loaded here when asked for (sync). */
  private readonly kernel: NativeRowStage | null;
  private kernelSynced = true;

  /** `native`: use the native kernel when it is built (default true; see native-passes.ts). */
  constructor(native = true) {
    const passes = native ? nativePasses() : null;
    this.kernel = passes ? new passes.RowStage() : null;
  }

  private sync(): void {
    if (this.kernel && !this.kernelSynced) {
      this.load(this.kernel.result());
      this.kernelSynced = true;
    }
  }

  /** Tracks the largest defined node id (the reader has already refused ids beyond maxStackNodeId). */
  stackNodes(chunk: StackNodesChunk): void {
    for (const id of chunk.id) if (id > this.maxNodeId) this.maxNodeId = id;
  }

  /** Writes the row of every allocation record to rowOut (may be b.stack itself); other records: 0. */
  batch(b: DecodedBatch, rowOut: Uint32Array = b.stack): void {
    if (this.kernel) {
      this.kernelSynced = false;
      this.kernel.batch(b.kind, b.size, b.stack, b.thread, b.count, this.maxNodeId, rowOut);
      return;
    }
    const { kind, size, stack, thread } = b;
    const n = b.count;
    const maxNode = this.maxNodeId;
    const hist = this.hist;
    const dom = this.domainScratch.fill(0);
    let ways = this.stackWays;
    let allocations = this.allocations;
    let resizes = this.resizes;
    let totalAllocated = this.totalAllocated;
    let unknownStacks = this.unknownStacks;
    for (let i = 0; i < n; i++) {
      const k = kind[i]!;
      if (k <= 3 || (k >= 7 && k <= 9)) {
        let s = stack[i]!;
        if (s > maxNode) {
          unknownStacks++;
          s = 0;
        }
        const th = thread[i]!;
        const sz = size[i]!;
        const o = STACK_STRIDE * s;
        if (o < ways.length && ways[o + 1] === th && ways[o] !== 0) {
          rowOut[i] = ways[o]! - 1;
          ways[o + 2] += sz;
          ways[o + 3] += 1;
        } else if (o < ways.length && ways[o + 5] === th && ways[o + 4] !== 0) {
          rowOut[i] = ways[o + 4]! - 1;
          ways[o + 6] += sz;
          ways[o + 7] += 1;
        } else {
          rowOut[i] = this.addSlow(s, th, sz);
          ways = this.stackWays;
        }
        if (k <= 3) allocations++;
        else resizes++;
        // Domain counts through a table: the kinds are mixed too randomly for branches.
        const d = DOMAIN_OF_KIND[k]!;
        dom[d]++;
        dom[d + 3] += sz;
        hist[sz === 0 ? 0 : sz < 4294967296 ? 32 - Math.clz32(sz) : Math.min(63, Math.floor(Math.log2(sz)) + 1)]++;
        totalAllocated += sz;
      } else {
        rowOut[i] = 0;
      }
    }
    this.allocations = allocations;
    this.resizes = resizes;
    this.totalAllocated = totalAllocated;
    this.unknownStacks = unknownStacks;
    for (let d = 0; d < 3; d++) {
      this.domainCount[d] += dom[d]!;
      this.domainBytes[d] += dom[d + 3]!;
    }
  }

  /** Takes over the state of a stage that ran elsewhere (the reader's worker), after the pass. */
  load(st: RowStageState): void {
    this.rowCount = st.rowCount;
    this.rowStack = st.rowStack;
    this.rowThread = st.rowThread;
    this.loadedTotals = st.totals;
    this.hist.set(st.sizeHistogram);
    for (let d = 0; d < 3; d++) {
      this.domainCount[d] = st.domainCount[d]!;
      this.domainBytes[d] = st.domainBytes[d]!;
    }
    this.allocations = st.allocations;
    this.resizes = st.resizes;
    this.totalAllocated = st.totalAllocated;
    this.unknownStacks = st.unknownStacks;
  }

  get rows(): number {
    this.sync();
    return this.rowCount;
  }
  get figures(): { allocations: number; resizes: number; totalAllocated: number; unknownStacks: number } {
    this.sync();
    return { allocations: this.allocations, resizes: this.resizes, totalAllocated: this.totalAllocated, unknownStacks: this.unknownStacks };
  }
  get sizeHistogram(): Float64Array {
    this.sync();
    return this.hist;
  }
  get domains(): { count: number[]; bytes: number[] } {
    this.sync();
    return { count: this.domainCount, bytes: this.domainBytes };
  }
  rowStacks(): Uint32Array {
    this.sync();
    return this.rowStack.subarray(0, this.rowCount);
  }
  rowThreads(): Uint32Array {
    this.sync();
    return this.rowThread.subarray(0, this.rowCount);
  }
  /** Bytes and count of every row's allocations. */
  rowTotals(): { bytes: Float64Array; count: Float64Array } {
    this.sync();
    const n = this.rowCount;
    const t = this.loadedTotals ?? this.gatherTotals();
    const bytes = new Float64Array(n);
    const count = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      bytes[r] = t[2 * r]!;
      count[r] = t[2 * r + 1]!;
    }
    return { bytes, count };
  }

  /** Bytes and count per row at 2 * row, from the stack ways and the other rows. */
  private gatherTotals(): Float64Array {
    const n = this.rowCount;
    const t = this.otherTotals.slice(0, 2 * n);
    const w = this.stackWays;
    for (let r = 0; r < n; r++) {
      const o = STACK_STRIDE * this.rowStack[r]!;
      for (let way = o; way < o + STACK_STRIDE; way += 4) {
        if (w[way] === r + 1) {
          t[2 * r] = w[way + 2]!;
          t[2 * r + 1] = w[way + 3]!;
        }
      }
    }
    return t;
  }

  result(): RowStageState {
    this.sync();
    const n = this.rowCount;
    return {
      rowCount: n,
      rowStack: this.rowStack.slice(0, n),
      rowThread: this.rowThread.slice(0, n),
      totals: this.loadedTotals?.slice(0, 2 * n) ?? this.gatherTotals(),
      sizeHistogram: this.hist.slice(),
      domainCount: [...this.domainCount],
      domainBytes: [...this.domainBytes],
      allocations: this.allocations,
      resizes: this.resizes,
      totalAllocated: this.totalAllocated,
      unknownStacks: this.unknownStacks,
    };
  }

  /** Adds an allocation of (stack, thread) outside the inline ways; returns its row. */
  private addSlow(stack: number, thread: number, size: number): number {
    if (STACK_STRIDE * stack >= this.stackWays.length) this.growStacks(stack);
    const w = this.stackWays;
    const o = STACK_STRIDE * stack;
    for (let way = o; way < o + STACK_STRIDE; way += 4) {
      if (w[way] === 0) {
        const row = this.newRow(stack, thread);
        w[way] = row + 1;
        w[way + 1] = thread;
        w[way + 2] = size;
        w[way + 3] = 1;
        return row;
      }
      if (w[way + 1] === thread) {
        w[way + 2] += size;
        w[way + 3] += 1;
        return w[way]! - 1;
      }
    }
    let row = this.otherRows.get(stack, thread);
    if (row < 0) {
      row = this.newRow(stack, thread);
      this.otherRows.set(stack, thread, row);
    }
    this.otherTotals[2 * row] += size;
    this.otherTotals[2 * row + 1] += 1;
    return row;
  }

  private growStacks(stack: number): void {
    let len = this.stackWays.length;
    while (len <= STACK_STRIDE * stack) len *= 2;
    const a = new Float64Array(len);
    a.set(this.stackWays);
    this.stackWays = a;
  }

  private newRow(stack: number, thread: number): number {
    const row = this.rowCount++;
    if (row >= this.rowStack.length) {
      const n = this.rowStack.length * 2;
      const a = new Uint32Array(n);
      a.set(this.rowStack);
      this.rowStack = a;
      const b = new Uint32Array(n);
      b.set(this.rowThread);
      this.rowThread = b;
      const d = new Float64Array(2 * n);
      d.set(this.otherTotals);
      this.otherTotals = d;
    }
    this.rowStack[row] = stack;
    this.rowThread[row] = thread;
    return row;
  }
}

/** For the reader's worker (ReadOptions.stage.module names this file). */
export function createBatchStage(): RowStage {
  return new RowStage();
}
