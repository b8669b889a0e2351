/**
 * Reads a capture once through the ReportReducer and folds its stack nodes into a call tree of
 * frames (file, function, line): the common input of the flamegraph, summary, tree and stats reports.
 */
import { join } from 'node:path';
import { BadCaptureError } from '../errors';
import { CaptureHeader, CaptureTables, readCapture, ReadOptions, ReadResult, resolveLineIn, withTables } from '../capture/reader';
import type { ArenaWorkerAnswer } from './arena-timeline';
import { createBatchStage, RowStageState } from './row-stage';
import { createBatchStage as createReportStage, ReportStageResult } from './report-stage';
import { ReportReducer, ReportFigures, Timeline, TemporalEntries, windowValues } from './report-reducer';

export interface ReportAnalysisOptions extends ReadOptions {
  temporaryThreshold?: number;
  /** Called with (bytes read, file size) from time to time. */
  onProgress?: (bytesRead: number) => void;
  /** The compiled row-stage module for the reader's worker (tests running from sources); default: next to this one. */
  rowStageModule?: string;
  /** Also build the arena chart's timeline in the same pass (report-stage.ts). */
  arenas?: boolean;
  /** As rowStageModule, for the stage that also builds the arena timeline. */
  reportStageModule?: string;
}

/** Folded call tree: node 0 is the root; a node's parent always has a smaller index. */
export interface CallTree {
  /** Unique strings (file names, function names). */
  strings: string[];
  frameFile: number[];
  frameFunc: number[];
  frameLine: number[];
  nodeParent: Int32Array;
  nodeFrame: Int32Array;
  /** Tree node of each row. */
  rowNode: Uint32Array;
  /** Thread id of each row. */
  rowThread: Uint32Array;
}

export interface ReportAnalysis {
  path: string;
  header: CaptureHeader;
  tables: CaptureTables;
  read: ReadResult;
  warnings: string[];
  figures: ReportFigures;
  durationUs: number;
  timeline: Timeline;
  temporal: TemporalEntries;
  totals: { bytes: Float64Array; count: Float64Array };
  temporary: { bytes: Float64Array; count: Float64Array };
  tree: CallTree;
  reducer: ReportReducer;
  threads: { id: number; name: string }[];
  temporaryThreshold: number;
  /** With options.arenas: the arena timeline built in the same pass (on the reducer's buckets as it coarsened them). */
  arenas?: ArenaWorkerAnswer;
}

export async function analyzeReport(path: string, options: ReportAnalysisOptions = {}): Promise<ReportAnalysis> {
  const tables = new CaptureTables();
  const reducer = new ReportReducer(tables, { temporaryThreshold: options.temporaryThreshold });
  let batches = 0;
  const read = await readCapture(
    path,
    withTables(tables, {
      batch: (b) => {
        reducer.addPrepared(b);
        if (options.onProgress && (++batches & 15) === 0) options.onProgress(reducer.figures().records);
      },
    }),
    // The row stage (with the arena timeline when asked) runs where the capture is decoded: on the
    // reader's worker for large files.
    {
      ...options,
      reuseBatches: true,
      stage: options.arenas
        ? { create: createReportStage, module: options.reportStageModule ?? join(__dirname, 'report-stage.js') }
        : { create: createBatchStage, module: options.rowStageModule ?? join(__dirname, 'row-stage.js') },
    },
  );
  if (!read.header) throw new BadCaptureError(`${path}: capture is truncated before its header was complete`);
  let arenas: ArenaWorkerAnswer | undefined;
  if (options.arenas) {
    const r = read.stageResult as ReportStageResult;
    reducer.adoptRowStage(r.rows);
    arenas = r.arenas;
  } else {
    reducer.adoptRowStage(read.stageResult as RowStageState);
  }
  reducer.finish();
  const figures = reducer.figures();
  const warnings = [...read.warnings];
  if (figures.unknownStacks > 0) warnings.push(`${path}: ${figures.unknownStacks} records refer to undefined stack nodes`);
  const durationUs = read.trailer ? read.trailer.durationUs : figures.lastTimeUs;
  const threads = [...tables.threads.values()].sort((a, b) => a.id - b.id).map((t) => ({ id: t.id, name: t.name }));
  return {
    path,
    header: read.header,
    tables,
    read,
    warnings,
    figures,
    durationUs,
    timeline: reducer.timeline(),
    temporal: reducer.temporal(),
    totals: reducer.totals(),
    temporary: reducer.temporary(),
    tree: foldTree(tables, reducer.rowStacks(), reducer.rowThreads()),
    reducer,
    threads,
    temporaryThreshold: reducer.temporaryThreshold,
    arenas,
  };
}

