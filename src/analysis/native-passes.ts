/**
 * The report passes' native kernels (native/reader, addon pymemprof_reader.node): the LZ4 block
 * decoder, the record columns' decoder, the row stage, the ordered halves of the stats and report
 * passes, and the arena chart's pymalloc model, in C++, several times faster than their TypeScript
 * versions (lz4.ts, batch-decoder.ts, row-stage.ts, stats.ts, report-reducer.ts, arena-timeline.ts
 * with arena-model.ts), which remain the reference and the fallback: the addon is built at install,
 * and a machine without a compiler still gets every report. Same results either way (same rules,
 * same order of every sum; the tests compare the two on random, mutated and real inputs).
 *
 * PYMEMPROF_NATIVE_PASSES=0 turns the kernels off (benchmarks, tests).
 */
import { isReaderAddonCurrent, readerAddonFile } from '../tracer/addon';
import type { RowStageState } from './row-stage';

export interface NativeStatsPass {
  add(kind: Uint8Array, address: Float64Array, size: Float64Array, stack: Uint32Array, timeUs: Float64Array, count: number, maxNodeId: number): void;
  /** [allocations, frees, resizes, records, unknownFrees, unknownStacks, totalAllocated, liveBytes, liveBlocks, peakBytes, peakTimeUs, lastTimeUs, peakGeneration] */
  figures(): Float64Array<ArrayBuffer>;
  /** Per stack node, 5 doubles: bytes and blocks now, snapshot generation, bytes and blocks then. */
  nodes(): Float64Array<ArrayBuffer>;
}

export interface NativeReportPass {
  add(kind: Uint8Array, address: Float64Array, size: Float64Array, rows: Uint32Array, timeUs: Float64Array, count: number): void;
  finish(): void;
  /** [records, allocations, frees, unknownFrees, liveBytes, peakBytes, peakTimeUs, lastTimeUs, liveBlocks] */
  figures(): Float64Array<ArrayBuffer>;
  /** (id, timeUs) pairs. */
  marks(): Float64Array<ArrayBuffer>;
  /** Per row at 2 * row: temporary bytes, count (rows beyond its length: 0). */
  rowTemporary(): Float64Array<ArrayBuffer>;
  timeline(): { widthUs: number; peak: Float64Array; end: Float64Array; peakIdx: Float64Array };
  temporal(): { row: Uint32Array<ArrayBuffer>; ap: Uint16Array<ArrayBuffer>; fp: Uint16Array<ArrayBuffer>; bytes: Float64Array<ArrayBuffer>; count: Float64Array<ArrayBuffer>; length: number };
}

/** decodeColumns of src/capture/batch-decoder.ts: false when the batch is malformed. */
export type NativeDecodeColumns = (
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
) => boolean;

/**
 * Decoder of format-3 record batches (address model and time runs; native/capture/address_model.h),
 * holding the model's state from batch to batch: one per capture, fed every batch in order.
 * `at` holds [start, end) of RecordBatch fields 1..11 at indices 2f, 2f + 1 (-1, -1: absent), all
 * within buf. Decodes the n records whose kinds are in kind[o, o + n) into index o on, as
 * NativeDecodeColumns does; false when the batch is malformed (the TypeScript decoder then says why).
 */
export interface NativeModelDecoder {
  decode: NativeDecodeColumns;
}

export interface NativeRowStage {
  batch(kind: Uint8Array, size: Float64Array, stack: Uint32Array, thread: Uint32Array, count: number, maxNodeId: number, rowOut: Uint32Array): void;
  result(): RowStageState;
}

export interface NativeArenaTimeline {
  batch(kind: Uint8Array, address: Float64Array, size: Float64Array, timeUs: Float64Array, count: number): void;
  /** Closes the buckets (once). pools and blocks: class c, bucket k at c * capacity + k. */
  result(): {
    widthUs: number;
    buckets: number;
    capacity: number;
    classes: number;
    anomalies: number;
    arenasMax: Float64Array;
    arenasEnd: Float64Array;
    poolsEnd: Float64Array;
    pools: Float64Array;
    blocks: Float64Array;
  };
}

export interface NativePasses {
  /** ArenaTimelineBuilder's pass (arena-timeline.ts, arena-model.ts): (arenaSize, poolSize, alignment, threshold, fixedWidthUs, fixedBuckets; 0: the report's buckets). */
  ArenaTimelinePass: new (arenaSize: number, poolSize: number, alignment: number, smallRequestThreshold: number, fixedWidthUs: number, fixedBuckets: number) => NativeArenaTimeline;
  /** lz4DecodeBlock of src/capture/lz4.ts (same acceptance rules). */
  lz4DecodeBlock: (src: Uint8Array, s: number, sEnd: number, dst: Uint8Array, dstLen: number) => number;
  decodeColumns: NativeDecodeColumns;
  ModelDecoder: new () => NativeModelDecoder;
  RowStage: new () => NativeRowStage;
  StatsPass: new () => NativeStatsPass;
  ReportPass: new (temporaryThreshold: number) => NativeReportPass;
}

let loaded: NativePasses | null | undefined;

/** The kernels, or null (turned off, not built, built from older sources, or not loadable here). */
export function nativePasses(): NativePasses | null {
  if (process.env.PYMEMPROF_NATIVE_PASSES === '0') return null;
  if (loaded !== undefined) return loaded;
  loaded = null;
  try {
    if (isReaderAddonCurrent()) loaded = require(readerAddonFile()) as NativePasses;
  } catch {
    loaded = null; // e.g. built for another Node ABI: the TypeScript passes give the same results
  }
  return loaded;
}