/** Folds capture stack nodes (code, byte offset) into tree nodes keyed by (parent, file, function, line). */
export function foldTree(tables: CaptureTables, rowStack: Uint32Array, rowThread: Uint32Array): CallTree {
  const strings: string[] = [];
  const stringIdx = new Map<string, number>();
  const str = (s: string): number => {
    let i = stringIdx.get(s);
    if (i === undefined) {
      i = strings.length;
      strings.push(s);
      stringIdx.set(s, i);
    }
    return i;
  };
  const frameFile: number[] = [];
  const frameFunc: number[] = [];
  const frameLine: number[] = [];
  const frameIdx = new Map<string, number>();
  const codeStrings = new Map<number, [number, number]>();
  const frameOf = (codeId: number, offset: number): number => {
    let cs = codeStrings.get(codeId);
    const c = tables.codes.get(codeId);
    if (!cs) {
      cs = c ? [str(c.filename), str(c.qualname || c.name)] : [str('<unknown>'), str(`<code ${codeId}>`)];
      codeStrings.set(codeId, cs);
    }
    const line = c ? resolveLineIn(c, offset) : 0;
    const key = `${cs[0]}:${cs[1]}:${line}`;
    let f = frameIdx.get(key);
    if (f === undefined) {
      f = frameFile.length;
      frameFile.push(cs[0]);
      frameFunc.push(cs[1]);
      frameLine.push(line);
      frameIdx.set(key, f);
    }
    return f;
  };

  const parents: number[] = [-1];
  const frames: number[] = [-1];
  const childIdx = new Map<number, number>();
  const intern = (parent: number, frame: number): number => {
    const key = parent * 4194304 + frame; // frames < 2^22
    let n = childIdx.get(key);
    if (n === undefined) {
      n = parents.length;
      parents.push(parent);
      frames.push(frame);
      childIdx.set(key, n);
    }
    return n;
  };
  const maxNode = tables.maxNodeId;
  const memo = new Int32Array(maxNode + 1).fill(-1);
  memo[0] = 0;
  const chain: number[] = [];
  const treeOf = (stack: number): number => {
    if (stack > maxNode) return 0;
    let s = stack;
    chain.length = 0;
    let guard = 0;
    while (memo[s]! < 0 && guard++ <= maxNode) {
      chain.push(s);
      s = tables.nodeParent[s]!;
      if (s > maxNode) s = 0;
    }
    let t = memo[s]! < 0 ? 0 : memo[s]!;
    for (let i = chain.length - 1; i >= 0; i--) {
      const n = chain[i]!;
      t = intern(t, frameOf(tables.nodeCode[n]!, tables.nodeOffset[n]!));
      memo[n] = t;
    }
    return t;
  };
  const rowNode = new Uint32Array(rowStack.length);
  for (let r = 0; r < rowStack.length; r++) rowNode[r] = treeOf(rowStack[r]!);
  return {
    strings,
    frameFile,
    frameFunc,
    frameLine,
    nodeParent: Int32Array.from(parents),
    nodeFrame: Int32Array.from(frames),
    rowNode,
    rowThread: Uint32Array.from(rowThread),
  };
}

export type ReportView = 'peak' | 'leaks' | 'total' | 'temporary';
export const REPORT_VIEWS: readonly ReportView[] = ['peak', 'leaks', 'total', 'temporary'];

/** Per-row bytes and counts of a view over the whole capture. */
export function rowValues(a: ReportAnalysis, view: ReportView): { bytes: Float64Array; count: Float64Array } {
  if (view === 'total') return a.totals;
  if (view === 'temporary') return a.temporary;
  const n = a.tree.rowNode.length;
  const bytes = new Float64Array(n);
  const count = new Float64Array(n);
  windowValues(a.temporal, a.timeline.peak, view, 0, a.timeline.peak.length - 1, bytes, count);
  return { bytes, count };
}

/** Per-tree-node self and total values of a view (totals include descendants). */
export function nodeValues(a: ReportAnalysis, view: ReportView): { selfBytes: Float64Array; selfCount: Float64Array; totalBytes: Float64Array; totalCount: Float64Array } {
  const rv = rowValues(a, view);
  const t = a.tree;
  const n = t.nodeParent.length;
  const selfBytes = new Float64Array(n);
  const selfCount = new Float64Array(n);
  for (let r = 0; r < t.rowNode.length; r++) {
    selfBytes[t.rowNode[r]!] += rv.bytes[r]!;
    selfCount[t.rowNode[r]!] += rv.count[r]!;
  }
  const totalBytes = Float64Array.from(selfBytes);
  const totalCount = Float64Array.from(selfCount);
  for (let i = n - 1; i > 0; i--) {
    const p = t.nodeParent[i]!;
    totalBytes[p] += totalBytes[i]!;
    totalCount[p] += totalCount[i]!;
  }
  return { selfBytes, selfCount, totalBytes, totalCount };
}

/** "file:function:line" of a tree node's frame. */
export function frameLabel(t: CallTree, node: number): string {
  const f = t.nodeFrame[node]!;
  if (f < 0) return '<root>';
  return `${t.strings[t.frameFile[f]!]}:${t.strings[t.frameFunc[f]!]}:${t.frameLine[f]}`;
}

/** Collapsed stacks of a view ("a.py:main:3;a.py:f:7 BYTES"), sorted, for tests and scripts. */
export function collapsedView(a: ReportAnalysis, view: ReportView, by: 'bytes' | 'count' = 'bytes'): string[] {
  const rv = rowValues(a, view);
  const t = a.tree;
  const byKey = new Map<string, number>();
  for (let r = 0; r < t.rowNode.length; r++) {
    const v = by === 'bytes' ? rv.bytes[r]! : rv.count[r]!;
    if (v === 0) continue;
    const parts: string[] = [];
    for (let n = t.rowNode[r]!; n > 0; n = t.nodeParent[n]!) parts.push(frameLabel(t, n));
    const key = parts.length ? parts.reverse().join(';') : '<no Python frame>';
    byKey.set(key, (byKey.get(key) ?? 0) + v);
  }
  return [...byKey.entries()].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)).map(([k, v]) => `${k} ${v}`);
}
